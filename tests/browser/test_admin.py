"""An administrator sets up a municipality and a nurse; the nurse joins; the admin lets her go."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/admin")
NURSE_PASSWORD = "sommer i Frøya 2026"


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_admin_onboards_a_nurse_who_joins_and_is_deactivated(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    laptop = browser.new_context(viewport={"width": 1366, "height": 900})
    tablet = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True)
    admin, nurse = laptop.new_page(), tablet.new_page()

    sign_in(admin, live_server, "admin@demo.no")
    admin.goto(f"{live_server}/admin/organisations")
    _shot(admin, "organisations")
    admin.fill("#name", "Frøya kommune")
    admin.fill("#slug", "froya")
    admin.fill("#org_number", "938085220")  # a wrong check digit first
    admin.click("#new-organisation button[type=submit]")
    admin.wait_for_selector("#org_number-error")
    assert "kontrollsiffer" in admin.inner_text("#org_number-error")
    _shot(admin, "organisations-error")
    admin.fill("#org_number", "938085218")
    admin.fill("#municipality_number", "5014")
    with admin.expect_navigation():
        admin.click("#new-organisation button[type=submit]")
    assert "/admin/organisations/" in admin.url
    admin.fill("#team_name", "Hjemmetjenesten Frøya")
    admin.fill("#team_slug", "froya-hjemme")
    with admin.expect_navigation():
        admin.click("text=Legg til team")
    assert "Hjemmetjenesten Frøya" in admin.inner_text("main")
    _shot(admin, "organisation")

    admin.goto(f"{live_server}/admin/users")
    admin.fill("#name", "Nora Nyansatt")
    admin.fill("#email", "nora@froya.kommune.no")
    admin.select_option("#role", "nurse")
    admin.select_option("#scope", "team:froya-hjemme")
    admin.click("#invite button[type=submit]")
    admin.wait_for_selector("[data-welcome-link]")
    _shot(admin, "link")
    link = admin.input_value("[data-welcome-link]")
    assert "/welcome/" in link

    nurse.goto(link)
    assert "Nora Nyansatt" in nurse.inner_text("h1")
    SHOTS.mkdir(parents=True, exist_ok=True)
    nurse.screenshot(path=str(SHOTS / "welcome-768.png"), full_page=True)
    nurse.fill("#password", "kort")
    nurse.fill("#repeat", "kort")
    with nurse.expect_navigation():
        nurse.click("button[type=submit].primary")
    assert "minst 12 tegn" in nurse.inner_text("#password-error")
    nurse.screenshot(path=str(SHOTS / "welcome-error-768.png"), full_page=True)
    nurse.fill("#password", NURSE_PASSWORD)
    nurse.fill("#repeat", NURSE_PASSWORD)
    with nurse.expect_navigation():
        nurse.click("button[type=submit].primary")
    assert "Passordet ditt er lagret" in nurse.inner_text("h1")
    sign_in(nurse, live_server, "nora@froya.kommune.no", NURSE_PASSWORD)
    assert nurse.url.endswith("/my-day")
    assert "Min dag" in nurse.inner_text("h1")
    assert "Nora Nyansatt" in nurse.inner_text("header")
    nurse.click("header nav >> text=Målinger")
    nurse.wait_for_load_state()
    assert "Hjemmetjenesten Frøya" in nurse.inner_text("main")

    admin.goto(f"{live_server}/admin/users?scope=team:froya-hjemme")
    _shot(admin, "users")
    with admin.expect_navigation():
        admin.click("text=Nora Nyansatt")
    _shot(admin, "user")
    with admin.expect_navigation():
        admin.click("button:has-text('Deaktiver')")
    assert "Deaktivert" in admin.inner_text("main")

    nurse.goto(f"{live_server}/my-day")
    assert "/sign-in" in nurse.url
    sign_in(nurse, live_server, "nora@froya.kommune.no", NURSE_PASSWORD)
    assert (
        "Feil e-postadresse eller passord."
        in nurse.locator("[role=alert]:visible").first.inner_text()
    )

    admin.goto(f"{live_server}/admin/import")
    _shot(admin, "import")
    bad = (
        "email;name;role;scope\nola@froya.no;Ola;nurse;team:froya-hjemme\n"
        "per@froya.no;Per;admin;team:froya-hjemme\n"
    )
    admin.set_input_files(
        "#file", {"name": "ansatte.csv", "mimeType": "text/csv", "buffer": bad.encode()}
    )
    admin.click("button:has-text('Importer')")
    admin.wait_for_selector(".notice[role=alert]")
    assert "Ingenting ble importert" in admin.inner_text(".notice[role=alert]")
    assert "Rad 3:" in admin.inner_text(".notice[role=alert]")
    _shot(admin, "import-refused")
    good = bad.replace(";admin;", ";team;")
    admin.set_input_files(
        "#file", {"name": "ansatte.csv", "mimeType": "text/csv", "buffer": good.encode()}
    )
    admin.click("button:has-text('Importer')")
    admin.wait_for_selector("[role=status]")
    assert "2 invitert" in admin.inner_text("[role=status]")
    _shot(admin, "import-done")
    admin.goto(f"{live_server}/account/password")
    _shot(admin, "password")
    admin.goto(f"{live_server}/admin")
    _shot(admin, "home")
    laptop.close()
    tablet.close()
