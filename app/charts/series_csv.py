"""Read a measure series from CSV text: ``period``, ``numerator``, ``denominator``, ``part``.

Every row is checked and all problems are reported together, each naming its row (the
header is row 1). Rows come back in period order: numerically when every period is a
number, otherwise as text, which orders ISO labels (2026-W05, 2026-03, 2026-03-01) in time.
Empty numerator or denominator cells are gaps. An empty ``part`` cell continues the phase
of the row before. Other columns are ignored. The delimiter may be a comma, a semicolon or
a tab; with a semicolon or a tab, a decimal comma is accepted (spreadsheet exports).
Numbers above ``LARGEST_NUMBER`` (10^15) are refused: beyond it a float no longer holds
every whole number, and sums of such values could overflow.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterator

from app.charts.models import ChartType, SeriesPoint
from app.core.i18n import current_language, gettext_in

REQUIRED_COLUMNS = ("period", "numerator")
LARGEST_NUMBER = 1e15
SHOWN_LENGTH = 40  # characters of a bad cell quoted in its problem
DENOMINATOR_CHARTS = frozenset({"p", "u"})


class SeriesFileError(ValueError):
    """A series file with problems; ``problems`` lists them all, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        """Keep the list of problems."""
        super().__init__("; ".join(problems))
        self.problems = problems


def _delimiter(header_line: str) -> str:
    """Guess the delimiter from the header line."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _number(cell: str, *, decimal_comma: bool) -> float:
    """Parse a number cell, raising ValueError for anything that is not a finite number."""
    text = cell.strip().replace(" ", "").replace("\u00a0", "")
    if decimal_comma:
        text = text.replace(",", ".")
    value = float(text)
    if not math.isfinite(value):  # nan, inf and overflowing ones such as 1e400
        raise ValueError(cell)
    return value


def _shown(cell: str) -> str:
    """Return a cell as quoted in a problem: control characters shown as �, cut short."""
    if not cell.isprintable():
        cell = "".join(char if char.isprintable() else "\ufffd" for char in cell)
    return cell if len(cell) <= SHOWN_LENGTH else cell[: SHOWN_LENGTH - 1] + "…"


def _period_key(periods: list[str]) -> Callable[[int], tuple[float, str]]:
    """Return the sort key of the period at an index: numeric when all are numbers, else text."""
    try:
        numbers = [float(period) for period in periods]
    except ValueError:
        numbers = []
    if not numbers or not all(map(math.isfinite, numbers)):  # "nan" and "inf" do not sort
        return lambda index: (0.0, periods[index])
    return lambda index: (numbers[index], periods[index])


def parse_series_csv(
    text: str, *, chart: ChartType = "run", language: str | None = None
) -> list[SeriesPoint]:
    """Parse and check CSV text into series points in period order, or raise SeriesFileError."""
    return parse_series_rows(text, chart=chart, language=language)[0]


def parse_series_rows(
    text: str, *, chart: ChartType = "run", language: str | None = None
) -> tuple[list[SeriesPoint], list[int]]:
    """Return ``parse_series_csv``'s points and, for each, its row in the file (header: 1)."""
    lang = language or current_language()

    def say(msgid: str, **fields: object) -> str:
        """Translate one problem."""
        return gettext_in(lang, msgid).format(**fields)

    text = text.removeprefix("\ufeff")
    first_line = next((line for line in io.StringIO(text) if line.strip()), None)
    if first_line is None:
        raise SeriesFileError([say("The file is empty.")])
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(first_line))
    header: list[str] | None = None
    problems: list[str] = []
    points: list[SeriesPoint] = []
    rows: list[int] = []
    first_row_of: dict[str, int] = {}
    for row_number, cells in _numbered(reader, problems=problems, say=say):
        if not "".join(cells).strip():
            continue
        if header is None:
            header = [cell.strip().lower() for cell in cells]
            missing = [name for name in REQUIRED_COLUMNS if name not in header]
            if chart in DENOMINATOR_CHARTS and "denominator" not in header:
                missing.append("denominator")
            if missing:
                raise SeriesFileError(
                    [say("Missing column: {column}.", column=name) for name in missing]
                )
            continue
        record = dict(zip(header, map(str.strip, cells), strict=False))
        point = _check_row(
            record,
            row=row_number,
            chart=chart,
            decimal_comma=reader.dialect.delimiter != ",",
            problems=problems,
            say=say,
        )
        if point is None:
            continue
        if point.period in first_row_of:
            problems.append(
                say(
                    "Row {row}: period {period} appears more than once (first in row {first}).",
                    row=row_number,
                    period=_shown(point.period),
                    first=first_row_of[point.period],
                )
            )
            continue
        first_row_of[point.period] = row_number
        points.append(point)
        rows.append(row_number)
    if problems:
        raise SeriesFileError(problems)
    del first_row_of
    order = sorted(range(len(points)), key=_period_key([point.period for point in points]))
    return [points[index] for index in order], [rows[index] for index in order]


def _numbered(
    reader: Iterator[list[str]], *, problems: list[str], say: Callable[..., str]
) -> Iterator[tuple[int, list[str]]]:
    """Yield (row number, cells); stop at a row the reader cannot read, adding its problem."""
    row = 0
    try:
        for cells in reader:
            row += 1
            yield row, cells
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            problem = say(
                "Row {row}: a cell is longer than {limit} characters.",
                row=row + 1,
                limit=csv.field_size_limit(),
            )
        else:
            problem = say("Row {row}: cannot be read as CSV: {reason}.", row=row + 1, reason=error)
        problems.append(problem)


def _check_row(
    record: dict[str, str],
    *,
    row: int,
    chart: ChartType,
    decimal_comma: bool,
    problems: list[str],
    say: Callable[..., str],
) -> SeriesPoint | None:
    """Check one data row, adding its problems to the list; return its point when usable."""
    found_before = len(problems)
    period = record.get("period", "")
    if not period:
        problems.append(say("Row {row}: the period is empty.", row=row))
    counts: dict[str, float | None] = {}
    for column in ("numerator", "denominator"):
        cell = record.get(column, "")
        counts[column] = None
        if not cell:
            continue
        try:
            number = _number(cell, decimal_comma=decimal_comma)
        except ValueError:
            problems.append(
                say(
                    "Row {row}: {column} is not a number: {value}.",
                    row=row,
                    column=column,
                    value=_shown(cell),
                )
            )
            continue
        if number < 0:
            problems.append(
                say(
                    "Row {row}: {column} is negative: {value}.",
                    row=row,
                    column=column,
                    value=_shown(cell),
                )
            )
        elif number > LARGEST_NUMBER:
            problems.append(
                say(
                    "Row {row}: {column} is too large: {value} (at most 10^15).",
                    row=row,
                    column=column,
                    value=_shown(cell),
                )
            )
        counts[column] = number
    numerator, denominator = counts["numerator"], counts["denominator"]
    if (
        chart == "p"
        and numerator is not None
        and denominator is not None
        and numerator > denominator >= 0
    ):
        problems.append(
            say(
                "Row {row}: the numerator ({numerator}) is above the denominator ({denominator}).",
                row=row,
                numerator=_shown(record["numerator"]),
                denominator=_shown(record["denominator"]),
            )
        )
    if len(problems) > found_before:
        return None
    return SeriesPoint(
        period=period,
        numerator=numerator,
        denominator=denominator,
        part=record.get("part") or None,
    )
