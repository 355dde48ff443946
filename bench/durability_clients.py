"""The nurses of the no-lost-saves benchmark: sign-in, their items, saves retried until answered.

Imported by ``bench/durability.py``, which puts the repository root on ``sys.path`` first.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import NamedTuple

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.checklists.in_use import catalogue_in_use
from app.core.deps import SESSION_COOKIE
from app.demo.network import DEMO_PASSWORD
from app.org.service import sign_in

NURSE = "sykepleier@demo.no"
VALUES = ("yes", "no", "not_relevant")
SETUP_TIMEOUT = 30.0  # sign-in and reading the work list; saves use --timeout
RETRY_GRACE = 30.0  # how long after the run a client may still retry its last save


@dataclass
class Pair:
    """One (instance, item) a single client owns, with the version it last saw."""

    instance_id: int
    item_id: str
    version: int
    value: str | None


class Ack(NamedTuple):
    """A save the server acknowledged: when answered and sent (s into the run), key, what."""

    at: float
    sent: float
    key: str
    instance_id: int
    item_id: str
    value: str
    version: int
    retried: bool


@dataclass
class ClientStats:
    """What one client did and saw."""

    attempted: int = 0
    acknowledged: list[Ack] = field(default_factory=list)
    retried_saves: int = 0
    retry_requests: int = 0
    transport_errors: int = 0
    server_errors: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)


def clients_with_own_sessions(
    engine: Engine, base_url: str, count: int, timeout: float
) -> list[httpx.Client]:
    """Clients with a session each: the first signs in over HTTP, the rest through the sign-in
    service (the API allows 10 sign-ins per account and 30 per address in 10 minutes)."""
    clients = [httpx.Client(base_url=base_url, timeout=timeout) for _ in range(count)]
    credentials = {"email": NURSE, "password": DEMO_PASSWORD}
    clients[0].post("/api/v1/session", json=credentials, timeout=SETUP_TIMEOUT).raise_for_status()
    with Session(engine) as session:
        for client in clients[1:]:
            signed = sign_in(session, email=NURSE, password=DEMO_PASSWORD, ip_address="127.0.0.1")
            client.cookies.set(SESSION_COOKIE, signed.token)
        session.commit()
    return clients


def find_pairs(client: httpx.Client) -> list[Pair]:
    """Every always-visible yes/no item of the nurse's open checklists."""
    day = client.get("/api/v1/my-day", timeout=SETUP_TIMEOUT).raise_for_status().json()
    instance_ids = [
        w["instance_id"] for part in ("overdue", "open_now", "coming_up") for w in day[part]
    ]
    pairs: list[Pair] = []
    for instance_id in instance_ids:
        response = client.get(f"/api/v1/checklists/{instance_id}", timeout=SETUP_TIMEOUT)
        checklist = response.raise_for_status().json()
        definition = catalogue_in_use().resolve(
            checklist["definition_id"], checklist["definition_version"], checklist["variant"]
        )
        answers = {a["item_id"]: a for a in checklist["answers"]}
        for item in definition.items:
            if item.type == "yes_no" and item.show_if is None:
                answer = answers.get(item.id, {})
                pairs.append(
                    Pair(instance_id, item.id, answer.get("version", 0), answer.get("value"))
                )
    return pairs


def save_until_answered(
    client: httpx.Client, pair: Pair, stats: ClientStats, t0: float, give_up_at: float
) -> None:
    """One logical save: the same request, retried with backoff until the server answers."""
    value = VALUES[(VALUES.index(pair.value) + 1) % 3 if pair.value in VALUES else 0]
    key = str(uuid.uuid4())
    body = {"value": value, "version": pair.version, "idempotency_key": key}
    url = f"/api/v1/checklists/{pair.instance_id}/answers/{pair.item_id}"
    stats.attempted += 1
    delay, attempts = 0.05, 0
    while time.monotonic() < give_up_at:
        attempts += 1
        if attempts == 2:
            stats.retried_saves += 1
        if attempts >= 2:
            stats.retry_requests += 1
        sent = time.monotonic() - t0
        try:
            response = client.put(url, json=body)
        except httpx.TransportError:
            response = None
            stats.transport_errors += 1
        if response is None or response.status_code >= 500:
            if response is not None:
                stats.server_errors.append(f"{response.status_code} {key}: {response.text[:200]}")
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
            continue
        if response.status_code == 200:
            answers = response.json()["answers"]
            pair.value = value
            pair.version = next(int(a["version"]) for a in answers if a["item_id"] == pair.item_id)
            at, item = time.monotonic() - t0, (pair.instance_id, pair.item_id)
            stats.acknowledged.append(Ack(at, sent, key, *item, value, pair.version, attempts > 1))
        elif response.status_code == 409:
            detail = response.json()
            stats.conflicts.append(f"{key} after {attempts} attempts: {detail}")
            pair.version = int(detail.get("current_version", pair.version))
            pair.value = detail.get("current_value", pair.value)
        else:
            stats.refused.append(f"{response.status_code} {key}: {response.text[:200]}")
        return
    stats.unresolved.append(key)


def run_client(
    client: httpx.Client, pairs: list[Pair], stats: ClientStats, t0: float, seconds: float
) -> None:
    """Save answers round the client's own items until the time is up."""
    index = 0
    while time.monotonic() - t0 < seconds:
        save_until_answered(
            client, pairs[index % len(pairs)], stats, t0, t0 + seconds + RETRY_GRACE
        )
        index += 1
