"""FHIR answers: the `application/fhir+json` response, and every refusal as an OperationOutcome."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response

FHIR_JSON = "application/fhir+json"
FHIR_PREFIX = "/fhir/"
BASE = "https://hph-tracker.no/fhir"

# The issue code FHIR expects for each status an error is answered with.
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    422: "invalid",
    500: "exception",
}


class FhirResponse(Response):
    """A FHIR resource as JSON, with the FHIR media type."""

    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        """Serialise the resource compactly, keeping non-ASCII letters (æøå) as they are."""
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class FhirProblem(Exception):
    """A FHIR request that cannot be answered: its status, one sentence why, and where."""

    def __init__(self, status: int, message: str, location: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.location = location


def is_fhir(request: Request) -> bool:
    """Whether a request is for the FHIR API (its errors are OperationOutcomes)."""
    return request.url.path.startswith(FHIR_PREFIX)


def operation_outcome(status: int, message: str, location: str | None = None) -> dict[str, Any]:
    """One error issue with its FHIR code, the sentence a person can act on, and where.

    A search parameter's location is ``http.<name>``, as the FHIR specification asks.
    """
    issue: dict[str, Any] = {
        "severity": "error",
        "code": ISSUE_CODES.get(status, "processing"),
        "diagnostics": message,
    }
    if location:
        issue["location"] = [location]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def outcome_response(
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
    location: str | None = None,
) -> FhirResponse:
    """An OperationOutcome answered with its HTTP status."""
    extra = dict(headers or {})
    if status == 401:
        extra.setdefault("WWW-Authenticate", 'Cookie realm="hph-tracker"')
    body = operation_outcome(status, message, location)
    return FhirResponse(body, status_code=status, headers=extra)


async def fhir_problem_handler(_request: Request, exc: Exception) -> Response:
    """Answer a FhirProblem raised by a FHIR route."""
    if isinstance(exc, FhirProblem):
        return outcome_response(exc.status, str(exc), location=exc.location)
    return outcome_response(500, str(exc))
