"""HTML pages of the goals room (filled in by the goals work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
