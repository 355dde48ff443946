"""'What matters' once: a recorded conversation answers its checklist's what-matters items.

The item with ``opens: what_matters`` takes ``talked`` (or ``ask_later`` when the patient
could not answer) and the free-text item shown for ``talked`` takes the patient's words, so
completion, progress and every measure see the conversation without anything typed twice.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.checklists.catalogue import ChecklistDefinition, ChecklistItem
from app.checklists.in_use import catalogue_in_use
from app.checklists.models import ChecklistAnswer, ChecklistInstance
from app.checklists.service import OPEN_STATUSES, save_answer
from app.goals.models import WhatMattersConversation
from app.org.scope import Viewer

TALKED = "talked"
ASK_LATER = "ask_later"


def words_items(definition: ChecklistDefinition, opener: ChecklistItem) -> list[ChecklistItem]:
    """The free-text items shown when the conversation was held (the patient's words)."""
    return [
        item
        for item in definition.items
        if item.type == "text"
        and item.show_if is not None
        and item.show_if.item == opener.id
        and TALKED in item.show_if.expected_values()
    ]


def answered_by_conversation(definition: ChecklistDefinition) -> set[str]:
    """The ids of the items a linked conversation answers (hidden as inputs on the page)."""
    ids: set[str] = set()
    for item in definition.items:
        if item.opens == "what_matters":
            ids.add(item.id)
            ids.update(words.id for words in words_items(definition, item))
    return ids


def linked_conversation(session: Session, *, instance_id: int) -> WhatMattersConversation | None:
    """The latest conversation recorded from this checklist, if any."""
    return session.exec(
        select(WhatMattersConversation)
        .where(WhatMattersConversation.checklist_instance_id == instance_id)
        .order_by(col(WhatMattersConversation.id).desc())
    ).first()


def _save(session: Session, viewer: Viewer, instance_id: int, item_id: str, value: Any) -> None:
    """Save one answer over whatever version is stored now (the conversation is the source)."""
    current = session.exec(
        select(ChecklistAnswer).where(
            ChecklistAnswer.instance_id == instance_id, ChecklistAnswer.item_id == item_id
        )
    ).first()
    if current is not None and current.value == value:
        return
    save_answer(
        session,
        viewer=viewer,
        instance_id=instance_id,
        item_id=item_id,
        value=value,
        expected_version=current.version if current else 0,
    )


def answer_from_conversation(
    session: Session, *, viewer: Viewer, conversation: WhatMattersConversation
) -> None:
    """Let a conversation answer its open checklist's what-matters items (closed: untouched)."""
    if conversation.checklist_instance_id is None:
        return
    instance = session.get(ChecklistInstance, conversation.checklist_instance_id)
    if instance is None or instance.status not in OPEN_STATUSES:
        return
    definition = catalogue_in_use().resolve(
        instance.definition_id, instance.definition_version, instance.variant
    )
    instance_id = int(instance.id or 0)
    for opener in (item for item in definition.items if item.opens == "what_matters"):
        choice = ASK_LATER if conversation.could_not_answer else TALKED
        if choice not in opener.option_ids():
            continue
        _save(session, viewer, instance_id, opener.id, choice)
        words = (conversation.patient_words or "").strip()
        if choice == TALKED and words:
            for item in words_items(definition, opener):
                _save(session, viewer, instance_id, item.id, words[: item.text_limit])
