"""Bright spots grouped by team: each change once, "during" when it falls in any improvement."""

from __future__ import annotations

from datetime import date

from app.measures.chart_data import MeasureInfo
from app.overview.bright_spots import BrightSpot, Change, by_team


def _info(measure_id: str) -> MeasureInfo:
    return MeasureInfo(
        id=measure_id, title=measure_id, description="", type="proportion", periods=["month"],
        default_period="month", direction="up", goal=None, core=True, chart="run",
    )  # fmt: skip


def _spot(team_id: int, measure_id: str, since: date, changes: list[Change]) -> BrightSpot:
    return BrightSpot(
        team_id=team_id, team_name=f"Team {team_id}", network_name="North",
        measure=_info(measure_id), since=since.strftime("%Y-%m"), until="2026-10",
        since_day=since, latest="80,0 %", changes=changes,
    )  # fmt: skip


def test_a_team_with_two_improvements_shows_its_changes_once() -> None:
    call = Change(date(2026, 2, 1), "Phone call", None, "All measures", key=1)
    late = Change(date(2026, 6, 1), "Visit list", "Printed", "All measures", key=2)
    spots = [
        _spot(1, "a", date(2026, 3, 1), [call, Change(**{**late.__dict__, "during": True})]),
        _spot(1, "b", date(2026, 1, 1), [Change(**{**call.__dict__, "during": True}), late]),
        _spot(2, "a", date(2026, 5, 1), []),
    ]
    grouped = by_team(spots)
    assert [t.team_id for t in grouped] == [1, 2]
    first = grouped[0]
    assert [s.measure.id for s in first.spots] == ["a", "b"]
    assert [(c.title, c.during) for c in first.changes] == [
        ("Phone call", True),
        ("Visit list", True),
    ]
    assert grouped[1].changes == []
