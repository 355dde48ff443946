"""A broken catalogue file is one clear line per problem: file, line and what is wrong."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from app.checklists.loader import CatalogueError, load_catalogue

WriteFiles = Callable[[dict[str, str]], Path]

# Line numbers matter: the cases below name the line each problem must be reported on.
BASE = """\
id: demo
version: 1
title: {nb: Demo, en: Demo}
description: {nb: Demo, en: Demo}
trigger: hospital_discharge
due_window: {starts: 0d, ends: 3d, end_of_day: true}
items:
  - id: fall
    type: yes_no
    label: {nb: Falt, en: Fallen}
  - id: weight
    type: number
    min: 20
    max: 300
    label: {nb: Vekt, en: Weight}
  - id: aids
    type: single_choice
    label: {nb: Hjelpemidler, en: Aids}
    options:
      - {id: walker, label: {nb: Rullator, en: Walker}}
      - {id: wheelchair, label: {nb: Rullestol, en: Wheelchair}}
  - id: falls_assessment
    type: yes_no
    show_if: {item: fall, equals: "yes"}
    label: {nb: Fallvurdering, en: Falls assessment}
  - id: notes
    type: text
    label: {nb: Notat, en: Notes}
"""

FALL_TYPE = "    type: yes_no\n    label: {nb: Falt"
SHOW_IF = '{item: fall, equals: "yes"}'

CASES = [
    pytest.param(
        "version: 1\n", "version: 1\n  oops: 2\n", 3, "YAML: mapping values", id="yaml syntax"
    ),
    pytest.param("  - id: notes\n", "  - id: notes\n\tbad: 1\n", 27, "YAML:", id="yaml tab"),
    pytest.param(
        "version: 1\n",
        "version: 1\nversion: 2\n",
        3,
        "key 'version' appears twice",
        id="duplicate yaml key",
    ),
    pytest.param(
        "version: 1\n",
        "version: 1\nowner: me\n",
        3,
        "unknown key 'owner'",
        id="unknown top-level key",
    ),
    pytest.param(
        FALL_TYPE,
        "    colour: red\n" + FALL_TYPE,
        9,
        "item 'fall': unknown key 'colour'",
        id="unknown item key",
    ),
    pytest.param(
        "    label: {nb: Falt, en: Fallen}\n",
        "",
        8,
        "item 'fall': missing key 'label'",
        id="missing key",
    ),
    pytest.param(
        "{nb: Falt, en: Fallen}",
        "{nb: Falt}",
        10,
        "item 'fall', label: missing key 'en'",
        id="missing language",
    ),
    pytest.param(
        "version: 1", "version: one", 2, "version: Input should be", id="version not a number"
    ),
    pytest.param(
        "  - id: fall\n", "  - id: Fall risk\n", 8, "item 'Fall risk', id: String", id="bad item id"
    ),
    pytest.param(
        "type: yes_no\n    label: {nb: Falt",
        "type: yesno\n    label: {nb: Falt",
        9,
        "item 'fall', type: Input should be 'yes_no'",
        id="unknown item type",
    ),
    pytest.param(
        "trigger: hospital_discharge",
        "trigger: discharge",
        5,
        "trigger: Input should be 'hospital_admission'",
        id="unknown trigger",
    ),
    pytest.param(
        "trigger: hospital_discharge",
        "trigger: [hospital_discharge, hospital_discharge]",
        5,
        "an event kind is listed twice in trigger",
        id="trigger twice",
    ),
    pytest.param(
        "ends: 3d", "ends: 3x", 6, "due_window.ends: invalid duration '3x'", id="invalid duration"
    ),
    pytest.param(
        "starts: 0d, ends: 3d",
        "starts: 5d, ends: 3d",
        6,
        "due_window: the window starts (5d) after it ends (3d)",
        id="window ends before it starts",
    ),
    pytest.param("ends: 3d", "ends: 1m", 6, "not months", id="window in months"),
    pytest.param(
        "  - id: aids\n", "  - id: fall\n", 16, "item id 'fall' is used twice", id="item ids unique"
    ),
    pytest.param(
        SHOW_IF,
        '{item: falls, equals: "yes"}',
        24,
        "item 'falls_assessment': show_if refers to unknown item 'falls'",
        id="show_if unknown item",
    ),
    pytest.param(
        FALL_TYPE,
        "    show_if: {item: weight, answered: true}\n" + FALL_TYPE,
        9,
        "item 'fall': show_if refers to item 'weight', which comes later",
        id="show_if later item",
    ),
    pytest.param(
        SHOW_IF,
        '{item: falls_assessment, equals: "yes"}',
        24,
        "show_if refers to the item itself",
        id="show_if itself",
    ),
    pytest.param(
        SHOW_IF,
        "{item: fall, equals: maybe}",
        24,
        "show_if value 'maybe' for item 'fall': use yes or no",
        id="show_if yes_no value",
    ),
    pytest.param(
        SHOW_IF, "{item: fall, equals: true}", 24, "use yes or no", id="show_if boolean value"
    ),
    pytest.param(
        SHOW_IF,
        "{item: aids, in: [walker, scooter]}",
        24,
        "show_if value 'scooter' for item 'aids': choose one of walker",
        id="show_if unknown option",
    ),
    pytest.param(
        SHOW_IF,
        "{item: weight, equals: 500}",
        24,
        "use a number from 20 to 300",
        id="show_if number out of range",
    ),
    pytest.param(
        "  - id: notes\n    type: text\n    label: {nb: Notat, en: Notes}\n",
        "  - id: notes\n    type: text\n    label: {nb: Notat, en: Notes}\n"
        "  - id: more\n    type: text\n    show_if: {item: notes, equals: x}\n"
        "    label: {nb: Mer, en: More}\n",
        31,
        "a text item can only be used with 'answered: true'",
        id="show_if on text",
    ),
    pytest.param(
        SHOW_IF,
        '{item: fall, equals: "yes", answered: true}',
        24,
        "show_if needs exactly one of",
        id="show_if two conditions",
    ),
    pytest.param(
        "{id: wheelchair,",
        "{id: walker,",
        21,
        "option id 'walker' is used twice",
        id="option ids unique",
    ),
    pytest.param(
        "      - {id: wheelchair, label: {nb: Rullestol, en: Wheelchair}}\n",
        "",
        19,
        "a single_choice item needs at least two options",
        id="choice needs two options",
    ),
    pytest.param(
        "    label: {nb: Notat, en: Notes}\n",
        "    label: {nb: Notat, en: Notes}\n    options: []\n",
        29,
        "item 'notes': only choice items have options",
        id="options only on choices",
    ),
    pytest.param(
        "min: 20", "min: 400", 14, "min (400) is greater than max (300)", id="number min above max"
    ),
    pytest.param(
        "    max: 300\n",
        "",
        11,
        "item 'weight': a number item needs both",
        id="number needs a range",
    ),
    pytest.param("max: 300", "max: '300'", 14, "item 'weight', max:", id="number range is numeric"),
    pytest.param(
        FALL_TYPE,
        "    unit: kg\n" + FALL_TYPE,
        9,
        "item 'fall': 'unit' only applies to number items",
        id="unit only on numbers",
    ),
    pytest.param(
        FALL_TYPE,
        "    past_only: true\n" + FALL_TYPE,
        9,
        "'past_only' only applies to date items",
        id="past_only only on dates",
    ),
    pytest.param(
        FALL_TYPE,
        "    max_length: 200\n" + FALL_TYPE,
        9,
        "'max_length' only applies to text items",
        id="max_length only on text",
    ),
    pytest.param(
        "    label: {nb: Notat, en: Notes}\n",
        "    label: {nb: Notat, en: Notes}\n    max_length: 5000\n",
        29,
        "item 'notes', max_length:",
        id="max_length at most 4000",
    ),
    pytest.param(
        "version: 1\n",
        "version: 1\nvariant: mine\n",
        3,
        "'variant' is set by variant files",
        id="variant only in overlays",
    ),
]


def _broken(old: str, new: str) -> str:
    """Return the base text with one change (which must apply)."""
    assert old in BASE
    return BASE.replace(old, new, 1)


@pytest.mark.parametrize(("old", "new", "line", "problem"), CASES)
def test_broken_file_names_file_line_and_problem(
    write_files: WriteFiles, old: str, new: str, line: int, problem: str
) -> None:
    folder = write_files({"demo.yaml": _broken(old, new)})
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(folder)
    messages = [str(p) for p in caught.value.problems]
    assert any(problem in m for m in messages), messages
    found = next(p for p in caught.value.problems if problem in p.message)
    assert found.file.endswith("catalogue/demo.yaml")
    assert found.line == line, messages
    assert str(found) == f"{found.file}, line {line}: {found.message}"


def test_the_base_file_is_valid(write_files: WriteFiles) -> None:
    catalogue = load_catalogue(write_files({"demo.yaml": BASE}))
    assert [item.id for item in catalogue.get("demo").items][-1] == "notes"


def test_unquoted_yes_and_no_stay_text(write_files: WriteFiles) -> None:
    text = _broken(SHOW_IF, "{item: fall, equals: yes}")
    show_if = load_catalogue(write_files({"demo.yaml": text})).get("demo").items[3].show_if
    assert show_if is not None and show_if.equals == "yes"


def test_every_problem_is_reported_one_per_line(write_files: WriteFiles) -> None:
    text = _broken("min: 20", "min: 400").replace("ends: 3d", "ends: 3x")
    folder = write_files({"demo.yaml": text, "other.yaml": "- a list\n"})
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(folder)
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert "demo.yaml, line 6: due_window.ends: invalid duration" in lines[0]
    assert "other.yaml, line 1: the file must hold a mapping" in lines[1]


def test_an_empty_file_is_a_problem(write_files: WriteFiles) -> None:
    with pytest.raises(CatalogueError, match="empty.yaml, line 1: the file must hold a mapping"):
        load_catalogue(write_files({"empty.yaml": "# nothing yet\n"}))


def test_file_must_be_named_after_its_id(write_files: WriteFiles) -> None:
    with pytest.raises(CatalogueError, match=r"other.yaml, line 1: .*must be named 'demo.yaml'"):
        load_catalogue(write_files({"other.yaml": BASE}))


def test_ids_unique_across_files(write_files: WriteFiles) -> None:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(write_files({"demo.yaml": BASE, "demo-copy.yaml": BASE}))
    (problem,) = caught.value.problems
    assert problem.file.endswith("demo-copy.yaml")
    assert problem.line == 1
    assert "checklist 'demo' is also defined in" in problem.message


def test_missing_folder_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="catalogue folder not found"):
        load_catalogue(tmp_path / "nowhere")


def test_archived_versions_stay_addressable(write_files: WriteFiles) -> None:
    newer = BASE.replace("version: 1", "version: 2").replace("Fallen", "Fallen lately")
    folder = write_files({"demo.yaml": newer, "archive/demo.v1.yaml": BASE})
    catalogue = load_catalogue(folder)
    assert catalogue.get("demo").version == 2
    assert catalogue.get("demo", 1).item("fall").label.en == "Fallen"
    assert catalogue.versions("demo") == [1, 2]
    assert [d.version for d in catalogue.all()] == [2]
    with pytest.raises(KeyError, match="no checklist 'demo' version 3"):
        catalogue.get("demo", 3)


def test_archived_version_must_be_older(write_files: WriteFiles) -> None:
    folder = write_files({"demo.yaml": BASE, "archive/demo.v1.yaml": BASE})
    with pytest.raises(CatalogueError, match=r"demo.v1.yaml, line 2: archived version 1 .* older"):
        load_catalogue(folder)


def test_archived_file_is_named_with_its_version(write_files: WriteFiles) -> None:
    newer = BASE.replace("version: 1", "version: 2")
    folder = write_files({"demo.yaml": newer, "archive/demo.yaml": BASE})
    with pytest.raises(CatalogueError, match=r"archive/demo.yaml, line 1: .*'demo.v1.yaml'"):
        load_catalogue(folder)
