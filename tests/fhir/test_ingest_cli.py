"""`hph tokens` and `hph import events`: a CSV and a Bundle by the API's rules, with one clear
line for a mistake and never a traceback."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from app.audit.models import AuditEntry
from app.cli import app
from app.core import migrate
from app.core.config import get_settings
from app.core.db import build_engine, get_engine
from app.fhir.ingest_csv import COLUMNS
from app.fhir.ingest_models import ApiToken, IncomingEncounter
from app.org.models import Team
from app.pathways.models import Pathway, PathwayEvent, Patient
from tests.fhir.ingest_helpers import bundle, encounter

runner = CliRunner()


@pytest.fixture()
def hph(fresh_database_url, backend, monkeypatch):  # type: ignore[no-untyped-def]
    """`hph ...` on a fresh migrated database holding organisation 'orkland' with a patient."""
    url = fresh_database_url(backend)
    migrate.upgrade(url)
    monkeypatch.setenv("HPH_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()

    def _run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    assert _run("org", "add-network", "midt", "--name", "Midt", "--region", "Midt").exit_code == 0
    made = _run(
        "org",
        "add-organisation",
        "orkland",
        "--name",
        "Orkland",
        "--network",
        "midt",
        "--kind",
        "municipality",
    )
    assert made.exit_code == 0, made.output
    assert (
        _run("org", "add-team", "ork-hjem", "--name", "Hjem", "--organisation", "orkland").exit_code
        == 0
    )
    engine = build_engine(url)
    with Session(engine) as session:
        team = session.exec(select(Team)).one()
        patient = Patient(team_id=int(team.id or 0), label="K.O. 1938", local_reference="R-1")
        session.add(patient)
        session.flush()
        session.add(Pathway(patient_id=int(patient.id or 0), started_on=date(2026, 10, 1)))
        session.commit()
    _run.engine = engine  # type: ignore[attr-defined]
    yield _run
    engine.dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_tokens_are_created_listed_and_revoked_at_the_command_line(hph) -> None:  # type: ignore[no-untyped-def]
    created = hph("tokens", "create", "--organisation", "orkland", "--name", "DIPS")
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith("hph_") and len(secret) > 40
    with Session(hph.engine) as session:
        token = session.exec(select(ApiToken)).one()
        assert secret not in (token.token_hash, token.prefix)
        assert secret not in json.dumps([e.detail for e in session.exec(select(AuditEntry)).all()])
    listed = hph("tokens", "list")
    assert "DIPS" in listed.output and "active" in listed.output and secret not in listed.output
    assert hph("tokens", "revoke", str(token.id)).exit_code == 0
    assert "revoked" in hph("tokens", "list", "--organisation", "orkland").output
    with Session(hph.engine) as session:
        whats = session.exec(select(AuditEntry.what).order_by(col(AuditEntry.id))).all()
    assert any("api token" in w and "revoked" in w for w in whats)
    refused = hph("tokens", "create", "--organisation", "nowhere", "--name", "X")
    assert (
        refused.exit_code != 0 and "nowhere" in refused.output and "Traceback" not in refused.output
    )


def test_a_csv_of_events_is_imported_by_the_same_rules(hph, tmp_path) -> None:  # type: ignore[no-untyped-def]
    csv_file = tmp_path / "events.csv"
    csv_file.write_text(
        ",".join(COLUMNS) + "\n"
        "R-1,admission,2026-11-02 10:00,E-1\n"
        "R-1,discharge,2026-11-05 12:30,E-1\n"
        "NOBODY,admission,2026-11-03,E-2\n",
        encoding="utf-8",
    )
    first = hph("import", "events", str(csv_file), "--organisation", "orkland")
    assert first.exit_code == 0, first.output
    assert "Encounters" in first.output  # the progress bar
    assert "row 4" in first.output and "NOBODY" in first.output  # waits for review
    again = hph("import", "events", str(csv_file), "--organisation", "orkland")
    assert again.exit_code == 0, again.output
    with Session(hph.engine) as session:
        kinds = session.exec(
            select(PathwayEvent.kind).order_by(col(PathwayEvent.occurred_at))
        ).all()
        states = sorted(session.exec(select(IncomingEncounter.state)).all())
    assert kinds == ["hospital_admission", "hospital_discharge"]
    assert states == ["recorded", "waiting"]


def test_a_bad_csv_row_is_named_and_nothing_is_taken(hph, tmp_path) -> None:  # type: ignore[no-untyped-def]
    csv_file = tmp_path / "events.csv"
    csv_file.write_text(
        ",".join(COLUMNS) + "\nR-1,admission,2026-11-02 10:00,E-1\nR-1,visit,yesterday,E-3\n",
        encoding="utf-8",
    )
    result = hph("import", "events", str(csv_file), "--organisation", "orkland")
    assert result.exit_code != 0 and "Row 3" in result.output and "Traceback" not in result.output
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("reference,kind,at\n", encoding="utf-8")
    refused = hph("import", "events", str(wrong), "--organisation", "orkland")
    assert refused.exit_code != 0 and "local_reference,kind,at,external_id" in refused.output
    with Session(hph.engine) as session:
        assert session.exec(select(PathwayEvent)).all() == []


def test_a_bundle_file_is_imported_and_its_refusals_named(hph, tmp_path) -> None:  # type: ignore[no-untyped-def]
    stay = encounter(
        "B-1",
        "R-1",
        status="finished",
        start="2026-11-02T10:00:00+01:00",
        end="2026-11-04T10:00:00+01:00",
    )
    backwards = encounter(
        "B-2",
        "R-1",
        status="finished",
        start="2026-11-09T10:00:00+01:00",
        end="2026-11-08T10:00:00+01:00",
    )
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle(stay, backwards)), encoding="utf-8")
    result = hph("import", "events", str(path), "--organisation", "orkland")
    assert result.exit_code != 0
    assert "entry 1" in result.output and "before the admission" in result.output
    with Session(hph.engine) as session:
        assert session.exec(select(PathwayEvent.kind)).all() == ["hospital_discharge"]
