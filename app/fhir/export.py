"""The FHIR bulk export: NDJSON files per resource type and a manifest, as Bulk Data `$export`
writes them, with every exported patient written to the access log."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import insert
from sqlmodel import Session

from app.admin.changes import COMMAND_LINE
from app.audit.models import AuditAction, AuditEntry
from app.audit.service import record
from app.core.db import utcnow
from app.fhir.bulk import STREAMS, prepare
from app.fhir.outcome import BASE
from app.org.models import Team

EXPORT_TYPES = tuple(STREAMS)
AUDIT_WHAT = "FHIR bulk export"
Progress = Callable[[str, int], None]


@dataclass
class ExportResult:
    """What an export wrote: resources per type, and the manifest."""

    counts: dict[str, int] = field(default_factory=dict)
    patients: int = 0
    manifest: dict[str, Any] = field(default_factory=dict)


def _line(resource: dict[str, Any]) -> str:
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n"


def _audit_patients(session: Session, patient_ids: set[int], detail: str, by: str) -> None:
    """One `export` entry per patient whose data left (in one insert per team)."""
    if not patient_ids:
        return
    now = utcnow()
    session.execute(
        insert(AuditEntry),
        [
            {
                "at": now,
                "user_email": by,
                "patient_id": patient_id,
                "action": AuditAction.export.value,
                "what": AUDIT_WHAT,
                "detail": detail[:1000],
            }
            for patient_id in sorted(patient_ids)
        ],
    )


def export_fhir(
    session: Session,
    *,
    teams: Sequence[Team],
    directory: Path,
    since: datetime | None = None,
    types: Sequence[str] = EXPORT_TYPES,
    progress: Progress | None = None,
    by: str = COMMAND_LINE,
) -> ExportResult:
    """Write the teams' resources as ``<Type>.ndjson`` files and ``manifest.json``; audited.

    Files are written a team at a time, each type streamed in id order (``bulk``); the
    patients a team's files hold are audited when the team is done, so memory stays bounded
    by one team's patient ids, never by the export.
    """
    directory.mkdir(parents=True, exist_ok=True)
    prepare(session)
    started = utcnow()
    result = ExportResult(counts=dict.fromkeys(types, 0))
    files: dict[str, IO[str]] = {
        kind: (directory / f"{kind}.ndjson").open("w", encoding="utf-8", buffering=1 << 20)
        for kind in types
    }
    try:
        for team in teams:
            exported: set[int] = set()
            for kind in types:
                out = files[kind]
                written = 0
                for patient_id, resource in STREAMS[kind](
                    session, team_id=int(team.id or 0), since=since
                ):
                    out.write(_line(resource))
                    if patient_id:
                        exported.add(patient_id)
                    written += 1
                    if progress is not None and written % 1000 == 0:
                        progress(kind, 1000)
                if progress is not None:
                    progress(kind, written % 1000)
                result.counts[kind] += written
            detail = f"team {team.slug}; since {since.isoformat() if since else '-'}"
            _audit_patients(session, exported, f"{detail}; {', '.join(types)}", by)
            result.patients += len(exported)
    finally:
        for out in files.values():
            out.close()
    result.manifest = {
        "transactionTime": started.isoformat(),
        "request": f"{BASE}/R4/$export"
        + (f"?_since={since.isoformat()}" if since else "")
        + f"{'&' if since else '?'}_type={','.join(types)}",
        "requiresAccessToken": False,
        "output": [
            {"type": kind, "url": f"{kind}.ndjson", "count": result.counts[kind]} for kind in types
        ],
        "error": [],
        "extension": {"teams": [team.slug for team in teams]},
    }
    (directory / "manifest.json").write_text(
        json.dumps(result.manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    record(
        session,
        viewer=None,
        user_email=by,
        action=AuditAction.export,
        what=AUDIT_WHAT,
        detail=(
            f"teams {', '.join(t.slug for t in teams)}; since {since or '-'}; to {directory}; "
            + ", ".join(f"{kind} {n}" for kind, n in result.counts.items())
        ),
    )
    return result
