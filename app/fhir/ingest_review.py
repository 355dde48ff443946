"""The review list of incoming hospital events: encounters no patient was found for, waiting
for a nurse of the sending organisation's teams to link them to a patient or register one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.core.config import get_settings
from app.core.i18n import _
from app.fhir.ingest import record_stay
from app.fhir.ingest_encounters import EntryProblem
from app.fhir.ingest_models import IncomingEncounter, IncomingState
from app.org.models import Organisation, Team
from app.org.scope import Viewer
from app.pathways.models import Pathway, PathwayStatus, Patient
from app.pathways.service import PatientNotFound, open_pathway, register_patient


class IncomingRefused(ValueError):
    """The incoming event cannot be handled as asked; the message says why (422)."""


class IncomingChanged(Exception):
    """Someone else handled the incoming event first (409)."""

    def __init__(self) -> None:
        super().__init__(_("Someone else handled this incoming event meanwhile. Reload the list."))


@dataclass(frozen=True)
class Waiting:
    """One waiting encounter as the list shows it."""

    encounter: IncomingEncounter
    organisation: Organisation

    @property
    def kind(self) -> str:
        """An admission while the stay goes on, a discharge once it is finished."""
        return "hospital_discharge" if self.encounter.status == "finished" else "hospital_admission"

    @property
    def reason(self) -> str:
        """Why it waits, in the reader's language (the stored problem is the sender's)."""
        if self.encounter.patient_id is None:
            return _("No patient of {name} has the local reference '{reference}'.").format(
                name=self.organisation.name, reference=self.encounter.subject_value
            )
        return _("The patient has no open pathway.")

    @property
    def at(self) -> datetime | None:
        """When the admission or discharge happened."""
        e = self.encounter
        return e.period_end if e.status == "finished" else e.period_start


def _organisation_ids(session: Session, viewer: Viewer) -> list[int]:
    """The organisations whose teams the viewer works with patients in."""
    if not viewer.patient_team_ids:
        return []
    return sorted(
        {
            int(o)
            for o in session.exec(
                select(Team.organisation_id).where(
                    col(Team.id).in_(sorted(viewer.patient_team_ids))
                )
            )
        }
    )


def waiting_list(session: Session, *, viewer: Viewer) -> list[Waiting]:
    """The encounters waiting for the viewer's organisations, oldest first (audited)."""
    organisation_ids = _organisation_ids(session, viewer)
    rows = session.exec(
        select(IncomingEncounter, Organisation)
        .join(Organisation, col(Organisation.id) == col(IncomingEncounter.organisation_id))
        .where(col(IncomingEncounter.organisation_id).in_(organisation_ids))
        .where(IncomingEncounter.state == IncomingState.waiting.value)
        .order_by(col(IncomingEncounter.created_at), col(IncomingEncounter.id))
    ).all()
    record(
        session,
        viewer=viewer,
        action=AuditAction.read,
        what="incoming events",
        detail=f"{len(rows)} waiting; organisations {organisation_ids}",
    )
    return [Waiting(encounter, organisation) for encounter, organisation in rows]


def get_incoming(session: Session, *, viewer: Viewer, incoming_id: int) -> Waiting:
    """One incoming encounter of the viewer's organisations (else PatientNotFound), audited."""
    found = session.get(IncomingEncounter, incoming_id)
    if found is None or found.organisation_id not in _organisation_ids(session, viewer):
        raise PatientNotFound()
    organisation = session.get(Organisation, found.organisation_id)
    assert organisation is not None
    record(
        session,
        viewer=viewer,
        action=AuditAction.read,
        what="incoming event",
        patient_id=found.patient_id,
        detail=f"incoming {found.id}",
    )
    return Waiting(found, organisation)


def teams_for(session: Session, *, viewer: Viewer, organisation_id: int) -> list[Team]:
    """The viewer's teams in the sending organisation (where a patient may be registered)."""
    return list(
        session.exec(
            select(Team)
            .where(Team.organisation_id == organisation_id)
            .where(col(Team.id).in_(sorted(viewer.patient_team_ids)))
            .order_by(col(Team.name))
        ).all()
    )


