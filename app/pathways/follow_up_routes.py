"""Patient-page forms for follow-ups: mark one done (with when) or not needed (with why)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.audit.patient_data import PATIENT_DATA
from app.core.config import get_settings
from app.core.deps import SessionDep, require_roles
from app.core.i18n import _
from app.core.text import has_forbidden_characters
from app.org.models import Role
from app.org.scope import Viewer
from app.pathways.events import get_pathway
from app.pathways.routes import patient_page
from app.pathways.service import PatientNotFound
from app.risks.models import FollowUp
from app.risks.service import FollowUpConflict, FollowUpRefused, mark_done, mark_not_needed

router = APIRouter(include_in_schema=False, dependencies=[PATIENT_DATA])
PatientWorker = Annotated[Viewer, Depends(require_roles(Role.nurse.value, Role.team.value))]
REASON_LIMIT = 500


def _patient_of(session: Session, viewer: Viewer, follow_up_id: int) -> int:
    """The patient whose follow-up this is, if the viewer may see them."""
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise PatientNotFound()
    _pathway, patient = get_pathway(session, viewer=viewer, pathway_id=follow_up.pathway_id)
    return int(patient.id or 0)


def _moment(text: str) -> datetime | None:
    """A datetime-local form value as an aware moment (None when left empty)."""
    if not text.strip():
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=get_settings().zone)
    except ValueError:
        raise FollowUpRefused(
            _("Write the time as date and time, e.g. 2026-03-02 14:30.")
        ) from None


@router.post("/follow-ups/{follow_up_id}/done")
def create_follow_up_done_page(
    follow_up_id: int,
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    done_at: Annotated[str, Form()] = "",
    version: Annotated[int, Form()] = 0,
) -> Response:
    """Mark a follow-up done, now or at the time given."""
    patient_id = _patient_of(session, viewer, follow_up_id)
    try:
        mark_done(
            session,
            viewer=viewer,
            follow_up_id=follow_up_id,
            expected_version=version,
            done_at=_moment(done_at),
        )
    except (FollowUpRefused, FollowUpConflict) as exc:
        return patient_page(
            request, session, viewer, patient_id, status_code=422,
            follow_up_error=str(exc),
            follow_up_form={"id": follow_up_id, "done_at": done_at},
        )  # fmt: skip
    return RedirectResponse(f"/patients/{patient_id}#follow-up-{follow_up_id}", status_code=303)


@router.post("/follow-ups/{follow_up_id}/not-needed")
def create_follow_up_not_needed_page(
    follow_up_id: int,
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    reason: Annotated[str, Form()] = "",
    version: Annotated[int, Form()] = 0,
) -> Response:
    """Mark a follow-up not needed, with the reason."""
    patient_id = _patient_of(session, viewer, follow_up_id)
    try:
        if len(reason) > REASON_LIMIT or has_forbidden_characters(reason, multiline=False):
            raise FollowUpRefused(
                _("Write the reason on one line, in at most {limit} characters.").format(
                    limit=REASON_LIMIT
                )
            )
        mark_not_needed(
            session,
            viewer=viewer,
            follow_up_id=follow_up_id,
            expected_version=version,
            reason=reason,
        )
    except (FollowUpRefused, FollowUpConflict) as exc:
        return patient_page(
            request, session, viewer, patient_id, status_code=422,
            follow_up_error=str(exc),
            follow_up_form={"id": follow_up_id, "reason": reason},
        )  # fmt: skip
    return RedirectResponse(f"/patients/{patient_id}#follow-up-{follow_up_id}", status_code=303)
