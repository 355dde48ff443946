"""Each core checklist is scheduled with the due window the catalogue promises (Oslo time)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.checklists.in_use import catalogue_in_use
from app.pathways.scheduling import attribution_dates, plan_for_event

OSLO = ZoneInfo("Europe/Oslo")


def _plan(kind: str, when: datetime, horizon: datetime | None = None, started=frozenset()):
    return {
        (p.definition_id, p.occurrence): p
        for p in plan_for_event(
            catalogue_in_use(),
            event_kind=kind,
            event_time=when,
            horizon=horizon or when,
            series_started=started,
        )
    }


def _local(p) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return (
        p.window_start.astimezone(OSLO).strftime("%Y-%m-%d %H:%M"),
        p.window_end.astimezone(OSLO).strftime("%Y-%m-%d %H:%M"),
    )


def test_discharge_schedules_the_main_lists_with_their_windows() -> None:
    discharge = datetime(2026, 1, 20, 11, 0, tzinfo=OSLO)
    plans = _plan("hospital_discharge", discharge)
    assert _local(plans[("hph-1", 0)]) == ("2026-01-20 00:00", "2026-01-20 23:59")
    assert _local(plans[("hph-2", 0)]) == ("2026-01-20 11:00", "2026-01-23 23:59")
    assert _local(plans[("hph-3", 0)]) == ("2026-01-20 11:00", "2026-02-03 23:59")
    assert _local(plans[("hph-4", 0)]) == ("2026-01-20 11:00", "2026-02-17 23:59")
    assert _local(plans[("legemiddelsamstemming", 0)]) == ("2026-01-20 00:00", "2026-01-21 23:59")


def test_admission_report_is_due_within_three_hours() -> None:
    admitted = datetime(2026, 3, 6, 22, 30, tzinfo=OSLO)
    plans = _plan("hospital_admission", admitted)
    assert list(plans) == [("innleggelse", 0)]
    assert _local(plans[("innleggelse", 0)]) == ("2026-03-06 22:30", "2026-03-07 01:30")


def test_half_yearly_review_repeats_every_182_days_until_the_horizon() -> None:
    start = datetime(2025, 1, 6, 10, 0, tzinfo=OSLO)
    plans = _plan("homecare_start", start, horizon=datetime(2026, 3, 1, tzinfo=UTC))
    reviews = sorted(k[1] for k in plans if k[0] == "halvarlig")
    assert reviews == [0, 1]
    assert _local(plans[("halvarlig", 0)]) == ("2025-06-23 00:00", "2025-07-21 23:59")
    nutrition = sorted(k[1] for k in plans if k[0] == "ernaering")
    assert nutrition[:3] == [0, 1, 2] and len(nutrition) >= 13


def test_series_is_not_started_twice_on_one_pathway() -> None:
    start = datetime(2025, 1, 6, 10, 0, tzinfo=OSLO)
    plans = _plan("hospital_discharge", start, started=frozenset({"halvarlig"}))
    assert not any(k[0] == "halvarlig" for k in plans)


def test_window_over_the_dst_change_keeps_local_end_of_day() -> None:
    discharge = datetime(2026, 3, 27, 12, 0, tzinfo=OSLO)  # clocks go forward 29 March
    plans = _plan("hospital_discharge", discharge)
    assert _local(plans[("hph-2", 0)]) == ("2026-03-27 12:00", "2026-03-30 23:59")
    end = plans[("hph-2", 0)].window_end
    assert end.utcoffset() == UTC.utcoffset(None)
    assert end.astimezone(UTC).hour == 21  # CEST: 23:59 local is 21:59 UTC


@pytest.mark.parametrize(
    ("window_end", "due_date", "week", "month"),
    [
        (
            datetime(2026, 3, 31, 21, 30, tzinfo=UTC),
            date(2026, 3, 31),
            date(2026, 3, 30),
            date(2026, 3, 1),
        ),
        (
            datetime(2026, 3, 31, 22, 30, tzinfo=UTC),
            date(2026, 4, 1),
            date(2026, 3, 30),
            date(2026, 4, 1),
        ),
        (
            datetime(2027, 1, 1, 12, 0, tzinfo=UTC),
            date(2027, 1, 1),
            date(2026, 12, 28),
            date(2027, 1, 1),
        ),
        (
            datetime(2026, 3, 8, 23, 30, tzinfo=UTC),
            date(2026, 3, 9),
            date(2026, 3, 9),
            date(2026, 3, 1),
        ),
    ],
)
def test_attribution_uses_the_local_date_the_window_ends(window_end, due_date, week, month) -> None:
    dates = attribution_dates(window_end, OSLO)
    assert (dates.due_date, dates.due_week, dates.due_month) == (due_date, week, month)
