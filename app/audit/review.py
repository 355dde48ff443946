"""The administrators' review of the audit log, limited to what each administrator administers.

An administrator on a network sees the entries about that network's organisations, teams,
users and patients; one on an organisation (or a team) only that organisation's (or team's).
An entry about a patient belongs where the patient belongs; an entry without one (sign-in,
lists, administration) belongs where the person who acted is a member.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, or_
from sqlmodel import Session, col, exists, select

from app.audit.models import AuditEntry
from app.org.models import Membership, Organisation, Role, ScopeKind, User
from app.org.scope import Viewer
from app.pathways.models import Patient


@dataclass(frozen=True)
class ReviewScope:
    """The networks, organisations and teams an administrator administers."""

    network_ids: frozenset[int]
    organisation_ids: frozenset[int]
    team_ids: frozenset[int]

    @property
    def empty(self) -> bool:
        """Whether the viewer administers nothing (then they review nothing)."""
        return not (self.network_ids or self.organisation_ids or self.team_ids)


def review_scope(session: Session, *, viewer: Viewer) -> ReviewScope:
    """What the viewer administers, from their admin memberships."""
    grants = [g for g in viewer.grants if g.role == Role.admin.value]
    networks = frozenset(g.scope_id for g in grants if g.scope_kind == ScopeKind.network.value)
    organisations = {g.scope_id for g in grants if g.scope_kind == ScopeKind.organisation.value}
    if networks:
        organisations |= {
            int(o or 0)
            for o in session.exec(
                select(Organisation.id).where(col(Organisation.network_id).in_(networks))
            ).all()
        }
    teams = frozenset().union(*(g.team_ids for g in grants))
    return ReviewScope(networks, frozenset(o for o in organisations if o), teams)


def _in_scope(scope: ReviewScope) -> ColumnElement[bool]:
    """The condition an audit entry meets when it is about something in the scope."""
    if scope.empty:
        return false()
    members = select(Membership.user_id).where(
        or_(
            col(Membership.team_id).in_(scope.team_ids),
            col(Membership.organisation_id).in_(scope.organisation_ids),
            col(Membership.network_id).in_(scope.network_ids),
        )
    )
    actor_in_scope = or_(
        col(AuditEntry.user_id).in_(members),
        and_(
            col(AuditEntry.user_id).is_(None),
            col(AuditEntry.user_email).in_(select(User.email).where(col(User.id).in_(members))),
        ),
        col(AuditEntry.organisation_id).in_(scope.organisation_ids),
    )
    patient_in_scope = col(AuditEntry.patient_id).in_(
        select(Patient.id).where(col(Patient.team_id).in_(scope.team_ids))
    )
    # An erased patient's entries stay; they belong where the person who acted belongs.
    patient_gone = ~exists().where(col(Patient.id) == col(AuditEntry.patient_id))
    return or_(
        patient_in_scope,
        and_(or_(col(AuditEntry.patient_id).is_(None), patient_gone), actor_in_scope),
    )


def search_entries(
    session: Session,
    *,
    viewer: Viewer,
    user_email: str | None = None,
    patient_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[AuditEntry]:
    """Audit entries in the viewer's administration matching the filters, newest first."""
    query = select(AuditEntry).where(_in_scope(review_scope(session, viewer=viewer)))
    if user_email:
        query = query.where(col(AuditEntry.user_email).contains(user_email.strip().lower()))
    if patient_id is not None:
        query = query.where(AuditEntry.patient_id == patient_id)
    if action:
        query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(col(AuditEntry.at) >= since)
    if until is not None:
        query = query.where(col(AuditEntry.at) < until)
    return list(
        session.exec(
            query.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
            .limit(limit)
            .offset(offset)
        ).all()
    )
