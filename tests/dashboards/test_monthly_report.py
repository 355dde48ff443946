"""The monthly report: the last complete month by default, a month picker, and a summary in
place of one verdict repeated under every chart."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.dashboards.report import MonthlyReport, chart_kind, last_complete_month, read_month
from app.dashboards.service import DashboardChart
from app.measures.access import Unit
from app.measures.aggregate import CountRow, Level
from app.measures.chart_data import MeasureInfo, MeasureRequestError, build_chart
from app.measures.periods import Window
from tests.dashboards.polish_data import NOW, frozen, network  # noqa: F401 (fixtures)
from tests.factories import make_user, sign_in_client


def _item(values: list[int], direction: str) -> DashboardChart:
    """A monthly chart of two years, each month 100 items with the given numbers done."""
    info = MeasureInfo(
        id="m", title="A measure", description="", type="proportion", periods=["month"],
        default_period="month", direction=direction, goal=None, core=True, chart="run",
    )  # fmt: skip
    starts = [date(year, month, 1) for year in (2024, 2025) for month in range(1, 13)]
    rows = {
        start: CountRow(unit_id=1, week=None, month=start, numerator=v, denominator=100, pending=0)
        for start, v in zip(starts, values, strict=True)
    }
    window = Window(
        first_day=starts[0], last_day=date(2025, 12, 31), now=NOW, by_week=False, by_month=True
    )
    chart = build_chart(
        info=info, level=Level.team, unit=Unit(1, "Team", frozenset({1})), period="month",
        window=window, rows=rows, hide_small=False,
    )  # fmt: skip
    return DashboardChart(info=info, chart=chart, verdict="x")


def test_the_report_month_is_the_last_complete_one_unless_chosen() -> None:
    assert last_complete_month(date(2026, 11, 18)) == date(2026, 10, 1)
    assert last_complete_month(date(2026, 1, 1)) == date(2025, 12, 1)
    assert read_month(None, date(2026, 11, 18)) == date(2026, 10, 1)
    assert read_month("2026-03", date(2026, 11, 18)) == date(2026, 3, 1)
    for wrong in ("October", "2026-W05", "2026-13", "2026-12"):
        try:
            read_month(wrong, date(2026, 11, 18))
        except MeasureRequestError:
            continue
        raise AssertionError(wrong)


def test_a_shift_reads_as_improved_or_concerning_by_the_measures_direction() -> None:
    shifted = [50, 52, 49, 51, 50, 48, 53, 47, 50, 52, 49, 51]
    shifted += [80, 82, 79, 81, 83, 80, 78, 84, 81, 79, 82, 80]
    assert chart_kind(_item(shifted, "up")) == "improved"
    assert chart_kind(_item(shifted, "down")) == "concerning"
    steady = [50, 60] * 12
    assert chart_kind(_item(steady, "up")) == "no_signal"
    report = MonthlyReport(month=date(2025, 12, 1), complete=True, groups={})
    report.groups = {
        "improved": [_item(shifted, "up")] * 3,
        "concerning": [_item(shifted, "down")],
        "no_signal": [_item(steady, "up")] * 6,
    }
    assert report.summary == "3 measures improved, 1 concerning, 6 without signal."


def test_an_improved_chart_in_the_report_says_so_on_its_card(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.dashboards import report as module

    shifted = [50, 52, 49, 51, 50, 48, 53, 47, 50, 52, 49, 51]
    shifted += [80, 82, 79, 81, 83, 80, 78, 84, 81, 79, 82, 80]
    steady = [50, 60] * 12
    items = [_item(shifted, "up"), _item(steady, "up")]
    monkeypatch.setattr(module.service, "team_dashboard", lambda *_a, **_k: items)
    found = module.monthly_report(
        None,  # type: ignore[arg-type]
        viewer=None,  # type: ignore[arg-type]
        team_id=1,
        month=date(2025, 12, 1),
        now=NOW,
    )
    assert found.groups["improved"] == [items[0]] and found.groups["no_signal"] == [items[1]]
    assert items[0].verdict.startswith("Improvement: ") and items[1].verdict == ""


def test_report_opens_on_the_last_complete_month_with_a_summary_and_a_picker(
    client: TestClient,
    db: Session,
    network,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    team = network["big"]
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="team", team=team))
    page = client.get(f"/teams/{team.id}/report")
    assert page.status_code == 200
    assert "October 2026" in page.text and "November 2026" not in page.text
    assert 'type="month" name="month" value="2026-10"' in page.text
    assert 'class="report-summary-line"' in page.text
    for verdict in ("Random variation around the median", "Too few points yet to judge"):
        assert page.text.count(verdict) <= 1
    nb = client.get(f"/teams/{team.id}/report?month=2026-09", cookies={"hph_lang": "nb"})
    assert nb.status_code == 200 and "september 2026" in nb.text


def test_report_refuses_a_wrong_month_on_the_page_keeping_what_was_typed(
    client: TestClient,
    db: Session,
    network,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    team = network["big"]
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="team", team=team))
    wrong = client.get(f"/teams/{team.id}/report?month=October")
    assert wrong.status_code == 422 and "Write the month like 2026-10." in wrong.text
    assert 'value="October"' in wrong.text and 'aria-invalid="true"' in wrong.text
    future = client.get(f"/teams/{team.id}/report?month=2027-01")
    assert future.status_code == 422 and "up to this month (2026-11)" in future.text
