"""An ended session sends the user to sign in and back to the page, saying why."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_answer_posted_after_the_session_ended_returns_to_its_checklist_page(
    client: TestClient,
) -> None:
    client.cookies.set("hph_session", "ended-long-ago")
    response = client.post(
        "/checklists/7/answers/fall_last_year",
        data={"value": "no"},
        headers={"HX-Request": "true", "HX-Current-URL": "http://tablet.local/checklists/7"},
    )
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/sign-in?next=/checklists/7&reason=kept"


def test_page_opened_after_the_session_ended_says_why_sign_in_is_needed(
    client: TestClient,
) -> None:
    client.cookies.set("hph_session", "ended-long-ago")
    response = client.get("/my-day", follow_redirects=False)
    assert response.headers["location"] == "/sign-in?next=/my-day&reason=ended"
    page = client.get(response.headers["location"])
    assert "Økten din er avsluttet. Logg inn igjen for å fortsette der du var." in page.text
    assert 'name="reason" value="ended"' in page.text


def test_sign_in_page_ignores_an_unknown_reason(client: TestClient) -> None:
    page = client.get("/sign-in?next=/my-day&reason=<b>hi</b>")
    assert page.status_code == 200
    assert "session ended" not in page.text
    assert 'name="reason"' not in page.text


def test_form_posted_after_the_session_ended_returns_to_the_page_it_was_posted_from(
    client: TestClient,
) -> None:
    client.cookies.set("hph_session", "ended-long-ago")
    response = client.post(
        "/checklists/7/complete",
        data={"performed_at": ""},
        headers={"Referer": "http://tablet.local/checklists/7"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/checklists/7&reason=ended"
