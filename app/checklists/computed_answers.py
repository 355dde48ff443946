"""Storing computed answers: re-worked out on every save, kept with their revisions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from app.checklists.answer_rules import AnswerError, is_answered
from app.checklists.catalogue import ChecklistDefinition
from app.checklists.computed import computed_value
from app.checklists.models import ChecklistAnswer, ChecklistAnswerRevision
from app.core.i18n import _, current_language

if TYPE_CHECKING:
    from app.checklists.service import ChecklistView


def refuse_computed(definition: ChecklistDefinition, item_id: str) -> None:
    """A computed item is never typed: refuse an answer to it (422)."""
    item = next((i for i in definition.items if i.id == item_id), None)
    if item is not None and item.compute:
        raise AnswerError(
            _("'{item}' is worked out from the other answers and cannot be typed.").format(
                item=item.label.get(current_language())
            )
        )


def recompute_answers(
    session: Session, *, view: ChecklistView, user_id: int | None, now: datetime
) -> list[str]:
    """Work out every computed item again from the stored answers; the ids that changed."""
    changed: list[str] = []
    for item in view.definition.items:
        if not item.compute:
            continue
        value = computed_value(item, view.values)
        current = view.answers.get(item.id)
        if (current.value if current else None) == value:
            continue
        if current is None and value is None:
            continue
        _store(session, view, item.id, value, user_id=user_id, now=now)
        changed.append(item.id)
    return changed


def _store(
    session: Session,
    view: ChecklistView,
    item_id: str,
    value: Any,
    *,
    user_id: int | None,
    now: datetime,
) -> None:
    """Save one computed answer and its revision (None clears it)."""
    instance_id = int(view.instance.id or 0)
    answer = view.answers.get(item_id)
    if answer is None:
        answer = ChecklistAnswer(
            instance_id=instance_id,
            item_id=item_id,
            value=value,
            answered_by_id=user_id,
            answered_at=now,
        )
    else:
        answer.value = value if is_answered(value) else None
        answer.version += 1
        answer.answered_by_id = user_id
        answer.answered_at = now
    session.add(answer)
    session.flush()
    session.add(
        ChecklistAnswerRevision(
            answer_id=int(answer.id or 0),
            instance_id=instance_id,
            item_id=item_id,
            version=answer.version,
            value=answer.value,
            answered_by_id=user_id,
            answered_at=now,
        )
    )
    view.answers[item_id] = answer
