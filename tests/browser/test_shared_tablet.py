"""The shared tablet: the banner follows the network, and sign-out leaves nothing readable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import sign_in
from tests.browser.tablet_day import kept_on_tablet, new_discharge

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/offline")
STORAGE_JS = """async () => ({
  local: Object.keys(localStorage),
  cached: (await Promise.all((await caches.keys()).map(async name =>
    (await (await caches.open(name)).keys()).map(r => new URL(r.url).pathname)))).flat(),
  databases: (await indexedDB.databases()).map(d => d.name),
})"""

PATHS_JS = "() => Object.keys(sessionStorage).map(k => sessionStorage.getItem(k))"


# Bodø's nurse: the other browser tests register their patients with Trondheim's nurse, whose
# own patients would push this test's new one off the first page of "My day".
NURSE = "sykepleier.bodo@demo.no"


def is_shell(path: str) -> bool:
    """Whether a cached path is part of the app shell, which holds no patient data."""
    return path.startswith("/static/") or path == "/offline"


@pytest.fixture
def nurse_tablet(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh page on a tablet held upright (768x1024), as the nurses use it."""
    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True)
    yield context.new_page()
    context.close()


def test_sign_out_waits_for_unsent_answers_and_then_leaves_no_patient_data(
    nurse_tablet, live_server
):  # type: ignore[no-untyped-def]
    page = nurse_tablet
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server, NURSE)
    new_discharge(page, live_server, "Q.Y. 1937")
    page.goto(f"{live_server}/my-day")
    page.locator("body[data-day-kept='1']").wait_for(state="attached", timeout=20_000)
    page.click("article.patient-work:has(h2:has-text('Q.Y. 1937')) .work-link:has-text('HPH 2')")
    page.wait_for_selector("form.item")
    instance_id = page.url.rstrip("/").rsplit("/", 1)[1]
    kept = page.evaluate(STORAGE_JS)["cached"]
    assert "/my-day" in kept and f"/checklists/{instance_id}" in kept

    page.context.set_offline(True)
    page.locator("#offline").wait_for(state="visible", timeout=5_000)
    page.locator("#item-fall_last_year label.choice:has(input[value=no])").click()
    page.screenshot(path=str(SHOTS / "offline-banner-768x1024.png"))
    page.click("button:has-text('Logg ut')")
    refused = page.locator("#sign-out-refused")
    refused.wait_for(state="visible", timeout=5_000)
    assert refused.locator(f"a[href='/checklists/{instance_id}']").count() == 1
    assert "/checklists/" in page.url
    page.screenshot(path=str(SHOTS / "sign-out-refused-768x1024.png"))

    page.context.set_offline(False)
    page.locator("#offline").wait_for(state="hidden", timeout=5_000)
    page.locator("#item-fall_last_year .saved").wait_for(timeout=20_000)
    assert kept_on_tablet(page) == []
    with page.expect_navigation():
        page.click("button:has-text('Logg ut')")
    assert "/sign-in" in page.url
    left = page.evaluate(STORAGE_JS)
    assert left["local"] == []
    # Only the app shell stays: scripts, styles and the offline page (no user, no patient).
    assert [path for path in left["cached"] if not is_shell(path)] == []
    assert left["databases"] == []
    # htmx notes the path of the page it is on (now the sign-in page): no patient's page.
    assert page.evaluate(PATHS_JS) in ([], ["/sign-in"])


def test_idle_tablet_drops_the_kept_pages_and_shows_sign_in(nurse_tablet, live_server):  # type: ignore[no-untyped-def]
    page = nurse_tablet
    page.clock.install()
    sign_in(page, live_server, NURSE)
    page.goto(f"{live_server}/my-day")
    page.locator("body[data-day-kept='1']").wait_for(state="attached", timeout=20_000)
    assert "/my-day" in page.evaluate(STORAGE_JS)["cached"]
    idle = float(page.locator("body").get_attribute("data-idle-minutes"))
    page.clock.fast_forward(int((idle + 1) * 60_000))
    page.wait_for_url("**/sign-in?reason=ended**", timeout=10_000)
    left = page.evaluate(STORAGE_JS)["cached"]
    assert [path for path in left if not is_shell(path)] == []