def _waiting(session: Session, viewer: Viewer, incoming_id: int, version: int) -> Waiting:
    """An encounter still waiting, at the version the nurse saw."""
    item = get_incoming(session, viewer=viewer, incoming_id=incoming_id)
    if item.encounter.version != version or item.encounter.state != IncomingState.waiting.value:
        raise IncomingChanged()
    return item


def link_patient(
    session: Session,
    *,
    viewer: Viewer,
    incoming_id: int,
    patient_id: int,
    version: int,
    now: datetime,
) -> IncomingEncounter:
    """Link a waiting encounter to a patient of the organisation and record its events."""
    item = _waiting(session, viewer, incoming_id, version)
    patient = session.get(Patient, patient_id)
    teams = {
        int(t.id or 0)
        for t in teams_for(session, viewer=viewer, organisation_id=item.organisation.id or 0)
    }
    if patient is None or patient.team_id not in teams:
        raise IncomingRefused(
            _("Choose a patient of your teams in {name}.").format(name=item.organisation.name)
        )
    pathway_id = session.exec(
        select(Pathway.id)
        .where(Pathway.patient_id == patient.id)
        .where(Pathway.status == PathwayStatus.open.value)
    ).first()
    if pathway_id is None:
        raise IncomingRefused(
            _("The patient has no open pathway: open one on the patient's page first.")
        )
    encounter = item.encounter
    encounter.patient_id = patient.id
    try:
        record_stay(session, viewer=viewer, record=encounter, pathway_id=pathway_id, now=now)
    except EntryProblem as exc:
        raise IncomingRefused(str(exc)) from exc
    encounter.version += 1
    session.add(encounter)
    session.flush()
    record(
        session,
        viewer=viewer,
        action=AuditAction.update,
        what="incoming event linked",
        patient_id=patient.id,
        detail=f"incoming {encounter.id} ({encounter.identifier_value})",
    )
    return encounter


def register_and_link(
    session: Session,
    *,
    viewer: Viewer,
    incoming_id: int,
    team_id: int,
    label: str,
    version: int,
    now: datetime,
) -> IncomingEncounter:
    """Register the encounter's patient on one of the viewer's teams, open a pathway from the
    stay's day, and link the encounter to it."""
    item = _waiting(session, viewer, incoming_id, version)
    if team_id not in {
        int(t.id or 0)
        for t in teams_for(session, viewer=viewer, organisation_id=item.organisation.id or 0)
    }:
        raise IncomingRefused(
            _("Choose one of your teams in {name}.").format(name=item.organisation.name)
        )
    patient = register_patient(
        session,
        viewer=viewer,
        team_id=team_id,
        label=label,
        local_reference=item.encounter.subject_value,
    )
    first = item.encounter.period_start or item.encounter.period_end or now
    started_on = first.astimezone(get_settings().zone).date()
    open_pathway(session, viewer=viewer, patient_id=int(patient.id or 0), started_on=started_on)
    return link_patient(
        session,
        viewer=viewer,
        incoming_id=incoming_id,
        patient_id=int(patient.id or 0),
        version=version,
        now=now,
    )


def dismiss(
    session: Session, *, viewer: Viewer, incoming_id: int, version: int
) -> IncomingEncounter:
    """Take an encounter off the list: it is not one of the organisation's patients."""
    encounter = _waiting(session, viewer, incoming_id, version).encounter
    encounter.state = IncomingState.dismissed.value
    encounter.version += 1
    session.add(encounter)
    session.flush()
    record(
        session,
        viewer=viewer,
        action=AuditAction.update,
        what="incoming event dismissed",
        patient_id=encounter.patient_id,
        detail=f"incoming {encounter.id} ({encounter.identifier_value})",
    )
    return encounter
