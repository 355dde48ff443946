"""Finding any patient: by label, local reference and birth year, paged, never cut silently;
a label the team already has asks whether it is the same person."""

from __future__ import annotations

from sqlmodel import Session

from app.org.scope import resolve_viewer
from app.pathways.models import search_key
from app.pathways.service import find_patients, register_patient
from tests.factories import make_patient, make_team, make_user, sign_in_client


def test_search_key_folds_case_punctuation_and_accents() -> None:
    assert search_key("K.O. 1938") == search_key("ko 1938") == "ko1938"
    assert search_key("Å.B.") == "ab"
    assert search_key("Ø.Æ.") == "øæ"
    assert search_key(" .- ") is None


def test_find_patients_by_label_reference_and_birth_year(db: Session) -> None:
    team, other_team = make_team(db), make_team(db)
    nurse = make_user(db, role="nurse", team=team)
    viewer = resolve_viewer(db, nurse)
    wanted = make_patient(db, team, label="K.O. 1938", birth_year=1938, local_reference="J-77")
    make_patient(db, team, label="K.L. 1938", birth_year=1938, local_reference="J-78")
    make_patient(db, team, label="A.B. 1941", birth_year=1941)
    make_patient(db, other_team, label="K.O. 1938", birth_year=1938)

    def labels(query: str) -> list[str]:
        return [p.label for p, _n in find_patients(db, viewer=viewer, query=query).rows]

    assert labels("ko") == ["K.O. 1938"]
    assert labels("k.o.") == ["K.O. 1938"]
    assert labels("K") == ["K.L. 1938", "K.O. 1938"]
    assert labels("1938") == ["K.L. 1938", "K.O. 1938"]
    assert labels("k 1938") == ["K.L. 1938", "K.O. 1938"]
    assert labels("j77") == ["K.O. 1938"]
    assert labels("ZZ") == []
    assert len(labels("")) == 3  # the other team's patient is never found
    assert find_patients(db, viewer=viewer, query="J-77").rows[0][0].id == wanted.id


def test_every_patient_is_reachable_through_the_pages(db: Session) -> None:
    team = make_team(db)
    viewer = resolve_viewer(db, make_user(db, role="nurse", team=team))
    for n in range(236):
        make_patient(db, team, label=f"P.{n:03d} 1940", birth_year=1940)
    first = find_patients(db, viewer=viewer, per_page=50)
    assert (first.total, first.pages, len(first.rows)) == (236, 5, 50)
    seen = {
        p.id
        for page in range(1, 6)
        for p, _n in find_patients(db, viewer=viewer, page=page, per_page=50).rows
    }
    assert len(seen) == 236
    assert len(find_patients(db, viewer=viewer, page=5, per_page=50).rows) == 36


def test_register_reads_the_birth_year_from_the_label(db: Session) -> None:
    team = make_team(db)
    viewer = resolve_viewer(db, make_user(db, role="nurse", team=team))
    patient = register_patient(db, viewer=viewer, team_id=int(team.id or 0), label="E.S. 1937")
    assert patient.birth_year == 1937
    assert patient.label_key == "es1937"


def test_patient_list_page_searches_and_pages(db: Session, client) -> None:  # type: ignore[no-untyped-def]
    team = make_team(db)
    nurse = make_user(db, role="nurse", team=team)
    for n in range(60):
        make_patient(db, team, label=f"P.{n:03d} 1940", birth_year=1940)
    make_patient(db, team, label="R.S. 1931", birth_year=1931, local_reference="J0009")
    sign_in_client(client, nurse)
    client.cookies.set("hph_lang", "en")
    page = client.get("/patients")
    assert page.status_code == 200
    assert "61 patients" in page.text and "page 1 of 2" in page.text
    second = client.get("/patients?page=2")
    assert "R.S. 1931" in second.text
    found = client.get("/patients?q=j0009", headers={"HX-Request": "true"})
    assert found.status_code == 200
    assert "R.S. 1931" in found.text and "<html" not in found.text
    assert client.get("/patients?page=%C2%B2").status_code == 200
    api = client.get("/api/v1/patients?q=1931")
    assert [p["label"] for p in api.json()] == ["R.S. 1931"]
    assert api.headers["X-Total-Count"] == "1"


def test_same_label_asks_whether_it_is_the_same_person(db: Session, client) -> None:  # type: ignore[no-untyped-def]
    team = make_team(db)
    nurse = make_user(db, role="nurse", team=team)
    existing = make_patient(db, team, label="K.O. 1938", birth_year=1938)
    sign_in_client(client, nurse)
    client.cookies.set("hph_lang", "en")
    body = {"team_id": team.id, "label": "k.o. 1938"}
    asked = client.post("/api/v1/patients", json=body)
    assert asked.status_code == 409
    assert asked.json()["existing"] == [existing.id]
    assert "same person" in asked.json()["detail"]
    created = client.post("/api/v1/patients", json={**body, "same_label_checked": True})
    assert created.status_code == 201
    assert created.json()["birth_year"] == 1938
    token = client.cookies.get("csrftoken")
    form = {"team_id": str(team.id), "label": "K.O. 1938", "csrftoken": token}
    page = client.post("/patients", data=form, follow_redirects=False)
    assert page.status_code == 409
    assert "Is this the same person?" in page.text and f"/patients/{existing.id}" in page.text
    assert 'value="K.O. 1938"' in page.text
    confirmed = client.post(
        "/patients", data={**form, "same_label_checked": "1"}, follow_redirects=False
    )
    assert confirmed.status_code == 303
