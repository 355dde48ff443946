"""A `batch` or `transaction` Bundle of Encounters in, a `batch-response` or
`transaction-response` out, every problem an OperationOutcome naming its place (FHIRPath).

In a batch each entry stands alone (its own savepoint) and gets its own outcome; a transaction
is all or nothing: one refused entry rolls every entry back and the answer is one
OperationOutcome listing each problem.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import StatementError
from sqlmodel import Session

from app.core.i18n import _
from app.fhir.ingest import Received, receive
from app.fhir.ingest_encounters import EntryProblem, read_encounter
from app.fhir.ingest_source import Source

MAX_ENTRIES = 10_000
STATUS_TEXT = {
    200: "200 OK",
    201: "201 Created",
    202: "202 Accepted",
    400: "400 Bad Request",
    403: "403 Forbidden",
    409: "409 Conflict",
    422: "422 Unprocessable Entity",
}


class BundleProblem(Exception):
    """The request as a whole cannot be taken: its status and its issues (an OperationOutcome)."""

    def __init__(self, status: int, issues: list[dict[str, Any]]) -> None:
        super().__init__(issues[0].get("diagnostics", ""))
        self.status = status
        self.issues = issues


def issue(
    message: str, expression: str | None, *, code: str = "invalid", severity: str = "error"
) -> dict[str, Any]:
    """One OperationOutcome issue."""
    found: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": message}
    if expression:
        found["expression"] = [expression]
    return found


def outcome(*issues: dict[str, Any]) -> dict[str, Any]:
    """An OperationOutcome of these issues."""
    return {"resourceType": "OperationOutcome", "issue": list(issues)}


def read_bundle(body: bytes) -> tuple[str, list[Any]]:
    """The Bundle's type and entries, or a BundleProblem (400) saying what is wrong and where."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
        raise BundleProblem(
            400,
            [
                issue(
                    _("The body is not valid JSON: {detail}.").format(detail=detail),
                    "Bundle",
                    code="structure",
                )
            ],
        ) from exc
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        kind = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise BundleProblem(
            400,
            [
                issue(
                    _("Send a Bundle of type batch or transaction, not '{kind}'.").format(
                        kind=kind
                    ),
                    "Bundle.resourceType",
                    code="not-supported",
                )
            ],
        )
    kind = data.get("type")
    if kind not in ("batch", "transaction"):
        raise BundleProblem(
            400,
            [
                issue(
                    _("The Bundle's type must be batch or transaction, not '{kind}'.").format(
                        kind=kind
                    ),
                    "Bundle.type",
                    code="not-supported",
                )
            ],
        )
    entries = data.get("entry", [])
    if not isinstance(entries, list):
        raise BundleProblem(
            400, [issue(_("Bundle.entry must be a list."), "Bundle.entry", code="structure")]
        )
    if len(entries) > MAX_ENTRIES:
        raise BundleProblem(
            400,
            [
                issue(
                    _("A Bundle may hold at most {n} entries; send several.").format(n=MAX_ENTRIES),
                    "Bundle.entry",
                    code="too-costly",
                )
            ],
        )
    return str(kind), entries


def _entry(session: Session, source: Source, entry: Any, index: int, now: datetime) -> Received:
    """Check one entry's request and resource and take it."""
    where = f"Bundle.entry[{index}]"
    if not isinstance(entry, dict):
        raise EntryProblem(400, _("Each entry must be a JSON object."), where, "structure")
    request = entry.get("request")
    if request is not None:
        method = request.get("method") if isinstance(request, dict) else None
        if method not in ("POST", "PUT"):
            raise EntryProblem(
                400,
                _("Send each Encounter with request.method POST or PUT."),
                f"{where}.request.method",
                "not-supported",
            )
    encounter = read_encounter(entry.get("resource"), f"{where}.resource")
    return receive(session, source=source, encounter=encounter, now=now, where=f"{where}.resource")


@dataclass(frozen=True)
class EntryOutcome:
    """One entry's answer: its status and outcome, or its problem."""

    status: int
    issue: dict[str, Any]


def _answer(received: Received) -> EntryOutcome:
    """A taken entry's answer (a warning when it waits for a person)."""
    if received.status == 202:
        return EntryOutcome(
            202, issue(received.message, None, code="not-found", severity="warning")
        )
    return EntryOutcome(
        received.status, issue(received.message, None, code="informational", severity="information")
    )


def _refusal(problem: EntryProblem) -> EntryOutcome:
    """A refused entry's answer."""
    return EntryOutcome(problem.status, issue(str(problem), problem.expression, code=problem.code))


def import_bundle(
    session: Session,
    *,
    source: Source,
    body: bytes,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Take a Bundle of Encounters: the HTTP status and the response resource."""
    try:
        kind, entries = read_bundle(body)
    except BundleProblem as exc:
        return exc.status, outcome(*exc.issues)
    whole = session.begin_nested()
    answers: list[EntryOutcome] = []
    for index, entry in enumerate(entries):
        step = session.begin_nested()
        try:
            answers.append(_answer(_entry(session, source, entry, index, now)))
            step.commit()
        except EntryProblem as problem:
            step.rollback()
            answers.append(_refusal(problem))
        except (StatementError, OverflowError):
            # What the checks above let through but the database or the calendar refuses
            # (a date out of range, a value too large): this entry's problem, never a 500.
            step.rollback()
            unstorable = EntryProblem(
                422,
                _("The entry could not be stored as given; check its dates and values."),
                f"Bundle.entry[{index}].resource",
                "processing",
            )
            answers.append(_refusal(unstorable))
        if progress is not None:
            progress(index + 1, len(entries))
    refused = [a for a in answers if a.status >= 400]
    if kind == "transaction" and refused:
        whole.rollback()
        note = issue(
            _("The transaction was not applied: {n} of {total} entries were refused.").format(
                n=len(refused), total=len(entries)
            ),
            "Bundle",
            code="processing",
        )
        return refused[0].status, outcome(note, *(a.issue for a in refused))
    whole.commit()
    return 200, {
        "resourceType": "Bundle",
        "type": f"{kind}-response",
        "entry": [
            {"response": {"status": STATUS_TEXT[a.status], "outcome": outcome(a.issue)}}
            for a in answers
        ],
    }
