"""Sign-in, sessions and sign-in limits; the rules behind the sign-in page and the API alike.

Limits: each account (and each unknown e-mail address, counted the same way) may fail
``FAILURES_BEFORE_WAIT`` times; then it waits one minute, and the wait doubles with every
further failure up to ``LONGEST_WAIT``. During a wait every attempt, even with the right
password, gets the same answer. Every attempt, known account or not, locked or not, costs one
argon2 verification, so neither the answer nor its time tells whether an account exists.
The address limit (``app.org.throttle``) sits far above what a municipality's shared address
sees in normal use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
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
from app.core.templating import local_duration
from app.org.models import SignInFailure, User, UserSession
from app.org.throttle import address_wait, count_failed_sign_in

FAILURES_BEFORE_WAIT = 5
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(minutes=15)
# A wait that ended this long ago is history: counting starts afresh.
FAILURES_FORGOTTEN_AFTER = timedelta(hours=24)
SEEN_REFRESH = timedelta(seconds=60)
# Verifying against a real hash when the e-mail is unknown keeps the timing the same.
_DUMMY_HASH = hash_password("not-a-real-password-for-timing")


class SignInError(Exception):
    """Sign-in refused; the message is safe to show (it never says which part was wrong).

    ``retry_after`` is set when the refusal is a wait (HTTP 429 with ``Retry-After``).
    """

    def __init__(self, message: str, *, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        """HTTP headers for the refusal: ``Retry-After`` in whole seconds when it is a wait."""
        if self.retry_after is None:
            return {}
        return {"Retry-After": str(math.ceil(self.retry_after.total_seconds()))}


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


def wait_after(failures: int) -> timedelta | None:
    """How long an account waits after this many failures in a row (None: no wait)."""
    if failures < FAILURES_BEFORE_WAIT:
        return None
    doublings = min(failures - FAILURES_BEFORE_WAIT, 16)
    return min(FIRST_WAIT * 2**doublings, LONGEST_WAIT)


def _wait_refusal(wait: timedelta) -> SignInError:
    """The one answer for every wait, an account's or an address's, in the user's language."""
    message = _("Too many failed sign-ins. Try again in {duration}.").format(
        duration=local_duration(wait)
    )
    return SignInError(message, retry_after=wait)


def _failure_record(session: Session, *, user: User | None, email: str) -> User | SignInFailure:
    """Where failures of this e-mail address are counted: its account, or a row of its own."""
    if user is not None:
        return user
    digest = token_digest(normalise_email(email))
    row = session.exec(select(SignInFailure).where(SignInFailure.email_digest == digest)).first()
    return row or SignInFailure(email_digest=digest)


def _count_failure(session: Session, counted: User | SignInFailure, *, now: datetime) -> None:
    """Add one failure and start a wait when there have been too many."""
    if counted.locked_until is not None and counted.locked_until + FAILURES_FORGOTTEN_AFTER <= now:
        counted.failed_sign_ins = 0
    counted.failed_sign_ins += 1
    wait = wait_after(counted.failed_sign_ins)
    counted.locked_until = now + wait if wait else counted.locked_until
    if isinstance(counted, SignInFailure) and counted.id is None:
        try:
            with session.begin_nested():
                session.add(counted)
        except IntegrityError:
            # The same unknown address failed at the same moment in another request; that
            # one counted, as concurrent failures of one account may also count once.
            return
    else:
        session.add(counted)
    session.flush()


def _remaining_wait(counted: User | SignInFailure, *, now: datetime) -> timedelta | None:
    """How long until this account may try again (None: it may try now)."""
    if counted.locked_until is None or counted.locked_until <= now:
        return None
    return counted.locked_until - now


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    ip_address: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> SignedIn:
    """Check the password within the limits, count failures, and open a session."""
    now = now or utcnow()
    address_limit = address_wait(address=ip_address)
    if address_limit is not None:
        raise _wait_refusal(address_limit)
    user = get_user_by_email(session, email=email)
    counted = _failure_record(session, user=user, email=email)
    # One argon2 verification on every path, so that the time tells nothing either.
    password_matches = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    waiting = _remaining_wait(counted, now=now) is not None
    if user is not None and user.is_active and password_matches and not waiting:
        return _open_session(
            session,
            user=user,
            password=password,
            ip_address=ip_address,
            user_agent=user_agent,
            now=now,
        )
    if not waiting:
        _count_failure(session, counted, now=now)
    wait = _remaining_wait(counted, now=now)
    count_failed_sign_in(address=ip_address)
    record(
        session,
        viewer=None,
        action=AuditAction.sign_in_failed,
        what="sign-in",
        ip_address=ip_address,
        user_email=normalise_email(email)[:254],
    )
    raise _wait_refusal(wait) if wait else SignInError(_("Wrong e-mail address or password."))


def _open_session(
    session: Session,
    *,
    user: User,
    password: str,
    ip_address: str | None,
    user_agent: str | None,
    now: datetime,
) -> SignedIn:
    """Clear the failures, open a session and audit the sign-in."""
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


def unlock_account(session: Session, *, user_id: int) -> None:
    """Forget an account's failed sign-ins and end its wait (for administrators)."""
    user = session.get(User, user_id)
    if user is None:
        return
    user.failed_sign_ins = 0
    user.locked_until = None
    session.add(user)
    session.flush()


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
