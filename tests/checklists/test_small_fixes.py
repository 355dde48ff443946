"""Small fixes: error pages keep the menu and a plain sentence; a newly shown item is unsaved."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import nurse_with_pathway, sign_in_client


@pytest.mark.parametrize(
    ("path", "status", "sentence"),
    [
        ("/checklists/abc", 404, "Fant ikke siden."),
        ("/patients/abc", 404, "Fant ikke siden."),
        ("/patients/999999", 404, "Fant ikke pasienten."),
        ("/no-such-page", 404, "Fant ikke siden."),
    ],
)
def test_error_page_keeps_the_menu_and_says_one_sentence_in_bokmal(
    db: Session, client: TestClient, path: str, status: int, sentence: str
) -> None:
    _team, nurse, *_ = nurse_with_pathway(db)
    sign_in_client(client, nurse)
    client.cookies.set("hph_lang", "nb")
    page = client.get(path)
    assert page.status_code == status
    assert f"<p>{sentence}</p>" in page.text
    assert 'aria-label="Hovedmeny"' in page.text and 'href="/my-day"' in page.text
    assert "Input should be" not in page.text


def test_signed_out_error_page_has_no_menu(client: TestClient) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 404 and 'aria-label="Hovedmeny"' not in page.text


def test_newly_shown_item_is_not_marked_saved(db: Session, client: TestClient) -> None:
    from datetime import timedelta

    from app.core.db import utcnow
    from app.pathways.events import record_event

    _team, nurse, viewer, _patient, pathway = nurse_with_pathway(db)
    _event, created = record_event(
        db,
        viewer=viewer,
        pathway_id=pathway.id,
        kind="hospital_discharge",
        occurred_at=utcnow() - timedelta(days=1),
    )
    instance = next(i for i in created if i.definition_id == "hph-2")
    sign_in_client(client, nurse)
    client.cookies.set("hph_lang", "en")
    response = client.post(
        f"/checklists/{instance.id}/answers/weight_loss", data={"value": "yes", "version": "0"}
    )
    text = response.text
    saved_item = text[text.index('id="item-weight_loss"') : text.index("</form>")]
    assert ">Saved<" in saved_item
    shown = text[text.index('id="item-nutrition_plan_started"') :]
    shown = shown[: shown.index("</form>")]
    assert "hidden" not in shown.split(">")[0] and ">Saved<" not in shown
