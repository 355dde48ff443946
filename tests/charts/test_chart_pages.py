"""Charts on the pages: a network's rule set, the caption that names it, a measure at its
limit, the monthly suggestion for small weekly counts, and the funnel plot."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.i18n import current_language, set_language
from app.dashboards.comparison import comparison, funnel_months, funnel_position
from app.dashboards.service import team_dashboard
from app.org.models import LearningNetwork, Team
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
    """Run each test in English unless it sets bokmål."""
    previous = current_language()
    set_language("en")
    yield
    set_language(previous)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    """Freeze "now" on Wednesday 18 November 2026."""
    with time_machine.travel(NOW, tick=False):
        yield


def fill_weeks(db: Session, team: Team, counts: list[tuple[int, int]]) -> None:
    """Give a team hph-2 items week by week back from last week: (on time, due) per week."""
    pathway = pathway_of(db, make_patient(db, team))
    monday = date(2026, 11, 16)
    for back, (on_time, due) in enumerate(reversed(counts), start=1):
        week = monday - timedelta(weeks=back)
        for i in range(due):
            end = end_of_day(week + timedelta(days=i % 5))
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
    db.flush()


def fill_months(db: Session, team: Team, months: list[date], *, on_time: int, due: int) -> None:
    """Give a team hph-2 items in some months: so many on time of so many due."""
    pathway = pathway_of(db, make_patient(db, team))
    for month in months:
        for i in range(due):
            end = end_of_day(month + timedelta(days=i % 20))
            make_instance(
                db,
                team=team,
                pathway=pathway,
                definition_id="hph-2",
                window_end=end,
                status="completed" if i < on_time else "due",
                performed_at=end - timedelta(hours=3) if i < on_time else None,
            )
    db.flush()


def one_team(db: Session, **network: object) -> tuple[LearningNetwork, Team]:
    """A network with one organisation and one team."""
    net = make_network(db, **network)
    return net, make_team(db, make_organisation(db, net))


def hph2(db: Session, team: Team, period: str = "week"):  # type: ignore[no-untyped-def]
    """The team's hph-2 dashboard item."""
    viewer = resolve_viewer(db, make_user(db, role="team", team=team))
    items = team_dashboard(
        db, viewer=viewer, team_id=int(team.id or 0), period=period, start=None, end=None, now=NOW
    )
    return next(item for item in items if item.info.id == MEASURE)


# --- the network's rule set ---------------------------------------------------------------


def test_admin_chooses_the_networks_rule_set_on_the_organisations_page(
    db: Session, client: TestClient
) -> None:
    """The form saves the choice; a value outside the three is refused with a message."""
    network, _team = one_team(db)
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="admin", network=network))
    page = client.get("/admin/organisations")
    assert re.search(r'value="anhoej" aria-describedby="[^"]+" checked', page.text)
    url = f"/admin/networks/{network.id}/chart-rules"
    saved = client.post(url, data={"chart_rules": "mdc"}, follow_redirects=False)
    assert saved.status_code == 303
    db.refresh(network)
    assert network.chart_rules == "mdc"
    refused = client.post(url, data={"chart_rules": "westgard"})
    assert refused.status_code == 422 and "Choose one of" in refused.text
    other, _ = one_team(db)
    elsewhere = client.post(f"/admin/networks/{other.id}/chart-rules", data={"chart_rules": "ihi"})
    assert elsewhere.status_code == 422
    db.refresh(other)
    assert other.chart_rules == "anhoej"


def test_a_network_on_mdc_rules_draws_p_charts_and_every_chart_says_its_rules(
    db: Session, client: TestClient
) -> None:
    """Default: run chart with Anhøj rules; MDC: p chart with MDC rules, in caption and spec."""
    _net, team = one_team(db)
    fill_weeks(db, team, [(8, 10)] * 12)
    plain = hph2(db, team)
    assert (plain.chart.chart, plain.chart.rules) == ("run", "anhoej")
    assert plain.rules_caption == "Run chart · Anhøj rules"
    mdc_net, mdc_team = one_team(db, chart_rules="mdc")
    fill_weeks(db, mdc_team, [(8, 10)] * 12)
    item = hph2(db, mdc_team)
    assert (item.chart.chart, item.chart.rules) == ("p", "mdc")
    assert item.spec["title"]["subtitle"] == "Making Data Count rules"
    assert all(p.lower is not None for p in item.chart.points if p.value is not None)
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="team", team=mdc_team))
    page = client.get(f"/teams/{mdc_team.id}/dashboard")
    assert "Read by: P chart · Making Data Count rules" in page.text
    assert "a point on the line breaks the run" in page.text
    api = client.get(f"/api/v1/measures/{MEASURE}/chart?level=team&unit_id={mdc_team.id}")
    assert api.status_code == 200 and api.json()["rules"] == "anhoej"  # the API asks for itself
    spc = client.get(
        f"/api/v1/measures/{MEASURE}/chart?level=team&unit_id={mdc_team.id}&chart=p&rules=mdc"
    )
    assert spc.json()["rules"] == "mdc"


