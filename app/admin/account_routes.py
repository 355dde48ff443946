"""The welcome page behind a one-time link, and changing one's own password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.admin.account import (
    InvitationInvalid,
    PasswordRefused,
    accept_invitation,
    change_password,
    open_invitation,
)
from app.admin.forms import NewPassword, PasswordChange
from app.admin.pages import done, parse
from app.audit.patient_data import NO_PATIENT_DATA
from app.core.deps import PUBLIC, CurrentViewer, SessionDep
from app.core.templating import render
from app.digest.recipients import digest_enabled, set_digest_enabled

router = APIRouter(include_in_schema=False, dependencies=[NO_PATIENT_DATA])
Secret = Annotated[str, Form(max_length=512)]


@router.get("/welcome/{token}", dependencies=[PUBLIC])
def read_welcome(token: str, request: Request, session: SessionDep) -> Response:
    """The page where an invited person chooses their password (or hears why the link is dead)."""
    try:
        _invitation, user = open_invitation(session, token=token)
    except InvitationInvalid as exc:
        return render(request, "admin/welcome.html", {"dead": str(exc)}, status_code=410)
    return render(request, "admin/welcome.html", {"person": user, "errors": {}})


@router.post("/welcome/{token}", dependencies=[PUBLIC])
def create_welcome(
    token: str, request: Request, session: SessionDep, password: Secret = "", repeat: Secret = ""
) -> Response:
    """Save the chosen password; the link is used up and the person can sign in."""
    try:
        _invitation, user = open_invitation(session, token=token)
    except InvitationInvalid as exc:
        return render(request, "admin/welcome.html", {"dead": str(exc)}, status_code=410)
    fields, errors = parse(NewPassword, {"password": password, "repeat": repeat})
    if fields is not None:
        try:
            accept_invitation(session, token=token, fields=fields)
        except PasswordRefused as exc:
            errors = exc.errors
        else:
            return render(request, "admin/welcome.html", {"joined": user})
    return render(
        request, "admin/welcome.html", {"person": user, "errors": errors}, status_code=422
    )


@router.get("/account/password")
def read_password(request: Request, session: SessionDep, viewer: CurrentViewer) -> Response:
    """The form to change one's own password."""
    saved = request.query_params.get("saved") == "1"
    digest_on = digest_enabled(session, user_id=viewer.user_id)
    context = {"viewer": viewer, "errors": {}, "saved": saved, "digest_on": digest_on}
    return render(request, "admin/password.html", context)


@router.post("/account/digest")
def update_digest(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    enabled: Annotated[bool, Form()] = False,
) -> Response:
    """Turn one's own weekly digest e-mail on or off."""
    set_digest_enabled(session, user_id=viewer.user_id, enabled=enabled, viewer=viewer)
    return done(request, "/account/password#digest")


@router.post("/account/password")
def update_password(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    current: Secret = "",
    password: Secret = "",
    repeat: Secret = "",
) -> Response:
    """Change one's own password (the current one is required)."""
    given = {"current": current, "password": password, "repeat": repeat}
    fields, errors = parse(PasswordChange, given)
    if fields is not None:
        try:
            change_password(session, viewer=viewer, fields=fields)
        except PasswordRefused as exc:
            errors = exc.errors
        else:
            return done(request, "/account/password?saved=1")
    return render(
        request,
        "admin/password.html",
        {
            "viewer": viewer,
            "errors": errors,
            "saved": False,
            "digest_on": digest_enabled(session, user_id=viewer.user_id),
        },
        status_code=422,
    )
