"""Benchmark of the measurement engine on the national demo (scale 70: about 1.5 M checklists).

    .venv/bin/python bench/engine.py [--scale 70] [--backend sqlite|postgresql|both]

For SQLite the seeded demo is cached in ``bench/results/``. For PostgreSQL a throwaway cluster
is started and seeded (a few minutes at scale 70), unless ``HPH_BENCH_DATABASE_URL`` names an
already seeded database. Then, side by side, it times recomputing every team's weekly and
monthly series of every core measure

- through the service (stored counts where settled, live SQL for the rest, charts computed),
- as the stored counts alone (``count_items``: what the service reads, nothing else), counted
  afresh each run, and reused as a worker reuses them while nothing changed (``count_cache``),
- as the raw SQL aggregates alone (every item counted afresh: ``count_query``), whose counts
  the stored ones must equal,
- as a naive per-row Python loop over the checklist instances (ORM objects, one pass per
  team and measure), for the checklist measures, whose counts must match the SQL ones,

and prints the figures with their ratios. Targets: service < 2 s, <= 1.5 x raw SQL, and at
least 20 x faster than the naive loop. Before timing, the heap is settled as the server settles
it once started (``app.core.heap``; ``--unsettled`` leaves it as it is). With ``--rebuild`` it
also times deriving every stored measure item afresh (what ``hph migrate`` does after a
measure's definition changed), in a transaction it then rolls back.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

os.environ.setdefault("HPH_SECRET_KEY", "benchmark-secret-key-that-is-long-enough-for-settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from app.checklists.in_use import catalogue_in_use  # noqa: E402
from app.checklists.models import ChecklistInstance, InstanceStatus  # noqa: E402
from app.core import migrate  # noqa: E402
from app.core.config import get_settings  # noqa: E402
from app.core.db import build_engine  # noqa: E402
from app.core.heap import settle_heap  # noqa: E402
from app.demo.seed import seed_demo  # noqa: E402
from app.measures.aggregate import Level, count_items, count_query  # noqa: E402
from app.measures.catalogue import ChecklistCount, MeasureDefinition, measures_in_use  # noqa: E402
from app.measures.chart_data import forget_kept_results  # noqa: E402
from app.measures.item_store import rebuild  # noqa: E402
from app.measures.service import combined_window, unit_series  # noqa: E402
from app.measures.suppression import suppressed_period  # noqa: E402
from app.org.models import Team  # noqa: E402
from app.org.scope import Grant, Viewer  # noqa: E402
from app.pathways.models import PathwayEvent  # noqa: E402

TODAY = date(2026, 3, 18)
RESULTS = Path(__file__).resolve().parent / "results"
LEFT_OUT = {InstanceStatus.not_applicable.value, InstanceStatus.cancelled.value}
Counts = dict[tuple[int, str, date], tuple[float, float, int]]


def _now() -> datetime:
    """Noon on the benchmark's day, local time."""
    return datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=get_settings().zone)


def _seed(url: str, scale: float) -> None:
    """Migrate and seed the national demo."""
    started = time.perf_counter()
    print(f"  seeding the demo at scale {scale} (once; this takes a few minutes)...", flush=True)
    migrate.upgrade(url)
    engine = build_engine(url, long_statements=True)
    report = seed_demo(engine, catalogue_in_use(), seed=2026, scale=scale, today=TODAY)
    if engine.dialect.name == "postgresql":  # as autovacuum would have, before timing
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    count = report.counts.get("checklist_instance", 0)
    print(f"  seeded {count:,} checklist instances in {time.perf_counter() - started:.0f} s")