# --- a measure at its limit ---------------------------------------------------------------


def test_a_stable_100_per_cent_reads_at_its_limit_not_deterioration(db: Session) -> None:
    """18 weeks of 10 of 10 and 12 of 9 of 10: the median is 100 %, every useful point is
    below it; the verdict used to be "Deterioration: Unusually long run below the median"."""
    _net, team = one_team(db)
    fill_weeks(db, team, [(10, 10), (9, 10), (10, 10)] * 6 + [(10, 10), (9, 10)] * 6)
    item = hph2(db, team)
    assert item.chart.result.parts[-1].centre == 100
    assert item.verdict.startswith("At its limit: the centre line is 100 %")
    assert "Deterioration" not in item.verdict


# --- small weekly counts --------------------------------------------------------------------


def test_small_weekly_counts_suggest_the_monthly_view_and_say_why(
    db: Session, client: TestClient
) -> None:
    """A median of 3 items a week: the page says why and links the monthly view."""
    _net, team = one_team(db)
    fill_weeks(db, team, [(2, 3), (3, 3), (1, 3), (3, 3)] * 4)
    assert hph2(db, team).advice is not None
    assert hph2(db, team, "month").advice is None
    client.cookies.set("hph_lang", "nb")
    sign_in_client(client, make_user(db, role="team", team=team))
    page = client.get(f"/teams/{team.id}/dashboard?period=week")
    assert "Få telte per uke (median 3)" in page.text
    assert '<a href="?period=month">Vis per måned</a>' in page.text
    _net, big = one_team(db)
    fill_weeks(db, big, [(12, 14)] * 16)
    assert hph2(db, big).advice is None


# --- funnel plot ----------------------------------------------------------------------------


def test_funnel_months_follow_the_chosen_range_and_keep_to_whole_ended_months() -> None:
    """No range: the latest quarter; a range: its whole months that have ended."""
    today = date(2026, 11, 18)
    assert funnel_months(today, None, None) == (date(2026, 7, 1), date(2026, 9, 30), "2026-Q3")
    assert funnel_months(today, date(2026, 1, 1), date(2026, 6, 30)) == (
        date(2026, 1, 1),
        date(2026, 6, 30),
        "2026-01 – 2026-06",
    )
    # begun part-way and ending in this unfinished month: February to October
    assert funnel_months(today, date(2026, 1, 15), today)[2] == "2026-02 – 2026-10"
    assert funnel_months(today, date(2026, 11, 2), today) is None


def test_funnel_position_against_the_95_and_998_limits() -> None:
    """Pooled 50 %, n = 100: 95 % limits 40.2-59.8, 99.8 % limits 34.5-65.5."""
    assert funnel_position(0.5, 50, 100) == "inside"
    assert funnel_position(0.5, 62, 100) == "above95"
    assert funnel_position(0.5, 38, 100) == "below95"
    assert funnel_position(0.5, 70, 100) == "above"
    assert funnel_position(0.5, 30, 100) == "below"


def test_funnel_marks_and_names_units_outside_and_says_why_it_is_empty(
    db: Session, client: TestClient
) -> None:
    """Units outside are marked, labelled and listed; an empty funnel gives its one cause."""
    net = make_network(db)
    org = make_organisation(db, net)
    for on_time in (14, 15, 13, 5):  # of 20 a month; pooled 58.75 %, n = 60: 99.8 % from 39 %
        team = make_team(db, org)
        team.name = f"Team {on_time}"
        db.add(team)
        fill_months(db, team, [date(2026, m, 3) for m in (8, 9, 10)], on_time=on_time, due=20)
    coordinator = make_user(db, role="coordinator", network=net)
    viewer = resolve_viewer(db, coordinator)
    found = comparison(
        db,
        viewer=viewer,
        measure_id=MEASURE,
        level="team",
        period="month",
        start=date(2026, 8, 1),
        end=date(2026, 10, 31),
        now=NOW,
    )
    assert found.quarter == "2026-08 – 2026-10"
    assert found.funnel_outside("below") == ["Team 5"]
    assert found.funnel_outside("above95") == ["Team 15"]
    assert {u["unit"]: u["position"] for u in found.funnel}["Team 14"] == "inside"
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, coordinator)
    page = client.get(
        f"/comparison?measure={MEASURE}&level=team&period=month&start=2026-08-01&end=2026-10-31"
    )
    assert "Funnel plot, 2026-08 – 2026-10" in page.text
    assert "<strong>Below the 99.8 % limit:</strong> Team 5" in page.text
    empty = client.get(
        f"/comparison?measure={MEASURE}&level=team&period=month&start=2025-01-01&end=2025-03-31"
    )
    assert "No funnel plot: nothing was counted in 2025-01 – 2025-03." in empty.text
    assert "not a share" not in empty.text
    one = client.get(
        f"/comparison?measure={MEASURE}&level=organisation&period=month&start=2026-08-01"
        "&end=2026-10-31"
    )
    assert one.status_code == 200
    assert "Every unit is within the 95 % limits." in one.text
    assert "Read by: Anhøj rules" in one.text
