"""The measures API: who gets which chart, the items behind a point, manual measures, notes."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from tests.factories import (
    make_network,
    make_organisation,
    make_patient,
    make_team,
    make_user,
    sign_in_client,
)
from tests.measures.conftest import end_of_day, local, make_instance, pathway_of

MONDAY = date(2026, 3, 2)
CHART = "/api/v1/measures/hph-2-on-time/chart"


@pytest.fixture
def teams(db: Session):  # type: ignore[no-untyped-def]
    """Teams A and B of one organisation, each with one week of first visits."""
    network = make_network(db)
    organisation = make_organisation(db, network)
    a, b = make_team(db, organisation), make_team(db, organisation)
    for team, done in ((a, 3), (b, 6)):
        for n in range(8):
            make_instance(
                db,
                team=team,
                pathway=pathway_of(db, make_patient(db, team)),
                definition_id="hph-2",
                window_end=end_of_day(MONDAY + timedelta(days=3)),
                status="completed" if n < done else "due",
                performed_at=local(MONDAY, 9) if n < done else None,
            )
    db.flush()
    return network, organisation, a, b


def _client(client: TestClient, db: Session, **membership) -> TestClient:  # type: ignore[no-untyped-def]
    client.cookies.set("hph_lang", "en")
    return sign_in_client(client, make_user(db, **membership))


def _chart(client: TestClient, team, **params):  # type: ignore[no-untyped-def]
    query = {"level": "team", "unit_id": team.id, "period": "week", "start": "2026-03-02",
             "end": "2026-03-08", "as_of": "2026-03-20T12:00:00+01:00", **params}  # fmt: skip
    return client.get(CHART, params=query)


def test_nurse_sees_own_team_chart_and_the_items_behind_a_point(
    client: TestClient, db: Session, teams
) -> None:  # type: ignore[no-untyped-def]
    _, _, a, b = teams
    nurse = _client(client, db, role="nurse", team=a)
    response = _chart(nurse, a)
    assert response.status_code == 200, response.text
    point = response.json()["points"][0]
    assert (point["period"], point["numerator"], point["denominator"]) == ("2026-W10", 3, 8)
    assert point["value"] == 37.5 and point["suppressed"] is False
    assert _chart(nurse, b).status_code == 403
    items = nurse.get(f"/api/v1/measures/hph-2-on-time/teams/{a.id}/periods/2026-W10/items")
    assert items.status_code == 200
    rows = items.json()
    assert len(rows) == 8 and sum(r["in_numerator"] for r in rows) == 3
    assert {r["status"] for r in rows} == {"completed", "missed"}
    audited = db.exec(select(AuditEntry).where(AuditEntry.action == "read")).all()
    assert {e.patient_id for e in audited} == {r["patient_id"] for r in rows}
    other = nurse.get(f"/api/v1/measures/hph-2-on-time/teams/{b.id}/periods/2026-W10/items")
    assert other.status_code == 403


def test_coordinator_gets_suppressed_aggregates_and_never_the_patients(
    client: TestClient, db: Session, teams
) -> None:  # type: ignore[no-untyped-def]
    network, organisation, a, _ = teams
    coordinator = _client(client, db, role="coordinator", network=network)
    weekly = _chart(coordinator, a)
    assert weekly.status_code == 422 and "by month only" in weekly.json()["detail"]
    month = {"period": "month", "start": "2026-03-01", "end": "2026-03-31"}
    point = _chart(coordinator, a, **month).json()["points"][0]
    assert (point["numerator"], point["value"], point["suppressed"]) == (None, None, True)
    whole = _chart(coordinator, organisation, level="organisation", **month).json()["points"][0]
    assert (whole["numerator"], whole["denominator"], whole["suppressed"]) == (9, 16, False)
    items = coordinator.get(f"/api/v1/measures/hph-2-on-time/teams/{a.id}/periods/2026-W10/items")
    assert items.status_code == 403
    assert "Only members of the team" in items.json()["detail"]


def test_admin_and_team_member_reach_only_their_scope(
    client: TestClient, db: Session, teams
) -> None:  # type: ignore[no-untyped-def]
    _, organisation, a, b = teams
    admin = _client(client, db, role="admin", organisation=make_organisation(db))
    assert _chart(admin, a).status_code == 403  # another organisation's team
    by_month = _chart(admin, organisation, level="organisation", period="month")
    assert by_month.status_code == 200  # a core measure, suppressed counts by month
    client.cookies.clear()
    member = _client(client, db, role="team", team=b)
    assert _chart(member, b).json()["points"][0]["numerator"] == 6
    assert _chart(member, a).status_code == 403
    assert _chart(member, organisation, level="organisation").status_code == 403


def test_bad_chart_requests_get_a_clear_message(client: TestClient, db: Session, teams) -> None:  # type: ignore[no-untyped-def]
    _, _, a, _ = teams
    member = _client(client, db, role="team", team=a)
    unknown = member.get("/api/v1/measures/no-such-measure/chart", params={"unit_id": a.id})
    assert unknown.status_code == 404 and "no measure 'no-such-measure'" in unknown.json()["detail"]
    reversed_range = _chart(member, a, start="2026-03-08", end="2026-03-01")
    assert reversed_range.status_code == 422
    assert reversed_range.json()["detail"] == "The start date is after the end date."
    weekly = member.get(
        "/api/v1/measures/goals-rerated/chart", params={"unit_id": a.id, "period": "week"}
    )
    assert weekly.status_code == 422 and "not by week" in weekly.json()["detail"]
    assert _chart(member, a, level="planet").status_code == 422
    assert _chart(member, a, chart="c").status_code == 422
    no_point = member.get(f"/api/v1/measures/hph-2-on-time/teams/{a.id}/periods/soon/items")
    assert no_point.status_code == 422


def test_manual_measures_and_values_through_the_api(client: TestClient, db: Session, teams) -> None:  # type: ignore[no-untyped-def]
    _, _, a, _ = teams
    member = _client(client, db, role="team", team=a)
    created = member.post(
        f"/api/v1/teams/{a.id}/manual-measures",
        json={"key": "pressure-ulcers", "title": "Pressure ulcers found", "kind": "count"},
    )
    assert created.status_code == 201, created.text
    measure = created.json()
    again = member.post(
        f"/api/v1/teams/{a.id}/manual-measures", json={"key": "pressure-ulcers", "title": "x"}
    )
    assert again.status_code == 422 and "already has a measure" in again.json()["detail"]
    base = f"/api/v1/manual-measures/{measure['id']}"
    assert member.put(f"{base}/values/2026-W10", json={"numerator": 2}).status_code == 200
    bad = member.post(
        f"{base}/values.csv",
        files={"file": ("v.csv", b"period,numerator\n2026-W11,x\n2026-13,1\n", "text/csv")},
    )
    assert bad.status_code == 422
    assert bad.json()["problems"] == [
        "Row 2: numerator is not a number: x.",
        "Row 3: '2026-13' is not a week: write it like 2026-W05.",
    ]
    good = member.post(
        f"{base}/values.csv",
        files={"file": ("v.csv", b"period,numerator\n2026-W11,1\n", "text/csv")},
    )
    assert good.json() == {"saved": 1}
    values = member.get(f"{base}/values").json()
    assert [(v["period"], v["numerator"]) for v in values] == [("2026-W10", 2), ("2026-W11", 1)]
    chart = member.get(
        f"/api/v1/measures/{measure['measure_id']}/chart",
        params={"unit_id": a.id, "start": "2026-03-02", "end": "2026-03-15"},
    )
    assert [p["value"] for p in chart.json()["points"]] == [2, 1]
    listed = member.get("/api/v1/measures", params={"team_id": a.id}).json()
    assert measure["measure_id"] in {m["id"] for m in listed}
    assert member.delete(f"{base}/values/2026-W10").status_code == 204
    gone = member.delete(f"{base}/values/2026-W10")
    assert gone.status_code == 404 and gone.json()["detail"] == "There is no value for 2026-W10."
    assert member.delete(base).status_code == 204
    assert member.get(base).status_code == 404


def test_manual_values_are_suppressed_for_coordinators_and_admins_but_not_the_team(
    client: TestClient, db: Session, teams
) -> None:  # type: ignore[no-untyped-def]
    network, _, a, _ = teams
    member = _client(client, db, role="team", team=a)
    created = member.post(
        f"/api/v1/teams/{a.id}/manual-measures", json={"key": "falls", "title": "Falls assessed"}
    )
    base = f"/api/v1/manual-measures/{created.json()['id']}"
    csv_text = b"period,numerator,denominator\n2026-W10,2,3\n2026-W11,1,4\n2026-W12,10,20\n"
    assert member.post(f"{base}/values.csv", files={"file": ("v.csv", csv_text)}).status_code == 200
    counts = [
        (v["numerator"], v["denominator"], v.get("suppressed", False))
        for v in member.get(f"{base}/values").json()
    ]
    assert counts == [(2, 3, False), (1, 4, False), (10, 20, False)]
    assert '<td class="num">2</td>' in member.get(f"/manual-measures/{created.json()['id']}").text
    for role, scope in (("coordinator", {"network": network}), ("admin", {"team": a})):
        client.cookies.clear()
        outsider = _client(client, db, role=role, **scope)
        values = outsider.get(f"{base}/values").json()
        assert [(v["numerator"], v["denominator"], v.get("suppressed", False)) for v in values] == [
            (None, None, True),
            (None, None, True),
            (10, 20, False),
        ]
        page = outsider.get(f"/manual-measures/{created.json()['id']}").text
        cells = re.findall(r'<td class="num">([^<]*)</td>', page)
        assert "2" not in cells and "3" not in cells and "4" not in cells and "1" not in cells
        assert "&lt;5" in page and "10" in cells


def test_annotations_through_the_api(client: TestClient, db: Session, teams) -> None:  # type: ignore[no-untyped-def]
    _, _, a, _ = teams
    nurse = _client(client, db, role="nurse", team=a)
    body = {
        "happened_on": "2026-03-04",
        "title": "Phone call before discharge",
        "starts_phase": True,
    }
    assert nurse.post(f"/api/v1/teams/{a.id}/annotations", json=body).status_code == 403
    client.cookies.clear()
    member = _client(client, db, role="team", team=a)
    created = member.post(f"/api/v1/teams/{a.id}/annotations", json=body)
    assert created.status_code == 201
    note = created.json()
    changed = member.put(f"/api/v1/annotations/{note['id']}", json={**body, "title": "Phone call"})
    assert changed.json()["title"] == "Phone call"
    listed = member.get(f"/api/v1/teams/{a.id}/annotations").json()
    assert [n["title"] for n in listed] == ["Phone call"]
    chart = _chart(member, a, end="2026-03-15").json()
    assert [mark["title"] for mark in chart["annotations"]] == ["Phone call"]
    assert member.delete(f"/api/v1/annotations/{note['id']}").status_code == 204
    assert member.delete(f"/api/v1/annotations/{note['id']}").status_code == 404


def test_measures_api_is_documented(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    chart = schema["paths"]["/api/v1/measures/{measure_id}/chart"]["get"]
    assert chart["summary"] and chart["description"].startswith("Return a measure's chart")
    assert "ChartOut" in str(chart["responses"]["200"])
    assert "/api/v1/manual-measures/{measure_id}/values.csv" in schema["paths"]
    assert "/api/v1/teams/{team_id}/annotations" in schema["paths"]


def test_items_behind_a_readmission_point_say_what_was_followed_and_how_it_ended(
    client: TestClient, db: Session
) -> None:
    from tests.measures.conftest import make_event

    team = make_team(db)
    readmitted, home = (pathway_of(db, make_patient(db, team)) for _ in range(2))
    make_event(db, readmitted, "hospital_discharge", local(date(2026, 1, 1), 10))
    make_event(db, readmitted, "hospital_admission", local(date(2026, 1, 21), 10))
    make_event(db, home, "hospital_discharge", local(date(2026, 1, 1), 11))
    nurse = _client(client, db, role="nurse", team=team)
    # Both discharges are followed until 31 January, in ISO week 2026-W05.
    response = nurse.get(f"/api/v1/measures/readmission-30d/teams/{team.id}/periods/2026-W05/items")
    assert response.status_code == 200, response.text
    rows = sorted(response.json(), key=lambda r: r["status"])
    assert [(r["status"], r["status_label"], r["in_numerator"]) for r in rows] == [
        ("not_readmitted", "Not readmitted", False),
        ("readmitted", "Readmitted", True),
    ]
    assert {r["what_label"] for r in rows} == {"Discharge, followed for readmission"}
    assert {r["due_date"] for r in rows} == {"2026-01-31"}
