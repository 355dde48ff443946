"""Hospital events in: an encounter becomes admission and discharge events on a pathway.

An encounter in progress is an admission at ``period.start``; a finished one a discharge at
``period.end`` (its admission is not invented when it was never sent); entered-in-error
cancels what it recorded. Every event goes through ``app.pathways.events`` (record, correct,
cancel), exactly as when a nurse types it, so the same checklists fall due in the same windows.
An encounter is known by its sender's identifier within the organisation: sending it again
changes nothing; a changed period corrects the events as a correction by hand does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.core.i18n import _
from app.fhir.ingest_encounters import CANCELLING, NOTHING_YET, EncounterIn, EntryProblem
from app.fhir.ingest_models import IncomingEncounter, IncomingState
from app.fhir.ingest_source import Source, check_provider, match_patient
from app.org.scope import Viewer
from app.pathways.events import EventRejected, cancel_event, correct_event, record_event
from app.pathways.models import (
    EventKind,
    EventStatus,
    Pathway,
    PathwayEvent,
    PathwayStatus,
    Patient,
)

ADMISSION, DISCHARGE = EventKind.hospital_admission.value, EventKind.hospital_discharge.value


@dataclass(frozen=True)
class Received:
    """What became of one encounter: 201 recorded, 200 changed or unchanged, 202 waits."""

    status: int
    message: str
    incoming_id: int | None = None


def _known(session: Session, source: Source, encounter: EncounterIn) -> IncomingEncounter | None:
    """The encounter as received before, by the sender's identifier."""
    return session.exec(
        select(IncomingEncounter)
        .where(IncomingEncounter.organisation_id == source.organisation.id)
        .where(IncomingEncounter.identifier_system == encounter.identifier_system)
        .where(IncomingEncounter.identifier_value == encounter.identifier_value)
    ).first()


def _active(session: Session, event_id: int | None) -> PathwayEvent | None:
    """An event the encounter recorded, or None when there is none."""
    return session.get(PathwayEvent, event_id) if event_id else None


def _pathway_for(session: Session, record: IncomingEncounter, patient: Patient) -> int | None:
    """The pathway the encounter's events are on, or the patient's open pathway."""
    for event_id in (record.admission_event_id, record.discharge_event_id):
        event = _active(session, event_id)
        if event is not None:
            return event.pathway_id
    return session.exec(
        select(Pathway.id)
        .where(Pathway.patient_id == patient.id)
        .where(Pathway.status == PathwayStatus.open.value)
        .order_by(col(Pathway.started_on).desc())
    ).first()


def record_stay(
    session: Session,
    *,
    viewer: Viewer,
    record: IncomingEncounter,
    pathway_id: int,
    now: datetime,
    where: str = "Encounter",
) -> str:
    """Make the pathway's events say what the encounter says: 'created', 'changed' or ''."""
    admission = _active(session, record.admission_event_id)
    discharge = _active(session, record.discharge_event_id)
    want: dict[str, datetime | None] = {
        ADMISSION: record.period_start if record.status == "in-progress" or admission else None,
        DISCHARGE: record.period_end if record.status == "finished" else None,
    }
    if admission is not None and want[ADMISSION] is None:
        want[ADMISSION] = admission.occurred_at
    start, end = want[ADMISSION], want[DISCHARGE]
    if start is not None and end is not None and end < start:
        raise EntryProblem(
            422,
            _("The discharge (period.end) is before the admission ({at}).").format(
                at=start.isoformat()
            ),
            f"{where}.period.end",
            "business-rule",
        )
    done = ""
    if discharge is not None and end is None and discharge.status == EventStatus.active.value:
        cancel_event(
            session,
            viewer=viewer,
            event_id=int(discharge.id or 0),
            reason=_("The hospital reopened the stay (encounter {id}).").format(
                id=record.identifier_value
            ),
            expected_version=discharge.version,
        )
        done = "changed"
    order = [ADMISSION, DISCHARGE]
    if discharge is not None and start is not None and start > discharge.occurred_at:
        order.reverse()  # moving the admission past the old discharge: the discharge goes first
    for kind in order:
        current = admission if kind == ADMISSION else discharge
        done = (
            _one_event(session, viewer, record, pathway_id, kind, current, want[kind], now, where)
            or done
        )
    record.state = IncomingState.recorded.value
    record.problem = None
    return done


def _one_event(
    session: Session,
    viewer: Viewer,
    record: IncomingEncounter,
    pathway_id: int,
    kind: str,
    current: PathwayEvent | None,
    wanted: datetime | None,
    now: datetime,
    where: str,
) -> str:
    """Record, correct or leave one event; an event cancelled by hand stays cancelled."""
    if wanted is None or (current is not None and current.status != EventStatus.active.value):
        return ""
    if current is not None and current.occurred_at == wanted:
        return ""
    path = f"{where}.period.{'start' if kind == ADMISSION else 'end'}"
    try:
        if current is None:
            event, _instances = record_event(
                session,
                viewer=viewer,
                pathway_id=pathway_id,
                kind=kind,
                occurred_at=wanted,
                now=now,
            )
            if kind == ADMISSION:
                record.admission_event_id = event.id
            else:
                record.discharge_event_id = event.id
            return "created"
        correct_event(
            session,
            viewer=viewer,
            event_id=int(current.id or 0),
            occurred_at=wanted,
            expected_version=current.version,
            now=now,
        )
    except EventRejected as exc:
        raise EntryProblem(422, str(exc), path, "business-rule") from exc
    return "changed"


