"""Answers are validated per item type; every item accepts "not relevant"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from app.checklists.answer_rules import (
    NOT_RELEVANT,
    TEXT_MAX_LENGTH,
    AnswerError,
    validate_answer,
)
from app.checklists.catalogue import ChecklistDefinition
from app.core.i18n import set_language

TODAY = date(2026, 3, 18)


def check(definition: ChecklistDefinition, item_id: str, value: Any) -> Any:
    """Validate one answer to a demo item, with a fixed 'today'."""
    return validate_answer(definition.item(item_id), value, today=TODAY)


def rejected(definition: ChecklistDefinition, item_id: str, value: Any) -> AnswerError:
    """Return the AnswerError one answer raises."""
    with pytest.raises(AnswerError) as caught:
        check(definition, item_id, value)
    assert caught.value.item_id == item_id
    assert caught.value.errors == {item_id: caught.value.message}
    return caught.value


@pytest.mark.parametrize(
    "item_id", ["fall", "living", "aids", "weight", "weighed_on", "notes", "next_visit"]
)
def test_every_item_accepts_not_relevant(demo: ChecklistDefinition, item_id: str) -> None:
    assert check(demo, item_id, NOT_RELEVANT) == NOT_RELEVANT
    assert check(demo, item_id, " not_relevant ") == NOT_RELEVANT


@pytest.mark.parametrize("item_id", ["fall", "living", "aids", "weight", "weighed_on", "notes"])
def test_none_means_no_answer(demo: ChecklistDefinition, item_id: str) -> None:
    assert check(demo, item_id, None) is None


@pytest.mark.parametrize(
    ("value", "expected"), [("yes", "yes"), (" No ", "no"), (True, "yes"), (False, "no")]
)
def test_yes_no(demo: ChecklistDefinition, value: Any, expected: str) -> None:
    assert check(demo, "fall", value) == expected


@pytest.mark.parametrize("value", ["maybe", 1, ["yes"], "ja"])
def test_yes_no_rejects_other_answers(demo: ChecklistDefinition, value: Any) -> None:
    error = rejected(demo, "fall", value)
    assert error.message == "'Has the patient fallen?' must be answered yes, no or not relevant."


def test_single_choice(demo: ChecklistDefinition) -> None:
    assert check(demo, "living", " alone ") == "alone"
    assert check(demo, "living", "") is None
    assert rejected(demo, "living", "castle").message == "'Lives' has no choice 'castle'."


def test_multiple_choice_keeps_option_order(demo: ChecklistDefinition) -> None:
    assert check(demo, "aids", ["bed", "walker", "bed"]) == ["walker", "bed"]
    assert check(demo, "aids", "alarm") == ["alarm"]
    assert check(demo, "aids", []) is None
    assert check(demo, "aids", [NOT_RELEVANT]) == NOT_RELEVANT


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["walker", "scooter"], "'Aids' has no choice 'scooter'."),
        (["walker", NOT_RELEVANT], "'Aids' cannot be both not relevant and have choices."),
        ([1, 2], "'Aids' must be a list of choices."),
        ({"walker": True}, "'Aids' must be a list of choices."),
    ],
)
def test_multiple_choice_rejects(demo: ChecklistDefinition, value: Any, message: str) -> None:
    assert rejected(demo, "aids", value).message == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (20, 20.0),
        (300, 300.0),
        ("72,5", 72.5),
        (" 72.50 ", 72.5),
        (72.1, 72.1),
        (Decimal("80.0"), 80.0),
        ("", None),
    ],
)
def test_number_with_one_decimal(demo: ChecklistDefinition, value: Any, expected: Any) -> None:
    assert check(demo, "weight", value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (19.9, "'Weight' must be a number between 20 and 300 kg."),
        ("300,1", "'Weight' must be a number between 20 and 300 kg."),
        ("72.55", "'Weight' can have at most 1 decimal."),
        ("heavy", "'Weight' must be a number."),
        ("nan", "'Weight' must be a number."),
        ("inf", "'Weight' must be a number."),
        (True, "'Weight' must be a number."),
        ([72], "'Weight' must be a number."),
    ],
)
def test_number_rejects(demo: ChecklistDefinition, value: Any, message: str) -> None:
    assert rejected(demo, "weight", value).message == message


def test_whole_numbers(demo: ChecklistDefinition) -> None:
    assert check(demo, "mst", "5") == 5 and isinstance(check(demo, "mst", 5.0), int)
    assert check(demo, "mst", 0) == 0
    assert rejected(demo, "mst", 2.5).message == "'MST score' must be a whole number."
    assert rejected(demo, "mst", 6).message == "'MST score' must be a number between 0 and 5."


@given(tenths=st.integers(min_value=200, max_value=3000))
def test_numbers_in_range_are_accepted_and_stable(demo: ChecklistDefinition, tenths: int) -> None:
    value = check(demo, "weight", f"{tenths // 10},{tenths % 10}")
    assert value == tenths / 10
    assert check(demo, "weight", value) == value


def test_dates(demo: ChecklistDefinition) -> None:
    assert check(demo, "weighed_on", "2026-03-18") == "2026-03-18"
    assert check(demo, "weighed_on", date(2026, 1, 2)) == "2026-01-02"
    assert check(demo, "next_visit", "2026-12-24") == "2026-12-24"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-03-19", "'Date weighed' cannot be in the future."),
        ("2026-02-30", "'Date weighed' must be a valid date (YYYY-MM-DD)."),
        ("18.03.2026", "'Date weighed' must be a valid date (YYYY-MM-DD)."),
        ("20260318", "'Date weighed' must be a valid date (YYYY-MM-DD)."),
        (20260318, "'Date weighed' must be a valid date (YYYY-MM-DD)."),
        ("1899-12-31", "'Date weighed' cannot be before 1900-01-01."),
    ],
)
def test_dates_rejected(demo: ChecklistDefinition, value: Any, message: str) -> None:
    assert rejected(demo, "weighed_on", value).message == message


@time_machine.travel("2026-03-18 23:30:00+00:00", tick=False)
def test_past_only_uses_the_oslo_date_by_default(demo: ChecklistDefinition) -> None:
    # 23:30 UTC is already 19 March in Oslo.
    assert validate_answer(demo.item("weighed_on"), "2026-03-19") == "2026-03-19"
    with pytest.raises(AnswerError, match="cannot be in the future"):
        validate_answer(demo.item("weighed_on"), "2026-03-20")


def test_text(demo: ChecklistDefinition) -> None:
    assert check(demo, "notes", "  Å komme hjem til katten\r\n ") == "Å komme hjem til katten"
    assert check(demo, "notes", "   ") is None
    assert check(demo, "notes", "x" * TEXT_MAX_LENGTH) == "x" * TEXT_MAX_LENGTH
    error = rejected(demo, "notes", "x" * (TEXT_MAX_LENGTH + 1))
    assert error.message == "'Notes' can be at most 4000 characters long (it is 4001)."
    assert rejected(demo, "notes", 42).message == "'Notes' must be text."


def test_messages_use_the_label_in_the_current_language(demo: ChecklistDefinition) -> None:
    set_language("nb")
    assert rejected(demo, "weight", 5).message == "«Vekt» må være et tall mellom 20 og 300 kg."


@pytest.mark.parametrize("bad", ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\ufffe", "\uffff"])
def test_text_refuses_control_characters_but_keeps_line_breaks_and_tabs(
    demo: ChecklistDefinition, bad: str
) -> None:
    assert rejected(demo, "notes", f"Ny{bad}rutine").message == (
        "Remove the control characters from 'Notes'."
    )
    assert check(demo, "notes", "to\tlinjer\r\nher") == "to\tlinjer\nher"


def test_a_text_item_may_set_a_shorter_limit(demo: ChecklistDefinition) -> None:
    short = demo.item("notes").model_copy(update={"max_length": 10})
    assert validate_answer(short, "x" * 10) == "x" * 10
    with pytest.raises(AnswerError, match="at most 10 characters long"):
        validate_answer(short, "x" * 11)
