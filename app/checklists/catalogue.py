"""Checklist definitions as validated data: due windows, repeat rules and checks across items.

A checklist has ``id``, ``version``, ``title`` and ``description`` (``{nb, en}``), ``trigger``
(an event kind or a list of them), ``due_window``, an optional ``repeat`` and ``items``::

    due_window: {starts: 0d, ends: 3d, end_of_day: true}   # until 23:59:59 on day 3
    repeat: {every: 182d, first_after: 182d}                # occurrence n at 182 + n * 182 days

Durations are a whole number and a unit: ``h`` hours (elapsed time), ``d`` days and ``w`` weeks
(calendar days in Europe/Oslo, so ``1d`` keeps the wall-clock time across a daylight-saving
change) and, in repeat rules only, ``m`` calendar months (31 January + 1m = 28 February).
``start_of_day``/``end_of_day`` widen the window to whole local days; its end is inclusive.

Items and their ``show_if`` conditions are described in :mod:`app.checklists.items`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any, Literal, NamedTuple, get_args
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import core_schema

from app.checklists.computed import compute_problems
from app.checklists.items import CHOICE_TYPES as CHOICE_TYPES
from app.checklists.items import ChecklistItem as ChecklistItem
from app.checklists.items import ItemOption as ItemOption
from app.checklists.items import ItemType as ItemType
from app.checklists.items import Loc as Loc
from app.checklists.items import LocalisedText as LocalisedText
from app.checklists.items import Number as Number
from app.checklists.items import Problems as Problems
from app.checklists.items import ShowIf as ShowIf
from app.checklists.items import Slug as Slug
from app.checklists.items import _Strict as _Strict
from app.checklists.items import item_problems as item_problems

LOCAL_TZ = ZoneInfo("Europe/Oslo")

EventKind = Literal[
    "hospital_admission",
    "hospital_discharge",
    "homecare_start",
    "home_visit",
    "halfyear_review",
    "pathway_end",
]
EVENT_KINDS: tuple[str, ...] = get_args(EventKind)

ChecklistId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]

_HOURS_PER_UNIT = {"h": 1, "d": 24, "w": 168, "m": 730}


@dataclass(frozen=True)
class Duration:
    """A signed offset written as ``3h``, ``-14d``, ``4w`` or ``1m``."""

    amount: int
    unit: Literal["h", "d", "w", "m"]

    @classmethod
    def parse(cls, value: object) -> Duration:
        """Read a duration from its text form, or return one that is already parsed."""
        if isinstance(value, Duration):
            return value
        text = value.strip() if isinstance(value, str) else ""
        number, unit = text[:-1], text[-1:]
        if unit not in _HOURS_PER_UNIT or not number.lstrip("-").isdigit():
            raise ValueError(
                f"invalid duration {value!r}: write a whole number and a unit h, d, w or m, "
                "e.g. '3d'"
            )
        return cls(int(number), unit)  # type: ignore[arg-type]

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        """Let pydantic read durations from text and write them back as text."""
        return core_schema.no_info_plain_validator_function(
            cls.parse,
            json_schema_input_schema=core_schema.str_schema(),
            serialization=core_schema.to_string_ser_schema(),
        )

    def __str__(self) -> str:
        """Return the text form, e.g. ``3d``."""
        return f"{self.amount}{self.unit}"

    def times(self, factor: int) -> Duration:
        """Return this duration repeated ``factor`` times."""
        return Duration(self.amount * factor, self.unit)

    @property
    def approx_hours(self) -> int:
        """Return a rough length in hours, for comparing offsets written in different units."""
        return self.amount * _HOURS_PER_UNIT[self.unit]

    def added_to(self, moment: datetime, zone: ZoneInfo = LOCAL_TZ) -> datetime:
        """Add this duration to an aware datetime and return it in local time."""
        if self.unit == "h":
            return (moment.astimezone(UTC) + timedelta(hours=self.amount)).astimezone(zone)
        wall = moment.astimezone(zone).replace(tzinfo=None)
        if self.unit == "m":
            year, month0 = divmod(wall.year * 12 + wall.month - 1 + self.amount, 12)
            last_day = calendar.monthrange(year, month0 + 1)[1]
            wall = wall.replace(year=year, month=month0 + 1, day=min(wall.day, last_day))
        else:
            wall += timedelta(days=self.amount * (7 if self.unit == "w" else 1))
        # Through UTC and back: a wall time in the spring-forward gap moves past the gap.
        return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


class DueWindow(_Strict):
    """When a checklist is due, as offsets from its triggering event (or repeat occurrence).

    ``start_of_day`` moves the start back to 00:00 and ``end_of_day`` moves the end forward to
    the last instant of its day, both in Oslo time. The end is inclusive.
    """

    starts: Duration = Duration(0, "h")
    ends: Duration
    start_of_day: bool = False
    end_of_day: bool = False

    @model_validator(mode="after")
    def _start_before_end(self) -> DueWindow:
        """Reject month offsets and windows that end before they start."""
        if "m" in (self.starts.unit, self.ends.unit):
            raise ValueError("a due window is measured in hours, days or weeks, not months")
        if self.starts.approx_hours > self.ends.approx_hours:
            raise ValueError(f"the window starts ({self.starts}) after it ends ({self.ends})")
        return self


class RepeatRule(_Strict):
    """Further occurrences of a checklist while the pathway is open.

    Occurrence ``n`` (0-based) is anchored at ``event + first_after + n * every``; the due
    window is applied to that anchor. ``once_per_pathway``: only the pathway's first triggering
    event starts a series; ``per_event``: every triggering event starts its own series.
    """

    every: Duration
    first_after: Duration = Duration(0, "d")
    until: Literal["pathway_end"] = "pathway_end"
    max_occurrences: Annotated[int, Field(ge=1)] | None = None
    series: Literal["once_per_pathway", "per_event"] = "once_per_pathway"

    @field_validator("every", "first_after")
    @classmethod
    def _calendar_units(cls, value: Duration, info: ValidationInfo) -> Duration:
        """Require days, weeks or months, a positive interval and a non-negative start."""
        if value.unit == "h":
            raise ValueError("repeat rules are counted in days, weeks or months, not hours")
        if info.field_name == "every" and value.amount <= 0:
            raise ValueError("every must be a positive interval")
        if value.amount < 0:
            raise ValueError("first_after cannot be negative")
        return value


def _as_list(value: Any) -> Any:
    """Accept a single event kind where a list is expected."""
    return [value] if isinstance(value, str) else value


class ChecklistDefinition(_Strict):
    """A versioned checklist: its trigger, due window, repeat rule and items."""

    id: ChecklistId
    version: Annotated[int, Field(ge=1)]
    title: LocalisedText
    description: LocalisedText
    trigger: Annotated[tuple[EventKind, ...], BeforeValidator(_as_list), Field(min_length=1)]
    due_window: DueWindow
    repeat: RepeatRule | None = None
    items: Annotated[list[ChecklistItem], Field(min_length=1)]
    variant: str | None = None

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> ChecklistDefinition:
        """Check ids, options, ranges and show_if references across the items.

        With a ``problems`` list in the validation context the problems are collected there
        (with their locations, for line numbers); otherwise they raise.
        """
        problems = definition_problems(self)
        if isinstance(info.context, dict) and "problems" in info.context:
            info.context["problems"].extend(problems)
        elif problems:
            raise ValueError("; ".join(message for _, message in problems))
        return self

    def item(self, item_id: str) -> ChecklistItem:
        """Return one item by id (KeyError if the list has no such item)."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"checklist '{self.id}' has no item '{item_id}'")

    @property
    def core_items(self) -> list[ChecklistItem]:
        """Return the items compared across regions."""
        return [item for item in self.items if item.core]


