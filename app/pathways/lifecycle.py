"""A pathway's life beyond its events: moving it to another team, ending it, reopening it.

Responsibility changes by a dated transfer (``PathwayTeam`` rows, from–until): what falls due
after the transfer belongs to the new team, what fell due before stays with the old one
(DESIGN.md §6, §10). Ending a pathway cancels its unfinished checklists that would fall due
after the end, so they count nowhere; completed work is never touched. Reopening undoes
exactly that. Measure items follow by themselves: the item store re-derives a pathway's items
whenever its responsibilities, patient or events change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.checklists.models import ChecklistInstance, InstanceStatus
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.i18n import _, format_day, format_moment
from app.org.models import Team
from app.org.scope import Viewer
from app.pathways.events import (
    CLOCK_SKEW,
    EventConflict,
    EventRejected,
    get_pathway,
    pathway_events,
    record_event,
    responsible_team,
    restore_after_end,
)
from app.pathways.models import (
    EndReason,
    EventKind,
    EventStatus,
    Pathway,
    PathwayEvent,
    PathwayStatus,
    PathwayTeam,
    Patient,
)
from app.risks.lifecycle import move_follow_ups


class PathwayConflict(Exception):
    """Someone else changed the pathway first (HTTP 409)."""

    def __init__(self, current: Pathway) -> None:
        super().__init__(_("Someone else changed this pathway meanwhile. Reload and try again."))
        self.current = current
        self.current_version = current.version


def end_reason_labels() -> dict[str, str]:
    """The reasons a pathway ends, in the current language."""
    return {
        EndReason.died.value: _("The patient died"),
        EndReason.nursing_home.value: _("Moved to a nursing home"),
        EndReason.moved_away.value: _("Moved away"),
        EndReason.no_longer_needs_care.value: _("No longer needs home care"),
        EndReason.other.value: _("Other"),
    }


def _check_version(pathway: Pathway, expected_version: int) -> None:
    """Refuse a change made on a stale copy of the pathway."""
    if pathway.version != expected_version:
        raise PathwayConflict(pathway)


def _responsibilities(session: Session, pathway_id: int) -> list[PathwayTeam]:
    """The pathway's responsibilities in time order."""
    return list(
        session.exec(
            select(PathwayTeam)
            .where(PathwayTeam.pathway_id == pathway_id)
            .order_by(col(PathwayTeam.from_at), col(PathwayTeam.id))
        ).all()
    )


@dataclass(frozen=True)
class Responsible:
    """A team responsible for a pathway from a moment, until another took over (if one did)."""

    team_name: str
    from_at: datetime
    until_at: datetime | None


def responsibility_history(session: Session, *, pathway_id: int) -> list[Responsible]:
    """Who has been responsible for a pathway, newest first (for the patient page)."""
    rows = session.exec(
        select(PathwayTeam, Team.name)
        .join(Team, col(Team.id) == col(PathwayTeam.team_id))
        .where(PathwayTeam.pathway_id == pathway_id)
        .order_by(col(PathwayTeam.from_at).desc(), col(PathwayTeam.id).desc())
    ).all()
    return [Responsible(name, row.from_at, row.until_at) for row, name in rows]


def transfer_targets(session: Session, *, viewer: Viewer, team_id: int) -> list[Team]:
    """The teams the viewer may move a pathway to from this team, by name."""
    ids = sorted(viewer.patient_team_ids - {team_id})
    if not ids:
        return []
    return list(
        session.exec(select(Team).where(col(Team.id).in_(ids)).order_by(col(Team.name))).all()
    )


def _transfer_problem(
    session: Session,
    *,
    viewer: Viewer,
    pathway: Pathway,
    patient: Patient,
    team_id: int,
    effective_at: datetime,
    now: datetime,
) -> str | None:
    """Why the pathway cannot move to this team at this moment, or None."""
    zone = get_settings().zone
    if pathway.status != PathwayStatus.open.value:
        return _("The pathway has ended; reopen it before moving it to another team.")
    if session.get(Team, team_id) is None or not viewer.may_see_patients_of(team_id):
        return _("You can only move a pathway to a team you work in.")
    if effective_at > now + CLOCK_SKEW:
        return _("A transfer cannot be dated in the future.")
    start = datetime.combine(pathway.started_on, datetime.min.time(), zone)
    if effective_at <= start:
        return _("The transfer is dated before the pathway started ({date}).").format(
            date=format_day(pathway.started_on)
        )
    rows = _responsibilities(session, int(pathway.id or 0))
    if rows and effective_at <= rows[-1].from_at:
        return _("The pathway was last moved on {moment}; a transfer must come after it.").format(
            moment=format_moment(rows[-1].from_at.astimezone(get_settings().zone))
        )
    if responsible_team(session, pathway=pathway, patient=patient, at=effective_at) == team_id:
        return _("The pathway is already with this team.")
    if (
        patient.local_reference
        and session.exec(
            select(Patient.id)
            .where(Patient.team_id == team_id)
            .where(Patient.local_reference == patient.local_reference)
            .where(Patient.id != patient.id)
        ).first()
    ):
        return _("The new team already has a patient with this local reference.")
    return None


