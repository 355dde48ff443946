"""Recording, correcting and cancelling pathway events, and the checklists they schedule."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.checklists.adoptions import local_today, variants_in_force
from app.checklists.catalogue import due_window_for
from app.checklists.in_use import catalogue_in_use
from app.checklists.models import ChecklistAnswer, ChecklistInstance, InstanceStatus
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.i18n import _, format_day
from app.org.models import Team
from app.org.scope import Viewer
from app.pathways.models import (
    EventKind,
    EventStatus,
    Pathway,
    PathwayEvent,
    PathwayStatus,
    PathwayTeam,
    Patient,
)
from app.pathways.scheduling import PlannedInstance, attribution_dates, plan_for_event
from app.pathways.service import PatientNotFound
from app.risks.lifecycle import (
    cancel_follow_ups_after_end,
    cancel_follow_ups_of,
    restore_follow_ups_after_end,
)

UNFINISHED = (InstanceStatus.due.value, InstanceStatus.in_progress.value)
CLOCK_SKEW = timedelta(minutes=5)
ADMISSION_BEFORE_START = timedelta(days=90)
SERIES_HORIZON = timedelta(days=60)


class EventRejected(ValueError):
    """The event cannot be recorded as given; the message says why (HTTP 422)."""


class EventConflict(Exception):
    """Someone else changed the event first (HTTP 409)."""

    def __init__(self, current: PathwayEvent) -> None:
        super().__init__(_("Someone else changed this event meanwhile. Reload and try again."))
        self.current = current


def get_pathway(session: Session, *, viewer: Viewer, pathway_id: int) -> tuple[Pathway, Patient]:
    """Return a pathway of the viewer's teams with its patient, or PatientNotFound."""
    row = session.exec(
        select(Pathway, Patient)
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .where(Pathway.id == pathway_id)
    ).first()
    if row is None or not viewer.may_see_patients_of(row[1].team_id):
        raise PatientNotFound()
    return row


def pathway_events(session: Session, *, pathway_id: int) -> list[PathwayEvent]:
    """All events of a pathway in time order (cancelled ones included)."""
    return list(
        session.exec(
            select(PathwayEvent)
            .where(PathwayEvent.pathway_id == pathway_id)
            .order_by(col(PathwayEvent.occurred_at), col(PathwayEvent.id))
        ).all()
    )


def responsible_team(session: Session, *, pathway: Pathway, patient: Patient, at: datetime) -> int:
    """The team responsible for a pathway at a moment (the patient's team when none is set)."""
    rows = session.exec(
        select(PathwayTeam)
        .where(PathwayTeam.pathway_id == pathway.id)
        .order_by(col(PathwayTeam.from_at))
    ).all()
    team_id = patient.team_id
    for row in rows:
        if row.from_at <= at and (row.until_at is None or at < row.until_at):
            team_id = row.team_id
    return team_id


def order_problem(
    events: list[PathwayEvent],
    *,
    pathway: Pathway,
    kind: str,
    occurred_at: datetime,
    now: datetime,
    ignore_id: int | None = None,
) -> str | None:
    """Why an event cannot stand at this moment among the pathway's events, or None."""
    zone = get_settings().zone
    if occurred_at > now + CLOCK_SKEW:
        return _("The time of the event is in the future; events are recorded after they happen.")
    active = [e for e in events if e.status == EventStatus.active.value and e.id != ignore_id]
    start = datetime.combine(pathway.started_on, datetime.min.time(), zone)
    allowed_before = (
        ADMISSION_BEFORE_START if kind == EventKind.hospital_admission.value else timedelta()
    )
    if occurred_at < start - allowed_before:
        return _("The event is dated before the pathway started ({date}).").format(
            date=format_day(pathway.started_on)
        )
    ends = [e for e in active if e.kind == EventKind.pathway_end.value]
    if ends and kind != EventKind.pathway_end.value and occurred_at > ends[0].occurred_at:
        return _("The pathway ended on {date}; no events can come after that.").format(
            date=format_day(ends[0].occurred_at.astimezone(zone).date())
        )
    if kind == EventKind.pathway_end.value:
        if ends:
            return _("The pathway has already ended.")
        later = [e for e in active if e.occurred_at > occurred_at]
        if later:
            return _("The pathway cannot end before its last event ({date}).").format(
                date=format_day(later[-1].occurred_at.astimezone(zone).date())
            )
    stays = [
        e
        for e in active
        if e.kind in (EventKind.hospital_admission.value, EventKind.hospital_discharge.value)
        and e.occurred_at <= occurred_at
    ]
    last_stay = stays[-1].kind if stays else None
    if (
        kind == EventKind.hospital_discharge.value
        and stays
        and last_stay != EventKind.hospital_admission.value
    ):
        return _("A discharge must follow a hospital admission that has not been discharged.")
    if (
        kind == EventKind.hospital_admission.value
        and last_stay == EventKind.hospital_admission.value
    ):
        return _(
            "The patient is already admitted since {date}; record the discharge first."
        ).format(date=format_day(stays[-1].occurred_at.astimezone(zone).date()))
    return None


