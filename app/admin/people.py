"""People and their memberships: invite, add or remove a role, reset, deactivate, unlock."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, func, select

from app.admin.account import NO_PASSWORD, end_sessions, issue_invitation, withdraw_invitations
from app.admin.changes import audit_change
from app.admin.directory import (
    AdminError,
    AdminNotFound,
    Directory,
    Reach,
    ScopeRef,
    check_role_fits,
)
from app.admin.forms import MembershipFields, PersonFields
from app.audit.models import AuditAction
from app.core.db import utcnow
from app.core.i18n import _
from app.org.models import Membership, Role, ScopeKind, User
from app.org.scope import Viewer
from app.org.service import normalise_email, unlock_account


@dataclass
class Person:
    """A user with the memberships the actor may see."""

    user: User
    memberships: list[tuple[Membership, ScopeRef]] = field(default_factory=list)
    elsewhere: int = 0  # memberships outside what the actor administers

    @property
    def joined(self) -> bool:
        """Whether the person has chosen a password."""
        return self.user.password_hash != NO_PASSWORD

    @property
    def locked(self) -> bool:
        """Whether sign-in is locked after failed attempts."""
        return bool(self.user.locked_until and self.user.locked_until > utcnow())


@dataclass(frozen=True)
class Invited:
    """A person just invited and the link to give them."""

    user: User
    path: str


def user_by_email(session: Session, *, actor: Viewer | None, email: str) -> User:
    """The user with this e-mail address, when the actor may see them."""
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        raise AdminNotFound(
            _("There is no user with the e-mail address {email}.").format(email=email)
        )
    get_person(session, actor=actor, user_id=int(user.id or 0))
    return user


def _people(session: Session, actor: Viewer | None, user_ids: list[int] | None) -> list[Person]:
    """Users (all, or these) with their memberships sorted into seen and elsewhere."""
    reach, directory = Reach.of(actor), Directory(session)
    query = select(Membership)
    if user_ids is not None:
        query = query.where(col(Membership.user_id).in_(user_ids))
    people: dict[int, Person] = {}
    memberships = session.exec(query.order_by(col(Membership.id))).all()
    seen_ids = {m.user_id for m in memberships if reach.manages(directory.of_membership(m))}
    if reach.everything:
        seen_ids |= set(user_ids or session.exec(select(User.id)).all())  # type: ignore[arg-type]
    if not seen_ids:
        return []
    users = session.exec(select(User).where(col(User.id).in_(seen_ids))).all()
    for user in users:
        people[int(user.id or 0)] = Person(user)
    for membership in memberships:
        person = people.get(membership.user_id)
        if person is None:
            continue
        ref = directory.of_membership(membership)
        if reach.manages(ref):
            person.memberships.append((membership, ref))
        else:
            person.elsewhere += 1
    return sorted(people.values(), key=lambda p: (p.user.display_name.lower(), p.user.email))


def list_people(
    session: Session, *, actor: Viewer | None, scope: str | None = None
) -> list[Person]:
    """Everyone with a membership the actor administers, optionally only on one scope."""
    people = _people(session, actor, None)
    if not scope:
        return people
    ref = Directory(session).by_label(scope)
    if not Reach.of(actor).manages(ref):
        raise AdminNotFound(_("There is no {kind} '{slug}'.").format(kind=ref.kind, slug=ref.slug))
    return [p for p in people if any(_within(r, ref) for _m, r in p.memberships)]


def _within(inner: ScopeRef, outer: ScopeRef) -> bool:
    """Whether a scope lies inside (or is) another."""
    if outer.kind == ScopeKind.network.value:
        return inner.network_id == outer.id
    if outer.kind == ScopeKind.organisation.value:
        return inner.kind != ScopeKind.network.value and inner.organisation_id == outer.id
    return inner.kind == outer.kind and inner.id == outer.id


def get_person(session: Session, *, actor: Viewer | None, user_id: int) -> Person:
    """A user the actor may see (404 for anyone else)."""
    people = _people(session, actor, [user_id])
    if not people:
        raise AdminNotFound(_("The user was not found."))
    return people[0]


def _manageable(session: Session, actor: Viewer | None, user_id: int) -> Person:
    """A user whose every membership the actor administers (their account is theirs to run)."""
    person = get_person(session, actor=actor, user_id=user_id)
    if person.elsewhere:
        raise AdminError(
            _(
                "{name} also works outside what you administer; ask an administrator of the "
                "whole network."
            ).format(name=person.user.display_name)
        )
    return person


def _scope_for(session: Session, actor: Viewer | None, fields: MembershipFields) -> ScopeRef:
    """The scope of a new role, checked: it exists, fits the role, and is not wider than yours."""
    ref = Directory(session).by_label(fields.scope)
    check_role_fits(fields.role.value, ref)
    if not Reach.of(actor).manages(ref):
        raise AdminError(
            _("You cannot give a role on {scope}: it is wider than what you administer.").format(
                scope=ref.label
            )
        )
    return ref


def membership_for(user_id: int, role: str, ref: ScopeRef) -> Membership:
    """A membership row for a role on a scope."""
    membership = Membership(user_id=user_id, role=role, scope_kind=ref.kind)
    setattr(membership, f"{ref.kind}_id", ref.id)
    return membership


def _audit_membership(
    session: Session,
    actor: Viewer | None,
    action: AuditAction,
    user: User,
    role: str,
    ref: ScopeRef,
) -> None:
    """Audit a role given or taken away."""
    state = {"user": user.email, "role": role, "scope": ref.label}
    before, after = (None, state) if action == AuditAction.create else (state, None)
    audit_change(
        session,
        actor=actor,
        action=action,
        what=f"membership {user.email}",
        before=before,
        after=after,
    )


def invite_person(session: Session, *, actor: Viewer | None, fields: PersonFields) -> Invited:
    """Create a user with one membership and a one-time link to choose their password."""
    ref = _scope_for(session, actor, fields)
    if session.exec(select(User.id).where(User.email == fields.email)).first() is not None:
        raise AdminError(
            _("There is already a user with the e-mail address {email}.").format(email=fields.email)
        )
    user = User(email=fields.email, display_name=fields.name, password_hash=NO_PASSWORD)
    session.add(user)
    session.flush()
    session.add(membership_for(int(user.id or 0), fields.role.value, ref))
    link = issue_invitation(user_id=int(user.id or 0), actor=actor)
    session.add(link.invitation)
    audit_change(
        session,
        actor=actor,
        action=AuditAction.create,
        what=f"user {user.email}",
        before=None,
        after={"email": user.email, "name": user.display_name, "invited": True},
    )
    _audit_membership(session, actor, AuditAction.create, user, fields.role.value, ref)
    session.flush()
    return Invited(user, link.path)


def add_membership(
    session: Session, *, actor: Viewer | None, user_id: int, fields: MembershipFields
) -> Membership:
    """Give a user another role on a scope the actor administers."""
    person = get_person(session, actor=actor, user_id=user_id)
    ref = _scope_for(session, actor, fields)
    directory = Directory(session)
    for existing in session.exec(select(Membership).where(Membership.user_id == user_id)).all():
        if directory.of_membership(existing) == ref:
            raise AdminError(
                _("{name} already has the role {role} on {scope}.").format(
                    name=person.user.display_name, role=existing.role, scope=ref.label
                )
            )
    membership = membership_for(user_id, fields.role.value, ref)
    session.add(membership)
    _audit_membership(session, actor, AuditAction.create, person.user, fields.role.value, ref)
    session.flush()
    return membership


def _other_active_admins(session: Session, *, network_id: int, user_id: int) -> int:
    """How many other active users administer a network."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Membership)
            .join(User, col(User.id) == col(Membership.user_id))
            .where(Membership.network_id == network_id, Membership.role == Role.admin.value)
            .where(col(User.is_active), User.id != user_id)
        ).one()
    )


