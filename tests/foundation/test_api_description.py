"""The API description says what the API does: refusals are one sentence, the CSRF header is
documented, and the docs page works under the strict CSP (issue 17, defect 9)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.main import STATIC_DIR, create_app
from tests.factories import PASSWORD, make_team, make_user

ERROR_REF = {"$ref": "#/components/schemas/ErrorDetail"}


def _description() -> dict:  # type: ignore[type-arg]
    return create_app().openapi()


def test_every_refusal_is_declared_as_one_sentence_in_detail() -> None:
    description = _description()
    assert description["components"]["schemas"]["ErrorDetail"]["properties"]["detail"] == {
        "type": "string",
        "title": "Detail",
        "description": "One sentence naming what to fix, in the user's language.",
    }
    assert "HTTPValidationError" not in description["components"]["schemas"]
    refusals = [
        (path, method, status, response)
        for path, operations in description["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if status.startswith("4")
    ]
    assert len(refusals) > 100
    schemas = description["components"]["schemas"]
    for path, method, status, response in refusals:
        ref = response["content"]["application/json"]["schema"]["$ref"]
        detail = schemas[ref.rsplit("/", 1)[1]]["properties"]["detail"]
        assert detail["type"] == "string", (path, method, status)
    assert sum(r[3]["content"]["application/json"]["schema"] == ERROR_REF for r in refusals) > 100


def test_the_422_the_app_answers_matches_the_declared_shape(client: TestClient, db) -> None:
    make_user(db, role="nurse", team=make_team(db))
    refused = client.post("/api/v1/session", json={"email": 3})
    assert refused.status_code == 422
    assert isinstance(refused.json()["detail"], str)
    declared = _description()["paths"]["/api/v1/session"]["post"]["responses"]["422"]
    assert declared["content"]["application/json"]["schema"] == ERROR_REF


def test_the_csrf_header_is_documented_where_it_is_needed() -> None:
    description = _description()
    schemes = description["components"]["securitySchemes"]
    assert schemes["csrfToken"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-csrftoken",
        "description": schemes["csrfToken"]["description"],
    }
    assert schemes["session"]["in"] == "cookie" and schemes["session"]["name"] == "hph_session"
    paths = description["paths"]
    upload = paths["/api/v1/manual-measures/{measure_id}/values.csv"]["post"]
    assert upload["security"] == [{"session": [], "csrfToken": []}]
    assert paths["/api/v1/patients"]["post"]["security"] == [{"session": []}]
    assert paths["/api/v1/session"]["delete"]["security"] == [{"session": []}]
    assert "security" not in paths["/api/v1/session"]["post"]  # signing in is public


def test_sign_out_through_the_api_needs_only_the_session_cookie(
    bare_client: TestClient, db: Session
) -> None:
    user = make_user(db, role="nurse", team=make_team(db))
    signed_in = bare_client.post(
        "/api/v1/session", json={"email": user.email, "password": PASSWORD}
    )
    assert signed_in.status_code == 200
    bare_client.cookies.set("csrftoken", "a-browser-token-but-no-header")
    signed_out = bare_client.delete("/api/v1/session")
    assert signed_out.status_code == 204
    assert signed_out.content == b""  # a 204 has no body (uvicorn refuses to send one)
    assert bare_client.get("/api/v1/me").status_code == 401


def test_bodyless_post_to_the_api_still_needs_the_header(bare_client: TestClient, db) -> None:
    user = make_user(db, role="nurse", team=make_team(db))
    bare_client.post("/api/v1/session", json={"email": user.email, "password": PASSWORD})
    bare_client.cookies.set("hph_lang", "en")
    response = bare_client.post("/api/v1/checklists/1/complete")
    assert response.status_code == 403
    assert response.json() == {"detail": "The form has expired. Reload the page and try again."}


def test_docs_page_loads_vendored_swagger_ui_without_inline_script(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), "inline script"
    assert "<style" not in page.text and " style=" not in page.text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/static/") for source in sources)
    for source in sources:
        assert client.get(source).status_code == 200, source
    assert client.cookies.get("csrftoken") in page.text  # "Try it out" sends the header


def test_vendored_swagger_ui_is_the_pinned_npm_package() -> None:
    package = (Path(__file__).resolve().parents[2] / "package.json").read_text()
    version = re.search(r'"swagger-ui-dist": "([0-9.]+)"', package)
    assert version, "swagger-ui-dist is pinned in package.json"
    for name in ("swagger-ui-bundle-{}.js", "swagger-ui-{}.css"):
        assert (STATIC_DIR / "vendor" / name.format(version.group(1))).is_file()
