"""Audit pages: the administrators' review of the log, and a patient's 'who has seen this'."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.audit.models import AuditAction
from app.audit.patient_data import PATIENT_DATA
from app.audit.review import search_entries
from app.audit.service import entries_for_patient, record
from app.core.config import get_settings
from app.core.deps import SessionDep, require_roles
from app.core.templating import render
from app.org.models import Role
from app.org.scope import Viewer
from app.pathways.service import get_patient

router = APIRouter(include_in_schema=False, dependencies=[PATIENT_DATA])
Admin = Annotated[Viewer, Depends(require_roles(Role.admin.value))]
PatientWorker = Annotated[Viewer, Depends(require_roles(Role.nurse.value, Role.team.value))]
PAGE_SIZE = 100


def _day_start(day: date | None) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day, datetime.min.time(), get_settings().zone)


@router.get("/admin/audit")
def read_audit_log(
    request: Request,
    session: SessionDep,
    viewer: Admin,
    user: str = Query(default="", max_length=254),
    patient: int | None = Query(default=None, ge=1),
    action: AuditAction | None = None,
    since: date | None = None,
    until: date | None = None,
    page: int = Query(default=1, ge=1, le=10_000),
) -> Response:
    """Review the audit log: who did what to which patient's data, when and from where."""
    end = _day_start(until + timedelta(days=1)) if until else None
    entries = search_entries(
        session,
        viewer=viewer,
        user_email=user or None,
        patient_id=patient,
        action=action.value if action else None,
        since=_day_start(since),
        until=end,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    record(
        session,
        viewer=viewer,
        action=AuditAction.read,
        what="audit log review",
        detail=f"user={user!r} patient={patient} action={action} page={page}",
    )
    return render(
        request,
        "audit/log.html",
        {
            "viewer": viewer,
            "administered": ", ".join(
                g.scope_name for g in viewer.grants if g.role == Role.admin.value
            ),
            "entries": entries[:PAGE_SIZE],
            "has_more": len(entries) > PAGE_SIZE,
            "filters": {
                "user": user,
                "patient": patient or "",
                "action": action.value if action else "",
                "since": since or "",
                "until": until or "",
            },
            "page": page,
            "actions": [a.value for a in AuditAction],
        },
    )


@router.get("/patients/{patient_id}/access-log")
def read_patient_access_log_page(
    patient_id: int, request: Request, session: SessionDep, viewer: PatientWorker
) -> Response:
    """Who has seen or changed this patient's data."""
    patient = get_patient(session, viewer=viewer, patient_id=patient_id)
    entries = entries_for_patient(session, patient_id=int(patient.id or 0))
    return render(
        request,
        "audit/patient_log.html",
        {"viewer": viewer, "patient": patient, "entries": entries},
    )
