"""Pure rules for checklist answers: validation, show_if visibility, progress and completeness.

Normalised answers are JSON-ready: ``"yes"``/``"no"``, an option id, a list of option ids in
option order, an ``int`` (no decimals allowed) or ``float``, an ISO date ``"YYYY-MM-DD"``, a
stripped text, or :data:`NOT_RELEVANT`, which every item accepts. ``None`` (or an empty text or
selection) means "no answer" and clears a stored one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_decimal

from app.checklists.catalogue import LOCAL_TZ, ChecklistDefinition, ChecklistItem, ShowIf
from app.checklists.items import TEXT_MAX_LENGTH as TEXT_MAX_LENGTH
from app.core.i18n import _, current_language, ngettext
from app.core.text import has_forbidden_characters

NOT_RELEVANT = "not_relevant"
EARLIEST_DATE = date(1900, 1, 1)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class AnswerError(ValueError):
    """An answer that cannot be stored: ``message`` is ready to show, ``errors`` maps item ids."""

    def __init__(
        self, message: str, item_id: str | None = None, errors: dict[str, str] | None = None
    ):
        super().__init__(message)
        self.message = message
        self.item_id = item_id
        self.errors = errors if errors is not None else ({item_id: message} if item_id else {})


def validate_answer(item: ChecklistItem, value: Any, *, today: date | None = None) -> Any:
    """Return the normalised answer to one item, or raise AnswerError saying what to fix."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip() == NOT_RELEVANT:
        return NOT_RELEVANT
    if item.type == "yes_no":
        return _yes_no(item, value)
    if item.type == "single_choice":
        return _single_choice(item, value)
    if item.type == "multiple_choice":
        return _multiple_choice(item, value)
    if item.type == "number":
        return _number(item, value)
    if item.type == "date":
        return _date(item, value, today)
    return _text(item, value)


def _label(item: ChecklistItem) -> str:
    """Return the item's label in the current language."""
    return item.label.get(current_language())


def _fail(item: ChecklistItem, message: str, **values: Any) -> AnswerError:
    """Return an AnswerError for an item, filling the item's label into a translated message."""
    return AnswerError(message.format(label=_label(item), **values), item.id)


def _yes_no(item: ChecklistItem, value: Any) -> str:
    """Normalise a yes/no answer (booleans are accepted too)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return value.strip().lower()
    raise _fail(item, _("'{label}' must be answered yes, no or not relevant."))


def _single_choice(item: ChecklistItem, value: Any) -> str | None:
    """Normalise a single choice to an option id."""
    choice = value.strip() if isinstance(value, str) else value
    if choice == "":
        return None
    if choice not in item.option_ids():
        raise _fail(item, _("'{label}' has no choice '{value}'."), value=choice)
    return choice


def _multiple_choice(item: ChecklistItem, value: Any) -> list[str] | str | None:
    """Normalise a multiple choice to option ids in option order."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list | tuple | set | frozenset) or not all(
        isinstance(v, str) for v in values
    ):
        raise _fail(item, _("'{label}' must be a list of choices."))
    chosen = {v.strip() for v in values} - {""}
    if chosen == {NOT_RELEVANT}:
        return NOT_RELEVANT
    if NOT_RELEVANT in chosen:
        raise _fail(item, _("'{label}' cannot be both not relevant and have choices."))
    unknown = sorted(chosen - set(item.option_ids()))
    if unknown:
        raise _fail(item, _("'{label}' has no choice '{value}'."), value=unknown[0])
    return [option for option in item.option_ids() if option in chosen] or None


def _number(item: ChecklistItem, value: Any) -> int | float | None:
    """Normalise a number, accepting a decimal comma, and check decimals and range."""
    if isinstance(value, str):
        text = re.sub(r"[\s\u00a0]", "", value).replace(",", ".")
        if not text:
            return None
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        text = str(value)
    else:
        text = "?"
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise _fail(item, _("'{label}' must be a number."))
    exponent = number.normalize().as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if decimals > item.allowed_decimals:
        if item.allowed_decimals == 0:
            raise _fail(item, _("'{label}' must be a whole number."))
        allowed = item.allowed_decimals
        message = ngettext(
            "'{label}' can have at most {decimals} decimal.",
            "'{label}' can have at most {decimals} decimals.",
            allowed,
        )
        raise _fail(item, message, decimals=allowed)
    low, high = item.min, item.max
    if (low is not None and number < Decimal(str(low))) or (
        high is not None and number > Decimal(str(high))
    ):
        bounds = {"min": _format_number(low), "max": _format_number(high)}
        if item.unit:
            message = _("'{label}' must be a number between {min} and {max} {unit}.")
            raise _fail(item, message, unit=item.unit, **bounds)
        raise _fail(item, _("'{label}' must be a number between {min} and {max}."), **bounds)
    return int(number) if item.allowed_decimals == 0 else float(number)


def _format_number(value: float | None) -> str:
    """Format a bound the way the current language writes numbers."""
    return format_decimal(value, locale=current_language()) if value is not None else "?"


