"""Resources without patient data: measures, organisations and teams, and what the API offers."""

from __future__ import annotations

from typing import Any

from app.fhir.outcome import BASE
from app.measures.catalogue import MeasureDefinition
from app.org.models import LearningNetwork, Organisation, Team

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


def network_id(network_pk: int) -> str:
    """The FHIR id of a learning network, an Organization its organisations belong to."""
    return f"network-{network_pk}"


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
        "partOf": {"reference": f"Organization/{network_id(organisation.network_id)}"},
    }
    if identifiers:
        resource["identifier"] = identifiers
    return resource


def network_resource(network: LearningNetwork) -> dict[str, Any]:
    """A learning network: the organisations that compare their measures in it."""
    return {
        "resourceType": "Organization",
        "id": network_id(int(network.id or 0)),
        "active": True,
        "type": [{"coding": [{"system": ORG_TYPE_SYSTEM, "code": "other"}], "text": "network"}],
        "name": network.name,
    }


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
