"""Requests the application cannot read or must refuse are answered with a sentence, never a
server error: broken multipart and non-UTF-8 bodies, a long sign-in target, a huge CSV cell,
non-ASCII digits in measure ids and idempotency keys used twice (issue 17, defect 6)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.checklists.models import ChecklistAnswer
from app.core.db import utcnow
from app.measures import manual
from app.measures.models import ManualMeasureValue
from app.measures.periods import parse_period
from app.org.scope import resolve_viewer
from app.pathways.events import record_event
from tests.factories import make_team, make_user, nurse_with_pathway, sign_in_client

CSV_HEADER = "period,numerator,denominator\n"


@pytest.fixture()
def measure_page(client: TestClient, db: Session) -> str:
    """A signed-in improvement-team member's manual measure; its values page."""
    team = make_team(db)
    user = make_user(db, role="team", team=team)
    measure = manual.create_manual_measure(
        db,
        viewer=resolve_viewer(db, user),
        team_id=int(team.id or 0),
        fields=manual.ManualFields(key="falls", title="Falls assessed"),
    )
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, user)
    return f"/manual-measures/{measure.id}"


def without_header(client: TestClient) -> dict[str, str]:
    """Headers that take the CSRF header away (the browser's cookie stays)."""
    return {"x-csrftoken": ""}


def test_multipart_upload_without_the_csrf_header_is_refused_not_a_server_error(
    client: TestClient, measure_page: str
) -> None:
    response = client.post(
        f"{measure_page}/upload",
        files={"file": ("values.csv", CSV_HEADER.encode(), "text/csv")},
        headers=without_header(client),
    )
    assert response.status_code == 403
    assert "The form has expired" in response.text


def test_upload_form_posted_without_javascript_carries_its_token_and_is_saved(
    client: TestClient, measure_page: str
) -> None:
    page = client.get(measure_page)
    token = client.cookies.get("csrftoken")
    assert f'name="csrftoken" value="{token}"' in page.text
    response = client.post(
        f"{measure_page}/upload",
        data={"csrftoken": token},
        files={"file": ("values.csv", f"{CSV_HEADER}2026-W05,3,4\n".encode(), "text/csv")},
        headers=without_header(client),
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("?saved=1")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"--x\r\n"),  # no boundary at all
        ("multipart/form-data; boundary=", b"--\r\n"),  # an empty one
        ("multipart/form-data;boundary=x", b"--x\r\n"),  # written without the space
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="csrftoken"\r\n\r\n\xff\xfe\r\n--x--\r\n',
        ),
        ("application/x-www-form-urlencoded", b"csrftoken=\xff\xfe&value=\xe6"),
    ],
)
def test_unreadable_form_body_without_the_header_is_a_400_with_a_sentence(
    client: TestClient, measure_page: str, content_type: str, body: bytes
) -> None:
    response = client.post(
        f"{measure_page}/upload",
        content=body,
        headers={"content-type": content_type, "x-csrftoken": ""},
    )
    assert response.status_code in (400, 403)
    assert response.status_code == 400 or "The form has expired" in response.text
    assert "could not be read" in response.text or "The form has expired" in response.text


def test_non_utf8_form_body_is_refused_in_the_users_language(
    client: TestClient, measure_page: str
) -> None:
    client.cookies.set("hph_lang", "nb")
    response = client.post(
        f"{measure_page}/values",
        content=b"csrftoken=\xff&period=2026-W05",
        headers={"content-type": "application/x-www-form-urlencoded", "x-csrftoken": ""},
    )
    assert response.status_code == 400
    assert response.text == "Forespørselen kunne ikke leses. Send den på nytt."


def test_multipart_upload_with_a_broken_boundary_and_the_header_is_not_a_server_error(
    client: TestClient, measure_page: str
) -> None:
    response = client.post(
        f"{measure_page}/upload",
        content=b"--x\r\n",
        headers={"content-type": "multipart/form-data"},
    )
    assert 400 <= response.status_code < 500


def test_long_sign_in_target_shows_the_sign_in_page(client: TestClient) -> None:
    response = client.get("/sign-in", params={"next": "/" + "a" * 600})
    assert response.status_code == 200
    assert 'name="next" value="/"' in response.text


def test_csv_cell_beyond_the_csv_field_limit_is_a_row_problem(
    client: TestClient, measure_page: str, db: Session
) -> None:
    huge = "1" * 131_073
    response = client.post(
        f"{measure_page}/upload",
        files={"file": ("values.csv", f"{CSV_HEADER}2026-W05,{huge},4\n".encode(), "text/csv")},
    )
    assert response.status_code == 422
    assert "Row 2: a cell is longer than 131072 characters." in response.text
    assert db.exec(select(ManualMeasureValue)).all() == []


