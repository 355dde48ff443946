"""The checklist catalogue: checklist definitions and local variants as validated data.

A catalogue folder (``HPH_CHECKLISTS_DIR``, by default ``checklists/`` in the repository) holds

- ``<id>.yaml``: the current version of each checklist;
- ``archive/<id>.v<version>.yaml``: older versions, kept so answers recorded against them stay
  readable (an instance stores the definition id, version and variant);
- ``variants/<variant>.yaml``: local variants, overlays on one version of a checklist.

A checklist has ``id``, ``version``, ``title`` and ``description`` (``{nb, en}``), ``trigger``
(an event kind or a list of them), ``due_window``, an optional ``repeat`` and ``items``::

    due_window: {starts: 0d, ends: 3d, end_of_day: true}   # until 23:59:59 on day 3
    repeat: {every: 182d, first_after: 182d}                # occurrence n at 182 + n * 182 days

Durations are a whole number and a unit: ``h`` hours (elapsed time), ``d`` days and ``w`` weeks
(calendar days in Europe/Oslo, so ``1d`` keeps the wall-clock time across a daylight-saving
change) and, in repeat rules only, ``m`` calendar months (31 January + 1m = 28 February).
``start_of_day``/``end_of_day`` widen the window to whole local days; its end is inclusive.

Items: ``id``, ``type`` (yes_no, single_choice, multiple_choice, number, date, text),
``label``, optional ``help``, ``required``, ``core`` (compared across regions; variants cannot
hide it), ``options`` (choices), ``unit``/``min``/``max``/``decimals`` (numbers), ``past_only``
(dates), ``opens: what_matters`` and ``show_if`` on an earlier item: ``{item: x, equals: "yes"}``,
``{item: x, in: [a, b]}`` (any selected, for multiple choice) or ``{item: x, answered: true}``.
Only ``true``/``false`` are booleans here: an unquoted ``yes`` or ``no`` stays text.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, TypeVar, get_args
from zoneinfo import ZoneInfo

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import core_schema

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
ItemType = Literal["yes_no", "single_choice", "multiple_choice", "number", "date", "text"]
CHOICE_TYPES = frozenset({"single_choice", "multiple_choice"})

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
ChecklistId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]
Number = StrictInt | StrictFloat
Loc = tuple[str | int, ...]
Problems = list[tuple[Loc, str]]

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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class LocalisedText(_Strict):
    """A text in bokmål and English."""

    nb: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]

    def get(self, language: str) -> str:
        """Return the text in a language (``en``, else bokmål)."""
        return self.en if language == "en" else self.nb


class ItemOption(_Strict):
    """One choice of a single- or multiple-choice item."""

    id: Slug
    label: LocalisedText


class ShowIf(_Strict):
    """Show an item only when an earlier item has a given answer (or any answer)."""

    model_config = ConfigDict(populate_by_name=True)

    item: Slug
    equals: str | Number | bool | None = None
    in_: Annotated[list[str | Number | bool] | None, Field(alias="in", min_length=1)] = None
    answered: Literal[True] | None = None

    @model_validator(mode="after")
    def _exactly_one_condition(self) -> ShowIf:
        """Require exactly one of ``equals``, ``in`` and ``answered``."""
        given = [v for v in (self.equals, self.in_, self.answered) if v is not None]
        if len(given) != 1:
            raise ValueError("show_if needs exactly one of 'equals', 'in' or 'answered: true'")
        return self

    def expected_values(self) -> list[Any]:
        """Return the answers that make the item visible (empty for ``answered``)."""
        return [self.equals] if self.equals is not None else list(self.in_ or [])


class ChecklistItem(_Strict):
    """One question on a checklist; ``core`` items are compared across regions."""

    id: Slug
    type: ItemType
    label: LocalisedText
    help: LocalisedText | None = None
    required: bool = False
    core: bool = False
    options: list[ItemOption] | None = None
    unit: str | None = None
    min: Number | None = None
    max: Number | None = None
    decimals: Annotated[int, Field(ge=0, le=6)] | None = None
    past_only: bool = False
    show_if: ShowIf | None = None
    opens: Literal["what_matters"] | None = None

    @property
    def allowed_decimals(self) -> int:
        """Return how many decimals a number answer may have."""
        return self.decimals or 0

    def option_ids(self) -> list[str]:
        """Return the ids of this item's options, in order."""
        return [option.id for option in self.options or []]


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
        found = item_problems(item) + _show_if_problems(item, earlier, all_ids)
        problems.extend(((*here, *sub), f"item '{item.id}': {message}") for sub, message in found)
        earlier.setdefault(item.id, item)
    return problems


