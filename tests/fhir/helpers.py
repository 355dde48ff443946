"""Reading the FHIR API in tests: status, media type and fhir.resources validation at once."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from fhir.resources.R4B import get_fhir_model_class

FHIR_JSON = "application/fhir+json"


def valid(body: dict[str, Any]) -> Any:
    """Validate a resource (and every resource in a Bundle) with fhir.resources' R4B models."""
    model = get_fhir_model_class(body["resourceType"]).model_validate(body)
    for entry in body.get("entry", []):
        valid(entry["resource"])
    return model


def fhir_get(client: TestClient, url: str, expect: int = 200, **params: str) -> dict[str, Any]:
    """GET a FHIR URL, check the status and media type, and return the validated body."""
    # httpx drops a URL's own query when given params, even empty ones
    response = client.get(url, params=params or None, follow_redirects=False)
    assert response.status_code == expect, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    body = response.json()
    valid(body)
    return body


def local_path(url: str) -> str:
    """The path and query of an absolute URL the test server wrote (a Bundle's link)."""
    return url.split("testserver", 1)[1]


def walk(client: TestClient, url: str, **params: str) -> list[dict[str, Any]]:
    """Every resource of a search, following the Bundle's next links page by page."""
    body = fhir_get(client, url, **params)
    found = [entry["resource"] for entry in body.get("entry", [])]
    total = body["total"]
    while True:
        following = [link["url"] for link in body["link"] if link["relation"] == "next"]
        if not following:
            break
        body = fhir_get(client, local_path(following[0]))
        assert body["total"] == total
        found += [entry["resource"] for entry in body.get("entry", [])]
    assert len(found) == total
    return found
