"""Networks, organisations and teams: created and changed within what the actor administers."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from app.admin.changes import audit_change, values
from app.admin.directory import AdminError, AdminNotFound, Directory, Reach
from app.admin.forms import (
    NetworkChartRules,
    NetworkFields,
    OrganisationDetails,
    OrganisationFields,
    TeamFields,
)
from app.audit.models import AuditAction
from app.core.deps import Forbidden
from app.core.i18n import _
from app.org.models import LearningNetwork, Organisation, Team
from app.org.scope import Viewer

ORGANISATION_FIELDS = ("slug", "name", "kind", "network_id", "org_number", "municipality_number")


@dataclass
class OrganisationNode:
    """An organisation with its teams, as the admin pages list them."""

    organisation: Organisation
    teams: list[Team] = field(default_factory=list)
    manageable: bool = False


@dataclass
class NetworkNode:
    """A network with the organisations the actor administers in it."""

    network: LearningNetwork
    organisations: list[OrganisationNode] = field(default_factory=list)
    manageable: bool = False


def _taken(session: Session, table: type, slug: str) -> None:
    """Refuse a slug already in use (slugs are unique in each table)."""
    if session.exec(select(table).where(table.slug == slug)).first() is not None:  # type: ignore[attr-defined]
        raise AdminError(_("The short name '{slug}' is already taken.").format(slug=slug))


def create_network(
    session: Session, *, actor: Viewer | None, fields: NetworkFields
) -> LearningNetwork:
    """Create a learning network (the operator's command only: it is wider than any admin)."""
    if actor is not None:
        raise Forbidden(_("Only the operator creates learning networks (hph org add-network)."))
    _taken(session, LearningNetwork, fields.slug)
    network = LearningNetwork(slug=fields.slug, name=fields.name, region=fields.region)
    session.add(network)
    session.flush()
    audit_change(
        session,
        actor=actor,
        action=AuditAction.create,
        what=f"network {network.slug}",
        before=None,
        after=values(network, "slug", "name", "region"),
    )
    session.flush()
    return network


def create_organisation(
    session: Session, *, actor: Viewer | None, fields: OrganisationFields
) -> Organisation:
    """Add a municipality or hospital to a network the actor administers."""
    directory = Directory(session)
    network = directory.by_label(f"network:{fields.network}")
    if not Reach.of(actor).manages_network(network.id):
        raise AdminNotFound(_("There is no network '{slug}'.").format(slug=fields.network))
    _taken(session, Organisation, fields.slug)
    organisation = Organisation(
        network_id=network.id,
        slug=fields.slug,
        name=fields.name,
        kind=fields.kind.value,
        org_number=fields.org_number,
        municipality_number=fields.municipality_number,
    )
    session.add(organisation)
    session.flush()
    audit_change(
        session,
        actor=actor,
        action=AuditAction.create,
        what=f"organisation {organisation.slug}",
        before=None,
        after=values(organisation, *ORGANISATION_FIELDS),
    )
    session.flush()
    return organisation


def update_network_chart_rules(
    session: Session, *, actor: Viewer | None, network_id: int, fields: NetworkChartRules
) -> LearningNetwork:
    """Choose the rule set a network's charts are read by (its administrators only)."""
    network = session.get(LearningNetwork, network_id)
    if network is None or not Reach.of(actor).manages_network(network_id):
        raise AdminNotFound(_("There is no such network among those you administer."))
    before = values(network, "chart_rules")
    network.chart_rules = fields.chart_rules.value
    after = values(network, "chart_rules")
    if after != before:
        session.add(network)
        audit_change(
            session,
            actor=actor,
            action=AuditAction.update,
            what=f"network {network.slug}",
            before=before,
            after=after,
        )
        session.flush()
    return network


def get_organisation(
    session: Session, *, actor: Viewer | None, organisation_id: int
) -> Organisation:
    """An organisation the actor administers (404 for any other)."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is not None:
        ref = Directory(session).ref("organisation", organisation_id)
        if Reach.of(actor).manages(ref):
            return organisation
    raise AdminNotFound(_("The organisation was not found."))


def update_organisation(
    session: Session, *, actor: Viewer | None, organisation_id: int, fields: OrganisationDetails
) -> Organisation:
    """Change an organisation's name or numbers."""
    organisation = get_organisation(session, actor=actor, organisation_id=organisation_id)
    before = values(organisation, *ORGANISATION_FIELDS)
    organisation.name = fields.name
    organisation.org_number = fields.org_number
    organisation.municipality_number = fields.municipality_number
    after = values(organisation, *ORGANISATION_FIELDS)
    if after != before:
        session.add(organisation)
        audit_change(
            session,
            actor=actor,
            action=AuditAction.update,
            what=f"organisation {organisation.slug}",
            before=before,
            after=after,
        )
        session.flush()
    return organisation


def create_team(session: Session, *, actor: Viewer | None, fields: TeamFields) -> Team:
    """Add a team (home-care unit, improvement team, ward) to an organisation."""
    directory = Directory(session)
    organisation = directory.by_label(f"organisation:{fields.organisation}")
    if not Reach.of(actor).manages(organisation):
        raise AdminNotFound(
            _("There is no organisation '{slug}'.").format(slug=fields.organisation)
        )
    _taken(session, Team, fields.slug)
    team = Team(organisation_id=organisation.id, slug=fields.slug, name=fields.name)
    session.add(team)
    session.flush()
    audit_change(
        session,
        actor=actor,
        action=AuditAction.create,
        what=f"team {team.slug}",
        before=None,
        after=values(team, "slug", "name", "organisation_id"),
    )
    session.flush()
    return team


def managed_tree(session: Session, *, actor: Viewer | None) -> list[NetworkNode]:
    """The networks, organisations and teams the actor administers, sorted by name."""
    reach = Reach.of(actor)
    directory = Directory(session)
    nodes: dict[int, NetworkNode] = {}
    organisations: dict[int, OrganisationNode] = {}
    for org_id, organisation in sorted(directory.organisations.items(), key=lambda i: i[1].name):
        if not reach.manages(directory.ref("organisation", org_id)):
            continue
        network = directory.networks[organisation.network_id]
        node = nodes.setdefault(
            organisation.network_id,
            NetworkNode(network, manageable=reach.manages_network(organisation.network_id)),
        )
        organisations[org_id] = OrganisationNode(organisation, manageable=True)
        node.organisations.append(organisations[org_id])
    for network_id, network in directory.networks.items():
        if reach.manages_network(network_id) and network_id not in nodes:
            nodes[network_id] = NetworkNode(network, manageable=True)
    for team in sorted(directory.teams.values(), key=lambda t: t.name):
        if team.organisation_id in organisations:
            organisations[team.organisation_id].teams.append(team)
    return sorted(nodes.values(), key=lambda n: n.network.name)