class DueWindowTimes(NamedTuple):
    """A concrete due window in UTC; ``end`` is inclusive (on time when done at or before it)."""

    start: datetime
    end: datetime


def due_window_for(
    definition: ChecklistDefinition,
    event_time: datetime,
    occurrence: int = 0,
    *,
    zone: ZoneInfo = LOCAL_TZ,
) -> DueWindowTimes:
    """Return the due window (UTC) of one occurrence of a checklist after its triggering event.

    Days, weeks, months, start of day and end of day are counted on the calendar of ``zone``.
    """
    if event_time.tzinfo is None or event_time.utcoffset() is None:
        raise ValueError("event_time must be timezone-aware")
    repeat = definition.repeat
    if occurrence < 0 or (occurrence > 0 and repeat is None):
        raise ValueError(f"checklist '{definition.id}' has no occurrence {occurrence}")
    if repeat and repeat.max_occurrences is not None and occurrence >= repeat.max_occurrences:
        raise ValueError(f"checklist '{definition.id}' repeats only {repeat.max_occurrences} times")
    anchor = event_time.astimezone(zone)
    if repeat:
        anchor = repeat.first_after.added_to(anchor, zone)
        # Counted from the first anchor, not step by step, so month ends do not drift.
        anchor = repeat.every.times(occurrence).added_to(anchor, zone)
    window = definition.due_window
    start = window.starts.added_to(anchor, zone)
    end = window.ends.added_to(anchor, zone)
    if window.start_of_day:
        start = datetime.combine(start.date(), time(0), zone)
    if window.end_of_day:
        next_midnight = datetime.combine(end.date() + timedelta(days=1), time(0), zone)
        end = next_midnight.astimezone(UTC) - timedelta(microseconds=1)
    return DueWindowTimes(start.astimezone(UTC), end.astimezone(UTC))


