"""A small learning network with eight months of hph-2 items, for the page-polish tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlmodel import Session

from app.org.models import Team
from tests.factories import make_network, make_organisation, make_patient, make_team
from tests.measures.conftest import end_of_day, make_instance, pathway_of

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
MEASURE = "hph-2-on-time"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    """Freeze "now" in November 2026."""
    with time_machine.travel(NOW, tick=False):
        yield


def fill(db: Session, team: Team, *, per_month: int, on_time: int, months: int = 8) -> None:
    """Give a team hph-2 items in each of the last months: some done on time, the rest missed."""
    patient = make_patient(db, team)
    pathway = pathway_of(db, patient)
    for back in range(1, months + 1):
        month = date(2026, 11 - back, 10)
        for i in range(per_month):
            end = end_of_day(month + timedelta(days=i % 15))
            done = i < on_time
            make_instance(
                db,
                team=team,
                pathway=pathway,
                definition_id="hph-2",
                window_end=end,
                status="completed" if done else "due",
                performed_at=end - timedelta(hours=3) if done else None,
            )


@pytest.fixture
def network(db: Session) -> dict[str, Team]:
    """A network with one team of fifteen items a month, ten of them on time (66.7 %)."""
    net = make_network(db)
    team = make_team(db, make_organisation(db, net))
    team.name = "Big team"
    db.add(team)
    fill(db, team, per_month=15, on_time=10)
    db.flush()
    return {"big": team, "network": net}  # type: ignore[dict-item]
