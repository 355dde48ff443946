"""Benchmark of early intervention on the national demo (scale 70): the burden page and the cost
that risk rules add to a nurse's answer save.

    .venv/bin/python bench/risks.py [--scale 70] [--backend sqlite|postgresql] [--saves 200]

Seeds (or reuses, like ``bench/engine.py``) the demo and migrates it to head. Then

- times ``checklist_burden`` (the burden page's service) for every network, as a coordinator
  over all teams (target < 2 s per network);
- times ``save_answer`` on open HPH 2 checklists of the biggest team, answering the item that
  raises the falls rule, with the rules evaluated as in production and with them switched
  off (``sync_follow_ups`` replaced by a no-op), alternating so both see the same load; the
  difference is what the rules cost (target: below 10 % of the save). Every save is rolled
  back, so the demo is unchanged.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import postgres_url, reader, sqlite_url  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

import app.checklists.service as checklist_service  # noqa: E402
from app.checklists.burden import checklist_burden  # noqa: E402
from app.checklists.models import ChecklistInstance, InstanceStatus  # noqa: E402
from app.core import migrate  # noqa: E402
from app.core.db import build_engine  # noqa: E402
from app.org.models import LearningNetwork, User  # noqa: E402
from app.org.scope import Grant, Viewer  # noqa: E402


def _nurse(session: Session, team_id: int) -> Viewer:
    """A nurse of one team (an existing user, as answers name who gave them)."""
    user_id = session.exec(select(User.id).order_by(col(User.id))).first()
    grant = Grant("nurse", "team", team_id, "bench", frozenset({team_id}), None)
    return Viewer(
        user_id=int(user_id or 0),
        email="bench@example.no",
        display_name="Bench",
        language="en",
        grants=(grant,),
    )


def bench_burden(session: Session) -> None:
    """Time the burden of every checklist, per network."""
    viewer = reader(session)
    print(f"  {'network':<32} {'seconds':>8} {'checklists':>10} {'items':>6}")
    for network in session.exec(select(LearningNetwork).order_by(col(LearningNetwork.id))):
        started = time.perf_counter()
        rows = checklist_burden(session, viewer=viewer, network_id=int(network.id or 0))
        spent = time.perf_counter() - started
        items = sum(len(getattr(row, "items", [])) for row in rows)
        print(f"  {network.name[:32]:<32} {spent:8.2f} {len(rows):10,} {items:6,}")


def _open_visits(session: Session, saves: int) -> tuple[int, list[int]]:
    """The biggest team and open HPH 2 checklists of it to answer."""
    team_id = session.exec(
        select(ChecklistInstance.team_id)
        .where(ChecklistInstance.definition_id == "hph-2")
        .where(col(ChecklistInstance.status).in_([InstanceStatus.due.value]))
        .group_by(col(ChecklistInstance.team_id))
        .order_by(func.count().desc())
    ).first()
    assert team_id is not None, "the demo has open HPH 2 checklists"
    ids = session.exec(
        select(ChecklistInstance.id)
        .where(ChecklistInstance.team_id == team_id)
        .where(ChecklistInstance.definition_id == "hph-2")
        .where(ChecklistInstance.status == InstanceStatus.due.value)
        .order_by(col(ChecklistInstance.id))
        .limit(saves)
    ).all()
    return int(team_id), [int(i or 0) for i in ids]


def _save(session: Session, viewer: Viewer, instance_id: int, value: str) -> tuple[float, float]:
    """Milliseconds (wall, CPU) of one save of "fell in the last year", rolled back."""
    started, started_cpu = time.perf_counter(), time.process_time()
    checklist_service.save_answer(
        session,
        viewer=viewer,
        instance_id=instance_id,
        item_id="fall_last_year",
        value=value,
        expected_version=0,
    )
    session.flush()
    spent = (time.perf_counter() - started) * 1000
    cpu = (time.process_time() - started_cpu) * 1000
    session.rollback()
    return spent, cpu


def bench_saves(session: Session, saves: int) -> None:
    """Time answer saves with the risk rules and without them, alternating."""
    team_id, ids = _open_visits(session, saves)
    viewer = _nurse(session, team_id)
    real = checklist_service.sync_follow_ups

    def no_rules(*_args: Any, **_kwargs: Any) -> None:
        return None

    print(f"  {len(ids)} saves on open HPH 2 checklists of team {team_id}, each rolled back")
    for value, what in (("yes", "a fall (the rule fires)"), ("no", "no fall (nothing fires)")):
        with_rules: list[tuple[float, float]] = []
        without_rules: list[tuple[float, float]] = []
        for instance_id in ids:
            checklist_service.sync_follow_ups = real  # type: ignore[assignment]
            with_rules.append(_save(session, viewer, instance_id, value))
            checklist_service.sync_follow_ups = no_rules  # type: ignore[assignment]
            without_rules.append(_save(session, viewer, instance_id, value))
        checklist_service.sync_follow_ups = real  # type: ignore[assignment]
        # CPU time too: on a shared machine the wall time swells with the others' load, while
        # the process's CPU time (SQLite runs in it) shows the cost of the work itself.
        for n, clock in ((0, "wall"), (1, "CPU")):
            a = statistics.median(t[n] for t in with_rules)
            b = statistics.median(t[n] for t in without_rules)
            print(
                f"  {what}, {clock}: median save {a:.2f} ms with the rules, {b:.2f} ms without;"
                f" the rules add {a - b:.2f} ms, {100 * (a - b) / b:.1f} % (target < 10 %)"
            )


def bench(name: str, url: str, saves: int, burden: bool = True) -> None:
    """Migrate to head and run both benchmarks."""
    migrate.upgrade(url)
    engine = build_engine(url, long_statements=True)
    print(f"\n{name}")
    with Session(engine, expire_on_commit=False) as session:
        if burden:
            bench_burden(session)
        bench_saves(session, saves)
    engine.dispose()


def main() -> None:
    """Parse the arguments, seed or reuse the demo, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=70)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--saves-only", action="store_true", help="leave out the burden page")
    args = parser.parse_args()
    if args.backend == "sqlite":
        bench("SQLite", sqlite_url(args.scale), args.saves, not args.saves_only)
    else:
        url, stop = postgres_url(args.scale)
        try:
            bench("PostgreSQL", url, args.saves, not args.saves_only)
        finally:
            stop()


if __name__ == "__main__":
    main()
