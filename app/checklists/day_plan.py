"""The nurse's day: open checklists grouped by patient, the nurse's own or the whole team's.

"Mine" are the patients whose current pathway the nurse has worked on: she recorded one of
its events (a discharge, the start of home care, a visit), completed one of its checklists, or
started (answered part of) one of the open checklists on the list. A patient she registered
counts from the first event she records. Nothing has to be assigned, and a new colleague's list
fills as she works; "whole team" is one tap away.

The list is paged by patient (most urgent first), one card per patient with what matters to
them, so that the page stays small whatever the size of the team. The counts are read from
one covering index (team, status, due date, window, pathway); the nurse's own pathways from
indexes on who recorded or completed, probed once per pathway on the list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, exists, func, literal
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.checklists.models import ChecklistAnswer, ChecklistInstance, InstanceStatus
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.deps import Forbidden
from app.core.i18n import _
from app.goals.models import Goal, GoalStatus, WhatMattersConversation
from app.org.scope import Viewer
from app.pathways.models import Pathway, PathwayEvent, Patient

UPCOMING_DAYS = 7
OVERDUE_DAYS = 14
PAGE_SIZE = 15
WHO = ("mine", "team")
WHEN = ("all", "overdue", "today", "week")
SORTS = ("due", "patient")
OPEN = (InstanceStatus.due.value, InstanceStatus.in_progress.value)
WORDS_SHOWN = 160


@dataclass(frozen=True)
class WorkItem:
    """One open checklist on the nurse's list."""

    instance_id: int
    definition_id: str
    status: str
    window_start: datetime
    window_end: datetime
    due_date: date
    patient_id: int
    patient_label: str
    when: str
    days_overdue: int


@dataclass(frozen=True)
class PatientWork:
    """One patient's card: what matters to them, then their open checklists."""

    patient_id: int
    patient_label: str
    pathway_id: int
    items: list[WorkItem]
    words: str | None = None
    asked: bool = False
    goals: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MyDay:
    """One page of the nurse's list, with the counts of all of it."""

    today: date
    patients: list[PatientWork]
    counts: dict[str, int]
    total_patients: int
    page: int
    pages: int
    who: str = "mine"
    when: str = "all"

    @property
    def items(self) -> list[WorkItem]:
        """The checklists shown on this page."""
        return [item for patient in self.patients for item in patient.items]

    @property
    def overdue(self) -> list[WorkItem]:
        """The overdue checklists shown on this page."""
        return [item for item in self.items if item.when == "overdue"]

    @property
    def open_now(self) -> list[WorkItem]:
        """The checklists open now shown on this page."""
        return [item for item in self.items if item.when == "today"]

    @property
    def coming_up(self) -> list[WorkItem]:
        """The checklists opening this week shown on this page."""
        return [item for item in self.items if item.when == "week"]

    @property
    def shown_items(self) -> int:
        """How many checklists this page shows."""
        return len(self.items)

    @property
    def first_shown(self) -> int:
        """The position of the first patient on this page, from 1."""
        return (self.page - 1) * PAGE_SIZE + 1

    @property
    def last_shown(self) -> int:
        """The position of the last patient on this page."""
        return (self.page - 1) * PAGE_SIZE + len(self.patients)

    @property
    def not_shown(self) -> int:
        """How many checklists of the list are on other pages."""
        total = sum(self.counts.values()) if self.when == "all" else self.counts[self.when]
        return total - self.shown_items


def _mine(session: Session, user_id: int, conditions: Any) -> set[int]:
    """The pathways on the list this user worked on: an event she recorded, a checklist she
    completed, or one of the list she started. One pass over the list, two index probes a row."""
    other = aliased(ChecklistInstance)
    pathway_id = col(ChecklistInstance.pathway_id)
    worked_on = (
        select(pathway_id)
        .where(*conditions)
        .where(
            exists()
            .where(col(PathwayEvent.recorded_by_id) == user_id)
            .where(col(PathwayEvent.pathway_id) == pathway_id)
            | exists()
            .where(col(other.completed_by_id) == user_id)
            .where(col(other.pathway_id) == pathway_id)
        )
    )
    started = (
        select(pathway_id)
        .join(ChecklistAnswer, col(ChecklistAnswer.instance_id) == col(ChecklistInstance.id))
        .where(*conditions)
        .where(col(ChecklistInstance.status) == InstanceStatus.in_progress.value)
        .where(col(ChecklistAnswer.answered_by_id) == user_id)
    )
    connection = session.connection()
    return set(connection.execute(worked_on.distinct()).scalars()) | set(
        connection.execute(started.distinct()).scalars()
    )


def _open_items(team_ids: set[int] | frozenset[int], now: datetime, today: date) -> Any:
    """The conditions of every open checklist on the list: team, status and time."""
    return (
        col(ChecklistInstance.team_id).in_(team_ids),
        col(ChecklistInstance.status).in_(OPEN),
        col(ChecklistInstance.due_date) >= today - timedelta(days=OVERDUE_DAYS),
        col(ChecklistInstance.window_start) <= now + timedelta(days=UPCOMING_DAYS),
    )


def _when(now: datetime) -> Any:
    """Overdue (the window has closed), today (open now) or this week (opens within a week)."""
    return case(
        (col(ChecklistInstance.window_end) < now, literal("overdue")),
        (col(ChecklistInstance.window_start) <= now, literal("today")),
        else_=literal("week"),
    )


