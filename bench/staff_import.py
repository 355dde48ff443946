"""Benchmark of bulk onboarding: importing a staff CSV of 2,000 people, then the same file again.

    .venv/bin/python bench/staff_import.py [--rows 2000] [--backend sqlite|postgresql|both]

A fresh migrated database gets one network with 40 municipalities of 3 teams each; the CSV
gives every person one role (nurses and team members on teams, a few administrators and
coordinators on organisations and the network). It times ``import_staff`` (the service behind
the admin page, the API and ``hph org import``) with its commit, then the same file again,
which must change nothing. PostgreSQL runs in a throwaway cluster (tests/postgres_cluster.py)
unless ``HPH_BENCH_DATABASE_URL`` names an empty database. Target: < 10 s per import.
Invitations need no password hashing: each link is 256 random bits stored as sha256.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlmodel import Session, func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.admin.staff_csv import import_staff  # noqa: E402
from app.core import migrate  # noqa: E402
from app.core.db import build_engine  # noqa: E402
from app.org.models import LearningNetwork, Membership, Organisation, Team, User  # noqa: E402

ORGANISATIONS = 40
TEAMS_PER_ORGANISATION = 3


def build_tree(session: Session) -> None:
    """One network, its municipalities and their teams."""
    network = LearningNetwork(slug="bench", name="Benk 2026", region="Midt-Norge")
    session.add(network)
    session.flush()
    for o in range(ORGANISATIONS):
        organisation = Organisation(
            network_id=int(network.id or 0),
            slug=f"kommune-{o}",
            name=f"Kommune {o}",
            kind="municipality",
        )
        session.add(organisation)
        session.flush()
        for t in range(TEAMS_PER_ORGANISATION):
            session.add(
                Team(
                    organisation_id=int(organisation.id or 0),
                    slug=f"k{o}-t{t}",
                    name=f"Team {o}.{t}",
                )
            )
    session.commit()


def staff_csv(rows: int) -> bytes:
    """A staff file of this many people (UTF-8 with BOM, semicolons, Norwegian names)."""
    lines = ["email;name;role;scope"]
    for n in range(rows):
        o, t = n % ORGANISATIONS, n % TEAMS_PER_ORGANISATION
        if n % 100 == 0:
            role, scope = "admin", f"organisation:kommune-{o}"
        elif n % 250 == 1:
            role, scope = "coordinator", "network:bench"
        elif n % 5 == 0:
            role, scope = "team", f"team:k{o}-t{t}"
        else:
            role, scope = "nurse", f"team:k{o}-t{t}"
        lines.append(f"ansatt{n}@kommune{o}.no;Åse Ærlig Øvreås {n};{role};{scope}")
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


def counts(session: Session) -> tuple[int, int]:
    """Users and memberships stored."""
    users = session.exec(select(func.count()).select_from(User)).one()
    memberships = session.exec(select(func.count()).select_from(Membership)).one()
    return int(users), int(memberships)


def run(url: str, rows: int, label: str) -> None:
    """Import twice and print the figures."""
    migrate.upgrade(url)
    engine = build_engine(url)
    data = staff_csv(rows)
    with Session(engine, expire_on_commit=False) as session:
        build_tree(session)
    timings = []
    for attempt in ("first", "second"):
        with Session(engine, expire_on_commit=False) as session:
            started = time.perf_counter()
            result = import_staff(session, actor=None, data=data)
            session.commit()
            took = time.perf_counter() - started
            users, memberships = counts(session)
        timings.append(took)
        print(
            f"{label:10} {attempt:6} import of {rows:,} rows: {took:6.2f} s "
            f"({len(result.invited):,} invited, {result.roles_added:,} roles added, "
            f"{result.unchanged:,} unchanged; {users:,} users, {memberships:,} roles stored)"
        )
    status = "OK" if max(timings) < 10 else "SLOWER THAN TARGET"
    print(f"{label:10} target < 10 s per import: {status}")
    engine.dispose()


def postgres() -> tuple[str, Callable[[], None]]:
    """An empty PostgreSQL database: HPH_BENCH_DATABASE_URL, or a throwaway cluster."""
    given = os.environ.get("HPH_BENCH_DATABASE_URL")
    if given:
        return given, lambda: None
    from tests.postgres_cluster import start_cluster

    cluster = start_cluster()
    return cluster.create_database("hph_bench_staff"), cluster.stop


def main() -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{Path(folder) / 'staff.db'}", args.rows, "SQLite")
    if args.backend in ("postgresql", "both"):
        url, stop = postgres()
        try:
            run(url, args.rows, "PostgreSQL")
        finally:
            stop()


if __name__ == "__main__":
    main()
