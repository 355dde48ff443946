"""The FHIR bulk export: NDJSON per type in the Bulk Data layout, the API's resources exactly,
audited per patient, `--since` honoured, and the `hph export fhir` command around it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from app.audit.models import AuditEntry
from app.cli import app as cli
from app.core.config import get_settings
from app.fhir.export import AUDIT_WHAT, EXPORT_TYPES, export_fhir
from app.org.models import Team
from app.pathways.models import Patient
from tests.fhir.conftest import demo_client
from tests.fhir.helpers import fhir_get

TEAM = "trondheim-midtbyen"


def _lines(directory: Path, kind: str) -> list[dict]:  # type: ignore[type-arg]
    """Every resource of one file, each parsed with the fhir.resources model of its type."""
    found = []
    for line in (directory / f"{kind}.ndjson").read_text(encoding="utf-8").splitlines():
        resource = json.loads(line)
        assert resource["resourceType"] == kind
        get_fhir_model_class(kind).model_validate(resource)
        found.append(resource)
    return found


def test_the_export_writes_what_the_api_shows_and_audits_each_patient(
    demo_app, demo_db: Session, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    team = demo_db.exec(select(Team).where(Team.slug == TEAM)).one()
    result = export_fhir(demo_db, teams=[team], directory=tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [o["type"] for o in manifest["output"]] == list(EXPORT_TYPES)
    assert {o["url"] for o in manifest["output"]} == {f"{k}.ndjson" for k in EXPORT_TYPES}
    exported = {kind: _lines(tmp_path, kind) for kind in EXPORT_TYPES}
    for output in manifest["output"]:
        assert output["count"] == len(exported[output["type"]]) == result.counts[output["type"]]
    patient_ids = set(demo_db.exec(select(Patient.id).where(Patient.team_id == team.id)).all())
    assert {int(p["id"]) for p in exported["Patient"]} == patient_ids
    for kind in ("Task", "QuestionnaireResponse", "Observation"):
        ids = [int(r["id"]) for r in exported[kind]]
        assert exported[kind] and ids == sorted(ids), kind  # streamed in id order
    nurse = demo_client(demo_app, "sykepleier@demo.no")
    for kind in ("Patient", "EpisodeOfCare", "Task", "QuestionnaireResponse", "Goal"):
        for resource in exported[kind][:3] + exported[kind][-2:]:
            assert fhir_get(nurse, f"/fhir/R4/{kind}/{resource['id']}") == resource, kind
    patient = exported["Patient"][0]["id"]
    for kind in ("QuestionnaireResponse", "Observation"):
        api = fhir_get(nurse, f"/fhir/R4/{kind}", patient=patient, _count="200")
        mine = [r for r in exported[kind] if r["subject"]["reference"] == f"Patient/{patient}"]
        assert sorted(e["resource"]["id"] for e in api.get("entry", [])) == sorted(
            r["id"] for r in mine
        ), kind
    entries = demo_db.exec(select(AuditEntry).where(col(AuditEntry.what) == AUDIT_WHAT)).all()
    assert {e.patient_id for e in entries if e.patient_id} == patient_ids
    assert {e.action for e in entries} == {"export"} and len(entries) == len(patient_ids) + 1
    assert result.patients == len(patient_ids)


def test_since_exports_only_what_changed(demo_db: Session, tmp_path: Path) -> None:
    team = demo_db.exec(select(Team).where(Team.slug == TEAM)).one()
    later = datetime(2030, 1, 1, tzinfo=UTC)
    result = export_fhir(demo_db, teams=[team], directory=tmp_path, since=later)
    assert result.counts == {k: (3 if k == "Organization" else 0) for k in EXPORT_TYPES}
    assert result.patients == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert "_since=2030-01-01" in manifest["request"]
    cut = datetime(2026, 1, 1, tzinfo=UTC)
    recent = export_fhir(
        demo_db, teams=[team], directory=tmp_path / "recent", since=cut, types=["Task"]
    )
    tasks = _lines(tmp_path / "recent", "Task")
    assert 0 < recent.counts["Task"] == len(tasks)
    assert all(t["meta"]["lastUpdated"] >= "2026-01-01" for t in tasks)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "--team"),
        (["--team", "no-such-team"], "no-such-team"),
        (["--team", TEAM, "--since", "yesterday"], "--since"),
        (["--team", TEAM, "--type", "Encounter"], "Encounter"),
    ],
)
def test_the_command_refuses_bad_options_in_one_sentence(
    demo_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, arguments, message
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HPH_DATABASE_URL", demo_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    outcome = CliRunner().invoke(cli, ["export", "fhir", *arguments, str(tmp_path)])
    get_settings.cache_clear()
    assert outcome.exit_code == 1
    assert message in outcome.output and "Traceback" not in outcome.output


def test_the_command_writes_the_files_with_a_progress_bar(
    demo_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HPH_DATABASE_URL", demo_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    outcome = CliRunner().invoke(
        cli,
        ["export", "fhir", "--team", TEAM, "--type", "Patient", "--type", "Goal", str(tmp_path)],
    )
    get_settings.cache_clear()
    assert outcome.exit_code == 0, outcome.output
    assert "Patient.ndjson" in outcome.output and "audited" in outcome.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "Goal.ndjson",
        "Patient.ndjson",
        "manifest.json",
    ]
    assert _lines(tmp_path, "Patient") and _lines(tmp_path, "Goal")
