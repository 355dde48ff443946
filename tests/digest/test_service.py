"""The digest's contents on the hand-computed scenario (tests/digest/conftest.py), and weeks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlmodel import Session

from app.core.deps import Forbidden
from app.digest.service import (
    DigestRequestError,
    DigestWeek,
    last_complete_week,
    parse_week,
    team_digest,
)
from app.org.models import Organisation
from app.org.scope import resolve_viewer
from tests.digest.conftest import MEASURE, NOW, Scenario, visits
from tests.factories import make_user, pathway_of
from tests.measures.conftest import local


def test_last_complete_week_ends_last_sunday_in_oslo() -> None:
    assert last_complete_week(NOW) == DigestWeek(date(2026, 11, 23))
    sunday_night = local(date(2026, 11, 29), 23, 30).astimezone(UTC)  # still W48 in Oslo
    assert last_complete_week(sunday_night) == DigestWeek(date(2026, 11, 16))
    monday_early = local(date(2026, 11, 30), 0, 30).astimezone(UTC)  # Sunday 23:30 in UTC
    assert last_complete_week(monday_early) == DigestWeek(date(2026, 11, 23))
    assert DigestWeek(date(2026, 11, 23)).label == "2026-W48"
    assert DigestWeek(date(2026, 11, 23)).end == date(2026, 11, 29)


def test_parse_week_refuses_bad_and_unfinished_weeks() -> None:
    assert parse_week("2026-W48", now=NOW).start == date(2026, 11, 23)
    assert parse_week("2020-W53", now=NOW).start == date(2020, 12, 28)
    for text in ("2026-48", "2026-W54", "W48", "2026-W00"):
        with pytest.raises(DigestRequestError, match="YYYY-Www"):
            parse_week(text, now=NOW)
    with pytest.raises(DigestRequestError, match="not ended"):
        parse_week("2026-W49", now=NOW)


def test_digest_of_the_scenario_is_as_computed_by_hand(db: Session, scenario: Scenario) -> None:
    viewer = resolve_viewer(db, scenario.member)
    digest = team_digest(
        db,
        viewer=viewer,
        team_id=int(scenario.team.id or 0),
        week=parse_week("2026-W48", now=NOW),
        now=NOW,
    )
    assert digest.team_name == "Heimeteneste Nord"
    assert digest.figures == {
        "signals": 1,
        "improvements": 1,
        "deteriorations": 0,
        "off_goal": 2,
        "overdue": 4,
        "changes": 1,
    }
    (signal,) = digest.signals
    assert (signal.measure_id, signal.period, signal.good) == (MEASURE, "2026-W48", True)
    assert signal.text.startswith("Unusually long run above the median: 8 points")
    assert "2026-W41 to 2026-W48" in signal.text
    miss, monthly = digest.off_goal
    assert (miss.measure_id, miss.period, miss.value, miss.goal) == (MEASURE, "2026-W48", 90, 95)
    assert (monthly.measure_id, monthly.period, monthly.value_text, monthly.goal_text) == (
        "what-matters-documented",
        "2026-01",
        "0 %",
        "90 %",
    )
    assert (miss.value_text, miss.goal_text) == ("90 %", "95 %")
    (change,) = digest.changes
    assert (change.happened_on, change.title) == (date(2026, 11, 25), "Morning huddle")
    assert change.measure_title == "First home visit within 3 days"


def test_the_week_before_had_no_signal_yet(db: Session, scenario: Scenario) -> None:
    viewer = resolve_viewer(db, scenario.member)
    digest = team_digest(
        db,
        viewer=viewer,
        team_id=int(scenario.team.id or 0),
        week=parse_week("2026-W47", now=NOW),
        now=NOW,
    )
    assert digest.signals == []  # a run of 7 above the median of 14 useful points: not unusual
    assert digest.changes[0].title == "Call list before discharge"
    assert [(m.period, m.value_text) for m in digest.off_goal] == [
        ("2026-W47", "80 %"),
        ("2026-01", "0 %"),
    ]


def test_next_mondays_digest_covers_the_next_week(db: Session, scenario: Scenario) -> None:
    pathway = pathway_of(db, _patient(db, scenario))
    visits(db, scenario.team, pathway, date(2026, 11, 30), 9)  # W49: 90 % again
    later = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    with time_machine.travel(later, tick=False):
        viewer = resolve_viewer(db, scenario.member)
        digest = team_digest(
            db,
            viewer=viewer,
            team_id=int(scenario.team.id or 0),
            week=last_complete_week(later),
            now=later,
        )
    assert digest.week.label == "2026-W49"
    # 17 points: the median is now 80 % (four weeks sit on it), the run above is 5 useful
    # points: no signal (a run that goes on is tested in test_new_signals.py).
    assert digest.signals == []
    assert [c.title for c in digest.changes] == ["Shared calendar"]
    # Open with a closed window, due 22 November or later: W48's visit in progress (27 Nov),
    # the lists due 28 November and 1 December, W49's visit not done (4 Dec). W47's two
    # (16-20 Nov) are more than 14 days before 6 December: off nurses' list, so not counted.
    assert digest.overdue == 4
    assert [m.value_text for m in digest.off_goal] == ["90 %", "0 %"]


def test_the_week_ends_at_midnight_in_oslo() -> None:
    week = DigestWeek(date(2026, 11, 23))
    assert week.ends_at() == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    summer = DigestWeek(date(2026, 6, 22))
    assert summer.ends_at() == datetime(2026, 6, 28, 22, 0, tzinfo=UTC)


def test_a_coordinator_cannot_read_a_teams_digest(db: Session, scenario: Scenario) -> None:
    team = scenario.team
    organisation = db.get(Organisation, team.organisation_id)
    coordinator = make_user(db, role="coordinator", organisation=organisation)
    with pytest.raises(Forbidden):
        team_digest(
            db,
            viewer=resolve_viewer(db, coordinator),
            team_id=int(team.id or 0),
            week=parse_week("2026-W48", now=NOW),
            now=NOW,
        )


def _patient(db: Session, scenario: Scenario):  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from app.pathways.models import Patient

    return db.exec(select(Patient).where(Patient.label == scenario.labels[0])).one()
