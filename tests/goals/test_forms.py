"""Form and request models parse ratings, dates and directions with clear messages."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError
from starlette.datastructures import FormData

from app.goals.forms import ConversationIn, GoalDrop, GoalIn, RatingIn, field_problems, parse_form

WHOLE = "The rating must be a whole number from 0 to 10."


@pytest.mark.parametrize("raw", ["7.5", "11", "-1", "sju", "1e3"])
def test_rating_form_rejects_values_that_are_not_whole_numbers_from_0_to_10(raw: str) -> None:
    parsed, problems, values = parse_form(RatingIn, FormData([("rating", raw)]))
    assert parsed is None
    assert problems == {"rating": WHOLE}
    assert values["rating"] == raw


def test_rating_form_without_a_choice_asks_for_one() -> None:
    _parsed, problems, _values = parse_form(RatingIn, FormData([]))
    assert problems == {"rating": "Choose a rating from 0 to 10."}


def test_rating_form_reads_rating_date_and_reversed_direction() -> None:
    form = FormData(
        [("rating", "7"), ("rated_on", "2026-03-01"), ("scale_direction", "lower_is_better")]
    )
    parsed, problems, _values = parse_form(RatingIn, form)
    assert problems == {}
    assert parsed == RatingIn(
        rating=7, rated_on=date(2026, 3, 1), scale_direction="lower_is_better"
    )


def test_rating_form_defaults_to_the_standard_direction_and_today() -> None:
    parsed, _problems, _values = parse_form(RatingIn, FormData([("rating", "0")]))
    assert parsed is not None
    assert parsed.rating == 0 and parsed.rated_on is None
    assert parsed.scale_direction == "higher_is_better"


def test_rating_form_rejects_an_unknown_direction_and_a_bad_date() -> None:
    form = FormData([("rating", "3"), ("rated_on", "31.02.2026"), ("scale_direction", "up")])
    _parsed, problems, _values = parse_form(RatingIn, form)
    assert problems == {
        "rated_on": "Enter a date like 2026-03-31.",
        "scale_direction": "Choose which end of the scale means 'as before'.",
    }


def test_json_rating_accepts_a_whole_float_but_not_a_fraction_or_a_boolean() -> None:
    assert RatingIn.model_validate({"rating": 7.0}).rating == 7
    for bad in (7.5, True, "x", None):
        with pytest.raises(ValidationError) as caught:
            RatingIn.model_validate({"rating": bad})
        assert field_problems(caught.value)["rating"] in (WHOLE, "Choose a rating from 0 to 10.")


def test_goal_form_reports_every_field_at_once_and_keeps_what_was_typed() -> None:
    form = FormData([("activity", "  "), ("baseline_rating", "12"), ("target_rating", "x")])
    parsed, problems, values = parse_form(GoalIn, form)
    assert parsed is None
    assert problems == {
        "activity": "Write the activity in the patient's own words.",
        "baseline_rating": WHOLE,
        "target_rating": WHOLE,
    }
    assert values["baseline_rating"] == "12"


def test_conversation_form_reads_checkboxes_and_the_not_answered_flag() -> None:
    form = FormData(
        [
            ("participants", "patient"),
            ("participants", "next_of_kin"),
            ("could_not_answer", "on"),
            ("not_answered_reason", "Sliten"),
            ("checklist_instance_id", ""),
        ]
    )
    parsed, problems, _values = parse_form(ConversationIn, form)
    assert problems == {}
    assert parsed is not None
    assert parsed.participants == ["patient", "next_of_kin"]
    assert parsed.could_not_answer is True
    assert parsed.checklist_instance_id is None


def test_conversation_form_keeps_the_patient_words_verbatim() -> None:
    words = "  «Å komme hjem\ntil katten min» 🐈  "
    parsed, _problems, _values = parse_form(ConversationIn, FormData([("patient_words", words)]))
    assert parsed is not None and parsed.patient_words == words


def test_drop_form_needs_a_reason_and_the_version() -> None:
    _parsed, problems, _values = parse_form(GoalDrop, FormData([("version", "x")]))
    assert problems == {
        "version": "The form is out of date; reload the page and try again.",
        "reason": "Say why the goal is dropped.",
    }
