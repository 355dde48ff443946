"""Filling checklists: answers saved one at a time, conflicts caught, completion checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.checklists.answer_rules import (
    is_answered,
    missing_required,
    progress,
    set_answer,
    validate_answer,
)
from app.checklists.catalogue import ChecklistDefinition
from app.checklists.in_use import catalogue_in_use
from app.checklists.models import (
    ChecklistAnswer,
    ChecklistAnswerRevision,
    ChecklistInstance,
    InstanceStatus,
)
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.i18n import _, current_language
from app.org.models import User
from app.org.scope import Viewer
from app.pathways.models import Pathway, PathwayEvent, Patient
from app.pathways.service import PatientNotFound
from app.risks.service import sync_follow_ups

OPEN_STATUSES = (InstanceStatus.due.value, InstanceStatus.in_progress.value)
EARLY_REPEAT = timedelta(days=30)


def effective_status(instance: ChecklistInstance, now: datetime | None = None) -> str:
    """The status a person sees: an open checklist whose window has closed is 'missed'."""
    now = now or utcnow()
    if instance.status in OPEN_STATUSES and instance.window_end < now:
        return "missed"
    return instance.status


class ChecklistClosed(Exception):
    """The checklist is completed, not applicable or cancelled: answers cannot change (409)."""

    def __init__(self, instance: ChecklistInstance) -> None:
        messages = {
            InstanceStatus.completed.value: _(
                "The checklist is completed; its answers are kept as they were."
            ),
            InstanceStatus.not_applicable.value: _("The checklist is marked not applicable."),
            InstanceStatus.cancelled.value: _("The checklist was cancelled with its event."),
        }
        if instance.status == InstanceStatus.cancelled.value and not instance.event_cancelled:
            messages[instance.status] = _("The checklist was cancelled because the pathway ended.")
        super().__init__(messages.get(instance.status, _("The checklist cannot be changed.")))
        self.instance = instance


@dataclass
class AnswerConflict(Exception):
    """Someone else saved this item after the version the user saw (409)."""

    item_id: str
    current_value: Any
    current_version: int
    answered_by: str | None
    answered_at: datetime | None

    def __str__(self) -> str:
        return _("{who} changed this answer meanwhile. Check it and save again.").format(
            who=self.answered_by or _("Someone else")
        )


class IdempotencyKeyReused(Exception):
    """A change's idempotency key came back with another item or value: not a retry (409)."""

    def __init__(self) -> None:
        super().__init__(
            _("This change was already saved as another answer. Reload the page and try again.")
        )


class CompletionRefused(Exception):
    """Complete was refused: the required items still missing, or a bad time (422)."""

    def __init__(self, message: str, missing: list[str] | None = None) -> None:
        super().__init__(message)
        self.missing = missing or []


@dataclass
class ChecklistView:
    """An instance with its definition, answers and who the patient is."""

    instance: ChecklistInstance
    definition: ChecklistDefinition
    answers: dict[str, ChecklistAnswer]
    patient: Patient
    pathway: Pathway

    @property
    def values(self) -> dict[str, Any]:
        """Item id → stored value."""
        return {item_id: a.value for item_id, a in self.answers.items() if is_answered(a.value)}

    @property
    def progress(self) -> tuple[int, int]:
        """(answered visible items, visible items)."""
        return progress(self.definition, self.values)

    @property
    def status(self) -> str:
        """The status as a person sees it (missed included)."""
        return effective_status(self.instance)


def _load(
    session: Session, *, viewer: Viewer, instance_id: int, for_change: bool = False
) -> ChecklistView:
    """Load an instance the viewer may work on, or PatientNotFound (existence is private).

    ``for_change`` locks the instance row until the transaction ends (PostgreSQL; SQLite's
    writers are serialised already) and reads everything fresh, so that concurrent saves on
    one checklist, including a retry racing its own original, are decided one after another.
    """
    query = (
        select(ChecklistInstance, Pathway, Patient)
        .join(Pathway, col(Pathway.id) == col(ChecklistInstance.pathway_id))
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .where(ChecklistInstance.id == instance_id)
    )
    if for_change:
        query = query.with_for_update(of=ChecklistInstance).execution_options(
            populate_existing=True
        )
    row = session.exec(query).first()
    if row is None:
        raise PatientNotFound()
    instance, pathway, patient = row
    if not (
        viewer.may_see_patients_of(instance.team_id) or viewer.may_see_patients_of(patient.team_id)
    ):
        raise PatientNotFound()
    definition = catalogue_in_use().resolve(
        instance.definition_id, instance.definition_version, instance.variant
    )
    answers = {
        a.item_id: a
        for a in session.exec(
            select(ChecklistAnswer)
            .where(ChecklistAnswer.instance_id == instance.id)
            .execution_options(populate_existing=for_change)
        ).all()
    }
    return ChecklistView(instance, definition, answers, patient, pathway)


