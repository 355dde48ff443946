"""Saves first: each server worker works on only a few analysis requests at a time.

A dashboard or a national comparison costs tens to hundreds of times what an answer save does.
Run side by side without a bound, a handful of them take both cores (the server's and the
database's), and every nurse's save queues behind them (issue 18). Analysis routes (dashboards,
comparisons, the chart API, chart exports) depend on ``ANALYSIS``: it waits on the event loop,
holding no thread and no database connection, for one of the worker's ``HPH_ANALYSIS_SLOTS``;
after ``HPH_ANALYSIS_WAIT_SECONDS`` it answers 503 with ``Retry-After`` and one sentence in the
user's language. Saves and pages of the day's work never wait here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from weakref import WeakKeyDictionary

from fastapi import Depends, HTTPException

from app.core.config import get_settings
from app.core.i18n import _

RETRY_AFTER_SECONDS = 5
# One semaphore per event loop (a worker has one; tests start several), sized by the settings.
_slots: WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[int, asyncio.Semaphore]] = (
    WeakKeyDictionary()
)


def _semaphore() -> asyncio.Semaphore:
    """This event loop's analysis slots (made anew when the setting changed)."""
    loop = asyncio.get_running_loop()
    size = get_settings().analysis_slots
    held = _slots.get(loop)
    if held is None or held[0] != size:
        held = (size, asyncio.Semaphore(size))
        _slots[loop] = held
    return held[1]


async def _acquired(slots: asyncio.Semaphore, timeout: float) -> bool:
    """Take a slot within the time; a slot taken too late, or for a request that has gone, is
    given back at once (never lost)."""
    if not slots.locked():
        return await slots.acquire()  # a free slot is taken at once, without a task
    waiting: asyncio.Future[Any] = asyncio.ensure_future(slots.acquire())

    def give_back(task: asyncio.Future[Any]) -> None:
        if not task.cancelled() and task.exception() is None:
            slots.release()

    try:
        await asyncio.wait({waiting}, timeout=timeout)
    except BaseException:  # the request was cancelled (the client went away)
        waiting.cancel()
        waiting.add_done_callback(give_back)
        raise
    if waiting.done() and not waiting.cancelled():
        return True
    waiting.cancel()
    waiting.add_done_callback(give_back)
    return False


async def analysis_slot() -> AsyncIterator[None]:
    """Hold one of this worker's analysis slots while the request runs; 503 when none frees up."""
    slots = _semaphore()
    if not await _acquired(slots, get_settings().analysis_wait_seconds):
        raise HTTPException(
            status_code=503,
            detail=_("Many charts are being opened just now. Try again in a few seconds."),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    try:
        yield
    finally:
        slots.release()


ANALYSIS = Depends(analysis_slot)
