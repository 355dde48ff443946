"""One-time sign-in links and passwords: nobody but its owner ever knows a password."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from app.admin.changes import audit_change
from app.admin.directory import AdminError
from app.admin.forms import NewPassword, PasswordChange
from app.admin.models import Invitation
from app.audit.models import AuditAction
from app.core.db import utcnow
from app.core.i18n import _
from app.core.security import hash_password, password_problems, token_digest, verify_password
from app.org.models import User, UserSession
from app.org.scope import Viewer

INVITATION_LIFETIME = timedelta(hours=72)
NO_PASSWORD = ""  # an invited person has not chosen one yet; no hash ever matches it


class InvitationInvalid(AdminError):
    """The link is unknown, used or expired; the message says what to do (404 or 410)."""


@dataclass(frozen=True)
class IssuedLink:
    """A fresh link: the invitation row (not yet added) and the path to give the person."""

    invitation: Invitation
    path: str


def issue_invitation(
    *, user_id: int, actor: Viewer | None, now: datetime | None = None
) -> IssuedLink:
    """A new random token; only its sha256 is stored (argon2 is not needed for 256 random bits)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        user_id=user_id,
        token_hash=token_digest(token),
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
        created_by_user_id=actor.user_id if actor else None,
    )
    return IssuedLink(invitation, f"/welcome/{token}")


def withdraw_invitations(session: Session, *, user_id: int) -> None:
    """Make every unused link of a user worthless (a new one replaces them)."""
    session.exec(  # type: ignore[call-overload]
        delete(Invitation)
        .where(col(Invitation.user_id) == user_id)
        .where(col(Invitation.used_at).is_(None))
    )


def end_sessions(session: Session, *, user_id: int) -> None:
    """End every session of a user: their next request goes to the sign-in page."""
    session.exec(delete(UserSession).where(col(UserSession.user_id) == user_id))  # type: ignore[call-overload]


def open_invitation(
    session: Session, *, token: str, now: datetime | None = None
) -> tuple[Invitation, User]:
    """The invitation behind a link and its person, or why the link cannot be used."""
    now = now or utcnow()
    invitation = session.exec(
        select(Invitation).where(Invitation.token_hash == token_digest(token))
    ).first()
    user = session.get(User, invitation.user_id) if invitation else None
    if invitation is None or user is None:
        raise InvitationInvalid(_("This link is not valid. Ask your administrator for a new one."))
    if invitation.used_at is not None:
        raise InvitationInvalid(
            _("This link has already been used. Sign in, or ask your administrator for a new one.")
        )
    if invitation.expires_at <= now:
        raise InvitationInvalid(_("This link has expired. Ask your administrator for a new one."))
    if not user.is_active:
        raise InvitationInvalid(_("This account is deactivated. Ask your administrator."))
    return invitation, user


def _password_errors(fields: NewPassword, *, email: str) -> dict[str, str]:
    """What is wrong with a chosen password, per field."""
    problems = password_problems(fields.password, email=email)
    if problems:
        return {"password": " ".join(problems)}
    if fields.password != fields.repeat:
        return {"repeat": _("The two passwords are not the same.")}
    return {}


class PasswordRefused(AdminError):
    """A new password was refused; `errors` holds a message per field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def accept_invitation(session: Session, *, token: str, fields: NewPassword) -> User:
    """Set the password the person chose and use the link up."""
    now = utcnow()
    invitation, user = open_invitation(session, token=token, now=now)
    if errors := _password_errors(fields, email=user.email):
        raise PasswordRefused(errors)
    user.password_hash = hash_password(fields.password)
    user.failed_sign_ins = 0
    user.locked_until = None
    invitation.used_at = now
    session.add_all([user, invitation])
    audit_change(
        session,
        actor=None,
        action=AuditAction.update,
        what=f"user {user.email} chose a password",
        before={"joined": False},
        after={"joined": True},
        by=user.email,
    )
    session.flush()
    return user


def change_password(session: Session, *, viewer: Viewer, fields: PasswordChange) -> None:
    """Change one's own password; the current one is required."""
    user = session.get(User, viewer.user_id)
    if user is None:
        raise AdminError(_("Sign in to continue."))
    if not verify_password(user.password_hash, fields.current):
        raise PasswordRefused({"current": _("The current password is not right.")})
    if errors := _password_errors(fields, email=user.email):
        raise PasswordRefused(errors)
    user.password_hash = hash_password(fields.password)
    session.add(user)
    audit_change(
        session,
        actor=viewer,
        action=AuditAction.update,
        what=f"user {user.email} changed their password",
        before=None,
        after=None,
    )
    session.flush()