def get_checklist(session: Session, *, viewer: Viewer, instance_id: int) -> ChecklistView:
    """Open a checklist for reading or filling (audited)."""
    view = _load(session, viewer=viewer, instance_id=instance_id)
    record(
        session,
        viewer=viewer,
        action=AuditAction.read,
        what=f"checklist {view.definition.id}",
        patient_id=view.patient.id,
        detail=f"instance {instance_id}",
    )
    return view


def _user_name(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id else None
    return user.display_name if user else None


def _revision_with_key(session: Session, key: str) -> ChecklistAnswerRevision | None:
    """The saved version of an answer that carried this idempotency key, if any."""
    return session.exec(
        select(ChecklistAnswerRevision).where(ChecklistAnswerRevision.idempotency_key == key)
    ).first()


def save_answer(
    session: Session,
    *,
    viewer: Viewer,
    instance_id: int,
    item_id: str,
    value: Any,
    expected_version: int,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> tuple[ChecklistView, ChecklistAnswer]:
    """Save one answer: validated, never over someone else's newer answer, safe to retry."""
    now = now or utcnow()
    view = _load(session, viewer=viewer, instance_id=instance_id, for_change=True)
    today = now.astimezone(get_settings().zone).date()
    if idempotency_key and (replay := _revision_with_key(session, idempotency_key)):
        if (
            replay.instance_id != instance_id
            or replay.item_id != item_id
            or replay.value != validate_answer(view.definition.item(item_id), value, today=today)
        ):
            raise IdempotencyKeyReused()
        return view, view.answers[item_id]
    if view.instance.status not in OPEN_STATUSES:
        raise ChecklistClosed(view.instance)
    _refuse_computed(view.definition, item_id)
    current = view.answers.get(item_id)
    current_version = current.version if current else 0
    previous = view.values
    updated = set_answer(view.definition, previous, item_id, value, today=today)
    if expected_version != current_version:
        raise AnswerConflict(
            item_id=item_id,
            current_value=current.value if current else None,
            current_version=current_version,
            answered_by=_user_name(session, current.answered_by_id) if current else None,
            answered_at=current.answered_at if current else None,
        )
    normalised = updated.get(item_id)
    if current is None:
        current = ChecklistAnswer(
            instance_id=instance_id,
            item_id=item_id,
            value=normalised,
            answered_by_id=viewer.user_id,
            answered_at=now,
        )
    else:
        current.value = normalised
        current.version += 1
        current.answered_by_id = viewer.user_id
        current.answered_at = now
    session.add(current)
    session.flush()
    session.add(
        ChecklistAnswerRevision(
            answer_id=int(current.id or 0),
            instance_id=instance_id,
            item_id=item_id,
            version=current.version,
            value=normalised,
            answered_by_id=viewer.user_id,
            answered_at=now,
            idempotency_key=idempotency_key,
        )
    )
    if view.instance.status == InstanceStatus.due.value:
        view.instance.status = InstanceStatus.in_progress.value
        view.instance.version += 1
        session.add(view.instance)
    session.flush()
    view.answers[item_id] = current
    _recompute(session, view, viewer, now)
    sync_follow_ups(
        session,
        viewer=viewer,
        instance=view.instance,
        definition=view.definition,
        values=view.values,
        pathway=view.pathway,
        patient=view.patient,
        now=now,
        previous=previous,
    )
    record(
        session,
        viewer=viewer,
        action=AuditAction.update,
        what=f"answer {view.definition.id}",
        patient_id=view.patient.id,
        detail=f"instance {instance_id} item {item_id}",
    )
    return view, current


def complete_checklist(
    session: Session,
    *,
    viewer: Viewer,
    instance_id: int,
    performed_at: datetime | None = None,
    now: datetime | None = None,
    idempotency_key: str | None = None,
) -> ChecklistView:
    """Complete a checklist when every required item is answered; record when it was done."""
    now = now or utcnow()
    performed_at = performed_at or now
    view = _load(session, viewer=viewer, instance_id=instance_id, for_change=True)
    if view.instance.status not in OPEN_STATUSES or _already_closed_by(view, idempotency_key):
        return _replayed(view, idempotency_key)
    if performed_at > now:
        raise CompletionRefused(_("The time the work was done cannot be in the future."))
    if performed_at < _earliest_performed_at(session, view.instance):
        raise CompletionRefused(
            _("The time the work was done is before the event that called for the checklist.")
        )
    missing = missing_required(view.definition, view.values)
    if missing:
        labels = [item.label.get(current_language()) for item in missing]
        raise CompletionRefused(
            _("Answer these before completing: {items}.").format(items=", ".join(labels)),
            [item.id for item in missing],
        )
    view.instance.performed_at = performed_at
    view.instance.completed_by_id = viewer.user_id
    view.instance.closing_key = idempotency_key
    return _close(session, viewer, view, InstanceStatus.completed, recorded_at=now)


def mark_not_applicable(
    session: Session,
    *,
    viewer: Viewer,
    instance_id: int,
    reason: str,
    idempotency_key: str | None = None,
) -> ChecklistView:
    """Mark a whole checklist not applicable, with the reason (it leaves the measures)."""
    reason = (reason or "").strip()
    if not reason:
        raise CompletionRefused(_("Say why the checklist does not apply."))
    view = _load(session, viewer=viewer, instance_id=instance_id, for_change=True)
    if view.instance.status not in OPEN_STATUSES or _already_closed_by(view, idempotency_key):
        return _replayed(view, idempotency_key)
    view.instance.not_applicable_reason = reason[:500]
    view.instance.closing_key = idempotency_key
    return _close(session, viewer, view, InstanceStatus.not_applicable, recorded_at=utcnow())


def _already_closed_by(view: ChecklistView, idempotency_key: str | None) -> bool:
    """Whether this key closed the checklist before it was reopened: a late retry of that
    closing (from a tablet's queue) must not close it again behind the reopening's back."""
    return idempotency_key is not None and view.instance.closing_key == idempotency_key


def _replayed(view: ChecklistView, idempotency_key: str | None) -> ChecklistView:
    """A closed checklist: the same request again (same key) is answered as before."""
    if idempotency_key is None or view.instance.closing_key != idempotency_key:
        raise ChecklistClosed(view.instance)
    return view


def _close(
    session: Session,
    viewer: Viewer,
    view: ChecklistView,
    status: InstanceStatus,
    *,
    recorded_at: datetime,
) -> ChecklistView:
    """Close a checklist with a final status, when it was entered, and an audit entry."""
    view.instance.status = status.value
    view.instance.recorded_at = recorded_at
    view.instance.version += 1
    session.add(view.instance)
    session.flush()
    _keep_status_change(session, viewer, view.instance, status)
    record(
        session,
        viewer=viewer,
        action=AuditAction.update,
        what=f"checklist {view.definition.id} {status.value.replace('_', ' ')}",
        patient_id=view.patient.id,
        detail=f"instance {view.instance.id}",
    )
    return view


def _earliest_performed_at(session: Session, instance: ChecklistInstance) -> datetime:
    """Work cannot be done before the event that called for it (a month early for repeats)."""
    event = session.get(PathwayEvent, instance.event_id) if instance.event_id else None
    if event is not None and instance.occurrence == 0:
        return min(event.occurred_at, instance.window_start)
    return instance.window_start - EARLY_REPEAT


def _keep_status_change(
    session: Session, viewer: Viewer, instance: ChecklistInstance, status: InstanceStatus
) -> None:
    """Keep the closing in the checklist's history (app/checklists/corrections.py)."""
    from app.checklists.corrections import record_status_change

    record_status_change(
        session, viewer=viewer, instance=instance, action=status.value, now=instance.recorded_at
    )
    session.flush()


def _refuse_computed(definition: ChecklistDefinition, item_id: str) -> None:
    """Computed items are never typed (app/checklists/computed_answers.py)."""
    from app.checklists.computed_answers import refuse_computed

    refuse_computed(definition, item_id)


def _recompute(session: Session, view: ChecklistView, viewer: Viewer, now: datetime) -> None:
    """Work the computed items out again after a save (app/checklists/computed_answers.py)."""
    from app.checklists.computed_answers import recompute_answers

    recompute_answers(session, view=view, user_id=viewer.user_id, now=now)
    session.flush()