def item_problems(item: ChecklistItem) -> Problems:
    """List what is wrong within one item (options, number range, type-specific keys)."""
    problems: Problems = []
    if item.type in CHOICE_TYPES:
        ids = item.option_ids()
        if len(ids) < 2:
            where: Loc = ("options",) if item.options is not None else ()
            problems.append((where, f"a {item.type} item needs at least two options"))
        for index, option_id in enumerate(ids):
            if option_id in ids[:index]:
                problems.append(
                    (("options", index, "id"), f"option id '{option_id}' is used twice")
                )
    elif item.options is not None:
        problems.append((("options",), "only choice items have options"))
    if item.type == "number":
        if item.min is None or item.max is None:
            problems.append(((), "a number item needs both min and max"))
        elif item.min > item.max:
            problems.append((("max",), f"min ({item.min}) is greater than max ({item.max})"))
    for key in ("unit", "min", "max", "decimals"):
        if item.type != "number" and getattr(item, key) is not None:
            problems.append(((key,), f"'{key}' only applies to number items"))
    if item.past_only and item.type != "date":
        problems.append((("past_only",), "'past_only' only applies to date items"))
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


class AddedItem(ChecklistItem):
    """An item a local variant adds; ``after`` places it after another item (default: last)."""

    after: Slug | None = None

    @field_validator("core")
    @classmethod
    def _not_core(cls, value: bool) -> bool:
        """Keep variant items out of regional comparisons."""
        if value:
            raise ValueError("items added by a variant cannot be core")
        return value


class VariantOverlay(_Strict):
    """An organisation's local variant of one version of a checklist."""

    variant: ChecklistId
    organisation: ChecklistId
    base: ChecklistId
    base_version: Annotated[int, Field(ge=1)]
    title: LocalisedText | None = None
    hide: list[Slug] = []
    add: list[AddedItem] = []
    help: dict[str, LocalisedText] = {}


class VariantError(ValueError):
    """A variant that does not fit its base checklist; ``problems`` holds (location, message)."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        super().__init__("; ".join(message for _, message in problems))


def apply_variant(definition: ChecklistDefinition, overlay: VariantOverlay) -> ChecklistDefinition:
    """Return the definition with the overlay's hidden, added and reworded items applied."""
    if (overlay.base, overlay.base_version) != (definition.id, definition.version):
        raise VariantError([(("base",), f"variant '{overlay.variant}' is for '{overlay.base}' "
                             f"version {overlay.base_version}, not '{definition.id}' "
                             f"version {definition.version}")])  # fmt: skip
    problems = _overlay_problems(definition, overlay)
    if problems:
        raise VariantError(problems)
    anchored: dict[str | None, list[AddedItem]] = {}
    for added in overlay.add:
        anchored.setdefault(added.after, []).append(added)

    def placed(item: ChecklistItem) -> list[ChecklistItem]:
        """Return an item followed by the added items anchored after it."""
        if item.id in overlay.help:
            item = item.model_copy(update={"help": overlay.help[item.id]})
        after = [placed(_plain_item(added)) for added in anchored.get(item.id, [])]
        return [item] + [entry for group in after for entry in group]

    items = [e for item in definition.items if item.id not in overlay.hide for e in placed(item)]
    items += [e for added in anchored.get(None, []) for e in placed(_plain_item(added))]
    context: dict[str, Problems] = {"problems": []}
    fields = {name: getattr(definition, name) for name in ChecklistDefinition.model_fields}
    fields |= {
        "items": items,
        "variant": overlay.variant,
        "title": overlay.title or definition.title,
    }
    result = ChecklistDefinition.model_validate(fields, context=context)
    added_at = {added.id: index for index, added in enumerate(overlay.add)}
    mapped: Problems = []
    for loc, message in context["problems"]:
        item_id = items[loc[1]].id if len(loc) > 1 and isinstance(loc[1], int) else None
        mapped.append(
            (("add", added_at[item_id], *loc[2:]) if item_id in added_at else (), message)
        )
    if mapped:
        raise VariantError(mapped)
    return result