def _cancel(session: Session, source: Source, record: IncomingEncounter | None) -> Received:
    """Entered in error: cancel what the encounter recorded (again: nothing changes)."""
    if record is None:
        return Received(
            200, _("Nothing was recorded for this encounter; there is nothing to cancel.")
        )
    if record.state == IncomingState.cancelled.value:
        return Received(200, _("The encounter was cancelled before; nothing changes."), record.id)
    cancelled = 0
    for event_id in (record.discharge_event_id, record.admission_event_id):
        event = _active(session, event_id)
        if event is not None and event.status == EventStatus.active.value:
            cancel_event(
                session,
                viewer=source.viewer,
                event_id=int(event.id or 0),
                reason=_("Entered in error at the hospital (encounter {id}).").format(
                    id=record.identifier_value
                ),
                expected_version=event.version,
            )
            cancelled += 1
    record.state, record.status = IncomingState.cancelled.value, "entered-in-error"
    record.version += 1
    session.add(record)
    session.flush()
    return Received(
        200,
        _(
            "The encounter is cancelled: {n} events and their unfinished checklists with them."
        ).format(n=cancelled),
        record.id,
    )


def receive(
    session: Session,
    *,
    source: Source,
    encounter: EncounterIn,
    now: datetime,
    where: str = "Encounter",
) -> Received:
    """Take one encounter: record, correct or cancel its events, or put it on the review list."""
    check_provider(source, encounter, where)
    record = _known(session, source, encounter)
    if encounter.status in CANCELLING:
        return _cancel(session, source, record)
    if encounter.status in NOTHING_YET:
        return Received(
            200,
            _("The stay has not begun (status {status}): nothing is recorded.").format(
                status=encounter.status
            ),
            record.id if record else None,
        )
    if record is not None and record.state == IncomingState.cancelled.value:
        raise EntryProblem(
            409,
            _("The hospital cancelled this encounter (entered-in-error); send a new one."),
            f"{where}.identifier",
            "conflict",
        )
    patient = match_patient(
        session,
        source=source,
        system=encounter.subject_system,
        value=encounter.subject_value,
        where=where,
    )
    if record is None:
        record = IncomingEncounter(
            organisation_id=int(source.organisation.id or 0),
            identifier_system=encounter.identifier_system,
            identifier_value=encounter.identifier_value,
            subject_value=encounter.subject_value,
            status=encounter.status,
            token_id=source.token_id,
        )
    _check_order(record, encounter, where)
    before = (record.status, record.period_start, record.period_end, record.subject_value)
    record.subject_system, record.subject_value = encounter.subject_system, encounter.subject_value
    record.status = encounter.status
    record.period_start = encounter.start or record.period_start
    record.period_end = encounter.end if encounter.status == "finished" else None
    if record.state == IncomingState.dismissed.value:
        return _saved(
            session,
            record,
            before,
            Received(
                200,
                _("A nurse marked this encounter as not one of ours; nothing is recorded."),
                None,
            ),
        )
    if record.state == IncomingState.recorded.value and record.patient_id:
        patient = session.get(Patient, record.patient_id)
    pathway_id = _pathway_for(session, record, patient) if patient is not None else None
    if patient is None or pathway_id is None:
        return _saved(session, record, before, _waiting(source, record, patient))
    session.add(record)
    session.flush()
    record.patient_id = patient.id
    done = record_stay(
        session, viewer=source.viewer, record=record, pathway_id=pathway_id, now=now, where=where
    )
    return _saved(
        session,
        record,
        before,
        Received(
            201 if done == "created" else 200,
            {
                "created": _("Recorded on the patient's pathway; its checklists are scheduled."),
                "changed": _("The events are corrected and their checklists rescheduled."),
            }.get(done, _("Already received; nothing changes.")),
            None,
        ),
    )


def _check_order(record: IncomingEncounter, encounter: EncounterIn, where: str) -> None:
    """Refuse a discharge dated before the admission this encounter was received with."""
    start = encounter.start or record.period_start
    if encounter.status == "finished" and start is not None and encounter.end is not None:
        if encounter.end < start:
            raise EntryProblem(
                422,
                _("The discharge (period.end) is before the admission ({at}).").format(
                    at=start.isoformat()
                ),
                f"{where}.period.end",
                "business-rule",
            )


def _waiting(source: Source, record: IncomingEncounter, patient: Patient | None) -> Received:
    """Put the encounter on the organisation's review list, saying why."""
    record.state = IncomingState.waiting.value
    if patient is None:
        record.patient_id = None
        record.problem = _("No patient of {name} has the local reference '{reference}'.").format(
            name=source.organisation.name, reference=record.subject_value
        )[:300]
    else:
        record.patient_id = patient.id
        record.problem = _("The patient has no open pathway.")
    message = (
        record.problem
        + " "
        + _("The encounter waits in the teams' list of incoming events for a nurse to link it.")
    )
    return Received(202, message, None)


def _saved(
    session: Session, record: IncomingEncounter, before: tuple[object, ...], received: Received
) -> Received:
    """Store the record (a new version when something changed) and name it in the result."""
    if record.id is not None and before != (
        record.status,
        record.period_start,
        record.period_end,
        record.subject_value,
    ):
        record.version += 1
    session.add(record)
    session.flush()
    return Received(received.status, received.message, record.id)