def transfer_pathway(
    session: Session,
    *,
    viewer: Viewer,
    pathway_id: int,
    team_id: int,
    effective_at: datetime,
    expected_version: int,
    now: datetime | None = None,
) -> tuple[Pathway, int]:
    """Move a pathway to another team from a moment; returns it and the checklists moved."""
    now = now or utcnow()
    pathway, patient = get_pathway(session, viewer=viewer, pathway_id=pathway_id)
    _check_version(pathway, expected_version)
    problem = _transfer_problem(
        session,
        viewer=viewer,
        pathway=pathway,
        patient=patient,
        team_id=team_id,
        effective_at=effective_at,
        now=now,
    )
    if problem:
        raise EventRejected(problem)
    old_team = responsible_team(session, pathway=pathway, patient=patient, at=effective_at)
    rows = _responsibilities(session, pathway_id)
    if rows and rows[-1].until_at is None:
        rows[-1].until_at = effective_at
        session.add(rows[-1])
    session.add(PathwayTeam(pathway_id=pathway_id, team_id=team_id, from_at=effective_at))
    moved = 0
    for instance in session.exec(
        select(ChecklistInstance)
        .where(ChecklistInstance.pathway_id == pathway_id)
        .where(col(ChecklistInstance.window_end) > effective_at)
    ).all():
        instance.team_id = team_id
        instance.version += 1
        session.add(instance)
        moved += 1
    move_follow_ups(session, pathway_id=pathway_id, team_id=team_id, effective_at=effective_at)
    for event in session.exec(
        select(PathwayEvent)
        .where(PathwayEvent.pathway_id == pathway_id)
        .where(col(PathwayEvent.occurred_at) >= effective_at)
    ).all():
        event.team_id = team_id
        event.version += 1
        session.add(event)
    # Access follows the responsibility: the patient is now the new team's.
    patient.team_id = team_id
    session.add(patient)
    pathway.version += 1
    session.add(pathway)
    session.flush()
    record(
        session,
        viewer=viewer,
        action=AuditAction.update,
        what="pathway transferred",
        patient_id=patient.id,
        detail=f"pathway {pathway_id}: team {old_team} -> team {team_id} from "
        f"{effective_at.isoformat()}; {moved} checklists moved",
    )
    return pathway, moved


def end_pathway(
    session: Session,
    *,
    viewer: Viewer,
    pathway_id: int,
    ended_at: datetime,
    reason: str,
    expected_version: int,
    note: str | None = None,
    now: datetime | None = None,
) -> tuple[Pathway, int]:
    """End a pathway with a reason; returns it and how many unfinished checklists were
    cancelled (those that would fall due after the end)."""
    pathway, _patient = get_pathway(session, viewer=viewer, pathway_id=pathway_id)
    _check_version(pathway, expected_version)
    if reason not in {r.value for r in EndReason}:
        raise EventRejected(_("Choose why the pathway ends."))
    if pathway.status == PathwayStatus.closed.value:
        raise EventRejected(_("The pathway has already ended."))
    before = cancelled_by_end(session, pathway_id=pathway_id)
    record_event(
        session,
        viewer=viewer,
        pathway_id=pathway_id,
        kind=EventKind.pathway_end.value,
        occurred_at=ended_at,
        note=note,
        now=now,
        end_reason=reason,
    )
    session.refresh(pathway)
    return pathway, cancelled_by_end(session, pathway_id=pathway_id) - before


def cancelled_by_end(session: Session, *, pathway_id: int) -> int:
    """How many of a pathway's checklists are cancelled because the pathway ended."""
    return len(
        session.exec(
            select(ChecklistInstance.id)
            .where(ChecklistInstance.pathway_id == pathway_id)
            .where(ChecklistInstance.status == InstanceStatus.cancelled.value)
            .where(col(ChecklistInstance.event_cancelled).is_(False))
        ).all()
    )


def reopen_pathway(
    session: Session,
    *,
    viewer: Viewer,
    pathway_id: int,
    reason: str,
    expected_version: int,
) -> tuple[Pathway, int]:
    """Reopen an ended pathway with a reason; the checklists its end cancelled come back."""
    reason = (reason or "").strip()
    pathway, patient = get_pathway(session, viewer=viewer, pathway_id=pathway_id)
    _check_version(pathway, expected_version)
    if not reason:
        raise EventRejected(_("Say why the pathway is reopened."))
    if pathway.status != PathwayStatus.closed.value:
        raise EventRejected(_("The pathway is open; only an ended pathway can be reopened."))
    already_open = session.exec(
        select(Pathway.id)
        .where(Pathway.patient_id == patient.id)
        .where(Pathway.status == PathwayStatus.open.value)
    ).first()
    if already_open is not None:
        raise EventRejected(_("The patient already has an open pathway."))
    ends = [
        e
        for e in pathway_events(session, pathway_id=pathway_id)
        if e.kind == EventKind.pathway_end.value and e.status == EventStatus.active.value
    ]
    for end in ends:
        end.status = EventStatus.cancelled.value
        end.cancel_reason = reason[:500]
        end.version += 1
        session.add(end)
    restored = restore_after_end(session, pathway_id=pathway_id)
    pathway.status, pathway.ended_on, pathway.end_reason = PathwayStatus.open.value, None, None
    pathway.version += 1
    session.add(pathway)
    session.flush()
    record(
        session,
        viewer=viewer,
        action=AuditAction.update,
        what="pathway reopened",
        patient_id=patient.id,
        detail=f"pathway {pathway_id}: {reason[:300]}; {restored} checklists restored",
    )
    return pathway, restored


__all__ = [
    "EndReason",
    "EventConflict",
    "PathwayConflict",
    "end_pathway",
    "end_reason_labels",
    "reopen_pathway",
    "transfer_pathway",
    "transfer_targets",
]
