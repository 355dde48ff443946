"""The admin service: numbers, scope rules, invitations, account life and the audit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from sqlmodel import Session, select

from app.admin.account import InvitationInvalid, PasswordRefused, accept_invitation
from app.admin.directory import AdminError, AdminNotFound
from app.admin.forms import (
    MembershipFields,
    NewPassword,
    OrganisationDetails,
    OrganisationFields,
    PersonFields,
    TeamFields,
)
from app.admin.identifiers import org_number_problem
from app.admin.people import (
    add_membership,
    invite_person,
    issue_link,
    list_people,
    remove_membership,
    set_active,
    unlock,
)
from app.admin.service import create_organisation, create_team, managed_tree, update_organisation
from app.audit.models import AuditEntry
from app.core.db import utcnow
from app.demo.network import NETWORKS
from app.org.models import Membership, User, UserSession
from app.org.scope import resolve_viewer
from app.org.service import SignInError, sign_in, user_for_token
from tests.factories import PASSWORD, make_network, make_organisation, make_team, make_user

STRONG = "lange ord på rad 2026"


def _with(model, changes):  # type: ignore[no-untyped-def]
    """A copy of a form model with some fields changed, validated again."""
    return type(model)(**{**model.model_dump(), **changes})


@pytest.mark.parametrize("number", ["942110464", "983974899", "921011938", "921190298"])
def test_valid_org_numbers_pass(number: str) -> None:
    assert org_number_problem(number) is None


@pytest.mark.parametrize(
    "number", ["921011926", "921190294", "12345678", "94211046a", "9421104640"]
)
def test_wrong_org_numbers_are_refused(number: str) -> None:
    assert org_number_problem(number)


def test_every_demo_organisation_number_passes_the_check() -> None:
    numbers = [o.org_number for n in NETWORKS for o in n.organisations]
    assert len(numbers) == 15
    assert [n for n in numbers if org_number_problem(n)] == []


def test_organisation_fields_refuse_a_wrong_check_digit() -> None:
    with pytest.raises(ValueError, match="wrong check digit"):
        OrganisationFields(
            slug="orkland",
            name="Orkland",
            network="midt",
            kind="municipality",
            org_number="921011926",
        )
    with pytest.raises(ValueError, match="4 digits"):
        OrganisationDetails(name="Orkland", municipality_number="50590")


def _admins(db: Session):  # type: ignore[no-untyped-def]
    network, other_network = make_network(db), make_network(db)
    org, sibling = make_organisation(db, network), make_organisation(db, network)
    far = make_organisation(db, other_network)
    team, sibling_team, far_team = make_team(db, org), make_team(db, sibling), make_team(db, far)
    network_admin = resolve_viewer(db, make_user(db, role="admin", network=network))
    org_admin = resolve_viewer(db, make_user(db, role="admin", organisation=org))
    return (
        network,
        other_network,
        org,
        sibling,
        team,
        sibling_team,
        far_team,
        network_admin,
        org_admin,
    )


def test_network_admin_adds_organisations_only_to_their_network(db: Session) -> None:
    network, other, *_rest, network_admin, org_admin = _admins(db)
    fields = OrganisationFields(
        slug="new-org",
        name="Ny kommune",
        network=network.slug,
        kind="municipality",
        org_number="921011938",
        municipality_number="5059",
    )
    created = create_organisation(db, actor=network_admin, fields=fields)
    assert created.org_number == "921011938" and created.municipality_number == "5059"
    with pytest.raises(AdminNotFound):
        create_organisation(
            db,
            actor=network_admin,
            fields=_with(fields, {"slug": "x", "network": other.slug}),
        )
    with pytest.raises(AdminNotFound):  # an organisation's admin cannot add organisations
        create_organisation(db, actor=org_admin, fields=_with(fields, {"slug": "y"}))
    with pytest.raises(AdminError, match="already taken"):
        create_organisation(db, actor=network_admin, fields=fields)


def test_org_admin_manages_only_their_own_organisation(db: Session) -> None:
    _n, _o, org, sibling, team, sibling_team, _far, _na, org_admin = _admins(db)
    create_team(
        db, actor=org_admin, fields=TeamFields(slug="ward-7", name="Post 7", organisation=org.slug)
    )
    with pytest.raises(AdminNotFound):
        create_team(
            db, actor=org_admin, fields=TeamFields(slug="w8", name="W", organisation=sibling.slug)
        )
    with pytest.raises(AdminNotFound):
        update_organisation(
            db,
            actor=org_admin,
            organisation_id=int(sibling.id or 0),
            fields=OrganisationDetails(name="Renamed"),
        )
    tree = managed_tree(db, actor=org_admin)
    assert [o.organisation.slug for n in tree for o in n.organisations] == [org.slug]
    assert not tree[0].manageable  # the network itself is not theirs
    make_user(db, role="nurse", team=sibling_team, email="sib@example.no")
    make_user(db, role="nurse", team=team, email="own@example.no")
    emails = {p.user.email for p in list_people(db, actor=org_admin)}
    assert "own@example.no" in emails and "sib@example.no" not in emails


def test_nobody_gives_a_role_wider_than_their_own(db: Session) -> None:
    network, _o, org, sibling, team, _st, far_team, _na, org_admin = _admins(db)
    person = PersonFields(
        email="a@example.no", name="A", role="admin", scope=f"network:{network.slug}"
    )
    with pytest.raises(AdminError, match="wider"):
        invite_person(db, actor=org_admin, fields=person)
    with pytest.raises(AdminError, match="wider"):
        invite_person(
            db,
            actor=org_admin,
            fields=_with(person, {"scope": f"organisation:{sibling.slug}"}),
        )
    with pytest.raises(AdminError, match="wider"):
        invite_person(
            db,
            actor=org_admin,
            fields=_with(person, {"scope": f"team:{far_team.slug}", "role": "nurse"}),
        )
    invited = invite_person(
        db, actor=org_admin, fields=_with(person, {"scope": f"organisation:{org.slug}"})
    )
    assert invited.path.startswith("/welcome/")


@pytest.mark.parametrize(
    ("role", "scope", "message"),
    [
        ("nurse", "organisation", "not on a organisation"),
        ("admin", "team", "not on a team"),
        ("coordinator", "team", "not on a team"),
    ],
)
def test_a_role_on_the_wrong_kind_of_scope_is_refused(db: Session, role, scope, message) -> None:  # type: ignore[no-untyped-def]
    team = make_team(db)
    slugs = {"team": team.slug, "organisation": make_organisation(db).slug}
    fields = PersonFields(
        email="w@example.no", name="W", role=role, scope=f"{scope}:{slugs[scope]}"
    )
    with pytest.raises(AdminError, match=message):
        invite_person(db, actor=None, fields=fields)


def test_duplicates_and_unknown_slugs_are_refused_and_nothing_is_half_saved(db: Session) -> None:
    team = make_team(db)
    fields = PersonFields(
        email="Kari@Example.no", name="Kari", role="nurse", scope=f"team:{team.slug}"
    )
    invited = invite_person(db, actor=None, fields=fields)
    assert invited.user.email == "kari@example.no"
    with pytest.raises(AdminError, match="already a user"):
        invite_person(db, actor=None, fields=fields)
    with pytest.raises(AdminError, match="already has the role"):
        add_membership(
            db,
            actor=None,
            user_id=int(invited.user.id or 0),
            fields=MembershipFields(role="team", scope=f"team:{team.slug}"),
        )
    with pytest.raises(AdminNotFound, match="no team 'nope'"):
        invite_person(
            db,
            actor=None,
            fields=_with(fields, {"email": "n@example.no", "scope": "team:nope"}),
        )
    assert db.exec(select(User).where(User.email == "n@example.no")).first() is None


def test_invitation_link_works_once_and_expires_after_72_hours(db: Session) -> None:
    team = make_team(db)
    invited = invite_person(
        db,
        actor=None,
        fields=PersonFields(
            email="n1@example.no", name="N", role="nurse", scope=f"team:{team.slug}"
        ),
    )
    token = invited.path.removeprefix("/welcome/")
    stored = db.exec(select(AuditEntry).where(AuditEntry.what.contains("n1@example.no"))).all()  # type: ignore[attr-defined]
    assert stored and token not in " ".join(e.detail or "" for e in stored)
    with pytest.raises(SignInError):
        sign_in(db, email="n1@example.no", password="")
    with pytest.raises(PasswordRefused, match="at least 12"):
        accept_invitation(db, token=token, fields=NewPassword(password="short", repeat="short"))
    with pytest.raises(PasswordRefused, match="e-mail"):
        accept_invitation(
            db,
            token=token,
            fields=NewPassword(password="n1@example.no-123", repeat="n1@example.no-123"),
        )
    with pytest.raises(PasswordRefused, match="not the same"):
        accept_invitation(db, token=token, fields=NewPassword(password=STRONG, repeat=STRONG + "x"))
    accept_invitation(db, token=token, fields=NewPassword(password=STRONG, repeat=STRONG))
    assert sign_in(db, email="n1@example.no", password=STRONG).user.id == invited.user.id
    with pytest.raises(InvitationInvalid, match="already been used"):
        accept_invitation(db, token=token, fields=NewPassword(password=STRONG, repeat=STRONG))
    later = issue_link(db, actor=None, user_id=int(invited.user.id or 0)).removeprefix("/welcome/")
    with time_machine.travel(utcnow() + timedelta(hours=72, seconds=1)):
        with pytest.raises(InvitationInvalid, match="expired"):
            accept_invitation(db, token=later, fields=NewPassword(password=STRONG, repeat=STRONG))
    with pytest.raises(InvitationInvalid, match="not valid"):
        accept_invitation(db, token="made-up", fields=NewPassword(password=STRONG, repeat=STRONG))


def test_reset_ends_sessions_and_the_old_password_and_the_older_link(db: Session) -> None:
    team = make_team(db)
    user = make_user(db, role="nurse", team=team)
    first = issue_link(db, actor=None, user_id=int(user.id or 0)).removeprefix("/welcome/")
    signed = None
    with pytest.raises(SignInError):  # the reset ended the old password
        signed = sign_in(db, email=user.email, password=PASSWORD)
    assert signed is None
    second = issue_link(db, actor=None, user_id=int(user.id or 0)).removeprefix("/welcome/")
    with pytest.raises(InvitationInvalid):
        accept_invitation(db, token=first, fields=NewPassword(password=STRONG, repeat=STRONG))
    accept_invitation(db, token=second, fields=NewPassword(password=STRONG, repeat=STRONG))
    session = sign_in(db, email=user.email, password=STRONG)
    issue_link(db, actor=None, user_id=int(user.id or 0))
    assert db.exec(select(UserSession).where(UserSession.user_id == user.id)).first() is None
    assert user_for_token(db, token=session.token) is None


def test_deactivated_user_loses_sessions_and_sign_in_keeps_history_and_returns(db: Session) -> None:
    network = make_network(db)
    team = make_team(db, make_organisation(db, network))
    admin = resolve_viewer(db, make_user(db, role="admin", network=network))
    nurse = make_user(db, role="nurse", team=team)
    signed = sign_in(db, email=nurse.email, password=PASSWORD)
    set_active(db, actor=admin, user_id=int(nurse.id or 0), active=False)
    assert user_for_token(db, token=signed.token) is None
    with pytest.raises(SignInError):
        sign_in(db, email=nurse.email, password=PASSWORD)
    assert db.get(User, nurse.id) is not None
    assert db.exec(select(Membership).where(Membership.user_id == nurse.id)).first() is not None
    set_active(db, actor=admin, user_id=int(nurse.id or 0), active=True)
    assert sign_in(db, email=nurse.email, password=PASSWORD).user.id == nurse.id


def test_the_last_active_admin_of_a_network_stays(db: Session) -> None:
    network = make_network(db)
    only = make_user(db, role="admin", network=network)
    with pytest.raises(AdminError, match="last active administrator"):
        set_active(db, actor=None, user_id=int(only.id or 0), active=False)
    membership = db.exec(select(Membership).where(Membership.user_id == only.id)).one()
    with pytest.raises(AdminError, match="last active administrator"):
        remove_membership(
            db, actor=None, user_id=int(only.id or 0), membership_id=int(membership.id or 0)
        )
    second = make_user(db, role="admin", network=network)
    set_active(db, actor=None, user_id=int(only.id or 0), active=False)
    with pytest.raises(AdminError, match="last active administrator"):
        set_active(db, actor=None, user_id=int(second.id or 0), active=False)


def test_an_org_admin_cannot_deactivate_someone_who_also_works_elsewhere(db: Session) -> None:
    org, other = make_organisation(db), make_organisation(db)
    team, other_team = make_team(db, org), make_team(db, other)
    org_admin = resolve_viewer(db, make_user(db, role="admin", organisation=org))
    both = make_user(db, role="nurse", team=team)
    db.add(
        Membership(
            user_id=int(both.id or 0), role="nurse", scope_kind="team", team_id=other_team.id
        )
    )
    db.flush()
    with pytest.raises(AdminError, match="outside what you administer"):
        set_active(db, actor=org_admin, user_id=int(both.id or 0), active=False)


def test_unlock_clears_the_lockout(db: Session) -> None:
    user = make_user(
        db,
        role="nurse",
        team=make_team(db),
        failed_sign_ins=3,
        locked_until=utcnow() + timedelta(minutes=10),
    )
    unlock(db, actor=None, user_id=int(user.id or 0))
    assert user.locked_until is None and user.failed_sign_ins == 0
    assert sign_in(db, email=user.email, password=PASSWORD).user.id == user.id


def test_every_change_is_audited_with_before_and_after(db: Session) -> None:
    network = make_network(db)
    org = make_organisation(db, network, org_number=None)
    admin = resolve_viewer(db, make_user(db, role="admin", network=network))
    old_name = org.name
    update_organisation(
        db,
        actor=admin,
        organisation_id=int(org.id or 0),
        fields=OrganisationDetails(name="Nytt navn", org_number="921011938"),
    )
    entry = db.exec(
        select(AuditEntry).where(AuditEntry.what == f"admin: organisation {org.slug}")
    ).one()
    detail = json.loads(entry.detail or "")
    assert entry.user_id == admin.user_id and entry.action == "update"
    assert detail["before"]["name"] == old_name and detail["before"]["org_number"] is None
    assert detail["after"]["name"] == "Nytt navn" and detail["after"]["org_number"] == "921011938"