def definition_problems(definition: ChecklistDefinition) -> Problems:
    """List what is wrong across a definition's items, each with its location."""
    problems: Problems = []
    if len(set(definition.trigger)) != len(definition.trigger):
        problems.append((("trigger",), "an event kind is listed twice in trigger"))
    all_ids = {item.id for item in definition.items}
    earlier: dict[str, ChecklistItem] = {}
    for index, item in enumerate(definition.items):
        here: Loc = ("items", index)
        if item.id in earlier:
            problems.append(((*here, "id"), f"item id '{item.id}' is used twice"))
        found = (
            item_problems(item)
            + _show_if_problems(item, earlier, all_ids)
            + compute_problems(item, earlier)
        )
        problems.extend(((*here, *sub), f"item '{item.id}': {message}") for sub, message in found)
        earlier.setdefault(item.id, item)
    return problems


def _show_if_problems(
    item: ChecklistItem, earlier: dict[str, ChecklistItem], all_ids: set[str]
) -> Problems:
    """Check that a show_if names an earlier item and a possible answer to it."""
    condition = item.show_if
    if condition is None:
        return []
    target = earlier.get(condition.item)
    if target is None:
        if condition.item == item.id:
            reason = "show_if refers to the item itself"
        elif condition.item in all_ids:
            reason = f"show_if refers to item '{condition.item}', which comes later in the list"
        else:
            reason = f"show_if refers to unknown item '{condition.item}'"
        return [(("show_if", "item"), reason)]
    key = "equals" if condition.equals is not None else "in"
    for value in condition.expected_values():
        hint = _condition_hint(target, value)
        if hint:
            return [(("show_if", key), f"show_if value {value!r} for item '{target.id}': {hint}")]
    return []


def _condition_hint(target: ChecklistItem, value: Any) -> str | None:
    """Explain why a show_if value cannot be an answer to its target item (None if it can)."""
    if target.type == "yes_no":
        return None if value in ("yes", "no") and isinstance(value, str) else "use yes or no"
    if target.type in CHOICE_TYPES:
        options = target.option_ids()
        return None if value in options else f"choose one of {', '.join(options)}"
    if target.type == "number":
        low, high = target.min, target.max
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        in_range = ok and (low is None or value >= low) and (high is None or value <= high)
        return None if in_range else f"use a number from {low} to {high}"
    return f"a {target.type} item can only be used with 'answered: true'"
