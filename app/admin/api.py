"""JSON API for administration (/api/v1/admin): the same service as the pages and the command."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, BackgroundTasks, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from app.admin.forms import (
    MembershipFields,
    OrganisationDetails,
    OrganisationFields,
    PersonFields,
    TeamFields,
)
from app.admin.mail import mail_configured, send_invitations
from app.admin.pages import Admin
from app.admin.people import (
    Person,
    add_membership,
    get_person,
    invite_person,
    issue_link,
    list_people,
    remove_membership,
    set_active,
    unlock,
)
from app.admin.service import create_organisation, create_team, managed_tree, update_organisation
from app.admin.staff_csv import ImportRefused, import_staff
from app.audit.patient_data import NO_PATIENT_DATA
from app.core.deps import ERROR_RESPONSES, SessionDep
from app.core.i18n import current_language
from app.org.models import Organisation, Team

router = APIRouter(
    prefix="/api/v1/admin",
    tags=["admin"],
    responses=ERROR_RESPONSES,
    dependencies=[NO_PATIENT_DATA],
)


class TeamPublic(BaseModel):
    """A team."""

    id: int
    slug: str
    name: str
    organisation_id: int


class OrganisationPublic(BaseModel):
    """An organisation with its numbers and teams."""

    id: int
    slug: str
    name: str
    kind: str
    network_id: int
    org_number: str | None
    municipality_number: str | None
    teams: list[TeamPublic] = []


class NetworkPublic(BaseModel):
    """A network and the organisations in it you administer."""

    id: int
    slug: str
    name: str
    region: str
    manageable: bool
    organisations: list[OrganisationPublic]


class MembershipPublic(BaseModel):
    """One role on one scope."""

    id: int
    role: str
    scope: str
    scope_name: str


class PersonPublic(BaseModel):
    """A user as an administrator sees them (never a password or its hash)."""

    id: int
    email: str
    name: str
    active: bool
    joined: bool
    locked_until: datetime | None
    memberships: list[MembershipPublic]
    memberships_elsewhere: int


class LinkPublic(BaseModel):
    """A fresh one-time link for a person (shown once; it works for 72 hours)."""

    user: PersonPublic
    path: str
    emailed: bool


class ImportPublic(BaseModel):
    """What a staff import changed, with the new people's links."""

    invited: list[dict[str, str]]
    roles_added: int
    unchanged: int


def _team(team: Team) -> TeamPublic:
    """A team as the API shows it."""
    return TeamPublic(
        id=int(team.id or 0), slug=team.slug, name=team.name, organisation_id=team.organisation_id
    )


def _organisation(organisation: Organisation, teams: list[Team]) -> OrganisationPublic:
    """An organisation and its teams as the API shows them."""
    return OrganisationPublic(
        id=int(organisation.id or 0),
        slug=organisation.slug,
        name=organisation.name,
        kind=organisation.kind,
        network_id=organisation.network_id,
        org_number=organisation.org_number,
        municipality_number=organisation.municipality_number,
        teams=[_team(t) for t in teams],
    )


def _person(person: Person) -> PersonPublic:
    """A person as an administrator sees them in the API."""
    return PersonPublic(
        id=int(person.user.id or 0),
        email=person.user.email,
        name=person.user.display_name,
        active=person.user.is_active,
        joined=person.joined,
        locked_until=person.user.locked_until if person.locked else None,
        memberships=[
            MembershipPublic(id=int(m.id or 0), role=m.role, scope=ref.label, scope_name=ref.name)
            for m, ref in person.memberships
        ],
        memberships_elsewhere=person.elsewhere,
    )


def _link(request: Request, tasks: BackgroundTasks, person: Person, path: str) -> LinkPublic:
    """A fresh link for the answer, e-mailed after the commit when SMTP is set."""
    emailed = mail_configured()
    if emailed:
        tasks.add_task(
            send_invitations,
            [(person.user.email, person.user.display_name, path)],
            base_url=str(request.base_url),
            language=current_language(),
        )
    return LinkPublic(user=_person(person), path=path, emailed=emailed)


@router.get("/organisations")
def read_organisations(session: SessionDep, viewer: Admin) -> list[NetworkPublic]:
    """The networks, organisations and teams you administer."""
    return [
        NetworkPublic(
            id=int(node.network.id or 0),
            slug=node.network.slug,
            name=node.network.name,
            region=node.network.region,
            manageable=node.manageable,
            organisations=[_organisation(o.organisation, o.teams) for o in node.organisations],
        )
        for node in managed_tree(session, actor=viewer)
    ]


@router.post("/organisations", status_code=201)
def create_organisation_api(
    body: OrganisationFields, session: SessionDep, viewer: Admin
) -> OrganisationPublic:
    """Add an organisation to a network you administer."""
    return _organisation(create_organisation(session, actor=viewer, fields=body), [])


