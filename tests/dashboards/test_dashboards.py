"""Dashboards: the team dashboard, the items behind a point, tested changes, the comparison's
suppression, and the exports."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.core.i18n import current_language, set_language
from app.dashboards.comparison import funnel_limits, last_quarter
from app.dashboards.service import team_dashboard
from app.measures.models import Annotation
from app.org.models import Team
from app.org.scope import resolve_viewer
from tests.factories import (
    make_network,
    make_organisation,
    make_patient,
    make_team,
    make_user,
    sign_in_client,
)
from tests.measures.conftest import end_of_day, make_instance, pathway_of

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
MEASURE = "hph-2-on-time"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Run each test in English."""
    previous = current_language()
    set_language("en")
    yield
    set_language(previous)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    """Freeze "now" in November 2026."""
    with time_machine.travel(NOW, tick=False):
        yield


def fill(db: Session, team: Team, *, per_month: int, on_time: int, months: int = 8) -> None:
    """Give a team hph-2 items in each of the last months: some done on time, the rest missed."""
    patient = make_patient(db, team)
    pathway = pathway_of(db, patient)
    for back in range(1, months + 1):
        month = date(2026, 11 - back, 10)
        for i in range(per_month):
            end = end_of_day(month + timedelta(days=i % 15))
            done = i < on_time
            make_instance(
                db,
                team=team,
                pathway=pathway,
                definition_id="hph-2",
                window_end=end,
                status="completed" if done else "due",
                performed_at=end - timedelta(hours=3) if done else None,
            )


@pytest.fixture
def network(db: Session) -> dict[str, Team]:
    """A network with a big team, a small team and a team whose misses are few."""
    net = make_network(db)
    org_a = make_organisation(db, net)
    org_b = make_organisation(db, net)
    teams = {
        "big": make_team(db, org_a),
        "small": make_team(db, org_b),
        "nearly": make_team(db, org_b),
    }
    for key, name in (("big", "Big team"), ("small", "Small team"), ("nearly", "Nearly all team")):
        teams[key].name = name
        db.add(teams[key])
    fill(db, teams["big"], per_month=12, on_time=8)
    fill(db, teams["small"], per_month=1, on_time=1, months=3)
    fill(db, teams["nearly"], per_month=12, on_time=10, months=1)
    db.add(
        Annotation(
            team_id=int(teams["big"].id or 0),
            happened_on=date(2026, 6, 1),
            title="New discharge routine",
            starts_phase=True,
        )
    )
    db.flush()
    teams["network"] = net  # type: ignore[assignment]
    return teams


def small_numbers(text: str) -> list[str]:
    """Table cells holding a count from 1 to 4."""
    return re.findall(r'<td class="num">\s*([1-4])\s*</td>', text)


def test_funnel_limits_widen_for_small_units() -> None:
    low_small, high_small = funnel_limits(0.5, 10, 1.959964)
    low_big, high_big = funnel_limits(0.5, 1000, 1.959964)
    assert high_small - low_small > high_big - low_big
    assert round(high_big, 4) == round(0.5 + 1.959964 * (0.25 / 1000) ** 0.5, 4)
    assert funnel_limits(0.99, 5, 3.090232)[1] == 1.0


def test_last_quarter_is_the_latest_whole_quarter() -> None:
    assert last_quarter(date(2026, 11, 18)) == (date(2026, 7, 1), date(2026, 9, 30), "2026-Q3")
    assert last_quarter(date(2026, 2, 1)) == (date(2025, 10, 1), date(2025, 12, 31), "2025-Q4")


def test_team_dashboard_has_every_core_measure_with_verdicts(db: Session, network) -> None:  # type: ignore[no-untyped-def]
    team = network["big"]
    user = make_user(db, role="team", team=team)
    viewer = resolve_viewer(db, user)
    items = team_dashboard(
        db, viewer=viewer, team_id=int(team.id or 0), period="month", start=None, end=None, now=NOW
    )
    hph2 = next(item for item in items if item.info.id == MEASURE)
    assert hph2.chart is not None and hph2.spec is not None and hph2.verdict
    assert "New discharge routine" in hph2.verdict or hph2.chart.annotations
    layers = hph2.spec["layer"]
    assert any(layer["mark"]["type"] == "rule" for layer in layers)  # the tested change
    weekly_only = [item for item in items if item.chart is None]
    assert all(item.message for item in weekly_only)


def test_team_dashboard_page_draws_specs_and_data_tables(
    client: TestClient, db: Session, network
) -> None:  # type: ignore[no-untyped-def]
    team = network["big"]
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="team", team=team))
    page = client.get(f"/teams/{team.id}/dashboard?period=month")
    assert page.status_code == 200
    assert re.search(r'<script type="application/json" id="spec-\d+">\{', page.text)
    assert "<details" in page.text and "Data table" in page.text
    assert "New discharge routine" in page.text
    assert "/static/vendor/vega-interpreter-2.3.2.min.js" in page.text
    assert "<script>" not in page.text  # no inline JavaScript


