"""CSV upload of a manual measure's values: checked row by row, saved only once all is clean.

The file (``period,numerator,denominator``, or in bokmål ``periode;teller;nevner``; comma,
semicolon or tab separated, a decimal comma unless comma separated, UTF-8 or Windows-1252,
with or without a byte order mark) reports every problem at once; saving a period already
entered updates it.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from datetime import date

from sqlmodel import Session

from app.core.i18n import _
from app.measures.manual import get_manual_measure, upsert_value, value_problems
from app.measures.models import ManualMeasure
from app.org.scope import Viewer

CSV_COLUMNS = ("period", "numerator", "denominator")
# the headings a spreadsheet in bokmål is likely to hold, read as the columns above
COLUMN_NAMES = {"periode": "period", "teller": "numerator", "nevner": "denominator"}
MAX_CSV_BYTES = 1_000_000


class CsvInvalid(ValueError):
    """Every problem of an uploaded CSV file, one sentence each, with row numbers (422)."""

    def __init__(self, problems: list[str]) -> None:
        """Keep every problem, in file order."""
        super().__init__("; ".join(problems))
        self.problems = problems


def _number(cell: str, *, decimal_comma: bool) -> float:
    """Read a number cell (ValueError when it is not a finite number)."""
    text = cell.strip().replace(" ", "").replace("\u00a0", "")
    if decimal_comma:
        text = text.replace(",", ".")
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(cell)
    return number


def _rows(reader: Iterator[list[str]]) -> Iterator[list[str] | None]:
    """The rows of a CSV reader; None for a row the reader refuses (a cell beyond its limit).

    The reader goes on with the next line after such a row, so every row is still reported.
    """
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield None


def parse_values_csv(
    measure: ManualMeasure, content: str
) -> list[tuple[date, float, float | None]]:
    """Check a whole CSV file of values; return (period start, numerator, denominator) rows."""
    content = content.removeprefix("\ufeff")
    lines = [line for line in content.splitlines() if line.strip()]
    if not lines:
        raise CsvInvalid([_("The file is empty.")])
    counts = {d: lines[0].count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: counts[d]) if max(counts.values()) else ","
    reader = csv.reader(io.StringIO(content), delimiter=delimiter)
    header: list[str] | None = None
    problems: list[str] = []
    rows: list[tuple[date, float, float | None]] = []
    first_row: dict[date, int] = {}
    needed = CSV_COLUMNS if measure.kind != "count" else CSV_COLUMNS[:2]
    for number, cells in enumerate(_rows(reader), start=1):
        if cells is None:
            problems.append(
                _("Row {row}: a cell is longer than {limit} characters.").format(
                    row=number, limit=csv.field_size_limit()
                )
            )
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in cells]
            header = [COLUMN_NAMES.get(name, name) for name in header]
            missing = [name for name in needed if name not in header]
            if missing:
                raise CsvInvalid([_("Missing column: {column}.").format(column=m) for m in missing])
            continue
        record = dict(zip(header, (cell.strip() for cell in cells), strict=False))
        values: dict[str, float | None] = {}
        row_problems: list[str] = []
        unreadable: set[str] = set()
        for column in ("numerator", "denominator"):
            cell = record.get(column, "")
            values[column] = None
            try:
                values[column] = _number(cell, decimal_comma=delimiter != ",") if cell else None
            except ValueError:
                unreadable.add(column)
                row_problems.append(
                    _("Row {row}: {column} is not a number: {value}.").format(
                        row=number, column=column, value=cell
                    )
                )
        period = record.get("period", "")
        found, start = value_problems(measure, period, values["numerator"], values["denominator"])
        if not period:
            found.pop("period", None)
            row_problems.append(_("Row {row}: the period is empty.").format(row=number))
        row_problems += [
            _("Row {row}: {problem}").format(row=number, problem=message)
            for field, message in found.items()
            if field not in unreadable
        ]
        if start is not None and start in first_row:
            row_problems.append(
                _(
                    "Row {row}: period {period} appears more than once (first in row {first})."
                ).format(row=number, period=period, first=first_row[start])
            )
        problems.extend(row_problems)
        if not row_problems and start is not None and values["numerator"] is not None:
            first_row[start] = number
            rows.append((start, values["numerator"], values["denominator"]))
    if problems:
        raise CsvInvalid(problems)
    if not rows:
        raise CsvInvalid([_("The file holds no values.")])
    return rows


def upload_values_csv(session: Session, *, viewer: Viewer, measure_id: int, content: bytes) -> int:
    """Save every row of a clean CSV file (updating periods already entered); return the count."""
    measure = get_manual_measure(session, viewer=viewer, measure_id=measure_id, write=True)
    if len(content) > MAX_CSV_BYTES:
        raise CsvInvalid([_("The file is too large (at most 1 MB).")])
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise CsvInvalid([_("The file is not a text (CSV) file.")]) from exc
    rows = parse_values_csv(measure, text)
    for start, numerator, denominator in rows:
        upsert_value(session, viewer, measure, start, numerator, denominator)
    return len(rows)
