"""What the FHIR API supports, listed once: the routes check searches against it and the
CapabilityStatement (`/fhir/R4/metadata`) is written from it, so the two cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.fhir.outcome import BASE

DEFAULT_COUNT = 50
MAX_COUNT = 200
MAX_OFFSET = 1_000_000


@dataclass(frozen=True)
class Param:
    """One search parameter: its FHIR type, what it does, and the codes a token takes."""

    type: str
    documentation: str
    codes: tuple[str, ...] = ()
    repeats: int = 1


PATIENT = Param(
    "reference", "Required: Patient/<id> or <id>; a patient you may not see gives no matches."
)
LAST_UPDATED = Param(
    "date",
    "meta.lastUpdated with a prefix ge, gt, le, lt or eq (default); a date is a day in "
    "Europe/Oslo. Give it twice for a range.",
    repeats=2,
)


def _status(*codes: str) -> Param:
    return Param("token", "One or more of (comma-separated): " + ", ".join(codes), codes)


SEARCH_PARAMS: dict[str, dict[str, Param]] = {
    "Patient": {"name": Param("string", "The start of the label or of the local reference.")},
    "EpisodeOfCare": {
        "patient": PATIENT,
        "status": _status("active", "finished"),
        "_lastUpdated": LAST_UPDATED,
    },
    "Task": {
        "patient": PATIENT,
        "status": _status("ready", "in-progress", "completed", "cancelled", "failed"),
        "_lastUpdated": LAST_UPDATED,
    },
    "QuestionnaireResponse": {
        "patient": PATIENT,
        "status": _status("in-progress", "completed", "amended", "stopped"),
        "_lastUpdated": LAST_UPDATED,
    },
    "Goal": {
        "patient": PATIENT,
        "lifecycle-status": _status("active", "completed", "cancelled"),
        "_lastUpdated": LAST_UPDATED,
    },
    "Observation": {
        "patient": PATIENT,
        "status": _status("final"),
        "_lastUpdated": LAST_UPDATED,
    },
    "Questionnaire": {"url": Param("uri", "The canonical URL (without |version).")},
    "Measure": {},
    "MeasureReport": {
        "measure": Param("reference", "Required: Measure/<id>, <id> or the canonical URL."),
        "subject": Param(
            "reference",
            "Organization/team-<id> (a team), Organization/org-<id> (an organisation) or "
            "Organization/network-<id> (a learning network); without it, every unit you may "
            "see.",
        ),
        "period": Param(
            "date",
            "ge/gt: the report's period starts on or after (after) the day; le/lt: it ends on "
            "or before (before) the day; eq: the period holds the day. Give it twice for a "
            "range; without it, the chart's default span.",
            repeats=2,
        ),
    },
    "Organization": {},
}
RESULT_PARAMS: dict[str, Param] = {
    "_count": Param(
        "number", f"Entries per page: {DEFAULT_COUNT} unless given, at most {MAX_COUNT}."
    ),
    "_offset": Param("number", "Where a page starts; the Bundle's next/previous links set it."),
}
# Reports are computed per search; they have no stored identity to read back.
INTERACTIONS = {"MeasureReport": ("search-type",)}
OPERATIONS = {
    "EpisodeOfCare": [
        {
            "name": "gp-summary",
            "definition": f"{BASE}/OperationDefinition/EpisodeOfCare-gp-summary",
            "documentation": (
                "GET EpisodeOfCare/<id>/$gp-summary: a collection Bundle for the GP review "
                "(HPH 3): the patient, the pathway, the medication QuestionnaireResponses, the "
                "open follow-ups as Tasks and the patient's Goals."
            ),
        }
    ]
}


def capability_statement(published: str) -> dict[str, Any]:
    """Exactly what this server does: resources, interactions and search parameters."""
    resources = []
    for kind, params in SEARCH_PARAMS.items():
        resource: dict[str, Any] = {
            "type": kind,
            "interaction": [
                {"code": code} for code in INTERACTIONS.get(kind, ("read", "search-type"))
            ],
            "searchParam": [
                {"name": name, "type": param.type, "documentation": param.documentation}
                for name, param in {**params, **RESULT_PARAMS}.items()
            ],
        }
        if kind in OPERATIONS:
            resource["operation"] = OPERATIONS[kind]
        resources.append(resource)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": published,
        "kind": "instance",
        "software": {"name": "HPH Tracker", "version": "0.1.0"},
        "implementation": {"description": "HPH Tracker FHIR API"},
        "fhirVersion": "4.3.0",
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Reads and searches need a signed-in session (the `hph_session` cookie). "
                    "Patient data are limited to the teams you work in and every read is "
                    "written to the access log. Searches page by _count and _offset, in a "
                    "stable order, with the Bundle's total and self/next/previous links. "
                    "MeasureReports name their unit as an Organization (team-, org- or "
                    "network-<id>), with strata for the teams and organisations in it that you "
                    "may see; a count hidden as small has a data-absent-reason of 'masked'. "
                    "Hospital events come in as a batch or transaction Bundle of Encounters "
                    "posted to the base URL, from systems signed in with an API token."
                ),
                "security": {
                    "description": (
                        "Session cookie of a signed-in user; for the Encounter ingest, a "
                        "Bearer API token bound to one organisation."
                    )
                },
                "resource": resources,
                "interaction": [
                    {
                        "code": "batch",
                        "documentation": "Encounters (admissions, discharges, cancellations).",
                    },
                    {
                        "code": "transaction",
                        "documentation": "Encounters, all or nothing.",
                    },
                ],
            }
        ],
    }
