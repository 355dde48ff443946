"""Numbers on the pages in the user's language, CSV for Excel beside the plain CSV, and the
manual-measure import of what a Norwegian spreadsheet saves."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.i18n import format_day, format_moment, format_number, format_share
from app.measures.manual_csv import parse_values_csv
from app.measures.models import ManualMeasure
from tests.dashboards.polish_data import MEASURE, frozen, network  # noqa: F401 (fixtures)
from tests.factories import make_team, make_user, sign_in_client


def test_numbers_and_shares_take_the_form_of_the_language() -> None:
    assert format_number(1234.5, 1, "nb") == "1\xa0234,5"
    assert format_number(1234.5, 1, "en") == "1,234.5"
    assert format_number(2.25, None, "nb") == "2,25" and format_number(3.0, None, "nb") == "3"
    assert format_number(-1.5, 1, "nb") == "\u22121,5"
    assert format_share(66.6667, 1, "nb") == "66,7\xa0%"
    assert format_share(66.6667, 1, "en") == "66.7%"
    assert format_share(0.5, 0, "nb", fraction=True) == "50\xa0%"
    assert format_number(None) == "" and format_share(None) == ""
    assert format_day(date(2025, 12, 17), "nb") == "17. des. 2025"
    assert format_day(date(2025, 12, 17), "en") == "17 Dec 2025"
    assert format_moment(datetime(2025, 12, 17, 14, 30), "nb") == "17. des. 2025 14:30"


@pytest.mark.parametrize(
    ("language", "share", "wrong"), [("nb", "66,7\xa0%", "66.7"), ("en", "66.7%", "66,7")]
)
def test_dashboard_and_comparison_write_shares_in_the_users_language(
    client: TestClient,
    db: Session,
    network,  # noqa: F811
    language: str,
    share: str,
    wrong: str,
) -> None:  # type: ignore[no-untyped-def]
    team = network["big"]
    client.cookies.set("hph_lang", language)
    sign_in_client(client, make_user(db, role="team", team=team))
    page = client.get(f"/teams/{team.id}/dashboard?period=month")
    assert page.status_code == 200
    cells = re.findall(r'<td class="num">([^<]*)</td>', page.text)
    assert share in cells and not any(wrong in cell for cell in cells)
    report = client.get(f"/teams/{team.id}/report?month=2026-10")
    assert share in re.findall(r'<td class="num">([^<]*)</td>', report.text)
    sign_in_client(client, make_user(db, role="coordinator", network=network["network"]))
    compared = client.get(f"/comparison?measure={MEASURE}&level=team&period=month")
    rates = re.findall(r'<td class="num">([^<]*)</td>', compared.text)
    assert share in rates and not any(wrong in rate for rate in rates)


def test_chart_csv_for_excel_is_bokmal_with_a_byte_order_mark(
    client: TestClient,
    db: Session,
    network,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    team = network["big"]
    client.cookies.set("hph_lang", "nb")
    sign_in_client(client, make_user(db, role="team", team=team))
    base = f"/api/v1/exports/charts/{MEASURE}?level=team&unit_id={team.id}&period=month"
    excel = client.get(f"{base}&format=excel")
    assert excel.status_code == 200 and excel.headers["content-type"].startswith("text/csv")
    assert excel.headers["content-disposition"].endswith('.csv"')
    assert excel.content.startswith(b"\xef\xbb\xbf")
    text = excel.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:5] == ["Enhet", "Periode", "Teller", "Nevner", "Verdi"]
    september = next(row for row in rows if row[1] == "2026-09")
    assert september[2:5] == ["10", "15", "66,667"]
    # the plain form stays what programs read: comma separated, decimal point, English names
    plain = client.get(f"{base}&format=csv")
    assert not plain.content.startswith(b"\xef\xbb\xbf")
    plain_rows = list(csv.DictReader(io.StringIO(plain.text)))
    assert list(plain_rows[0])[:5] == ["unit", "period", "numerator", "denominator", "value"]
    plain_september = next(row for row in plain_rows if row["period"] == "2026-09")
    assert (plain_september["numerator"], plain_september["value"]) == ("10", "66.667")


def test_comparison_csv_for_excel_writes_numbers_in_english_too(
    client: TestClient,
    db: Session,
    network,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="coordinator", network=network["network"]))
    base = f"/api/v1/exports/comparison/{MEASURE}?level=team&period=month"
    excel = client.get(f"{base}&format=excel").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(excel)))
    big = next(row for row in rows if row["Unit"] == "Big team")
    assert (big["Numerator"], big["Denominator"], big["Rate"]) == ("80", "120", "66.667")
    plain = list(csv.DictReader(io.StringIO(client.get(f"{base}&format=csv").text)))
    assert next(r for r in plain if r["unit"] == "Big team")["rate"] == "66.7 %"
    data = client.get(f"{base}&format=json").json()
    assert set(data["rows"][0]) == {
        "unit_id",
        "unit_name",
        "numerator",
        "denominator",
        "rate",
        "suppressed",
    }


def test_manual_import_reads_a_norwegian_spreadsheet(db: Session) -> None:
    team = make_team(db)
    measure = ManualMeasure(team_id=int(team.id or 0), key="falls", title="Falls", kind="mean")
    db.add(measure)
    db.flush()
    content = "\ufeffPeriode;Teller;Nevner\r\n2026-W05;3,5;2\r\n2026-W06;1 200,25;10\r\n"
    rows = parse_values_csv(measure, content)
    assert [(r[1], r[2]) for r in rows] == [(3.5, 2.0), (1200.25, 10.0)]


def test_a_number_answer_is_shown_with_the_languages_decimal_sign() -> None:
    from app.checklists.forms import display_value
    from app.checklists.in_use import catalogue_in_use
    from app.core.i18n import current_language, set_language

    definition = catalogue_in_use().get("ernaering")
    weight = next(item for item in definition.items if item.id == "weight_kg")
    previous = current_language()
    try:
        set_language("nb")
        assert display_value(weight, 72.5) == "72,5 kg"
        set_language("en")
        assert display_value(weight, 72.5) == "72.5 kg"
    finally:
        set_language(previous)
