"""Local variants hide optional items, add their own and reword help, never touching core items."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.checklists.catalogue import ChecklistDefinition
from app.checklists.loader import Catalogue, CatalogueError, load_catalogue
from app.checklists.variants import VariantError, VariantOverlay, apply_variant

WriteFiles = Callable[[dict[str, str]], Path]


def _overlay(**fields: Any) -> VariantOverlay:
    """Return an overlay on the demo checklist with the given fields."""
    return VariantOverlay.model_validate(
        {"variant": "local", "organisation": "bygda", "base": "demo", "base_version": 1, **fields}
    )


def _alarm_item(**fields: Any) -> dict[str, Any]:
    """Return a locally added yes/no item."""
    label = {"nb": "Har pasienten trygghetsalarm som virker?", "en": "Working safety alarm?"}
    return {"id": "alarm_ok", "type": "yes_no", "label": label, **fields}


def _problems(definition: ChecklistDefinition, overlay: VariantOverlay) -> list[str]:
    """Return the messages apply_variant raises."""
    with pytest.raises(VariantError) as caught:
        apply_variant(definition, overlay)
    return [message for _, message in caught.value.problems]


def test_hiding_an_optional_item(demo: ChecklistDefinition) -> None:
    varied = apply_variant(demo, _overlay(hide=["notes", "next_visit"]))
    ids = [item.id for item in varied.items]
    assert "notes" not in ids and "next_visit" not in ids
    assert len(ids) == len(demo.items) - 2
    assert varied.variant == "local"
    assert (varied.id, varied.version) == (demo.id, demo.version)


def test_apply_variant_leaves_the_base_unchanged(demo: ChecklistDefinition) -> None:
    apply_variant(demo, _overlay(hide=["notes"], help={"fall": {"nb": "Ny", "en": "New"}}))
    assert demo.item("notes") and demo.item("fall").help is None and demo.variant is None


@pytest.mark.parametrize(
    ("hidden", "problem"),
    [
        ("fall", "cannot hide core item 'fall'"),
        ("falls_plan", "cannot hide required item 'falls_plan'"),
        ("nothing", "cannot hide unknown item 'nothing'"),
        ("aids", "cannot hide item 'aids': item 'alarm_works' depends on it"),
    ],
)
def test_hiding_is_rejected(demo: ChecklistDefinition, hidden: str, problem: str) -> None:
    assert _problems(demo, _overlay(hide=[hidden])) == [problem]


def test_hiding_an_item_with_its_dependants(demo: ChecklistDefinition) -> None:
    varied = apply_variant(demo, _overlay(hide=["aids", "alarm_works"]))
    assert "alarm_works" not in [item.id for item in varied.items]


def test_adding_items_at_the_end_and_after_an_item(demo: ChecklistDefinition) -> None:
    added = [_alarm_item(after="aids"), _alarm_item(id="own_note", type="text")]
    ids = [item.id for item in apply_variant(demo, _overlay(add=added)).items]
    assert ids[ids.index("aids") + 1] == "alarm_ok"
    assert ids[-1] == "own_note"


def test_added_items_after_the_same_item_keep_their_order(demo: ChecklistDefinition) -> None:
    added = [_alarm_item(after="fall"), _alarm_item(id="second", after="fall")]
    ids = [item.id for item in apply_variant(demo, _overlay(add=added)).items]
    assert ids[:3] == ["fall", "alarm_ok", "second"]


def test_added_item_may_depend_on_a_base_item(demo: ChecklistDefinition) -> None:
    added = [_alarm_item(show_if={"item": "living", "equals": "alone"})]
    varied = apply_variant(demo, _overlay(add=added))
    assert not varied.item("alarm_ok").core


def test_added_item_cannot_be_core() -> None:
    with pytest.raises(ValidationError, match="items added by a variant cannot be core"):
        _overlay(add=[_alarm_item(core=True)])


@pytest.mark.parametrize(
    ("added", "problem"),
    [
        ([_alarm_item(id="fall")], "added item 'fall' clashes with an item of 'demo'"),
        ([_alarm_item(), _alarm_item()], "item 'alarm_ok' is added twice"),
        ([_alarm_item(after="nowhere")], "'after' refers to unknown item 'nowhere'"),
        (
            [_alarm_item(show_if={"item": "missing", "answered": True})],
            "item 'alarm_ok': show_if refers to unknown item 'missing'",
        ),
        (
            [_alarm_item(type="number")],
            "item 'alarm_ok': a number item needs both min and max",
        ),
    ],
)
def test_adding_is_rejected(demo: ChecklistDefinition, added: list, problem: str) -> None:
    assert any(problem in message for message in _problems(demo, _overlay(add=added)))


def test_rewording_help_and_title(demo: ChecklistDefinition) -> None:
    help_text = {"nb": "Sjekk dosetten.", "en": "Check the pill organiser."}
    title = {"nb": "Vår demo", "en": "Our demo"}
    varied = apply_variant(demo, _overlay(help={"fall": help_text}, title=title))
    assert varied.item("fall").help is not None
    assert varied.item("fall").help.en == "Check the pill organiser."
    assert varied.title.nb == "Vår demo"


def test_help_for_unknown_or_hidden_item_is_rejected(demo: ChecklistDefinition) -> None:
    text = {"nb": "x", "en": "x"}
    overlay = _overlay(hide=["notes"], help={"notes": text, "ghost": text})
    assert _problems(demo, overlay) == [
        "help text for unknown item 'notes'",
        "help text for unknown item 'ghost'",
    ]


def test_variant_for_another_version_is_rejected(demo: ChecklistDefinition) -> None:
    (problem,) = _problems(demo, _overlay(base_version=2))
    assert "is for 'demo' version 2, not 'demo' version 1" in problem


VARIANT_YAML = """\
variant: bygda-demo
organisation: bygda
base: demo
base_version: 1
hide:
  - weight
  - fall
