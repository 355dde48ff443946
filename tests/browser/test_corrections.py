"""The nurse's tablet day: 'what matters' once inside HPH 2, completion, read-only, reopening,
and a computed BMI, at the nurses' 768x1024 viewport."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.browser.tablet_day import clear_kept
from tests.browser.test_checklist import _answer_every_visible_item, _new_discharge

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/corrections")


@pytest.fixture()
def portrait(browser):  # type: ignore[no-untyped-def]
    """A fresh page at the nurses' tablet viewport."""
    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True)
    page = context.new_page()
    page.viewport_name = "portrait"  # type: ignore[attr-defined]
    yield page
    context.close()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Keep a screenshot as a test artefact and under /tmp/shots/corrections."""
    path = screenshot(page, name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def test_hph2_with_what_matters_completed_read_only_and_reopened(portrait, live_server) -> None:  # type: ignore[no-untyped-def]
    page = portrait
    sign_in(page, live_server, "sykepleier@demo.no")
    _new_discharge(page, live_server, "W.M. 1937")
    page.click(".timeline-checklist a:has-text('HPH 2')")
    page.wait_for_selector("form.item")
    taps = 1
    crumb = page.locator(".crumbs a").first.bounding_box()
    assert crumb is not None and crumb["height"] >= 44
    page.locator("#item-what_matters").scroll_into_view_if_needed()
    _shot(page, "hph2-what-matters-open")
    assert page.locator("#item-what_matters textarea, #field-what_matters_answer").count() == 0
    page.click("#item-what_matters a.button")
    taps += 1
    page.wait_for_url("**/what-matters*")
    page.check("#conversation input[name=participants][value=patient]")
    page.fill("#conversation textarea[name=patient_words]", "Å komme hjem til katten")
    page.click("#conversation button[type=submit]")
    taps += 3  # one participant, the words (one tap into the field, then typing), save
    page.wait_for_url("**/checklists/*")
    assert "Å komme hjem til katten" in page.locator("#item-what_matters").inner_text()
    page.locator("#item-what_matters").scroll_into_view_if_needed()
    _shot(page, "hph2-what-matters-recorded")
    taps += _answer_every_visible_item(page)
    # Playwright's fill + change leaves a second, stale change queued on the text item (a
    # person's single edit does not); clear it so the pictures show what a nurse would see.
    clear_kept(page)
    page.click("button:has-text('Fullfør')")
    taps += 1
    page.wait_for_url("**/checklists/*?completed=1")
    print(f"\nHPH 2 with the 'what matters' conversation: {taps} taps")
    notice = page.locator(".done-notice").inner_text()
    assert "fullført av" in notice
    _shot(page, "hph2-completed-confirmation")
    assert page.locator(".items input, .items textarea").count() == 0
    assert page.locator(".completed-by").is_visible()
    page.locator("#record").scroll_into_view_if_needed()
    _shot(page, "hph2-completed-read-only")
    page.click("details.reopen summary")
    page.fill("#reopen-reason", "Feil svar om legemidler")
    page.locator("#record").scroll_into_view_if_needed()
    _shot(page, "hph2-reopen-form")
    page.click("button:has-text('Gjenåpne for retting')")
    page.wait_for_selector("form.item")
    assert "Feil svar om legemidler" in page.locator(".reopened-notice").inner_text()
    _shot(page, "hph2-reopened")


def test_bmi_is_shown_as_weight_and_height_are_answered(portrait, live_server) -> None:  # type: ignore[no-untyped-def]
    page = portrait
    sign_in(page, live_server, "sykepleier@demo.no")
    _new_discharge(page, live_server, "B.M. 1936")
    page.check("input[name=kind][value=homecare_start]", force=True)
    when = (datetime.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    page.fill("input[name=occurred_at]", when)
    page.click("text=Lagre hendelse")
    page.wait_for_load_state("networkidle")
    page.click(".timeline-checklist a:has-text('Ernæring')")
    page.wait_for_selector("form.item")
    page.fill("#field-weight_kg", "70")
    page.locator("#field-weight_kg").dispatch_event("change")
    page.locator("#item-weight_kg .saved").wait_for(timeout=10_000)
    page.fill("#field-height_cm", "175")
    page.locator("#field-height_cm").dispatch_event("change")
    page.locator("#item-height_cm .saved").wait_for(timeout=10_000)
    page.locator("#item-bmi strong").wait_for(timeout=10_000)
    assert "22,9 kg/m²" in page.locator("#item-bmi").inner_text()
    page.locator("#item-bmi").scroll_into_view_if_needed()
    _shot(page, "ernaering-computed-bmi")