def _keep_a_network_admin(session: Session, person: Person, memberships: list[Membership]) -> None:
    """Refuse to leave a network without an active administrator."""
    for membership in memberships:
        if membership.role != Role.admin.value or membership.network_id is None:
            continue
        if not _other_active_admins(
            session, network_id=membership.network_id, user_id=int(person.user.id or 0)
        ):
            raise AdminError(
                _(
                    "{name} is the last active administrator of their network; make someone "
                    "else an administrator first."
                ).format(name=person.user.display_name)
            )


def remove_membership(
    session: Session, *, actor: Viewer | None, user_id: int, membership_id: int
) -> None:
    """Take a role away (the account and its history stay)."""
    person = get_person(session, actor=actor, user_id=user_id)
    found = [(m, r) for m, r in person.memberships if m.id == membership_id]
    if not found:
        raise AdminNotFound(_("The role was not found."))
    membership, ref = found[0]
    if person.user.is_active:
        _keep_a_network_admin(session, person, [membership])
    session.delete(membership)
    _audit_membership(session, actor, AuditAction.delete, person.user, membership.role, ref)
    session.flush()


def issue_link(session: Session, *, actor: Viewer | None, user_id: int) -> str:
    """A fresh one-time link; the old password and every session of the user end (a reset)."""
    user = _manageable(session, actor, user_id).user
    if not user.is_active:
        raise AdminError(_("Reactivate {name} first.").format(name=user.display_name))
    had_password = user.password_hash != NO_PASSWORD
    withdraw_invitations(session, user_id=user_id)
    end_sessions(session, user_id=user_id)
    user.password_hash = NO_PASSWORD
    session.add(user)
    link = issue_invitation(user_id=user_id, actor=actor)
    session.add(link.invitation)
    audit_change(
        session,
        actor=actor,
        action=AuditAction.update,
        what=f"user {user.email} new link",
        before={"joined": had_password},
        after={"joined": False, "link_expires": link.invitation.expires_at},
    )
    session.flush()
    return link.path


def set_active(session: Session, *, actor: Viewer | None, user_id: int, active: bool) -> User:
    """Deactivate a leaver (sessions end, sign-in refused, history kept) or reactivate."""
    person = _manageable(session, actor, user_id)
    user = person.user
    if user.is_active == active:
        return user
    if not active:
        if actor is not None and actor.user_id == user_id:
            raise AdminError(_("You cannot deactivate yourself."))
        _keep_a_network_admin(session, person, [m for m, _r in person.memberships])
        end_sessions(session, user_id=user_id)
        withdraw_invitations(session, user_id=user_id)
    user.is_active = active
    session.add(user)
    audit_change(
        session,
        actor=actor,
        action=AuditAction.update,
        what=f"user {user.email}",
        before={"active": not active},
        after={"active": active},
    )
    session.flush()
    return user


def reset_lockout(session: Session, *, user: User) -> None:
    """Clear the sign-in waits through the sign-in room, which owns them."""
    unlock_account(session, user_id=int(user.id or 0))


def unlock(session: Session, *, actor: Viewer | None, user_id: int) -> User:
    """Let a user who was locked out after failed sign-ins try again now."""
    user = _manageable(session, actor, user_id).user
    before = {"locked_until": user.locked_until, "failed_sign_ins": user.failed_sign_ins}
    reset_lockout(session, user=user)
    audit_change(
        session,
        actor=actor,
        action=AuditAction.update,
        what=f"user {user.email} unlocked",
        before=before,
        after={"locked_until": None, "failed_sign_ins": 0},
    )
    session.flush()
    return user
