"""API tokens for systems that send hospital events: one organisation each, shown once.

A token is ``hph_`` + ``secrets.token_urlsafe(32)``: 256 bits from the operating system's
CSPRNG. Only its SHA-256 is stored. A slow password hash (argon2, bcrypt) exists to make
guessing a low-entropy password from a stolen hash expensive; nobody can guess or brute-force
256 random bits, so a fast hash is as safe here, lets the token be found with one indexed
equality lookup, and keeps every import request fast. This is the usual scheme for API tokens
(GitHub's and PyPI's tokens work the same way); the database never holds anything that opens
the API.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from app.admin.changes import audit_change
from app.admin.directory import AdminError, AdminNotFound, Directory, Reach, ScopeRef
from app.audit.models import AuditAction
from app.audit.service import record
from app.core.db import utcnow
from app.core.i18n import _
from app.core.text import OneLineText
from app.fhir.ingest_models import ApiToken
from app.org.models import Organisation
from app.org.scope import Viewer

TOKEN_PREFIX = "hph_"
SHOWN_PREFIX = 10  # "hph_" and six characters: enough to tell tokens apart in a list


class TokenFields(BaseModel):
    """A new token: the organisation it sends for (``organisation:SLUG`` or SLUG), and a name."""

    organisation: Annotated[OneLineText, Field(min_length=1, max_length=80)]
    name: Annotated[OneLineText, Field(min_length=1, max_length=100)]


class TokenRefused(Exception):
    """No valid token: missing, unknown or revoked (401); the message says which."""


def token_hash(secret: str) -> str:
    """The stored form of a token (hex SHA-256; see the module's docstring for why)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _organisation_ref(session: Session, actor: Viewer | None, given: str) -> ScopeRef:
    """The organisation named ``organisation:SLUG`` or SLUG, if the actor administers it."""
    slug = given.strip().removeprefix("organisation:")
    ref = Directory(session).by_label(f"organisation:{slug}")
    if not Reach.of(actor).manages(ref):
        raise AdminNotFound(
            _("There is no {kind} '{slug}'.").format(kind="organisation", slug=slug)
        )
    return ref


def create_token(
    session: Session, *, actor: Viewer | None, fields: TokenFields
) -> tuple[ApiToken, str]:
    """Create a token for an organisation the actor administers; the secret is returned once."""
    ref = _organisation_ref(session, actor, fields.organisation)
    name = fields.name.strip()
    if not name:
        raise AdminError(_("Give the token a name, e.g. the sending system's."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organisation_id=ref.id,
        name=name,
        prefix=secret[:SHOWN_PREFIX],
        token_hash=token_hash(secret),
        created_at=utcnow(),
        created_by_user_id=actor.user_id if actor else None,
    )
    session.add(token)
    session.flush()
    audit_change(
        session,
        actor=actor,
        action=AuditAction.create,
        what=f"api token {token.id} for {ref.label}",
        before=None,
        after={"name": name, "prefix": token.prefix, "organisation": ref.label},
    )
    return token, secret


def get_token(session: Session, *, actor: Viewer | None, token_id: int) -> ApiToken:
    """One token of an organisation the actor administers (otherwise AdminNotFound)."""
    token = session.get(ApiToken, token_id)
    if token is not None:
        ref = Directory(session).ref("organisation", token.organisation_id)
        if Reach.of(actor).manages(ref):
            return token
    raise AdminNotFound(_("There is no such API token."))


def revoke_token(session: Session, *, actor: Viewer | None, token_id: int) -> ApiToken:
    """Revoke a token at once (revoking it again changes nothing)."""
    token = get_token(session, actor=actor, token_id=token_id)
    if token.revoked_at is not None:
        return token
    token.revoked_at = utcnow()
    token.revoked_by_user_id = actor.user_id if actor else None
    session.add(token)
    session.flush()
    audit_change(
        session,
        actor=actor,
        action=AuditAction.update,
        what=f"api token {token.id} revoked",
        before={"revoked": False},
        after={"revoked": True, "name": token.name, "prefix": token.prefix},
    )
    return token


def list_tokens(
    session: Session, *, actor: Viewer | None, organisation: str | None = None
) -> list[tuple[ApiToken, Organisation]]:
    """The tokens of the organisations the actor administers (or of one), newest first."""
    directory, reach = Directory(session), Reach.of(actor)
    only = _organisation_ref(session, actor, organisation).id if organisation else None
    rows = session.exec(
        select(ApiToken, Organisation)
        .join(Organisation, col(Organisation.id) == col(ApiToken.organisation_id))
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    ).all()
    return [
        (token, org)
        for token, org in rows
        if (only is None or org.id == only)
        and reach.manages(directory.ref("organisation", int(org.id or 0)))
    ]


def authenticate(
    session: Session, *, authorization: str | None, ip_address: str | None
) -> ApiToken:
    """The token an ``Authorization: Bearer`` header carries; a refused attempt is audited."""
    scheme, _sep, secret = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise TokenRefused(_("Send an API token in the header 'Authorization: Bearer <token>'."))
    token = session.exec(
        select(ApiToken).where(ApiToken.token_hash == token_hash(secret.strip()))
    ).first()
    if token is None or token.revoked_at is not None:
        name = f"api-token {token.id} ({token.name})" if token else "api-token (unknown)"
        record(
            session,
            viewer=None,
            action=AuditAction.sign_in_failed,
            what=f"{name} refused",
            user_email=name,
            ip_address=ip_address,
        )
        if token is None:
            raise TokenRefused(_("The API token is not valid."))
        raise TokenRefused(_("The API token has been revoked; ask an administrator for a new one."))
    return token


def mark_used(session: Session, *, token: ApiToken, viewer: Viewer, now: datetime) -> None:
    """Note when a token was last used, and audit the use as the system it stands for."""
    token.last_used_at = now
    session.add(token)
    record(session, viewer=viewer, action=AuditAction.sign_in, what=f"api token {token.id} used")
