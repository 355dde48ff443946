"""Checklists as Questionnaires: stable linkIds, options, required, enableWhen from show_if."""

from __future__ import annotations

from fhir.resources.R4B.measure import Measure
from fhir.resources.R4B.questionnaire import Questionnaire

from app.checklists.in_use import catalogue_in_use
from app.fhir.definitions import measure_resource
from app.fhir.questionnaires import questionnaire, questionnaire_entries, questionnaire_url
from app.measures.catalogue import measures_in_use


def test_every_checklist_version_and_variant_is_a_valid_questionnaire() -> None:
    entries = questionnaire_entries()
    catalogue = catalogue_in_use()
    assert {f"{d.id}-v{d.version}" for d in catalogue.all()} <= set(entries)
    assert {f"{o.variant}-v{o.base_version}" for o in catalogue.variants()} <= set(entries)
    for entry in entries.values():
        resource = questionnaire(entry)
        Questionnaire.model_validate(resource)
        assert [i["linkId"] for i in resource["item"]] == [i.id for i in entry.definition.items]
        assert [i["required"] for i in resource["item"]] == [
            i.required for i in entry.definition.items
        ]


def test_enable_when_matches_show_if() -> None:
    entry = questionnaire_entries()["hph-2-v1"]
    items = {i["linkId"]: i for i in questionnaire(entry)["item"]}
    conditioned = [i for i in entry.definition.items if i.show_if is not None]
    assert conditioned, "hph-2 has conditional items"
    for item in conditioned:
        assert item.show_if is not None
        conditions = items[item.id]["enableWhen"]
        assert [c["question"] for c in conditions] == [item.show_if.item] * len(conditions)
        if item.show_if.answered:
            assert conditions == [
                {"question": item.show_if.item, "operator": "exists", "answerBoolean": True}
            ]
        else:
            codes = [c.get("answerCoding", {}).get("code") for c in conditions]
            assert codes == [str(v) for v in item.show_if.expected_values()]
    assert "enableWhen" not in items[entry.definition.items[0].id]
    falls = items["falls_assessment_started"]["enableWhen"]
    assert falls[0]["operator"] == "=" and falls[0]["answerCoding"]["code"] == "yes"


def test_a_local_variant_is_derived_from_its_core_questionnaire() -> None:
    entry = questionnaire_entries()["molde-utskrivning-v1"]
    resource = questionnaire(entry)
    assert resource["url"] == questionnaire_url("molde-utskrivning")
    assert resource["derivedFrom"] == [f"{questionnaire_url('hph-1')}|1"]
    assert "next_of_kin_informed" in [i["linkId"] for i in resource["item"]]


def test_choice_items_list_their_options() -> None:
    resource = questionnaire(questionnaire_entries()["hph-1-v1"])
    yes_no = next(i for i in resource["item"] if i["linkId"] == "medication_list_received")
    assert [o["valueCoding"]["code"] for o in yes_no["answerOption"]] == [
        "yes",
        "no",
        "not_relevant",
    ]
    participants = next(i for i in resource["item"] if i["linkId"] == "call_participants")
    assert participants["repeats"] is True
    assert [o["valueCoding"]["code"] for o in participants["answerOption"]][:2] == [
        "patient",
        "next_of_kin",
    ]


def test_every_measure_is_a_valid_measure() -> None:
    for measure in measures_in_use().all():
        resource = measure_resource(measure)
        Measure.model_validate(resource)
        assert resource["url"].endswith(f"/Measure/{measure.id}")