def sqlite_url(scale: float) -> str:
    """A seeded SQLite file, cached between runs."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"engine-demo-s{scale:g}-{TODAY.isoformat()}.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        partial = path.with_suffix(".partial.db")
        partial.unlink(missing_ok=True)
        _seed(f"sqlite:///{partial}", scale)
        partial.rename(path)
    return url


def postgres_url(scale: float) -> tuple[str, Callable[[], None]]:
    """A seeded PostgreSQL database: HPH_BENCH_DATABASE_URL, or a throwaway cluster."""
    given = os.environ.get("HPH_BENCH_DATABASE_URL")
    if given:
        return given, lambda: None
    from tests.postgres_cluster import start_cluster

    cluster = start_cluster()
    url = cluster.create_database("hph_bench")
    _seed(url, scale)
    return url, cluster.stop


def reader(session: Session) -> Viewer:
    """A coordinator over every team (small counts suppressed, as on the comparison pages)."""
    team_ids = frozenset(int(t) for t in session.exec(select(Team.id)).all() if t is not None)
    grant = Grant("coordinator", "network", 0, "all", team_ids, None)
    return Viewer(
        user_id=0, email="bench@example.no", display_name="Bench", language="en", grants=(grant,)
    )


def best_of(repeat: int, work: Callable[[], Any], fresh: bool = True) -> tuple[float, Any]:
    """The fastest of several runs (the first warms the caches), with the last result; with
    ``fresh``, each run without the counts and charts the previous one kept."""
    times, result = [], None
    for _ in range(repeat):
        if fresh:
            forget_kept_results()
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), result


def service_run(session: Session, viewer: Viewer, measures: list[MeasureDefinition]) -> int:
    """Every team's series of the measures through the service, by month: the coordinator's
    counts are suppressed, and suppressed counts are given by month only."""
    charts = 0
    for measure in measures:
        charts += len(
            unit_series(
                session,
                viewer=viewer,
                measure_id=measure.id,
                level=Level.team,
                periods=[suppressed_period(measure.periods)],
                start=TODAY - timedelta(days=548),
                end=TODAY,
                now=_now(),
            )
        )
    return charts


def raw_run(session: Session, measures: list[MeasureDefinition]) -> dict[str, list[Any]]:
    """The same SQL aggregates, executed and fetched, nothing else."""
    found = {}
    for measure in measures:
        _, window = combined_window(measure.periods, TODAY - timedelta(days=548), TODAY, _now())
        query = count_query(measure, level=Level.team, window=window)
        found[measure.id] = [(window, row) for row in session.execute(query).all()]
    return found


def stored_run(session: Session, measures: list[MeasureDefinition]) -> dict[str, list[Any]]:
    """The same counts read from the stored aggregates (settled periods) and live (the rest)."""
    found = {}
    for measure in measures:
        _, window = combined_window(measure.periods, TODAY - timedelta(days=548), TODAY, _now())
        rows = count_items(session, measure, level=Level.team, window=window)
        found[measure.id] = [(window, row) for row in rows]
    return found


def same_counts(stored: Counts, raw: Counts) -> bool:
    """Equal counts (a mean's float sum may differ in its last bits by the order of adding)."""
    return stored.keys() == raw.keys() and all(
        a[1:] == b[1:] and abs(a[0] - b[0]) <= 1e-9 * max(1.0, abs(b[0]))
        for a, b in ((stored[k], raw[k]) for k in raw)
    )


def sql_counts(raw: list[Any]) -> Counts:
    """Counts by (team, period, start) from raw aggregate rows."""
    counts: Counts = {}
    for _window, row in raw:
        for period, start in (("week", row.week), ("month", row.month)):
            if start is None:
                continue
            start = start if isinstance(start, date) else date.fromisoformat(str(start))
            old = counts.get((int(row.unit_id), period, start), (0.0, 0.0, 0))
            counts[(int(row.unit_id), period, start)] = (
                old[0] + float(row.numerator),
                old[1] + float(row.denominator),
                old[2] + int(row.pending),
            )
    return {key: value for key, value in counts.items() if value != (0.0, 0.0, 0)}


def naive_run(session: Session, measures: list[MeasureDefinition]) -> dict[str, Counts]:
    """Per team and measure: load the instances as objects and count them in Python."""
    now = _now()
    _, window = combined_window(["week", "month"], TODAY - timedelta(days=548), TODAY, now)
    cancelled = set(
        session.exec(select(PathwayEvent.id).where(PathwayEvent.status == "cancelled")).all()
    )
    teams = [int(t) for t in session.exec(select(Team.id)).all() if t is not None]
    found: dict[str, Counts] = {}
    for measure in measures:
        rule = measure.count
        assert isinstance(rule, ChecklistCount)
        counts: Counts = {}
        for team_id in teams:
            instances = session.exec(
                select(ChecklistInstance)
                .where(ChecklistInstance.team_id == team_id)
                .where(col(ChecklistInstance.definition_id).in_(rule.checklists))
            ).all()
            for item in instances:
                if not window.first_day <= item.due_date <= window.last_day:
                    continue
                if item.status in LEFT_OUT or item.event_id in cancelled:
                    continue
                entered = item.recorded_at or item.performed_at
                done = item.status == "completed" and entered is not None and entered <= now
                counted = done or item.window_end < now
                on_time = (
                    done
                    and item.performed_at is not None
                    and (rule.numerator == "completed" or item.performed_at <= item.window_end)
                )
                for period, start in (("week", item.due_week), ("month", item.due_month)):
                    if period not in measure.periods:
                        continue
                    num, den, pending = counts.get((team_id, period, start), (0.0, 0.0, 0))
                    counts[(team_id, period, start)] = (
                        num + (1 if counted and on_time else 0),
                        den + (1 if counted else 0),
                        pending + (0 if counted else 1),
                    )
        found[measure.id] = counts
    return found


def naive_row(
    session: Session,
    name: str,
    plain: list[MeasureDefinition],
    rows: list[tuple[str, str, float, str]],
) -> tuple[str, str, float, str]:
    """Time the naive loop, check its counts against SQL, and compare it with the service."""
    started = time.perf_counter()
    naive_counts = naive_run(session, plain)
    naive_s = time.perf_counter() - started
    checked = raw_run(session, plain)
    for measure in plain:
        assert sql_counts(checked[measure.id]) == naive_counts[measure.id], measure.id
    service_plain = next(r[2] for r in rows if r[1].startswith("service, checklist"))
    ratio = f"{naive_s / service_plain:.0f} x the service (counts equal)"
    return (name, "naive Python loop, checklist measures", naive_s, ratio)


def bench(
    engine: Engine,
    name: str,
    repeat: int,
    naive: bool = True,
    rebuild_items: bool = False,
    settle: bool = True,
) -> list[tuple[str, str, float, str]]:
    """Time the three ways on one database and return table rows."""
    catalogue = measures_in_use()
    core = catalogue.core()
    plain = [m for m in core if isinstance(m.count, ChecklistCount)]
    rows: list[tuple[str, str, float, str]] = []
    with Session(engine) as session:
        viewer = reader(session)
        instances = session.exec(
            select(ChecklistInstance.id).order_by(col(ChecklistInstance.id).desc())
        ).first()
        print(f"  {name}: {instances or 0:,} checklist instances, {len(core)} core measures")
        if settle:
            settle_heap()
        for label, measures in (("all core measures", core), ("checklist measures", plain)):
            service_s, charts = best_of(repeat, partial(service_run, session, viewer, measures))
            stored_s, stored = best_of(repeat, partial(stored_run, session, measures))
            raw_s, raw = best_of(repeat, partial(raw_run, session, measures))
            reused_s, reused = best_of(repeat, partial(stored_run, session, measures), fresh=False)
            for measure in measures:
                assert same_counts(sql_counts(reused[measure.id]), sql_counts(raw[measure.id]))
                assert same_counts(sql_counts(stored[measure.id]), sql_counts(raw[measure.id]))
            rows.append(
                (
                    name,
                    f"service, {label} ({charts} charts)",
                    service_s,
                    f"{service_s / stored_s:.2f} x stored, {service_s / raw_s:.2f} x raw SQL",
                )
            )
            rows.append(
                (
                    name,
                    f"stored counts, {label}",
                    stored_s,
                    f"{raw_s / stored_s:.1f} x faster (equal)",
                )
            )
            rows.append((name, f"raw SQL, {label}", raw_s, ""))
            rows.append(
                (
                    name,
                    f"counts reused (unchanged), {label}",
                    reused_s,
                    f"{raw_s / reused_s:.0f} x faster (equal)",
                )
            )
        per_measure = []
        for measure in core:
            seconds, _ = best_of(repeat, partial(raw_run, session, [measure]))
            per_measure.append(f"{measure.id} {seconds:.2f}")
        print("  raw SQL per measure (s): " + ", ".join(per_measure))
        if naive:
            rows.append(naive_row(session, name, plain, rows))
    if rebuild_items:
        rows.append(rebuild_row(engine, name))
    return rows


def rebuild_row(engine: Engine, name: str) -> tuple[str, str, float, str]:
    """Time deriving every stored measure item afresh, then roll it back."""
    with Session(engine) as session:
        started = time.perf_counter()
        written = rebuild(session)
        seconds = time.perf_counter() - started
        session.rollback()
    return (name, "rebuild all stored measure items", seconds, f"{written:,} items")


def main() -> None:
    """Parse the options, prepare the databases and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=70)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (best is kept)")
    parser.add_argument("--no-naive", action="store_true", help="skip the (slow) naive loop")
    parser.add_argument("--sqlite-file", type=Path, help="an already seeded SQLite file to use")
    parser.add_argument("--rebuild", action="store_true", help="also time a full item rebuild")
    parser.add_argument(
        "--unsettled", action="store_true", help="do not settle the heap as a started server does"
    )
    options = parser.parse_args()
    rows: list[tuple[str, str, float, str]] = []
    extras = (not options.no_naive, options.rebuild, not options.unsettled)
    if options.backend in ("sqlite", "both"):
        url = (
            f"sqlite:///{options.sqlite_file}" if options.sqlite_file else sqlite_url(options.scale)
        )
        engine = build_engine(url, long_statements=True)
        rows += bench(engine, "sqlite", options.repeat, *extras)
        engine.dispose()
    if options.backend in ("postgresql", "both"):
        url, stop = postgres_url(options.scale)
        try:
            engine = build_engine(url, long_statements=True)
            rows += bench(engine, "postgresql", options.repeat, *extras)
            engine.dispose()
        finally:
            stop()
    print()
    print(f"{'backend':<11} {'workload':<52} {'seconds':>8}  ratio")
    for backend, workload, seconds, ratio in rows:
        print(f"{backend:<11} {workload:<52} {seconds:>8.2f}  {ratio}")


if __name__ == "__main__":
    main()
