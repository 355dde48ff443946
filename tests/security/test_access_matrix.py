"""Every route × role × data owner: nobody reaches data outside their scope, nothing breaks.

The route table is walked at test time, so a new route is covered as soon as it exists; a route
whose path parameters this test cannot fill fails the test until a resolver is taught here.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import time_machine
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.deps import access_rule_of
from tests.foundation.test_route_access import all_routes
from tests.security.world import (
    CORE_MEASURE,
    LABELS,
    NOW,
    VALUE_PERIOD,
    Owned,
    World,
    build_world,
    signed_in,
)

SKIPPED = {("POST", "/sign-out"), ("DELETE", "/api/v1/session")}  # they end the session
NOT_TESTED_PATHS = ("/static", "/api/openapi.json", "/api/docs", "/docs/oauth2-redirect")
ROLES = ("anonymous", "nurse", "team", "coordinator", "admin", "org_admin")
ROLE_OF = {"org_admin": "admin"}  # the organisation's administrator holds the admin role
# Which teams each role may reach: patient-level, aggregates, and aggregate writes (team role).
PATIENT_SCOPE = {
    "anonymous": set(),
    "nurse": {"A"},
    "team": {"A"},
    "coordinator": set(),
    "admin": set(),
    "org_admin": set(),
}
AGGREGATE_SCOPE = {
    "anonymous": set(),
    "nurse": {"A"},
    "team": {"A"},
    "coordinator": {"A", "B"},
    "admin": {"A", "B"},
    "org_admin": {"A", "B"},
}
WRITE_SCOPE = {
    "anonymous": set(),
    "nurse": set(),
    "team": {"A"},
    "coordinator": set(),
    "admin": set(),
    "org_admin": set(),
}
# Whose organisations, teams, people and roles each role administers (network N1 holds A and B).
ADMIN_SCOPE = {"admin": {"A", "B"}, "org_admin": {"A", "B"}}
ADMIN_PARAMS = {"organisation_id", "user_id", "membership_id", "token_id"}
ADMIN_PATHS = ("/admin", "/api/v1/admin")
# Bright spots ("Lær av andre"): a team member learns from every team of their team's network.
LEARNING_SCOPE = {**AGGREGATE_SCOPE, "team": {"A", "B"}}
LEARNING_PATHS = ("/learning/",)
# A team's measure settings may also be changed by an administrator over the team.
SETTINGS_WRITE_SCOPE = {**WRITE_SCOPE, **ADMIN_SCOPE}
SETTINGS_PATHS = ("/measure-settings", "/measures/settings")
# Variants are adopted by the administrators of the team's organisation or network.
ORGANISATION_ADMIN_SCOPE: dict[str, set[str]] = {
    role: ADMIN_SCOPE.get(role, set()) for role in ROLES
}
# Incoming hospital events belong to the sending organisation's teams (O1 holds A and B).
INCOMING_SCOPE = {role: {"A", "B"} if role in ("nurse", "team") else set() for role in ROLES}
PATIENT_LEVEL = {
    "patient_id",
    "pathway_id",
    "instance_id",
    "event_id",
    "goal_id",
    "conversation_id",
    "rating_id",
    "follow_up_id",
}
DESTRUCTIVE = ("/erase", "/delete", "/cancel", "/drop", "/achieve", "/change", "/complete")

Resolver = Callable[[Owned, str], str]


def _measure_id(owned: Owned, path: str) -> str:
    """A core measure for chart routes, the team's manual measure elsewhere."""
    if ("/measures/{measure_id}" in path or "/Measure/" in path) and "manual-measures" not in path:
        return CORE_MEASURE
    return str(owned.manual_measure_id)


