"""Load benchmark: nurses save answers while team members and coordinators open their charts.

    .venv/bin/python bench/load.py [--workers 1 2] [--mix full nurses] [--seconds 60]
                                   [--pause S] [--client-nice 10] [--warm-up 2]
    .venv/bin/python bench/load.py --backend sqlite          (single-user figures only)

The database: ``HPH_BENCH_DATABASE_URL`` (an already seeded national demo; it is written to,
so use a copy), else a throwaway PostgreSQL cluster seeded like ``bench/engine.py`` seeds it;
with ``--backend sqlite`` the demo that ``bench/engine.py`` caches in ``bench/results/``. It is
migrated with ``hph migrate``, then for each worker count the real server starts (uvicorn with
the options ``hph serve`` gives it; ``--clock bench`` sets every process's clock to noon of the
demo's day, ``--clock real`` runs ``hph serve`` itself on today's date). Clients sign in as the
demo users over HTTP, on 127.0.0.1. In a mix every client is an operating-system process of
its own (``bench/load_runner.py``: threads of one process would time each other's turns at the
GIL), lowered with ``os.nice(--client-nice)`` (10 by default) so that the server and PostgreSQL
get the CPU first, as they would with the tablets and browsers on other machines; all sign in
and make ``--warm-up`` untimed rounds (2 by default: a team member's weekly and monthly
dashboard, a nurse's first checklist; what a server that has run a while has already seen and
kept, ``app.measures.count_cache``; 0 times first views too), then start together, so that no
sign-in is timed:

- single user: each request type alone, one client, ``--single`` times (p50);
- ``full``: 14 nurses open their own open checklists and save answers (the htmx form, with its
  CSRF token; 3 saves per page), 4 team members open their teams' dashboards (weekly and
  monthly in turn), 2 coordinators open the national comparison; every client loops with no
  pause for ``--seconds``;
- ``--pause S``: every client thinks 0.5–1.5 × S seconds between rounds, as people do (a nurse
  between checklists, a team member between dashboards); 0 (the default) is closed loops;
- ``nurses``: the same 14 nurses alone, so saves can be compared with and without analysis
  (``--analysis-slots 64`` lifts the limit on concurrent analysis, for a run without it).

Prints p50/p95/p99 per request type, throughput, errors, the clients' own CPU seconds in the
run (what they took from the server on these shared cores), and the server's resident memory
(the peak of the sum over its processes, read from /proc once a second, and per process).
Targets (issue 18): saves and checklist pages p95 < 100 ms, dashboards and comparisons p95 <
150 ms, no errors, < 300 MB per worker. The machine's other load shows in every figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path[:0] = [str(ROOT), str(BENCH)]
os.environ.setdefault("HPH_SECRET_KEY", "benchmark-secret-key-that-is-long-enough-for-settings")

from engine import TODAY, postgres_url, sqlite_url  # noqa: E402
from load_clients import (  # noqa: E402
    ANALYSIS,
    KINDS,
    NATIONAL_COORDINATOR,
    Nurse,
    Round,
    Stats,
    Viewer,
    coordinator_round,
    find_nurses,
    find_team_members,
    nurse_round,
    run_until,
    signed_in,
    team_round,
)
from load_runner import Client, Settings, run_clients  # noqa: E402
from server_process import Server, free_port  # noqa: E402

from app.core.config import get_settings  # noqa: E402
from app.core.db import build_engine  # noqa: E402


def _noon() -> datetime:
    """Noon of the demo's day, local time (the clock the server is given)."""
    return datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=get_settings().zone)


