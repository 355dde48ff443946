"""Sign-in rate limits (the `limits` library): per address and per account, in memory."""

from __future__ import annotations

from limits import parse, storage, strategies

from app.core.i18n import _

PER_ADDRESS = parse("30/10 minutes")
PER_ACCOUNT = parse("10/10 minutes")
_storage = storage.MemoryStorage()
_limiter = strategies.MovingWindowRateLimiter(_storage)


class TooManyAttempts(Exception):
    """Too many sign-in attempts; the message says to wait (HTTP 429)."""

    def __init__(self) -> None:
        super().__init__(_("Too many sign-in attempts. Wait ten minutes and try again."))


def check_sign_in_rate(*, address: str | None, email: str) -> None:
    """Count one sign-in attempt; refuse when this address or account has tried too often."""
    address_ok = _limiter.hit(PER_ADDRESS, "sign-in-address", address or "unknown")
    account_ok = _limiter.hit(PER_ACCOUNT, "sign-in-account", email.strip().lower()[:254])
    if not (address_ok and account_ok):
        raise TooManyAttempts()


def reset_sign_in_limits() -> None:
    """Forget every counted attempt (for tests and after a deploy)."""
    _storage.reset()
