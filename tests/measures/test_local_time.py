"""Local dates computed in SQL agree with Python's zoneinfo on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from app.measures.localtime import MonthStart, WeekStart
from app.pathways.models import PathwayEvent
from tests.factories import make_patient, make_team
from tests.measures.conftest import OSLO, make_event, pathway_of
from tests.measures.reference_sql import LocalDate, LocalTimestamp, PlusDays


def test_local_dates_in_sql_match_zoneinfo_around_midnight_and_clock_changes(db: Session) -> None:
    pathway = pathway_of(db, make_patient(db, make_team(db)))
    moments = []
    for year in (2024, 2026, 2027):
        for day in (date(year, 3, 30), date(year, 3, 31), date(year, 10, 26), date(year, 12, 31)):
            for minutes in range(-150, 151, 30):  # around UTC midnight, where local dates turn
                moments.append(
                    datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minutes)
                )
    moments += [datetime(2026, 3, 29, 0, 59, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)]
    moments += [datetime(2026, 10, 25, 0, 59, tzinfo=UTC), datetime(2026, 10, 25, 1, 0, tzinfo=UTC)]
    events = {make_event(db, pathway, "home_visit", moment).id: moment for moment in moments}
    rows = db.execute(
        select(
            PathwayEvent.id,
            LocalDate(PathwayEvent.occurred_at),
            LocalTimestamp(PathwayEvent.occurred_at),
            WeekStart(LocalDate(PathwayEvent.occurred_at)),
            MonthStart(PlusDays(LocalDate(PathwayEvent.occurred_at), 1)),
        ).where(PathwayEvent.id.in_(list(events)))  # type: ignore[union-attr]
    ).all()
    assert len(rows) == len(moments)
    for event_id, local_day, local_moment, week, month in rows:
        expected = events[event_id].astimezone(OSLO)
        day = expected.date()
        assert (local_day, local_moment) == (day, expected.replace(tzinfo=None)), events[event_id]
        assert week == day - timedelta(days=day.weekday())
        assert month == (day + timedelta(days=1)).replace(day=1)
