"""An ended session never costs an answer: it is kept, and sent once after signing in again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import DEMO_PASSWORD, sign_in
from tests.browser.tablet_day import (
    end_session_on_server,
    kept_on_tablet,
    new_discharge,
    stored_on_tablet,
)

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/offline")


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
    stored = stored_on_tablet(page)
    assert len(stored) == 1
    key, box = stored[0]
    user = page.locator(".checklist").get_attribute("data-user")
    assert key == f"hph-pending-{user}-{instance_id}"
    assert "fall_last_year" not in json.dumps(box) and '"no"' not in json.dumps(box)
    assert set(box) == {"iv", "data"}
    assert page.evaluate("Object.keys(localStorage)") == []

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
    assert stored_on_tablet(page) == stored

    # Only the nurse who gave the answer can send it: it is saved once when she is back.
    sign_in(page, live_server, "sykepleier@demo.no")
    page.goto(checklist_url)
    page.locator("#item-fall_last_year .saved").wait_for(timeout=15_000)
    assert kept_on_tablet(page) == []
    answers = page.request.get(f"{live_server}/api/v1/checklists/{instance_id}").json()["answers"]
    saved = {a["item_id"]: a for a in answers}["fall_last_year"]
    assert (saved["value"], saved["version"]) == ("no", 1)


def test_answer_kept_in_local_storage_by_an_older_version_is_moved_and_sent_once(
    nurse_tablet, live_server
):  # type: ignore[no-untyped-def]
    page = nurse_tablet
    sign_in(page, live_server, "sykepleier@demo.no")
    new_discharge(page, live_server, "Q.U. 1933")
    page.click(".timeline-checklist a:has-text('HPH 2')")
    page.wait_for_selector("form.item")
    checklist_url = page.url
    instance_id = checklist_url.rstrip("/").rsplit("/", 1)[1]
    page.context.set_offline(True)
    page.locator("#item-fall_last_year label.choice:has(input[value=no])").click()
    page.locator("#item-fall_last_year .error").wait_for(timeout=5_000)
    [(key, box)] = stored_on_tablet(page)

    # As the older version kept it: the same ciphertext, in localStorage, nothing in IndexedDB.
    page.evaluate(
        """([key, box]) => new Promise(resolve => {
          localStorage.setItem(key, JSON.stringify(box));
          const request = indexedDB.open('hph-tablet');
          request.onsuccess = () => {
            const tx = request.result.transaction('pending', 'readwrite');
            tx.objectStore('pending').delete(key);
            tx.oncomplete = () => { request.result.close(); resolve(null); };
          };
        })""",
        [key, box],
    )
    page.context.set_offline(False)
    page.goto(checklist_url)
    page.locator("#item-fall_last_year .saved").wait_for(timeout=15_000)
    assert kept_on_tablet(page) == []
    assert page.evaluate("Object.keys(localStorage)") == []
    answers = page.request.get(f"{live_server}/api/v1/checklists/{instance_id}").json()["answers"]
    saved = {a["item_id"]: a for a in answers}["fall_last_year"]
    assert (saved["value"], saved["version"]) == ("no", 1)
