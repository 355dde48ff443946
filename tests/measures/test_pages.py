"""The manual-measure pages: forms that re-render with messages (422) and redirect (303)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.measures.models import ManualMeasure
from tests.factories import make_team, make_user, sign_in_client


def _member(client: TestClient, db: Session, role: str = "team"):  # type: ignore[no-untyped-def]
    team = make_team(db)
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role=role, team=team))
    return team


def test_new_manual_measure_form_shows_field_messages_then_redirects(
    client: TestClient, db: Session
) -> None:
    team = _member(client, db)
    assert client.get(f"/teams/{team.id}/manual-measures").status_code == 200
    form = client.get(f"/teams/{team.id}/manual-measures/new")
    assert form.status_code == 200 and 'name="key"' in form.text
    bad = client.post(
        f"/teams/{team.id}/manual-measures",
        data={"key": "Falls At Home!", "title": "", "kind": "proportion", "goal": "lots"},
        follow_redirects=False,
    )
    assert bad.status_code == 422
    assert "The goal must be a number." in bad.text
    assert 'value="Falls At Home!"' in bad.text  # what was typed is kept
    good = client.post(
        f"/teams/{team.id}/manual-measures",
        data={"key": "falls", "title": "Falls assessed", "kind": "proportion",
              "period_type": "week", "direction": "up", "goal": "80"},
        follow_redirects=False,
    )  # fmt: skip
    assert good.status_code == 303
    measure = db.exec(select(ManualMeasure).where(ManualMeasure.team_id == team.id)).one()
    assert good.headers["location"] == f"/manual-measures/{measure.id}"
    listing = client.get(f"/teams/{team.id}/manual-measures")
    assert "Falls assessed" in listing.text


def test_values_page_takes_a_value_and_a_csv_file(client: TestClient, db: Session) -> None:
    team = _member(client, db)
    client.post(
        f"/teams/{team.id}/manual-measures",
        data={
            "key": "falls",
            "title": "Falls assessed",
            "kind": "proportion",
            "period_type": "week",
        },
    )
    measure = db.exec(select(ManualMeasure).where(ManualMeasure.team_id == team.id)).one()
    page = f"/manual-measures/{measure.id}"
    wrong = client.post(
        f"{page}/values", data={"period": "2026-W05", "numerator": "5", "denominator": "4"}
    )
    assert wrong.status_code == 422
    assert "The numerator cannot be above the denominator." in wrong.text
    saved = client.post(
        f"{page}/values",
        data={"period": "2026-W05", "numerator": "3", "denominator": "4"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    csv = b"period,numerator,denominator\n2026-W06,1,x\n2026-W07,9,3\n"
    rejected = client.post(f"{page}/upload", files={"file": ("values.csv", csv, "text/csv")})
    assert rejected.status_code == 422
    assert "Row 2: denominator is not a number: x." in rejected.text
    assert "Row 3: The numerator cannot be above the denominator." in rejected.text
    accepted = client.post(
        f"{page}/upload",
        files={"file": ("values.csv", b"period,numerator,denominator\n2026-W06,1,2\n", "text/csv")},
        follow_redirects=False,
    )
    assert accepted.status_code == 303 and accepted.headers["location"].endswith("?saved=1")
    shown = client.get(accepted.headers["location"])
    assert "2026-W06" in shown.text and "2026-W05" in shown.text
    assert "Saved 1 period from the file." in shown.text
    svg = client.get(f"/measures/manual:{measure.id}/chart.svg", params={"unit_id": team.id})
    assert svg.status_code == 200 and svg.text.lstrip().startswith("<svg")


def test_nurse_sees_manual_measures_but_gets_no_forms(client: TestClient, db: Session) -> None:
    team = _member(client, db, role="nurse")
    listing = client.get(f"/teams/{team.id}/manual-measures")
    assert listing.status_code == 200 and "New measure" not in listing.text
    assert client.get(f"/teams/{team.id}/manual-measures/new").status_code == 403
    assert client.get(f"/teams/{int(team.id or 0) + 999}/manual-measures").status_code == 404
