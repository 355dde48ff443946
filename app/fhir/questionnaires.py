"""Checklist definitions as FHIR Questionnaires: items keep their ids as `linkId`, `show_if`
becomes `enableWhen`, and a local variant is its own Questionnaire derived from the core one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.checklists.catalogue import ChecklistDefinition, ChecklistItem, LocalisedText, ShowIf
from app.checklists.in_use import catalogue_in_use
from app.fhir.outcome import BASE

ANSWER_SYSTEM = f"{BASE}/CodeSystem/checklist-answer"
YES_NO_CODES = {
    "yes": ("Ja", "Yes"),
    "no": ("Nei", "No"),
    "not_relevant": ("Ikke aktuelt", "Not relevant"),
}
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"


@dataclass(frozen=True)
class QuestionnaireEntry:
    """One Questionnaire the catalogue offers: a checklist version or a local variant."""

    resource_id: str
    url: str
    version: str
    definition: ChecklistDefinition
    derived_from: str | None = None
    organisation: str | None = None

    @property
    def canonical(self) -> str:
        """The canonical reference with its version, as QuestionnaireResponse names it."""
        return f"{self.url}|{self.version}"


def questionnaire_url(checklist_or_variant: str) -> str:
    """The canonical URL of a checklist (or a local variant) as a Questionnaire."""
    return f"{BASE}/Questionnaire/{checklist_or_variant}"


def questionnaire_entries() -> dict[str, QuestionnaireEntry]:
    """Every checklist version and every local variant, by Questionnaire id."""
    catalogue = catalogue_in_use()
    entries: dict[str, QuestionnaireEntry] = {}
    for current in catalogue.all():
        for version in catalogue.versions(current.id):
            definition = catalogue.get(current.id, version)
            entry = QuestionnaireEntry(
                resource_id=f"{current.id}-v{version}",
                url=questionnaire_url(current.id),
                version=str(version),
                definition=definition,
            )
            entries[entry.resource_id] = entry
    for overlay in catalogue.variants():
        entry = QuestionnaireEntry(
            resource_id=f"{overlay.variant}-v{overlay.base_version}",
            url=questionnaire_url(overlay.variant),
            version=str(overlay.base_version),
            definition=catalogue.resolve(overlay.base, overlay.base_version, overlay.variant),
            derived_from=f"{questionnaire_url(overlay.base)}|{overlay.base_version}",
            organisation=overlay.organisation,
        )
        entries[entry.resource_id] = entry
    return entries


def entry_for_instance(
    definition_id: str, version: int, variant: str | None
) -> QuestionnaireEntry | None:
    """The Questionnaire a checklist instance was filled on."""
    resource_id = f"{variant or definition_id}-v{version}"
    return questionnaire_entries().get(resource_id)


def _text(text: LocalisedText) -> tuple[str, dict[str, Any]]:
    """A text in bokmål with its English translation as a primitive extension."""
    translation = {
        "url": TRANSLATION,
        "extension": [
            {"url": "lang", "valueCode": "en"},
            {"url": "content", "valueString": text.en},
        ],
    }
    return text.nb, {"extension": [translation]}


def yes_no_coding(code: str) -> dict[str, Any]:
    """The coding of a yes / no / not relevant answer."""
    return {"system": ANSWER_SYSTEM, "code": code, "display": YES_NO_CODES[code][0]}


def option_coding(item: ChecklistItem, code: str) -> dict[str, Any]:
    """The coding of one option of a choice item (or 'not relevant')."""
    for option in item.options or []:
        if option.id == code:
            return {"system": ANSWER_SYSTEM, "code": code, "display": option.label.nb}
    return yes_no_coding(code) if code in YES_NO_CODES else {"system": ANSWER_SYSTEM, "code": code}


def item_type(item: ChecklistItem) -> str:
    """The FHIR item type of a checklist item."""
    if item.type in ("yes_no", "single_choice", "multiple_choice"):
        return "choice"
    if item.type == "number":
        return "decimal" if item.allowed_decimals else "integer"
    if item.type == "date":
        return "date"
    return "text"


def _answer_value(target: ChecklistItem, value: Any) -> dict[str, Any]:
    """The `answer[x]` of an enableWhen that compares with one value of the target item."""
    if target.type == "yes_no":
        return {"answerCoding": yes_no_coding(str(value))}
    if target.type in ("single_choice", "multiple_choice"):
        return {"answerCoding": option_coding(target, str(value))}
    if target.type == "number":
        key = "answerDecimal" if target.allowed_decimals else "answerInteger"
        return {key: value}
    return {"answerString": str(value)}


def enable_when(condition: ShowIf, target: ChecklistItem) -> list[dict[str, Any]]:
    """The enableWhen conditions of a show_if (several for `in`: any of them enables)."""
    if condition.answered:
        return [{"question": target.id, "operator": "exists", "answerBoolean": True}]
    return [
        {"question": target.id, "operator": "=", **_answer_value(target, value)}
        for value in condition.expected_values()
    ]


def _item(item: ChecklistItem, earlier: dict[str, ChecklistItem]) -> dict[str, Any]:
    """One checklist item as a Questionnaire item."""
    text, text_ext = _text(item.label)
    result: dict[str, Any] = {
        "linkId": item.id,
        "text": text,
        "_text": text_ext,
        "type": item_type(item),
        "required": item.required,
    }
    if item.type == "yes_no":
        result["answerOption"] = [{"valueCoding": yes_no_coding(c)} for c in YES_NO_CODES]
    elif item.type in ("single_choice", "multiple_choice"):
        result["answerOption"] = [
            {"valueCoding": option_coding(item, option.id)} for option in item.options or []
        ]
        result["repeats"] = item.type == "multiple_choice"
    elif item.type == "text":
        result["maxLength"] = item.text_limit
    elif item.type == "number":
        key = "valueDecimal" if item.allowed_decimals else "valueInteger"
        extensions: list[dict[str, Any]] = [
            {"url": MIN_VALUE, key: item.min},
            {"url": MAX_VALUE, key: item.max},
        ]
        if item.unit:
            extensions.append({"url": UNIT, "valueCoding": {"display": item.unit}})
        result["extension"] = extensions
    if item.show_if is not None:
        conditions = enable_when(item.show_if, earlier[item.show_if.item])
        result["enableWhen"] = conditions
        if len(conditions) > 1:
            result["enableBehavior"] = "any"
    return result


def questionnaire(entry: QuestionnaireEntry) -> dict[str, Any]:
    """A checklist version (or a local variant) as a FHIR Questionnaire."""
    definition = entry.definition
    title, title_ext = _text(definition.title)
    earlier: dict[str, ChecklistItem] = {}
    items = []
    for item in definition.items:
        items.append(_item(item, earlier))
        earlier.setdefault(item.id, item)
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": entry.resource_id,
        "language": "nb",
        "url": entry.url,
        "version": entry.version,
        "name": "".join(part.capitalize() for part in entry.resource_id.split("-")),
        "title": title,
        "_title": title_ext,
        "status": "active",
        "subjectType": ["Patient"],
        "description": definition.description.nb,
        "item": items,
    }
    if entry.derived_from:
        resource["derivedFrom"] = [entry.derived_from]
    return resource
