"""JSON API of an organisation's adopted checklist variants."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.audit.patient_data import NO_PATIENT_DATA
from app.checklists.adoptions import (
    AdoptionInvalid,
    AdoptionNotFound,
    ChecklistAdoptions,
    adopt_variant,
    adoption_overview,
)
from app.checklists.forms import AdoptionIn
from app.core.deps import ERROR_RESPONSES, SessionDep, require_roles
from app.org.models import Role
from app.org.scope import Viewer

router = APIRouter(prefix="/api/v1", tags=["checklists"], dependencies=[NO_PATIENT_DATA])
Admin = Annotated[Viewer, Depends(require_roles(Role.admin.value))]


class AdoptionOut(BaseModel):
    """One adoption: the variant (null: the standard list) from a local date."""

    id: int
    checklist_id: str
    variant: str | None
    starts_on: date


class VariantChoiceOut(BaseModel):
    """A variant that may be adopted (null: the standard list), and whom it was made for."""

    variant: str | None
    title: str
    made_for: str | None


class ChecklistAdoptionsOut(BaseModel):
    """A checklist with variants: the choices, the variant in force today, every adoption."""

    checklist_id: str
    title: str
    version: int
    choices: list[VariantChoiceOut]
    in_force: str | None
    adoptions: list[AdoptionOut]


def _out(item: ChecklistAdoptions) -> ChecklistAdoptionsOut:
    """The API's view of one checklist's adoptions."""
    return ChecklistAdoptionsOut(
        checklist_id=item.checklist_id,
        title=item.title,
        version=item.version,
        choices=[VariantChoiceOut(**vars(choice)) for choice in item.choices],
        in_force=item.in_force,
        adoptions=[
            AdoptionOut(
                id=int(a.id or 0),
                checklist_id=a.checklist_id,
                variant=a.variant,
                starts_on=a.starts_on,
            )
            for a in item.adoptions
        ],
    )


def _overview(
    session: SessionDep, viewer: Viewer, organisation_id: int
) -> list[ChecklistAdoptionsOut]:
    """The organisation's adoptions, or 404 when the viewer does not administer it."""
    try:
        found = adoption_overview(session, viewer=viewer, organisation_id=organisation_id)
    except AdoptionNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    return [_out(item) for item in found]


@router.get("/organisations/{organisation_id}/variant-adoptions", responses=ERROR_RESPONSES)
def read_variant_adoptions(
    organisation_id: int, session: SessionDep, viewer: Admin
) -> list[ChecklistAdoptionsOut]:
    """Each checklist with variants: what may be adopted, what is in force, every adoption."""
    return _overview(session, viewer, organisation_id)


@router.post(
    "/organisations/{organisation_id}/variant-adoptions",
    status_code=201,
    responses=ERROR_RESPONSES,
)
def create_variant_adoption(
    organisation_id: int, body: AdoptionIn, session: SessionDep, viewer: Admin
) -> AdoptionOut:
    """Adopt a variant (null: the standard list) from a date; the same date replaces (audited)."""
    try:
        adoption = adopt_variant(
            session,
            viewer=viewer,
            organisation_id=organisation_id,
            checklist_id=body.checklist_id,
            variant=body.variant,
            starts_on=body.starts_on,
        )
    except AdoptionNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except AdoptionInvalid as exc:
        body_out = {"detail": str(exc), "errors": exc.problems}
        return JSONResponse(body_out, status_code=422)  # type: ignore[return-value]
    return AdoptionOut(
        id=int(adoption.id or 0),
        checklist_id=adoption.checklist_id,
        variant=adoption.variant,
        starts_on=adoption.starts_on,
    )
