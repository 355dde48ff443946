"""Invitation e-mails over SMTP (HPH_SMTP_URL); without it the admin copies the link."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from app.core.config import get_settings
from app.core.i18n import gettext_in

logger = logging.getLogger("hph.mail")


def mail_configured() -> bool:
    """Whether invitations are e-mailed."""
    return bool(get_settings().smtp_url)


def _connect(url: str) -> smtplib.SMTP:
    """Open the SMTP connection an URL names (plain, STARTTLS or SSL; optional login)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port or 465, timeout=20)
    else:
        client = smtplib.SMTP(host, port or 25, timeout=20)
        if parts.scheme == "smtp+starttls":
            client.starttls()
    if parts.username:
        client.login(unquote(parts.username), unquote(parts.password or ""))
    return client


def invitation_message(*, to: str, name: str, link: str, language: str) -> EmailMessage:
    """The e-mail with a person's one-time link (it holds no patient data)."""
    message = EmailMessage()
    message["From"] = get_settings().smtp_from
    message["To"] = to
    message["Subject"] = gettext_in(language, "Your access to HPH Tracker")
    body = gettext_in(
        language,
        "Hello {name},\n\nOpen this link to choose your password for HPH Tracker. It works once "
        "and expires after 72 hours:\n\n{link}\n",
    )
    message.set_content(body.format(name=name, link=link))
    return message


def send_invitations(
    invitations: list[tuple[str, str, str]], *, base_url: str, language: str
) -> int:
    """E-mail each (address, name, path) its link; returns how many went (failures are logged)."""
    url = get_settings().smtp_url
    if not url or not invitations:
        return 0
    sent = 0
    try:
        with _connect(url) as client:
            for to, name, path in invitations:
                link = base_url.rstrip("/") + path
                client.send_message(
                    invitation_message(to=to, name=name, link=link, language=language)
                )
                sent += 1
    except (OSError, smtplib.SMTPException) as exc:
        logger.error("invitation e-mail failed after %d of %d: %s", sent, len(invitations), exc)
    return sent
