"""'Risks followed up in time' on the team dashboard, behind a point and in comparisons."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.checklists.in_use import catalogue_in_use
from app.checklists.loader import CatalogueError
from app.dashboards.service import team_dashboard
from app.measures.catalogue import FollowUpCount, load_measures, measures_in_use
from app.org.models import LearningNetwork, Organisation
from app.org.scope import resolve_viewer
from app.risks.service import mark_done
from tests.factories import make_user, sign_in_client
from tests.risks.conftest import Visit, at, discharged

MEASURE = "risks-followed-up"


def _visit_with_two_follow_ups(db: Session) -> Visit:
    """Falls assessment done on time, pressure-ulcer plan missed, both due in March 2026."""
    monday = date(2026, 3, 2)
    visit = discharged(db, monday)
    visit.answer("fall_last_year", "yes", at(monday, 10))
    visit.answer("pressure_ulcer_risk", "yes", at(monday, 10))
    falls = visit.follow_ups()["falls"]
    mark_done(
        db,
        viewer=visit.viewer,
        follow_up_id=int(falls.id or 0),
        expected_version=falls.version,
        done_at=at(date(2026, 3, 10)),
        now=at(date(2026, 3, 10)),
    )
    return visit


def test_the_measure_is_core_and_each_rule_has_its_own() -> None:
    catalogue = measures_in_use()
    assert catalogue.get(MEASURE).core
    assert isinstance(catalogue.get(MEASURE).count, FollowUpCount)
    per_rule = catalogue.get("risk-falls").count
    assert isinstance(per_rule, FollowUpCount) and per_rule.rules == ["falls"]


def test_a_measure_naming_an_unknown_rule_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "risk-x.yaml").write_text(
        textwrap.dedent("""\
        id: risk-x
        title: {nb: X, en: X}
        description: {nb: X, en: X}
        type: proportion
        count: {of: follow_ups, rules: [no-such-rule]}
        """),
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match="risk-x.yaml, line 5: unknown risk rule"):
        load_measures(tmp_path, catalogue_in_use(), {"falls"})


def test_team_dashboard_charts_the_follow_ups(db: Session) -> None:
    visit = _visit_with_two_follow_ups(db)
    viewer = resolve_viewer(db, make_user(db, role="team", team=visit.team))
    items = team_dashboard(
        db,
        viewer=viewer,
        team_id=int(visit.team.id or 0),
        period="month",
        start=date(2026, 1, 1),
        end=date(2026, 4, 30),
        now=at(date(2026, 4, 15)),
    )
    item = next(item for item in items if item.info.id == MEASURE)
    assert item.chart is not None
    march = [p for p in item.chart.points if p.numerator is not None and p.denominator]
    assert [(p.numerator, p.denominator) for p in march] == [(1, 2)]


def test_items_behind_a_point_name_the_follow_up_actions(db: Session, client: TestClient) -> None:
    visit = _visit_with_two_follow_ups(db)
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="team", team=visit.team))
    page = client.get(f"/teams/{visit.team.id}/dashboard/{MEASURE}/periods/2026-03")
    assert page.status_code == 200, page.text
    assert "Falls assessment" in page.text and "Pressure-ulcer prevention plan" in page.text


def test_coordinators_compare_the_measure(db: Session, client: TestClient) -> None:
    visit = _visit_with_two_follow_ups(db)
    organisation = db.get(Organisation, visit.team.organisation_id)
    assert organisation is not None
    network = db.get(LearningNetwork, organisation.network_id)
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="coordinator", network=network))
    page = client.get(f"/comparison?measure={MEASURE}&level=team&period=month")
    assert page.status_code == 200, page.text
    assert "Risks followed up in time" in page.text
