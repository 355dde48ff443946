"""Reading a measure series from CSV: ordering, gaps and every kind of bad input."""

from __future__ import annotations

import pytest

from app.charts import SeriesFileError, parse_series_csv
from app.charts.series_csv import parse_series_rows


def problems_of(text: str, *, chart: str = "run") -> list[str]:
    """Return the problems a CSV text raises."""
    with pytest.raises(SeriesFileError) as caught:
        parse_series_csv(text, chart=chart, language="en")  # type: ignore[arg-type]
    return caught.value.problems


def test_rows_come_back_in_week_order() -> None:
    """ISO week labels sort in time order whatever the file order."""
    text = "period,numerator,denominator\n2026-W10,3,5\n2026-W02,4,5\n2025-W52,1,5\n"
    points = parse_series_csv(text, chart="p")
    assert [p.period for p in points] == ["2025-W52", "2026-W02", "2026-W10"]
    assert (points[1].numerator, points[1].denominator) == (4, 5)


def test_numeric_periods_sort_as_numbers() -> None:
    """1, 2, 10 rather than 1, 10, 2."""
    points = parse_series_csv("period,numerator\n10,1\n2,1\n1,1\n")
    assert [p.period for p in points] == ["1", "2", "10"]


def test_months_and_days_sort_as_iso_text() -> None:
    """Months and dates sort in time order as text."""
    months = parse_series_csv("period,numerator\n2026-03,1\n2025-12,1\n2026-01,1\n")
    assert [p.period for p in months] == ["2025-12", "2026-01", "2026-03"]
    days = parse_series_csv("period,numerator\n2026-03-10,1\n2026-03-02,1\n")
    assert [p.period for p in days] == ["2026-03-02", "2026-03-10"]


def test_empty_cells_are_gaps() -> None:
    """An empty numerator or denominator is a gap, not zero."""
    points = parse_series_csv("period,numerator,denominator\n1,,10\n2,3,\n3,0,0\n", chart="p")
    assert [(p.numerator, p.denominator) for p in points] == [(None, 10), (3, None), (0, 0)]


def test_numerator_only_file_and_extra_columns() -> None:
    """The denominator column is optional for run, c and I charts; unknown columns are ignored."""
    points = parse_series_csv("Period,Numerator,Note\n1,4,first\n2,5,\n")
    assert [(p.period, p.numerator, p.denominator) for p in points] == [
        ("1", 4, None),
        ("2", 5, None),
    ]


def test_part_column_labels_phases() -> None:
    """Part labels are kept; an empty cell continues the phase before (None)."""
    points = parse_series_csv("period,numerator,part\n1,4,pre\n2,5,\n3,6,post\n")
    assert [p.part for p in points] == ["pre", None, "post"]


def test_semicolon_file_with_decimal_commas_and_bom() -> None:
    """Spreadsheet exports: BOM, semicolons and decimal commas."""
    text = "\ufeffperiod;numerator;denominator\n2026-01;12,5;1000\n"
    (point,) = parse_series_csv(text, chart="u")
    assert (point.period, point.numerator, point.denominator) == ("2026-01", 12.5, 1000)


def test_header_only_file_is_an_empty_series() -> None:
    """A header with no rows is valid and empty."""
    assert parse_series_csv("period,numerator\n") == []


def test_empty_file_is_a_problem() -> None:
    """Nothing at all is reported, not silently accepted."""
    assert problems_of("") == ["The file is empty."]
    assert problems_of("\n  \n") == ["The file is empty."]


def test_missing_columns_are_reported_together() -> None:
    """Every missing required column is named."""
    assert problems_of("when,count\n1,2\n", chart="p") == [
        "Missing column: period.",
        "Missing column: numerator.",
        "Missing column: denominator.",
    ]


@pytest.mark.parametrize("chart", ["p", "u"])
def test_p_and_u_charts_need_a_denominator_column(chart: str) -> None:
    """Proportions and rates cannot be computed from counts alone."""
    assert problems_of("period,numerator\n1,2\n", chart=chart) == ["Missing column: denominator."]


def test_every_bad_row_is_reported_at_once_with_its_row_number() -> None:
    """Empty period, non-number, negative count, numerator over denominator, duplicate."""
    text = "\n".join(
        [
            "period,numerator,denominator",
            "2026-W01,3,10",  # row 2: fine
            ",3,10",  # row 3: empty period
            "2026-W03,three,10",  # row 4: not a number
            "2026-W04,-1,10",  # row 5: negative
            "2026-W05,11,10",  # row 6: numerator above denominator
            "2026-W01,2,10",  # row 7: duplicate of row 2
            "2026-W07,2,ten",  # row 8: denominator not a number
        ]
    )
    assert problems_of(text, chart="p") == [
        "Row 3: the period is empty.",
        "Row 4: numerator is not a number: three.",
        "Row 5: numerator is negative: -1.",
        "Row 6: the numerator (11) is above the denominator (10).",
        "Row 7: period 2026-W01 appears more than once (first in row 2).",
        "Row 8: denominator is not a number: ten.",
    ]


