"""'What matters' conversations: who can take part, and recording and correcting one."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.audit.models import AuditAction
from app.core.i18n import _
from app.goals.access import audit_access, visible_conversation, visible_pathway
from app.goals.errors import VersionConflict
from app.goals.models import WhatMattersConversation
from app.goals.validation import PARTICIPANT_CODES, conversation_values
from app.goals.views import ConversationView, conversation_view
from app.org.scope import Viewer
from app.pathways.models import Pathway


def participant_choices() -> list[tuple[str, str]]:
    """The fixed list of who can take part in a conversation, with translated labels."""
    labels = {
        "patient": _("The patient"),
        "next_of_kin": _("Next of kin"),
        "nurse": _("Nurse"),
        "aide": _("Health care worker"),
        "gp": _("GP"),
        "physiotherapist": _("Physiotherapist"),
        "occupational_therapist": _("Occupational therapist"),
    }
    return [(code, labels[code]) for code in PARTICIPANT_CODES]


def get_conversation(session: Session, *, viewer: Viewer, conversation_id: int) -> ConversationView:
    """One conversation."""
    conversation, patient = visible_conversation(session, viewer, conversation_id)
    audit_access(
        session, viewer, AuditAction.read, "conversation", patient, f"id {conversation_id}"
    )
    return conversation_view(conversation, participant_choices())


def record_conversation(
    session: Session, *, viewer: Viewer, pathway_id: int, **fields: Any
) -> ConversationView:
    """Record a 'what matters' conversation (or that the patient did not answer)."""
    pathway, patient = visible_pathway(session, viewer, pathway_id)
    values = conversation_values(session, pathway, **fields)
    conversation = WhatMattersConversation(
        pathway_id=pathway_id, recorded_by_id=viewer.user_id, **values
    )
    session.add(conversation)
    session.flush()
    _answer_checklist(session, viewer, conversation)
    audit_access(
        session, viewer, AuditAction.create, "conversation", patient, f"id {conversation.id}"
    )
    return conversation_view(conversation, participant_choices())


def update_conversation(
    session: Session, *, viewer: Viewer, conversation_id: int, version: int, **fields: Any
) -> ConversationView:
    """Correct a conversation, refusing when someone else changed it since ``version``."""
    conversation, patient = visible_conversation(session, viewer, conversation_id, lock=True)
    if conversation.version != version:
        raise VersionConflict(conversation_view(conversation, participant_choices()))
    pathway = session.get(Pathway, conversation.pathway_id)
    assert pathway is not None
    for name, value in conversation_values(session, pathway, **fields).items():
        setattr(conversation, name, value)
    conversation.version += 1
    session.add(conversation)
    session.flush()
    _answer_checklist(session, viewer, conversation)
    audit_access(
        session, viewer, AuditAction.update, "conversation", patient, f"id {conversation_id}"
    )
    return conversation_view(conversation, participant_choices())


def _answer_checklist(
    session: Session, viewer: Viewer, conversation: WhatMattersConversation
) -> None:
    """A conversation recorded from a checklist answers its 'what matters' items."""
    from app.checklists.what_matters import answer_from_conversation

    answer_from_conversation(session, viewer=viewer, conversation=conversation)