def _plain_item(added: AddedItem) -> ChecklistItem:
    """Return an added item as an ordinary checklist item."""
    return ChecklistItem(**{name: getattr(added, name) for name in ChecklistItem.model_fields})


def _overlay_problems(definition: ChecklistDefinition, overlay: VariantOverlay) -> Problems:
    """List hide, add and help entries that do not fit the base definition."""
    problems: Problems = []
    by_id = {item.id: item for item in definition.items}
    for index, item_id in enumerate(overlay.hide):
        item = by_id.get(item_id)
        dependants = [i.id for i in definition.items if i.show_if and i.show_if.item == item_id]
        dependants = [d for d in dependants if d not in overlay.hide]
        if item is None:
            reason = f"cannot hide unknown item '{item_id}'"
        elif item.core or item.required:
            reason = f"cannot hide {'core' if item.core else 'required'} item '{item_id}'"
        elif dependants:
            reason = f"cannot hide item '{item_id}': item '{dependants[0]}' depends on it"
        else:
            continue
        problems.append((("hide", index), reason))
    placeable = {item_id for item_id in by_id if item_id not in overlay.hide}
    for index, added in enumerate(overlay.add):
        if added.id in by_id:
            clash = f"added item '{added.id}' clashes with an item of '{definition.id}'"
            problems.append((("add", index, "id"), clash))
        elif added.id in placeable:
            problems.append((("add", index, "id"), f"item '{added.id}' is added twice"))
        if added.after is not None and added.after not in placeable:
            missing = f"added item '{added.id}': 'after' refers to unknown item '{added.after}'"
            problems.append((("add", index, "after"), missing))
        placeable.add(added.id)
    for item_id in overlay.help:
        if item_id not in by_id or item_id in overlay.hide:
            problems.append((("help", item_id), f"help text for unknown item '{item_id}'"))
    return problems


class Catalogue:
    """Every loaded checklist version, the current ones, and the local variants."""

    def __init__(
        self,
        definitions: list[ChecklistDefinition],
        archived: list[ChecklistDefinition] | None = None,
        variants: list[VariantOverlay] | None = None,
    ) -> None:
        order = {kind: index for index, kind in enumerate(EVENT_KINDS)}
        definitions = sorted(definitions, key=lambda d: (order[d.trigger[0]], d.id))
        self._current = {d.id: d for d in definitions}
        self._versions = {(d.id, d.version): d for d in [*(archived or []), *definitions]}
        self._overlays = {overlay.variant: overlay for overlay in variants or []}
        self._applied = {
            overlay.variant: apply_variant(self.get(overlay.base, overlay.base_version), overlay)
            for overlay in self._overlays.values()
        }

    def get(self, checklist_id: str, version: int | None = None) -> ChecklistDefinition:
        """Return the current version of a checklist, or a given version (KeyError if none)."""
        found = (
            self._current.get(checklist_id)
            if version is None
            else self._versions.get((checklist_id, version))
        )
        if found is None:
            suffix = "" if version is None else f" version {version}"
            raise KeyError(f"no checklist '{checklist_id}'{suffix} in the catalogue")
        return found

    def all(self) -> list[ChecklistDefinition]:
        """Return the current version of every checklist, in pathway order."""
        return list(self._current.values())

    def versions(self, checklist_id: str) -> list[int]:
        """Return every stored version number of a checklist, oldest first."""
        return sorted(version for cid, version in self._versions if cid == checklist_id)

    def for_trigger(self, event_kind: str) -> list[ChecklistDefinition]:
        """Return the current checklists that a pathway event of this kind schedules."""
        if event_kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind '{event_kind}'")
        return [d for d in self._current.values() if event_kind in d.trigger]

    def variants(self, checklist_id: str | None = None) -> list[VariantOverlay]:
        """Return the variant overlays, all or those of one checklist."""
        return [o for o in self._overlays.values() if checklist_id in (None, o.base)]

    def resolve(
        self, checklist_id: str, version: int | None = None, variant: str | None = None
    ) -> ChecklistDefinition:
        """Return the definition an instance shows: a version, with its local variant applied."""
        if variant is None:
            return self.get(checklist_id, version)
        overlay = self._overlays.get(variant)
        if (
            overlay is None
            or overlay.base != checklist_id
            or version not in (None, overlay.base_version)
        ):
            raise KeyError(f"no variant '{variant}' of '{checklist_id}' version {version}")
        return self._applied[variant]


