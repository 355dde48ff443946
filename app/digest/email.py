"""The digest as an e-mail: the same figures as the page, a link to it, an unsubscribe link.

The mail holds aggregates, measure titles and the titles of tested changes only: never a
patient's label, reference or anything else about a patient.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from app.admin.mail import _connect, mail_configured
from app.core.config import get_settings
from app.core.i18n import _, current_language
from app.core.templating import templates
from app.digest.recipients import Recipient, unsubscribe_token
from app.digest.service import Digest


def digest_path(digest: Digest) -> str:
    """The app's page of this digest."""
    return f"/teams/{digest.team_id}/digest?week={digest.week.label}"


def unsubscribe_path(user_id: int) -> str:
    """The page that turns a user's digest off without signing in."""
    return f"/digest/unsubscribe/{unsubscribe_token(user_id)}"


def digest_message(digest: Digest, *, recipient: Recipient, base_url: str) -> EmailMessage:
    """The e-mail of a digest to one person, in the language the digest was computed in."""
    base = base_url.rstrip("/")
    context = {
        "digest": digest,
        "figures": digest.figures,
        "recipient": recipient,
        "link": base + digest_path(digest),
        "unsubscribe": base + unsubscribe_path(recipient.user_id),
        "account": base + "/account/password",
        "language": current_language(),
    }
    message = EmailMessage()
    message["From"] = get_settings().smtp_from
    message["To"] = recipient.email
    message["Subject"] = _("Weekly digest for {team}, week {week}").format(
        team=digest.team_name, week=digest.week.number
    )
    message["List-Unsubscribe"] = f"<{context['unsubscribe']}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(templates.env.get_template("digest/email.txt").render(context))
    message.add_alternative(
        templates.env.get_template("digest/email.html").render(context), subtype="html"
    )
    return message


def open_mail() -> smtplib.SMTP:
    """A connection to the configured SMTP server (HPH_SMTP_URL must be set)."""
    url = get_settings().smtp_url
    if not url or not mail_configured():
        raise RuntimeError("HPH_SMTP_URL is not set")
    return _connect(url)
