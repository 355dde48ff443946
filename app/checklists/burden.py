"""The burden of a checklist: per version and item, how often it is "not relevant", left empty
or always answered the same, and how long filling it takes, over a network's completed lists.

For coordinators and administrators deciding what to cut (HPH.md §1: keep every list short).
Counted in SQL per checklist, version and item; only the per-list durations come back row by
row, for the median.
"""

from __future__ import annotations

import json
from statistics import median

from pydantic import BaseModel
from sqlalchemy import String, case, cast, distinct, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.checklists.answer_rules import NOT_RELEVANT
from app.checklists.in_use import catalogue_in_use
from app.checklists.models import (
    ChecklistAnswer,
    ChecklistAnswerRevision,
    ChecklistInstance,
    InstanceStatus,
)
from app.core.config import get_settings
from app.core.deps import Forbidden
from app.core.i18n import _, current_language
from app.org.models import LearningNetwork, Organisation, Role, Team
from app.org.scope import Viewer

MIN_FOR_SAMENESS = 5  # fewer answers than this say nothing about an item that never differs
EMPTY_VALUES = ("null", '""', "[]")


class ItemBurden(BaseModel):
    """One item of one checklist version over the completed lists."""

    item_id: str
    label: str
    answered: int
    not_relevant_share: float | None
    empty_share: float | None
    distinct_answers: int
    never_differs: bool


class ChecklistBurden(BaseModel):
    """One checklist version: how many were completed, how long they took, and its items."""

    checklist_id: str
    version: int
    title: str
    completed: int
    median_hours_to_complete: float | None
    items: list[ItemBurden]


def _network_teams(session: Session, viewer: Viewer, network_id: int) -> list[int]:
    """The teams of a network the viewer may see counts of (coordinators and admins only)."""
    if not viewer.has_role(Role.coordinator.value, Role.admin.value):
        raise Forbidden(_("Only coordinators and administrators see the burden of checklists."))
    if session.get(LearningNetwork, network_id) is None:
        raise Forbidden(_("You cannot see this network."))
    team_ids = session.exec(
        select(Team.id)
        .join(Organisation, col(Organisation.id) == col(Team.organisation_id))
        .where(Organisation.network_id == network_id)
    ).all()
    visible = [int(t or 0) for t in team_ids if t in viewer.aggregate_team_ids]
    if not visible:
        raise Forbidden(_("You cannot see this network."))
    return visible


def checklist_burden(session: Session, *, viewer: Viewer, network_id: int) -> list[ChecklistBurden]:
    """Every checklist version completed in a network often enough to be shown (the
    suppression threshold: fewer lists could point at a patient), with its items' burden."""
    team_ids = _network_teams(session, viewer, network_id)
    threshold = get_settings().suppression_threshold
    ci = ChecklistInstance
    completed = (
        sa_select(
            col(ci.id), col(ci.definition_id), col(ci.definition_version), col(ci.recorded_at)
        )
        .where(col(ci.team_id).in_(team_ids))
        .where(col(ci.status) == InstanceStatus.completed.value)
        .where(col(ci.event_cancelled).is_(False))
        .subquery("done")
    )
    text = cast(ChecklistAnswer.value, String)
    answer_rows = session.execute(
        sa_select(
            completed.c.definition_id,
            completed.c.definition_version,
            col(ChecklistAnswer.item_id),
            func.count(),
            func.sum(case((text == json.dumps(NOT_RELEVANT), 1), else_=0)),
            func.count(distinct(text)),
        )
        .join(completed, completed.c.id == col(ChecklistAnswer.instance_id))
        .where(text.not_in(EMPTY_VALUES))
        .group_by(
            completed.c.definition_id, completed.c.definition_version, ChecklistAnswer.item_id
        )
    ).all()
    first_answer = (
        sa_select(
            completed.c.definition_id,
            completed.c.definition_version,
            completed.c.recorded_at,
            func.min(ChecklistAnswerRevision.answered_at),
        )
        .join(completed, completed.c.id == col(ChecklistAnswerRevision.instance_id))
        .group_by(
            completed.c.id,
            completed.c.definition_id,
            completed.c.definition_version,
            completed.c.recorded_at,
        )
    )
    hours: dict[tuple[str, int], list[float]] = {}
    for definition_id, version, recorded_at, first in session.execute(first_answer).all():
        if recorded_at is not None and first is not None:
            spent = (recorded_at - first).total_seconds() / 3600
            hours.setdefault((definition_id, version), []).append(max(spent, 0.0))
    counts = session.execute(
        sa_select(completed.c.definition_id, completed.c.definition_version, func.count())
        .group_by(completed.c.definition_id, completed.c.definition_version)
        .order_by(completed.c.definition_id, completed.c.definition_version)
    ).all()
    by_item = {(d, v, item): (n, nr, k) for d, v, item, n, nr, k in answer_rows}
    return [
        _burden(definition_id, int(version), int(total), by_item, hours)
        for definition_id, version, total in counts
        if total >= threshold
    ]


def _burden(
    definition_id: str,
    version: int,
    total: int,
    by_item: dict[tuple[str, int, str], tuple[int, int, int]],
    hours: dict[tuple[str, int], list[float]],
) -> ChecklistBurden:
    """One checklist version's burden from its counts."""
    language = current_language()
    try:
        definition = catalogue_in_use().get(definition_id, version)
        title = definition.title.get(language)
        labels = {item.id: item.label.get(language) for item in definition.items}
    except KeyError:
        title, labels = definition_id, {}
    extra = sorted(
        i for d, v, i in by_item if (d, v) == (definition_id, version) and i not in labels
    )
    items = []
    for item_id in [*labels, *extra]:
        answered, not_relevant, distinct_answers = by_item.get(
            (definition_id, version, item_id), (0, 0, 0)
        )
        items.append(
            ItemBurden(
                item_id=item_id,
                label=labels.get(item_id, item_id),
                answered=int(answered),
                not_relevant_share=int(not_relevant) / answered if answered else None,
                empty_share=1 - min(int(answered), total) / total if total else None,
                distinct_answers=int(distinct_answers),
                never_differs=int(answered) >= MIN_FOR_SAMENESS and int(distinct_answers) == 1,
            )
        )
    spent = hours.get((definition_id, version))
    return ChecklistBurden(
        checklist_id=definition_id,
        version=version,
        title=title,
        completed=total,
        median_hours_to_complete=round(median(spent), 1) if spent else None,
        items=items,
    )
