"""Due windows: offsets from the event, end of day in Oslo time, repeats, daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.checklists.catalogue import (
    ChecklistDefinition,
    DueWindowTimes,
    Duration,
    due_window_for,
)
from app.checklists.loader import Catalogue

OSLO = ZoneInfo("Europe/Oslo")
END_OF_DAY = (23, 59, 59, 999999)


def oslo(*parts: int) -> datetime:
    """Return an Oslo wall-clock time as an aware datetime."""
    return datetime(*parts, tzinfo=OSLO)


def utc(*parts: int) -> datetime:
    """Return a UTC time."""
    return datetime(*parts, tzinfo=UTC)


def local_end_date(window: DueWindowTimes) -> date:
    """Return the Oslo date a window ends on (what measures attribute it by)."""
    return window.end.astimezone(OSLO).date()


def _with(definition: ChecklistDefinition, **window: object) -> ChecklistDefinition:
    """Return a copy of a definition with another due window (and optionally a repeat rule)."""
    repeat = window.pop("repeat", None)
    data = definition.model_dump(by_alias=True)
    data["due_window"] = window
    data["repeat"] = repeat
    return ChecklistDefinition.model_validate(data)


def test_first_home_visit_is_due_by_the_end_of_the_third_day(shipped: Catalogue) -> None:
    start, end = due_window_for(shipped.get("hph-2"), oslo(2026, 1, 20, 10, 15))
    assert start == utc(2026, 1, 20, 9, 15)
    assert end == utc(2026, 1, 23, 22, 59, 59, 999999)
    assert end.astimezone(OSLO).timetuple()[3:6] == (23, 59, 59)


def test_discharge_call_covers_the_whole_day_of_discharge(shipped: Catalogue) -> None:
    window = due_window_for(shipped.get("hph-1"), utc(2026, 7, 1, 12, 0))
    assert window.start == utc(2026, 6, 30, 22, 0)  # 00:00 summer time
    assert window.end == utc(2026, 7, 1, 21, 59, 59, 999999)
    assert local_end_date(window) == date(2026, 7, 1)


def test_admission_report_is_due_three_elapsed_hours_later_across_dst(shipped: Catalogue) -> None:
    # 01:30 CET on the night clocks go forward: three real hours later it is 05:30 CEST.
    start, end = due_window_for(shipped.get("innleggelse"), oslo(2026, 3, 29, 1, 30))
    assert start == utc(2026, 3, 29, 0, 30)
    assert end == utc(2026, 3, 29, 3, 30)
    assert end.astimezone(OSLO).hour == 5


def test_days_keep_the_wall_clock_time_across_dst(shipped: Catalogue) -> None:
    definition = _with(shipped.get("hph-3"), starts="0d", ends="14d")
    start, end = due_window_for(definition, oslo(2026, 3, 20, 12, 0))
    assert end - start == timedelta(days=14, hours=-1)
    assert end.astimezone(OSLO).replace(tzinfo=None) == datetime(2026, 4, 3, 12, 0)


@pytest.mark.parametrize(
    ("event", "end"),
    [
        (oslo(2026, 3, 28, 10), utc(2026, 3, 29, 21, 59, 59, 999999)),  # 23-hour day
        (oslo(2026, 10, 24, 10), utc(2026, 10, 25, 22, 59, 59, 999999)),  # 25-hour day
    ],
)
def test_end_of_day_on_a_dst_change_day(shipped: Catalogue, event: datetime, end: datetime) -> None:
    window = due_window_for(shipped.get("legemiddelsamstemming"), event)
    assert window.end == end
    assert window.end.astimezone(OSLO).timetuple()[3:6] == (23, 59, 59)


def test_end_of_the_next_day_after_a_late_sunday_admission(demo: ChecklistDefinition) -> None:
    """MEASUREMENT.md scenario 1: admitted Sunday 8 March 23:30, due by the end of Monday."""
    definition = _with(demo, starts="0h", ends="1d", end_of_day=True)
    window = due_window_for(definition, oslo(2026, 3, 8, 23, 30))
    assert local_end_date(window) == date(2026, 3, 9)


def test_a_window_ending_around_midnight_belongs_to_its_local_date() -> None:
    """MEASUREMENT.md scenario 7: 23:30 local on 31 March is March; 00:30 on 1 April is April."""
    march = DueWindowTimes(utc(2026, 3, 31, 0), utc(2026, 3, 31, 21, 30))
    april = DueWindowTimes(utc(2026, 3, 31, 0), utc(2026, 3, 31, 22, 30))
    assert local_end_date(march) == date(2026, 3, 31)
    assert local_end_date(april) == date(2026, 4, 1)


def test_half_yearly_reviews_repeat_every_182_days(shipped: Catalogue) -> None:
    definition = shipped.get("halvarlig")
    start = oslo(2026, 1, 5, 9)
    first = due_window_for(definition, start)
    second = due_window_for(definition, start, occurrence=1)
    anchor = date(2026, 7, 6)  # 182 days after 5 January
    assert first.start == oslo(2026, 6, 22).astimezone(UTC)
    assert local_end_date(first) == anchor + timedelta(days=14)
    assert local_end_date(second) == anchor + timedelta(days=182 + 14)


def test_monthly_screening_does_not_drift_at_month_ends(shipped: Catalogue) -> None:
    definition = _with(shipped.get("ernaering"), starts="0d", ends="0d",
                       repeat={"every": "1m"})  # fmt: skip
    event = oslo(2026, 1, 31, 9)
    ends = [local_end_date(due_window_for(definition, event, n)) for n in range(4)]
    assert ends == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]


def test_max_occurrences_limits_the_series(demo: ChecklistDefinition) -> None:
    definition = _with(demo, ends="1d", repeat={"every": "1w", "max_occurrences": 2})
    due_window_for(definition, utc(2026, 1, 1), occurrence=1)
    with pytest.raises(ValueError, match="repeats only 2 times"):
        due_window_for(definition, utc(2026, 1, 1), occurrence=2)


def test_event_time_must_be_aware(demo: ChecklistDefinition) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_window_for(demo, datetime(2026, 1, 1, 12))


@pytest.mark.parametrize("occurrence", [-1, 1])
def test_occurrences_need_a_repeat_rule(demo: ChecklistDefinition, occurrence: int) -> None:
    with pytest.raises(ValueError, match="no occurrence"):
        due_window_for(demo, utc(2026, 1, 1), occurrence=occurrence)


def test_a_wall_time_in_the_spring_gap_moves_past_it() -> None:
    moved = Duration.parse("1d").added_to(oslo(2026, 3, 28, 2, 30))
    assert moved == oslo(2026, 3, 29, 3, 30)
    assert moved.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize("text", ["3", "3 days", "d", "1.5d", "", "3D"])
def test_invalid_durations_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        Duration.parse(text)


@settings(max_examples=150, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),  # fmt: skip
    checklist_id=st.sampled_from(
        ["innleggelse", "hph-1", "hph-2", "hph-3", "hph-4", "halvarlig", "ernaering"]
    ),
    occurrence=st.integers(min_value=0, max_value=12),
)
def test_windows_are_ordered_and_end_of_day_ends_at_local_midnight(
    shipped: Catalogue, moment: datetime, checklist_id: str, occurrence: int
) -> None:
    definition = shipped.get(checklist_id)
    occurrence = occurrence if definition.repeat else 0
    start, end = due_window_for(definition, moment, occurrence)
    assert start.tzinfo == UTC and end.tzinfo == UTC
    assert start <= end
    if definition.due_window.end_of_day:
        assert (end + timedelta(microseconds=1)).astimezone(OSLO).timetuple()[3:6] == (0, 0, 0)


def test_another_zone_can_be_used(shipped: Catalogue) -> None:
    helsinki = ZoneInfo("Europe/Helsinki")
    window = due_window_for(shipped.get("hph-1"), utc(2026, 1, 10, 12), zone=helsinki)
    assert window.start == utc(2026, 1, 9, 22, 0)
    assert window.end == utc(2026, 1, 10, 21, 59, 59, 999999)
