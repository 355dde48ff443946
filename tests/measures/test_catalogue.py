"""The measure catalogue: the shipped measures, and broken files reported by file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.checklists.in_use import catalogue_in_use
from app.checklists.loader import CatalogueError
from app.measures.catalogue import BundleCount, load_measures, measures_in_use

SHIPPED = Path(__file__).resolve().parents[2] / "checklists" / "measures"
GOOD = """\
id: visits
title: {nb: Besøk, en: Visits}
description: {nb: Besøk i tide, en: Visits on time}
type: proportion
count: {of: checklists, checklists: [hph-2], numerator: on_time}
"""


def _write(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "measures"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def test_shipped_catalogue_has_every_measure_worth_shipping() -> None:
    catalogue = load_measures(SHIPPED, catalogue_in_use())
    ids = {measure.id for measure in catalogue.all()}
    assert {
        "innleggelse-on-time",
        "hph-1-on-time",
        "hph-2-on-time",
        "hph-3-on-time",
        "hph-4-on-time",
        "full-pathway",
        "halvarlig-on-time",
        "what-matters-documented",
        "goals-rerated",
        "psfs-improved",
        "psfs-mean-change",
        "readmission-30d",
        "ernaering-on-time",
    } <= ids
    bundle = catalogue.get("full-pathway").count
    assert isinstance(bundle, BundleCount) and bundle.required == 3
    assert catalogue.get("readmission-30d").direction == "down"
    assert all(
        m.core for m in catalogue.all() if m.id.endswith("-on-time") and "samstem" not in m.id
    )
    assert measures_in_use().get("hph-2-on-time").title.en == "First home visit within 3 days"


def test_broken_measure_file_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        {
            "broken.yaml": """\
            id: broken
            title: {nb: Brutt, en: Broken}
            description: {nb: x, en: x}
            type: share
            direction: sideways
            count:
              of: checklists
              checklists: [hph-2]
              numerator: sometimes
            """,
        },
    )
    with pytest.raises(CatalogueError) as caught:
        load_measures(folder)
    lines = [str(problem) for problem in caught.value.problems]
    assert any("broken.yaml, line 4" in line and "type" in line for line in lines), lines
    assert any("broken.yaml, line 5" in line and "direction" in line for line in lines), lines
    assert any("broken.yaml, line 9" in line and "numerator" in line for line in lines), lines


def test_measure_naming_an_unknown_checklist_or_item_is_refused(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        {
            "visits.yaml": GOOD.replace("hph-2", "hph-9"),
            "answers.yaml": GOOD.replace("id: visits", "id: answers").replace(
                "numerator: on_time}",
                "numerator: answered, answer: {item: no_such_item, equals: yes}}",
            ),
        },
    )
    with pytest.raises(CatalogueError) as caught:
        load_measures(folder, catalogue_in_use())
    text = str(caught.value)
    assert "visits.yaml, line 5: unknown checklist 'hph-9'" in text
    assert "answers.yaml, line 5: checklist 'hph-2' has no item 'no_such_item'" in text


def test_measure_file_must_carry_its_id_and_ids_are_unique(tmp_path: Path) -> None:
    folder = _write(tmp_path, {"visits.yaml": GOOD, "copy.yaml": GOOD})
    with pytest.raises(CatalogueError) as caught:
        load_measures(folder)
    assert "copy.yaml, line 1: measure 'visits' is also defined in" in str(caught.value)


def test_measure_type_must_fit_its_period_and_chart(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        {"visits.yaml": GOOD + "periods: [month]\ndefault_period: week\nchart: c\ngoal: 120\n"},
    )
    with pytest.raises(CatalogueError) as caught:
        load_measures(folder)
    assert "default_period 'week' is not one of periods" in str(caught.value)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    folder = _write(tmp_path, {"visits.yaml": GOOD + "goal: [80\n"})
    with pytest.raises(CatalogueError) as caught:
        load_measures(folder)
    text = str(caught.value)
    assert "visits.yaml, line " in text and "YAML:" in text
