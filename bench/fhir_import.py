"""Benchmark of hospital events in: a FHIR Bundle of 1,000 Encounters through ``POST /fhir/R4/``'s
service, then the same Bundle again (must change nothing), then their discharges.

    .venv/bin/python bench/fhir_import.py [--encounters 1000] [--backend sqlite|postgresql|both]

On an empty database (a SQLite file, and PostgreSQL in a throwaway cluster from
tests/postgres_cluster.py) it first builds one municipality with 10 teams and one patient with
an open pathway per encounter. With ``HPH_BENCH_DATABASE_URL`` pointing at a migrated copy of
the seeded national demo (never ``hph_national`` itself), it takes the organisation with the
most open pathways and sends an Encounter for each of its first patients that fits their story
(an admission after a discharge, a discharge after an admission), plus 5 % unknown patients
that go to the review list. Each Bundle is one ``import_bundle`` call and one commit, as the
endpoint does; every event goes through the pathway services (scheduling, audit).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.checklists.models import ChecklistInstance  # noqa: E402
from app.core import migrate  # noqa: E402
from app.core.db import build_engine  # noqa: E402
from app.core.i18n import set_language  # noqa: E402
from app.fhir.ingest_bundle import import_bundle  # noqa: E402
from app.fhir.ingest_source import source_for  # noqa: E402
from app.org.models import LearningNetwork, Organisation, Team  # noqa: E402
from app.pathways.models import (  # noqa: E402
    EventStatus,
    Pathway,
    PathwayEvent,
    PathwayStatus,
    Patient,
)

HOSPITAL = "urn:oid:2.16.578.1.12.4.1.2.99999"
IMP = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"}
TEAMS = 10


def build_municipality(session: Session, patients: int) -> int:
    """One network, one municipality with its teams and patients with open pathways."""
    network = LearningNetwork(slug="bench", name="Benk", region="Midt")
    session.add(network)
    session.flush()
    organisation = Organisation(
        network_id=int(network.id or 0), slug="benk", name="Benk kommune", kind="municipality"
    )
    session.add(organisation)
    session.flush()
    teams = [
        Team(organisation_id=int(organisation.id or 0), slug=f"t{t}", name=f"Team {t}")
        for t in range(TEAMS)
    ]
    session.add_all(teams)
    session.flush()
    for n in range(patients):
        patient = Patient(
            team_id=int(teams[n % TEAMS].id or 0), label=f"B.{n} 1940", local_reference=f"B{n:06d}"
        )
        session.add(patient)
        session.flush()
        session.add(Pathway(patient_id=int(patient.id or 0), started_on=date(2026, 10, 1)))
    session.commit()
    return int(organisation.id or 0)


def busiest_organisation(session: Session) -> int:
    """The organisation with the most open pathways."""
    row = session.exec(
        select(Team.organisation_id, func.count())
        .join(Patient, col(Patient.team_id) == col(Team.id))
        .join(Pathway, col(Pathway.patient_id) == col(Patient.id))
        .where(Pathway.status == PathwayStatus.open.value)
        .group_by(col(Team.organisation_id))
        .order_by(func.count().desc())
    ).first()
    assert row is not None, "no open pathways"
    return int(row[0])


def encounters_for(
    session: Session, organisation_id: int, wanted: int, now: datetime
) -> list[dict[str, Any]]:
    """An Encounter per patient that fits what their pathway says, and 5 % unknown patients."""
    rows = session.exec(
        select(Patient.local_reference, Pathway.id)
        .join(Team, col(Team.id) == col(Patient.team_id))
        .join(Pathway, col(Pathway.patient_id) == col(Patient.id))
        .where(Team.organisation_id == organisation_id)
        .where(Pathway.status == PathwayStatus.open.value)
        .where(col(Patient.local_reference).is_not(None))
        .order_by(col(Patient.id))
        .limit(wanted)
    ).all()
    last: dict[int, str] = {}
    for pathway_id, kind in session.exec(
        select(PathwayEvent.pathway_id, PathwayEvent.kind)
        .where(col(PathwayEvent.pathway_id).in_([p for _r, p in rows]))
        .where(PathwayEvent.status == EventStatus.active.value)
        .where(col(PathwayEvent.kind).in_(("hospital_admission", "hospital_discharge")))
        .order_by(col(PathwayEvent.occurred_at))
    ).all():
        last[int(pathway_id)] = kind
    at = (now - timedelta(hours=6)).isoformat()
    resources = []
    for n, (reference, pathway_id) in enumerate(rows):
        unknown = n % 20 == 19
        admitted = last.get(int(pathway_id)) == "hospital_admission"
        resource: dict[str, Any] = {
            "resourceType": "Encounter",
            "identifier": [{"system": HOSPITAL, "value": f"BENCH-{n:06d}"}],
            "status": "finished" if admitted else "in-progress",
            "class": IMP,
            "subject": {"identifier": {"value": f"UNKNOWN-{n}" if unknown else reference}},
            "period": {"end": at} if admitted else {"start": at},
        }
        resources.append(resource)
    return resources


def as_bundle(resources: list[dict[str, Any]]) -> bytes:
    """A batch Bundle of these resources."""
    entries = [
        {"resource": r, "request": {"method": "POST", "url": "Encounter"}} for r in resources
    ]
    return json.dumps({"resourceType": "Bundle", "type": "batch", "entry": entries}).encode()


def discharged(resources: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The admissions among them, now finished an hour later."""
    later = (now - timedelta(hours=5)).isoformat()
    return [
        {**r, "status": "finished", "period": {**r["period"], "end": later}}
        for r in resources
        if r["status"] == "in-progress"
    ]


