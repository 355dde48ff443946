"""Local variants adopted by an organisation from a date (DESIGN.md §3, §9).

An organisation's administrator (or its network's) picks, per checklist, one of the catalogue's
variants of the current version, or the standard list, from a local date onwards. Scheduling
asks which adoption is in force on the day it creates an instance; instances already created
keep the variant they were made with. Every adoption is audited with before and after.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.checklists.in_use import catalogue_in_use
from app.checklists.loader import Catalogue
from app.checklists.models import VariantAdoption
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.i18n import _, current_language
from app.org.models import Organisation, Role, ScopeKind
from app.org.scope import Viewer

BEGINNING = date(1970, 1, 1)


class AdoptionNotFound(LookupError):
    """No organisation by that id among those the viewer administers (404)."""


class AdoptionInvalid(ValueError):
    """What is wrong with an adoption: field name → message (422)."""

    def __init__(self, problems: dict[str, str]) -> None:
        """Keep the problems by field."""
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class VariantChoice:
    """One variant an organisation may adopt for a checklist (None: the standard list)."""

    variant: str | None
    title: str
    made_for: str | None


@dataclass
class ChecklistAdoptions:
    """One checklist's choices, the adoption in force today and those planned or past."""

    checklist_id: str
    title: str
    version: int
    choices: list[VariantChoice]
    in_force: str | None
    adoptions: list[VariantAdoption] = field(default_factory=list)

    def title_of(self, variant: str | None) -> str:
        """The title of a variant of this checklist (or its name when it is no longer offered)."""
        found = next((c.title for c in self.choices if c.variant == variant), None)
        return found or variant or _("Standard list")


def local_today(now: datetime | None = None) -> date:
    """Today's local date (Europe/Oslo), the day adoptions are judged by."""
    return (now or utcnow()).astimezone(get_settings().zone).date()


def administers(viewer: Viewer, organisation: Organisation) -> bool:
    """Whether the viewer is an administrator of this organisation or of its network."""
    for grant in viewer.grants:
        if grant.role != Role.admin.value:
            continue
        if grant.scope_kind == ScopeKind.organisation.value and grant.scope_id == organisation.id:
            return True
        if (
            grant.scope_kind == ScopeKind.network.value
            and grant.scope_id == organisation.network_id
        ):
            return True
    return False


def organisation_for_admin(
    session: Session, *, viewer: Viewer, organisation_id: int
) -> Organisation:
    """Return an organisation the viewer administers (AdoptionNotFound otherwise)."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not administers(viewer, organisation):
        raise AdoptionNotFound(_("There is no such organisation among those you administer."))
    return organisation


def variant_choices(checklist_id: str) -> list[VariantChoice]:
    """The standard list and every variant of the checklist's current version."""
    catalogue = catalogue_in_use()
    definition = catalogue.get(checklist_id)
    language = current_language()
    choices = [VariantChoice(None, _("Standard list"), None)]
    for overlay in catalogue.variants(checklist_id):
        if overlay.base_version != definition.version:
            continue
        title = overlay.title.get(language) if overlay.title else overlay.variant
        choices.append(VariantChoice(overlay.variant, title, overlay.organisation))
    return choices


def variants_in_force(session: Session, *, organisation_id: int, on: date) -> dict[str, str | None]:
    """Checklist id → the variant an organisation has in force on a local date (one query)."""
    rows = session.exec(
        select(VariantAdoption.checklist_id, VariantAdoption.variant)
        .where(VariantAdoption.organisation_id == organisation_id)
        .where(col(VariantAdoption.starts_on) <= on)
        .order_by(col(VariantAdoption.starts_on), col(VariantAdoption.id))
    ).all()
    return {str(checklist_id): variant for checklist_id, variant in rows}


