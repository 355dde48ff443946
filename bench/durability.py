"""No lost saves: many nurses save answers while the server is killed and restarted (issue 7).

Run: .venv/bin/python bench/durability.py [--clients 50] [--seconds 60] [--kill-at 30]
Each client saves its own yes/no items on a throwaway PostgreSQL, one idempotency key per save,
retrying until the server answers; uvicorn gets SIGKILL mid-traffic and restarts on the same
port. The database must then hold every acknowledged save exactly once.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from durability_clients import (  # noqa: E402
    RETRY_GRACE,
    Ack,
    ClientStats,
    Pair,
    clients_with_own_sessions,
    find_pairs,
    run_client,
)
from server_process import Server, free_port  # noqa: E402

from app.checklists.in_use import catalogue_in_use  # noqa: E402
from app.core import migrate  # noqa: E402
from app.core.config import get_settings  # noqa: E402
from app.core.db import build_engine  # noqa: E402
from app.demo.seed import seed_demo  # noqa: E402
from tests.postgres_cluster import start_cluster  # noqa: E402

console = Console()


def prepare_database(url: str) -> Engine:
    """Migrate the database and seed a small demo."""
    migrate.upgrade(url)
    engine = build_engine(url, long_statements=True)
    report = seed_demo(engine, catalogue_in_use(), seed=2026, scale=0.2)
    console.print(f"seeded {sum(report.counts.values())} rows in {report.seconds:.1f} s")
    return engine


def newest_revision_id(engine: Engine) -> int:
    """The id of the newest stored revision (0 for none): the run's revisions come after it."""
    with engine.connect() as connection:
        newest = connection.execute(text("SELECT MAX(id) FROM checklist_answer_revision"))
        return int(newest.scalar() or 0)


def check_database(
    engine: Engine,
    acks: list[Ack],
    newest_before: int,
    versions_before: dict[tuple[int, str], int],
    killed_at: datetime,
) -> dict[str, int]:
    """Compare what clients were told with what the database holds."""
    with engine.connect() as connection:
        duplicated = connection.execute(
            text(
                "SELECT COUNT(*) FROM (SELECT idempotency_key FROM checklist_answer_revision"
                " WHERE idempotency_key IS NOT NULL GROUP BY idempotency_key HAVING COUNT(*) > 1) d"
            )
        ).scalar_one()
        rows = connection.execute(
            text(
                "SELECT idempotency_key, instance_id, item_id, value, version, answered_at"
                " FROM checklist_answer_revision WHERE id > :newest"
            ),
            {"newest": newest_before},
        ).all()
        answers = {
            (int(i), str(t)): (v, int(n)) for i, t, v, n in connection.execute(
                text("SELECT instance_id, item_id, value, version FROM checklist_answer"))
        }  # fmt: skip
    stored = {str(k): (int(i), str(t), v, int(n)) for k, i, t, v, n, _when in rows}
    acked = {a.key: (a.instance_id, a.item_id, a.value, a.version) for a in acks}
    retried = {a.key for a in acks if a.retried}
    per_pair: dict[tuple[int, str], list[tuple[int, Any]]] = {}
    for i, t, v, n in stored.values():
        per_pair.setdefault((i, t), []).append((n, v))
    inconsistent = 0
    for pair, before in versions_before.items():
        revisions = sorted(per_pair.get(pair, []), key=lambda r: r[0])
        value, version = answers.get(pair, (None, before))
        newest_value = revisions[-1][1] if revisions else value
        expected = list(range(before + 1, before + len(revisions) + 1))
        consistent = [n for n, _v in revisions] == expected and newest_value == value
        inconsistent += not (consistent and version == before + len(revisions))
    return {
        "lost": sum(k not in stored for k in acked),
        "duplicated": int(duplicated),
        "mismatched": sum(k in stored and stored[k] != saved for k, saved in acked.items()),
        "inconsistent": inconsistent,
        "stored": len(stored),
        "stored_unacknowledged": len(set(stored) - set(acked)),
        "replayed": sum(str(k) in retried and when < killed_at for k, *_row, when in rows),
    }


def rate(times: list[float], start: float, end: float) -> float:
    """Acknowledged saves per second between two moments of the run."""
    return sum(start <= t < end for t in times) / max(end - start, 1e-9)


