"""The people of the load benchmark: who they are in the demo, what they open, what they save.

Imported by ``bench/load.py``, which puts the repository root and ``bench/`` on ``sys.path``.
Each client is one signed-in browser (its own session and CSRF cookie); under load it runs in
a process of its own (``bench/load_runner.py``) and loops until the time is up, timing every
request with ``time.perf_counter`` just around the call. The clients are kept cheap, so that
their own work takes as little CPU as possible from the server: bodies stay bytes (never
decoded), and a checklist page is parsed once for its CSRF token and every item's version.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.checklists.in_use import catalogue_in_use
from app.demo.network import DEMO_PASSWORD, DEMO_USERS

# Request types, in the order they are printed.
SAVE, PAGE = "answer save (htmx)", "checklist page"
WEEKLY, MONTHLY = "team dashboard, weekly", "team dashboard, monthly"
COMPARISON = "comparison, national"
KINDS = (SAVE, PAGE, WEEKLY, MONTHLY, COMPARISON)
ANALYSIS = frozenset({WEEKLY, MONTHLY, COMPARISON})
NATIONAL_COORDINATOR = "koordinator.nasjonal@demo.no"
SAVES_PER_PAGE = 3  # a nurse opens a checklist, then answers a few of its items
CSRF = re.compile(rb'hx-headers=\'\{"x-csrftoken": "([^"]+)"\}\'')
# Every item form's id and the answer version it carries (the version input follows the form
# tag and its CSRF input): one pass over a page or a save's re-rendered fragment.
ITEM_VERSION = re.compile(
    rb'<form id="item-([^"]+)"[^>]*>.*?name="version" value="(\d+)"', re.DOTALL
)


@dataclass
class Stats:
    """What one client timed: milliseconds per request type, and what went wrong."""

    times: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)

    def timed(self, kind: str, call: Callable[[], httpx.Response], ok: int = 200) -> bytes | None:
        """Send one request, note its time and status; return the body (bytes) when ``ok``."""
        started = time.perf_counter()
        try:
            response = call()
        except httpx.HTTPError as exc:
            self._failed(kind, f"{kind}: {type(exc).__name__} {exc}")
            return None
        elapsed = time.perf_counter() - started
        self.times.setdefault(kind, []).append(elapsed * 1000)
        counts = self.statuses.setdefault(kind, {})
        counts[response.status_code] = counts.get(response.status_code, 0) + 1
        if response.status_code != ok:
            self._failed(kind, f"{kind}: {response.status_code} {response.text[:160]!r}")
            return None
        return response.content

    def _failed(self, kind: str, sample: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.samples) < 5:
            self.samples.append(sample)


@dataclass
class Nurse:
    """A nurse's own open checklists and the yes/no items she answers on each."""

    email: str
    checklists: list[tuple[int, list[str]]]
    saved: int = 0


@dataclass
class Viewer:
    """A team member's teams, or a coordinator (no teams: the national comparison)."""

    email: str
    team_ids: list[int]


# One round of a client's work: (its signed-in client, who it is, its figures, the turn).
Round = Callable[[httpx.Client, Any, Stats, int], None]


def _team_ids(engine: Engine, email: str) -> list[int]:
    """The teams a demo user works on (by team, or every team of their organisation)."""
    query = text(
        "SELECT t.id FROM team t JOIN membership m"
        " ON m.team_id = t.id OR m.organisation_id = t.organisation_id"
        " JOIN app_user u ON u.id = m.user_id WHERE u.email = :email ORDER BY t.id"
    )
    with engine.connect() as connection:
        return [int(row[0]) for row in connection.execute(query, {"email": email})]


def _answerable_items(definition_id: str, version: int, variant: str | None) -> list[str]:
    """Always-shown yes/no items a person answers on the form itself."""
    definition = catalogue_in_use().resolve(definition_id, version, variant)
    return [
        item.id
        for item in definition.items
        if item.type == "yes_no" and item.show_if is None and not item.compute and not item.opens
    ]


