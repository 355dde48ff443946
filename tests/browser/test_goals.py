"""A nurse records 'what matters', three PSFS goals and a re-rating on a tablet, in Chromium."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

NURSE = "sykepleier@demo.no"
GOALS = [("Gå tur med hunden", 3), ("Handle selv på butikken", 2), ("Gå i trappen", 4)]


def _sign_in_in_english(page, base: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in as the demo nurse and show the pages in English (asserted text stays stable)."""
    page.context.add_cookies([{"name": "hph_lang", "value": "en", "url": base}])
    sign_in(page, base, NURSE)


def _open_pathway_without_goals(page, base: str) -> int:  # type: ignore[no-untyped-def]
    """Pick an open pathway of the nurse's team that has no active goal yet, and open it."""
    response = page.request.get(f"{base}/api/v1/what-matters/pathways?without_goals=true&limit=20")
    assert response.ok, response.text()
    rows = response.json()
    assert rows, "the demo should have pathways without goals"
    pathway_id = int(rows[0]["pathway_id"])
    page.goto(f"{base}/pathways/{pathway_id}/what-matters")
    return pathway_id


def _submit(page, form: str) -> None:  # type: ignore[no-untyped-def]
    """Submit a form and wait for the page that the save redirects to."""
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_nurse_records_conversation_goals_and_sees_important_change(tablet_page, live_server):  # type: ignore[no-untyped-def]
    page = tablet_page
    _sign_in_in_english(page, live_server)
    _open_pathway_without_goals(page, live_server)
    assert "What matters to you?" in page.locator("h1").inner_text()
    screenshot(page, "goals-1-empty")

    form = "#form-conversation"
    if not page.locator(form).is_visible():
        page.click("#conversation details summary >> nth=0")
    page.check(f"{form} input[name=participants][value=next_of_kin]")
    page.fill(
        f"{form} textarea[name=patient_words]", "Å komme hjem til katten min, og få gå tur igjen"
    )
    _submit(page, form)
    assert "The conversation is saved." in page.locator("[role=status]").inner_text()
    assert "katten min" in page.locator(".wm-words").inner_text()

    started = (date.today() - timedelta(days=14)).isoformat()
    for activity, baseline in GOALS:
        page.fill("#goal-activity", activity)
        page.click(f"label[for=goal-baseline-{baseline}]")
        page.fill("#goal-date", started)
        _submit(page, "#form-goal")
    cards = page.locator("article.wm-goal")
    assert cards.count() == 3
    screenshot(page, "goals-2-three-goals")

    first = cards.first
    goal_id = (first.get_attribute("id") or "").removeprefix("goal-")
    for segment in page.locator(f"#form-rating-{goal_id} .wm-segments label").all():
        box = segment.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44
    page.click(f"label[for=rate-{goal_id}-7]")
    _submit(page, f"#form-rating-{goal_id}")
    card = page.locator(f"#goal-{goal_id}")
    flag = card.locator(".wm-flag-improved")
    assert flag.is_visible()
    assert "+4" in flag.inner_text()
    assert "The rating is saved." in page.locator("[role=status]").inner_text()
    screenshot(page, "goals-3-rerated")


def test_rating_before_baseline_is_refused_in_place(tablet_page, live_server):  # type: ignore[no-untyped-def]
    page = tablet_page
    _sign_in_in_english(page, live_server)
    _open_pathway_without_goals(page, live_server)
    page.fill("#goal-activity", "Lage middag selv")
    page.click("label[for=goal-baseline-5]")
    page.fill("#goal-date", (date.today() - timedelta(days=3)).isoformat())
    _submit(page, "#form-goal")
    goal_id = (page.locator("article.wm-goal").first.get_attribute("id") or "").removeprefix(
        "goal-"
    )
    page.click(f"label[for=rate-{goal_id}-6]")
    page.fill(f"#rate-{goal_id}-date", (date.today() - timedelta(days=10)).isoformat())
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(f"#form-rating-{goal_id} button[type=submit]")
    assert answer.value.status == 422
    page.wait_for_selector(f"#form-rating-{goal_id} .field-error")
    message = page.locator(f"#form-rating-{goal_id} .field-error").inner_text()
    assert "before the baseline rating" in message
    assert page.locator(f"#rate-{goal_id}-6").is_checked()
    screenshot(page, "goals-4-refused")