def report(
    args: argparse.Namespace,
    stats: list[ClientStats],
    checks: dict[str, int],
    timing: dict[str, float],
) -> None:
    """Print the figures as a table."""
    times = sorted(a.at for s in stats for a in s.acknowledged)
    new_server = [a.at for s in stats for a in s.acknowledged if a.sent > timing["killed"]]
    first_after = min(new_server, default=float("nan"))
    title = f"No lost saves: {args.clients} clients, {args.seconds:.0f} s"
    table = Table(title=f"{title}, SIGKILL at {args.kill_at:.0f} s")
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("saves attempted", sum(s.attempted for s in stats)),
        ("acknowledged (200)", len(times)),
        ("saves retried (≥ 1 retry)", sum(s.retried_saves for s in stats)),
        ("retry requests", sum(s.retry_requests for s in stats)),
        ("connection errors / timeouts", sum(s.transport_errors for s in stats)),
        ("5xx answers", sum(len(s.server_errors) for s in stats)),
        ("unexpected 409", sum(len(s.conflicts) for s in stats)),
        ("other refusals (4xx)", sum(len(s.refused) for s in stats)),
        ("unresolved at the end", sum(len(s.unresolved) for s in stats)),
        ("retried saves stored before the kill (replayed)", checks["replayed"]),
        ("revisions stored during the run", checks["stored"]),
        ("stored but not acknowledged", checks["stored_unacknowledged"]),
        ("LOST (acknowledged, missing)", checks["lost"]),
        ("DUPLICATED (key stored twice)", checks["duplicated"]),
        ("acknowledged ≠ stored value/version", checks["mismatched"]),
        ("items with inconsistent versions", checks["inconsistent"]),
        ("saves/s before the kill", f"{rate(times, 0, timing['killed']):.1f}"),
        ("saves/s after recovery", f"{rate(times, first_after, args.seconds):.1f}"),
        ("kill to new server's /healthz 200", f"{timing['healthy'] - timing['killed']:.2f} s"),
        ("kill to first save acknowledged by it", f"{first_after - timing['killed']:.2f} s"),
    ]
    for name, value in rows:
        table.add_row(name, str(value))
    console.print(table)
    buckets = [f"{rate(times, t, t + 5):.0f}" for t in range(0, int(args.seconds), 5)]
    console.print(f"saves/s per 5 s: {' '.join(buckets)}")
    samples = [x for s in stats for x in (*s.server_errors, *s.conflicts, *s.refused)]
    for sample in samples[:5]:
        console.print(f"[yellow]sample[/]: {sample}")


def run_with_kill(
    args: argparse.Namespace,
    server: Server,
    clients: list[httpx.Client],
    shares: list[list[Pair]],
    stats: list[ClientStats],
) -> dict[str, float]:
    """Run every client in its own thread; SIGKILL and restart the server on the way."""
    t0 = time.monotonic()
    threads = [
        threading.Thread(target=run_client, args=(c, share, s, t0, args.seconds), daemon=True)
        for c, share, s in zip(clients, shares, stats, strict=True)
    ]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, t0 + args.kill_at - time.monotonic()))
    server.kill()  # returns once the process group is gone
    timing = {"killed": time.monotonic() - t0, "killed_wall": time.time()}
    console.print(f"[red]SIGKILL[/] at {timing['killed']:.1f} s; restarting on the same port")
    server.start()
    server.wait_healthy()
    timing["healthy"] = time.monotonic() - t0
    for thread in threads:
        thread.join(timeout=args.seconds + RETRY_GRACE + 30)
    return timing


def parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--kill-at", type=float, default=30.0)
    parser.add_argument("--timeout", type=float, default=10.0, help="client request timeout, s")
    return parser.parse_args()


def main() -> int:
    """Run the benchmark; exit 1 when a save was lost, duplicated or stored wrong."""
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="hph-durability-"))
    cluster = start_cluster()
    server: Server | None = None
    try:
        url = cluster.create_database("hph_durability")
        secret = secrets.token_urlsafe(36)  # 48 characters
        os.environ.update(HPH_DATABASE_URL=url, HPH_SECRET_KEY=secret, HPH_DATA_DIR=str(work))
        get_settings.cache_clear()
        engine = prepare_database(url)
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
        server = Server(command, port, dict(os.environ), work / "server.log", ROOT)
        server.start()
        server.wait_healthy()
        base = f"http://127.0.0.1:{port}"
        clients = clients_with_own_sessions(engine, base, args.clients, args.timeout)
        pairs = find_pairs(clients[0])
        if len(pairs) < args.clients:
            raise SystemExit(f"only {len(pairs)} items for {args.clients} clients: use fewer")
        shares = [pairs[n :: args.clients] for n in range(args.clients)]
        newest_before = newest_revision_id(engine)
        versions_before = {(p.instance_id, p.item_id): p.version for p in pairs}
        checklists = len({p.instance_id for p in pairs})
        console.print(f"{len(pairs)} items on {checklists} checklists; log in {work}")
        stats = [ClientStats() for _ in clients]
        timing = run_with_kill(args, server, clients, shares, stats)
        server.stop()
        acks = [a for s in stats for a in s.acknowledged]
        killed_at = datetime.fromtimestamp(timing["killed_wall"], UTC)
        checks = check_database(engine, acks, newest_before, versions_before, killed_at)
        report(args, stats, checks, timing)
        engine.dispose()
        errors = (work / "server.log").read_text(errors="replace").count("unexpected error")
        console.print(f"server log: {errors} unexpected errors logged")
        failures = ("lost", "duplicated", "mismatched", "inconsistent")
        failed = any(checks[name] for name in failures)
        if not failed:
            shutil.rmtree(work, ignore_errors=True)
        return 1 if failed else 0
    finally:
        if server is not None:
            server.stop()
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
