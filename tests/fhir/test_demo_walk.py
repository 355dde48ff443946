"""Every resource type of the seeded demo, searched as an allowed user page by page, parses
with the pinned fhir.resources models; the references between them resolve."""

from __future__ import annotations

from typing import Any

from tests.fhir.conftest import demo_client
from tests.fhir.helpers import walk

PATIENT_TYPES = ("EpisodeOfCare", "Task", "QuestionnaireResponse", "Goal", "Observation")


def _items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every item of a Questionnaire or response, nested ones too, in order."""
    found = []
    for item in items:
        found.append(item)
        found += _items(item.get("item", []))
    return found


def test_every_resource_of_the_demo_parses_page_by_page(demo_app) -> None:  # type: ignore[no-untyped-def]
    nurse = demo_client(demo_app, "sykepleier@demo.no")
    seen: dict[str, int] = {}
    questionnaires = walk(nurse, "/fhir/R4/Questionnaire", _count="4")
    items_of: dict[str, set[str]] = {}
    for questionnaire in questionnaires:
        earlier: set[str] = set()
        for item in _items(questionnaire["item"]):
            for condition in item.get("enableWhen", []):
                assert condition["question"] in earlier, (questionnaire["id"], item["linkId"])
            earlier.add(item["linkId"])
        items_of[f"{questionnaire['url']}|{questionnaire['version']}"] = earlier
        items_of[f"Questionnaire/{questionnaire['id']}"] = earlier
    seen["Questionnaire"] = len(questionnaires)
    seen["Measure"] = len(walk(nurse, "/fhir/R4/Measure", _count="5"))
    seen["Organization"] = len(walk(nurse, "/fhir/R4/Organization", _count="1"))
    reports = walk(nurse, "/fhir/R4/MeasureReport", measure="hph-2-on-time", _count="20")
    seen["MeasureReport"] = len(reports)
    patients = walk(nurse, "/fhir/R4/Patient", _count="7")
    seen["Patient"] = len(patients)
    for patient in patients:
        for kind in PATIENT_TYPES:
            found = walk(nurse, f"/fhir/R4/{kind}", patient=f"Patient/{patient['id']}", _count="6")
            seen[kind] = seen.get(kind, 0) + len(found)
            for resource in found:
                subject = resource.get("subject") or resource.get("for") or resource["patient"]
                assert subject["reference"] == f"Patient/{patient['id']}"
                if kind == "Task":
                    assert resource["focus"]["reference"] in items_of
                if kind == "QuestionnaireResponse":
                    known = items_of[resource["questionnaire"]]
                    assert {i["linkId"] for i in _items(resource.get("item", []))} <= known
    assert all(seen.get(kind) for kind in (*PATIENT_TYPES, "Patient", "MeasureReport")), seen
