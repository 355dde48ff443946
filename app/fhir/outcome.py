"""FHIR answers: the `application/fhir+json` response, and every refusal as an OperationOutcome."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from app.core.i18n import _

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
    """A FHIR request that cannot be answered: its status and one sentence saying why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def is_fhir(request: Request) -> bool:
    """Whether a request is for the FHIR API (its errors are OperationOutcomes)."""
    return request.url.path.startswith(FHIR_PREFIX)


def operation_outcome(status: int, message: str) -> dict[str, Any]:
    """One error issue with its FHIR code and the sentence a person can act on."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": ISSUE_CODES.get(status, "processing"),
                "diagnostics": message,
            }
        ],
    }


def outcome_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> FhirResponse:
    """An OperationOutcome answered with its HTTP status."""
    extra = dict(headers or {})
    if status == 401:
        extra.setdefault("WWW-Authenticate", 'Cookie realm="hph-tracker"')
    return FhirResponse(operation_outcome(status, message), status_code=status, headers=extra)


async def fhir_problem_handler(_request: Request, exc: Exception) -> Response:
    """Answer a FhirProblem raised by a FHIR route."""
    status = exc.status if isinstance(exc, FhirProblem) else 500
    return outcome_response(status, str(exc))


def searchset(request: Request, resources: list[dict[str, Any]]) -> FhirResponse:
    """A search's matches as a `searchset` Bundle, each entry with its full URL."""
    base = str(request.base_url).rstrip("/") + "/fhir/R4"
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "link": [{"relation": "self", "url": str(request.url)}],
        "entry": [
            {
                "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in resources
        ],
    }
    return FhirResponse(bundle)


def search_params(*names: str):  # type: ignore[no-untyped-def]
    """A dependency refusing (400) a search parameter the type does not support."""
    allowed = {*names, "_format"}

    def _check(request: Request) -> None:
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            supported = ", ".join(sorted(names)) or "none"
            raise FhirProblem(
                400,
                _("Unknown search parameter '{name}'; supported here: {supported}.").format(
                    name=unknown[0], supported=supported
                ),
            )

    return _check
