"""The CapabilityStatement lists exactly what the routes serve, and each search accepts exactly
the parameters it lists."""

from __future__ import annotations

from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from app.fhir.capability import SEARCH_PARAMS
from tests.fhir.helpers import fhir_get
from tests.foundation.test_route_access import all_routes
from tests.security.world import signed_in

SAMPLE = {"reference": "1", "date": "ge2026-01-01", "string": "a", "uri": "x", "number": "1"}
NAMED = {"measure": "Measure/hph-2-on-time", "subject": "Organization/team-1"}


def _statement(app) -> dict:  # type: ignore[no-untyped-def,type-arg]
    with signed_in(app, None) as anonymous:
        body = fhir_get(anonymous, "/fhir/R4/metadata")  # public, like any FHIR server's
    CapabilityStatement.model_validate(body)
    return body


def test_the_capability_statement_lists_exactly_what_the_routes_serve(app) -> None:  # type: ignore[no-untyped-def]
    statement = _statement(app)
    served: dict[str, set[str]] = {}
    operations: set[str] = set()
    for route in all_routes(app):
        parts = route.path.split("/")
        if not route.path.startswith("/fhir/R4/") or parts[3] in ("", "metadata"):
            continue  # the system level: the Encounter ingest's batch/transaction
        if parts[-1].startswith("$"):
            operations.add(f"{parts[3]}/{parts[-1]}")
            continue
        served.setdefault(parts[3], set()).add("read" if len(parts) == 5 else "search-type")
    rest = statement["rest"][0]
    listed = {r["type"]: r for r in rest["resource"]}
    assert set(listed) == set(served)
    for kind, resource in listed.items():
        assert {i["code"] for i in resource["interaction"]} == served[kind], kind
        names = {p["name"] for p in resource["searchParam"]}
        assert names == {*SEARCH_PARAMS[kind], "_count", "_offset"}, kind
    assert {
        f"{kind}/${op['name']}" for kind, r in listed.items() for op in r.get("operation", [])
    } == operations
    assert {i["code"] for i in rest["interaction"]} == {"batch", "transaction"}
    assert listed["QuestionnaireResponse"]["searchParam"][0]["name"] == "patient"
    assert {p["name"] for p in listed["MeasureReport"]["searchParam"]} >= {
        "measure",
        "period",
        "subject",
    }


def test_each_search_accepts_every_listed_parameter(nurse, app) -> None:  # type: ignore[no-untyped-def]
    for resource in _statement(app)["rest"][0]["resource"]:
        kind = resource["type"]
        for param in resource["searchParam"]:
            value = NAMED.get(param["name"]) or SAMPLE.get(param["type"], "")
            if param["type"] == "token":
                value = SEARCH_PARAMS[kind][param["name"]].codes[0]
            params = {param["name"]: value}
            if "patient" in SEARCH_PARAMS[kind]:
                params.setdefault("patient", "1")
            if kind == "MeasureReport":
                params.setdefault("measure", "hph-2-on-time")
            response = nurse.get(f"/fhir/R4/{kind}", params=params)
            assert response.status_code == 200, (kind, param["name"], response.text)
