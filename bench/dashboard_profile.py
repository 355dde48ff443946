"""What a team dashboard and the comparison cost to open, page by page, in one process.

    HPH_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:55432/<copy> \\
        .venv/bin/python bench/dashboard_profile.py [--requests 10] [--profile dashboard-week]

Renders the real pages through the application (routes, templates, middleware) with an
in-process ASGI client, the clock at noon of the benchmark's day (``HPH_BENCH_TODAY``, as
``bench/load_clock.py`` does): ``GET /teams/{id}/dashboard?period=week`` and ``?period=month``
for the demo's team member (team@demo.no), and ``GET /comparison`` for the national coordinator.
Threadpool calls run inline on the one thread, so each page runs start to end where the
profiler sees it. After one warm-up request per page it prints, per page, the median and
minimum wall time, the CPU time of the process, the SQL statements and the time spent in them,
and the page's size. ``--profile PAGE`` (or ``all``) adds a pyinstrument text profile of one
more request (``pip install pyinstrument``); ``--statements`` lists the SQL of the last one.
Point it at your own copy of the national demo, never at ``hph_national``: the application
may write (sign-in, stored counts). ``--fresh`` drops the counts and chart maths the process
keeps before each request (``count_cache``), so every view counts afresh.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HPH_SECRET_KEY", "benchmark-secret-key-that-is-long-enough-for-settings")
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:55432/lookups_national"
os.environ["HPH_DATABASE_URL"] = os.environ.get("HPH_BENCH_DATABASE_URL", DEFAULT_URL)

TEAM_MEMBER = "team@demo.no"
COORDINATOR = "koordinator.nasjonal@demo.no"


class Statements:
    """Counts the SQL statements of every engine, and the time spent in them."""

    def __init__(self) -> None:
        """Listen on every engine's cursor executions."""
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        self.count, self.seconds, self._started = 0, 0.0, 0.0
        self.texts: list[str] = []
        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)

    def _before(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        """One more statement."""
        self.count += 1
        self.texts.append(" ".join(statement.split())[:150])
        self._started = time.perf_counter()

    def _after(self, *_args: Any) -> None:
        """Add the statement's time."""
        self.seconds += time.perf_counter() - self._started


def _inline_threads() -> None:
    """Run FastAPI's threadpool calls on the event loop's thread (one thread, one profile)."""
    import anyio.to_thread

    async def run_sync(func: Callable[..., Any], *args: Any, **_kwargs: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]


async def _signed_in(app: Any, email: str) -> Any:
    """A client of the application signed in as one of the demo's users."""
    import httpx

    from app.demo.network import DEMO_PASSWORD

    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
    response = await client.post(
        "/api/v1/session", json={"email": email, "password": DEMO_PASSWORD}
    )
    response.raise_for_status()
    return client


async def _measure(
    name: str, get: Callable[[], Awaitable[Any]], counter: Statements, args: argparse.Namespace
) -> None:
    """Time one page over the requests and print its line (and its profile when asked)."""
    first = await get()
    assert first.status_code == 200, f"{name}: {first.status_code} {first.text[:300]}"
    walls, cpus, statements, sql = [], [], [], []
    for _ in range(args.requests):
        if args.fresh:  # as after a write to every measure: nothing kept from the last view
            from app.measures.chart_data import forget_kept_results

            forget_kept_results()
        counter.count, counter.seconds, counter.texts = 0, 0.0, []
        wall, cpu = time.perf_counter(), time.process_time()
        response = await get()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        statements.append(counter.count)
        sql.append(counter.seconds * 1000)
        assert response.status_code == 200, response.text[:300]
    print(
        f"{name:<18}{statistics.median(walls):>9.1f}{min(walls):>9.1f}"
        f"{statistics.median(cpus):>9.1f}{max(statements):>6}{statistics.median(sql):>9.1f}"
        f"{len(response.content) / 1000:>9.1f}",
        flush=True,
    )
    if args.statements:
        for text in counter.texts:
            print(f"    {text}")
    if args.profile in (name, "all"):
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005, async_mode="disabled")
        profiler.start()
        await get()
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False), flush=True)


async def _run(args: argparse.Namespace) -> None:
    """Sign in, find the team member's team, then time each page."""
    from app.core.heap import settle_heap
    from app.main import create_app

    app = create_app()
    settle_heap()
    counter = Statements()
    member = await _signed_in(app, TEAM_MEMBER)
    coordinator = await _signed_in(app, COORDINATOR)
    chosen = await member.get("/dashboard", follow_redirects=False)
    dashboard = chosen.headers["location"]
    headers = {"Accept-Encoding": "identity"}
    print(f"{os.environ['HPH_DATABASE_URL'].rsplit('/', 1)[-1]}, today {args.today}: {dashboard}")
    print(f"{'page':<18}{'p50 ms':>9}{'min ms':>9}{'cpu ms':>9}{'SQL':>6}{'SQL ms':>9}{'kB':>9}")
    pages: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("dashboard-week", lambda: member.get(f"{dashboard}?period=week", headers=headers)),
        ("dashboard-month", lambda: member.get(f"{dashboard}?period=month", headers=headers)),
        ("comparison", lambda: coordinator.get("/comparison", headers=headers)),
    ]
    for name, get in pages:
        if args.only in (None, name):
            await _measure(name, get, counter, args)
    await member.aclose()
    await coordinator.aclose()


def main() -> None:
    """Parse the options, set the clock to the benchmark's day and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--only", choices=("dashboard-week", "dashboard-month", "comparison"))
    parser.add_argument("--profile", help="a page's name, or all: print a pyinstrument profile")
    parser.add_argument("--statements", action="store_true", help="list the last one's SQL")
    parser.add_argument("--fresh", action="store_true", help="count afresh for every request")
    parser.add_argument("--today", default=os.environ.get("HPH_BENCH_TODAY", "2026-03-18"))
    args = parser.parse_args()
    import time_machine

    day = date.fromisoformat(args.today)
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo("Europe/Oslo"))
    _inline_threads()
    with time_machine.travel(noon, tick=True):
        asyncio.run(_run(args))


if __name__ == "__main__":
    main()
