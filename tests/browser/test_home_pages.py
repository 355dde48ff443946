"""Each demo role signs in through the real form and lands on its home page."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

ROLE_PAGES = [
    ("sykepleier@demo.no", "/my-day", "Min dag"),
    ("team@demo.no", "/team", "Forbedringsteamet ditt"),
    ("koordinator@demo.no", "/coordinator", "Team i læringsnettverket ditt"),
    ("admin@demo.no", "/admin", "Administrasjon"),
]


@pytest.mark.parametrize(("email", "path", "heading"), ROLE_PAGES)
def test_role_lands_on_its_home_page(tablet_page, live_server, email, path, heading):  # type: ignore[no-untyped-def]
    sign_in(tablet_page, live_server, email)
    assert tablet_page.url.endswith(path)
    assert heading in tablet_page.locator("h1").first.inner_text()
    screenshot(tablet_page, f"home{path.replace('/', '-')}")


def test_wrong_password_shows_message_in_norwegian(tablet_page, live_server):  # type: ignore[no-untyped-def]
    sign_in(tablet_page, live_server, "sykepleier@demo.no", "feil-passord")
    assert "Feil e-postadresse eller passord." in tablet_page.locator("[role=alert]").inner_text()


def test_coordinator_page_shows_no_patient_label(tablet_page, live_server):  # type: ignore[no-untyped-def]
    sign_in(tablet_page, live_server, "koordinator@demo.no")
    text = tablet_page.locator("main").inner_text()
    assert "Pasient" not in text
    tablet_page.goto(f"{live_server}/patients")
    assert "Du har ikke tilgang" in tablet_page.locator("main").inner_text()


def test_nurse_touch_targets_are_large(tablet_page, live_server):  # type: ignore[no-untyped-def]
    sign_in(tablet_page, live_server, "sykepleier@demo.no")
    for link in tablet_page.locator(".work-link").all()[:10]:
        box = link.bounding_box()
        assert box is not None and box["height"] >= 44


def test_language_switch_to_english(tablet_page, live_server):  # type: ignore[no-untyped-def]
    sign_in(tablet_page, live_server, "sykepleier@demo.no")
    with tablet_page.expect_navigation():
        tablet_page.click("button[name=language][value=en]")
    assert "My day" in tablet_page.locator("h1").first.inner_text()
