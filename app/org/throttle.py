"""The per-address sign-in limit (the `limits` library, in this process's memory).

Many tablets of a municipality share one public address, so the limit sits far above what a
shared address sees in normal use; it stops one address from guessing across many accounts.
Each account has its own growing waits (``app.org.service``).
"""

from __future__ import annotations

import time
from datetime import timedelta

from limits import parse, storage, strategies

FAILURES_PER_ADDRESS = parse("300/hour")
_storage = storage.MemoryStorage()
_limiter = strategies.MovingWindowRateLimiter(_storage)


def _key(address: str | None) -> tuple[str, str]:
    return ("sign-in-address", address or "unknown")


def address_wait(*, address: str | None) -> timedelta | None:
    """How long this address must wait before its next sign-in (None: it may try now)."""
    if _limiter.test(FAILURES_PER_ADDRESS, *_key(address)):
        return None
    stats = _limiter.get_window_stats(FAILURES_PER_ADDRESS, *_key(address))
    return timedelta(seconds=max(1.0, stats.reset_time - time.time()))


def count_failed_sign_in(*, address: str | None) -> None:
    """Count one failed sign-in against the address."""
    _limiter.hit(FAILURES_PER_ADDRESS, *_key(address))


def reset_sign_in_limits() -> None:
    """Forget every counted attempt (for tests and after a deploy)."""
    _storage.reset()