add:
  - id: weight
    type: yes_no
    label: {nb: Veid, en: Weighed}
"""


def test_loader_reports_variant_problems_with_lines(
    write_files: WriteFiles, demo_yaml: str
) -> None:
    folder = write_files({"demo.yaml": demo_yaml, "variants/bygda-demo.yaml": VARIANT_YAML})
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(folder)
    lines = [str(problem).split("catalogue/")[1] for problem in caught.value.problems]
    assert lines == [
        "variants/bygda-demo.yaml, line 7: cannot hide core item 'fall'",
        "variants/bygda-demo.yaml, line 9: added item 'weight' clashes with an item of 'demo'",
    ]


def test_loader_rejects_a_variant_of_a_missing_version(
    write_files: WriteFiles, demo_yaml: str
) -> None:
    text = VARIANT_YAML.replace("base_version: 1", "base_version: 4")
    folder = write_files({"demo.yaml": demo_yaml, "variants/bygda-demo.yaml": text})
    with pytest.raises(CatalogueError, match="line 4: no checklist 'demo' version 4 to vary"):
        load_catalogue(folder)


def test_loader_checks_the_variant_file_name(write_files: WriteFiles, demo_yaml: str) -> None:
    text = VARIANT_YAML.replace("  - fall\n", "").replace("id: weight", "id: weighed")
    folder = write_files({"demo.yaml": demo_yaml, "variants/other.yaml": text})
    with pytest.raises(CatalogueError, match="other.yaml, line 1: variant 'bygda-demo' must"):
        load_catalogue(folder)


def test_catalogue_resolves_variants(write_files: WriteFiles, demo_yaml: str) -> None:
    text = VARIANT_YAML.replace("  - fall\n", "").replace("id: weight", "id: weighed")
    catalogue = load_catalogue(
        write_files({"demo.yaml": demo_yaml, "variants/bygda-demo.yaml": text})
    )
    assert isinstance(catalogue, Catalogue)
    assert [overlay.variant for overlay in catalogue.variants("demo")] == ["bygda-demo"]
    varied = catalogue.resolve("demo", 1, "bygda-demo")
    assert varied.variant == "bygda-demo"
    assert "weighed" in [item.id for item in varied.items]
    assert catalogue.resolve("demo").variant is None
    with pytest.raises(KeyError):
        catalogue.resolve("demo", 2, "bygda-demo")
