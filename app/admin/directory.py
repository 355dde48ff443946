"""The organisation tree in memory for one call, and what an administrator may manage in it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from app.core.i18n import _
from app.org.models import LearningNetwork, Membership, Organisation, Role, ScopeKind, Team
from app.org.scope import Viewer

# Which kinds of scope each role may be given on (a nurse works in a team, an admin never does).
ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    Role.nurse.value: (ScopeKind.team.value,),
    Role.team.value: (ScopeKind.team.value, ScopeKind.organisation.value),
    Role.coordinator.value: (ScopeKind.organisation.value, ScopeKind.network.value),
    Role.admin.value: (ScopeKind.organisation.value, ScopeKind.network.value),
}

ROLE_SCOPES_KINDS = tuple(kind.value for kind in ScopeKind)


class AdminError(Exception):
    """A change refused because of what was asked; the message says what to fix (422)."""


class AdminNotFound(Exception):
    """Nothing by that name within what you administer (404: existence stays private)."""


@dataclass(frozen=True)
class ScopeRef:
    """A team, organisation or network with where it sits in the tree."""

    kind: str
    id: int
    slug: str
    name: str
    network_id: int
    organisation_id: int | None

    @property
    def label(self) -> str:
        """`kind:slug`, as the command line and the staff CSV write it."""
        return f"{self.kind}:{self.slug}"


class Directory:
    """Every network, organisation and team, loaded once (a few hundred rows at most)."""

    def __init__(self, session: Session) -> None:
        self.networks = {int(n.id or 0): n for n in session.exec(select(LearningNetwork)).all()}
        self.organisations = {int(o.id or 0): o for o in session.exec(select(Organisation)).all()}
        self.teams = {int(t.id or 0): t for t in session.exec(select(Team)).all()}
        self._by_slug: dict[tuple[str, str], ScopeRef] = {}

    def ref(self, kind: str, scope_id: int) -> ScopeRef:
        """The scope of a kind and id."""
        if kind == ScopeKind.team.value:
            team = self.teams[scope_id]
            org = self.organisations[team.organisation_id]
            return ScopeRef(kind, scope_id, team.slug, team.name, org.network_id, org.id)
        if kind == ScopeKind.organisation.value:
            org = self.organisations[scope_id]
            return ScopeRef(kind, scope_id, org.slug, org.name, org.network_id, scope_id)
        network = self.networks[scope_id]
        return ScopeRef(kind, scope_id, network.slug, network.name, scope_id, None)

    def of_membership(self, membership: Membership) -> ScopeRef:
        """Where a membership applies."""
        scope_id = getattr(membership, f"{membership.scope_kind}_id")
        return self.ref(membership.scope_kind, int(scope_id or 0))

    def by_label(self, label: str) -> ScopeRef:
        """Find `team:SLUG`, `organisation:SLUG` or `network:SLUG`, or say what is wrong."""
        if not self._by_slug:
            for kind, table in (
                (ScopeKind.team.value, self.teams),
                (ScopeKind.organisation.value, self.organisations),
                (ScopeKind.network.value, self.networks),
            ):
                for scope_id, row in table.items():
                    self._by_slug[(kind, row.slug)] = self.ref(kind, scope_id)
        kind, _sep, slug = label.strip().partition(":")
        if kind not in ROLE_SCOPES_KINDS or not slug:
            raise AdminError(
                _(
                    "Write the scope as team:SLUG, organisation:SLUG or network:SLUG: '{scope}'."
                ).format(scope=label)
            )
        found = self._by_slug.get((kind, slug.strip()))
        if found is None:
            raise AdminNotFound(_("There is no {kind} '{slug}'.").format(kind=kind, slug=slug))
        return found


@dataclass(frozen=True)
class Reach:
    """What an actor administers; the command line (no viewer) reaches everything."""

    everything: bool
    network_ids: frozenset[int]
    organisation_ids: frozenset[int]
    team_ids: frozenset[int]

    @classmethod
    def of(cls, viewer: Viewer | None) -> Reach:
        """Resolve the admin grants of a viewer (None: the operator at the command line)."""
        if viewer is None:
            return cls(True, frozenset(), frozenset(), frozenset())
        grants = [g for g in viewer.grants if g.role == Role.admin.value]

        def ids(kind: str) -> frozenset[int]:
            return frozenset(g.scope_id for g in grants if g.scope_kind == kind)

        return cls(
            False,
            ids(ScopeKind.network.value),
            ids(ScopeKind.organisation.value),
            ids(ScopeKind.team.value),
        )

    def manages(self, ref: ScopeRef) -> bool:
        """Whether this scope lies within what the actor administers."""
        if self.everything or ref.network_id in self.network_ids:
            return True
        if ref.kind == ScopeKind.network.value:
            return False
        if ref.organisation_id in self.organisation_ids:
            return True
        return ref.kind == ScopeKind.team.value and ref.id in self.team_ids

    def manages_network(self, network_id: int) -> bool:
        """Whether the actor administers this whole network."""
        return self.everything or network_id in self.network_ids


def check_role_fits(role: str, ref: ScopeRef) -> None:
    """Refuse a role on a kind of scope it does not belong to (a nurse on a network...)."""
    if role not in ROLE_SCOPES:
        raise AdminError(
            _("The role must be one of {roles}, not '{role}'.").format(
                roles=", ".join(ROLE_SCOPES), role=role
            )
        )
    if ref.kind not in ROLE_SCOPES[role]:
        raise AdminError(
            _("The role {role} is given on {kinds}, not on a {kind}.").format(
                role=role, kinds=" / ".join(ROLE_SCOPES[role]), kind=ref.kind
            )
        )