def test_numerator_above_denominator_is_fine_for_a_u_chart() -> None:
    """Rates may exceed one: 12 falls in 10 patient-days."""
    (point,) = parse_series_csv("period,numerator,denominator\n1,12,10\n", chart="u")
    assert point.numerator == 12


@pytest.mark.parametrize("cell", ["nan", "inf", "1e999", "--3"])
def test_non_finite_numbers_are_rejected(cell: str) -> None:
    """Only finite numbers are counts."""
    assert problems_of(f"period,numerator\n1,{cell}\n") == [
        f"Row 2: numerator is not a number: {cell}."
    ]


def test_blank_lines_are_skipped_but_rows_keep_their_file_numbers() -> None:
    """Row numbers are the file's line numbers, blank lines included."""
    assert problems_of("period,numerator\n\n1,x\n") == ["Row 3: numerator is not a number: x."]


def test_error_message_joins_the_problems() -> None:
    """str() of the error lists every problem."""
    error = SeriesFileError(["a", "b"])
    assert str(error) == "a; b"
    assert error.problems == ["a", "b"]


def test_problems_can_be_asked_for_in_norwegian() -> None:
    """The language is passed through; the row and the bad cell are always named."""
    with pytest.raises(SeriesFileError) as caught:
        parse_series_csv("period,numerator\n1,x\n", language="nb")
    (problem,) = caught.value.problems
    assert "2" in problem and "x" in problem


@pytest.mark.parametrize("cell", ["1e308", "1.7976931348623157e308", "2e15", "1000000000000001"])
def test_numbers_above_ten_to_the_fifteenth_are_refused_with_their_row(cell: str) -> None:
    """Counts beyond what a float holds exactly (sums of them could overflow) are refused."""
    assert problems_of(f"period,numerator\n1,4\n2,{cell}\n") == [
        f"Row 3: numerator is too large: {cell} (at most 10^15)."
    ]


def test_ten_to_the_fifteenth_itself_is_accepted() -> None:
    """The largest accepted count is 10^15."""
    (point,) = parse_series_csv("period,numerator,denominator\n1,1000000000000000,1e15\n")
    assert (point.numerator, point.denominator) == (1e15, 1e15)


def test_a_cell_longer_than_the_csv_field_limit_is_a_problem_not_a_traceback() -> None:
    """A cell over 131,072 characters names its row; the rows before it are still checked."""
    text = "period,numerator\n1,x\n2,3\n3," + "9" * 131_073 + "\n4,5\n"
    assert problems_of(text) == [
        "Row 2: numerator is not a number: x.",
        "Row 4: a cell is longer than 131072 characters.",
    ]


def test_a_long_bad_cell_is_quoted_cut_short() -> None:
    """A problem line stays readable: at most 40 characters of the bad cell are quoted."""
    (problem,) = problems_of("period,numerator\n1," + "x" * 100_000 + "\n")
    assert problem == "Row 2: numerator is not a number: " + "x" * 39 + "…."


def test_nan_and_inf_periods_sort_as_text() -> None:
    """Periods that only float() reads as numbers (nan, inf) make the periods text."""
    points = parse_series_csv("period,numerator\n2,1\nnan,2\n10,3\ninf,4\n1,5\n")
    assert [point.period for point in points] == ["1", "10", "2", "inf", "nan"]


def test_rows_come_back_with_their_row_numbers() -> None:
    """parse_series_rows gives each point (in period order) its row in the file."""
    points, rows = parse_series_rows("period,numerator\n\n2026-W02,1\n2026-W01,2\n")
    assert [point.period for point in points] == ["2026-W01", "2026-W02"]
    assert rows == [4, 3]


def test_a_record_the_csv_reader_refuses_is_a_problem_with_its_row() -> None:
    """A carriage return inside an unquoted field is named, not raised as csv.Error."""
    (problem,) = problems_of("period,numerator\n1,2\n2,3\r4,5\n")
    assert problem.startswith("Row 3: cannot be read as CSV: new-line character seen")


def test_control_characters_in_a_bad_cell_are_shown_as_replacement_marks() -> None:
    """A NUL byte in a cell does not reach the terminal."""
    assert problems_of("period,numerator\n1,2\x00\n") == [
        "Row 2: numerator is not a number: 2\ufffd."
    ]
