"""Follow-ups in the day's work: raised and withdrawn with the answers, done or not needed.

The checklists service calls ``sync_follow_ups`` whenever answers are saved, in the same
transaction: a rule met creates its follow-up, a corrected answer that removes the risk
cancels the open one (done or not-needed follow-ups stay as they were).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.checklists.answer_rules import visible_answers
from app.checklists.catalogue import ChecklistDefinition
from app.checklists.models import ChecklistInstance
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.i18n import _
from app.org.models import LearningNetwork, Organisation, Team
from app.org.scope import Viewer
from app.pathways.events import responsible_team
from app.pathways.models import Pathway, Patient
from app.pathways.scheduling import attribution_dates
from app.pathways.service import PatientNotFound
from app.risks.models import CancelCause, FollowUp, FollowUpStatus
from app.risks.rules import RiskRule, risk_rules_in_use


class FollowUpRefused(ValueError):
    """The follow-up cannot be marked as asked; the message says why (422)."""


class FollowUpConflict(Exception):
    """Someone else changed the follow-up first (409)."""

    def __init__(self, current: FollowUp) -> None:
        super().__init__(_("Someone else changed this follow-up meanwhile. Reload and try again."))
        self.current = current


@dataclass
class FollowUpView:
    """A follow-up with its rule and the patient it is for."""

    follow_up: FollowUp
    rule: RiskRule | None
    patient_id: int
    patient_label: str

    @property
    def status(self) -> str:
        """The status a person sees: an open follow-up whose window has closed is 'missed'."""
        return effective_status(self.follow_up)


def effective_status(follow_up: FollowUp, now: datetime | None = None) -> str:
    """The stored status, or 'missed' for an open follow-up past its window."""
    if follow_up.status == FollowUpStatus.open.value and follow_up.window_end < (now or utcnow()):
        return "missed"
    return follow_up.status


def _network_slug(session: Session, team_id: int) -> str | None:
    """The slug of the learning network a team belongs to."""
    row = session.exec(
        select(LearningNetwork.slug)
        .join(Organisation, col(Organisation.network_id) == col(LearningNetwork.id))
        .join(Team, col(Team.organisation_id) == col(Organisation.id))
        .where(Team.id == team_id)
    ).first()
    return row


def _schedule(
    session: Session,
    follow_up: FollowUp,
    rule: RiskRule,
    *,
    pathway: Pathway,
    patient: Patient,
    found_at: datetime,
) -> None:
    """Give a follow-up its window, local due dates and the team responsible at its end."""
    start, end = rule.window(found_at, get_settings().zone)
    dates = attribution_dates(end)
    follow_up.window_start, follow_up.window_end = start, end
    follow_up.due_date, follow_up.due_week, follow_up.due_month = (
        dates.due_date,
        dates.due_week,
        dates.due_month,
    )
    follow_up.team_id = responsible_team(session, pathway=pathway, patient=patient, at=end)


def sync_follow_ups(
    session: Session,
    *,
    viewer: Viewer,
    instance: ChecklistInstance,
    definition: ChecklistDefinition,
    values: dict[str, Any],
    pathway: Pathway,
    patient: Patient,
    now: datetime | None = None,
    previous: dict[str, Any] | None = None,
) -> list[FollowUp]:
    """Create the follow-ups a checklist's answers call for; cancel the open ones they no
    longer call for. Returns the follow-ups created, reopened or cancelled.

    With ``previous`` (the answers before this save), a save that leaves every rule unmet
    before and after changes nothing and reads nothing: most answers touch no risk."""
    now = now or utcnow()
    in_use = risk_rules_in_use()
    network = (
        _network_slug(session, patient.team_id) if in_use.network_specific(definition.id) else None
    )
    rules = in_use.for_checklist(definition.id, network)
    if not rules:
        return []
    shown = visible_answers(definition, values)
    met = {rule.id for rule in rules if rule.met_by_shown(definition.id, shown)}
    if not met and previous is not None:
        shown_before = visible_answers(definition, previous)
        if not any(rule.met_by_shown(definition.id, shown_before) for rule in rules):
            return []
    existing = {
        f.rule_id: f
        for f in session.exec(select(FollowUp).where(FollowUp.instance_id == instance.id)).all()
    }
    changed: list[FollowUp] = []
    for rule in rules:
        current = existing.get(rule.id)
        if rule.id in met and current is None:
            current = FollowUp(
                pathway_id=int(pathway.id or 0),
                instance_id=int(instance.id or 0),
                rule_id=rule.id,
                owner=rule.owner,
                team_id=patient.team_id,
                window_start=now,
                window_end=now,
                due_date=now.date(),
                due_week=now.date(),
                due_month=now.date(),
            )
            _schedule(session, current, rule, pathway=pathway, patient=patient, found_at=now)
        elif current is None:
            continue
        elif rule.id in met and current.cancel_cause == CancelCause.answer_changed.value:
            # The risk is back after a correction: a fresh window from now.
            current.status, current.cancel_cause = FollowUpStatus.open.value, None
            current.version += 1
            _schedule(session, current, rule, pathway=pathway, patient=patient, found_at=now)
        elif (
            rule.id not in met
            and current.status == FollowUpStatus.open.value
            and current.window_end >= now
        ):
            # Once the window has closed the follow-up was missed; a late correction does not
            # take it out of the measure (a person may still mark it not needed, with why).
            current.status = FollowUpStatus.cancelled.value
            current.cancel_cause = CancelCause.answer_changed.value
            current.version += 1
        else:
            continue
        session.add(current)
        changed.append(current)
    if changed:
        session.flush()
        record(
            session,
            viewer=viewer,
            action=AuditAction.update,
            what="follow-ups",
            patient_id=patient.id,
            detail=f"instance {instance.id}: "
            + ", ".join(f"{f.rule_id} {f.status}" for f in changed),
        )
    return changed


def _views(session: Session, query: Any) -> list[FollowUpView]:
    """Run a query of (FollowUp, patient id, label) rows into views with their rules."""
    rules = risk_rules_in_use()
    return [
        FollowUpView(follow_up, rules.get(follow_up.rule_id), int(patient_id or 0), label)
        for follow_up, patient_id, label in session.exec(query).all()
    ]


def _with_patient() -> Any:
    """Follow-ups joined to their pathway's patient."""
    return (
        select(FollowUp, Patient.id, Patient.label)
        .join(Pathway, col(Pathway.id) == col(FollowUp.pathway_id))
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
    )


