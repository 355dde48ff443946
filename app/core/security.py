"""Passwords (argon2 via argon2-cffi) and session tokens (random, stored only as hashes)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.core.i18n import _

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password against its stored hash without leaking why it failed."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    """Return what is wrong with a new password, in the user's language (empty when fine)."""
    problems: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            _("The password must have at least {n} characters.").format(n=MIN_PASSWORD_LENGTH)
        )
    if password.strip() != password or not password.strip():
        problems.append(_("The password cannot start or end with a space."))
    if email and email.split("@")[0].lower() in password.lower():
        problems.append(_("The password cannot contain your e-mail name."))
    if len(set(password)) < 5:
        problems.append(_("The password needs more different characters."))
    return problems


def new_session_token() -> str:
    """Return a fresh random token for a session cookie."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Return the hash under which a session token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
