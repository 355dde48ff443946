"""Manual measures: definitions, values by form and CSV (all problems at once), and charts."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from app.core.deps import Forbidden
from app.measures import manual, manual_csv
from app.measures.aggregate import Level
from app.measures.service import measure_series
from tests.factories import make_team, make_user
from tests.measures.conftest import local, viewer_of

NOW = local(date(2026, 3, 18))


@pytest.fixture
def setup(db: Session):  # type: ignore[no-untyped-def]
    """A team with an improvement-team member and a proportion measure counted weekly."""
    team = make_team(db)
    member = viewer_of(db, make_user(db, role="team", team=team))
    measure = manual.create_manual_measure(
        db,
        viewer=member,
        team_id=int(team.id or 0),
        fields=manual.ManualFields(key="falls", title="Falls assessed", goal=80),
    )
    return team, member, measure


def _upload(db: Session, member, measure, text: str) -> int:  # type: ignore[no-untyped-def]
    return manual_csv.upload_values_csv(
        db, viewer=member, measure_id=int(measure.id or 0), content=text.encode("utf-8")
    )


def _problems(db: Session, member, measure, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(manual_csv.CsvInvalid) as caught:
        _upload(db, member, measure, text)
    return caught.value.problems


def test_csv_upload_saves_every_row_and_updates_periods_already_entered(db: Session, setup) -> None:  # type: ignore[no-untyped-def]
    _, member, measure = setup
    assert (
        _upload(db, member, measure, "period,numerator,denominator\n2026-W05,3,4\n2026-W06,2,5\n")
        == 2
    )
    assert _upload(db, member, measure, "period;numerator;denominator\n2026-W06;4;5\n") == 1
    values = manual.list_values(db, viewer=member, measure_id=int(measure.id or 0))
    assert [(v.period_start, v.numerator, v.denominator) for v in values] == [
        (date(2026, 1, 26), 3, 4),
        (date(2026, 2, 2), 4, 5),
    ]


def test_csv_upload_reports_every_problem_with_its_row_and_saves_nothing(
    db: Session, setup
) -> None:  # type: ignore[no-untyped-def]
    _, member, measure = setup
    text = (
        "period,numerator,denominator\n"
        "2026-W05,3,4\n"  # row 2: fine
        "2026-W07,three,4\n"  # row 3: not a number
        "2026-W08,5,4\n"  # row 4: above the denominator
        "2026-W09,-1,4\n"  # row 5: negative
        "2026-W05,1,4\n"  # row 6: period again
        "week 10,1,4\n"  # row 7: unparseable period
        "2026-03,1,4\n"  # row 8: a month for a weekly measure
        "2026-W11,,4\n"  # row 9: no numerator
    )
    assert _problems(db, member, measure, text) == [
        "Row 3: numerator is not a number: three.",
        "Row 4: The numerator cannot be above the denominator.",
        "Row 5: The numerator cannot be negative.",
        "Row 6: period 2026-W05 appears more than once (first in row 2).",
        "Row 7: 'week 10' is not a week: write it like 2026-W05.",
        "Row 8: '2026-03' is not a week: write it like 2026-W05.",
        "Row 9: Enter the numerator.",
    ]
    assert manual.list_values(db, viewer=member, measure_id=int(measure.id or 0)) == []


def test_csv_upload_names_missing_columns_and_empty_files(db: Session, setup) -> None:  # type: ignore[no-untyped-def]
    _, member, measure = setup
    assert _problems(db, member, measure, "period,numerator\n2026-W05,3\n") == [
        "Missing column: denominator."
    ]
    assert _problems(db, member, measure, "\n\n") == ["The file is empty."]
    assert _problems(db, member, measure, "period,numerator,denominator\n") == [
        "The file holds no values."
    ]


def test_count_measure_needs_no_denominator_and_reads_decimal_commas(db: Session, setup) -> None:  # type: ignore[no-untyped-def]
    team, member, _ = setup
    counted = manual.create_manual_measure(
        db,
        viewer=member,
        team_id=int(team.id or 0),
        fields=manual.ManualFields(
            key="falls-count", title="Falls", kind="count", period_type="month"
        ),
    )
    assert _upload(db, member, counted, "period;numerator\n2026-01;2,5\n2026-02;4\n") == 2
    chart = measure_series(
        db,
        viewer=member,
        measure_id=manual.manual_id(counted),
        level=Level.team,
        unit_id=int(team.id or 0),
        period="month",
        start=date(2026, 1, 1),
        end=date(2026, 3, 1),
        now=NOW,
    )
    assert [(p.period, p.value, p.incomplete) for p in chart.points] == [
        ("2026-01", 2.5, False),
        ("2026-02", 4.0, False),
        ("2026-03", None, True),
    ]


def test_manual_measure_definition_is_checked_field_by_field(db: Session, setup) -> None:  # type: ignore[no-untyped-def]
    team, member, _ = setup
    with pytest.raises(manual.ManualMeasureInvalid) as caught:
        manual.create_manual_measure(
            db,
            viewer=member,
            team_id=int(team.id or 0),
            fields=manual.ManualFields(key="falls", title=" ", kind="median", goal=150),
        )
    assert set(caught.value.problems) == {"key", "title", "kind"}
    with pytest.raises(manual.ManualMeasureInvalid) as caught:
        manual.create_manual_measure(
            db,
            viewer=member,
            team_id=int(team.id or 0),
            fields=manual.ManualFields(key="hph-2-on-time", title="Mine", goal=150),
        )
    assert set(caught.value.problems) == {"key", "goal"}


def test_only_the_improvement_team_writes_manual_measures(db: Session, setup) -> None:  # type: ignore[no-untyped-def]
    team, _, measure = setup
    nurse = viewer_of(db, make_user(db, role="nurse", team=team))
    with pytest.raises(Forbidden):
        manual.save_value(
            db,
            viewer=nurse,
            measure_id=int(measure.id or 0),
            period="2026-W05",
            numerator=1,
            denominator=2,
        )
    assert manual.list_values(db, viewer=nurse, measure_id=int(measure.id or 0)) == []


def test_manual_measure_charts_through_the_same_service_with_suppression(
    db: Session, setup
) -> None:  # type: ignore[no-untyped-def]
    team, member, measure = setup
    _upload(db, member, measure, "period,numerator,denominator\n2026-W08,3,4\n2026-W09,10,20\n")
    args = {
        "measure_id": manual.manual_id(measure),
        "level": Level.team,
        "unit_id": int(team.id or 0),
        "period": "week",
        "start": date(2026, 2, 16),
        "end": date(2026, 3, 1),
        "now": NOW,
    }
    mine = measure_series(db, viewer=member, **args)
    assert [(p.value, p.suppressed) for p in mine.points] == [(75.0, False), (50.0, False)]
    assert mine.measure.goal == 80 and mine.measure.manual
    coordinator = viewer_of(db, make_user(db, role="coordinator", team=team))
    theirs = measure_series(db, viewer=coordinator, **args)
    assert [(p.value, p.suppressed) for p in theirs.points] == [(None, True), (50.0, False)]
