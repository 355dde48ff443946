"""Hostile form data on every HTML POST route, on SQLite and on PostgreSQL: no server error, a
readable refusal, no raw script, and the typed text kept (or stored exactly).

PostgreSQL refuses what SQLite keeps (NUL bytes, text longer than its column), so every value
goes to every form on both. As team A's improvement-team member (who may write every form) on
team A's objects, deterministic:

1. every hostile value in every free-text field, the rest of the form valid: a refusal (422)
   shows a message and the text still in its field; an accepted value is stored exactly;
2. every hostile value in every field of every form at once, plus an empty form, one form per
   missing field and duplicated fields (the nurse sends the empty and duplicated forms too).
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlencode

from fastapi.routing import APIRoute
from markupsafe import escape
from pydantic import BaseModel
from sqlalchemy import create_engine, text
from sqlmodel import Session

from app.core.text import has_forbidden_characters
from app.goals.corrections_api import RatingCorrectionForm
from app.goals.forms import (
    ConversationIn,
    ConversationUpdate,
    GoalAchieve,
    GoalChange,
    GoalDrop,
    GoalIn,
    RatingIn,
)
from app.measures.forms import AnnotationForm
from tests.foundation.test_route_access import all_routes
from tests.security.conftest import FuzzTarget
from tests.security.test_access_matrix import RESOLVERS, path_params
from tests.security.test_text_fields import PAGE_FIELDS, TextField, ids_of
from tests.security.world import signed_in

SCRIPT = "<script>alert(1)</script>"
HOSTILE = [
    "",
    " ",
    "x" * 100_000,
    "y" * 1_000_000,
    "Ærøå 🧓🏽‍🦯 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u202e reversed",
    "tab\there\x00nul\x1bescape\r\nline",
    "nul\x00only",
    "Ny rutine\x01",
    "del\x7f and c1\x85\x9f",
    "nonchar\ufffe and \uffff",
    "two\nlines",
    "\u2028separators\u2029",
    "12345",
    "-1",
    "-99999999999999999999999",
    "99999999999999999999999999999",
    "1e308",
    "NaN",
    "3.5",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "2026-W99",
    "' OR 1=1 --",
    "'); DROP TABLE patient; --",
    SCRIPT,
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "yes",
    "true",
    "on",
]
# The values that are text rather than a number or a date: sent to each free-text field alone.
TEXTS = [v for v in HOSTILE if not re.fullmatch(r"[-+.\deEW]*|NaN|yes|true|on", v)]
# /fhir/R4/ takes FHIR Bundles from systems with a token, never forms (tests/fhir/test_ingest.py).
SKIPPED = {"/sign-out", "/sign-in", "/language", "/fhir/R4/"}
READABLE = re.compile(r'role="alert"|class="(field-)?error|class="card notice', re.I)
# Routes that read the posted form themselves: the fields they read.
GOALS = "/pathways/{pathway_id}/what-matters"
READ_BY_MODEL: dict[str, type[BaseModel]] = {
    f"{GOALS}/conversations": ConversationIn,
    f"{GOALS}/conversations/{{conversation_id}}": ConversationUpdate,
    f"{GOALS}/goals": GoalIn,
    f"{GOALS}/goals/{{goal_id}}/ratings": RatingIn,
    f"{GOALS}/goals/{{goal_id}}/achieve": GoalAchieve,
    f"{GOALS}/goals/{{goal_id}}/change": GoalChange,
    f"{GOALS}/goals/{{goal_id}}/drop": GoalDrop,
    f"{GOALS}/goals/{{goal_id}}/ratings/correct": RatingCorrectionForm,
}
ANNOTATION_FIELDS = list(AnnotationForm.model_fields)
READ_BY_NAME = {
    "/checklists/{instance_id}/answers/{item_id}": ["value", "version", "idempotency_key"],
    "/teams/{team_id}/measures/settings": ["follow", "goal-hph-2-on-time", "goal-readmission-30d"],
    "/checklists/{instance_id}/reopen": ["reason", "version"],
    "/teams/{team_id}/dashboard/annotations": list(AnnotationForm.model_fields),
    "/teams/{team_id}/dashboard/annotations/{annotation_id}/edit": list(
        AnnotationForm.model_fields
    ),
    "/teams/{team_id}/dashboard/exclusions": ["measure_key", "period", "reason"],
}
NO_FIELDS = {
    "/manual-measures/{measure_id}/values/{period}/delete",
    "/teams/{team_id}/dashboard/annotations/{annotation_id}/delete",
    "/admin/users/{user_id}/deactivate",
    "/admin/users/{user_id}/reactivate",
    "/admin/users/{user_id}/unlock",
    "/admin/users/{user_id}/link",
    "/admin/users/{user_id}/memberships/{membership_id}/delete",
    "/admin/tokens/{token_id}/revoke",
    "/digest/unsubscribe/{token}",
    "/teams/{team_id}/dashboard/exclusions/{exclusion_id}/delete",
}
# Where an accepted free-text value is stored, and how the service normalises it.
STORED: dict[tuple[str, str], tuple[str, str]] = {
    ("/patients", "label"): ("patient", "label"),
    ("/patients", "local_reference"): ("patient", "local_reference"),
    ("/pathways/{pathway_id}/events", "note"): ("pathway_event", "note"),
    ("/events/{event_id}/cancel", "reason"): ("pathway_event", "cancel_reason"),
    ("/checklists/{instance_id}/not-applicable", "reason"): (
        "checklist_instance",
        "not_applicable_reason",
    ),
    (f"{GOALS}/conversations", "patient_words"): ("what_matters_conversation", "patient_words"),
    (f"{GOALS}/conversations", "not_answered_reason"): (
        "what_matters_conversation",
        "not_answered_reason",
    ),
    (f"{GOALS}/goals", "activity"): ("goal", "activity"),
    (f"{GOALS}/goals", "plan"): ("goal", "plan"),
    (f"{GOALS}/goals/{{goal_id}}/change", "reason"): ("goal", "status_reason"),
    (f"{GOALS}/goals/{{goal_id}}/achieve", "note"): ("goal", "status_reason"),
    (f"{GOALS}/goals/{{goal_id}}/drop", "reason"): ("goal", "status_reason"),
    ("/teams/{team_id}/dashboard/annotations", "title"): ("annotation", "title"),
    ("/teams/{team_id}/dashboard/annotations", "description"): ("annotation", "description"),
    ("/teams/{team_id}/manual-measures", "key"): ("manual_measure", "key"),
    ("/teams/{team_id}/manual-measures", "title"): ("manual_measure", "title"),
}


def form_routes(app) -> list[APIRoute]:  # type: ignore[no-untyped-def]
    """Every page (not API) route that accepts POST."""
    return sorted(
        (
            r
            for r in all_routes(app)
            if "POST" in r.methods and not r.path.startswith("/api/") and r.path not in SKIPPED
        ),
        key=lambda r: (r.path.endswith(("/erase", "/delete", "/cancel", "/drop")), r.path),
    )


def field_names(route: APIRoute) -> list[str]:
    """The form fields a route reads (a form model's fields, not the model's parameter name)."""
    if route.path in READ_BY_MODEL:
        return list(READ_BY_MODEL[route.path].model_fields)
    if route.path in READ_BY_NAME:
        return READ_BY_NAME[route.path]
    names: list[str] = []
    for field in route.dependant.body_params:
        kind = field.field_info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            names += list(kind.model_fields)
        else:
            names.append(field.alias or field.name)
    return names


def batches(fields: list[str]) -> list[list[tuple[str, str]]]:
    """The hostile forms for these fields (as lists of pairs, so fields can repeat)."""
    forms: list[list[tuple[str, str]]] = [[]]
    forms += [[(name, value) for name in fields] for value in HOSTILE]
    forms += [[(n, "1") for n in fields if n != missing] for missing in fields]
    forms.append(duplicated(fields))
    return forms


def duplicated(fields: list[str]) -> list[tuple[str, str]]:
    """Every field three times: a number, a script and nothing."""
    return [(name, value) for name in fields for value in ("1", SCRIPT, "")]


def test_hostile_forms_never_break_pages(form_fuzz_target: FuzzTarget) -> None:
    started = time.monotonic()
    app, owned = form_fuzz_target.app, form_fuzz_target.world.owners["A"]
    routes = form_routes(app)
    unknown = [r.path for r in routes if any(p not in RESOLVERS for p in path_params(r.path))]
    assert not unknown, f"teach the resolvers in test_access_matrix.py these routes: {unknown}"
    blind = [r.path for r in routes if not field_names(r) and r.path not in NO_FIELDS]
    assert not blind, f"teach field_names() the fields these routes read: {blind}"
    covered = {f.url for f in PAGE_FIELDS}
    untyped = [r.path for r in routes if r.path in STORED and r.path not in covered]
    assert not untyped, f"add these forms' text fields to PAGE_FIELDS: {untyped}"
    findings: list[str] = []
    sent = 0
    member = signed_in(app, form_fuzz_target.world.users["team"])
    engine = create_engine(form_fuzz_target.url)
    with Session(engine) as session:
        ids = ids_of(session, owned)
    # Values the text rules refuse first (they change nothing), then those they may accept.
    for refused_by_rules in (True, False):
        for field in PAGE_FIELDS:
            for value in TEXTS:
                if _refused_by_rules(field, value) is refused_by_rules:
                    findings += _typed_text_kept(member, engine, field, value, ids)
                    sent += 1
    for role, forms in (("team", batches), ("nurse", lambda f: [[], duplicated(f)])):
        browser = member if role == "team" else signed_in(app, form_fuzz_target.world.users[role])
        for route in routes:
            url = route.path
            for name in path_params(route.path):
                url = url.replace("{" + name + "}", RESOLVERS[name](owned, route.path))
            for form in forms(field_names(route)):
                response = browser.post(
                    url, content=urlencode(form).encode(), headers=FORM, follow_redirects=False
                )
                sent += 1
                where = f"{role} POST {url} form={str(form)[:160]!r} → {response.status_code}"
                findings += _readable(where, response)
        browser.close()
    engine.dispose()
    took = time.monotonic() - started
    backend = engine.dialect.name
    print(f"\nform fuzzing ({backend}): {len(routes)} routes, {sent} requests in {took:.1f} s")
    unique = sorted(set(findings))
    assert not unique, f"{len(unique)} findings:\n" + "\n".join(unique[:60])


FORM = {"content-type": "application/x-www-form-urlencoded"}


def _readable(where: str, response: Any) -> list[str]:
    """What is wrong with a response to a hostile form: a 500, no message, a raw script."""
    found = []
    if response.status_code >= 500:
        found.append(f"{where}: server error")
    elif 400 <= response.status_code < 500 and response.status_code != 403:
        if not READABLE.search(response.text):
            found.append(f"{where}: no readable message {response.text[:160]!r}")
    if SCRIPT in response.text:
        found.append(f"{where}: injected <script> echoed unescaped")
    return found


def _typed_text_kept(
    browser: Any, engine: Any, field: TextField, value: str, ids: dict[str, Any]
) -> list[str]:
    """Send one hostile value in one free-text field: refused and kept, or stored exactly."""
    body = field.body(value, ids)
    response = browser.post(
        field.path(ids), content=urlencode(body).encode(), headers=FORM, follow_redirects=False
    )
    where = f"POST {field.url} {field.name}={value[:24]!r} → {response.status_code}"
    found = _readable(where, response)
    if _refused_by_rules(field, value):
        if response.status_code != 422:
            found.append(f"{where}: a text over its limit or with control characters passed")
        elif str(escape(value)) not in response.text:
            found.append(f"{where}: the typed text is not in the form any more")
    elif response.status_code in (200, 303) and (field.url, field.name) in STORED and value.strip():
        table, column = STORED[(field.url, field.name)]
        expected = value.replace("\r\n", "\n").strip()
        if field.name == "key":
            expected = expected.lower()
        with engine.connect() as connection:
            stored = connection.execute(
                text(f"SELECT count(*) FROM {table} WHERE {column} = :v"), {"v": expected}
            ).scalar_one()
        if not stored:
            found.append(f"{where}: accepted but not stored as typed")
    return found


def _refused_by_rules(field: TextField, value: str) -> bool:
    """Whether the shared text rules refuse this value in this field (before any other rule)."""
    return len(value) > field.limit or has_forbidden_characters(value)
