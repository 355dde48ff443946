"""Reading what a checklist item's form posted into one answer value."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import FormData

from app.checklists.answer_rules import NOT_RELEVANT
from app.checklists.catalogue import ChecklistItem
from app.core.i18n import _, current_language, format_number
from app.core.text import MultiLineText, OneLineText

IdempotencyKey = Annotated[OneLineText | None, Field(max_length=80)]


class NotApplicableReason(BaseModel):
    """Why the whole checklist does not apply (``not_applicable_reason``)."""

    reason: Annotated[MultiLineText, Field(max_length=500)]


class ReopenReason(BaseModel):
    """Why a completed checklist is reopened (kept in its history and the audit log)."""

    reason: Annotated[MultiLineText, Field(min_length=1, max_length=500)]


class AnswerKey(BaseModel):
    """The key that makes a retried save of an answer safe."""

    idempotency_key: IdempotencyKey = None


def posted_value(item: ChecklistItem, form: FormData) -> Any:
    """The answer an item's form carries: not relevant, a list of choices, or one value."""
    values = [v for v in form.getlist("value") if isinstance(v, str)]
    not_relevant = "not_relevant" in form
    if item.type == "multiple_choice":
        chosen = [v for v in values if v]
        if not_relevant:
            return [*chosen, NOT_RELEVANT] if chosen else NOT_RELEVANT
        return chosen
    if not_relevant:
        return NOT_RELEVANT
    value = values[-1].strip() if values else ""
    return value or None


def posted_version(form: FormData) -> int:
    """The answer version the form was rendered with (0 when it had no answer)."""
    raw = form.get("version")
    try:
        return max(0, int(str(raw)))
    except (TypeError, ValueError):
        return 0


def display_value(item: ChecklistItem, value: Any) -> str:
    """An answer as a person reads it, in the current language."""
    language = current_language()
    if value is None or value == [] or value == "":
        return _("no answer")
    if value == NOT_RELEVANT:
        return _("Not relevant")
    if item.type == "yes_no":
        return _("Yes") if value == "yes" else _("No")
    labels = {o.id: o.label.get(language) for o in item.options or []}
    if isinstance(value, list):
        return ", ".join(labels.get(v, str(v)) for v in value)
    if item.type == "single_choice":
        return labels.get(str(value), str(value))
    if item.type == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        shown = format_number(value)  # "1,5" in bokmål
        return f"{shown} {item.unit}" if item.unit else shown
    if item.type == "number" and item.unit:
        return f"{value} {item.unit}"
    return str(value)


def status_label(status: str) -> str:
    """A checklist status in the current language."""
    labels = {
        "due": _("Due"),
        "in_progress": _("In progress"),
        "completed": _("Completed"),
        "not_applicable": _("Not applicable"),
        "cancelled": _("Cancelled"),
        "missed": _("Missed"),
    }
    return labels.get(status, status)


class AdoptionIn(BaseModel):
    """An organisation adopts a variant of a checklist (null or empty: the standard list) from
    a local date onwards (today or later)."""

    checklist_id: Annotated[OneLineText, Field(max_length=64, examples=["hph-2"])]
    variant: Annotated[OneLineText, Field(max_length=64)] | None = None
    starts_on: date

    @classmethod
    def from_form(
        cls, checklist_id: str, variant: str, starts_on: str
    ) -> tuple[AdoptionIn | None, dict[str, str]]:
        """Read the variant page's form (an empty variant is the standard list)."""
        try:
            day = date.fromisoformat(starts_on.strip())
        except ValueError:
            return None, {"starts_on": _("Give the date the choice applies from.")}
        try:
            return cls(
                checklist_id=checklist_id, variant=variant.strip() or None, starts_on=day
            ), {}
        except ValidationError as exc:
            first = exc.errors()[0]
            field = str(first.get("loc", ("variant",))[0])
            return None, {field: str(first.get("msg", ""))}
