"""The measure catalogue: what each measure counts, declared in YAML and validated at load.

Measures live in ``checklists/measures/<id>.yaml``. Each names its type (``proportion``,
``count`` or ``mean``), the periods it is charted by, its direction and optional goal line,
whether it is ``core`` (compared across regions), and ``count``: which items it counts and
when an item is in the numerator. Every item has a window (MEASUREMENT.md §1)::

    count: {of: checklists, checklists: [hph-2], numerator: on_time}
    count: {of: checklists, checklists: [innleggelse], numerator: answered,
            answer: {item: medication_list_sent, equals: "yes"}}
    count: {of: checklist_bundle, checklists: [hph-1, hph-2, hph-3, hph-4], anchor: hph-4,
            at_least: 3}
    count: {of: readmissions, follow_days: 30}
    count: {of: what_matters, within_days: 14}
    count: {of: goal_reratings, due_days: 196}
    count: {of: psfs_change, result: improved}        # or mean_change (type mean)
    count: {of: follow_ups, rules: [falls]}           # risk follow-ups done in time (all
                                                      # rules when ``rules`` is left out)

A goal line is written in the unit the chart shows: per cent for proportions.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.checklists.catalogue import LocalisedText
from app.checklists.loader import Catalogue, CatalogueError, Problem

MeasureType = Literal["proportion", "count", "mean"]
PeriodName = Literal["week", "month"]
Direction = Literal["up", "down"]
ChartName = Literal["run", "p", "u", "c", "i"]
Loc = tuple[str | int, ...]
MeasureId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=80)]
ChecklistRef = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]
CHARTS_FOR_TYPE: dict[str, tuple[str, ...]] = {
    "proportion": ("run", "p"),
    "count": ("run", "c"),
    "mean": ("run", "i"),
}


def spc_chart_of(measure_type: str) -> str:
    """The SPC chart of a measure type (p for shares, c for counts, i for means)."""
    return next(chart for chart in CHARTS_FOR_TYPE[measure_type] if chart != "run")


class _Loader(yaml.SafeLoader):
    """A safe loader that reads only true/false as booleans (YAML 1.2), so yes/no stay text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _Strict(BaseModel):
    """Frozen models that refuse unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class AnswerCondition(_Strict):
    """An answer that puts a completed checklist in the numerator."""

    item: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
    equals: str | int | float | bool


class ChecklistCount(_Strict):
    """Checklist instances of some lists; numerator on time, completed at all, or an answer."""

    of: Literal["checklists"]
    checklists: Annotated[list[ChecklistRef], Field(min_length=1)]
    numerator: Literal["on_time", "completed", "answered"] = "on_time"
    answer: AnswerCondition | None = None

    @model_validator(mode="after")
    def _answer_with_answered(self) -> ChecklistCount:
        """Require ``answer`` exactly when the numerator is ``answered``."""
        if (self.numerator == "answered") != (self.answer is not None):
            raise ValueError("'answer' is needed with numerator 'answered', and only then")
        return self


class BundleCount(_Strict):
    """Events whose lists were done on time, at least ``at_least`` of them (all by default)."""

    of: Literal["checklist_bundle"]
    checklists: Annotated[list[ChecklistRef], Field(min_length=2)]
    anchor: ChecklistRef
    at_least: Annotated[int, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _anchor_in_bundle(self) -> BundleCount:
        """The anchor (whose window dates the item) must be one of the bundle's lists."""
        if self.anchor not in self.checklists:
            raise ValueError(f"anchor '{self.anchor}' is not one of the bundle's checklists")
        if self.at_least is not None and self.at_least > len(self.checklists):
            raise ValueError(f"at_least ({self.at_least}) is more than the bundle's lists")
        return self

    @property
    def required(self) -> int:
        """Return how many lists must be on time."""
        return self.at_least or len(self.checklists)


class ReadmissionCount(_Strict):
    """Discharges followed by a (non-cancelled) admission within ``follow_days``."""

    of: Literal["readmissions"]
    follow_days: Annotated[int, Field(ge=1, le=365)] = 30


class WhatMattersCount(_Strict):
    """Pathways with an answered 'what matters' conversation within ``within_days`` of start."""

    of: Literal["what_matters"]
    within_days: Annotated[int, Field(ge=0, le=365)] = 14


class GoalReratingCount(_Strict):
    """PSFS goals re-rated within ``due_days`` of their baseline rating."""

    of: Literal["goal_reratings"]
    due_days: Annotated[int, Field(ge=1, le=1000)] = 196


class PsfsChangeCount(_Strict):
    """Re-rating rounds of a patient: improved by the minimal important change, or the change."""

    of: Literal["psfs_change"]
    result: Literal["improved", "mean_change"] = "improved"


