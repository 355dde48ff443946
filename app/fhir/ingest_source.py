"""Who sends hospital events: the organisation a token (or the operator) acts for, the
viewer the pathway services see, and how a sender's patient reference finds a patient."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from sqlmodel import Session, col, select

from app.core.i18n import _
from app.fhir.ingest_encounters import EncounterIn, EntryProblem
from app.fhir.outcome import BASE
from app.org.models import Organisation, Role, ScopeKind, Team
from app.org.scope import Grant, Viewer
from app.pathways.models import Patient

TEAM_SYSTEM = re.compile(re.escape(BASE) + r"/NamingSystem/team-(\d+)/local-reference")


class SystemViewer(Viewer):
    """A sending system (or the operator's import) acting for one organisation.

    It reaches that organisation's patients to record their hospital events and nothing else.
    It is no person: the events it records have no ``recorded_by``, and the audit log names the
    token (or the command) in the e-mail column with the role ``system``.
    """

    @property
    def primary_role(self) -> str | None:
        """Audited as a system, never as a nurse."""
        return "system"


@dataclass(frozen=True)
class Source:
    """Who sends: the organisation, its teams, the viewer acting for it, and the token."""

    organisation: Organisation
    team_ids: frozenset[int]
    viewer: SystemViewer
    token_id: int | None


def source_for(
    session: Session,
    *,
    organisation_id: int,
    name: str,
    token_id: int | None = None,
    ip_address: str | None = None,
) -> Source:
    """The sender acting for an organisation, named in the audit log as ``name``."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise LookupError(organisation_id)
    team_ids = frozenset(
        int(t or 0)
        for t in session.exec(select(Team.id).where(Team.organisation_id == organisation_id))
    )
    grant = Grant(
        role=Role.nurse.value,
        scope_kind=ScopeKind.organisation.value,
        scope_id=organisation_id,
        scope_name=organisation.name,
        team_ids=team_ids,
        organisation_id=organisation_id,
    )
    viewer = SystemViewer(
        user_id=cast(int, None),  # no person: recorded_by stays empty
        email=name[:254],
        display_name=name,
        language="en",
        grants=(grant,),
        ip_address=ip_address,
    )
    return Source(organisation, team_ids, viewer, token_id)


def match_patient(
    session: Session, *, source: Source, system: str | None, value: str, where: str = "Encounter"
) -> Patient | None:
    """The one patient of the organisation with this local reference (None: none or several).

    A system naming a team's local references (as the read API's Patient identifiers do)
    narrows the search to that team, which must be the organisation's own (otherwise 403).
    """
    team_ids = source.team_ids
    named = TEAM_SYSTEM.fullmatch(system or "")
    if named:
        team_id = int(named.group(1))
        if team_id not in source.team_ids:
            raise EntryProblem(
                403,
                _(
                    "The patient's identifier belongs to a team of another organisation; this "
                    "token sends for {name} only."
                ).format(name=source.organisation.name),
                f"{where}.subject.identifier.system",
                "forbidden",
            )
        team_ids = frozenset({team_id})
    if not team_ids:
        return None
    found = session.exec(
        select(Patient)
        .where(col(Patient.team_id).in_(sorted(team_ids)))
        .where(Patient.local_reference == value.strip())
        .limit(2)
    ).all()
    return found[0] if len(found) == 1 else None


def check_provider(source: Source, encounter: EncounterIn, where: str) -> None:
    """Refuse an encounter whose service provider is another organisation (403)."""
    given, own = encounter.provider_org_number, source.organisation.org_number
    if given and own and given != own:
        raise EntryProblem(
            403,
            _(
                "The encounter is for organisation number {given}; this token sends for "
                "{name} ({own}) only."
            ).format(given=given, name=source.organisation.name, own=own),
            f"{where}.serviceProvider.identifier",
            "forbidden",
        )