def my_day(
    session: Session,
    *,
    viewer: Viewer,
    now: datetime | None = None,
    sort: str = "due",
    team_id: int | None = None,
    who: str = "team",
    when: str = "all",
    page: int = 1,
) -> MyDay:
    """Return one page of open checklists, by patient, of the nurse's teams (or one of them)."""
    now = now or utcnow()
    today = now.astimezone(get_settings().zone).date()
    who, when = (who if who in WHO else "mine"), (when if when in WHEN else "all")
    team_ids = viewer.patient_team_ids if team_id is None else {team_id}
    if not team_ids <= viewer.patient_team_ids:
        raise Forbidden(_("You are not on this team."))
    empty = dict.fromkeys(WHEN[1:], 0)
    if not team_ids:
        return MyDay(today, [], empty, 0, 1, 1, who, when)
    conditions = _open_items(team_ids, now, today)
    bucket = _when(now)
    per_pathway = (
        session.connection()
        .execute(
            select(
                col(ChecklistInstance.pathway_id),
                bucket.label("bucket"),
                func.count().label("n"),
                func.min(col(ChecklistInstance.due_date)).label("first_due"),
            )
            .where(*conditions)
            .group_by(col(ChecklistInstance.pathway_id), bucket)
        )
        .all()
    )
    mine = _mine(session, viewer.user_id, conditions) if who == "mine" else None
    counts = dict(empty)
    first: dict[int, date] = {}
    for pathway_id, kind, n, first_due in per_pathway:
        if mine is not None and pathway_id not in mine:
            continue
        counts[kind] += n
        if when in ("all", kind):
            first[pathway_id] = min(first.get(pathway_id, first_due), first_due)
    ordered = [pid for _due, pid in sorted((due, pid) for pid, due in first.items())]
    if sort == "patient":
        labels = _labels(session, conditions)
        ordered.sort(key=lambda pid: (labels.get(pid, ""), pid))
    pages = max(1, -(-len(ordered) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    chosen = ordered[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    patients = _cards(session, chosen, conditions, bucket, when, today) if chosen else []
    record(
        session,
        viewer=viewer,
        action=AuditAction.read,
        what="my day",
        detail=f"{sum(len(p.items) for p in patients)} open checklists of {len(chosen)} patients",
    )
    return MyDay(today, patients, counts, len(ordered), page, pages, who, when)


def _labels(session: Session, conditions: Any) -> dict[int, str]:
    """The patients' labels of the pathways on the list, by pathway."""
    on_list = select(col(ChecklistInstance.pathway_id)).where(*conditions)
    rows = (
        session.connection()
        .execute(
            select(Pathway.id, Patient.label)
            .join(Patient, col(Patient.id) == col(Pathway.patient_id))
            .where(col(Pathway.id).in_(on_list))
        )
        .all()
    )
    return {int(pathway_id or 0): label for pathway_id, label in rows}


def _cards(
    session: Session, chosen: list[int], conditions: Any, bucket: Any, when: str, today: date
) -> list[PatientWork]:
    """The cards of these pathways' patients, in this order, with checklists and what matters."""
    query = (
        select(ChecklistInstance, Patient.id, Patient.label, bucket)
        .join(Pathway, col(Pathway.id) == col(ChecklistInstance.pathway_id))
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .where(*conditions)
        .where(col(ChecklistInstance.pathway_id).in_(chosen))
        .order_by(col(ChecklistInstance.window_end), col(ChecklistInstance.id))
    )
    if when != "all":
        query = query.where(bucket == when)
    grouped: dict[int, tuple[str, int, list[WorkItem]]] = {}  # by pathway
    for instance, patient_id, label, kind in session.exec(query).all():
        item = WorkItem(
            instance_id=int(instance.id or 0),
            definition_id=instance.definition_id,
            status=instance.status,
            window_start=instance.window_start,
            window_end=instance.window_end,
            due_date=instance.due_date,
            patient_id=int(patient_id or 0),
            patient_label=label,
            when=kind,
            days_overdue=max((today - instance.due_date).days, 0) if kind == "overdue" else 0,
        )
        grouped.setdefault(instance.pathway_id, (label, item.patient_id, []))[2].append(item)
    words, goals = _what_matters(session, list(grouped))
    return [
        PatientWork(
            patient_id=grouped[pathway_id][1],
            patient_label=grouped[pathway_id][0],
            pathway_id=pathway_id,
            items=grouped[pathway_id][2],
            words=words.get(pathway_id, (None, False))[0],
            asked=pathway_id in words,
            goals=goals.get(pathway_id, []),
        )
        for pathway_id in chosen
        if pathway_id in grouped
    ]


def _what_matters(
    session: Session, pathway_ids: list[int]
) -> tuple[dict[int, tuple[str | None, bool]], dict[int, list[str]]]:
    """The latest words said and the active goals of these pathways, in two queries."""
    conversations = session.exec(
        select(
            col(WhatMattersConversation.pathway_id),
            col(WhatMattersConversation.patient_words),
        )
        .where(col(WhatMattersConversation.pathway_id).in_(pathway_ids))
        .order_by(col(WhatMattersConversation.held_on), col(WhatMattersConversation.id))
    ).all()
    words: dict[int, tuple[str | None, bool]] = {}
    for pathway_id, text in conversations:
        shown = text if not text or len(text) <= WORDS_SHOWN else text[:WORDS_SHOWN].rstrip() + "…"
        words[pathway_id] = (shown, True)
    goals: dict[int, list[str]] = {}
    for pathway_id, activity in session.exec(
        select(Goal.pathway_id, Goal.activity)
        .where(col(Goal.pathway_id).in_(pathway_ids))
        .where(col(Goal.status) == GoalStatus.active.value)
        .order_by(col(Goal.position))
    ).all():
        goals.setdefault(pathway_id, []).append(activity)
    return words, goals
