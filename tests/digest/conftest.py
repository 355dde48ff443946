"""A small team whose digest of 2026-W48 (23-29 November) is computed by hand.

First home visits (hph-2, weekly, goal line 90 % in the catalogue, 95 % set by the team),
ten a week, Monday to Friday, from W33 to W48:

- W33-W40: 4, 5, 4, 5, 4, 5, 4, 6 on time of 10 (40-60 %);
- W41-W48: 8, 9, 8, 9, 8, 9, 8, 9 on time of 10 (80-90 %).

Digest of W48 (now: Monday 30 November, 08:00 in Oslo):

- new signals: one. With 16 useful points the median is 70 % and a run longer than
  round(log2(16)) + 3 = 7 is unusual: W41-W48 is a run of 8 above it, so W48 makes the
  signal (an improvement: the measure should go up). Without W48 the chart had 15 points,
  the median 60 % (W40 alone sits on it), 14 useful points, a limit of 7 and a run of 7:
  no signal. The run of 8 below in W33-W40 does not touch W48, so it is not news; too few
  crossings is a signal of the whole phase, without a point or a direction, so not news
  either.
- measures off their goal: two. hph-2 at 90 % in W48 against the team's 95 %; and the
  monthly "what matters" measure (goal 90 %), whose latest complete value is 0 % in
  2026-01: both pathways began on 5 January and neither has a conversation;
- overdue checklists: the visits not done due in W47 (2) and W48 (1: in progress), and a
  medication reconciliation (a list no followed measure counts) due Saturday 28 November:
  4, all due within 14 days of the week's end (15 November on). Not counted: one whose
  window closes on 1 December, completed ones, misses due before 15 November;
- changes tested: one, "Morning huddle" on 25 November (not 20 or 30 November).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlmodel import Session

from app.measures.models import Annotation, TeamMeasureSetting
from app.org.models import Team, User
from tests.factories import make_patient, make_team, make_user, pathway_of
from tests.measures.conftest import end_of_day, make_instance

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 08:00 in Oslo
WEEK = "2026-W48"
MEASURE = "hph-2-on-time"
ON_TIME = [4, 5, 4, 5, 4, 5, 4, 6, 8, 9, 8, 9, 8, 9, 8, 9]  # W33 ... W48
FIRST_MONDAY = date(2026, 8, 10)  # W33
OTHER_LIST = "legemiddelsamstemming"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    """Freeze "now" on the Monday after W48."""
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass
class Scenario:
    """The team, its people and its patients' labels."""

    team: Team
    member: User
    other_member: User
    nurse: User
    labels: list[str]


def visits(db: Session, team: Team, pathway, monday: date, on_time: int) -> None:  # type: ignore[no-untyped-def]
    """Ten first visits due Monday to Friday of a week, the first ``on_time`` done in time."""
    for i in range(10):
        end = end_of_day(monday + timedelta(days=i % 5))
        done = i < on_time
        status = "completed" if done else "due"
        if not done and monday == date(2026, 11, 23):
            status = "in_progress"
        make_instance(
            db,
            team=team,
            pathway=pathway,
            definition_id="hph-2",
            window_end=end,
            status=status,
            performed_at=end - timedelta(hours=3) if done else None,
        )


@pytest.fixture
def scenario(db: Session) -> Scenario:
    """The hand-computed team (see the module docstring)."""
    team = make_team(db)
    team.name = "Heimeteneste Nord"
    db.add(team)
    patient = make_patient(db, team, label="K.H. 1937", local_reference="EPJ-55123")
    other = make_patient(db, team, label="O.B. 1941")
    pathway = pathway_of(db, patient)
    for week, on_time in enumerate(ON_TIME):
        visits(db, team, pathway, FIRST_MONDAY + timedelta(weeks=week), on_time)
    extra = pathway_of(db, other)
    for day in (date(2026, 11, 28), date(2026, 12, 1)):  # overdue; not yet
        make_instance(
            db, team=team, pathway=extra, definition_id=OTHER_LIST, window_end=end_of_day(day)
        )
    db.add(TeamMeasureSetting(team_id=int(team.id or 0), measure_id=MEASURE, goal=95.0))
    for day, title in (
        (date(2026, 11, 20), "Call list before discharge"),
        (date(2026, 11, 25), "Morning huddle"),
        (date(2026, 11, 30), "Shared calendar"),
    ):
        db.add(
            Annotation(team_id=int(team.id or 0), measure_key=MEASURE, happened_on=day, title=title)
        )
    db.flush()
    return Scenario(
        team=team,
        member=make_user(db, role="team", team=team, language="en"),
        other_member=make_user(db, role="team", team=team, language="nb"),
        nurse=make_user(db, role="nurse", team=team),
        labels=["K.H. 1937", "O.B. 1941", "EPJ-55123"],
    )
