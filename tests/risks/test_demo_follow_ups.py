"""The demo holds follow-ups of every fate, so early intervention shows something on it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from app.checklists.in_use import catalogue_in_use
from app.checklists.models import ChecklistInstance
from app.core import migrate
from app.core.db import build_engine
from app.demo.seed import seed_demo
from app.measures.aggregate import Level
from app.measures.service import unit_series
from app.org.models import Team
from app.org.scope import Grant, Viewer
from app.risks.models import FollowUp
from app.risks.rules import risk_rules_in_use

TODAY = date(2026, 3, 18)
ZONE = ZoneInfo("Europe/Oslo")
NOON = datetime(2026, 3, 18, 12, tzinfo=ZONE).astimezone(UTC)


def _fate(follow_up: FollowUp) -> str:
    """How a follow-up ended, as the measure sees it."""
    if follow_up.status == "done":
        return "done in time" if follow_up.done_at <= follow_up.window_end else "done late"
    if follow_up.status == "open":
        return "missed" if follow_up.window_end < NOON else "open"
    return follow_up.status


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_demo_follow_ups_have_every_fate_and_are_counted(
    fresh_database_url, backend_name: str
) -> None:
    url = fresh_database_url(backend_name)
    migrate.upgrade(url)
    engine = build_engine(url)
    report = seed_demo(engine, catalogue_in_use(), seed=2026, scale=0.2, today=TODAY)
    rules = risk_rules_in_use()
    with Session(engine) as session:
        rows = session.exec(select(FollowUp, ChecklistInstance).join(ChecklistInstance)).all()
        fates = {_fate(f) for f, _i in rows}
        assert report.counts["follow_up"] == len(rows) > 0
        assert {"done in time", "done late", "not_needed", "missed", "open"} <= fates
        for follow_up, instance in rows:
            rule = rules.get(follow_up.rule_id)
            assert rule is not None and instance.definition_id in rule.checklists()
            assert instance.status == "completed" and instance.performed_at is not None
            assert (follow_up.window_start, follow_up.window_end) == rule.window(
                instance.performed_at, ZONE
            )
            assert follow_up.done_at is None or follow_up.done_at <= NOON
            assert (follow_up.status == "not_needed") == bool(follow_up.not_needed_reason)
        teams = frozenset(int(t or 0) for t in session.exec(select(Team.id)).all())
        grant = Grant("coordinator", "network", 0, "all", teams, None)
        viewer = Viewer(
            user_id=0, email="c@example.no", display_name="C", language="en", grants=(grant,)
        )
        charts = unit_series(
            session,
            viewer=viewer,
            measure_id="risks-followed-up",
            level=Level.all,
            periods=["month"],
            start=TODAY - timedelta(days=365),
            end=TODAY,
            now=NOON,
        )
        met = sum(p.numerator or 0 for chart in charts for p in chart.points)
        counted = sum(p.denominator or 0 for chart in charts for p in chart.points)
        assert 0 < met < counted
    engine.dispose()
