"""Risk rules as data: a condition on one checklist's answers calls for a follow-up action.

Rules live in ``checklists/risks/<id>.yaml`` (DESIGN.md §13)::

    id: falls
    network: helse-nord        # optional: the rule applies only in this network
    title: {nb: Fall, en: Falls}
    action: {nb: Fallrisikovurdering, en: Falls assessment}
    help: {nb: ..., en: ...}
    owner: home_care            # or gp
    due_window: {ends: 14d, end_of_day: true}
    when:                       # any of these, each on one checklist's shown answers
      - {checklist: hph-2, item: fall_last_year, equals: "yes"}
      - {checklist: ernaering, item: mst_score, at_least: 2}

A condition uses the ``show_if`` language of the checklists (``equals``, ``in``) and, for
number items, ``at_least``. Files are validated like the checklists: each problem names file
and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import ConfigDict, Field, model_validator

from app.checklists.answer_rules import NOT_RELEVANT, is_answered, visible_answers
from app.checklists.catalogue import ChecklistDefinition, DueWindow, _condition_hint
from app.checklists.items import LocalisedText, Number, Slug, _Strict
from app.checklists.loader import (
    Catalogue,
    CatalogueError,
    Problem,
    _read_source,
    _shown,
    _validate,
)

RuleId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]
Owner = Literal["home_care", "gp"]


class RiskCondition(_Strict):
    """One answer on one checklist that reveals the risk."""

    model_config = ConfigDict(populate_by_name=True)

    checklist: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]
    item: Slug
    equals: str | Number | None = None
    in_: Annotated[list[str | Number] | None, Field(alias="in", min_length=1)] = None
    at_least: Number | None = None

    @model_validator(mode="after")
    def _exactly_one_test(self) -> RiskCondition:
        """Require exactly one of ``equals``, ``in`` and ``at_least``."""
        given = [v for v in (self.equals, self.in_, self.at_least) if v is not None]
        if len(given) != 1:
            raise ValueError("a condition needs exactly one of 'equals', 'in' or 'at_least'")
        return self

    def holds(self, answer: Any) -> bool:
        """Tell whether an answer (a shown one) meets this condition."""
        if not is_answered(answer) or answer == NOT_RELEVANT:
            return False
        if self.at_least is not None:
            number = isinstance(answer, int | float) and not isinstance(answer, bool)
            return number and answer >= self.at_least
        expected = [self.equals] if self.equals is not None else list(self.in_ or [])
        if isinstance(answer, list):
            return any(choice in expected for choice in answer)
        return answer in expected


class RiskRule(_Strict):
    """A risk found in answers, and the follow-up action it calls for."""

    id: RuleId
    network: Annotated[str, Field(max_length=64)] | None = None
    title: LocalisedText
    action: LocalisedText
    help: LocalisedText
    owner: Owner
    due_window: DueWindow
    when: Annotated[list[RiskCondition], Field(min_length=1)]

    def checklists(self) -> set[str]:
        """Return the checklists this rule looks at."""
        return {condition.checklist for condition in self.when}

    def met_by(self, definition: ChecklistDefinition, answers: Mapping[str, Any]) -> bool:
        """Tell whether one checklist's answers (shown items only) reveal the risk."""
        return self.met_by_shown(definition.id, visible_answers(definition, answers))

    def met_by_shown(self, checklist_id: str, shown: Mapping[str, Any]) -> bool:
        """Tell whether one checklist's shown answers (``visible_answers``) reveal the risk."""
        return any(
            condition.holds(shown.get(condition.item))
            for condition in self.when
            if condition.checklist == checklist_id
        )

    def window(self, found_at: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """Return the follow-up's due window (UTC) counted from when the risk was found."""
        window = self.due_window
        start = window.starts.added_to(found_at, zone)
        end = window.ends.added_to(found_at, zone)
        if window.start_of_day:
            start = datetime.combine(start.date(), time(0), zone)
        if window.end_of_day:
            next_midnight = datetime.combine(end.date() + timedelta(days=1), time(0), zone)
            end = next_midnight.astimezone(UTC) - timedelta(microseconds=1)
        return start.astimezone(UTC), end.astimezone(UTC)


class RiskRules:
    """The loaded rules, in file order."""

    def __init__(self, rules: list[RiskRule]) -> None:
        """Index the rules by id, and the checklists some network's own rule looks at."""
        self._by_id = {rule.id: rule for rule in rules}
        self._network_checklists = {
            checklist
            for rule in rules
            if rule.network is not None
            for checklist in rule.checklists()
        }
        # Every answer save asks for its checklist's rules: worked out once per checklist.
        self._for_checklist: dict[tuple[str, str | None], list[RiskRule]] = {}

    def get(self, rule_id: str) -> RiskRule | None:
        """Return one rule, or None when there is none by that id."""
        return self._by_id.get(rule_id)

    def all(self) -> list[RiskRule]:
        """Return every rule."""
        return list(self._by_id.values())

    def network_specific(self, checklist_id: str) -> bool:
        """Whether some network's own rule looks at this checklist (else the network of the
        team does not matter, and a save need not look it up)."""
        return checklist_id in self._network_checklists

    def for_checklist(self, checklist_id: str, network: str | None) -> list[RiskRule]:
        """Return the rules that look at a checklist, in a network (common rules and its own)."""
        key = (checklist_id, network)
        if key not in self._for_checklist:
            self._for_checklist[key] = [
                rule
                for rule in self._by_id.values()
                if checklist_id in rule.checklists() and rule.network in (None, network)
            ]
        return self._for_checklist[key]


def _reference_problems(rule: RiskRule, catalogue: Catalogue) -> list[tuple[Any, str]]:
    """Check that every condition names a checklist, an item of it and a possible answer."""
    problems: list[tuple[Any, str]] = []
    for index, condition in enumerate(rule.when):
        here = ("when", index)
        try:
            definition = catalogue.get(condition.checklist)
        except KeyError:
            problems.append(((*here, "checklist"), f"unknown checklist '{condition.checklist}'"))
            continue
        try:
            item = definition.item(condition.item)
        except KeyError:
            message = f"checklist '{definition.id}' has no item '{condition.item}'"
            problems.append(((*here, "item"), message))
            continue
        if condition.at_least is not None:
            if item.type != "number":
                message = f"'at_least' needs a number item; '{item.id}' is {item.type}"
                problems.append(((*here, "at_least"), message))
            continue
        key = "equals" if condition.equals is not None else "in"
        values = [condition.equals] if condition.equals is not None else condition.in_ or []
        for value in values:
            hint = _condition_hint(item, value)
            if hint:
                message = f"value {value!r} for item '{item.id}': {hint}"
                problems.append(((*here, key), message))
                break
    return problems


def load_risk_rules(directory: Path, catalogue: Catalogue) -> RiskRules:
    """Load and check every rule file in a folder (CatalogueError lists each problem)."""
    problems: list[Problem] = []
    rules: list[RiskRule] = []
    seen: dict[str, str] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        source = _read_source(path, problems)
        rule = _validate(source, RiskRule, problems) if source else None
        if source is None or rule is None:
            continue
        if rule.id in seen:
            message = f"risk rule '{rule.id}' is also defined in {seen[rule.id]}"
            problems.append(source.problem(("id",), message))
            continue
        if path.stem != rule.id:
            message = f"the file for risk rule '{rule.id}' must be named '{rule.id}.yaml'"
            problems.append(source.problem(("id",), message))
        problems.extend(source.problem(loc, m) for loc, m in _reference_problems(rule, catalogue))
        seen[rule.id] = _shown(path)
        rules.append(rule)
    if problems:
        raise CatalogueError(problems)
    return RiskRules(rules)


@lru_cache(maxsize=1)
def risk_rules_in_use() -> RiskRules:
    """Load the rules under HPH_CHECKLISTS_DIR/risks, checked against the checklists."""
    from app.checklists.in_use import catalogue_in_use
    from app.core.config import get_settings

    return load_risk_rules(get_settings().checklists_dir / "risks", catalogue_in_use())
