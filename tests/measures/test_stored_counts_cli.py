"""`hph migrate` builds the stored counts a changed definition left stale; `hph measures
rebuild` counts everything afresh, with a progress bar, and leaves the same rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.cli import app
from app.core.config import get_settings
from app.core.db import build_engine, get_engine
from app.measures.models import MeasureCount, MeasureCountBuild
from tests.factories import make_patient, make_team
from tests.measures.conftest import make_instance, pathway_of

runner = CliRunner()


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield
    get_settings.cache_clear()
    get_engine.cache_clear()


def _rows(url: str) -> list[tuple[object, ...]]:
    engine = build_engine(url)
    with Session(engine) as session:
        rows = sorted(
            (r.measure_id, r.team_id, r.segment_start, r.numerator, r.denominator, r.settled_at)
            for r in session.exec(select(MeasureCount)).all()
        )
    engine.dispose()
    return rows


def test_migrate_counts_a_stale_measure_and_rebuild_counts_everything(
    tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'x.db'}"
    monkeypatch.setenv("HPH_DATABASE_URL", url)
    empty = runner.invoke(app, ["migrate"])
    assert empty.exit_code == 0, empty.output
    assert "Measure counts" not in empty.output  # nothing to count in an empty database
    engine = build_engine(url)
    with Session(engine) as session:
        team = make_team(session)
        pathway = pathway_of(session, make_patient(session, team))
        end = datetime(2026, 3, 18, 12, tzinfo=UTC)
        make_instance(
            session, team=team, pathway=pathway, definition_id="hph-2", window_end=end,
            status="completed", performed_at=end,
        )  # fmt: skip
        session.commit()  # counted by the hook, in the same transaction
        assert "hph-2-on-time" in {r[0] for r in _rows(url)}
        built = session.get(MeasureCountBuild, "hph-2-on-time")
        assert built is not None
        built.fingerprint = "an older definition"
        session.add(built)
        session.execute(MeasureCount.__table__.delete())  # type: ignore[attr-defined]
        session.commit()
    engine.dispose()
    again = runner.invoke(app, ["migrate"])
    assert again.exit_code == 0, again.output
    assert "Measure counts stored for hph-2-on-time (1 rows in all)" in again.output
    counted = _rows(url)
    assert [(r[0], r[3], r[4]) for r in counted] == [("hph-2-on-time", 1.0, 1.0)]
    rebuilt = runner.invoke(app, ["measures", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "Measure counts stored for every measure" in rebuilt.output
    measures = {"hph-2-on-time", "hph-2-completed", "what-matters-documented"}
    assert {r[0] for r in _rows(url)} == measures
    assert [r for r in _rows(url) if r[0] == "hph-2-on-time"] == counted
