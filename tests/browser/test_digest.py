"""The weekly digest on the team's home page at 1366×900, its setting, and the storyboard
printed (tests/digest holds the rest of the digest's tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.digest.test_storyboard import pdf_pages

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parents[1] / "browser" / "vendor" / "axe.min.js"
SHOTS = Path("/tmp/shots/digest")


@pytest.fixture()
def desk(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A team member's laptop: 1366×900."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.viewport_name = "1366x900"  # type: ignore[attr-defined]
    yield page
    context.close()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """A screenshot as a test artefact and under /tmp/shots/digest for a person to look at."""
    screenshot(page, name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def serious_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's serious and critical findings on the page (in a context that allows it)."""
    context = page.context.browser.new_context(
        viewport={"width": 1366, "height": 900},
        bypass_csp=True,
        storage_state=page.context.storage_state(),
    )
    audited = context.new_page()
    audited.goto(page.url)
    audited.wait_for_selector(".digest[data-week]", timeout=30_000)
    audited.add_script_tag(path=str(AXE))
    result = audited.evaluate("axe.run()")
    context.close()
    return [
        f"{v['id']}: {v['help']} ({v['nodes'][0]['target']})"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_team_home_shows_the_weekly_digest(desk, live_server: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(desk, live_server, "team@demo.no")
    assert desk.url.endswith("/team")
    card = desk.locator(".digest[data-week]").first
    card.wait_for(timeout=30_000)
    assert "Ukeoppsummering" in card.locator("h2").inner_text()
    figures = {
        name: card.locator(f'[data-figure="{name}"]').inner_text()
        for name in ("signals", "off_goal", "overdue", "changes")
    }
    assert all(value.isdigit() for value in figures.values()), figures
    box = card.bounding_box()
    assert box is not None and box["width"] <= 1366
    shot(desk, "team-home-digest")
    assert serious_violations(desk) == []
    card.get_by_role("link", name="Oppsummeringen for tidligere uker").click()
    desk.wait_for_selector("h1")
    desk.get_by_role("link", name="← Uka før").click()
    desk.wait_for_selector(".digest[data-week]")
    shot(desk, "digest-week-before")


def test_account_page_turns_the_digest_off(desk, live_server: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(desk, live_server, "team@demo.no")
    desk.goto(f"{live_server}/account/password")
    desk.get_by_role("button", name="Slå av ukeoppsummeringen").click()
    desk.wait_for_selector('[data-digest="off"]')
    shot(desk, "account-digest-off")
    desk.get_by_role("button", name="Slå på ukeoppsummeringen").click()
    desk.wait_for_selector('[data-digest="on"]')


def test_storyboard_prints_on_one_landscape_page(desk, live_server: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(desk, live_server, "team@demo.no")
    desk.goto(f"{live_server}/teams/1/storyboard")
    assert "Storyboard" in desk.locator("h1").inner_text()
    charts = desk.locator(".sb-grid figure svg")
    assert charts.count() >= 3  # vector charts drawn on the server, no script needed
    assert desk.locator(".sb-aim li").count() >= 3
    shot(desk, "storyboard-screen")
    desk.emulate_media(media="print")
    desk.set_viewport_size({"width": 1123, "height": 794})  # A4 landscape at 96 dpi
    desk.screenshot(path=str(SHOTS / "storyboard-print.png"), full_page=True)
    pdf = desk.pdf(landscape=True, format="A4", prefer_css_page_size=True)
    (SHOTS / "storyboard.pdf").write_bytes(pdf)
    assert pdf_pages(pdf) == 1