M = TypeVar("M", bound=BaseModel)


class _Loader(yaml.SafeLoader):
    """A safe loader that reads only true/false as booleans (YAML 1.2), so yes/no stay text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a catalogue file."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        """Return ``file, line N: message``."""
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class CatalogueError(Exception):
    """Broken catalogue files; ``problems`` lists each problem, one line each."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0))
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass
class _Source:
    """A parsed YAML file with the line of every key and list entry."""

    path: Path
    data: dict[str, Any]
    lines: dict[Loc, int]

    @property
    def name(self) -> str:
        """Return the file name as shown in messages (relative to the working folder if inside)."""
        return _shown(self.path)

    def problem(self, loc: Loc, message: str) -> Problem:
        """Return a problem at the line of the deepest known part of a location."""
        while loc and loc not in self.lines:
            loc = loc[:-1]
        return Problem(self.name, self.lines.get(loc, 1), message)


def _shown(path: Path) -> str:
    """Return a path relative to the working folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _read_source(path: Path, problems: list[Problem]) -> _Source | None:
    """Parse one YAML file, recording a syntax problem with its line."""
    try:
        loader = _Loader(path.read_text(encoding="utf-8"))
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except (UnicodeDecodeError, OSError) as exc:
        problems.append(Problem(_shown(path), None, f"cannot read the file: {exc}"))
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(part for part in (exc.context, exc.problem) if part)
        problems.append(Problem(_shown(path), mark.line + 1 if mark else None, f"YAML: {reason}"))
        return None
    if node is None or not isinstance(data, dict):
        problems.append(Problem(_shown(path), 1, "the file must hold a mapping of keys to values"))
        return None
    source = _Source(path, data, {(): 1})
    _map_lines(node, (), source, problems)
    return source


def _map_lines(node: yaml.Node, loc: Loc, source: _Source, problems: list[Problem]) -> None:
    """Record the line of every key and list entry under a node, and flag repeated keys."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            source.lines[(*loc, key)] = key_node.start_mark.line + 1
            if key in seen:
                problems.append(source.problem((*loc, key), f"key '{key}' appears twice"))
            seen.add(key)
            _map_lines(value_node, (*loc, key), source, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, value_node in enumerate(node.value):
            source.lines[(*loc, index)] = value_node.start_mark.line + 1
            _map_lines(value_node, (*loc, index), source, problems)


def _validate(source: _Source, model: type[M], problems: list[Problem]) -> M | None:
    """Validate a parsed file against a model, turning each error into a problem with a line."""
    context: dict[str, Problems] = {"problems": []}
    try:
        result = model.model_validate(source.data, context=context)
    except ValidationError as exc:
        seen: set[Loc] = set()
        for error in exc.errors(include_url=False):
            loc = _data_loc(source.data, error["loc"], keep_last=error["type"] == "missing")
            if loc not in seen:
                seen.add(loc)
                problems.append(source.problem(loc, _error_message(source.data, loc, error)))
        return None
    problems.extend(source.problem(loc, message) for loc, message in context["problems"])
    return None if context["problems"] else result


def _data_loc(data: Any, loc: tuple[Any, ...], keep_last: bool) -> Loc:
    """Trim a pydantic error location to the part that exists in the file (union tags dropped)."""
    kept: list[str | int] = []
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            if keep_last and isinstance(data, dict):
                kept.append(part)
            break
        kept.append(part)
    return tuple(kept)


def _error_message(data: dict[str, Any], loc: Loc, error: Any) -> str:
    """Word a pydantic error as ``<where>: <problem>``."""
    if error["type"] == "extra_forbidden":
        loc, problem = loc[:-1], f"unknown key '{loc[-1]}'"
    elif error["type"] == "missing":
        loc, problem = loc[:-1], f"missing key '{loc[-1]}'"
    else:
        problem = error["msg"].removeprefix("Value error, ")
        if not isinstance(error["input"], dict | list):
            problem += f" (got {error['input']!r})"
    where = [str(part) for part in loc]
    if len(loc) >= 2 and loc[0] in ("items", "add") and isinstance(loc[1], int):
        entry = data[loc[0]][loc[1]]
        label = "item" if loc[0] == "items" else "added item"
        ident = entry.get("id") if isinstance(entry, dict) else None
        where = [f"{label} '{ident}'" if ident else f"{label} {loc[1] + 1}", ".".join(where[2:])]
    else:
        where = [".".join(where)]
    prefix = ", ".join(part for part in where if part)
    return f"{prefix}: {problem}" if prefix else problem


def load_catalogue(directory: Path) -> Catalogue:
    """Load and validate every checklist, archived version and variant in a catalogue folder."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CatalogueError([Problem(_shown(directory), None, "catalogue folder not found")])
    problems: list[Problem] = []
    loaded: dict[str, list[tuple[_Source, Any]]] = {}
    for folder, model in (("", ChecklistDefinition), ("archive", ChecklistDefinition),
                          ("variants", VariantOverlay)):  # fmt: skip
        loaded[folder] = []
        for path in sorted((directory / folder).glob("*.yaml")):
            source = _read_source(path, problems)
            parsed = _validate(source, model, problems) if source else None
            if source and parsed:
                loaded[folder].append((source, parsed))
    current = _checked_definitions(loaded[""], archive=False, problems=problems)
    archived = _checked_definitions(loaded["archive"], archive=True, problems=problems)
    for source, definition in loaded["archive"]:
        newest = current.get(definition.id)
        if newest and definition.version >= newest.version:
            message = f"archived version {definition.version} of '{definition.id}' must be older "
            problems.append(source.problem(("version",), f"{message}than {newest.version}"))
    catalogue = Catalogue(list(current.values()), list(archived.values()))
    overlays = _checked_overlays(loaded["variants"], catalogue, problems)
    if problems:
        raise CatalogueError(problems)
    return Catalogue(list(current.values()), list(archived.values()), overlays)


def _checked_definitions(
    loaded: list[tuple[_Source, ChecklistDefinition]], archive: bool, problems: list[Problem]
) -> dict[Any, ChecklistDefinition]:
    """Check file names and unique ids (or id and version, for archived files)."""
    found: dict[Any, ChecklistDefinition] = {}
    names: dict[Any, str] = {}

    def expected_name(definition: ChecklistDefinition) -> str:
        """Return the file name (without .yaml) a definition belongs in."""
        return f"{definition.id}.v{definition.version}" if archive else definition.id

    # Correctly named files first, so a copy is the one reported as the duplicate.
    for source, definition in sorted(loaded, key=lambda f: f[0].path.stem != expected_name(f[1])):
        key = (definition.id, definition.version) if archive else definition.id
        expected = expected_name(definition)
        if "variant" in source.data:
            message = "'variant' is set by variant files, not in a checklist"
            problems.append(source.problem(("variant",), message))
        if key in found:
            message = f"checklist '{definition.id}' is also defined in {names[key]}"
            problems.append(source.problem(("id",), message))
        elif source.path.stem != expected:
            message = f"the file for checklist '{definition.id}' must be named '{expected}.yaml'"
            problems.append(source.problem(("id",), message))
        found.setdefault(key, definition)
        names.setdefault(key, source.name)
    return found


def _checked_overlays(
    loaded: list[tuple[_Source, VariantOverlay]], catalogue: Catalogue, problems: list[Problem]
) -> list[VariantOverlay]:
    """Check that every variant names its file, an existing base version, and fits it."""
    valid: dict[str, VariantOverlay] = {}
    for source, overlay in loaded:
        if overlay.variant in valid or source.path.stem != overlay.variant:
            message = (
                f"variant '{overlay.variant}' must be in its own file '{overlay.variant}.yaml'"
            )
            problems.append(source.problem(("variant",), message))
            continue
        try:
            apply_variant(catalogue.get(overlay.base, overlay.base_version), overlay)
        except KeyError:
            known = catalogue.versions(overlay.base)
            loc: Loc = ("base_version",) if known else ("base",)
            message = f"no checklist '{overlay.base}' version {overlay.base_version} to vary"
            problems.append(source.problem(loc, message))
            continue
        except VariantError as exc:
            problems.extend(source.problem(loc, message) for loc, message in exc.problems)
            continue
        valid[overlay.variant] = overlay
    return list(valid.values())
