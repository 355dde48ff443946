"""The service worker script (from the site root, so that it controls every page) and the
page it shows for what it has not kept."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.audit.patient_data import NO_PATIENT_DATA
from app.core.deps import PUBLIC
from app.core.templating import render

router = APIRouter(include_in_schema=False, dependencies=[NO_PATIENT_DATA])
SERVICE_WORKER = Path(__file__).resolve().parents[1] / "static" / "sw.js"


@router.get("/sw.js", dependencies=[PUBLIC])
def read_service_worker() -> Response:
    """The service worker (never cached by the browser, so that a new one is found at once)."""
    return Response(
        SERVICE_WORKER.read_bytes(),
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": "/"},
    )


@router.get("/offline", dependencies=[PUBLIC])
def read_offline_page(request: Request) -> Response:
    """What the service worker shows for a page it has not kept, when there is no network."""
    return render(request, "offline/offline.html")
