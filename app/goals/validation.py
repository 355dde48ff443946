"""The checks on what users enter for conversations, goals and ratings.

Each check collects one message per wrong field and raises ``InvalidInput`` with all of
them, so a form can show every problem at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.checklists.models import ChecklistInstance
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.i18n import _
from app.goals import psfs
from app.goals.errors import InvalidInput
from app.goals.models import GoalRating, WhatMattersConversation
from app.pathways.models import Pathway

PARTICIPANT_CODES = (
    "patient",
    "next_of_kin",
    "nurse",
    "aide",
    "gp",
    "physiotherapist",
    "occupational_therapist",
)


def local_today() -> date:
    """Today's date in the local time zone."""
    return utcnow().astimezone(get_settings().zone).date()


def too_long(label: str, value: str, limit: int) -> str | None:
    """The message for a text over its limit, or None."""
    if len(value) <= limit:
        return None
    return _("'{label}' can be at most {limit} characters long (it is {length}).").format(
        label=label, limit=limit, length=len(value)
    )


def rating_problems(rating: object, scale_direction: str, field: str = "rating") -> dict[str, str]:
    """Messages for a rating outside 0–10 or an unknown scale direction."""
    problems: dict[str, str] = {}
    if not psfs.is_valid_rating(rating):
        problems[field] = _("The rating must be a whole number from 0 to 10.")
    if scale_direction not in psfs.SCALE_DIRECTIONS:
        problems["scale_direction"] = _("Choose which end of the scale means 'as before'.")
    return problems


def conversation_values(
    session: Session,
    pathway: Pathway,
    *,
    held_on: date | None,
    participants: Sequence[str],
    participants_other: str | None,
    patient_words: str | None,
    could_not_answer: bool,
    not_answered_reason: str | None,
    checklist_instance_id: int | None,
) -> dict[str, Any]:
    """Check a conversation's fields and return the values to store."""
    problems: dict[str, str] = {}
    today = local_today()
    held_on = held_on or today
    if held_on > today:
        problems["held_on"] = _("The conversation cannot be dated in the future.")
    unknown = [p for p in participants if p not in PARTICIPANT_CODES]
    if unknown:
        problems["participants"] = _("'{name}' is not one of the choices.").format(name=unknown[0])
    other = (participants_other or "").strip()
    words = (patient_words or "").strip()
    reason = (not_answered_reason or "").strip()
    for field, label, value, limit in (
        ("participants_other", _("Others who took part"), other, 200),
        ("patient_words", _("What matters, in the patient's own words"), words, 4000),
        ("not_answered_reason", _("Why not"), reason, 500),
    ):
        if message := too_long(label, value, limit):
            problems[field] = message
    if could_not_answer and not reason:
        problems["not_answered_reason"] = _("Say why the patient could not or would not answer.")
    if not could_not_answer and not words:
        problems["patient_words"] = _(
            "Write what matters in the patient's own words, or tick 'did not answer'."
        )
    if checklist_instance_id is not None:
        instance = session.get(ChecklistInstance, checklist_instance_id)
        if instance is None or instance.pathway_id != pathway.id:
            problems["checklist_instance_id"] = _("The checklist does not belong to this pathway.")
    if problems:
        raise InvalidInput(problems)
    chosen = [code for code in PARTICIPANT_CODES if code in participants]
    return {
        "held_on": held_on,
        "participants": chosen + ([other] if other else []),
        "patient_words": words or None,
        "could_not_answer": could_not_answer,
        "not_answered_reason": reason if could_not_answer else None,
        "checklist_instance_id": checklist_instance_id,
    }


def _latest_conversation_id(session: Session, pathway_id: int) -> int | None:
    """The id of the pathway's latest conversation, if any."""
    return session.exec(
        select(WhatMattersConversation.id)
        .where(WhatMattersConversation.pathway_id == pathway_id)
        .order_by(
            col(WhatMattersConversation.held_on).desc(), col(WhatMattersConversation.id).desc()
        )
    ).first()


def goal_values(
    session: Session,
    pathway: Pathway,
    *,
    activity: str,
    baseline_rating: int,
    rated_on: date | None = None,
    scale_direction: str = psfs.HIGHER_IS_BETTER,
    target_rating: int | None = None,
    target_date: date | None = None,
    plan: str | None = None,
    conversation_id: int | None = None,
) -> tuple[dict[str, Any], GoalRating]:
    """Check a new goal's fields; return its values and its baseline rating."""
    today = local_today()
    rated_on = rated_on or today
    activity, plan = (activity or "").strip(), (plan or "").strip()
    problems = rating_problems(baseline_rating, scale_direction, "baseline_rating")
    if not activity:
        problems["activity"] = _("Write the activity in the patient's own words.")
    elif message := too_long(_("Activity"), activity, 500):
        problems["activity"] = message
    if rated_on > today:
        problems["rated_on"] = _("A rating cannot be dated in the future.")
    if target_rating is not None and not psfs.is_valid_rating(target_rating):
        problems["target_rating"] = _("The rating must be a whole number from 0 to 10.")
    if target_date is not None and target_date < rated_on:
        problems["target_date"] = _("The target date cannot be before the baseline rating.")
    if message := too_long(_("Who or what helps"), plan, 2000):
        problems["plan"] = message
    if conversation_id is not None:
        conversation = session.get(WhatMattersConversation, conversation_id)
        if conversation is None or conversation.pathway_id != pathway.id:
            problems["conversation_id"] = _("The conversation does not belong to this pathway.")
    if problems:
        raise InvalidInput(problems)
    values = {
        "activity": activity,
        "target_rating": target_rating,
        "target_date": target_date,
        "plan": plan or None,
        "conversation_id": conversation_id
        or _latest_conversation_id(session, int(pathway.id or 0)),
    }
    baseline = GoalRating(
        goal_id=0,
        rated_on=rated_on,
        rating=baseline_rating,
        scale_direction=scale_direction,
        is_baseline=True,
    )
    return values, baseline
