"""What each role's home page summarises: counts per team, from one grouped query each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, func
from sqlmodel import Session, col, select

from app.checklists.models import ChecklistInstance, InstanceStatus
from app.core.config import get_settings
from app.core.db import utcnow
from app.org.models import Membership, Organisation, Role, Team
from app.org.scope import Viewer
from app.pathways.models import Pathway, PathwayStatus, Patient

RECENT_DAYS = 28


@dataclass(frozen=True)
class TeamSummary:
    """Recent checklist work of one team: due, done on time, and open pathways."""

    team_id: int
    team_name: str
    organisation_name: str
    open_pathways: int | None
    due: int | None
    on_time: int | None

    @property
    def on_time_share(self) -> float | None:
        """Share done on time, or None when there is nothing (or too little) to show."""
        if not self.due or self.on_time is None:
            return None
        return self.on_time / self.due


def _recent_window(today: date) -> tuple[date, date]:
    """The last four whole weeks before today (whose windows have all closed)."""
    return today - timedelta(days=RECENT_DAYS), today - timedelta(days=1)


def _team_summaries(session: Session, team_ids: frozenset[int]) -> list[TeamSummary]:
    """Count recent due and on-time checklists and open pathways per team."""
    if not team_ids:
        return []
    today = utcnow().astimezone(get_settings().zone).date()
    start, end = _recent_window(today)
    counted = ~col(ChecklistInstance.status).in_(
        [InstanceStatus.not_applicable.value, InstanceStatus.cancelled.value]
    )
    on_time = and_(
        col(ChecklistInstance.status) == InstanceStatus.completed.value,
        col(ChecklistInstance.performed_at) <= col(ChecklistInstance.window_end),
    )
    work = {
        row[0]: (row[1], row[2])
        for row in session.exec(
            select(
                ChecklistInstance.team_id,
                func.count(),
                func.sum(case((on_time, 1), else_=0)),
            )
            .where(col(ChecklistInstance.team_id).in_(team_ids))
            .where(col(ChecklistInstance.due_date).between(start, end))
            .where(counted)
            .group_by(col(ChecklistInstance.team_id))
        ).all()
    }
    pathways = dict(
        session.exec(
            select(Patient.team_id, func.count())
            .join(Pathway, col(Pathway.patient_id) == col(Patient.id))
            .where(col(Patient.team_id).in_(team_ids))
            .where(Pathway.status == PathwayStatus.open.value)
            .group_by(col(Patient.team_id))
        ).all()
    )
    teams = session.exec(
        select(Team.id, Team.name, Organisation.name)
        .join(Organisation, col(Team.organisation_id) == col(Organisation.id))
        .where(col(Team.id).in_(team_ids))
        .order_by(Organisation.name, Team.name)
    ).all()
    return [
        TeamSummary(
            team_id=int(team_id),
            team_name=team_name,
            organisation_name=org_name,
            open_pathways=int(pathways.get(team_id, 0)),
            due=int(work.get(team_id, (0, 0))[0]),
            on_time=int(work.get(team_id, (0, 0))[1] or 0),
        )
        for team_id, team_name, org_name in teams
        if team_id is not None
    ]


def suppress(value: int | None, threshold: int) -> int | None:
    """Hide a count below the threshold (None is shown as '<threshold')."""
    if value is None or 0 < value < threshold:
        return None
    return value


def team_overview(session: Session, *, viewer: Viewer) -> list[TeamSummary]:
    """Summaries of the teams the viewer works in as an improvement-team member."""
    team_ids = frozenset().union(*(g.team_ids for g in viewer.grants if g.role == Role.team.value))
    return _team_summaries(session, team_ids)


def coordinator_overview(session: Session, *, viewer: Viewer) -> list[TeamSummary]:
    """Aggregates of every team in the coordinator's scope, small counts suppressed."""
    team_ids = frozenset().union(
        *(g.team_ids for g in viewer.grants if g.role == Role.coordinator.value)
    )
    threshold = get_settings().suppression_threshold
    summaries = []
    for summary in _team_summaries(session, team_ids):
        due = suppress(summary.due, threshold)
        on_time = suppress(summary.on_time, threshold) if due is not None else None
        # The complement could give a small count away: suppress on-time when due - on_time < k.
        if due is not None and on_time is not None and 0 < due - on_time < threshold:
            on_time = None
        summaries.append(
            TeamSummary(
                team_id=summary.team_id,
                team_name=summary.team_name,
                organisation_name=summary.organisation_name,
                open_pathways=suppress(summary.open_pathways, threshold),
                due=due,
                on_time=on_time,
            )
        )
    return summaries


@dataclass(frozen=True)
class AdminOverview:
    """Organisations and teams in an administrator's scope with member counts."""

    teams: list[tuple[str, str, int]]


def admin_overview(session: Session, *, viewer: Viewer) -> AdminOverview:
    """List the teams the administrator manages with how many members each has."""
    team_ids = frozenset().union(*(g.team_ids for g in viewer.grants if g.role == Role.admin.value))
    if not team_ids:
        return AdminOverview(teams=[])
    rows = session.exec(
        select(Organisation.name, Team.name, func.count(col(Membership.id)))
        .join(Organisation, col(Team.organisation_id) == col(Organisation.id))
        .join(Membership, col(Membership.team_id) == col(Team.id), isouter=True)
        .where(col(Team.id).in_(team_ids))
        .group_by(col(Organisation.name), col(Team.name))
        .order_by(Organisation.name, Team.name)
    ).all()
    return AdminOverview(teams=[(org, team, int(n)) for org, team, n in rows])
