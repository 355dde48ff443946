"""Organisations and teams the viewer reaches, as FHIR Organizations (no patient data)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.fhir.definitions import network_resource, organisation_resource, team_resource
from app.org.models import LearningNetwork, Organisation, Team
from app.org.scope import Viewer


def visible_organizations(session: Session, *, viewer: Viewer) -> list[dict[str, Any]]:
    """The teams the viewer reaches (patients or aggregates), their organisations and networks."""
    team_ids = sorted(viewer.aggregate_team_ids)
    if not team_ids:
        return []
    teams = session.exec(
        select(Team).where(col(Team.id).in_(team_ids)).order_by(col(Team.id))
    ).all()
    organisation_ids = sorted({team.organisation_id for team in teams})
    organisations = session.exec(
        select(Organisation)
        .where(col(Organisation.id).in_(organisation_ids))
        .order_by(col(Organisation.id))
    ).all()
    networks = session.exec(
        select(LearningNetwork)
        .where(col(LearningNetwork.id).in_(sorted({o.network_id for o in organisations})))
        .order_by(col(LearningNetwork.id))
    ).all()
    return (
        [network_resource(n) for n in networks]
        + [organisation_resource(o) for o in organisations]
        + [team_resource(t) for t in teams]
    )


def visible_organization(
    session: Session, *, viewer: Viewer, organization_id: str
) -> dict[str, Any] | None:
    """One Organization (``network-``, ``org-`` or ``team-<id>``) the viewer reaches, else None."""
    for resource in visible_organizations(session, viewer=viewer):
        if resource["id"] == organization_id:
            return resource
    return None
