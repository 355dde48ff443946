"""Sign-in, sessions and lockout; the rules behind the sign-in page and the API alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.i18n import _
from app.core.security import (
    hash_password,
    new_session_token,
    password_needs_rehash,
    token_digest,
    verify_password,
)
from app.org.models import User, UserSession

MAX_FAILED_SIGN_INS = 5
LOCKOUT = timedelta(minutes=15)
SEEN_REFRESH = timedelta(seconds=60)
# Verifying against a real hash when the e-mail is unknown keeps the timing the same.
_DUMMY_HASH = hash_password("not-a-real-password-for-timing")


class SignInError(Exception):
    """Sign-in refused; the message is safe to show (it never says which part was wrong)."""


@dataclass(frozen=True)
class SignedIn:
    """A fresh session: the user and the token for the cookie."""

    user: User
    token: str
    expires_at: datetime


def normalise_email(email: str) -> str:
    """E-mail addresses are compared trimmed and in lower case."""
    return email.strip().lower()


def get_user_by_email(session: Session, *, email: str) -> User | None:
    """Return the user with this e-mail address, if any."""
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    ip_address: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> SignedIn:
    """Check the password, count failures, lock after too many, and open a session."""
    now = now or utcnow()
    user = get_user_by_email(session, email=email)
    if user is None or not user.is_active:
        verify_password(_DUMMY_HASH, password)
        record(
            session,
            viewer=None,
            action=AuditAction.sign_in_failed,
            what="sign-in",
            ip_address=ip_address,
            user_email=normalise_email(email)[:254],
        )
        raise SignInError(_("Wrong e-mail address or password."))
    if user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise SignInError(
            _("Too many failed attempts. Try again in {minutes} minutes.").format(minutes=minutes)
        )
    if not verify_password(user.password_hash, password):
        user.failed_sign_ins += 1
        if user.failed_sign_ins >= MAX_FAILED_SIGN_INS:
            user.locked_until = now + LOCKOUT
            user.failed_sign_ins = 0
        session.add(user)
        record(
            session,
            viewer=None,
            action=AuditAction.sign_in_failed,
            what="sign-in",
            ip_address=ip_address,
            user_email=user.email,
        )
        raise SignInError(_("Wrong e-mail address or password."))
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_sign_ins = 0
    user.locked_until = None
    user.last_sign_in_at = now
    session.add(user)
    settings = get_settings()
    token = new_session_token()
    expires_at = now + timedelta(hours=settings.session_hours)
    session.add(
        UserSession(
            user_id=int(user.id or 0),
            token_hash=token_digest(token),
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
            ip_address=ip_address,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    record(
        session,
        viewer=None,
        action=AuditAction.sign_in,
        what="sign-in",
        ip_address=ip_address,
        user_email=user.email,
    )
    session.flush()
    return SignedIn(user=user, token=token, expires_at=expires_at)


def user_for_token(session: Session, *, token: str, now: datetime | None = None) -> User | None:
    """Return the user of a live session, refreshing its idle clock; None when expired."""
    now = now or utcnow()
    row = session.exec(
        select(UserSession).where(UserSession.token_hash == token_digest(token))
    ).first()
    if row is None:
        return None
    idle_limit = timedelta(minutes=get_settings().session_idle_minutes)
    if row.expires_at <= now or row.last_seen_at + idle_limit <= now:
        session.delete(row)
        session.flush()
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if now - row.last_seen_at > SEEN_REFRESH:
        row.last_seen_at = now
        session.add(row)
    return user


def sign_out(session: Session, *, token: str) -> None:
    """End the session behind this token (the cookie alone is never trusted afterwards)."""
    session.exec(delete(UserSession).where(col(UserSession.token_hash) == token_digest(token)))  # type: ignore[call-overload]


def purge_expired_sessions(session: Session, *, now: datetime | None = None) -> int:
    """Delete sessions past their absolute expiry; returns how many went."""
    now = now or utcnow()
    result = session.exec(delete(UserSession).where(col(UserSession.expires_at) <= now))  # type: ignore[call-overload]
    return int(result.rowcount or 0)
