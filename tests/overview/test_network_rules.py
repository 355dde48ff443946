"""The overview reads each unit's charts by the rule set its network chose."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from sqlmodel import Session

from app.measures.access import units_of
from app.measures.aggregate import Level
from app.measures.service import catalogue_measure
from app.org.models import Membership
from app.org.scope import resolve_viewer
from app.overview.charts import charts_by_network_rules, group_by_rules
from tests.factories import make_network, make_organisation, make_team, make_user
from tests.overview.test_pages import fill

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    """Freeze "now" in November 2026."""
    with time_machine.travel(NOW, tick=False):
        yield


def test_a_network_on_making_data_count_gets_spc_charts_read_by_its_rules(db: Session) -> None:
    plain, mdc = make_network(db), make_network(db, chart_rules="mdc")
    teams = [make_team(db, make_organisation(db, network)) for network in (plain, mdc)]
    for team in teams:
        fill(db, team, [8, 8, 9, 8, 9, 8, 8, 9, 8, 9, 8, 10], per_month=10)
    user = make_user(db, role="coordinator", network=plain)
    db.add(Membership(user_id=int(user.id or 0), role="coordinator", scope_kind="network",
                      network_id=int(mdc.id or 0)))  # fmt: skip
    db.flush()
    units = units_of(db, Level.team)
    groups = group_by_rules(db, level=Level.team, units=[units[int(t.id or 0)] for t in teams])
    found = charts_by_network_rules(
        db, viewer=resolve_viewer(db, user), measure=catalogue_measure("hph-2-on-time"),
        level=Level.team, groups=groups, now=NOW,
    )  # fmt: skip
    read = {team_id: (chart.chart, chart.rules) for team_id, chart in found.charts.items()}
    assert read == {int(teams[0].id or 0): ("run", "anhoej"), int(teams[1].id or 0): ("p", "mdc")}
