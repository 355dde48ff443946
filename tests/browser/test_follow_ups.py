"""Early intervention on the tablet: a fall in HPH 2 becomes a follow-up on "My day", done."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.browser.conftest import sign_in
from tests.browser.tablet_day import new_discharge

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/gp")

# Bodø's nurse: other browser tests crowd Trondheim's nurse's "My day" with their patients.
NURSE = "sykepleier.bodo@demo.no"
LABEL = "F.U. 1931"


@pytest.fixture
def nurse_tablet(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh page on a tablet held upright (768x1024), as the nurses use it."""
    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True)
    yield context.new_page()
    context.close()


def _month_point(page, base: str, team_id: int, due: date) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The team's ``risks-followed-up`` point for the month of ``due``, through the API."""
    response = page.request.get(
        f"{base}/api/v1/measures/risks-followed-up/chart",
        params={
            "level": "team",
            "unit_id": team_id,
            "period": "month",
            "start": due.replace(day=1).isoformat(),
            "end": due.isoformat(),
        },
    )
    assert response.status == 200, response.text()
    month = due.replace(day=1).isoformat()
    points = [p for p in response.json()["points"] if p["period_start"] == month]
    assert len(points) == 1, response.json()["points"]
    return dict(points[0])


def test_a_fall_in_hph2_is_followed_up_from_my_day_and_counted(nurse_tablet, live_server):  # type: ignore[no-untyped-def]
    page = nurse_tablet
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server, NURSE)
    new_discharge(page, live_server, LABEL)
    patient_url = page.url
    heading = page.locator("h2[id^='pathway-']").first.get_attribute("id") or ""
    pathway_id = int(heading.removeprefix("pathway-"))

    # The HPH 2 checklist, opened from the patient page: a fall in the last year.
    page.locator("a.work-link:has-text('HPH 2')").first.click()
    page.wait_for_url("**/checklists/*")
    page.locator("#item-fall_last_year label.choice:has(input[value=yes])").click()
    page.locator("#item-fall_last_year .saved").wait_for(timeout=15_000)

    follow_ups = page.request.get(f"{live_server}/api/v1/pathways/{pathway_id}/follow-ups").json()
    assert [(f["rule_id"], f["status"]) for f in follow_ups] == [("falls", "open")]
    follow_up = follow_ups[0]
    due = date.fromisoformat(follow_up["due_date"])
    before = _month_point(page, live_server, follow_up["team_id"], due)

    # "My day" lists it, with a link to the patient.
    page.goto(f"{live_server}/my-day")
    card = page.locator(f"#follow-up-{follow_up['id']}")
    card.wait_for(timeout=10_000)
    assert LABEL in card.inner_text()
    assert "Fallrisikovurdering" in card.inner_text()
    page.screenshot(path=str(SHOTS / "my-day-follow-up-768x1024.png"), full_page=True)
    card.locator(f"a:has-text('{LABEL}')").click()
    page.wait_for_url(f"{patient_url}*")

    # On the patient page: marked done (empty time: now).
    page.locator(f"form[action='/follow-ups/{follow_up['id']}/done'] button").click()
    page.wait_for_load_state("networkidle")
    done_card = page.locator(f"#follow-up-{follow_up['id']}")
    assert "fu-done" in (done_card.get_attribute("class") or "")
    page.screenshot(path=str(SHOTS / "patient-follow-up-done-768x1024.png"), full_page=True)

    after_list = page.request.get(f"{live_server}/api/v1/pathways/{pathway_id}/follow-ups").json()
    assert [(f["id"], f["status"]) for f in after_list] == [(follow_up["id"], "done")]
    assert after_list[0]["done_at"] is not None

    # The measure counts it in the month of its due date (December when the window runs
    # over the month's end): from pending (undecided, its window still open) to done in time.
    # A month with nothing decided has no numerator (None) and denominator 0. The nurse sees
    # her own team's counts unsuppressed; compared with before, whatever else the demo holds.
    after = _month_point(page, live_server, follow_up["team_id"], due)
    assert before["suppressed"] is False and after["suppressed"] is False
    assert int(before["pending"]) >= 1  # type: ignore[call-overload]
    assert after["pending"] == int(before["pending"]) - 1  # type: ignore[call-overload]
    assert after["numerator"] == float(before["numerator"] or 0) + 1  # type: ignore[arg-type]
    assert after["denominator"] == float(before["denominator"] or 0) + 1  # type: ignore[arg-type]
    assert after["incomplete"] is True  # the due date is still ahead: its month is not over


def test_the_gp_summary_opens_from_the_patient_page_and_prints_without_the_menu(
    nurse_tablet, live_server
):  # type: ignore[no-untyped-def]
    page = nurse_tablet
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server, NURSE)
    new_discharge(page, live_server, "G.P. 1929")
    patient_url = page.url
    page.locator("a.work-link:has-text('HPH 2')").first.click()
    page.wait_for_url("**/checklists/*")
    for item_id, value in (("fall_last_year", "yes"), ("medication_at_home", "no")):
        page.locator(f"#item-{item_id} label.choice:has(input[value={value}])").click()
        page.locator(f"#item-{item_id} .saved").wait_for(timeout=15_000)

    page.goto(patient_url)
    page.locator(".gp-summary-link a").first.click()
    page.wait_for_url("**/gp-summary")
    summary = page.locator("article.gp-summary")
    assert "Legemidlene hjemme stemmer med legemiddellisten" in summary.inner_text()
    assert "Fallrisikovurdering" in summary.inner_text()
    page.screenshot(path=str(SHOTS / "gp-summary-768x1024.png"), full_page=True)
    assert page.locator("header.topbar").is_visible()

    page.emulate_media(media="print")
    assert not page.locator("header.topbar").is_visible()
    assert not page.locator(".gp-actions").is_visible()
    assert summary.is_visible()
    page.screenshot(path=str(SHOTS / "gp-summary-print-768x1024.png"), full_page=True)
