"""The shipped checklist files load and follow the HPH pathway."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.checklists.commands import default_catalogue_dir
from app.checklists.loader import Catalogue

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "checklists"
CORE_SET = {
    "innleggelse",
    "hph-1",
    "hph-2",
    "hph-3",
    "hph-4",
    "halvarlig",
    "legemiddelsamstemming",
    "ernaering",
}


def test_every_shipped_file_is_a_current_checklist(shipped: Catalogue) -> None:
    assert {path.stem for path in SHIPPED_DIR.glob("*.yaml")} == CORE_SET
    assert {definition.id for definition in shipped.all()} == CORE_SET


@pytest.mark.parametrize("checklist_id", sorted(CORE_SET))
def test_shipped_checklist_is_short_with_few_required_items(
    shipped: Catalogue, checklist_id: str
) -> None:
    definition = shipped.get(checklist_id)
    assert 6 <= len(definition.items) <= 14
    assert 1 <= sum(item.required for item in definition.items) <= 2
    assert definition.core_items


@pytest.mark.parametrize("checklist_id", ["hph-2", "hph-4", "halvarlig"])
def test_what_matters_item_opens_the_goal_form(shipped: Catalogue, checklist_id: str) -> None:
    item = shipped.get(checklist_id).item("what_matters")
    assert item.opens == "what_matters"
    assert item.core
    assert item.label.nb.startswith("Hva er viktig for deg")


def test_triggers_follow_the_pathway(shipped: Catalogue) -> None:
    ids = {kind: {d.id for d in shipped.for_trigger(kind)} for kind in ("hospital_admission",
           "hospital_discharge", "homecare_start", "halfyear_review", "pathway_end")}  # fmt: skip
    assert ids["hospital_admission"] == {"innleggelse"}
    assert ids["hospital_discharge"] == {
        "hph-1", "hph-2", "hph-3", "hph-4", "halvarlig", "legemiddelsamstemming"
    }  # fmt: skip
    assert ids["homecare_start"] == {"hph-2", "halvarlig", "ernaering"}
    assert ids["halfyear_review"] == {"legemiddelsamstemming"}
    assert ids["pathway_end"] == set()


def test_unknown_event_kind_is_rejected(shipped: Catalogue) -> None:
    with pytest.raises(ValueError, match="unknown event kind"):
        shipped.for_trigger("discharge")


def test_recurring_lists_have_repeat_rules(shipped: Catalogue) -> None:
    halvarlig = shipped.get("halvarlig").repeat
    ernaering = shipped.get("ernaering").repeat
    assert halvarlig is not None and str(halvarlig.every) == "182d"
    assert str(halvarlig.first_after) == "182d"
    assert ernaering is not None and str(ernaering.every) == "1m"
    assert str(ernaering.first_after) == "0d"
    assert all(shipped.get(i).repeat is None for i in CORE_SET - {"halvarlig", "ernaering"})


def test_shipped_variant_applies_to_hph_2(shipped: Catalogue) -> None:
    (overlay,) = shipped.variants("hph-2")
    varied = shipped.resolve("hph-2", 1, overlay.variant)
    ids = [item.id for item in varied.items]
    assert varied.variant == overlay.variant
    assert "safety_alarm_works" in ids
    assert ids.index("safety_alarm_works") == ids.index("safety_checked") + 1
    assert {i.id for i in shipped.get("hph-2").core_items} <= set(ids)


def test_default_folder_is_the_repository_checklists_folder(monkeypatch) -> None:
    monkeypatch.delenv("HPH_CHECKLISTS_DIR", raising=False)
    assert default_catalogue_dir() == SHIPPED_DIR


def test_default_folder_honours_the_environment(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HPH_CHECKLISTS_DIR", str(tmp_path))
    assert default_catalogue_dir() == tmp_path