RESOLVERS: dict[str, Resolver] = {
    "patient_id": lambda o, _p: str(o.patient_id),
    "pathway_id": lambda o, _p: str(o.pathway_id),
    "instance_id": lambda o, _p: str(o.instance_id),
    "event_id": lambda o, _p: str(o.event_id),
    "item_id": lambda o, _p: o.item_id,
    "goal_id": lambda o, _p: str(o.goal_id),
    "conversation_id": lambda o, _p: str(o.conversation_id),
    "annotation_id": lambda o, _p: str(o.annotation_id),
    "exclusion_id": lambda o, _p: str(o.extra["exclusion_id"]),
    "measure_id": _measure_id,
    "team_id": lambda o, _p: str(o.team_id),
    "organisation_id": lambda o, _p: str(o.team.organisation_id),
    "period": lambda _o, _p: VALUE_PERIOD,
    "user_id": lambda o, _p: str(o.extra["user_id"]),
    "membership_id": lambda o, _p: str(o.extra["membership_id"]),
    "follow_up_id": lambda o, _p: str(o.extra["follow_up_id"]),
    "network_id": lambda o, _p: str(o.extra["network_id"]),
    "token": lambda _o, _p: "no-such-link",
    "rating_id": lambda o, _p: str(o.extra["rating_id"]),
    "questionnaire_id": lambda _o, _p: "hph-2-v1",
    "organization_id": lambda o, _p: f"team-{o.team_id}",
    "rated_on": lambda _o, _p: "2026-03-09",  # the re-rating of the world's goal
    "incoming_id": lambda o, _p: str(o.extra["incoming_id"]),
    "token_id": lambda o, _p: str(o.extra["token_id"]),
}
QUERY_RESOLVERS: dict[str, Resolver] = {
    "unit_id": lambda o, _p: str(o.team_id),
    "patient": lambda o, _p: str(o.patient_id),  # FHIR searches name their patient
    "measure": lambda _o, _p: CORE_MEASURE,  # FHIR MeasureReport: every unit of a measure
}


@dataclass(frozen=True)
class Call:
    """One request of the matrix."""

    method: str
    template: str
    params: tuple[str, ...]
    rule_roles: tuple[str, ...] | None  # None: any signed-in user; () public


def path_params(path: str) -> tuple[str, ...]:
    """The parameter names of a path template."""
    return tuple(re.findall(r"{(\w+)(?::\w+)?}", path))


def matrix_calls(app) -> tuple[list[Call], list[str]]:  # type: ignore[no-untyped-def]
    """Every testable (method, route) of the app, and those whose parameters are unknown."""
    calls, unknown = [], []
    for route in all_routes(app):
        if not isinstance(route, APIRoute) or route.path.startswith(NOT_TESTED_PATHS):
            continue
        rule = access_rule_of(route.dependant)
        roles: tuple[str, ...] | None = None
        if rule is not None and rule.audience == "roles":
            roles = rule.roles
        elif rule is not None and rule.audience == "public":
            roles = ()
        params = path_params(route.path)
        missing = [p for p in params if p not in RESOLVERS]
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            if (method, route.path) in SKIPPED:
                continue
            if missing:
                unknown.append(f"{method} {route.path}: {', '.join(missing)}")
                continue
            calls.append(Call(method, route.path, params, roles))
    # Reads first, then writes, the destructive ones last (they may remove what later calls use).
    calls.sort(
        key=lambda c: (
            c.method != "GET",
            c.template.endswith(DESTRUCTIVE) or c.method == "DELETE",
            c.template,
        )
    )
    return calls, unknown


def _query(call: Call, owned: Owned, app_routes: dict[tuple[str, str], APIRoute]) -> dict[str, str]:
    """Query parameters this test fills (the unit of an aggregate)."""
    route = app_routes[(call.method, call.template)]
    names = {p.name for p in route.dependant.query_params}
    return {
        name: fill(owned, call.template) for name, fill in QUERY_RESOLVERS.items() if name in names
    }


def _send(client: TestClient, call: Call, url: str, query: dict[str, str]):  # type: ignore[no-untyped-def]
    """Send one call: JSON for the API, a form for pages; never follow redirects."""
    if call.method == "GET":
        return client.get(url, params=query, follow_redirects=False)
    if url.startswith("/api/"):
        return client.request(call.method, url, params=query, json={}, follow_redirects=False)
    return client.request(call.method, url, params=query, data={}, follow_redirects=False)


