"""Hostile form data on every HTML POST route: no server error, a readable refusal, no raw script.

SQLite only (the fuzzers' own migrated file); as team A's nurse and team member, on team A's
objects. Deterministic: a fixed list of hostile values, each sent in every field at once, plus
an empty form, one form per missing field and duplicated fields.
"""

from __future__ import annotations

import re
import time

from fastapi.routing import APIRoute

from tests.foundation.test_route_access import all_routes
from tests.security.conftest import FuzzTarget
from tests.security.test_access_matrix import RESOLVERS, path_params
from tests.security.world import signed_in

SCRIPT = "<script>alert(1)</script>"
HOSTILE = [
    "",
    " ",
    "x" * 100_000,
    "Ærøå 🧓🏽‍🦯 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u202e reversed",
    "tab\there\x00nul\x1bescape\r\nline",
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
SKIPPED = {"/sign-out", "/sign-in", "/language"}
READABLE = re.compile(r'role="alert"|class="(field-)?error|class="card notice', re.I)


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
    """The form fields a route reads."""
    return [field.alias or field.name for field in route.dependant.body_params]


def batches(fields: list[str]) -> list[list[tuple[str, str]]]:
    """The hostile forms for these fields (as lists of pairs, so fields can repeat)."""
    forms: list[list[tuple[str, str]]] = [[]]
    forms += [[(name, value) for name in fields] for value in HOSTILE]
    forms += [[(n, "1") for n in fields if n != missing] for missing in fields]
    forms.append([(name, value) for name in fields for value in ("1", SCRIPT, "")])
    return forms


def test_hostile_forms_never_break_pages(fuzz_target: FuzzTarget) -> None:
    started = time.monotonic()
    app, owned = fuzz_target.app, fuzz_target.world.owners["A"]
    routes = form_routes(app)
    unknown = [r.path for r in routes if any(p not in RESOLVERS for p in path_params(r.path))]
    assert not unknown, f"teach the resolvers in test_access_matrix.py these routes: {unknown}"
    findings: list[str] = []
    sent = 0
    for role in ("nurse", "team"):
        browser = signed_in(app, fuzz_target.world.users[role])
        for route in routes:
            url = route.path
            for name in path_params(route.path):
                url = url.replace("{" + name + "}", RESOLVERS[name](owned, route.path))
            for form in batches(field_names(route)):
                response = browser.post(
                    url, content=_encode(form), headers=_form_header(), follow_redirects=False
                )
                sent += 1
                where = f"{role} POST {url} form={str(form)[:160]!r} → {response.status_code}"
                if response.status_code >= 500:
                    findings.append(f"{where}: server error")
                elif 400 <= response.status_code < 500 and response.status_code != 403:
                    if not READABLE.search(response.text):
                        findings.append(f"{where}: no readable message {response.text[:160]!r}")
                if SCRIPT in response.text:
                    findings.append(f"{where}: injected <script> echoed unescaped")
        browser.close()
    took = time.monotonic() - started
    print(f"\nform fuzzing (SQLite): {len(routes)} routes, {sent} requests in {took:.1f} s")
    unique = sorted(set(findings))
    assert not unique, f"{len(unique)} findings:\n" + "\n".join(unique[:60])


def _encode(form: list[tuple[str, str]]) -> bytes:
    """URL-encode a form, repeated fields kept."""
    from urllib.parse import urlencode

    return urlencode(form).encode()


def _form_header() -> dict[str, str]:
    """The content type of a browser's form post."""
    return {"content-type": "application/x-www-form-urlencoded"}
