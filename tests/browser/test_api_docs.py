"""The API docs page renders in Chromium under the strict CSP (vendored Swagger UI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/edges")


def test_api_docs_render_every_operation_without_a_csp_violation(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    sign_in(page, live_server, "team@demo.no")
    page.goto(f"{live_server}/api/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() > 40
    assert "HPH Tracker" in page.locator(".info .title").inner_text()
    page.locator(".opblock-summary-path", has_text="/api/v1/me").first.click()
    page.click("button.try-out__btn")
    page.click("button.execute")
    status = page.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=10_000)
    assert status.inner_text().strip() == "200"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "api-docs-1366x900.png"))
    context.close()
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