def pathway_follow_ups(
    session: Session, *, viewer: Viewer, pathway: Pathway, patient: Patient
) -> list[FollowUpView]:
    """Every follow-up of a pathway the viewer may see, open ones first (audited)."""
    views = _views(
        session,
        _with_patient()
        .where(FollowUp.pathway_id == pathway.id)
        .order_by(col(FollowUp.window_end), col(FollowUp.id)),
    )
    record(
        session,
        viewer=viewer,
        action=AuditAction.read,
        what="follow-ups",
        patient_id=patient.id,
        detail=f"pathway {pathway.id}: {len(views)} follow-ups",
    )
    order = {FollowUpStatus.open.value: 0}
    return sorted(views, key=lambda v: order.get(v.follow_up.status, 1))


def open_follow_ups(
    session: Session,
    *,
    viewer: Viewer,
    team_ids: frozenset[int] | set[int],
    now: datetime | None = None,
) -> list[FollowUpView]:
    """The open follow-ups of some of the viewer's teams, due now or overdue (for "My day")."""
    now = now or utcnow()
    team_ids = set(team_ids) & set(viewer.patient_team_ids)
    if not team_ids:
        return []
    views = _views(
        session,
        _with_patient()
        .where(col(FollowUp.team_id).in_(team_ids))
        .where(FollowUp.status == FollowUpStatus.open.value)
        .where(col(FollowUp.window_start) <= now)
        .order_by(col(FollowUp.window_end), col(FollowUp.id)),
    )
    record(
        session,
        viewer=viewer,
        action=AuditAction.read,
        what="my day follow-ups",
        detail=f"{len(views)} open follow-ups",
    )
    return views


def _load(
    session: Session, *, viewer: Viewer, follow_up_id: int, expected_version: int
) -> tuple[FollowUp, Patient]:
    """A follow-up the viewer may change, still open, at the version they saw."""
    row = session.exec(
        select(FollowUp, Patient)
        .join(Pathway, col(Pathway.id) == col(FollowUp.pathway_id))
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .where(FollowUp.id == follow_up_id)
        .with_for_update(of=FollowUp)
    ).first()
    if row is None:
        raise PatientNotFound()
    follow_up, patient = row
    if not (
        viewer.may_see_patients_of(follow_up.team_id) or viewer.may_see_patients_of(patient.team_id)
    ):
        raise PatientNotFound()
    if follow_up.version != expected_version:
        raise FollowUpConflict(follow_up)
    if follow_up.status != FollowUpStatus.open.value:
        raise FollowUpRefused(_("The follow-up is already closed."))
    return follow_up, patient


def _closed(session: Session, viewer: Viewer, follow_up: FollowUp, patient: Patient) -> FollowUp:
    """Save a closed follow-up and audit it."""
    follow_up.version += 1
    session.add(follow_up)
    session.flush()
    record(
        session,
        viewer=viewer,
        action=AuditAction.update,
        what=f"follow-up {follow_up.rule_id} {follow_up.status.replace('_', ' ')}",
        patient_id=patient.id,
        detail=f"follow-up {follow_up.id}",
    )
    return follow_up


def mark_done(
    session: Session,
    *,
    viewer: Viewer,
    follow_up_id: int,
    expected_version: int,
    done_at: datetime | None = None,
    now: datetime | None = None,
) -> FollowUp:
    """Mark a follow-up done, with when the work was done (not in the future)."""
    now = now or utcnow()
    done_at = done_at or now
    follow_up, patient = _load(
        session, viewer=viewer, follow_up_id=follow_up_id, expected_version=expected_version
    )
    if done_at > now:
        raise FollowUpRefused(_("The time the work was done cannot be in the future."))
    if done_at < follow_up.window_start:
        raise FollowUpRefused(_("The time the work was done is before the risk was found."))
    follow_up.status = FollowUpStatus.done.value
    follow_up.done_at, follow_up.recorded_at = done_at, now
    follow_up.done_by_id = viewer.user_id
    return _closed(session, viewer, follow_up, patient)


def mark_not_needed(
    session: Session, *, viewer: Viewer, follow_up_id: int, expected_version: int, reason: str
) -> FollowUp:
    """Mark a follow-up not needed, with the reason (it leaves the measures)."""
    reason = (reason or "").strip()
    if not reason:
        raise FollowUpRefused(_("Say why the follow-up is not needed."))
    follow_up, patient = _load(
        session, viewer=viewer, follow_up_id=follow_up_id, expected_version=expected_version
    )
    follow_up.status = FollowUpStatus.not_needed.value
    follow_up.not_needed_reason = reason[:500]
    follow_up.recorded_at = utcnow()
    return _closed(session, viewer, follow_up, patient)