class FollowUpCount(_Strict):
    """Follow-ups of risk rules (``checklists/risks``): done within their window."""

    of: Literal["follow_ups"]
    rules: Annotated[list[ChecklistRef], Field(min_length=1)] | None = None


CountRule = Annotated[
    ChecklistCount
    | FollowUpCount
    | BundleCount
    | ReadmissionCount
    | WhatMattersCount
    | GoalReratingCount
    | PsfsChangeCount,
    Field(discriminator="of"),
]


class MeasureDefinition(_Strict):
    """One measure: what it counts, how it is charted, and whether regions compare it."""

    id: MeasureId
    title: LocalisedText
    description: LocalisedText
    type: MeasureType
    count: CountRule
    periods: Annotated[list[PeriodName], Field(min_length=1)] = ["week", "month"]
    default_period: PeriodName = "week"
    direction: Direction = "up"
    goal: float | None = None
    chart: ChartName = "run"
    core: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> MeasureDefinition:
        """Check that period, chart, goal and count fit the measure's type."""
        if self.default_period not in self.periods:
            raise ValueError(f"default_period '{self.default_period}' is not one of periods")
        if len(set(self.periods)) != len(self.periods):
            raise ValueError("a period is listed twice in periods")
        if self.chart not in CHARTS_FOR_TYPE[self.type]:
            allowed = ", ".join(CHARTS_FOR_TYPE[self.type])
            raise ValueError(f"a {self.type} measure is charted as {allowed}, not {self.chart}")
        if self.type == "proportion" and self.goal is not None and not 0 <= self.goal <= 100:
            raise ValueError("the goal of a proportion is a percentage from 0 to 100")
        mean_change = isinstance(self.count, PsfsChangeCount) and self.count.result == "mean_change"
        if mean_change != (self.type == "mean"):
            raise ValueError(
                "type 'mean' goes with psfs_change result 'mean_change', and only then"
            )
        return self

    @property
    def multiply(self) -> float:
        """Return the factor from the counted value to the charted one (per cent for shares)."""
        return 100.0 if self.type == "proportion" else 1.0

    def checklist_ids(self) -> list[str]:
        """Return every checklist the measure refers to."""
        if isinstance(self.count, ChecklistCount | BundleCount):
            return list(self.count.checklists)
        return []


class MeasureCatalogue:
    """The loaded measures, in file order."""

    def __init__(self, measures: list[MeasureDefinition]) -> None:
        """Index the measures by id."""
        self._by_id = {measure.id: measure for measure in measures}

    def get(self, measure_id: str) -> MeasureDefinition:
        """Return one measure (KeyError when there is none by that id)."""
        return self._by_id[measure_id]

    def all(self) -> list[MeasureDefinition]:
        """Return every measure."""
        return list(self._by_id.values())

    def core(self) -> list[MeasureDefinition]:
        """Return the measures compared across regions."""
        return [measure for measure in self._by_id.values() if measure.core]

    def __contains__(self, measure_id: object) -> bool:
        """Whether a measure by that id exists."""
        return measure_id in self._by_id


def _shown(path: Path) -> str:
    """Return a path relative to the working folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _node_lines(node: yaml.Node, loc: Loc, lines: dict[Loc, int], dupes: list[Loc]) -> None:
    """Record the line of every key and list entry under a node, and repeated keys."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            lines[(*loc, key)] = key_node.start_mark.line + 1
            if key in seen:
                dupes.append((*loc, key))
            seen.add(key)
            _node_lines(value_node, (*loc, key), lines, dupes)
    elif isinstance(node, yaml.SequenceNode):
        for index, value_node in enumerate(node.value):
            lines[(*loc, index)] = value_node.start_mark.line + 1
            _node_lines(value_node, (*loc, index), lines, dupes)


def _line_of(lines: dict[Loc, int], loc: Loc) -> int:
    """Return the line of the deepest known part of a location."""
    while loc and loc not in lines:
        loc = loc[:-1]
    return lines.get(loc, 1)


def _parse(path: Path, problems: list[Problem]) -> tuple[Any, dict[Loc, int]] | None:
    """Read one YAML file with the line of every key, recording what stops it being read."""
    name = _shown(path)
    try:
        loader = _Loader(path.read_text(encoding="utf-8"))
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except (UnicodeDecodeError, OSError) as exc:
        problems.append(Problem(name, None, f"cannot read the file: {exc}"))
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(part for part in (exc.context, exc.problem) if part)
        problems.append(Problem(name, mark.line + 1 if mark else None, f"YAML: {reason}"))
        return None
    if node is None or not isinstance(data, dict):
        problems.append(Problem(name, 1, "the file must hold a mapping of keys to values"))
        return None
    lines: dict[Loc, int] = {(): 1}
    dupes: list[Loc] = []
    _node_lines(node, (), lines, dupes)
    for loc in dupes:
        problems.append(Problem(name, lines[loc], f"key '{loc[-1]}' appears twice"))
    return data, lines


