"""Single-user time of the pages that count, and what a nurse's save costs, on a seeded demo.

    HPH_BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/aggregates.py

Times, through the service functions and with the clock at the demo's day (bench/engine.py's
TODAY), the team dashboard of the demo team (weekly and monthly), the comparison of the first
core measure for the national coordinator (by organisation and by network), and a nurse's
answer save and completion (each in a transaction that is then rolled back), with the stored
counts brought up to date as a commit would. Dashboards and comparisons are timed counted
afresh (the counts and chart maths a worker keeps are dropped before each run, as after writes
to every measure) and reused (nothing changed since the last view). Prints p50 and p95 in ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("HPH_SECRET_KEY", "benchmark-secret-key-that-is-long-enough-for-settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from app.checklists.models import ChecklistAnswer, ChecklistInstance  # noqa: E402
from app.checklists.service import complete_checklist, save_answer  # noqa: E402
from app.core.config import get_settings  # noqa: E402
from app.core.db import build_engine  # noqa: E402
from app.dashboards.comparison import comparison  # noqa: E402
from app.dashboards.service import dashboard_measures, team_dashboard  # noqa: E402
from app.measures.chart_data import forget_kept_results  # noqa: E402
from app.org.models import Team, User  # noqa: E402
from app.org.scope import Viewer, resolve_viewer  # noqa: E402

TODAY = datetime(2026, 3, 18, 12)


def _now() -> datetime:
    """Noon on the benchmark's day, local time."""
    return TODAY.replace(tzinfo=get_settings().zone)


def _viewer(session: Session, email: str) -> Viewer:
    """A demo user as the pages see them."""
    user = session.exec(select(User).where(User.email == email)).one()
    return resolve_viewer(session, user)


STATEMENTS = [0]


def timed(
    repeat: int, work: Callable[[], Any], fresh: bool = False
) -> tuple[float, float, float, float]:
    """p50 and p95 wall time, p50 CPU time of this process (ms), and SQL statements per run;
    with ``fresh``, every run without what the runs before it kept."""
    work()
    times, cpu = [], []
    STATEMENTS[0] = 0
    for _ in range(repeat):
        if fresh:
            forget_kept_results()
        started, started_cpu = time.perf_counter(), time.process_time()
        work()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)))]
    return statistics.median(times), p95, statistics.median(cpu), STATEMENTS[0] / repeat


def _apply(session: Session) -> None:
    """Bring the stored counts up to date as the commit would (when the branch has them)."""
    try:
        from app.measures.stored_counts import apply_pending
    except ImportError:
        return
    apply_pending(session)


def _save(session: Session, nurse: Viewer, instance_id: int, complete: bool) -> None:
    """One answer (and possibly the completion), flushed and counted, then rolled back."""
    answer = session.exec(
        select(ChecklistAnswer)
        .where(ChecklistAnswer.instance_id == instance_id)
        .where(ChecklistAnswer.item_id == "medication_list_sent")
    ).first()
    save_answer(
        session,
        viewer=nurse,
        instance_id=instance_id,
        item_id="medication_list_sent",
        value="yes",
        expected_version=answer.version if answer else 0,
        now=_now(),
    )
    if complete:
        complete_checklist(session, viewer=nurse, instance_id=instance_id, now=_now())
    session.flush()
    _apply(session)
    session.rollback()


def main() -> None:
    """Time the pages and the saves, and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    options = parser.parse_args()
    engine = build_engine(os.environ["HPH_BENCH_DATABASE_URL"], long_statements=True)
    event.listen(
        engine, "before_cursor_execute", lambda *_: STATEMENTS.__setitem__(0, STATEMENTS[0] + 1)
    )
    rows: list[tuple[str, float, float, float, float]] = []
    with Session(engine) as session:
        team_user = _viewer(session, "team@demo.no")
        team_id = min(team_user.aggregate_team_ids)
        national = _viewer(session, "koordinator.nasjonal@demo.no")
        nurse = _viewer(session, "sykepleier@demo.no")
        measure = dashboard_measures()[0].id
        print(f"team {session.get(Team, team_id).name}, comparison of {measure}")  # type: ignore[union-attr]
        for period in ("week", "month"):
            work = lambda p=period: team_dashboard(  # noqa: E731
                session, viewer=team_user, team_id=team_id, period=p,
                start=None, end=None, now=_now(),
            )  # fmt: skip
            for fresh, how in ((True, "counted afresh"), (False, "reused")):
                row = timed(options.repeat, work, fresh)
                rows.append((f"team dashboard, {period}ly, {how}", *row))
        for level in ("organisation", "network"):
            work = lambda lv=level: comparison(  # noqa: E731
                session, viewer=national, measure_id=measure, level=lv, period=None,
                start=None, end=None, now=_now(),
            )  # fmt: skip
            for fresh, how in ((True, "afresh"), (False, "reused")):
                row = timed(options.repeat, work, fresh)
                rows.append((f"comparison, national, by {level}, {how}", *row))
        session.rollback()
        instance_id = session.exec(
            select(ChecklistInstance.id)
            .where(ChecklistInstance.team_id.in_(nurse.patient_team_ids))  # type: ignore[attr-defined]
            .where(ChecklistInstance.definition_id == "innleggelse")
            .where(col(ChecklistInstance.status).in_(("due", "in_progress")))
            .order_by(col(ChecklistInstance.due_date))
        ).first()
        session.rollback()
        if instance_id is not None:
            for complete in (False, True):
                label = "answer save + completion" if complete else "answer save"
                work = lambda c=complete: _save(session, nurse, int(instance_id), c)  # noqa: E731
                rows.append((f"{label} (rolled back)", *timed(options.repeat, work)))
    engine.dispose()
    print(f"{'request':<50} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>8} {'SQL':>5}")
    for name, p50, p95, cpu, statements in rows:
        print(f"{name:<50} {p50:>8.1f} {p95:>8.1f} {cpu:>8.1f} {statements:>5.0f}")


if __name__ == "__main__":
    main()
