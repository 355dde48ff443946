"""The nurse's day: checklists due today, overdue and coming up, for the nurse's teams.

People on several teams pick one (or all) with the team switcher: the choice comes as a query
parameter and is remembered in a cookie, shared with the team dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select
from starlette.responses import Response

from app.audit.models import AuditAction
from app.audit.service import record
from app.checklists.models import ChecklistInstance, InstanceStatus
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.deps import Forbidden
from app.core.i18n import _
from app.org.models import Team
from app.org.scope import Viewer
from app.pathways.models import Pathway, Patient

UPCOMING_DAYS = 7
OVERDUE_DAYS = 14
TEAM_COOKIE = "hph_team"
ALL_TEAMS = "all"


@dataclass(frozen=True)
class TeamChoice:
    """A team the user may pick, by name."""

    id: int
    name: str


def team_choices(session: Session, team_ids: frozenset[int]) -> list[TeamChoice]:
    """The teams among these ids, by name (the name, never the organisation and a number)."""
    if not team_ids:
        return []
    rows = session.exec(
        select(Team.id, Team.name).where(col(Team.id).in_(team_ids)).order_by(col(Team.name))
    ).all()
    return [TeamChoice(int(team_id or 0), name) for team_id, name in rows]


def chosen_team(
    choices: list[TeamChoice], requested: str | None, remembered: str | None
) -> int | None:
    """The team picked (None: all), from the query, else the cookie; unknown values are ignored."""
    known = {str(choice.id): choice.id for choice in choices}
    for value in (requested, remembered):
        if value == ALL_TEAMS:
            return None
        if value in known:
            return known[value]
    return None


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


@dataclass(frozen=True)
class MyDay:
    """The nurse's list, split the way the day is planned."""

    today: date
    overdue: list[WorkItem]
    open_now: list[WorkItem]
    coming_up: list[WorkItem]


SORT_KEYS = {
    "due": lambda item: (item.window_end, item.instance_id),
    "patient": lambda item: (item.patient_label, item.window_end),
    "checklist": lambda item: (item.definition_id, item.window_end),
}


def remember_team(response: Response, team_id: int | None) -> None:
    """Remember the team picked (or all) for the next visit, for a year."""
    response.set_cookie(
        TEAM_COOKIE,
        str(team_id) if team_id is not None else ALL_TEAMS,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="lax",
    )


def my_day(
    session: Session,
    *,
    viewer: Viewer,
    now: datetime | None = None,
    sort: str = "due",
    team_id: int | None = None,
) -> MyDay:
    """Return open checklists of the nurse's teams (or of one of them) around today."""
    now = now or utcnow()
    today = now.astimezone(get_settings().zone).date()
    team_ids = viewer.patient_team_ids if team_id is None else {team_id}
    if not team_ids <= viewer.patient_team_ids:
        raise Forbidden(_("You are not on this team."))
    if not team_ids:
        return MyDay(today=today, overdue=[], open_now=[], coming_up=[])
    rows = session.exec(
        select(ChecklistInstance, Patient.id, Patient.label)
        .join(Pathway, col(Pathway.id) == col(ChecklistInstance.pathway_id))
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .where(col(ChecklistInstance.team_id).in_(team_ids))
        .where(
            col(ChecklistInstance.status).in_(
                [InstanceStatus.due.value, InstanceStatus.in_progress.value]
            )
        )
        .where(col(ChecklistInstance.due_date) >= today - timedelta(days=OVERDUE_DAYS))
        .where(col(ChecklistInstance.window_start) <= now + timedelta(days=UPCOMING_DAYS))
        .order_by(col(ChecklistInstance.window_end), col(ChecklistInstance.id))
    ).all()
    overdue, open_now, coming_up = [], [], []
    for instance, patient_id, label in rows:
        item = WorkItem(
            instance_id=int(instance.id or 0),
            definition_id=instance.definition_id,
            status=instance.status,
            window_start=instance.window_start,
            window_end=instance.window_end,
            due_date=instance.due_date,
            patient_id=int(patient_id or 0),
            patient_label=label,
        )
        if instance.window_end < now:
            overdue.append(item)
        elif instance.window_start <= now:
            open_now.append(item)
        else:
            coming_up.append(item)
    record(
        session,
        viewer=viewer,
        action=AuditAction.read,
        what="my day",
        detail=f"{len(rows)} open checklists",
    )
    key = SORT_KEYS.get(sort, SORT_KEYS["due"])
    return MyDay(
        today=today,
        overdue=sorted(overdue, key=key),
        open_now=sorted(open_now, key=key),
        coming_up=sorted(coming_up, key=key),
    )