def _error_problem(name: str, data: Any, lines: dict[Loc, int], error: Any) -> Problem:
    """Turn one pydantic error into a problem with the line it concerns."""
    loc: list[str | int] = []
    here = data
    for part in error["loc"]:
        if isinstance(here, dict) and part == here.get("of"):
            continue  # the tag pydantic adds for the chosen kind of count
        if isinstance(here, dict) and part in here:
            here = here[part]
        elif isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here):
            here = here[part]
        else:
            break
        loc.append(part)
    where = ".".join(str(part) for part in loc)
    if error["type"] == "extra_forbidden":
        problem = f"unknown key '{error['loc'][-1]}'"
        where = ".".join(str(part) for part in loc[:-1])
    elif error["type"] == "missing":
        problem = f"missing key '{error['loc'][-1]}'"
    else:
        problem = error["msg"].removeprefix("Value error, ")
        if not isinstance(error["input"], dict | list):
            problem += f" (got {error['input']!r})"
    message = f"{where}: {problem}" if where else problem
    return Problem(name, _line_of(lines, tuple(loc)), message)


def _reference_problems(
    measure: MeasureDefinition, catalogue: Catalogue, name: str, lines: dict[Loc, int]
) -> list[Problem]:
    """Check that the checklists (and answered items) a measure names exist."""
    problems: list[Problem] = []
    count = measure.count
    for index, checklist_id in enumerate(measure.checklist_ids()):
        try:
            definition = catalogue.get(checklist_id)
        except KeyError:
            line = _line_of(lines, ("count", "checklists", index))
            problems.append(Problem(name, line, f"unknown checklist '{checklist_id}'"))
            continue
        if isinstance(count, ChecklistCount) and count.answer is not None:
            try:
                definition.item(count.answer.item)
            except KeyError:
                line = _line_of(lines, ("count", "answer", "item"))
                message = f"checklist '{checklist_id}' has no item '{count.answer.item}'"
                problems.append(Problem(name, line, message))
    return problems


def _rule_problems(
    measure: MeasureDefinition, rule_ids: set[str], name: str, lines: dict[Loc, int]
) -> list[Problem]:
    """Check that the risk rules a follow-up measure names exist."""
    count = measure.count
    if not isinstance(count, FollowUpCount):
        return []
    return [
        Problem(name, _line_of(lines, ("count", "rules", index)), f"unknown risk rule '{rule}'")
        for index, rule in enumerate(count.rules or [])
        if rule not in rule_ids
    ]


def load_measures(
    directory: Path, catalogue: Catalogue | None = None, rule_ids: set[str] | None = None
) -> MeasureCatalogue:
    """Load and validate every measure file in a folder (CatalogueError lists each problem)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CatalogueError([Problem(_shown(directory), None, "measure folder not found")])
    problems: list[Problem] = []
    parsed_files: list[tuple[Path, MeasureDefinition, dict[Loc, int]]] = []
    for path in sorted(directory.glob("*.yaml")):
        parsed = _parse(path, problems)
        if parsed is None:
            continue
        data, lines = parsed
        try:
            parsed_files.append((path, MeasureDefinition.model_validate(data), lines))
        except ValidationError as exc:
            problems.extend(
                _error_problem(_shown(path), data, lines, error)
                for error in exc.errors(include_url=False)
            )
    measures: list[MeasureDefinition] = []
    files: dict[str, str] = {}
    # Correctly named files first, so that a copy is the one reported as the duplicate.
    for path, measure, lines in sorted(parsed_files, key=lambda f: f[0].stem != f[1].id):
        name = _shown(path)
        if measure.id in files:
            message = f"measure '{measure.id}' is also defined in {files[measure.id]}"
            problems.append(Problem(name, _line_of(lines, ("id",)), message))
            continue
        if path.stem != measure.id:
            message = f"the file for measure '{measure.id}' must be named '{measure.id}.yaml'"
            problems.append(Problem(name, _line_of(lines, ("id",)), message))
        if catalogue is not None:
            problems.extend(_reference_problems(measure, catalogue, name, lines))
        if rule_ids is not None:
            problems.extend(_rule_problems(measure, rule_ids, name, lines))
        files[measure.id] = name
        measures.append(measure)
    if problems:
        raise CatalogueError(problems)
    return MeasureCatalogue(measures)


@lru_cache(maxsize=1)
def measures_in_use() -> MeasureCatalogue:
    """Load the measures under HPH_CHECKLISTS_DIR/measures, checked against the checklists."""
    from app.checklists.in_use import catalogue_in_use
    from app.core.config import get_settings
    from app.risks.rules import risk_rules_in_use

    rule_ids = {rule.id for rule in risk_rules_in_use().all()}
    return load_measures(get_settings().checklists_dir / "measures", catalogue_in_use(), rule_ids)
