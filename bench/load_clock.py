"""The application on the benchmark's day: every server process starts its clock at noon of
``HPH_BENCH_TODAY`` (Europe/Oslo) and lets it tick, as ``bench/my_day.py`` does in process.

    uvicorn load_clock:create_app --factory    (with bench/ and the repository on PYTHONPATH)

The national demo is seeded around 2026-03-18; on the real date its windows would all be
long closed. Each uvicorn worker calls this factory, so each gets the same clock.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

_travel: Any = None


def create_app() -> Any:
    """Move this process's clock to the benchmark's day, then build the application."""
    global _travel
    day = date.fromisoformat(os.environ.get("HPH_BENCH_TODAY", "2026-03-18"))
    if _travel is None:
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo("Europe/Oslo"))
        _travel = time_machine.travel(noon, tick=True)
        _travel.start()
    from app.main import create_app as build

    return build()