def _series_started(session: Session, pathway_id: int) -> frozenset[str]:
    """Repeating lists whose series an earlier event of the pathway already started."""
    return frozenset(
        session.exec(
            select(ChecklistInstance.definition_id)
            .where(ChecklistInstance.pathway_id == pathway_id)
            .where(ChecklistInstance.status != InstanceStatus.cancelled.value)
            .distinct()
        ).all()
    )


def _overlaps_existing(session: Session, pathway_id: int, plan: PlannedInstance) -> bool:
    """Whether the same list is already scheduled for an overlapping window (e.g. hph-2 after
    a discharge and a home-care start on the same day): it is not scheduled twice."""
    return (
        session.exec(
            select(ChecklistInstance.id)
            .where(ChecklistInstance.pathway_id == pathway_id)
            .where(ChecklistInstance.definition_id == plan.definition_id)
            .where(ChecklistInstance.status != InstanceStatus.cancelled.value)
            .where(col(ChecklistInstance.window_start) <= plan.window_end)
            .where(col(ChecklistInstance.window_end) >= plan.window_start)
        ).first()
        is not None
    )


def _adopted_variants(session: Session, team_id: int, now: datetime) -> dict[str, str | None]:
    """The variants the team's organisation has in force today (checklist id → variant)."""
    organisation_id = session.exec(select(Team.organisation_id).where(Team.id == team_id)).first()
    if organisation_id is None:
        return {}
    return variants_in_force(session, organisation_id=organisation_id, on=local_today(now))


def schedule_event(
    session: Session, *, event: PathwayEvent, pathway: Pathway, patient: Patient, now: datetime
) -> list[ChecklistInstance]:
    """Create the checklist instances an event asks for, each with its due window."""
    planned = plan_for_event(
        catalogue_in_use(),
        event_kind=event.kind,
        event_time=event.occurred_at,
        horizon=now + SERIES_HORIZON,
        series_started=_series_started(session, int(pathway.id or 0)),
        adopted=_adopted_variants(session, patient.team_id, now),
    )
    created = []
    for plan in planned:
        if plan.occurrence == 0 and _overlaps_existing(session, int(pathway.id or 0), plan):
            continue
        instance = ChecklistInstance(
            pathway_id=int(pathway.id or 0),
            event_id=event.id,
            team_id=responsible_team(session, pathway=pathway, patient=patient, at=plan.window_end),
            definition_id=plan.definition_id,
            definition_version=plan.definition_version,
            variant=plan.variant,
            occurrence=plan.occurrence,
            window_start=plan.window_start,
            window_end=plan.window_end,
            due_date=plan.dates.due_date,
            due_week=plan.dates.due_week,
            due_month=plan.dates.due_month,
        )
        session.add(instance)
        created.append(instance)
    session.flush()
    return created