def migrate(url: str) -> None:
    """Bring the database to this version's schema and stored data with ``hph migrate``."""
    started = time.perf_counter()
    env = {**os.environ, "HPH_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT, env=env, check=True)
    print(f"  hph migrate: {time.perf_counter() - started:.1f} s", flush=True)


def server_command(args: argparse.Namespace, port: int, workers: int) -> list[str]:
    """``hph serve`` itself, or uvicorn with its options and the benchmark's clock."""
    if args.clock == "real":
        return [sys.executable, "-m", "app.cli", "serve", "--port", str(port)] + [
            "--workers",
            str(workers),
        ]
    return [
        sys.executable, "-m", "uvicorn", "load_clock:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--no-proxy-headers", "--log-level", "info",
    ]  # fmt: skip


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of the sorted values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def merged(stats: list[Stats]) -> Stats:
    """Every client's figures in one."""
    total = Stats()
    for one in stats:
        for kind, times in one.times.items():
            total.times.setdefault(kind, []).extend(times)
        for kind, count in one.errors.items():
            total.errors[kind] = total.errors.get(kind, 0) + count
        for kind, counts in one.statuses.items():
            into = total.statuses.setdefault(kind, {})
            for status, count in counts.items():
                into[status] = into.get(status, 0) + count
        total.samples += one.samples
    return total


def single_user(base: str, people: dict[str, tuple[Round, object, str]], repeat: int) -> None:
    """Each request type alone, one client at a time: the p50 of ``repeat`` requests."""
    print(f"  single user, p50 of {repeat} (after one to warm up):")
    for work, person, email in people.values():
        client = signed_in(base, email, timeout=120)
        stats = Stats()
        for turn in (0, 1):  # warm-up: a team member's weekly and monthly dashboards
            work(client, person, Stats(), turn)
        run_until(time.monotonic() + 600, lambda turn: work(client, person, stats, turn), repeat)  # noqa: B023
        client.close()
        for kind in KINDS:
            if kind in stats.times:
                times = stats.times[kind]
                errors = stats.errors.get(kind, 0)
                note = f"  ({errors} errors: {stats.samples[:1]})" if errors else ""
                print(f"    {kind:<26}{statistics.median(times):8.1f} ms  n={len(times)}{note}")


def run_mix(
    args: argparse.Namespace,
    server: Server,
    base: str,
    clients: list[tuple[Round, object, str]],
) -> tuple[Stats, float, float, list[tuple[int, str, float]]]:
    """Every client in its own process for ``--seconds``; the server's memory sampled meanwhile.
    Returns the merged figures, the run's length, the clients' CPU seconds and the memory peak."""
    peak: list[tuple[int, str, float]] = []

    def sample() -> None:
        nonlocal peak
        memory = server.memory()
        if sum(rss for *_n, rss in memory) > sum(rss for *_n, rss in peak):
            peak = memory

    run = run_clients(
        [Client(n, work, person, email) for n, (work, person, email) in enumerate(clients)],
        Settings(base, args.timeout, args.client_nice, args.pause, args.warm_up),
        args.seconds,
        sample,
    )
    return merged(run.stats), run.elapsed, run.cpu, peak


def report(
    title: str, total: Stats, elapsed: float, cpu: float, peak: list[tuple[int, str, float]]
) -> None:
    """Print the figures of one run."""
    print(f"\n  {title}")
    head = f"{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'per s':>8}{'errors':>7}"
    print(f"    {'request':<26}{head}")
    for kind in KINDS:
        times = total.times.get(kind, [])
        if not times and not total.errors.get(kind):
            continue
        p50, p95, p99 = (percentile(times, s) if times else float("nan") for s in (0.5, 0.95, 0.99))
        print(
            f"    {kind:<26}{len(times):7}{p50:9.1f}{p95:9.1f}{p99:9.1f}"
            f"{len(times) / elapsed:8.1f}{total.errors.get(kind, 0):7}"
        )
    count = sum(len(t) for t in total.times.values())
    analysis = sum(len(t) for k, t in total.times.items() if k in ANALYSIS)
    print(f"    throughput: {count / elapsed:.1f} requests/s ({analysis / elapsed:.1f} analysis)")
    print(f"    errors: {sum(total.errors.values())}")
    print(f"    clients' own CPU: {cpu:.1f} s ({cpu / elapsed:.2f} of a core over the run)")
    for sample in total.samples[:3]:
        print(f"      e.g. {sample}")
    per_process = ", ".join(f"{name} {pid}: {rss:.0f} MB" for pid, name, rss in peak)
    print(f"    server RSS at its peak: {sum(r for *_n, r in peak):.0f} MB ({per_process})")


def parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--scale", type=float, default=70)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--mix", nargs="*", choices=("full", "nurses"), default=None)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--single", type=int, default=20, help="requests per type, one user")
    parser.add_argument("--nurses", type=int, default=14)
    parser.add_argument("--team-members", type=int, default=4)
    parser.add_argument("--coordinators", type=int, default=2)
    parser.add_argument("--clock", choices=("bench", "real"), default="bench")
    parser.add_argument("--timeout", type=float, default=60.0, help="client request timeout, s")
    parser.add_argument(
        "--pause",
        type=float,
        default=0.0,
        help="seconds each client thinks between rounds (0: closed loops without pause)",
    )
    parser.add_argument(
        "--client-nice",
        type=int,
        default=10,
        help="os.nice increment of each client process (0: as urgent as the server)",
    )
    parser.add_argument(
        "--warm-up", type=int, default=2, help="untimed rounds of each client before the run"
    )
    parser.add_argument(
        "--analysis-slots", type=int, help="HPH_ANALYSIS_SLOTS for the server (64: no limit)"
    )
    args = parser.parse_args()
    if args.mix is None:  # SQLite serves one user at a time: its figures are single-user ones
        args.mix = ["full", "nurses"] if args.backend == "postgresql" else []
    return args


