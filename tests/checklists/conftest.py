"""Fixtures for the checklist catalogue and answer-rule tests."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from app.checklists.catalogue import ChecklistDefinition
from app.checklists.loader import Catalogue, load_catalogue
from app.core.i18n import current_language, set_language

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "checklists"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Run each test in English, so messages are the English msgids."""
    previous = current_language()
    set_language("en")
    yield
    set_language(previous)


@pytest.fixture(scope="session")
def shipped() -> Catalogue:
    """Return the catalogue shipped in checklists/."""
    return load_catalogue(SHIPPED_DIR)


@pytest.fixture
def write_files(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Return a function writing {relative path: YAML text} into a fresh catalogue folder."""

    def write(files: dict[str, str]) -> Path:
        """Write the files (dedented) and return the folder."""
        folder = tmp_path / "catalogue"
        for name, text in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return folder

    return write


def _text(nb: str, en: str | None = None) -> dict[str, str]:
    """Return a localised text."""
    return {"nb": nb, "en": en or nb}


@pytest.fixture(scope="session")
def demo() -> ChecklistDefinition:
    """Return a small definition with one item of each type and show_if chains."""
    return ChecklistDefinition.model_validate(
        {
            "id": "demo",
            "version": 1,
            "title": _text("Demo"),
            "description": _text("Demo"),
            "trigger": "hospital_discharge",
            "due_window": {"starts": "0d", "ends": "3d", "end_of_day": True},
            "items": [
                {"id": "fall", "type": "yes_no", "required": True, "core": True,
                 "label": _text("Har pasienten falt?", "Has the patient fallen?")},
                {"id": "falls_plan", "type": "yes_no", "required": True,
                 "show_if": {"item": "fall", "equals": "yes"},
                 "label": _text("Fallvurdering startet", "Falls assessment started")},
                {"id": "falls_plan_notes", "type": "text",
                 "show_if": {"item": "falls_plan", "answered": True},
                 "label": _text("Notat", "Notes")},
                {"id": "living", "type": "single_choice",
                 "label": _text("Bor", "Lives"),
                 "options": [{"id": "alone", "label": _text("Alene", "Alone")},
                             {"id": "with_others", "label": _text("Med andre", "With others")}]},
                {"id": "aids", "type": "multiple_choice",
                 "label": _text("Hjelpemidler", "Aids"),
                 "options": [{"id": "walker", "label": _text("Rullator", "Walker")},
                             {"id": "alarm", "label": _text("Alarm", "Alarm")},
                             {"id": "bed", "label": _text("Seng", "Bed")}]},
                {"id": "alarm_works", "type": "yes_no",
                 "show_if": {"item": "aids", "in": ["alarm"]},
                 "label": _text("Virker alarmen?", "Does the alarm work?")},
                {"id": "weight", "type": "number", "unit": "kg", "min": 20, "max": 300,
                 "decimals": 1, "label": _text("Vekt", "Weight")},
                {"id": "mst", "type": "number", "min": 0, "max": 5,
                 "label": _text("MST-skår", "MST score")},
                {"id": "weighed_on", "type": "date", "past_only": True,
                 "label": _text("Veid dato", "Date weighed")},
                {"id": "next_visit", "type": "date", "label": _text("Neste besøk", "Next visit")},
                {"id": "notes", "type": "text", "label": _text("Notat", "Notes")},
            ],
        }
    )  # fmt: skip


@pytest.fixture
def demo_yaml(demo: ChecklistDefinition) -> str:
    """Return the demo definition as YAML text."""
    return yaml.safe_dump(demo.model_dump(mode="json", by_alias=True, exclude_none=True))