def send(engine: Any, organisation_id: int, body: bytes, label: str, what: str) -> None:
    """Import one Bundle, commit, and print its time and what became of its entries."""
    with Session(engine, expire_on_commit=False) as session:
        instances_before = int(
            session.exec(select(func.count()).select_from(ChecklistInstance)).one()
        )
        started = time.perf_counter()
        source = source_for(session, organisation_id=organisation_id, name="bench")
        status, answer = import_bundle(session, source=source, body=body, now=datetime.now(UTC))
        session.commit()
        took = time.perf_counter() - started
        instances = int(session.exec(select(func.count()).select_from(ChecklistInstance)).one())
    statuses: dict[str, int] = {}
    for entry in answer.get("entry", []):
        code = entry["response"]["status"].split()[0]
        statuses[code] = statuses.get(code, 0) + 1
    n = len(answer.get("entry", []))
    print(
        f"{label:10} {what:24} {n:5,} encounters in {took:6.2f} s ({n / took:6.1f}/s, "
        f"{1000 * took / max(n, 1):5.1f} ms each); HTTP {status}; entries {statuses}; "
        f"{instances - instances_before:,} checklists scheduled",
        flush=True,
    )


def run(url: str, wanted: int, label: str, *, fresh: bool) -> None:
    """Build (or find) the patients, then send the three Bundles."""
    set_language("en")
    engine = build_engine(url, long_statements=True)
    if fresh:
        migrate.upgrade(url)
        with Session(engine) as session:
            organisation_id = build_municipality(session, wanted)
    else:
        with Session(engine) as session:
            organisation_id = busiest_organisation(session)
    now = datetime.now(UTC)
    with Session(engine) as session:
        resources = encounters_for(session, organisation_id, wanted, now)
    body = as_bundle(resources)
    print(
        f"{label:10} Bundle of {len(resources):,} Encounters, {len(body) / 1e6:.2f} MB", flush=True
    )
    send(engine, organisation_id, body, label, "first")
    send(engine, organisation_id, body, label, "same again (no change)")
    send(engine, organisation_id, as_bundle(discharged(resources, now)), label, "their discharges")
    engine.dispose()


def postgres() -> tuple[str, Callable[[], None], bool]:
    """A PostgreSQL database: HPH_BENCH_DATABASE_URL (a national copy), or a throwaway cluster."""
    given = os.environ.get("HPH_BENCH_DATABASE_URL")
    if given:
        return given, lambda: None, False
    from tests.postgres_cluster import start_cluster

    cluster = start_cluster()
    return cluster.create_database("hph_bench_fhir"), cluster.stop, True


def main() -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encounters", type=int, default=1000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{Path(folder) / 'fhir.db'}", args.encounters, "SQLite", fresh=True)
    if args.backend in ("postgresql", "both"):
        url, stop, fresh = postgres()
        try:
            run(url, args.encounters, "PostgreSQL", fresh=fresh)
        finally:
            stop()


if __name__ == "__main__":
    main()
