"""HTML pages of the measures room (filled in by the measures work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
