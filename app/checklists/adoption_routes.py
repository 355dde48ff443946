"""HTML page where an organisation's administrator adopts local checklist variants from a date."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app.audit.patient_data import NO_PATIENT_DATA
from app.checklists.adoptions import (
    AdoptionInvalid,
    AdoptionNotFound,
    adopt_variant,
    adoption_overview,
    local_today,
    organisation_for_admin,
)
from app.checklists.forms import AdoptionIn
from app.core.deps import SessionDep, require_roles
from app.core.templating import render
from app.org.models import Role
from app.org.scope import Viewer

router = APIRouter(include_in_schema=False, dependencies=[NO_PATIENT_DATA])
Admin = Annotated[Viewer, Depends(require_roles(Role.admin.value))]


def _context(
    session: SessionDep, viewer: Viewer, organisation_id: int, **extra: Any
) -> dict[str, Any]:
    """Everything the variant page shows (404 when the viewer does not administer it)."""
    try:
        organisation = organisation_for_admin(
            session, viewer=viewer, organisation_id=organisation_id
        )
    except AdoptionNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    context: dict[str, Any] = {
        "organisation": organisation,
        "checklists": adoption_overview(session, viewer=viewer, organisation_id=organisation_id),
        "today": local_today(),
        "errors": {},
        "form": {},
        "saved": False,
    }
    context.update(extra)
    return context


@router.get("/admin/organisations/{organisation_id}/variants")
def read_variants_page(
    request: Request, organisation_id: int, session: SessionDep, viewer: Admin, saved: int = 0
) -> Response:
    """Show each checklist's variant in force, the adoptions planned and past, and the form."""
    context = _context(session, viewer, organisation_id, saved=bool(saved))
    return render(request, "checklists/variants.html", context)


@router.post("/admin/organisations/{organisation_id}/variants")
def adopt_variant_page(
    request: Request,
    organisation_id: int,
    session: SessionDep,
    viewer: Admin,
    checklist_id: Annotated[str, Form(max_length=64)] = "",
    variant: Annotated[str, Form(max_length=64)] = "",
    starts_on: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Adopt a variant from a date, or show the page again with what to fix."""
    context = _context(session, viewer, organisation_id)
    body, errors = AdoptionIn.from_form(checklist_id, variant, starts_on)
    if body is not None:
        try:
            adopt_variant(
                session,
                viewer=viewer,
                organisation_id=organisation_id,
                checklist_id=body.checklist_id,
                variant=body.variant,
                starts_on=body.starts_on,
            )
        except AdoptionInvalid as exc:
            errors = exc.problems
        else:
            url = (
                f"/admin/organisations/{organisation_id}/variants?saved=1#list-{body.checklist_id}"
            )
            return RedirectResponse(url, status_code=303)
    form = {"checklist_id": checklist_id, "variant": variant, "starts_on": starts_on}
    context.update(errors=errors, form=form)
    return render(request, "checklists/variants.html", context, status_code=422)
