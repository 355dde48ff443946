"""Who may see what: a signed-in user's roles and the teams they reach."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.org.models import LearningNetwork, Membership, Organisation, Role, ScopeKind, Team, User

PATIENT_ROLES = frozenset({Role.nurse.value, Role.team.value})
ROLE_ORDER = (Role.nurse.value, Role.team.value, Role.coordinator.value, Role.admin.value)


@dataclass(frozen=True)
class Grant:
    """One membership resolved to the teams it covers."""

    role: str
    scope_kind: str
    scope_id: int
    scope_name: str
    team_ids: frozenset[int]
    organisation_id: int | None


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as every route and service sees them."""

    user_id: int
    email: str
    display_name: str
    language: str
    grants: tuple[Grant, ...]
    ip_address: str | None = None
    roles: frozenset[str] = field(init=False)
    patient_team_ids: frozenset[int] = field(init=False)
    aggregate_team_ids: frozenset[int] = field(init=False)

    def __post_init__(self) -> None:
        roles = frozenset(g.role for g in self.grants)
        patient = frozenset().union(*(g.team_ids for g in self.grants if g.role in PATIENT_ROLES))
        aggregate = frozenset().union(*(g.team_ids for g in self.grants))
        object.__setattr__(self, "roles", roles)
        object.__setattr__(self, "patient_team_ids", patient)
        object.__setattr__(self, "aggregate_team_ids", aggregate)

    @property
    def primary_role(self) -> str | None:
        """The role whose home page the user lands on (nurse first, admin last)."""
        return next((role for role in ROLE_ORDER if role in self.roles), None)

    @property
    def primary_organisation_id(self) -> int | None:
        """The organisation of the user's first grant, for the audit log."""
        return next((g.organisation_id for g in self.grants if g.organisation_id), None)

    def has_role(self, *roles: str) -> bool:
        """Whether the user holds any of these roles anywhere."""
        return any(role in self.roles for role in roles)

    def may_see_patients_of(self, team_id: int) -> bool:
        """Whether the user works with this team's patients (nurse or team role)."""
        return team_id in self.patient_team_ids


def resolve_viewer(session: Session, user: User, *, ip_address: str | None = None) -> Viewer:
    """Resolve a user's memberships into grants over teams, in two small queries."""
    memberships = session.exec(select(Membership).where(Membership.user_id == user.id)).all()
    rows: list[tuple[int, str, int, str, int, str]] = []
    if memberships:
        rows = [
            (int(t or 0), tn, int(o or 0), on, int(n or 0), nn)
            for t, tn, o, on, n, nn in session.execute(
                sa_select(
                    col(Team.id),
                    col(Team.name),
                    col(Organisation.id),
                    col(Organisation.name),
                    col(LearningNetwork.id),
                    col(LearningNetwork.name),
                )
                .join(Organisation, col(Team.organisation_id) == col(Organisation.id))
                .join(LearningNetwork, col(Organisation.network_id) == col(LearningNetwork.id))
            ).all()
        ]
    position = {
        ScopeKind.team.value: (0, 1),
        ScopeKind.organisation.value: (2, 3),
        ScopeKind.network.value: (4, 5),
    }
    grants: list[Grant] = []
    for membership in memberships:
        id_at, name_at = position[membership.scope_kind]
        scope_id = int(getattr(membership, f"{membership.scope_kind}_id") or 0)
        covered = [r for r in rows if r[id_at] == scope_id]
        organisation_ids = {r[2] for r in covered}
        grants.append(
            Grant(
                role=membership.role,
                scope_kind=membership.scope_kind,
                scope_id=scope_id,
                scope_name=str(covered[0][name_at]) if covered else "",
                team_ids=frozenset(r[0] for r in covered),
                organisation_id=next(iter(organisation_ids))
                if len(organisation_ids) == 1
                else None,
            )
        )
    return Viewer(
        user_id=int(user.id or 0),
        email=user.email,
        display_name=user.display_name,
        language=user.language,
        grants=tuple(grants),
        ip_address=ip_address,
    )