def test_team_dashboard_sends_each_charts_points_once(
    client: TestClient, db: Session, network
) -> None:  # type: ignore[no-untyped-def]
    """The points travel in the data table only: the spec names it, its rows carry the rest."""
    import json

    team = network["big"]
    user = make_user(db, role="team", team=team)
    items = team_dashboard(
        db,
        viewer=resolve_viewer(db, user),
        team_id=int(team.id or 0),
        period="month",
        start=None,
        end=None,
        now=NOW,
    )
    hph2 = next(item for item in items if item.info.id == MEASURE)
    assert hph2.spec is not None
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, user)
    text = client.get(f"/teams/{team.id}/dashboard?period=month").text
    specs = re.findall(r'<script type="application/json" id="spec-(\d+)">(.*?)</script>', text)
    assert specs and all(json.loads(spec)["data"] == {"name": "points"} for _n, spec in specs)
    assert '"values": [{"number"' not in text
    number = next(n for n, spec in specs if json.loads(spec)["title"] == hph2.spec["title"])
    table = re.search(rf'<table class="data" id="points-{number}">(.*?)</table>', text, re.S)
    assert table is not None
    rows = re.findall(r"<tr (data-s=[^>]*)>\s*<th scope=\"row\">(?:<a [^>]*>)?([^<]+)", table[1])
    expected = hph2.spec["data"]["values"]
    assert len(rows) == len(expected)
    for (attributes, period), point in zip(rows, expected, strict=True):
        assert period == point["period"]
        assert f'data-s="{point["status"]}"' in attributes
        if point["value"] is not None:
            assert f'data-v="{point["value"]}"' in attributes
        assert ("data-r" in attributes.split()) == point["runs_signal"]


def test_team_dashboard_refuses_bad_input_with_a_message(
    client: TestClient, db: Session, network
) -> None:  # type: ignore[no-untyped-def]
    team = network["big"]
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="team", team=team))
    empty = client.get(f"/teams/{team.id}/dashboard?start=2030-01-01&end=2030-06-01")
    assert empty.status_code == 200 and "No data in this range" in empty.text
    backwards = client.get(f"/teams/{team.id}/dashboard?start=2026-06-01&end=2026-01-01")
    assert (
        backwards.status_code == 422 and "The start date is after the end date." in backwards.text
    )
    period = client.get(f"/teams/{team.id}/dashboard?period=day")
    assert period.status_code == 422 and "The period must be" in period.text
    unknown = client.get(f"/teams/{team.id}/dashboard/not-a-measure/periods/2026-W40")
    assert unknown.status_code == 404 and "does not follow" in unknown.text
    monthly_only = client.get(f"/teams/{team.id}/dashboard/goals-rerated/periods/2026-W40")
    assert monthly_only.status_code == 422
    other = client.get(f"/teams/{network['small'].id}/dashboard")
    assert other.status_code == 404


def test_coordinator_is_sent_to_the_comparison(client: TestClient, db: Session, network) -> None:  # type: ignore[no-untyped-def]
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="coordinator", network=network["network"]))
    page = client.get(f"/teams/{network['big'].id}/dashboard")
    assert page.status_code == 403 and "coordinators use the comparison" in page.text


def test_items_behind_a_point_list_the_missed_checklists(
    client: TestClient, db: Session, network
) -> None:  # type: ignore[no-untyped-def]
    team = network["big"]
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="team", team=team))
    page = client.get(f"/teams/{team.id}/dashboard/{MEASURE}/periods/2026-09")
    assert page.status_code == 200
    assert page.text.count("Not met") == 4 and page.text.count(">Met<") == 8


def test_tested_change_is_created_and_deleted_from_the_dashboard(
    client: TestClient, db: Session, network
) -> None:  # type: ignore[no-untyped-def]
    team = network["big"]
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="team", team=team))
    bad = client.post(
        f"/teams/{team.id}/dashboard/annotations", data={"happened_on": "", "title": "x"}
    )
    assert bad.status_code == 422 and "Give the date of the change." in bad.text
    good = client.post(
        f"/teams/{team.id}/dashboard/annotations",
        data={
            "happened_on": "2026-10-05",
            "title": "Call list",
            "measure_key": MEASURE,
            "starts_phase": "1",
        },
        follow_redirects=False,
    )
    assert good.status_code == 303
    note = db.exec(select(Annotation).where(Annotation.title == "Call list")).one()
    assert note.starts_phase and note.measure_key == MEASURE
    gone = client.post(
        f"/teams/{team.id}/dashboard/annotations/{note.id}/delete", follow_redirects=False
    )
    assert gone.status_code == 303
    assert db.get(Annotation, note.id) is None


