"""A nurse fills and completes the discharge checklist on a tablet, and loses nothing offline."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.browser.tablet_day import new_discharge

pytestmark = pytest.mark.browser
MEASUREMENTS: dict[str, dict[str, float]] = {}
ANSWERS_JS = """f => [...f.querySelectorAll('input:not([type=hidden]), textarea')]
  .filter(i => !['radio', 'checkbox'].includes(i.type) || i.checked)
  .map(i => [i.name, i.value])"""


def _new_discharge(page, base: str, label: str) -> None:  # type: ignore[no-untyped-def]
    """Register a patient and record an admission and a discharge through the pages."""
    new_discharge(page, base, label)


def _answer_every_visible_item(page) -> int:  # type: ignore[no-untyped-def]
    """Answer each visible, unanswered item with a realistic first choice; return the taps."""
    taps = 0
    answered: set[str] = set()
    while True:
        pending = [
            f
            for f in page.locator("form.item:not([hidden])").all()
            if f.get_attribute("data-item") not in answered
        ]
        if not pending:
            return taps
        form = pending[0]
        item_id = form.get_attribute("data-item")
        answered.add(item_id)
        if form.locator("input[type=radio][value=yes]").count():
            form.locator("label.choice:has(input[value=yes])").click()
        elif form.locator("input[type=radio], input[type=checkbox][name=value]").count():
            form.locator("label.choice").first.click()
        elif form.locator("textarea").count():
            form.locator("textarea").fill("Avtalt med fastlegen")
            form.locator("textarea").dispatch_event("change")
        elif form.locator("input[type=date]").count():
            form.locator("input[type=date]").fill(datetime.now().strftime("%Y-%m-%d"))
        else:
            form.locator("input[type=text]").fill("60")
            form.locator("input[type=text]").dispatch_event("change")
        taps += 1
        page.locator(f"#item-{item_id} .saved").wait_for(timeout=10_000)


def test_nurse_fills_and_completes_the_discharge_call_and_finds_every_answer(
    tablet_page, live_server
):  # type: ignore[no-untyped-def]
    page = tablet_page
    sign_in(page, live_server, "sykepleier@demo.no")
    _new_discharge(page, live_server, f"T.{page.viewport_name[0].upper()}. 1938")
    started = time.perf_counter()
    page.click(".timeline-checklist a:has-text('HPH 1')")
    page.wait_for_selector("form.item")
    taps = 1 + _answer_every_visible_item(page)
    answers = {
        f.get_attribute("data-item"): f.evaluate(ANSWERS_JS)
        for f in page.locator("form.item:not([hidden])").all()
    }
    screenshot(page, "checklist-hph1-filled")
    page.click("button:has-text('Fullfør')")
    page.wait_for_url("**/checklists/*?completed=1")
    taps += 1
    MEASUREMENTS[page.viewport_name] = {"taps": taps, "seconds": time.perf_counter() - started}
    assert page.locator(".done-notice").is_visible()
    page.click(".done-notice a")
    page.wait_for_url("**/patients/*")
    assert page.locator(".timeline-checklist.status-completed:has-text('HPH 1')").count() == 1
    page.click(".timeline-checklist a:has-text('HPH 1')")
    page.wait_for_url("**/checklists/*")
    page.reload()
    # A completed checklist is read only: every answer is there as text, nothing to type in.
    assert page.locator(".items input, .items textarea").count() == 0
    for item_id, entries in answers.items():
        assert entries, item_id
        assert page.locator(f"#item-{item_id} .answer-text").inner_text().strip(), item_id
    screenshot(page, "checklist-hph1-completed")
    print(
        f"\nhph-1 on {page.viewport_name}: {taps} taps, "
        f"{MEASUREMENTS[page.viewport_name]['seconds']:.1f} s"
    )


def test_answers_given_offline_are_sent_when_the_network_returns(tablet_page, live_server):  # type: ignore[no-untyped-def]
    page = tablet_page
    sign_in(page, live_server, "sykepleier@demo.no")
    _new_discharge(page, live_server, f"O.{page.viewport_name[0].upper()}. 1940")
    page.click(".timeline-checklist a:has-text('HPH 2')")
    page.wait_for_selector("form.item")
    page.context.set_offline(True)
    page.locator("#item-fall_last_year label.choice:has(input[value=no])").click()
    page.locator("#item-weight_loss label.choice:has(input[value=yes])").click()
    page.locator("#offline").wait_for(state="visible", timeout=5_000)
    screenshot(page, "checklist-offline")
    page.context.set_offline(False)
    page.locator("#item-fall_last_year .saved").wait_for(timeout=20_000)
    page.locator("#item-weight_loss .saved").wait_for(timeout=20_000)
    assert page.locator("#item-nutrition_plan_started").is_visible()
    page.reload()
    assert page.locator("#item-fall_last_year input[value=no]").is_checked()
    assert page.locator("#item-weight_loss input[value=yes]").is_checked()


def test_answer_left_unsent_is_sent_after_a_reload(tablet_page, live_server):  # type: ignore[no-untyped-def]
    page = tablet_page
    sign_in(page, live_server, "sykepleier@demo.no")
    _new_discharge(page, live_server, f"R.{page.viewport_name[0].upper()}. 1941")
    page.click(".timeline-checklist a:has-text('HPH 2')")
    page.wait_for_selector("form.item")
    url = page.url
    page.route("**/answers/**", lambda route: route.abort("internetdisconnected"))
    page.locator("#item-infection_signs label.choice:has(input[value=no])").click()
    page.locator("#offline").wait_for(state="visible", timeout=5_000)
    page.unroute("**/answers/**")
    page.goto(url)
    page.locator("#item-infection_signs .saved").wait_for(timeout=15_000)
    page.reload()
    assert page.locator("#item-infection_signs input[value=no]").is_checked()
