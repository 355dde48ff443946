"""JSON API of the goals room (filled in by the goals work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["goals"])
