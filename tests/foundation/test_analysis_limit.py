"""Saves first: analysis requests take one of a few slots per worker; when none frees up in
time the answer is a clear 503 with Retry-After, and a nurse's save never waits for a slot."""

from __future__ import annotations

import asyncio
import contextvars
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.analysis_limit import _semaphore, analysis_slot
from app.core.config import get_settings
from app.core.db import get_session
from tests.factories import make_team, make_user, sign_in_client
from tests.foundation.test_route_access import all_routes

ANALYSIS_ROUTES = {
    ("GET", "/teams/{team_id}/dashboard"),
    ("GET", "/teams/{team_id}/report"),
    ("GET", "/comparison"),
    ("GET", "/api/v1/exports/charts/{measure_id}"),
    ("GET", "/api/v1/exports/comparison/{measure_id}"),
    ("GET", "/api/v1/measures/{measure_id}/chart"),
    ("GET", "/measures/{measure_id}/chart.svg"),
    ("GET", "/networks/{network_id}/checklist-burden"),
    ("GET", "/api/v1/networks/{network_id}/checklist-burden"),
    ("GET", "/overview"),
    ("GET", "/overview/export.csv"),
    ("GET", "/learning"),
    ("GET", "/learning/teams/{team_id}"),
    ("GET", "/networks/{network_id}/report"),
    ("GET", "/networks/{network_id}/report.pdf"),
    ("GET", "/fhir/R4/MeasureReport"),
}


@pytest.fixture()
def one_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    """One analysis slot per worker, and a short wait for it."""
    monkeypatch.setenv("HPH_ANALYSIS_SLOTS", "1")
    monkeypatch.setenv("HPH_ANALYSIS_WAIT_SECONDS", "0.05")
    get_settings.cache_clear()


def _limited(app: FastAPI) -> set[tuple[str, str]]:
    """The routes whose dependencies take an analysis slot."""
    found = set()
    for route in all_routes(app):
        stack = list(route.dependant.dependencies)
        while stack:
            dependency = stack.pop()
            if dependency.call is analysis_slot:
                found |= {(method, route.path) for method in route.methods}
            stack.extend(dependency.dependencies)
    return found


def test_charts_comparisons_and_exports_wait_for_a_slot_and_saves_never(app: FastAPI) -> None:
    limited = _limited(app)
    assert limited >= ANALYSIS_ROUTES
    assert not [path for _method, path in limited if "answers" in path or "my-day" in path]
    assert all(method == "GET" for method, _path in limited)
    # The wait comes first, so that a waiting request holds no database connection.
    for route in all_routes(app):
        calls = [dependency.call for dependency in route.dependant.dependencies]
        if analysis_slot in calls and get_session in calls:
            assert calls.index(analysis_slot) < calls.index(get_session), route.path


def test_a_slot_is_given_back_and_a_second_request_waits_then_gets_503(
    one_slot: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> None:
        first = analysis_slot()
        await first.__anext__()
        with pytest.raises(HTTPException) as refused:
            await analysis_slot().__anext__()
        assert refused.value.status_code == 503
        assert refused.value.headers == {"Retry-After": "5"}
        assert (
            refused.value.detail
            == "Many charts are being opened just now. Try again in a few seconds."
        )
        await first.aclose()  # the request is over: its slot is free again
        monkeypatch.setattr(get_settings(), "analysis_wait_seconds", 0)  # a free slot is taken
        second = analysis_slot()
        await second.__anext__()
        await second.aclose()
        assert not _semaphore().locked()

    # In a thread of its own: a browser test in the same worker may hold a running loop here.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(contextvars.copy_context().run, asyncio.run, scenario()).result()


def test_a_busy_server_says_so_in_norwegian_on_the_page_and_as_json(
    db: Session, client: TestClient, one_slot: None
) -> None:
    team = make_team(db)
    sign_in_client(client, make_user(db, role="team", team=team))
    held = client.portal.call(_take_the_only_slot)  # type: ignore[union-attr]
    try:
        page = client.get(f"/teams/{team.id}/dashboard")
        api = client.get("/api/v1/exports/charts/hph-2-on-time", params={"unit_id": team.id})
        save_page = client.get("/my-day")
    finally:
        client.portal.call(_give_back, held)  # type: ignore[union-attr]
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "Mange åpner diagrammer akkurat nå" in page.text
    assert api.status_code == 503 and api.headers["Retry-After"] == "5"
    assert api.json()["detail"].startswith("Mange åpner diagrammer")
    assert save_page.status_code == 200  # the day's work never waits for analysis
    assert client.get(f"/teams/{team.id}/dashboard").status_code == 200


async def _take_the_only_slot() -> asyncio.Semaphore:
    slots = _semaphore()
    await slots.acquire()
    return slots


async def _give_back(slots: asyncio.Semaphore) -> None:
    slots.release()
