"""Computed answers: an item worked out from other answers of its checklist, never typed.

An item declares ``compute: <function>(<item id>, ...)`` in its YAML, e.g.
``compute: bmi(weight_kg, height_cm)``. Only the named functions below exist and every
argument is an earlier item of the same checklist: there is no expression language to
evaluate, so nothing in a catalogue file can run code. The loader checks the call (function
known, arguments right in number and naming earlier items) and reports the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.checklists.items import ChecklistItem, Loc

CALL = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*\(\s*([a-z0-9_,\s]*)\)\s*$")


def _number(value: Any) -> float | None:
    """A stored number, or None for no answer or 'not relevant'."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def bmi(weight_kg: Any, height_cm: Any) -> float | None:
    """Body mass index: weight (kg) over height (m) squared."""
    weight, height = _number(weight_kg), _number(height_cm)
    if weight is None or not height:
        return None
    return weight / (height / 100) ** 2


def _mst_loss_points(lost: Any, lost_kg: Any) -> int | None:
    """MST question 1: unintended weight loss, and about how much (unsure = 2)."""
    if lost == "no":
        return 0
    if lost != "yes":
        return None
    kg = _number(lost_kg)
    if kg is None:
        return 2
    if kg <= 5:
        return 1
    if kg <= 10:
        return 2
    return 3 if kg <= 15 else 4


def mst(lost: Any, lost_kg: Any, eating_less: Any) -> int | None:
    """Malnutrition Screening Tool score, 0–5 (2 or more: at risk)."""
    loss = _mst_loss_points(lost, lost_kg)
    appetite = {"yes": 1, "no": 0}.get(eating_less) if isinstance(eating_less, str) else None
    if loss is None or appetite is None:
        return None
    return loss + appetite


@dataclass(frozen=True)
class Function:
    """A function a checklist may compute an item with."""

    run: Callable[..., float | int | None]
    arity: int


FUNCTIONS: dict[str, Function] = {"bmi": Function(bmi, 2), "mst": Function(mst, 3)}


@dataclass(frozen=True)
class Computation:
    """A parsed ``compute`` call."""

    function: str
    arguments: tuple[str, ...]


def parse(text: str) -> Computation | None:
    """Parse ``name(a, b)``; None when it is not such a call."""
    match = CALL.match(text)
    if match is None:
        return None
    arguments = tuple(a.strip() for a in match.group(2).split(",") if a.strip())
    return Computation(match.group(1), arguments)


def compute_problems(
    item: ChecklistItem, earlier: Mapping[str, ChecklistItem]
) -> list[tuple[Loc, str]]:
    """What is wrong with an item's ``compute`` (unknown function, arguments, item type)."""
    if item.compute is None:
        return []
    where: Loc = ("compute",)
    parsed = parse(item.compute)
    names = ", ".join(sorted(FUNCTIONS))
    if parsed is None:
        return [
            (where, f"compute must be a call like 'bmi(weight_kg, height_cm)' (functions: {names})")
        ]
    function = FUNCTIONS.get(parsed.function)
    if function is None:
        return [(where, f"unknown function '{parsed.function}' (known: {names})")]
    problems: list[tuple[Loc, str]] = []
    if len(parsed.arguments) != function.arity:
        problems.append(
            (
                where,
                f"{parsed.function}() takes {function.arity} items, not {len(parsed.arguments)}",
            )
        )
    for name in parsed.arguments:
        if name not in earlier:
            problems.append((where, f"compute refers to '{name}', which is not an earlier item"))
    if item.type != "number":
        problems.append((("type",), "a computed item must be a number item"))
    if item.required:
        problems.append((("required",), "a computed item cannot be required"))
    return problems


def computed_value(item: ChecklistItem, answers: Mapping[str, Any]) -> float | int | None:
    """The value of a computed item from the other answers, rounded to its decimals."""
    parsed = parse(item.compute or "")
    if parsed is None or parsed.function not in FUNCTIONS:
        return None
    value = FUNCTIONS[parsed.function].run(*(answers.get(name) for name in parsed.arguments))
    if value is None:
        return None
    places = item.allowed_decimals
    rounded = round(float(value), places)
    return rounded if places else int(rounded)


def depends_on(item: ChecklistItem) -> Sequence[str]:
    """The items a computed item is worked out from."""
    parsed = parse(item.compute or "")
    return parsed.arguments if parsed else ()
