"""Admin pages for API tokens: create one for an organisation (shown once), list, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.admin.directory import AdminError, AdminNotFound, Directory, Reach
from app.admin.pages import Admin, done, parse, refusal
from app.audit.patient_data import NO_PATIENT_DATA
from app.core.deps import SessionDep
from app.core.templating import render
from app.fhir.tokens import TokenFields, create_token, list_tokens, revoke_token
from app.org.scope import Viewer

router = APIRouter(include_in_schema=False, dependencies=[NO_PATIENT_DATA])
TextForm = Annotated[str, Form()]
PAGE = "/admin/tokens"


def organisation_choices(session: Session, viewer: Viewer) -> list[tuple[str, str]]:
    """The organisations the admin may create tokens for, as (slug, name)."""
    directory, reach = Directory(session), Reach.of(viewer)
    refs = [directory.ref("organisation", o) for o in directory.organisations]
    return sorted(((r.slug, r.name) for r in refs if reach.manages(r)), key=lambda c: c[1])


def _page(
    request: Request,
    session: Session,
    viewer: Viewer,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    secret: str | None = None,
    status_code: int = 200,
) -> Response:
    """The tokens page, with a new token's secret once, or a refused form's messages."""
    return render(
        request,
        "admin/tokens.html",
        {
            "tokens": list_tokens(session, actor=viewer),
            "choices": organisation_choices(session, viewer),
            "form": form or {},
            "errors": errors or {},
            "secret": secret,
        },
        status_code=status_code,
    )


@router.get(PAGE)
def read_tokens(request: Request, session: SessionDep, viewer: Admin) -> Response:
    """The API tokens of the organisations you administer, and a form for a new one."""
    return _page(request, session, viewer)


@router.post(PAGE)
def create_token_page(
    request: Request,
    session: SessionDep,
    viewer: Admin,
    organisation: TextForm = "",
    name: TextForm = "",
) -> Response:
    """Create a token for an organisation; its secret is shown on this answer only."""
    given = {"organisation": organisation, "name": name}
    fields, errors = parse(TokenFields, given)
    if fields is not None:
        try:
            _token, secret = create_token(session, actor=viewer, fields=fields)
        except (AdminError, AdminNotFound) as exc:
            errors = refusal(exc)
        else:
            response = _page(request, session, viewer, secret=secret)
            response.headers["Cache-Control"] = "no-store"
            return response
    return _page(request, session, viewer, form=given, errors=errors, status_code=422)


@router.post(PAGE + "/{token_id}/revoke")
def revoke_token_page(
    token_id: int, request: Request, session: SessionDep, viewer: Admin
) -> Response:
    """Revoke a token at once: the system it was given to is refused from now on."""
    revoke_token(session, actor=viewer, token_id=token_id)
    return done(request, PAGE)