def _date(item: ChecklistItem, value: Any, today: date | None) -> str | None:
    """Normalise a date to ISO text and check it is not in the future where that matters."""
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise _fail(item, _("'{label}' must be a valid date (YYYY-MM-DD).")) from None
    else:
        raise _fail(item, _("'{label}' must be a valid date (YYYY-MM-DD)."))
    if day < EARLIEST_DATE:
        raise _fail(item, _("'{label}' cannot be before {date}."), date=EARLIEST_DATE.isoformat())
    if item.past_only and day > (today or datetime.now(LOCAL_TZ).date()):
        raise _fail(item, _("'{label}' cannot be in the future."))
    return day.isoformat()


def _text(item: ChecklistItem, value: Any) -> str | None:
    """Normalise a free text (line endings unified, outer spaces stripped), check its characters
    (no control characters) and its length (the item's ``max_length``)."""
    if not isinstance(value, str):
        raise _fail(item, _("'{label}' must be text."))
    text = value.replace("\r\n", "\n").strip()
    if len(text) > item.text_limit:
        message = _("'{label}' can be at most {limit} characters long (it is {length}).")
        raise _fail(item, message, limit=item.text_limit, length=len(text))
    if has_forbidden_characters(text):
        raise _fail(item, _("Remove the control characters from '{label}'."))
    return text or None


def is_answered(value: Any) -> bool:
    """Tell whether a stored value counts as an answer (``not_relevant`` does)."""
    return value is not None and value != "" and value != []


def _condition_met(condition: ShowIf, answer: Any) -> bool:
    """Tell whether an earlier item's answer satisfies a show_if condition."""
    if not is_answered(answer) or answer == NOT_RELEVANT:
        return False
    if condition.answered:
        return True
    expected = condition.expected_values()
    if isinstance(answer, list):
        return any(choice in expected for choice in answer)
    return answer in expected


def visible_items(
    definition: ChecklistDefinition, answers: Mapping[str, Any]
) -> list[ChecklistItem]:
    """Return the items shown for these answers; answers to hidden items are ignored."""
    visible: list[ChecklistItem] = []
    shown: dict[str, Any] = {}
    for item in definition.items:
        condition = item.show_if
        if condition is None or _condition_met(condition, shown.get(condition.item)):
            visible.append(item)
            shown[item.id] = answers.get(item.id)
    return visible


def visible_answers(definition: ChecklistDefinition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Return only the answers to items that are shown (what a completed checklist keeps)."""
    return {
        item.id: answers[item.id]
        for item in visible_items(definition, answers)
        if is_answered(answers.get(item.id))
    }


def progress(definition: ChecklistDefinition, answers: Mapping[str, Any]) -> tuple[int, int]:
    """Return (answered visible items, visible items)."""
    visible = visible_items(definition, answers)
    return sum(is_answered(answers.get(item.id)) for item in visible), len(visible)


def missing_required(
    definition: ChecklistDefinition, answers: Mapping[str, Any]
) -> list[ChecklistItem]:
    """Return the visible required items still without an answer (blocking Complete)."""
    return [
        item
        for item in visible_items(definition, answers)
        if item.required and not is_answered(answers.get(item.id))
    ]


def _known_item(definition: ChecklistDefinition, item_id: str) -> ChecklistItem:
    """Return an item of the checklist, or raise AnswerError for an unknown id."""
    try:
        return definition.item(item_id)
    except KeyError:
        message = _("This checklist has no item '{item_id}'.").format(item_id=item_id)
        raise AnswerError(message, item_id) from None


def _hidden_error(item: ChecklistItem) -> AnswerError:
    """Return the error for answering an item that show_if hides."""
    return _fail(item, _("'{label}' is not shown for these answers and cannot be answered."))


def set_answer(
    definition: ChecklistDefinition,
    answers: Mapping[str, Any],
    item_id: str,
    value: Any,
    *,
    today: date | None = None,
) -> dict[str, Any]:
    """Return the answers with one item answered (or cleared by ``None``), after validating it."""
    item = _known_item(definition, item_id)
    normalised = validate_answer(item, value, today=today)
    if normalised is not None and item not in visible_items(definition, answers):
        raise _hidden_error(item)
    updated = dict(answers)
    if normalised is None:
        updated.pop(item_id, None)
    else:
        updated[item_id] = normalised
    return updated


def validate_answers(
    definition: ChecklistDefinition, answers: Mapping[str, Any], *, today: date | None = None
) -> dict[str, Any]:
    """Validate a whole submitted form; AnswerError.errors lists every item that is wrong."""
    normalised: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for item_id, value in answers.items():
        try:
            answer = validate_answer(_known_item(definition, item_id), value, today=today)
        except AnswerError as exc:
            errors[item_id] = exc.message
            continue
        if answer is not None:
            normalised[item_id] = answer
    visible = {item.id for item in visible_items(definition, normalised)}
    for item_id in normalised:
        if item_id not in visible and item_id not in errors:
            errors[item_id] = _hidden_error(definition.item(item_id)).message
    if errors:
        first = next(iter(errors))
        raise AnswerError(errors[first], first, errors)
    return {item.id: normalised[item.id] for item in definition.items if item.id in normalised}
