"""A pathway moved to another team and then ended, as both teams see it on their tablets."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.browser.tablet_day import new_discharge

pytestmark = pytest.mark.browser


def _team_day(page, base: str, team_name: str, label: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The checklists one team's whole-team "My day" lists for a patient (team by name)."""
    page.goto(f"{base}/my-day?who=team")
    page.select_option("#team-switch", label=team_name)
    with page.expect_navigation():
        page.click("form.team-switcher button")
    card = page.locator("article.patient-work", has=page.locator(f"h2:has-text('{label}')"))
    return [title.strip() for title in card.locator(".work-title").all_inner_texts()]


def test_transfer_and_end_are_shown_to_both_teams(tablet_page, live_server) -> None:  # type: ignore[no-untyped-def]
    page, base = tablet_page, live_server
    label = f"M.{page.viewport_name[0].upper()}. 1939"
    # An improvement-team member of Bergen works with both of its home-care teams.
    sign_in(page, base, "team.bergen@demo.no")
    new_discharge(page, base, label)
    patient_url = page.url
    responsible = page.locator(".responsible").inner_text()
    first_team = responsible.split(":", 1)[1].split(",")[0].strip()

    page.click("summary:has-text('Flytt til et annet team')")
    other_team = page.locator("select[name=team_id] option").nth(1).inner_text().strip()
    page.select_option("select[name=team_id]", index=1)
    moved_at = (datetime.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    page.fill("input[name=effective_at]", moved_at)
    with page.expect_navigation():
        page.click("button:has-text('Flytt forløpet')")
    assert page.url == patient_url
    assert f"Ansvarlig team: {other_team}" in page.locator(".responsible").inner_text()
    assert f"Før: {first_team}" in page.locator(".responsible").inner_text()
    screenshot(page, "pathway-transferred")

    # What falls due after the transfer is the new team's work; the admission report, due
    # (and missed) before it, stays with the first team.
    theirs = _team_day(page, base, other_team, label)
    assert "HPH 2 – Første hjemmebesøk" in theirs and "Innleggelsesrapport" not in theirs
    assert _team_day(page, base, first_team, label) == ["Innleggelsesrapport"]

    page.goto(patient_url)
    page.click("summary:has-text('Avslutt forløpet')")
    page.click("label.choice:has-text('Flyttet til sykehjem')")
    with page.expect_navigation():
        page.click("form[action$='/end'] button:has-text('Avslutt forløpet')")
    assert page.locator(".badge:has-text('Avsluttet')").count() == 1
    assert "Flyttet til sykehjem" in page.locator(".end-reason").inner_text()
    cancelled = page.locator(".timeline-checklist.status-cancelled")
    assert cancelled.filter(has_text="HPH 3").count() == 1
    assert cancelled.filter(has_text="HPH 4").count() == 1
    screenshot(page, "pathway-ended")

    # Ended: what would fall due after the end is cancelled, so the new team has nothing
    # left for the patient; the first team keeps the report that fell due before.
    assert _team_day(page, base, other_team, label) == []
    assert _team_day(page, base, first_team, label) == ["Innleggelsesrapport"]
