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


def _keys(address: str | None, email: str) -> tuple[tuple[str, str], tuple[str, str]]:
    return (
        ("sign-in-address", address or "unknown"),
        ("sign-in-account", email.strip().lower()[:254]),
    )


def check_sign_in_rate(*, address: str | None, email: str) -> None:
    """Refuse a sign-in when this address or account has failed too often lately.

    Only failures count, so a shift of nurses signing in behind one shared address is fine.
    """
    by_address, by_account = _keys(address, email)
    if not (_limiter.test(PER_ADDRESS, *by_address) and _limiter.test(PER_ACCOUNT, *by_account)):
        raise TooManyAttempts()


def count_failed_sign_in(*, address: str | None, email: str) -> None:
    """Count one failed sign-in against the address and the account."""
    by_address, by_account = _keys(address, email)
    _limiter.hit(PER_ADDRESS, *by_address)
    _limiter.hit(PER_ACCOUNT, *by_account)


def reset_sign_in_limits() -> None:
    """Forget every counted attempt (for tests and after a deploy)."""
    _storage.reset()