def record_event(
    session: Session,
    *,
    viewer: Viewer,
    pathway_id: int,
    kind: str,
    occurred_at: datetime,
    note: str | None = None,
    now: datetime | None = None,
    end_reason: str | None = None,
) -> tuple[PathwayEvent, list[ChecklistInstance]]:
    """Record an event, check it fits the pathway's story, and schedule its checklists."""
    now = now or utcnow()
    pathway, patient = get_pathway(session, viewer=viewer, pathway_id=pathway_id)
    if kind not in {k.value for k in EventKind}:
        raise EventRejected(_("Unknown kind of event."))
    if pathway.status == PathwayStatus.closed.value:
        raise EventRejected(_("The pathway is closed; open a new pathway for new events."))
    problem = order_problem(
        pathway_events(session, pathway_id=pathway_id),
        pathway=pathway,
        kind=kind,
        occurred_at=occurred_at,
        now=now,
    )
    if problem:
        raise EventRejected(problem)
    event = PathwayEvent(
        pathway_id=pathway_id,
        kind=kind,
        occurred_at=occurred_at,
        occurred_on=occurred_at.astimezone(get_settings().zone).date(),
        team_id=responsible_team(session, pathway=pathway, patient=patient, at=occurred_at),
        recorded_by_id=viewer.user_id,
        note=note,
    )
    session.add(event)
    session.flush()
    instances = schedule_event(session, event=event, pathway=pathway, patient=patient, now=now)
    if kind == EventKind.pathway_end.value:
        _close_pathway(session, pathway=pathway, ended_at=occurred_at, reason=end_reason)
    record(
        session,
        viewer=viewer,
        action=AuditAction.create,
        what=f"event {kind}",
        patient_id=patient.id,
        detail=f"event {event.id}; {len(instances)} checklists scheduled",
    )
    return event, instances


def _close_pathway(
    session: Session, *, pathway: Pathway, ended_at: datetime, reason: str | None
) -> None:
    """Close a pathway and cancel the unfinished checklists that would fall due after the end:
    they count nowhere (DESIGN.md §10). What fell due before stays, done or missed."""
    pathway.status = PathwayStatus.closed.value
    pathway.ended_on = ended_at.astimezone(get_settings().zone).date()
    pathway.end_reason = reason
    pathway.version += 1
    session.add(pathway)
    _cancel_after_end(session, pathway_id=int(pathway.id or 0), ended_at=ended_at)


def _cancel_after_end(session: Session, *, pathway_id: int, ended_at: datetime) -> None:
    """Cancel the unfinished checklists (and open follow-ups) of a pathway whose windows end
    after its end."""
    cancel_follow_ups_after_end(session, pathway_id=pathway_id, ended_at=ended_at)
    for instance in session.exec(
        select(ChecklistInstance)
        .where(ChecklistInstance.pathway_id == pathway_id)
        .where(col(ChecklistInstance.status).in_(UNFINISHED))
        .where(col(ChecklistInstance.window_end) > ended_at)
    ).all():
        instance.status = InstanceStatus.cancelled.value
        instance.version += 1
        session.add(instance)


def _event_for_change(
    session: Session, *, viewer: Viewer, event_id: int, expected_version: int
) -> tuple[PathwayEvent, Pathway, Patient]:
    event = session.get(PathwayEvent, event_id)
    if event is None:
        raise PatientNotFound()
    pathway, patient = get_pathway(session, viewer=viewer, pathway_id=event.pathway_id)
    if event.version != expected_version:
        raise EventConflict(event)
    if event.status == EventStatus.cancelled.value:
        raise EventRejected(_("The event is cancelled and cannot be changed."))
    return event, pathway, patient


