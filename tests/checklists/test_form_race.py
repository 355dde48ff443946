"""Two nurses saving two items of one checklist at once through the form (issue 17).

The form route once ran its queries on the event loop: save B waited for save A's row lock
there, and A could never commit, so one uvicorn worker stopped answering anything. This test
starts a real server with ONE worker on a migrated PostgreSQL database and races the htmx
form; every request has a client timeout, so a frozen server fails the test instead of
hanging it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from app.checklists.models import ChecklistAnswer
from app.core import migrate
from app.core.config import get_settings
from app.core.db import build_engine, utcnow
from app.core.hardening import CSRF_COOKIE, CSRF_HEADER
from app.pathways.events import record_event
from tests.conftest import csrf_token_for_tests
from tests.factories import PASSWORD, make_user, nurse_with_pathway
from tests.postgres_cluster import _free_port

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 100
ITEMS = ("fall_last_year", "pressure_ulcer_risk")  # always shown, yes/no, on hph-2
REQUEST_TIMEOUT = 10.0  # far above a save's few milliseconds; a frozen server never answers


@dataclass
class Outcome:
    """What one nurse's client saw."""

    saved: int = 0
    problems: list[str] = field(default_factory=list)


@pytest.fixture()
def one_worker_server(fresh_database_url, tmp_path: Path) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """A uvicorn process with one worker on a fresh migrated PostgreSQL database: (url, db)."""
    database_url = fresh_database_url("postgresql")
    migrate.upgrade(database_url)
    port = _free_port()
    env = {
        **os.environ,
        "HPH_DATABASE_URL": database_url,
        "HPH_SECRET_KEY": get_settings().resolved_secret_key(),
        "HPH_DATA_DIR": str(tmp_path),
    }
    command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    log = (tmp_path / "uvicorn.log").open("wb")
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _healthy(base_url):
            assert server.poll() is None, (tmp_path / "uvicorn.log").read_text()
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.1)
        yield base_url, database_url
    finally:
        # A frozen worker cannot handle SIGTERM on its event loop: SIGKILL after a grace.
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _healthy(base_url: str) -> bool:
    """Whether GET /healthz answers 200 within two seconds."""
    try:
        return httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _nurse_client(base_url: str, email: str) -> httpx.Client:
    """A browser-like client signed in as a nurse, holding a CSRF token like a loaded page."""
    token = csrf_token_for_tests()
    client = httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT)
    response = client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.cookies.set(CSRF_COOKIE, token)
    client.headers[CSRF_HEADER] = token
    client.headers["HX-Request"] = "true"
    return client


def _save_rounds(
    client: httpx.Client,
    instance_id: int,
    item_id: str,
    barrier: threading.Barrier,
    outcome: Outcome,
) -> None:
    """Save this nurse's own item ROUNDS times, each save released together with the other's."""
    for version in range(ROUNDS):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            outcome.problems.append(f"round {version}: the other nurse never came back")
            return
        form = {
            "value": "yes" if version % 2 == 0 else "no",
            "version": str(version),
            "idempotency_key": str(uuid.uuid4()),
        }
        try:
            response = client.post(f"/checklists/{instance_id}/answers/{item_id}", data=form)
        except httpx.TimeoutException:
            outcome.problems.append(f"round {version}: no answer within {REQUEST_TIMEOUT:.0f} s")
            barrier.abort()
            return
        if response.status_code != 200:
            outcome.problems.append(
                f"round {version}: {response.status_code} {response.text[:200]}"
            )
            barrier.abort()
            return
        outcome.saved += 1


def test_two_form_saves_on_one_checklist_never_freeze_a_single_worker(one_worker_server) -> None:  # type: ignore[no-untyped-def]
    base_url, database_url = one_worker_server
    engine = build_engine(database_url)
    with Session(engine, expire_on_commit=False) as setup:
        team, first, viewer, _patient, pathway = nurse_with_pathway(setup)
        second = make_user(setup, role="nurse", team=team)
        _event, created = record_event(
            setup,
            viewer=viewer,
            pathway_id=pathway.id,
            kind="hospital_discharge",
            occurred_at=utcnow() - timedelta(hours=2),
        )
        instance_id = int(next(i.id for i in created if i.definition_id == "hph-2") or 0)
        emails = (first.email, second.email)
        setup.commit()
    clients = [_nurse_client(base_url, email) for email in emails]
    barrier = threading.Barrier(2, timeout=3 * REQUEST_TIMEOUT)
    outcomes = [Outcome(), Outcome()]
    threads = [
        threading.Thread(
            target=_save_rounds, args=(client, instance_id, item, barrier, outcome), daemon=True
        )
        for client, item, outcome in zip(clients, ITEMS, outcomes, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=ROUNDS * 2 * REQUEST_TIMEOUT)
    for client in clients:
        client.close()
    still_answers = _healthy(base_url)
    problems = [p for outcome in outcomes for p in outcome.problems]
    assert problems == [] and still_answers, f"healthz answers: {still_answers}; {problems}"
    assert [o.saved for o in outcomes] == [ROUNDS, ROUNDS]
    with Session(engine) as check:
        stored = check.exec(
            select(ChecklistAnswer.item_id, ChecklistAnswer.value, ChecklistAnswer.version).where(
                ChecklistAnswer.instance_id == instance_id
            )
        ).all()
    last = "yes" if (ROUNDS - 1) % 2 == 0 else "no"
    assert sorted(stored) == sorted((item, last, ROUNDS) for item in ITEMS)
    engine.dispose()
