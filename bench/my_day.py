"""How fast and how heavy "My day" is for a nurse of the biggest team on the national demo.

    .venv/bin/python bench/my_day.py [--scale 70] [--requests 50]

Reuses (or seeds once) the SQLite demo that bench/engine.py caches in ``bench/results/``, puts
the demo nurse (who recorded the demo's work, so "mine" is as large as it gets) on the team
with the most open checklists, and times ``GET /my-day`` through the ASGI application for her
own patients, the whole team, a later page and the overdue ones, with the clock at the demo's
day. Prints p50/p95 in milliseconds over the requests, the page's size (plain and gzipped) and
how many patients and checklists it shows of how many. Target: p95 well under 100 ms. On a
shared machine the wall times swell with its load; the CPU time of the process (client,
application and SQLite alike) shows the cost of a page itself.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
os.environ.setdefault("HPH_SECRET_KEY", "benchmark-secret-key-that-is-long-enough-for-settings")
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

NURSE = "sykepleier@demo.no"


def _database(scale: float) -> str:
    """The cached seeded demo (seeded by bench/engine.py's code when missing)."""
    import engine  # bench/engine.py

    path = RESULTS / f"engine-demo-s{scale:g}-{engine.TODAY.isoformat()}.db"
    os.environ["HPH_DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["HPH_DATA_DIR"] = str(RESULTS)
    url = engine.sqlite_url(scale)
    from app.core import migrate

    migrate.upgrade(url)  # a demo cached before the day's indexes gets them (once)
    return url


def _biggest_team() -> tuple[int, str, int]:
    """The team with the most open checklists, and the demo nurse on it."""
    from sqlalchemy import func
    from sqlmodel import Session, col, select

    from app.checklists.models import ChecklistInstance
    from app.core.db import get_engine
    from app.org.models import Membership, Team, User

    with Session(get_engine()) as session:
        team_id, count = session.exec(
            select(ChecklistInstance.team_id, func.count())
            .where(col(ChecklistInstance.status).in_(("due", "in_progress")))
            .group_by(col(ChecklistInstance.team_id))
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        nurse = session.exec(select(User).where(User.email == NURSE)).one()
        member = session.exec(
            select(Membership)
            .where(Membership.user_id == nurse.id)
            .where(Membership.team_id == team_id)
        ).first()
        if member is None:
            session.add(
                Membership(user_id=nurse.id, role="nurse", scope_kind="team", team_id=team_id)
            )
            session.commit()
        team = session.get(Team, team_id)
        return int(team_id), team.name if team else "?", int(count)


def _time(client, url: str, requests: int) -> tuple[list[float], list[float], bytes]:  # type: ignore[no-untyped-def]
    """Wall and CPU milliseconds per request, and the last page."""
    times, cpu, body = [], [], b""
    for _ in range(requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, headers={"Accept-Encoding": "identity"})
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, response.text[:300]
        body = response.content
    return times, cpu, body


def main() -> None:
    """Time the page for each view and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=70)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    url = _database(args.scale)
    import time_machine
    from engine import TODAY
    from fastapi.testclient import TestClient

    from app.core.config import get_settings
    from app.demo.network import DEMO_PASSWORD
    from app.main import create_app

    team_id, team_name, open_count = _biggest_team()
    print(f"My day on {url.rsplit('/', 1)[-1]}: team {team_name} ({open_count:,} open checklists)")
    noon = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=get_settings().zone)
    with time_machine.travel(noon, tick=True), TestClient(create_app()) as client:
        signed = client.post("/api/v1/session", json={"email": NURSE, "password": DEMO_PASSWORD})
        assert signed.status_code == 200, signed.text
        client.get(f"/my-day?team={team_id}")  # remembered from here on; warms the caches
        print(f"{'view':<24}{'p50 ms':>8}{'p95 ms':>8}{'cpu p50':>8}{'bytes':>8}{'gzip':>7}  shown")
        for label, query in (
            ("mine, page 1", "who=mine"),
            ("whole team, page 1", "who=team"),
            ("whole team, page 5", "who=team&page=5"),
            ("mine, overdue", "who=mine&when=overdue"),
            ("mine, by patient", "who=mine&sort=patient"),
        ):
            times, cpu, body = _time(client, f"/my-day?{query}", args.requests)
            api = client.get(f"/api/v1/my-day?team_id={team_id}&{query}").json()
            shown = len(api["overdue"]) + len(api["open_now"]) + len(api["coming_up"])
            total = sum(api["counts"].values())
            p95 = statistics.quantiles(times, n=20)[-1]
            print(
                f"{label:<24}{statistics.median(times):>8.1f}{p95:>8.1f}"
                f"{statistics.median(cpu):>8.1f}{len(body):>8,}{len(gzip.compress(body)):>7,}"
                f"  {len(api['patients'])} of"
                f" {api['total_patients']:,} patients, {shown} of {total:,} checklists"
            )


if __name__ == "__main__":
    main()
