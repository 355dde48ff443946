"""The GP review summary: medicines as last answered, open follow-ups and what matters."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.checklists.forms import display_value
from app.checklists.service import get_checklist
from app.core.i18n import current_language
from app.goals.service import what_matters_summary
from app.goals.views import WhatMatters
from app.org.scope import Viewer
from app.pathways.events import get_pathway
from app.pathways.models import Pathway
from app.pathways.timeline import pathway_instances
from app.risks.service import FollowUpView, pathway_follow_ups

# The checklists whose answers about medicines the GP sees: every item of the medication
# reconciliation, and the medicine items of the first home visit (HPH 2).
MEDICATION_ITEMS: dict[str, tuple[str, ...] | None] = {
    "legemiddelsamstemming": None,
    "hph-2": ("medication_at_home", "many_medicines", "medication_review_requested"),
}
OPEN_STATUSES = {"open", "missed"}


@dataclass(frozen=True)
class MedicationAnswer:
    """One answered item about medicines, as a person reads it."""

    label: str
    value: str


@dataclass(frozen=True)
class MedicationSection:
    """The medicine answers of one checklist (the latest of its kind with answers)."""

    title: str
    instance_id: int
    answers: tuple[MedicationAnswer, ...]


@dataclass(frozen=True)
class GpSummary:
    """What the GP review needs on one page."""

    pathway: Pathway
    patient_id: int
    patient_label: str
    medication: tuple[MedicationSection, ...]
    follow_ups: tuple[FollowUpView, ...]
    what_matters: WhatMatters
    review_instance_id: int | None


def gp_summary(session: Session, *, viewer: Viewer, pathway_id: int) -> GpSummary:
    """The GP review summary of a pathway of the viewer's teams (each read audited)."""
    pathway, patient = get_pathway(session, viewer=viewer, pathway_id=pathway_id)
    instances = pathway_instances(session, pathway_id=pathway_id)
    language = current_language()
    sections: list[MedicationSection] = []
    for definition_id, item_ids in MEDICATION_ITEMS.items():
        for instance in reversed([i for i in instances if i.definition_id == definition_id]):
            view = get_checklist(session, viewer=viewer, instance_id=int(instance.id or 0))
            wanted = [
                item
                for item in view.definition.items
                if (item_ids is None or item.id in item_ids) and item.id in view.values
            ]
            if wanted:
                answers = tuple(
                    MedicationAnswer(
                        item.label.get(language), display_value(item, view.values[item.id])
                    )
                    for item in wanted
                )
                sections.append(
                    MedicationSection(
                        view.definition.title.get(language), int(instance.id or 0), answers
                    )
                )
                break
    follow_ups = pathway_follow_ups(session, viewer=viewer, pathway=pathway, patient=patient)
    review = [i for i in instances if i.definition_id == "hph-3"]
    return GpSummary(
        pathway=pathway,
        patient_id=int(patient.id or 0),
        patient_label=patient.label,
        medication=tuple(sections),
        follow_ups=tuple(v for v in follow_ups if v.status in OPEN_STATUSES),
        what_matters=what_matters_summary(session, viewer=viewer, pathway_id=pathway_id),
        review_instance_id=int(review[-1].id or 0) if review else None,
    )
