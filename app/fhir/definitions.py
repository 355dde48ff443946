"""Resources without patient data: measures, organisations and teams, and what the API offers."""

from __future__ import annotations

from typing import Any

from app.fhir.outcome import BASE
from app.measures.catalogue import MeasureDefinition
from app.org.models import Organisation, Team

ORG_NUMBER_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.101"
MUNICIPALITY_SYSTEM = "urn:oid:2.16.578.1.12.4.1.1.3402"
POPULATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-population"
SCORING_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-scoring"
IMPROVEMENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-improvement-notation"
ORG_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/organization-type"
SCORING = {"proportion": "proportion", "count": "cohort", "mean": "continuous-variable"}
POPULATIONS = {
    "proportion": ("initial-population", "denominator", "numerator"),
    "count": ("initial-population",),
    "mean": ("initial-population", "measure-population", "measure-observation"),
}


def organisation_id(organisation_pk: int) -> str:
    """The FHIR id of an organisation (municipality or hospital)."""
    return f"org-{organisation_pk}"


def team_id(team_pk: int) -> str:
    """The FHIR id of a team, an Organization part of its organisation."""
    return f"team-{team_pk}"


def team_reference(team_pk: int, name: str | None = None) -> dict[str, Any]:
    """A reference to a team's Organization."""
    reference: dict[str, Any] = {"reference": f"Organization/{team_id(team_pk)}"}
    if name:
        reference["display"] = name
    return reference


def organisation_resource(organisation: Organisation) -> dict[str, Any]:
    """An organisation with its Norwegian organisation and municipality numbers."""
    identifiers = []
    if organisation.org_number:
        identifiers.append({"system": ORG_NUMBER_SYSTEM, "value": organisation.org_number})
    if organisation.municipality_number:
        identifiers.append(
            {"system": MUNICIPALITY_SYSTEM, "value": organisation.municipality_number}
        )
    kind = "prov" if organisation.kind == "hospital" else "govt"
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": organisation_id(int(organisation.id or 0)),
        "active": True,
        "type": [
            {"coding": [{"system": ORG_TYPE_SYSTEM, "code": kind}], "text": organisation.kind}
        ],
        "name": organisation.name,
    }
    if identifiers:
        resource["identifier"] = identifiers
    return resource


def team_resource(team: Team) -> dict[str, Any]:
    """A team (home-care unit or ward) as an Organization part of its organisation."""
    return {
        "resourceType": "Organization",
        "id": team_id(int(team.id or 0)),
        "active": True,
        "type": [{"coding": [{"system": ORG_TYPE_SYSTEM, "code": "team"}], "text": "team"}],
        "name": team.name,
        "partOf": {"reference": f"Organization/{organisation_id(team.organisation_id)}"},
    }


def measure_resource(measure: MeasureDefinition) -> dict[str, Any]:
    """A catalogue measure: its scoring, direction of improvement and populations."""
    populations = [
        {
            "code": {"coding": [{"system": POPULATION_SYSTEM, "code": code}]},
            "criteria": {
                "language": "text/plain",
                "expression": f"{measure.id}: {code} as counted by the HPH Tracker engine",
            },
        }
        for code in POPULATIONS[measure.type]
    ]
    resource: dict[str, Any] = {
        "resourceType": "Measure",
        "id": measure.id,
        "url": f"{BASE}/Measure/{measure.id}",
        "name": "".join(part.capitalize() for part in measure.id.split("-")),
        "title": measure.title.nb,
        "status": "active",
        "description": measure.description.nb,
        "scoring": {"coding": [{"system": SCORING_SYSTEM, "code": SCORING[measure.type]}]},
        "improvementNotation": {
            "coding": [
                {
                    "system": IMPROVEMENT_SYSTEM,
                    "code": "increase" if measure.direction == "up" else "decrease",
                }
            ]
        },
        "group": [{"population": populations}],
    }
    if measure.type == "proportion":
        resource["scoring"]["text"] = "per cent"
    return resource


# What the API supports, listed once: the CapabilityStatement and the routes agree on it.
SEARCH_PARAMS: dict[str, dict[str, str]] = {
    "Patient": {"name": "string"},
    "EpisodeOfCare": {"patient": "reference"},
    "Task": {"patient": "reference"},
    "QuestionnaireResponse": {"patient": "reference", "_lastUpdated": "date"},
    "Goal": {"patient": "reference"},
    "Observation": {"patient": "reference"},
    "Questionnaire": {"url": "uri"},
    "Measure": {},
    "MeasureReport": {"measure": "reference", "subject": "reference"},
    "Organization": {},
}


# Reports are computed per search; they have no stored identity to read back.
INTERACTIONS = {"MeasureReport": ("search-type",)}


def capability_statement(published: str) -> dict[str, Any]:
    """Exactly what this server does: read and search-type, with these search parameters."""
    resources = [
        {
            "type": kind,
            "interaction": [
                {"code": code} for code in INTERACTIONS.get(kind, ("read", "search-type"))
            ],
            "searchParam": [
                {"name": name, "type": kind_of_param} for name, kind_of_param in params.items()
            ],
        }
        for kind, params in SEARCH_PARAMS.items()
    ]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": published,
        "kind": "instance",
        "software": {"name": "HPH Tracker", "version": "0.1.0"},
        "implementation": {"description": "HPH Tracker FHIR read API"},
        "fhirVersion": "4.3.0",
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read-only. Sign in first: the session cookie `hph_session` authenticates "
                    "every request; API tokens for systems come later. Patient data are limited "
                    "to the teams you work in, and every read is written to the access log."
                ),
                "security": {"description": "Session cookie of a signed-in user."},
                "resource": resources,
            }
        ],
    }
