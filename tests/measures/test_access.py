"""Who sees which aggregates, and small counts suppressed for those who may not see patients."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session

from app.core.deps import Forbidden
from app.measures.aggregate import Level
from app.measures.service import MeasureRequestError, measure_series, unit_series
from app.org.models import Membership
from tests.factories import make_network, make_organisation, make_patient, make_team, make_user
from tests.measures.conftest import end_of_day, local, make_instance, pathway_of, viewer_of

MONDAYS = [date(2026, 1, 5) + timedelta(weeks=n) for n in range(10)]
MONTHS = [date(2026, 1, 5), date(2026, 2, 2), date(2026, 3, 2)]  # a Monday in each month
NOW = local(date(2026, 4, 1))


def _week(db: Session, team, monday: date, due: int, done: int) -> None:  # type: ignore[no-untyped-def]
    """Items of a team due in one week, some of them done on time."""
    for n in range(due):
        pathway = pathway_of(db, make_patient(db, team))
        make_instance(
            db,
            team=team,
            pathway=pathway,
            definition_id="hph-2",
            window_end=end_of_day(monday + timedelta(days=2)),
            status="completed" if n < done else "due",
            performed_at=local(monday, 10) if n < done else None,
        )


def _series(db: Session, user, level: Level, unit_id: int, period: str = "month"):  # type: ignore[no-untyped-def]
    return measure_series(
        db,
        viewer=viewer_of(db, user),
        measure_id="hph-2-on-time",
        level=level,
        unit_id=unit_id,
        period=period,
        start=date(2026, 1, 1),
        end=date(2026, 3, 31),
        now=NOW,
    )


@pytest.fixture
def region(db: Session):  # type: ignore[no-untyped-def]
    """Two teams in one organisation, a third in another organisation of the same network."""
    network = make_network(db)
    organisation = make_organisation(db, network)
    a, b = make_team(db, organisation), make_team(db, organisation)
    c = make_team(db, make_organisation(db, network))
    _week(db, a, MONTHS[0], due=10, done=5)  # shown as is to team A
    _week(db, a, MONTHS[1], due=10, done=8)  # 2 not done: the complement is small
    _week(db, a, MONTHS[2], due=3, done=3)  # denominator 3: small
    _week(db, b, MONTHS[0], due=6, done=5)  # 1 not done: small
    _week(db, c, MONTHS[0], due=20, done=10)
    return network, organisation, a, b, c


def test_team_member_sees_own_team_unsuppressed_but_not_another_team(db: Session, region) -> None:  # type: ignore[no-untyped-def]
    _, _, a, b, _ = region
    member = make_user(db, role="team", team=a)
    chart = _series(db, member, Level.team, int(a.id or 0))
    assert [(p.numerator, p.denominator) for p in chart.points[:3]] == [(5, 10), (8, 10), (3, 3)]
    assert not any(p.suppressed for p in chart.points)
    with pytest.raises(Forbidden):
        _series(db, member, Level.team, int(b.id or 0))


def test_coordinator_gets_small_counts_and_the_cells_they_could_be_worked_out_from_suppressed(
    db: Session, region
) -> None:  # type: ignore[no-untyped-def]
    network, organisation, a, b, _ = region
    coordinator = make_user(db, role="coordinator", network=network)
    chart = _series(db, coordinator, Level.team, int(a.id or 0))
    # January: A 5/10 is not small, but its organisation shows 10/16 and B (5/6) is hidden,
    # so A would give B away by subtraction: A is hidden with B (complementary suppression)
    assert [(p.numerator, p.denominator, p.value, p.suppressed) for p in chart.points] == [
        (None, None, None, True)
    ] * 3
    other = _series(db, coordinator, Level.team, int(b.id or 0))
    assert other.points[0].suppressed and other.points[0].numerator is None
    whole = _series(db, coordinator, Level.organisation, int(organisation.id or 0))
    assert (whole.points[0].numerator, whole.points[0].denominator) == (10, 16)
    assert all(p.pending is None for p in chart.points + whole.points)


def test_coordinator_who_works_in_a_team_sees_it_and_not_its_neighbour_by_subtraction(
    db: Session, region
) -> None:  # type: ignore[no-untyped-def]
    network, organisation, a, b, _ = region
    both = make_user(db, role="coordinator", network=network)
    db.add(Membership(user_id=int(both.id or 0), role="team", scope_kind="team", team_id=a.id))
    db.flush()
    mine = _series(db, both, Level.team, int(a.id or 0))
    assert (mine.points[0].numerator, mine.points[0].denominator) == (5, 10)
    # A is known to this viewer, so the organisation (10/16) would give B (5/6) away
    whole = _series(db, both, Level.organisation, int(organisation.id or 0))
    assert whole.points[0].suppressed and whole.points[0].denominator is None
    assert _series(db, both, Level.team, int(b.id or 0)).points[0].suppressed


def test_coordinator_gets_suppressed_counts_by_month_only(db: Session, region) -> None:  # type: ignore[no-untyped-def]
    network, organisation, _, _, _ = region
    coordinator = make_user(db, role="coordinator", network=network)
    with pytest.raises(MeasureRequestError, match="by month only"):
        _series(db, coordinator, Level.organisation, int(organisation.id or 0), period="week")
    default = measure_series(
        db,
        viewer=viewer_of(db, coordinator),
        measure_id="hph-2-on-time",  # counted by week by default
        level=Level.organisation,
        unit_id=int(organisation.id or 0),
        period=None,
        start=None,
        end=None,
        now=NOW,
    )
    assert default.period == "month"


def test_organisation_level_adds_up_its_teams_for_those_who_reach_all_of_them(
    db: Session,
    region,  # type: ignore[no-untyped-def]
) -> None:
    network, organisation, a, _, _ = region
    coordinator = make_user(db, role="coordinator", network=network)
    chart = _series(db, coordinator, Level.organisation, int(organisation.id or 0))
    assert (chart.points[0].numerator, chart.points[0].denominator) == (10, 16)
    assert chart.unit_name == organisation.name
    member = make_user(db, role="team", team=a)
    with pytest.raises(Forbidden):
        _series(db, member, Level.organisation, int(organisation.id or 0))
    whole = make_user(db, role="team", organisation=organisation)
    unsuppressed = _series(db, whole, Level.organisation, int(organisation.id or 0))
    assert (unsuppressed.points[2].numerator, unsuppressed.points[2].denominator) == (3, 3)


def test_network_and_all_levels_for_core_measures_and_coordinators(db: Session, region) -> None:  # type: ignore[no-untyped-def]
    network, _, _, _, c = region
    coordinator = make_user(db, role="coordinator", organisation=make_organisation(db))
    chart = _series(db, coordinator, Level.network, int(network.id or 0))
    assert (chart.points[0].numerator, chart.points[0].denominator) == (20, 36)
    everything = _series(db, coordinator, Level.all, 0)
    assert everything.points[0].denominator >= 36
    nurse = make_user(db, role="nurse", team=c)
    with pytest.raises(Forbidden):
        _series(db, nurse, Level.network, int(network.id or 0))


def test_one_query_serves_every_team_and_both_period_types(db: Session, region) -> None:  # type: ignore[no-untyped-def]
    network, _, a, b, c = region
    whole = make_user(db, role="team", network=network)  # sees every team's patients
    charts = unit_series(
        db,
        viewer=viewer_of(db, whole),
        measure_id="hph-2-on-time",
        level=Level.team,
        periods=["week", "month"],
        start=MONDAYS[0],
        end=MONDAYS[-1],
        now=NOW,
        unit_ids=[int(t.id or 0) for t in (a, b, c)],
    )
    assert len(charts) == 6
    january = {(ch.unit_id, ch.period): ch.points[0] for ch in charts}
    assert (
        january[(int(c.id or 0), "month")].numerator,
        january[(int(c.id or 0), "month")].denominator,
    ) == (10, 20)


def test_chart_request_errors_say_what_to_fix(db: Session, region) -> None:  # type: ignore[no-untyped-def]
    _, _, a, _, _ = region
    member = make_user(db, role="team", team=a)
    with pytest.raises(MeasureRequestError, match="start date is after the end date"):
        measure_series(
            db,
            viewer=viewer_of(db, member),
            measure_id="hph-2-on-time",
            level=Level.team,
            unit_id=int(a.id or 0),
            period="week",
            start=date(2026, 3, 1),
            end=date(2026, 2, 1),
            now=NOW,
        )
    with pytest.raises(MeasureRequestError, match="counted by month, not by week"):
        measure_series(
            db,
            viewer=viewer_of(db, member),
            measure_id="goals-rerated",
            level=Level.team,
            unit_id=int(a.id or 0),
            period="week",
            start=None,
            end=None,
            now=NOW,
        )