def main() -> None:
    """Prepare the database, then serve and load it with each worker count."""
    args = parse_args()
    with ExitStack() as stack:
        if args.backend == "sqlite":
            url = sqlite_url(args.scale)
        else:
            url, stop = postgres_url(args.scale)
            stack.callback(stop)
        migrate(url)
        engine = build_engine(url)
        nurses = find_nurses(engine, args.nurses, _noon())
        members = find_team_members(engine, args.team_members)
        engine.dispose()
        coordinator = Viewer(NATIONAL_COORDINATOR, [])
        mixes: dict[str, list[tuple[Round, object, str]]] = {
            "full": [(nurse_round, n, n.email) for n in nurses]
            + [(team_round, m, m.email) for m in members]
            + [(coordinator_round, coordinator, coordinator.email)] * args.coordinators,
            "nurses": [(nurse_round, n, n.email) for n in nurses],
        }
        alone: dict[str, tuple[Round, object, str]] = {
            "nurse": (nurse_round, Nurse(nurses[0].email, nurses[0].checklists), nurses[0].email),
            "team": (team_round, members[0], members[0].email),
            "coordinator": (coordinator_round, coordinator, coordinator.email),
        }
        work = Path(tempfile.mkdtemp(prefix="hph-load-"))
        slots = args.analysis_slots or get_settings().analysis_slots
        where = f"{url.rsplit('@', 1)[-1]}, clock {args.clock}, {slots} analysis slot(s) per worker"
        where += f", clients pause {args.pause:g} s between rounds"
        where += f", one process each at nice +{args.client_nice}"
        where += f", {args.warm_up} untimed warm-up round(s) each"
        print(f"Load on {where}; server logs in {work}")
        for workers in args.workers:
            port = free_port()
            env = {
                **os.environ,
                "HPH_DATABASE_URL": url,
                "HPH_DATA_DIR": str(work),
                "HPH_BENCH_TODAY": TODAY.isoformat(),
                "PYTHONPATH": os.pathsep.join([str(BENCH), str(ROOT)]),
            }
            if args.analysis_slots:
                env["HPH_ANALYSIS_SLOTS"] = str(args.analysis_slots)
            log = work / f"server-{workers}.log"
            server = Server(server_command(args, port, workers), port, env, log, ROOT)
            server.start()
            try:
                server.wait_healthy(timeout=120)
                base = f"http://127.0.0.1:{port}"
                print(f"\n== {workers} worker(s): {len(server.memory())} processes")
                single_user(base, alone, args.single)
                for mix in args.mix:
                    total, elapsed, cpu, peak = run_mix(args, server, base, mixes[mix])
                    title = f"{mix} mix: {len(mixes[mix])} clients, {elapsed:.0f} s"
                    report(title, total, elapsed, cpu, peak)
                idle = server.memory()
                print(f"  server RSS after the runs: {sum(r for *_n, r in idle):.0f} MB")
            finally:
                server.stop()


if __name__ == "__main__":
    main()