def adoption_overview(
    session: Session, *, viewer: Viewer, organisation_id: int, now: datetime | None = None
) -> list[ChecklistAdoptions]:
    """Every checklist that has variants, with the choice in force today and all adoptions."""
    organisation_for_admin(session, viewer=viewer, organisation_id=organisation_id)
    today = local_today(now)
    in_force = variants_in_force(session, organisation_id=organisation_id, on=today)
    adoptions = session.exec(
        select(VariantAdoption)
        .where(VariantAdoption.organisation_id == organisation_id)
        .order_by(col(VariantAdoption.starts_on), col(VariantAdoption.id))
    ).all()
    language = current_language()
    overview = []
    for definition in catalogue_in_use().all():
        if not catalogue_in_use().variants(definition.id):
            continue
        overview.append(
            ChecklistAdoptions(
                checklist_id=definition.id,
                title=definition.title.get(language),
                version=definition.version,
                choices=variant_choices(definition.id),
                in_force=in_force.get(definition.id),
                adoptions=[a for a in adoptions if a.checklist_id == definition.id],
            )
        )
    return overview


def adoption_problems(
    checklist_id: str, variant: str | None, starts_on: date | None, today: date
) -> dict[str, str]:
    """Check an adoption's checklist, variant and first day; return field → message."""
    problems: dict[str, str] = {}
    catalogue = catalogue_in_use()
    try:
        definition = catalogue.get(checklist_id)
    except KeyError:
        return {"checklist_id": _("There is no checklist '{id}'.").format(id=checklist_id)}
    if variant is not None:
        overlay = next((o for o in catalogue.variants() if o.variant == variant), None)
        if overlay is None:
            problems["variant"] = _("There is no variant '{variant}'.").format(variant=variant)
        elif overlay.base != checklist_id:
            problems["variant"] = _(
                "The variant '{variant}' belongs to the checklist '{other}', not to '{id}'."
            ).format(variant=variant, other=overlay.base, id=checklist_id)
        elif overlay.base_version != definition.version:
            problems["variant"] = _(
                "The variant '{variant}' was made for version {old} of the list; "
                "the list in use is version {version}."
            ).format(variant=variant, old=overlay.base_version, version=definition.version)
    if starts_on is None:
        problems["starts_on"] = _("Give the date the choice applies from.")
    elif starts_on < today:
        problems["starts_on"] = _(
            "Choose today or a later date: checklists already scheduled keep their variant."
        )
    return problems


def _snapshot(adoption: VariantAdoption | None) -> dict[str, object] | None:
    """An adoption as the audit log shows it."""
    if adoption is None:
        return None
    return {
        "checklist": adoption.checklist_id,
        "variant": adoption.variant,
        "starts_on": adoption.starts_on.isoformat(),
    }


def adopt_variant(
    session: Session,
    *,
    viewer: Viewer,
    organisation_id: int,
    checklist_id: str,
    variant: str | None,
    starts_on: date | None,
    now: datetime | None = None,
) -> VariantAdoption:
    """Adopt a variant (None: the standard list) from a date; the same date replaces (audited)."""
    organisation_for_admin(session, viewer=viewer, organisation_id=organisation_id)
    problems = adoption_problems(checklist_id, variant, starts_on, local_today(now))
    if problems or starts_on is None:
        raise AdoptionInvalid(problems)
    adoption = session.exec(
        select(VariantAdoption)
        .where(VariantAdoption.organisation_id == organisation_id)
        .where(VariantAdoption.checklist_id == checklist_id)
        .where(VariantAdoption.starts_on == starts_on)
    ).first()
    before = _snapshot(adoption)
    if before is None:
        in_force = variants_in_force(session, organisation_id=organisation_id, on=starts_on)
        before = {"checklist": checklist_id, "variant": in_force.get(checklist_id)}
    if adoption is None:
        adoption = VariantAdoption(
            organisation_id=organisation_id, checklist_id=checklist_id, starts_on=starts_on
        )
    adoption.variant = variant
    adoption.adopted_by_id = viewer.user_id
    session.add(adoption)
    session.flush()
    record(
        session,
        viewer=viewer,
        action=AuditAction.update,
        what=f"variant adoption: organisation {organisation_id}, checklist {checklist_id}",
        detail=json.dumps({"before": before, "after": _snapshot(adoption)}, ensure_ascii=False),
    )
    return adoption


def named_adoptions(catalogue: Catalogue) -> dict[str, dict[str, str]]:
    """Organisation slug → checklist → the variant a catalogue file names for it (the demo's
    adoptions, and what the migration turned into adoptions from the beginning of time)."""
    named: dict[str, dict[str, str]] = {}
    for overlay in catalogue.variants():
        named.setdefault(overlay.organisation, {})[overlay.base] = overlay.variant
    return named