@router.patch("/organisations/{organisation_id}")
def update_organisation_api(
    organisation_id: int, body: OrganisationDetails, session: SessionDep, viewer: Admin
) -> OrganisationPublic:
    """Change an organisation's name or numbers."""
    organisation = update_organisation(
        session, actor=viewer, organisation_id=organisation_id, fields=body
    )
    return _organisation(organisation, [])


@router.post("/teams", status_code=201)
def create_team_api(body: TeamFields, session: SessionDep, viewer: Admin) -> TeamPublic:
    """Add a team to an organisation you administer."""
    return _team(create_team(session, actor=viewer, fields=body))


@router.get("/users")
def read_users_api(
    session: SessionDep, viewer: Admin, scope: str = Query(default="", max_length=80)
) -> list[PersonPublic]:
    """Everyone with a role in what you administer (optionally on one scope, `kind:slug`)."""
    return [_person(p) for p in list_people(session, actor=viewer, scope=scope or None)]


@router.post("/users", status_code=201)
def create_user_api(
    body: PersonFields, request: Request, tasks: BackgroundTasks, session: SessionDep, viewer: Admin
) -> LinkPublic:
    """Invite a person: their account, first role and one-time link (e-mailed when SMTP is set)."""
    invited = invite_person(session, actor=viewer, fields=body)
    person = get_person(session, actor=viewer, user_id=int(invited.user.id or 0))
    return _link(request, tasks, person, invited.path)


@router.get("/users/{user_id}")
def read_user_api(user_id: int, session: SessionDep, viewer: Admin) -> PersonPublic:
    """One person with their roles."""
    return _person(get_person(session, actor=viewer, user_id=user_id))


@router.post("/users/{user_id}/memberships", status_code=201)
def create_membership_api(
    user_id: int, body: MembershipFields, session: SessionDep, viewer: Admin
) -> PersonPublic:
    """Give a person another role."""
    add_membership(session, actor=viewer, user_id=user_id, fields=body)
    return _person(get_person(session, actor=viewer, user_id=user_id))


@router.delete("/users/{user_id}/memberships/{membership_id}", status_code=204)
def delete_membership_api(
    user_id: int, membership_id: int, session: SessionDep, viewer: Admin
) -> Response:
    """Take a role away."""
    remove_membership(session, actor=viewer, user_id=user_id, membership_id=membership_id)
    return Response(status_code=204)


@router.post("/users/{user_id}/link")
def create_link_api(
    user_id: int, request: Request, tasks: BackgroundTasks, session: SessionDep, viewer: Admin
) -> LinkPublic:
    """A new one-time link (a reset): the old password and every session end."""
    path = issue_link(session, actor=viewer, user_id=user_id)
    return _link(request, tasks, get_person(session, actor=viewer, user_id=user_id), path)


@router.post("/users/{user_id}/deactivate")
def deactivate_user_api(user_id: int, session: SessionDep, viewer: Admin) -> PersonPublic:
    """Deactivate a leaver: sessions end, sign-in is refused, history stays."""
    set_active(session, actor=viewer, user_id=user_id, active=False)
    return _person(get_person(session, actor=viewer, user_id=user_id))


@router.post("/users/{user_id}/reactivate")
def reactivate_user_api(user_id: int, session: SessionDep, viewer: Admin) -> PersonPublic:
    """Let a deactivated person sign in again."""
    set_active(session, actor=viewer, user_id=user_id, active=True)
    return _person(get_person(session, actor=viewer, user_id=user_id))


@router.post("/users/{user_id}/unlock")
def unlock_user_api(user_id: int, session: SessionDep, viewer: Admin) -> PersonPublic:
    """Let a person locked out after failed sign-ins try again now."""
    unlock(session, actor=viewer, user_id=user_id)
    return _person(get_person(session, actor=viewer, user_id=user_id))


@router.post("/import", response_model=ImportPublic)
def create_import_api(
    file: UploadFile, request: Request, tasks: BackgroundTasks, session: SessionDep, viewer: Admin
) -> Response | ImportPublic:
    """Import a staff CSV (`email,name,role,scope`): every row or none; 422 lists each problem."""
    try:
        result = import_staff(session, actor=viewer, data=file.file.read(6_000_000))
    except ImportRefused as exc:
        return JSONResponse({"detail": str(exc), "problems": exc.problems}, status_code=422)
    if mail_configured() and result.invited:
        tasks.add_task(
            send_invitations,
            [(link.email, link.name, link.path) for link in result.invited],
            base_url=str(request.base_url),
            language=current_language(),
        )
    return ImportPublic(
        invited=[{"email": i.email, "name": i.name, "path": i.path} for i in result.invited],
        roles_added=result.roles_added,
        unchanged=result.unchanged,
    )
