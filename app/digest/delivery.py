"""Sending a week's digests: per team, per recipient's language, each person at most once."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from app.core.i18n import current_language, set_language
from app.digest.email import digest_message
from app.digest.recipients import (
    Recipient,
    already_sent,
    record_sent,
    team_names,
    team_recipients,
)
from app.digest.service import Digest, DigestWeek, team_digest
from app.org.models import User
from app.org.scope import resolve_viewer

logger = logging.getLogger("hph.digest")


@dataclass
class TeamDelivery:
    """One team's digest of a week: to whom it goes, who already had it, and what it says."""

    team_id: int
    team_name: str
    due: list[Recipient]
    done_before: int
    digests: dict[str, Digest] = field(default_factory=dict)  # by language
    sent: int = 0
    failed: int = 0


def week_plan(session: Session, *, week: DigestWeek) -> list[TeamDelivery]:
    """Every team with digest recipients, and who of them has not had this week's yet."""
    recipients = team_recipients(session)
    names = team_names(session, list(recipients))
    plan = []
    for team_id in sorted(recipients, key=lambda t: (names.get(t, ""), t)):
        had = already_sent(session, team_id=team_id, week=week)
        due = [r for r in recipients[team_id] if r.user_id not in had]
        plan.append(TeamDelivery(team_id, names.get(team_id, ""), due, len(had)))
    return plan


def compute_digests(
    session: Session, *, delivery: TeamDelivery, week: DigestWeek, now: datetime
) -> None:
    """Compute the team's digest once per language its recipients read, as one of them sees it."""
    before = current_language()
    try:
        for recipient in delivery.due:
            if recipient.language in delivery.digests:
                continue
            user = session.get(User, recipient.user_id)
            if user is None:
                continue
            set_language(recipient.language)
            viewer = resolve_viewer(session, user)
            delivery.digests[recipient.language] = team_digest(
                session, viewer=viewer, team_id=delivery.team_id, week=week, now=now
            )
    finally:
        set_language(before)


def send_team(
    session: Session,
    *,
    delivery: TeamDelivery,
    week: DigestWeek,
    base_url: str,
    client: smtplib.SMTP,
    on_sent: Callable[[Recipient], None] | None = None,
) -> None:
    """E-mail the team's digest to each due recipient and record each one that went."""
    before = current_language()
    try:
        for recipient in delivery.due:
            digest = delivery.digests.get(recipient.language)
            if digest is None:
                continue
            set_language(recipient.language)
            message = digest_message(digest, recipient=recipient, base_url=base_url)
            try:
                client.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                logger.error("digest to user %d refused: %s", recipient.user_id, exc)
                delivery.failed += 1
                continue
            record_sent(session, team_id=delivery.team_id, week=week, user_id=recipient.user_id)
            delivery.sent += 1
            if on_sent is not None:
                on_sent(recipient)
    finally:
        set_language(before)


def deliver_week(
    session: Session,
    *,
    plan: list[TeamDelivery],
    week: DigestWeek,
    now: datetime,
    base_url: str,
    connect: Callable[[], smtplib.SMTP] | None,
    commit: Callable[[], None],
) -> Iterator[TeamDelivery]:
    """Compute and (unless ``connect`` is None: a dry run) send the planned digests of a week.

    Yields each team once it is done, for a progress bar; ``commit`` runs after each e-mail
    that went, so a rerun after a failure (even half-way through a team) sends only what had
    not gone.
    """
    client: smtplib.SMTP | None = None
    try:
        for delivery in plan:
            if delivery.due:
                compute_digests(session, delivery=delivery, week=week, now=now)
            if delivery.due and connect is not None:
                client = client or connect()
                send_team(
                    session, delivery=delivery, week=week, base_url=base_url, client=client,
                    on_sent=lambda _recipient: commit(),
                )  # fmt: skip
            yield delivery
    finally:
        if client is not None:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                logger.warning("the mail server did not say goodbye")