def find_nurses(engine: Engine, count: int, now: datetime, per_nurse: int = 6) -> list[Nurse]:
    """``count`` nurse clients over the demo nurses whose teams have open work now, each with
    checklists of her own (so that no two clients answer the same item)."""
    open_work = text(
        "SELECT i.id, i.definition_id, i.definition_version, i.variant"
        " FROM checklist_instance i JOIN pathway p ON p.id = i.pathway_id"
        " JOIN patient pt ON pt.id = p.patient_id"
        " WHERE i.team_id = :team AND pt.team_id = :team"
        " AND i.status IN ('due', 'in_progress') AND i.event_cancelled = :no"
        " AND i.window_start <= :now AND i.window_end > :now"
        " ORDER BY i.window_end, i.id LIMIT :limit"
    )
    pools: list[tuple[str, list[tuple[int, list[str]]]]] = []
    for user in (u for u in DEMO_USERS if u.role == "nurse"):
        work: list[tuple[int, list[str]]] = []
        for team_id in _team_ids(engine, user.email):
            with engine.connect() as connection:
                rows = connection.execute(
                    open_work,
                    {"team": team_id, "no": False, "now": now, "limit": count * per_nurse},
                ).all()
            work += [(int(i), _answerable_items(d, int(v), n)) for i, d, v, n in rows]
        work = [(instance, items) for instance, items in work if items]
        if work:
            pools.append((user.email, work))
    if not pools:
        raise SystemExit("no demo nurse has open checklists today: is the database seeded?")
    nurses = []
    for n in range(count):
        email, work = pools[n % len(pools)]
        mine = work[n // len(pools) :: -(-count // len(pools))][:per_nurse]
        nurses.append(Nurse(email, mine or work[:1]))
    return nurses


def find_team_members(engine: Engine, count: int) -> list[Viewer]:
    """``count`` team-member clients over the demo's team members, each with their teams."""
    users = [u.email for u in DEMO_USERS if u.role == "team"]
    members = [Viewer(email, _team_ids(engine, email)) for email in users]
    members = [m for m in members if m.team_ids]
    return [members[n % len(members)] for n in range(count)] if members else []


def signed_in(base_url: str, email: str, timeout: float) -> httpx.Client:
    """A client with its own session, signed in over the API like the tablet's app."""
    client = httpx.Client(base_url=base_url, timeout=timeout)
    credentials = {"email": email, "password": DEMO_PASSWORD}
    client.post("/api/v1/session", json=credentials, timeout=60).raise_for_status()
    return client


def item_versions(html: bytes) -> dict[str, int]:
    """The answer version each item form carries (a page's, or a save's re-rendered items)."""
    return {found[1].decode(): int(found[2]) for found in ITEM_VERSION.finditer(html)}


def nurse_round(client: httpx.Client, nurse: Nurse, stats: Stats, turn: int) -> None:
    """Open one of her checklists, then answer a few of its items as the htmx form does."""
    instance_id, items = nurse.checklists[turn % len(nurse.checklists)]
    page = stats.timed(PAGE, lambda: client.get(f"/checklists/{instance_id}"))
    if page is None:
        return
    token = CSRF.search(page)
    if token is None:
        stats._failed(PAGE, f"{PAGE}: no CSRF token on /checklists/{instance_id}")
        return
    csrf = token.group(1).decode()
    versions = item_versions(page)
    headers = {"x-csrftoken": csrf, "hx-request": "true"}
    for n in range(SAVES_PER_PAGE):
        item_id = items[(turn * SAVES_PER_PAGE + n) % len(items)]
        nurse.saved += 1
        form = {
            "csrftoken": csrf,
            "version": str(versions.get(item_id, 0)),
            "idempotency_key": str(uuid.uuid4()),
            "value": "yes" if nurse.saved % 2 else "no",
        }
        url = f"/checklists/{instance_id}/answers/{item_id}"
        saved = stats.timed(SAVE, lambda: client.post(url, data=form, headers=headers))  # noqa: B023
        if saved is not None:
            versions.update(item_versions(saved))  # the re-rendered items' newer versions


def team_round(client: httpx.Client, member: Viewer, stats: Stats, turn: int) -> None:
    """Open one of the member's team dashboards, by week then by month."""
    team_id = member.team_ids[(turn // 2) % len(member.team_ids)]
    kind, period = (WEEKLY, "week") if turn % 2 == 0 else (MONTHLY, "month")
    stats.timed(kind, lambda: client.get(f"/teams/{team_id}/dashboard?period={period}"))


def coordinator_round(client: httpx.Client, _member: Viewer, stats: Stats, _turn: int) -> None:
    """Open the comparison (for the national coordinator: every organisation in the country)."""
    stats.timed(COMPARISON, lambda: client.get("/comparison"))


def run_until(
    deadline: float,
    work: Callable[[int], None],
    rounds: int | None = None,
    pause: float = 0.0,
    seed: int = 0,
) -> None:
    """Repeat a client's round until the deadline (or a number of rounds); with ``pause``, the
    client thinks between rounds for 0.5–1.5 times that many seconds (a person, not a loop)."""
    turn = 0
    pacing = random.Random(seed)
    while time.monotonic() < deadline and (rounds is None or turn < rounds):
        work(turn)
        turn += 1
        if pause:
            time.sleep(min(pause * pacing.uniform(0.5, 1.5), max(0.0, deadline - time.monotonic())))
