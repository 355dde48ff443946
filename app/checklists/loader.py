"""Loading a catalogue folder: YAML with line numbers, problems per file, and the Catalogue.

A catalogue folder (``HPH_CHECKLISTS_DIR``, by default ``checklists/`` in the repository) holds

- ``<id>.yaml``: the current version of each checklist;
- ``archive/<id>.v<version>.yaml``: older versions, kept so answers recorded against them stay
  readable (an instance stores the definition id, version and variant);
- ``variants/<variant>.yaml``: local variants, overlays on one version of a checklist.

The file format is described in :mod:`app.checklists.catalogue`, :mod:`app.checklists.items`
and :mod:`app.checklists.variants`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from app.checklists.catalogue import EVENT_KINDS, ChecklistDefinition, Loc, Problems
from app.checklists.variants import VariantError, VariantOverlay, apply_variant


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
