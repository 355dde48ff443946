"""A dashboard and a comparison read each lookup once per page (``ChartReads``): what each
measure shows stays its own, the statements do not grow with the measures, and counts that
are added up from ones already read equal ``count_items``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

import app.measures.chart_reads as chart_reads
from app.charts import compute_chart
from app.dashboards.comparison import comparison
from app.dashboards.service import team_dashboard
from app.measures.aggregate import Level, count_items
from app.measures.catalogue import measures_in_use
from app.measures.chart_data import combined_window
from app.measures.chart_reads import ChartReads
from app.measures.models import Annotation, PointExclusion, TeamMeasureSetting
from app.measures.periods import Window
from app.org.models import Team
from app.org.scope import resolve_viewer
from tests.dashboards.polish_data import fill
from tests.factories import make_network, make_organisation, make_team, make_user, sign_in_client

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
HPH2 = "hph-2-on-time"
OTHER = "hph-3-on-time"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    """Freeze "now" in November 2026."""
    import time_machine

    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def teams(db: Session) -> dict[str, Any]:
    """Two organisations of one network: a big team and a small one, a third team elsewhere."""
    net = make_network(db)
    first, second = make_organisation(db, net), make_organisation(db, net)
    found = {"big": make_team(db, first), "small": make_team(db, second)}
    found["other"] = make_team(db, make_organisation(db, make_network(db)))
    fill(db, found["big"], per_month=15, on_time=10)
    fill(db, found["small"], per_month=10, on_time=5, months=4)
    fill(db, found["other"], per_month=12, on_time=6, months=5)
    db.flush()
    return {**found, "network": net}


@contextmanager
def statements_outside_counts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The SQL statements run in the block, leaving out those of ``count_items`` (counted
    elsewhere, and read through their own cache): the page's lookups only."""
    seen: list[str] = []
    counting = [True]

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if counting[0]:
            seen.append(statement)

    def quiet(*args: Any, **kwargs: Any) -> Any:
        counting[0] = False
        try:
            return count_items(*args, **kwargs)
        finally:
            counting[0] = True

    monkeypatch.setattr(chart_reads, "count_items", quiet)
    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", before)


def _viewer(db: Session, team: Team) -> Any:
    """A member of the team's improvement team."""
    return resolve_viewer(db, make_user(db, role="team", team=team))


def _dashboard(db: Session, viewer: Any, team: Team, period: str = "month") -> list[Any]:
    """The team's dashboard as one of its members sees it."""
    return team_dashboard(
        db, viewer=viewer, team_id=int(team.id or 0), period=period, start=None, end=None, now=NOW
    )


def test_changes_left_out_points_and_goals_stay_on_their_own_measures(
    db: Session, teams: dict[str, Any]
) -> None:
    team_id = int(teams["big"].id or 0)
    for key, title, day in (
        (HPH2, "Call list", date(2026, 6, 1)),
        (OTHER, "New leaflet", date(2026, 7, 1)),
        (None, "Whole-team huddle", date(2026, 8, 3)),
        (None, "Not yet", date(2026, 12, 15)),  # after the window: drawn nowhere
    ):
        db.add(Annotation(team_id=team_id, measure_key=key, happened_on=day, title=title))
    db.add(Annotation(team_id=int(teams["small"].id or 0), happened_on=day, title="Elsewhere"))
    for key, month in ((HPH2, date(2026, 5, 1)), (OTHER, date(2026, 7, 1))):
        db.add(
            PointExclusion(
                team_id=team_id,
                measure_key=key,
                period_type="month",
                period_start=month,
                reason="x",
            )
        )
    db.add(TeamMeasureSetting(team_id=team_id, measure_id=HPH2, goal=90.0))
    db.add(TeamMeasureSetting(team_id=team_id, measure_id=OTHER, goal=55.0))
    db.flush()

    viewer = _viewer(db, teams["big"])
    items = {item.info.id: item for item in _dashboard(db, viewer, teams["big"])}

    def notes(measure_id: str) -> list[str]:
        return [mark.title for mark in items[measure_id].chart.annotations]

    def left_out(measure_id: str) -> list[date]:
        return [p.period_start for p in items[measure_id].chart.points if p.excluded]

    assert notes(HPH2) == ["Call list", "Whole-team huddle"]
    assert notes(OTHER) == ["New leaflet", "Whole-team huddle"]
    assert notes("hph-1-on-time") == ["Whole-team huddle"]
    assert left_out(HPH2) == [date(2026, 5, 1)] and left_out(OTHER) == [date(2026, 7, 1)]
    assert left_out("hph-1-on-time") == []
    catalogue = measures_in_use()
    assert items[HPH2].chart.measure.goal == 90.0 and items[OTHER].chart.measure.goal == 55.0
    assert items["hph-1-on-time"].chart.measure.goal == catalogue.get("hph-1-on-time").goal


