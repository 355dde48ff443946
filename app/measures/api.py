"""JSON API of the measures room (filled in by the measures work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["measures"])
