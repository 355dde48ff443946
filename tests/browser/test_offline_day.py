"""The nurse's day without network: a checklist on "My day" is opened, filled and completed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import sign_in
from tests.browser.tablet_day import kept_on_tablet, new_discharge

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/offline")


# Bodø's nurse: the other browser tests register their patients with Trondheim's nurse, whose
# own patients would push this test's new one off the first page of "My day".
NURSE = "sykepleier.bodo@demo.no"


@pytest.fixture
def nurse_tablet(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh page on a tablet held upright (768x1024), as the nurses use it."""
    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True)
    yield context.new_page()
    context.close()


def test_checklist_on_my_day_is_filled_and_completed_offline_and_saved_once_online(
    nurse_tablet, live_server
):  # type: ignore[no-untyped-def]
    page = nurse_tablet
    sign_in(page, live_server, NURSE)
    new_discharge(page, live_server, "Q.W. 1935")
    page.goto(f"{live_server}/my-day")
    page.locator("body[data-day-kept='1']").wait_for(state="attached", timeout=20_000)
    link = page.locator(
        "article.patient-work:has(h2:has-text('Q.W. 1935')) .work-link:has-text('HPH 2')"
    ).first
    href = link.get_attribute("href")
    instance_id = href.rsplit("/", 1)[1]

    # The network goes before the checklist is opened.
    page.context.set_offline(True)
    link.click()
    page.wait_for_url(f"**{href}")
    assert page.locator(".wm-banner").count() == 1
    page.locator("#item-fall_last_year label.choice:has(input[value=no])").click()
    page.locator("#offline").wait_for(state="visible", timeout=5_000)
    page.locator("#item-medication_at_home label.choice:has(input[value=yes])").click()
    page.locator("#item-medication_at_home .error").wait_for(timeout=5_000)
    page.click("button:has-text('Fullfør')")
    page.locator("#closing-kept").wait_for(state="visible", timeout=5_000)
    page.screenshot(path=str(SHOTS / "offline-completed-768x1024.png"), full_page=True)

    page.reload()
    assert page.locator("#item-fall_last_year input[value=no]").is_checked()
    assert page.locator("#item-medication_at_home input[value=yes]").is_checked()
    page.locator("#closing-kept").wait_for(state="visible", timeout=5_000)
    page.screenshot(path=str(SHOTS / "offline-reloaded-768x1024.png"))
    page.goto(f"{live_server}/patients")
    assert page.locator(".offline-page a[href='/my-day']").count() == 1
    page.screenshot(path=str(SHOTS / "offline-page-768x1024.png"))
    page.click(".offline-page a[href='/my-day']")
    page.wait_for_url("**/my-day")
    page.click(f".work-link[href='{href}']")
    page.locator("#closing-kept").wait_for(state="visible", timeout=5_000)

    # The network returns: the answers, then the completion, each sent once.
    page.context.set_offline(False)
    page.wait_for_url("**/checklists/*completed=1", timeout=30_000)
    assert kept_on_tablet(page) == []
    checklist = page.request.get(f"{live_server}/api/v1/checklists/{instance_id}").json()
    assert checklist["status"] == "completed"
    saved = {a["item_id"]: (a["value"], a["version"]) for a in checklist["answers"]}
    assert saved == {"fall_last_year": ("no", 1), "medication_at_home": ("yes", 1)}


def test_not_applicable_offline_is_sent_once_and_a_refused_completion_is_shown_after_sync(
    nurse_tablet, live_server
):  # type: ignore[no-untyped-def]
    page = nurse_tablet
    sign_in(page, live_server, NURSE)
    new_discharge(page, live_server, "Q.V. 1934")
    page.goto(f"{live_server}/my-day")
    page.locator("body[data-day-kept='1']").wait_for(state="attached", timeout=20_000)
    links = {
        name: page.locator(
            f"article.patient-work:has(h2:has-text('Q.V. 1934')) .work-link:has-text('{name}')"
        ).first.get_attribute("href")
        for name in ("HPH 1", "HPH 2")
    }
    page.context.set_offline(True)

    # HPH 1 does not apply: marked offline, kept, sent once the network is back.
    page.goto(f"{live_server}{links['HPH 1']}")
    page.click("details.not-applicable summary")
    page.fill("#reason", "Innlagt igjen")
    page.click("button:has-text('Merk som ikke aktuell')")
    page.locator("#closing-kept").wait_for(state="visible", timeout=5_000)
    page.context.set_offline(False)
    page.wait_for_url("**/patients/*", timeout=30_000)
    hph1 = page.request.get(f"{live_server}/api/v1{links['HPH 1']}").json()
    assert hph1["status"] == "not_applicable"

    # HPH 2 completed offline without its required answer: the refusal is shown after sync.
    page.goto(f"{live_server}/my-day")
    page.context.set_offline(True)
    page.goto(f"{live_server}{links['HPH 2']}")
    page.click("button:has-text('Fullfør')")
    page.locator("#closing-kept").wait_for(state="visible", timeout=5_000)
    page.context.set_offline(False)
    page.locator(".complete-form .error").wait_for(timeout=30_000)
    assert kept_on_tablet(page) == []
    hph2 = page.request.get(f"{live_server}/api/v1{links['HPH 2']}").json()
    assert hph2["status"] in ("due", "in_progress")