def correct_event(
    session: Session,
    *,
    viewer: Viewer,
    event_id: int,
    occurred_at: datetime,
    expected_version: int,
    now: datetime | None = None,
) -> tuple[PathwayEvent, int]:
    """Move an event in time and reschedule its unfinished checklists; done work stays."""
    now = now or utcnow()
    event, pathway, patient = _event_for_change(
        session, viewer=viewer, event_id=event_id, expected_version=expected_version
    )
    problem = order_problem(
        pathway_events(session, pathway_id=pathway.id or 0),
        pathway=pathway,
        kind=event.kind,
        occurred_at=occurred_at,
        now=now,
        ignore_id=event.id,
    )
    if problem:
        raise EventRejected(problem)
    before = event.occurred_at
    event.occurred_at = occurred_at
    event.occurred_on = occurred_at.astimezone(get_settings().zone).date()
    event.team_id = responsible_team(session, pathway=pathway, patient=patient, at=occurred_at)
    event.version += 1
    session.add(event)
    moved = 0
    catalogue = catalogue_in_use()
    for instance in session.exec(
        select(ChecklistInstance)
        .where(ChecklistInstance.event_id == event.id)
        .where(col(ChecklistInstance.status).in_(UNFINISHED))
    ).all():
        definition = catalogue.get(instance.definition_id, instance.definition_version)
        window = due_window_for(
            definition, occurred_at, instance.occurrence, zone=get_settings().zone
        )
        dates = attribution_dates(window.end)
        instance.window_start, instance.window_end = window.start, window.end
        instance.due_date, instance.due_week, instance.due_month = (
            dates.due_date,
            dates.due_week,
            dates.due_month,
        )
        instance.team_id = responsible_team(
            session, pathway=pathway, patient=patient, at=window.end
        )
        instance.version += 1
        session.add(instance)
        moved += 1
    if event.kind == EventKind.pathway_end.value:
        pathway.ended_on = occurred_at.astimezone(get_settings().zone).date()
        session.add(pathway)
        restore_after_end(session, pathway_id=int(pathway.id or 0))
        session.flush()
        _cancel_after_end(session, pathway_id=int(pathway.id or 0), ended_at=occurred_at)
    session.flush()
    record(
        session,
        viewer=viewer,
        action=AuditAction.update,
        what=f"event {event.kind} corrected",
        patient_id=patient.id,
        detail=f"event {event.id}: {before.isoformat()} -> {occurred_at.isoformat()}; "
        f"{moved} rescheduled",
    )
    return event, moved


def cancel_event(
    session: Session,
    *,
    viewer: Viewer,
    event_id: int,
    reason: str,
    expected_version: int,
) -> tuple[PathwayEvent, int]:
    """Cancel an event recorded by mistake; unfinished checklists go, done work stays."""
    reason = (reason or "").strip()
    if not reason:
        raise EventRejected(_("Say why the event is cancelled."))
    event, pathway, patient = _event_for_change(
        session, viewer=viewer, event_id=event_id, expected_version=expected_version
    )
    event.status = EventStatus.cancelled.value
    event.cancel_reason = reason[:500]
    event.version += 1
    session.add(event)
    cancelled = restored = 0
    instances = session.exec(
        select(ChecklistInstance).where(ChecklistInstance.event_id == event.id)
    ).all()
    cancel_follow_ups_of(session, instance_ids=[int(i.id or 0) for i in instances])
    for instance in instances:
        instance.event_cancelled = True
        if instance.status in UNFINISHED:
            instance.status = InstanceStatus.cancelled.value
            cancelled += 1
        instance.version += 1
        session.add(instance)
    if event.kind == EventKind.pathway_end.value:
        restored = restore_after_end(session, pathway_id=int(pathway.id or 0))
        pathway.status, pathway.ended_on, pathway.end_reason = PathwayStatus.open.value, None, None
        pathway.version += 1
        session.add(pathway)
    session.flush()
    record(
        session,
        viewer=viewer,
        action=AuditAction.update,
        what=f"event {event.kind} cancelled",
        patient_id=patient.id,
        detail=f"event {event.id}; {cancelled} checklists cancelled, {restored} restored",
    )
    return event, cancelled + restored


def restore_after_end(session: Session, *, pathway_id: int) -> int:
    """Give back the checklists an end cancelled (due again, or in progress if answered), and
    its follow-ups."""
    restore_follow_ups_after_end(session, pathway_id=pathway_id)
    restored = 0
    for instance in session.exec(
        select(ChecklistInstance)
        .where(ChecklistInstance.pathway_id == pathway_id)
        .where(ChecklistInstance.status == InstanceStatus.cancelled.value)
        .where(col(ChecklistInstance.event_cancelled).is_(False))
    ).all():
        answered = session.exec(
            select(ChecklistAnswer.id).where(ChecklistAnswer.instance_id == instance.id)
        ).first()
        instance.status = InstanceStatus.in_progress.value if answered else InstanceStatus.due.value
        instance.version += 1
        session.add(instance)
        restored += 1
    return restored


def local_midday(day: date) -> datetime:
    """Noon local time on a day, for events recorded with a date only."""
    return datetime.combine(day, datetime.min.time(), get_settings().zone) + timedelta(hours=12)