def _succeeded(response) -> bool:  # type: ignore[no-untyped-def]
    """A 2xx, or a redirect that is not to the sign-in page (a page form that was accepted)."""
    if 200 <= response.status_code < 300:
        return True
    if 300 <= response.status_code < 400:
        return not response.headers.get("location", "").startswith(("/sign-in", "/no-access"))
    return False


def small_counts(body: object) -> list[str]:
    """Chart points (or CSV rows) that show a count from 1 to 4 without being suppressed."""
    found: list[str] = []
    stack = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if node.get("resourceType") == "MeasureReport" or "stratum" in node:
                found += _report_small_counts(node)
            if node.get("suppressed") is False:
                n, d = node.get("numerator"), node.get("denominator")
                values = [v for v in (n, d) if isinstance(v, int | float)]
                if isinstance(n, int | float) and isinstance(d, int | float):
                    values.append(d - n)
                if any(0 < v < 5 for v in values):
                    found.append(f"{node.get('period')}: {n}/{d}")
            stack.extend(node.values())
    return found


def _report_small_counts(node: dict[str, object]) -> list[str]:
    """FHIR MeasureReport groups and strata whose counts are shown from 1 to 4."""
    found = []
    parts = node.get("group") if node.get("resourceType") == "MeasureReport" else node["stratum"]
    for part in parts if isinstance(parts, list) else []:
        counts = {
            p["code"]["coding"][0]["code"]: p["count"]
            for p in part.get("population", [])
            if "count" in p
        }
        values = list(counts.values())
        if {"numerator", "denominator"} <= set(counts):
            values.append(counts["denominator"] - counts["numerator"])
        if any(0 < v < 5 for v in values):
            found.append(f"{node.get('id', 'stratum')}: {counts}")
    return found


def _csv_small_counts(text: str) -> list[str]:
    """CSV rows with a numerator or denominator from 1 to 4 and no suppression marker."""
    found = []
    for row in csv.DictReader(io.StringIO(text)):
        if any(str(v).strip() in ("<5", "suppressed", "True", "true") for v in row.values()):
            continue
        for key in ("numerator", "denominator"):
            value = (row.get(key) or "").strip()
            if value.replace(".", "", 1).isdigit() and 0 < float(value) < 5:
                found.append(str(row))
    return found


