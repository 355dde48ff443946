"""An ended session never costs an answer: it is kept, and sent once after signing in again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import DEMO_PASSWORD, sign_in
from tests.browser.tablet_day import end_session_on_server, kept_on_tablet, new_discharge

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/offline")
STORED_JS = """() => Object.keys(localStorage).filter(k => k.startsWith('hph-pending'))
  .map(k => localStorage.getItem(k))"""


@pytest.fixture
def nurse_tablet(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh page on a tablet held upright (768x1024), as the nurses use it."""
    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True)
    yield context.new_page()
    context.close()


def test_answer_given_after_the_session_ended_is_saved_once_after_signing_in_again(
    nurse_tablet, live_server
):  # type: ignore[no-untyped-def]
    page = nurse_tablet
    sign_in(page, live_server, "sykepleier@demo.no")
    new_discharge(page, live_server, "Q.X. 1939")
    page.click(".timeline-checklist a:has-text('HPH 2')")
    page.wait_for_selector("form.item")
    checklist_url = page.url
    instance_id = checklist_url.rstrip("/").rsplit("/", 1)[1]
    end_session_on_server(page, live_server)

    page.locator("#item-fall_last_year label.choice:has(input[value=no])").click()
    page.wait_for_url("**/sign-in?**")
    assert f"next=/checklists/{instance_id}" in page.url
    notice = page.locator(".session-ended")
    assert "svarene som er lagret" in notice.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "sign-in-again-768x1024.png"), full_page=True)

    page.fill("#email", "sykepleier@demo.no")
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert page.url == checklist_url
    page.locator("#item-fall_last_year .saved").wait_for(timeout=15_000)
    assert kept_on_tablet(page) == []

    stored = page.request.get(f"{live_server}/api/v1/checklists/{instance_id}").json()
    answers = {a["item_id"]: a for a in stored["answers"]}
    assert answers["fall_last_year"]["value"] == "no"
    assert answers["fall_last_year"]["version"] == 1
    page.reload()
    assert page.locator("#item-fall_last_year input[value=no]").is_checked()


def test_answers_kept_after_the_session_ended_are_unreadable_by_the_next_user(
    nurse_tablet, live_server
):  # type: ignore[no-untyped-def]
    page = nurse_tablet
    sign_in(page, live_server, "sykepleier@demo.no")
    new_discharge(page, live_server, "Q.Z. 1936")
    page.click(".timeline-checklist a:has-text('HPH 2')")
    page.wait_for_selector("form.item")
    checklist_url = page.url
    instance_id = checklist_url.rstrip("/").rsplit("/", 1)[1]
    page.context.set_offline(True)
    page.locator("#item-fall_last_year label.choice:has(input[value=no])").click()
    page.locator("#item-fall_last_year .error").wait_for(timeout=5_000)
    stored = page.evaluate(STORED_JS)
    assert len(stored) == 1
    assert "fall_last_year" not in stored[0] and '"no"' not in stored[0]
    assert set(json.loads(stored[0])) == {"iv", "data"}

    # The idle limit ends the session; the network returns; another user takes the tablet.
    end_session_on_server(page, live_server)
    page.context.set_offline(False)
    page.wait_for_url("**/sign-in?**")
    page.fill("#email", "team@demo.no")
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert page.url == checklist_url
    assert not page.locator("#item-fall_last_year input[value=no]").is_checked()
    page.wait_for_timeout(1_000)
    answers = page.request.get(f"{live_server}/api/v1/checklists/{instance_id}").json()["answers"]
    assert "fall_last_year" not in {a["item_id"] for a in answers}
    with page.expect_navigation():
        page.click("button:has-text('Logg ut')")
    assert page.evaluate(STORED_JS) == stored

    # Only the nurse who gave the answer can send it: it is saved once when she is back.
    sign_in(page, live_server, "sykepleier@demo.no")
    page.goto(checklist_url)
    page.locator("#item-fall_last_year .saved").wait_for(timeout=15_000)
    assert kept_on_tablet(page) == []
    answers = page.request.get(f"{live_server}/api/v1/checklists/{instance_id}").json()["answers"]
    saved = {a["item_id"]: a for a in answers}["fall_last_year"]
    assert (saved["value"], saved["version"]) == ("no", 1)
