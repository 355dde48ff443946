"""show_if decides which items are shown; progress, completeness and hidden answers follow."""

from __future__ import annotations

import pytest

from app.checklists.answer_rules import (
    NOT_RELEVANT,
    AnswerError,
    missing_required,
    progress,
    set_answer,
    validate_answers,
    visible_answers,
    visible_items,
)
from app.checklists.catalogue import ChecklistDefinition

ALWAYS_SHOWN = 8  # demo items without show_if
ALL = 11


def shown(definition: ChecklistDefinition, answers: dict) -> set[str]:
    """Return the ids of the visible items."""
    return {item.id for item in visible_items(definition, answers)}


def test_follow_up_items_appear_and_disappear(demo: ChecklistDefinition) -> None:
    assert "falls_plan" not in shown(demo, {})
    assert "falls_plan" in shown(demo, {"fall": "yes"})
    assert "falls_plan" not in shown(demo, {"fall": "no"})
    assert "falls_plan" not in shown(demo, {"fall": NOT_RELEVANT})


def test_answered_condition_and_chains(demo: ChecklistDefinition) -> None:
    answers = {"fall": "yes", "falls_plan": "no"}
    assert "falls_plan_notes" in shown(demo, answers)
    assert "falls_plan_notes" not in shown(demo, {**answers, "falls_plan": NOT_RELEVANT})
    # A hidden item's answer is ignored, so what depends on it hides too.
    assert not {"falls_plan", "falls_plan_notes"} & shown(demo, {**answers, "fall": "no"})


def test_in_condition_on_a_multiple_choice(demo: ChecklistDefinition) -> None:
    assert "alarm_works" in shown(demo, {"aids": ["walker", "alarm"]})
    assert "alarm_works" not in shown(demo, {"aids": ["walker"]})


def test_progress_counts_visible_items_only(demo: ChecklistDefinition) -> None:
    assert progress(demo, {}) == (0, ALWAYS_SHOWN)
    answers = {"fall": "yes", "falls_plan": NOT_RELEVANT, "notes": "ok"}
    assert progress(demo, answers) == (3, ALWAYS_SHOWN + 1)
    assert progress(demo, {"fall": "no", "falls_plan": "yes"}) == (1, ALWAYS_SHOWN)
    assert ALL == len(demo.items)


def test_missing_required_follows_visibility(demo: ChecklistDefinition) -> None:
    assert [item.id for item in missing_required(demo, {})] == ["fall"]
    assert [item.id for item in missing_required(demo, {"fall": "yes"})] == ["falls_plan"]
    assert missing_required(demo, {"fall": "no"}) == []
    assert missing_required(demo, {"fall": "yes", "falls_plan": NOT_RELEVANT}) == []


def test_visible_answers_drop_hidden_ones(demo: ChecklistDefinition) -> None:
    answers = {"fall": "no", "falls_plan": "yes", "notes": "ok", "weight": None}
    assert visible_answers(demo, answers) == {"fall": "no", "notes": "ok"}


def test_set_answer_normalises_and_clears(demo: ChecklistDefinition) -> None:
    answers = set_answer(demo, {}, "weight", "72,5")
    assert answers == {"weight": 72.5}
    assert set_answer(demo, answers, "weight", None) == {}


def test_answering_a_hidden_item_is_rejected(demo: ChecklistDefinition) -> None:
    with pytest.raises(AnswerError) as caught:
        set_answer(demo, {"fall": "no"}, "falls_plan", "yes")
    assert caught.value.item_id == "falls_plan"
    assert caught.value.message == (
        "'Falls assessment started' is not shown for these answers and cannot be answered."
    )
    assert set_answer(demo, {"fall": "yes"}, "falls_plan", "yes")["falls_plan"] == "yes"


def test_answering_an_unknown_item_is_rejected(demo: ChecklistDefinition) -> None:
    with pytest.raises(AnswerError, match="This checklist has no item 'colour'."):
        set_answer(demo, {}, "colour", "red")


def test_validate_answers_normalises_a_whole_form(demo: ChecklistDefinition) -> None:
    form = {"notes": " hi ", "fall": True, "falls_plan": "no", "weight": "", "aids": "bed"}
    assert validate_answers(demo, form) == {
        "fall": "yes",
        "falls_plan": "no",
        "aids": ["bed"],
        "notes": "hi",
    }


def test_validate_answers_lists_every_wrong_item(demo: ChecklistDefinition) -> None:
    form = {"fall": "no", "falls_plan": "yes", "weight": "9000", "colour": "red"}
    with pytest.raises(AnswerError) as caught:
        validate_answers(demo, form)
    errors = caught.value.errors
    assert set(errors) == {"falls_plan", "weight", "colour"}
    assert "is not shown" in errors["falls_plan"]
    assert "between 20 and 300 kg" in errors["weight"]
    assert errors["colour"] == "This checklist has no item 'colour'."
