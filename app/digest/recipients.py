"""Who gets a team's digest, who turned it off, and which digests have gone out.

Recipients are the team's improvement team: active users with the ``team`` role on the team
itself. They review its charts weekly and mark the tested changes the digest reports
(DESIGN.md §1). Nurses are left out: their work list is "My day", which already shows what
is overdue, and a weekly mail about run charts would be noise in their day. Roles granted
over a whole organisation or network are left out too, so nobody gets a mail per team.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.core.config import get_settings
from app.digest.models import DigestDelivery, DigestOptOut
from app.digest.service import DigestWeek
from app.org.models import Membership, Role, ScopeKind, Team, User
from app.org.scope import Viewer

TOKEN_SALT = "hph-digest-unsubscribe"


@dataclass(frozen=True)
class Recipient:
    """A person a team's digest goes to."""

    user_id: int
    email: str
    name: str
    language: str


def digest_enabled(session: Session, *, user_id: int) -> bool:
    """Whether the user gets the weekly digest by e-mail."""
    return session.get(DigestOptOut, user_id) is None


def set_digest_enabled(
    session: Session, *, user_id: int, enabled: bool, viewer: Viewer | None = None
) -> bool:
    """Turn a user's weekly digest on or off (audited); returns whether it changed."""
    stored = session.get(DigestOptOut, user_id)
    if enabled == (stored is None):
        return False
    if enabled and stored is not None:
        session.delete(stored)
    else:
        session.add(DigestOptOut(user_id=user_id))
    user = session.get(User, user_id)
    record(
        session,
        viewer=viewer,
        action=AuditAction.update,
        what=f"weekly digest turned {'on' if enabled else 'off'} for user {user_id}",
        user_email=user.email if user and viewer is None else None,
    )
    session.flush()
    return True


def unsubscribe_token(user_id: int) -> str:
    """A signed token that turns one user's digest off, without signing in."""
    secret = get_settings().resolved_secret_key()
    return str(URLSafeSerializer(secret, salt=TOKEN_SALT).dumps(user_id))


def user_of_token(token: str) -> int | None:
    """The user an unsubscribe token was made for, or None when it is not genuine."""
    secret = get_settings().resolved_secret_key()
    try:
        user_id = URLSafeSerializer(secret, salt=TOKEN_SALT).loads(token)
    except BadSignature:
        return None
    return user_id if isinstance(user_id, int) else None


def team_recipients(
    session: Session, *, team_ids: Sequence[int] | None = None
) -> dict[int, list[Recipient]]:
    """Team id → the active members of its improvement team who get the digest, by e-mail."""
    query = (
        select(col(Membership.team_id), User)
        .join(User, col(User.id) == col(Membership.user_id))
        .where(col(Membership.role) == Role.team.value)
        .where(col(Membership.scope_kind) == ScopeKind.team.value)
        .where(col(User.is_active).is_(True))
        .where(col(User.id).not_in(select(col(DigestOptOut.user_id))))
        .order_by(col(Membership.team_id), col(User.email))
    )
    if team_ids is not None:
        query = query.where(col(Membership.team_id).in_(list(team_ids)))
    found: dict[int, list[Recipient]] = {}
    for team_id, user in session.exec(query).all():
        found.setdefault(int(team_id or 0), []).append(
            Recipient(int(user.id or 0), user.email, user.display_name, user.language)
        )
    return found


def team_names(session: Session, team_ids: Sequence[int]) -> dict[int, str]:
    """Team id → name."""
    rows = session.exec(select(Team.id, Team.name).where(col(Team.id).in_(list(team_ids)))).all()
    return {int(team_id or 0): name for team_id, name in rows}


def already_sent(session: Session, *, team_id: int, week: DigestWeek) -> set[int]:
    """The users who have had this team's digest of this week."""
    rows = session.exec(
        select(DigestDelivery.user_id)
        .where(DigestDelivery.team_id == team_id)
        .where(DigestDelivery.week_start == week.start)
    ).all()
    return {int(user_id) for user_id in rows}


def record_sent(session: Session, *, team_id: int, week: DigestWeek, user_id: int) -> None:
    """Note that a team's digest of a week went to a user."""
    session.add(DigestDelivery(team_id=team_id, week_start=week.start, user_id=user_id))
    session.flush()
