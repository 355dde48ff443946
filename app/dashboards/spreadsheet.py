"""CSV files of the dashboards in two forms: the plain form for programs (comma, decimal
point, English headers; an API contract) and the spreadsheet form for people, which Excel in
the user's language opens as it is (in bokmål: semicolon, decimal comma, Norwegian headers;
UTF-8 with a byte order mark so that Excel reads æøå right)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from babel.numbers import format_decimal

from app.core.config import get_settings
from app.core.i18n import _, babel_locale, current_language
from app.dashboards.comparison import TableRow
from app.measures.chart_data import MeasureChart

BOM = "\ufeff"
Cell = str | float | bool | None


@dataclass(frozen=True)
class Column:
    """One column: its name in the plain form and its heading for people."""

    key: str
    heading: str


def _chart_columns() -> list[Column]:
    """The columns of a chart's data, headings in the current language."""
    return [
        Column("unit", _("Unit")),
        Column("period", _("Period")),
        Column("numerator", _("Numerator")),
        Column("denominator", _("Denominator")),
        Column("value", _("Value")),
        Column("centre", _("Centre line")),
        Column("lower", _("Lower limit")),
        Column("upper", _("Upper limit")),
        Column("signal", _("Signal")),
        Column("incomplete", _("Incomplete")),
        Column("suppressed", _("Suppressed")),
    ]


def chart_rows(chart: MeasureChart) -> list[list[Cell]]:
    """The data behind one chart, one row per period; suppressed counts as "<5"."""
    hidden = f"<{get_settings().suppression_threshold}"
    rows: list[list[Cell]] = []
    for p in chart.points:
        rows.append(
            [
                chart.unit_name,
                p.period,
                hidden if p.suppressed else p.numerator,
                hidden if p.suppressed and chart.measure.type != "count" else p.denominator,
                p.value,
                p.centre,
                p.lower,
                p.upper,
                bool(p.signals or p.sigma_signal),
                p.incomplete,
                p.suppressed,
            ]
        )
    return rows


def _plain_cell(value: Cell, column: str) -> str:
    """A cell of the plain form, written as it always was (counts by %g, figures to 3 places)."""
    if value is None or value is False:
        return ""
    if value is True:
        return "yes"
    if isinstance(value, float | int):
        if column in ("numerator", "denominator"):
            return f"{value:g}"
        return str(round(value, 3))
    return value


def _excel_cell(value: Cell) -> str:
    """A cell for a spreadsheet in the user's language: decimal comma in bokmål, no grouping."""
    if value is None or value is False:
        return ""
    if value is True:
        return _("yes")
    if isinstance(value, float | int):
        return format_decimal(value, format="0.###", locale=babel_locale())
    return value


def write_csv(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], *, excel: bool) -> str:
    """Write a table in the plain form, or in the spreadsheet form of the user's language."""
    out = io.StringIO()
    if excel:
        semicolon = current_language() == "nb"
        out.write(BOM)
        writer = csv.writer(out, delimiter=";" if semicolon else ",", lineterminator="\r\n")
        writer.writerow([c.heading for c in columns])
        writer.writerows([_excel_cell(cell) for cell in row] for row in rows)
    else:
        writer = csv.writer(out)
        writer.writerow([c.key for c in columns])
        writer.writerows(
            [_plain_cell(cell, c.key) for cell, c in zip(row, columns, strict=True)] for row in rows
        )
    return out.getvalue()


def chart_csv(chart: MeasureChart, *, excel: bool = False) -> str:
    """The data behind one chart as CSV (plain, or for a spreadsheet)."""
    return write_csv(_chart_columns(), chart_rows(chart), excel=excel)


def comparison_csv(rows: Sequence[TableRow], *, excel: bool = False) -> str:
    """A comparison's table as CSV: the plain form keeps its texts ("73.1 %"), the spreadsheet
    form writes numbers a spreadsheet can add up."""
    columns = [
        Column("unit", _("Unit")),
        Column("numerator", _("Numerator")),
        Column("denominator", _("Denominator")),
        Column("rate", _("Rate")),
        Column("suppressed", _("Suppressed")),
    ]
    if not excel:
        table: list[list[Cell]] = [
            [
                row.unit_name,
                row.numerator,
                row.denominator,
                row.rate,
                "yes" if row.suppressed else "",
            ]
            for row in rows
        ]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([c.key for c in columns])
        writer.writerows(table)
        return out.getvalue()
    table = [
        [
            row.unit_name,
            row.numerator if row.numerator_value is None else row.numerator_value,
            row.denominator if row.denominator_value is None else row.denominator_value,
            row.rate_value,
            row.suppressed,
        ]
        for row in rows
    ]
    return write_csv(columns, table, excel=True)
