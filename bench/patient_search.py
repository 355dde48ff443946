"""Benchmark of finding a patient on the national demo (scale 70: about 105,000 patients).

    .venv/bin/python bench/patient_search.py [--scale 70] [--backend postgresql|sqlite|both]

Seeds (or reuses, like ``bench/engine.py``) the demo, then times ``find_patients`` (the service
behind the patient page, the htmx search and the API) as a nurse of the biggest team and as a
team member over a whole organisation, for the searches a nurse types: a label prefix, a
label with its birth year, a local reference, a birth year alone, a search that finds nothing,
and the plain list's first and last pages. Each search runs 60 times; it prints p50, p95 and
the most rows matched. The target is p95 < 100 ms on PostgreSQL. The query plans are checked
to use the patient indexes (an index, not a scan of every patient).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import postgres_url, sqlite_url  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from app.core.db import build_engine  # noqa: E402
from app.org.models import Team  # noqa: E402
from app.org.scope import Grant, Viewer  # noqa: E402
from app.pathways.models import Patient  # noqa: E402
from app.pathways.service import find_patients  # noqa: E402

REPEAT = 60


def _viewer(team_ids: frozenset[int], role: str) -> Viewer:
    """A nurse (or team member) over these teams."""
    grant = Grant(role, "team", 0, "bench", team_ids, None)
    return Viewer(
        user_id=0, email="bench@example.no", display_name="Bench", language="en", grants=(grant,)
    )


def _searches(session: Session, team_id: int) -> list[tuple[str, str, int]]:
    """What a nurse types, taken from the team's own patients: (name, query, page)."""
    patient = session.exec(
        select(Patient).where(Patient.team_id == team_id).order_by(col(Patient.id))
    ).first()
    assert patient is not None
    initials = patient.label.split()[0]
    last_page = (
        1 + (session.exec(select(func.count()).where(Patient.team_id == team_id)).one() - 1) // 50
    )
    return [
        ("first page of the list", "", 1),
        ("last page of the list", "", last_page),
        ("label prefix", initials[:2], 1),
        ("label and birth year", patient.label, 1),
        ("local reference", patient.local_reference or "", 1),
        ("birth year", str(patient.birth_year), 1),
        ("nothing found", "zz", 1),
    ]


def _time(session: Session, viewer: Viewer, query: str, page: int) -> tuple[list[float], int]:
    """Milliseconds of each run and the matches of the last."""
    times, total = [], 0
    for _ in range(REPEAT):
        started = time.perf_counter()
        found = find_patients(session, viewer=viewer, query=query, page=page)
        times.append((time.perf_counter() - started) * 1000)
        total = found.total
        session.rollback()  # the audit entry each search writes is not kept
    return times, total


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def _plan(session: Session, viewer: Viewer, query: str) -> str:
    """The PostgreSQL plan of a search's page query, to see the index used."""
    from app.pathways.service import _matching

    statement = (
        select(Patient.id)
        .where(*_matching(query, sorted(viewer.patient_team_ids)))
        .order_by(col(Patient.label_key))
        .limit(50)
    )
    compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    rows = session.connection().exec_driver_sql(f"EXPLAIN {compiled}").all()
    return "\n".join(f"      {r[0]}" for r in rows)


def bench(name: str, url: str) -> None:
    """Time every search for a nurse of the biggest team and a member over its organisation."""
    engine = build_engine(url)
    with Session(engine) as session:
        patients = session.exec(select(func.count()).select_from(Patient)).one()
        team_id, size = session.exec(
            select(Patient.team_id, func.count())
            .group_by(col(Patient.team_id))
            .order_by(func.count().desc())
        ).first()  # type: ignore[misc]
        team = session.get(Team, team_id)
        assert team is not None
        organisation = frozenset(
            int(t)
            for t in session.exec(
                select(Team.id).where(Team.organisation_id == team.organisation_id)
            ).all()
        )
        print(
            f"\n{name}: {patients:,} patients; biggest team {size:,}; its organisation has "
            f"{len(organisation)} teams"
        )
        print(f"  {'search':<26} {'who':<14} {'p50 ms':>8} {'p95 ms':>8} {'matches':>8}")
        worst = 0.0
        for label, query, page in _searches(session, team_id):
            for who, viewer in (
                ("nurse, 1 team", _viewer(frozenset({team_id}), "nurse")),
                ("organisation", _viewer(organisation, "team")),
            ):
                times, total = _time(session, viewer, query, page)
                worst = max(worst, _p95(times))
                print(
                    f"  {label:<26} {who:<14} {statistics.median(times):8.1f} "
                    f"{_p95(times):8.1f} {total:8,}"
                )
        print(f"  worst p95: {worst:.1f} ms (target < 100 ms)")
        if engine.dialect.name == "postgresql":
            print("  plan of a label search:")
            print(_plan(session, _viewer(frozenset({team_id}), "nurse"), "ab"))
    engine.dispose()


def main() -> None:
    """Parse the arguments, seed or reuse the demo, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=70)
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        bench("SQLite", sqlite_url(args.scale))
    if args.backend in ("postgresql", "both"):
        url, stop = postgres_url(args.scale)
        try:
            bench("PostgreSQL", url)
        finally:
            stop()


if __name__ == "__main__":
    main()
