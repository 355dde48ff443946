"""The team's pages tried as a new user would, at 1366×900: the tested-change form (a visible
"new phase" box, a title field one can write in, editing, a confirmation before deleting), a
point left out, the monthly report with its month picker and summary; axe finds nothing
serious."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh bokmål page at the team's laptop viewport."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.viewport_name = "desktop"  # type: ignore[attr-defined]
    yield page
    context.close()


def serious_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's serious and critical findings on the page's URL (in a CSP-free twin)."""
    context = page.context.browser.new_context(
        viewport={"width": 1366, "height": 900},
        bypass_csp=True,
        storage_state=page.context.storage_state(),
    )
    audited = context.new_page()
    audited.goto(page.url)
    audited.wait_for_function(
        "[...document.querySelectorAll('.vega-chart')].every(e => e.dataset.drawn)"
    )
    audited.add_script_tag(path=str(AXE))
    result = audited.evaluate("axe.run()")
    context.close()
    return [
        f"{v['id']}: {v['help']} ({v['nodes'][0]['target']})"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_tested_change_form_is_usable_and_edits_and_deletes_with_care(  # type: ignore[no-untyped-def]
    page, live_server: str
) -> None:
    sign_in(page, live_server, "team@demo.no")
    page.goto(f"{live_server}/dashboard")
    dashboard = page.url.split("?")[0]
    page.goto(f"{dashboard}?period=month#changes")
    box = page.locator("input[name=starts_phase]").bounding_box()
    assert box is not None and box["width"] >= 16 and box["height"] >= 16
    title = page.locator("#a-title").bounding_box()
    assert title is not None and title["height"] >= 48 and title["width"] >= 400
    assert page.locator("#a-date").get_attribute("max") == date.today().isoformat()
    page.fill("#a-date", (date.today() - timedelta(days=3)).isoformat())
    page.fill("#a-title", "Ringeliste før første hjemmebesøk")
    page.check("input[name=starts_phase]")
    with page.expect_navigation():
        page.click("form.dash-change-form >> text=Lagre endringen")
    item = page.locator(".dash-change-list li", has_text="Ringeliste før første hjemmebesøk")
    assert "(alle mål)" in item.inner_text()
    with page.expect_navigation():
        item.locator("text=Endre").click()
    assert page.locator("#a-title").input_value() == "Ringeliste før første hjemmebesøk"
    page.fill("#a-title", "Ringeliste før første besøk")
    page.select_option("#a-measure", "hph-2-on-time")
    screenshot(page, "polish-change-edit")
    assert serious_violations(page) == []
    with page.expect_navigation():
        page.click("text=Lagre endringen")
    item = page.locator(".dash-change-list li", has_text="Ringeliste før første besøk")
    assert "(Første hjemmebesøk innen 3 dager)" in item.inner_text()
    with page.expect_navigation():
        item.locator("text=Slett").click()
    assert "Slette den testede endringen?" in page.content()
    screenshot(page, "polish-change-delete")
    with page.expect_navigation():
        page.click("text=Behold den")
    assert page.locator(".dash-change-list li", has_text="Ringeliste før første besøk").count()


def test_monthly_report_opens_on_the_last_complete_month_with_a_summary(  # type: ignore[no-untyped-def]
    page, live_server: str
) -> None:
    sign_in(page, live_server, "team@demo.no")
    page.goto(f"{live_server}/dashboard")
    report = page.url.split("?")[0].replace("/dashboard", "/report")
    page.goto(report)
    page.wait_for_function(
        "[...document.querySelectorAll('.vega-chart')].every(e => e.dataset.drawn)"
    )
    last = (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert page.locator("#report-month").input_value() == last
    summary = page.locator(".report-summary-line").inner_text()
    assert "uten signal" in summary or "forbedret" in summary or "uten data" in summary
    screenshot(page, "polish-report")
    assert serious_violations(page) == []


def test_csv_for_excel_downloads_in_bokmal_form(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "team@demo.no")
    page.goto(f"{live_server}/dashboard")
    with page.expect_download() as info:
        page.locator(".dash-exports a", has_text="CSV for Excel").first.click()
    content = Path(info.value.path()).read_bytes()
    assert content.startswith("\ufeffEnhet;Periode;Teller;Nevner;Verdi".encode())