def check(call: Call, role: str, owner: str, url: str, response) -> list[str]:  # type: ignore[no-untyped-def]
    """Every way a response breaks the access rules, as sentences."""
    where = f"{role} {call.method} {url} (owner {owner}) → {response.status_code}"
    problems = []
    text = response.text
    if response.status_code >= 500 and not (url == "/healthz" and response.status_code == 503):
        # /healthz answers 503 by design when its own connection cannot reach the database
        # (here: the SQLite file is held by the test's transaction).
        problems.append(f"{where}: server error {text[:200]}")
    if role == "anonymous":
        if call.rule_roles != () and _succeeded(response):
            problems.append(f"{where}: reached without signing in")
    elif call.rule_roles and ROLE_OF.get(role, role) not in call.rule_roles:
        if response.status_code not in (401, 403, 404):
            problems.append(f"{where}: role excluded by the route's rule, expected 401/403/404")
    params = set(call.params)
    if params & PATIENT_LEVEL and owner not in PATIENT_SCOPE[role] and _succeeded(response):
        problems.append(f"{where}: patient-level object of team {owner} answered with success")
    aggregate = params & {"annotation_id", "exclusion_id", "team_id"} or (
        "measure_id" in params and "manual-measures" in call.template
    )
    readers = LEARNING_SCOPE if call.template.startswith(LEARNING_PATHS) else AGGREGATE_SCOPE
    if aggregate and owner not in readers[role] and _succeeded(response):
        problems.append(f"{where}: team {owner}'s aggregate object answered with success")
    writers = SETTINGS_WRITE_SCOPE if call.template.endswith(SETTINGS_PATHS) else WRITE_SCOPE
    if aggregate and call.method != "GET" and owner not in writers[role] and _succeeded(response):
        problems.append(f"{where}: team {owner}'s aggregate object changed without the team role")
    if (
        "organisation_id" in params
        and owner not in ORGANISATION_ADMIN_SCOPE[role]
        and _succeeded(response)
    ):
        problems.append(f"{where}: organisation of team {owner} reached without administering it")
    if call.template.startswith(ADMIN_PATHS) and role not in ADMIN_SCOPE and _succeeded(response):
        problems.append(f"{where}: an admin route answered a {role}")
    if params & ADMIN_PARAMS and owner not in ADMIN_SCOPE.get(role, set()) and _succeeded(response):
        problems.append(f"{where}: team {owner}'s organisation or people administered by {role}")
    if "incoming_id" in params and owner not in INCOMING_SCOPE[role] and _succeeded(response):
        problems.append(f"{where}: incoming hospital event of {owner}'s organisation reached")
    for team, label in LABELS.items():
        if team not in PATIENT_SCOPE[role] and label in text:
            problems.append(f"{where}: shows patient label {label!r}")
    if role in ("coordinator", "admin", "org_admin") and 200 <= response.status_code < 300:
        kind = response.headers.get("content-type", "")
        if "json" in kind:
            shown = small_counts(json.loads(text or "null"))
        elif "csv" in kind:
            shown = _csv_small_counts(text)
        else:
            shown = []
        if shown:
            problems.append(f"{where}: small counts shown unsuppressed: {shown[:3]}")
    return problems


@pytest.fixture()
def frozen() -> Iterator[None]:
    """Freeze 'now' a week after the world's discharges."""
    with time_machine.travel(NOW, tick=False):
        yield


def run_matrix(app, world: World) -> tuple[int, list[str], dict[str, int]]:  # type: ignore[no-untyped-def]
    """Send every call for every role and owner; return the count, problems and successes."""
    calls, unknown = matrix_calls(app)
    assert not unknown, (
        "teach tests/security/test_access_matrix.py these parameters:\n" + "\n".join(unknown)
    )
    routes = {(m, r.path): r for r in all_routes(app) for m in r.methods}
    clients = {role: signed_in(app, world.users.get(role)) for role in ROLES}
    checked, problems = 0, []
    successes = dict.fromkeys(ROLES, 0)
    for call in calls:
        owners = (
            ("A", "B", "C")
            if call.params or call.template.startswith("/api/v1/measures")
            else ("A",)
        )
        for owner in owners:
            owned = world.owners[owner]
            url = call.template
            for name in call.params:
                url = url.replace("{" + name + "}", RESOLVERS[name](owned, call.template))
            query = _query(call, owned, routes)
            for role in ROLES:
                response = _send(clients[role], call, url, query)
                checked += 1
                successes[role] += _succeeded(response)
                problems.extend(check(call, role, owner, url, response))
    for test_client in clients.values():
        test_client.close()
    return checked, problems, successes


def test_every_route_keeps_every_role_inside_its_scope(
    app, db: Session, frozen: None, backend: str
) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    world = build_world(db)
    nurse = signed_in(app, world.users["nurse"])
    canary = nurse.get(f"/api/v1/patients/{world.owners['A'].patient_id}")
    assert canary.status_code == 200 and LABELS["A"] in canary.text  # the world is reachable
    nurse.close()
    checked, problems, successes = run_matrix(app, world)
    took = time.monotonic() - started
    print(
        f"\naccess matrix on {backend}: {checked} route × role × owner combinations in {took:.1f} s"
    )
    print(f"successful answers by role: {successes}")
    assert checked > 500
    assert successes["nurse"] > 30 and successes["coordinator"] > 3
    assert successes["admin"] > 20 and successes["org_admin"] > 20  # they reach their own
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:80])
