"""Checklist items as validated data: the questions, their options and show_if conditions.

Items: ``id``, ``type`` (yes_no, single_choice, multiple_choice, number, date, text),
``label``, optional ``help``, ``required``, ``core`` (compared across regions; variants cannot
hide it), ``options`` (choices), ``unit``/``min``/``max``/``decimals`` (numbers), ``past_only``
(dates), ``max_length`` (text: at most this many characters, 1 to 4000; 4000 when left out),
``opens: what_matters`` (the conversation answers it) or ``opens: goals`` (a link to rate the
PSFS goals), ``compute: bmi(weight_kg, height_cm)`` (worked out from earlier items, never
typed; see :mod:`app.checklists.computed`), and ``show_if`` on an earlier item:
``{item: x, equals: "yes"}``,
``{item: x, in: [a, b]}`` (any selected, for multiple choice) or ``{item: x, answered: true}``.
Only ``true``/``false`` are booleans here: an unquoted ``yes`` or ``no`` stays text.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, model_validator

TEXT_MAX_LENGTH = 4000
ItemType = Literal["yes_no", "single_choice", "multiple_choice", "number", "date", "text"]
CHOICE_TYPES = frozenset({"single_choice", "multiple_choice"})

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Number = StrictInt | StrictFloat
Loc = tuple[str | int, ...]
Problems = list[tuple[Loc, str]]


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
    max_length: Annotated[int, Field(ge=1, le=TEXT_MAX_LENGTH)] | None = None
    show_if: ShowIf | None = None
    opens: Literal["what_matters", "goals"] | None = None
    compute: Annotated[str, Field(max_length=200)] | None = None

    @property
    def text_limit(self) -> int:
        """Return how many characters a text answer may have."""
        return self.max_length or TEXT_MAX_LENGTH

    @property
    def allowed_decimals(self) -> int:
        """Return how many decimals a number answer may have."""
        return self.decimals or 0

    def option_ids(self) -> list[str]:
        """Return the ids of this item's options, in order."""
        return [option.id for option in self.options or []]


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
    if item.max_length is not None and item.type != "text":
        problems.append((("max_length",), "'max_length' only applies to text items"))
    return problems