def test_a_dashboards_lookups_do_not_grow_with_its_measures(
    db: Session, teams: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    team, viewer = teams["big"], _viewer(db, teams["big"])
    with statements_outside_counts(monkeypatch) as core_only:
        shown = _dashboard(db, viewer, team, period="week")
    charts = [item for item in shown if item.chart is not None]
    assert len(charts) == 11  # the 13 core measures, 11 of them counted by week
    for measure in measures_in_use().all():
        if not measure.core:
            db.add(
                TeamMeasureSetting(team_id=int(team.id or 0), measure_id=measure.id, followed=True)
            )
    db.flush()
    with statements_outside_counts(monkeypatch) as everything:
        shown = _dashboard(db, viewer, team, period="week")
    assert len([item for item in shown if item.chart is not None]) > len(charts)
    # rules, followed measures, units, changes, left-out points, goals, manual measures (and
    # the viewer's own statements), where reading them per measure took 4 x 11
    assert len(core_only) <= 10
    assert len(everything) == len(core_only)


def test_the_dashboard_page_reads_its_lookups_once(
    client: TestClient, db: Session, teams: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    team = teams["big"]
    sign_in_client(client, make_user(db, role="team", team=team))
    with statements_outside_counts(monkeypatch) as seen:
        page = client.get(f"/teams/{team.id}/dashboard?period=week")
    assert page.status_code == 200
    lookups = [s for s in seen if "annotation" in s or "point_exclusion" in s]
    assert len(lookups) == 2  # the charts' and the page's lists are the same two reads
    assert len(seen) <= 20


def _window(first: date, last: date, *, by_week: bool = False) -> Window:
    """A window of whole periods at ``NOW``."""
    return Window(first_day=first, last_day=last, now=NOW, by_week=by_week, by_month=not by_week)


@pytest.mark.parametrize("level", list(Level))
def test_counts_added_up_from_a_wider_team_count_equal_count_items(
    db: Session, teams: dict[str, Any], level: Level, monkeypatch: pytest.MonkeyPatch
) -> None:
    measure = measures_in_use().get(HPH2)
    calls: list[Window] = []

    def counted(*args: Any, window: Window, **kwargs: Any) -> Any:
        calls.append(window)
        return count_items(*args, window=window, **kwargs)

    monkeypatch.setattr(chart_reads, "count_items", counted)
    wide = combined_window(["month"], None, None, NOW)[0]["month"]
    reads = ChartReads(db)
    reads.counts(measure, level=Level.team, window=wide)
    big, small = int(teams["big"].id or 0), int(teams["small"].id or 0)
    units = reads.units(level)
    some = sorted(u.id for u in units.values() if big in u.team_ids)
    asked: list[tuple[Window, dict[str, Any]]] = [
        (wide, {}),
        (_window(date(2026, 7, 1), date(2026, 9, 30)), {}),  # the funnel's quarter
        (_window(date(2026, 4, 1), date(2026, 4, 30)), {"unit_ids": some}),
        (_window(date(2026, 3, 1), date(2026, 10, 31)), {"team_ids": [big, small]}),
    ]
    for window, limits in asked:
        derived = reads.counts(measure, level=level, window=window, **limits)
        direct = count_items(db, measure, level=level, window=window, **limits)
        assert derived == direct and direct
    assert calls == [wide]  # every later one added up from the first
    weeks = _window(date(2026, 9, 7), date(2026, 10, 4), by_week=True)
    cut = _window(date(2026, 7, 15), date(2026, 9, 30))  # not whole months: counted afresh
    for window in (weeks, cut):
        assert reads.counts(measure, level=level, window=window) == count_items(
            db, measure, level=level, window=window
        )
    assert calls == [wide, weeks, cut]


@pytest.mark.parametrize("tiny", [False, True])
@pytest.mark.parametrize("level", ["team", "organisation", "network"])
def test_a_comparison_counts_once_and_shows_what_counting_each_part_afresh_shows(
    db: Session, teams: dict[str, Any], level: str, tiny: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if tiny:  # small cells, and the cells they could be worked out from, are hidden
        fill(db, make_team(db, make_organisation(db, teams["network"])), per_month=3, on_time=2)
    coordinator = make_user(db, role="coordinator", network=teams["network"])
    viewer = resolve_viewer(db, coordinator)

    def compare() -> Any:
        return comparison(
            db, viewer=viewer, measure_id=HPH2, level=level, period=None, start=None, end=None,
            now=NOW,
        )  # fmt: skip

    calls: list[Window] = []

    def counted(*args: Any, window: Window, **kwargs: Any) -> Any:
        calls.append(window)
        return count_items(*args, window=window, **kwargs)

    monkeypatch.setattr(chart_reads, "count_items", counted)
    shared = compare()
    assert len(calls) == 1
    never: Callable[..., None] = lambda *_args: None  # noqa: E731
    monkeypatch.setattr(ChartReads, "_derived", never)
    afresh = compare()
    assert len(calls) > 2
    assert shared.rows == afresh.rows and shared.funnel == afresh.funnel
    assert shared.funnel_hidden == afresh.funnel_hidden and shared.pooled == afresh.pooled
    assert [c.model_dump() for c in shared.charts] == [c.model_dump() for c in afresh.charts]
    assert shared.funnel_empty == afresh.funnel_empty
    assert shared.funnel  # drawn, and (below networks) next to hidden cells
    assert any(row.suppressed for row in shared.rows) == (tiny and level != "network")


def test_a_dashboard_opened_again_computes_only_the_charts_whose_counts_changed(
    db: Session, teams: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.measures.chart_data as chart_data

    computed: list[str] = []

    def counted(series: Any, **options: Any) -> Any:
        computed.append(series[0].period)
        return compute_chart(series, **options)

    chart_data._computed.cache_clear()
    monkeypatch.setattr(chart_data, "compute_chart", counted)
    team, viewer = teams["big"], _viewer(db, teams["big"])
    first = {item.info.id: item for item in _dashboard(db, viewer, team)}
    drawn = len([item for item in first.values() if item.chart is not None])
    once = len(computed)  # charts with the same series (empty ones) share one computation
    assert 1 <= once <= drawn
    again = {item.info.id: item for item in _dashboard(db, viewer, team)}
    assert len(computed) == once  # the same counts: no chart computed again
    assert {k: v.chart.model_dump() for k, v in again.items() if v.chart} == {
        k: v.chart.model_dump() for k, v in first.items() if v.chart
    }
    fill(db, team, per_month=5, on_time=5, months=1)  # October gets five more on time
    changed = {item.info.id: item for item in _dashboard(db, viewer, team)}
    assert 1 <= len(computed) - once < drawn  # the charts of the changed counts only
    october = next(p for p in changed[HPH2].chart.points if p.period == "2026-10")
    assert (october.numerator, october.denominator) == (15.0, 20.0)