def test_csv_cell_beyond_the_limit_through_the_api_is_a_422(
    client: TestClient, measure_page: str
) -> None:
    measure_id = measure_page.rsplit("/", 1)[1]
    response = client.post(
        f"/api/v1/manual-measures/{measure_id}/values.csv",
        files={"file": ("values.csv", f'{CSV_HEADER}"{"x" * 140_000}",1,2\n'.encode(), "text/csv")},
    )
    assert response.status_code == 422
    assert "longer than 131072 characters" in response.json()["detail"]


@pytest.mark.parametrize("number", ["²", "٢٣", "1²", "１"])
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/measures/manual:{n}/chart",
        "/api/v1/exports/charts/manual:{n}",
        "/measures/manual:{n}/chart.svg",
    ],
)
def test_manual_measure_id_with_non_ascii_digits_is_not_found(
    client: TestClient, measure_page: str, url: str, number: str
) -> None:
    del measure_page  # signed in, and a manual measure exists
    response = client.get(url.format(n=number))
    assert response.status_code == 404


@pytest.fixture()
def checklist(db: Session, client: TestClient):  # type: ignore[no-untyped-def]
    """A signed-in nurse's open checklist after yesterday's discharge."""
    _team, nurse, viewer, _patient, pathway = nurse_with_pathway(db)
    _event, created = record_event(
        db,
        viewer=viewer,
        pathway_id=pathway.id,
        kind="hospital_discharge",
        occurred_at=utcnow() - timedelta(days=1),
    )
    sign_in_client(client, nurse)
    return next(i for i in created if i.definition_id == "hph-2")


def _put(client: TestClient, instance_id: int, item: str, value: str, key: str):  # type: ignore[no-untyped-def]
    return client.put(
        f"/api/v1/checklists/{instance_id}/answers/{item}",
        json={"value": value, "version": 0, "idempotency_key": key},
    )


def test_idempotency_key_reused_on_another_item_is_a_409_in_the_api(
    client: TestClient, checklist, db: Session
) -> None:
    client.cookies.set("hph_lang", "en")
    assert _put(client, checklist.id, "fall_last_year", "yes", "tab-1").status_code == 200
    reused = _put(client, checklist.id, "weight_loss", "yes", "tab-1")
    assert reused.status_code == 409
    assert reused.json()["detail"] == (
        "This change was already saved as another answer. Reload the page and try again."
    )
    items = db.exec(select(ChecklistAnswer.item_id)).all()
    assert list(items) == ["fall_last_year"]


def test_idempotency_key_reused_with_a_new_value_is_a_409_not_a_silent_drop(
    client: TestClient, checklist, db: Session
) -> None:
    client.cookies.set("hph_lang", "en")
    assert _put(client, checklist.id, "fall_last_year", "yes", "tab-2").status_code == 200
    assert _put(client, checklist.id, "fall_last_year", "yes", "tab-2").status_code == 200
    changed = _put(client, checklist.id, "fall_last_year", "no", "tab-2")
    assert changed.status_code == 409
    assert "already saved" in changed.json()["detail"]
    answer = db.exec(select(ChecklistAnswer)).one()
    assert (answer.value, answer.version) == ("yes", 1)


def test_idempotency_key_reused_in_the_tablet_form_says_so_in_norwegian(
    client: TestClient, checklist
) -> None:
    client.cookies.set("hph_lang", "nb")
    url = f"/checklists/{checklist.id}/answers/{{item}}"
    first = client.post(
        url.format(item="fall_last_year"),
        data={"value": "yes", "version": "0", "idempotency_key": "tab-3"},
        headers={"HX-Request": "true"},
    )
    assert first.status_code == 200
    reused = client.post(
        url.format(item="weight_loss"),
        data={"value": "yes", "version": "0", "idempotency_key": "tab-3"},
        headers={"HX-Request": "true"},
    )
    assert reused.status_code == 409
    assert "Denne endringen er allerede lagret som et annet svar." in reused.text
    assert 'id="item-weight_loss"' in reused.text


def test_superscript_digit_as_checklist_id_in_a_conversation_form_is_a_422(
    client: TestClient, db: Session
) -> None:
    _team, nurse, _viewer, _patient, pathway = nurse_with_pathway(db)
    sign_in_client(client, nurse)
    response = client.post(
        f"/pathways/{pathway.id}/what-matters/conversations",
        data={"held_on": "2026-03-03", "checklist_instance_id": "²"},
    )
    assert response.status_code == 422


@pytest.mark.parametrize("text", ["٢٠٢٦-W05", "2026-W٠٥", "２０２６-03", "²０２６-03"])
def test_period_with_non_ascii_digits_is_not_a_period(text: str) -> None:
    with pytest.raises(ValueError):
        parse_period(text)