def test_nurse_sees_the_dashboard_but_cannot_mark_changes(
    client: TestClient, db: Session, network
) -> None:  # type: ignore[no-untyped-def]
    team = network["big"]
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="nurse", team=team))
    page = client.get(f"/teams/{team.id}/dashboard")
    assert page.status_code == 200 and "Mark a tested change" not in page.text
    refused = client.post(
        f"/teams/{team.id}/dashboard/annotations", data={"happened_on": "2026-10-05", "title": "x"}
    )
    assert refused.status_code == 403


def test_comparison_never_shows_a_count_below_five_to_a_coordinator(
    client: TestClient, db: Session, network
) -> None:  # type: ignore[no-untyped-def]
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="coordinator", network=network["network"]))
    query = f"measure={MEASURE}&level=team&period=month"
    page = client.get(f"/comparison?{query}")
    assert page.status_code == 200
    assert "Small team" in page.text and "&lt;5" in page.text
    assert small_numbers(page.text) == []
    assert "/patients/" not in page.text
    csv_text = client.get(
        f"/api/v1/exports/comparison/{MEASURE}?level=team&period=month&format=csv"
    )
    assert csv_text.headers["content-type"].startswith("text/csv")
    rows = {row["unit"]: row for row in csv.DictReader(io.StringIO(csv_text.text))}
    assert rows["Small team"]["numerator"] == "<5" and rows["Small team"]["denominator"] == "<5"
    nearly = rows["Nearly all team"]  # 10 of 12: the 2 missed could be worked out
    assert nearly["suppressed"] == "yes" and nearly["numerator"] == "–" and nearly["rate"] == ""
    for row in rows.values():
        for key in ("numerator", "denominator"):
            assert not re.fullmatch(r"[1-4]", row[key]), row
    data = client.get(
        f"/api/v1/exports/comparison/{MEASURE}?level=team&period=month&format=json"
    ).json()
    for row in data["rows"]:
        assert not re.fullmatch(r"[1-4]", row["numerator"]) and not re.fullmatch(
            r"[1-4]", row["denominator"]
        )
    small = network["small"]
    chart = client.get(
        f"/api/v1/exports/charts/{MEASURE}?level=team&unit_id={small.id}&period=month&format=csv"
    )
    assert chart.status_code in (200, 403)
    if chart.status_code == 200:
        for row in csv.DictReader(io.StringIO(chart.text)):
            assert not re.fullmatch(r"[1-4]", row["numerator"]) and not re.fullmatch(
                r"[1-4]", row["denominator"]
            )


def test_comparison_refuses_measures_and_levels_it_cannot_compare(
    client: TestClient, db: Session, network
) -> None:  # type: ignore[no-untyped-def]
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="coordinator", network=network["network"]))
    not_core = client.get("/comparison?measure=innleggelse-medication-list")
    assert not_core.status_code == 422 and "Only core measures" in not_core.text
    level = client.get(f"/comparison?measure={MEASURE}&level=patients")
    assert level.status_code == 422 and "Compare teams, organisations or networks." in level.text
    weekly = client.get("/comparison?measure=goals-rerated&period=week")
    assert weekly.status_code == 422 and "not by week" in weekly.text
    unknown = client.get("/comparison?measure=nothing")
    assert unknown.status_code == 422


def test_chart_exports_have_their_content_types(client: TestClient, db: Session, network) -> None:  # type: ignore[no-untyped-def]
    team = network["big"]
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="team", team=team))
    base = f"/api/v1/exports/charts/{MEASURE}?level=team&unit_id={team.id}&period=month"
    data = client.get(f"{base}&format=csv")
    assert data.headers["content-type"].startswith("text/csv")
    assert "attachment" in data.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(data.text)))
    september = next(row for row in rows if row["period"] == "2026-09")
    assert (september["numerator"], september["denominator"]) == ("8", "12")
    spec = client.get(f"{base}&format=json").json()
    assert spec["$schema"].endswith("v5.json")
    svg = client.get(f"{base}&format=svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and "<svg" in svg.text
    png = client.get(f"{base}&format=png")
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    wrong = client.get(f"{base}&format=gif")
    assert wrong.status_code == 422 and "detail" in wrong.json()


def test_monthly_report_prints_the_core_measures(client: TestClient, db: Session, network) -> None:  # type: ignore[no-untyped-def]
    team = network["big"]
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="team", team=team))
    report = client.get(f"/teams/{team.id}/report?month=2026-10")
    assert (
        report.status_code == 200 and "Monthly report" in report.text and "2026-10" in report.text
    )
    assert client.get(f"/teams/{team.id}/report?month=October").status_code == 422
