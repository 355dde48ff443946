"""Benchmark of a network's learning-session report on the national demo (scale 70, PostgreSQL).

    HPH_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:55432/<your copy> \\
        .venv/bin/python bench/network_report.py [--repeat 2] [--pictures DIR]

Signs in as the national coordinator (a session row and audit entries are written: use a copy)
with "now" frozen at noon on the bench day (2026-03-18), and times, best of ``--repeat``, the
print page and its PDF for every regional network (default period: the last three complete
months), in-process: server time with templating, chart rendering and WeasyPrint. With
``--pictures``, the PDF of the largest network is written there to be turned into pictures.
The figures depend on the machine's load: say how busy it was when you quote them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, datetime
from pathlib import Path

os.environ.setdefault("HPH_SECRET_KEY", "benchmark-secret-key-that-is-long-enough-for-settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import time_machine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.core.config import get_settings  # noqa: E402
from app.core.db import build_engine  # noqa: E402
from app.measures.access import units_of  # noqa: E402
from app.measures.aggregate import Level  # noqa: E402

TODAY = date(2026, 3, 18)
NATIONAL = "koordinator.nasjonal@demo.no"
PASSWORD = "demo-passord-2026"


def main() -> None:
    """Time the report page and its PDF for each network."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--pictures", type=Path, default=None)
    args = parser.parse_args()
    url = os.environ.get("HPH_BENCH_DATABASE_URL")
    if not url:
        sys.exit("set HPH_BENCH_DATABASE_URL to a copy of the seeded national demo")
    os.environ["HPH_DATABASE_URL"] = url
    get_settings.cache_clear()
    now = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=get_settings().zone)
    engine = build_engine(url)
    with Session(engine) as session:
        networks = sorted(units_of(session, Level.network).values(), key=lambda u: u.id)
    engine.dispose()

    from fastapi.testclient import TestClient

    from app.main import create_app

    with time_machine.travel(now, tick=True), TestClient(create_app()) as client:
        client.cookies.set("hph_lang", "nb")
        answer = client.post("/api/v1/session", json={"email": NATIONAL, "password": PASSWORD})
        if answer.status_code != 200:
            sys.exit(f"sign-in answered {answer.status_code}: seed the national demo first")
        largest = max(networks, key=lambda u: len(u.team_ids))
        for network in networks:
            for kind in ("", ".pdf"):
                path = f"/networks/{network.id}/report{kind}"
                best = float("inf")
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    answer = client.get(path)
                    best = min(best, time.perf_counter() - started)
                size = len(answer.content) // 1024
                print(
                    f"{network.name[:40]:<40} {len(network.team_ids):3d} teams  {kind or 'page':<5}"
                    f" {best * 1000:7.0f} ms  HTTP {answer.status_code}  {size} KiB"
                )
                if kind and network is largest and args.pictures is not None:
                    args.pictures.mkdir(parents=True, exist_ok=True)
                    (args.pictures / "largest-network.pdf").write_bytes(answer.content)


if __name__ == "__main__":
    main()
