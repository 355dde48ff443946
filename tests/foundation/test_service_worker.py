"""The service worker is served from the site root, as this site's own script."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_service_worker_is_served_at_the_root_without_cache_and_under_the_csp(
    client: TestClient,
) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-store" in response.headers["cache-control"]
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert 'importScripts("/static/vendor/workbox-7.4.1.sw.js")' in response.text
    assert client.get("/static/vendor/workbox-7.4.1.sw.js").status_code == 200


def test_offline_page_needs_no_sign_in_and_leads_to_my_day(client: TestClient) -> None:
    response = client.get("/offline")
    assert response.status_code == 200
    assert 'href="/my-day"' in response.text
    assert "data-user" not in response.text
