"""The ``hph chart`` command: a run or SPC chart from a CSV file, as text, JSON or SVG.

Registered in ``app/cli.py`` with ``app.command("chart")(chart)``. Bad input (a missing or
unreadable file, a CSV with problems, bad point numbers) prints an error and exits with
code 2; a CSV's problems are listed one per line under the error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table

from app.charts.analysis import compute_chart
from app.charts.models import SPC_CHARTS, ChartResult
from app.charts.series_csv import SeriesFileError, parse_series_csv
from app.charts.spec import chart_name, chart_spec, render_svg
from app.core.i18n import gettext_in, normalise_language
from app.core.text import has_forbidden_characters

BAD_INPUT = 2


class _BadInput(Exception):
    """Input the user has to fix; the message is already translated."""


def point_numbers(text: str, *, option: str, count: int, language: str) -> list[int]:
    """Parse comma-separated 1-based point numbers such as ``3,7`` and check their range."""
    try:
        numbers = [int(item) for item in text.replace(" ", "").split(",") if item]
    except ValueError:
        numbers = []
    if not numbers:
        raise _BadInput(
            gettext_in(
                language, "{option} must be point numbers separated by commas, e.g. 3,7: {value}"
            ).format(option=option, value=text)
        )
    for number in numbers:
        if not 1 <= number <= count:
            raise _BadInput(
                gettext_in(
                    language, "{option}: point {number} is outside the series (1 to {count})."
                ).format(option=option, number=number, count=count)
            )
    return numbers


def _read_text(path: Path, language: str) -> str:
    """Read a CSV file as UTF-8 text, turning every failure into a message."""
    if not path.is_file():
        raise _BadInput(gettext_in(language, "File not found: {path}").format(path=path))
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise _BadInput(
            gettext_in(language, "Cannot read {path}: {reason}").format(path=path, reason=error)
        ) from error


def _plain_number(value: float | None) -> float | int | None:
    """Return a count as an int when it is whole, so JSON shows 8 rather than 8.0."""
    if value is not None and float(value).is_integer():
        return int(value)
    return value


def chart_json(result: ChartResult) -> dict[str, Any]:
    """Return the command's JSON document: exactly the agreed point and phase fields."""
    return {
        "chart": result.chart,
        "points": [
            {
                "period": point.period,
                "numerator": _plain_number(point.numerator),
                "denominator": _plain_number(point.denominator),
                "value": point.value,
                "centre": point.centre,
                "lower": point.lower,
                "upper": point.upper,
                "sigma_signal": point.sigma_signal,
                "part": point.part,
            }
            for point in result.points
        ],
        "parts": [
            {
                "part": part.part,
                "n_useful": part.n_useful,
                "longest_run": part.longest_run,
                "longest_run_max": part.longest_run_max,
                "crossings": part.crossings,
                "crossings_min": part.crossings_min,
                "runs_signal": part.runs_signal,
            }
            for part in result.parts
        ],
    }


def _number_text(value: float | None) -> str:
    """Format a centre line for the summary table."""
    if value is None:
        return "–"
    if abs(value) >= 1000:
        return f"{value:.0f}"
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _print_summary(result: ChartResult, language: str) -> None:
    """Print a table of the phases and the findings."""
    console = Console()
    yes_no = {True: gettext_in(language, "yes"), False: gettext_in(language, "no"), None: "–"}
    spc = result.chart in SPC_CHARTS
    table = Table(title=chart_name(result.chart, language))
    for column in (
        gettext_in(language, "Phase"),
        gettext_in(language, "Periods"),
        gettext_in(language, "Centre line"),
        gettext_in(language, "Useful points"),
        gettext_in(language, "Longest run (max)"),
        gettext_in(language, "Crossings (min)"),
        gettext_in(language, "Runs signal"),
    ):
        table.add_column(column)
    if spc:
        table.add_column(gettext_in(language, "Outside the limits"))
    periods = {point.number: point.period for point in result.points}
    for part in result.parts:
        row = [
            str(part.part),
            f"{periods[part.first_point]} – {periods[part.last_point]}",
            _number_text(part.centre),
            str(part.n_useful),
            f"{_count(part.longest_run)} ({_count(part.longest_run_max)})",
            f"{_count(part.crossings)} ({_count(part.crossings_min)})",
            yes_no[part.runs_signal],
        ]
        if spc:
            row.append(str(part.sigma_signals))
        table.add_row(*row)
    console.print(table)
    for part in result.parts:
        if len(result.parts) > 1:
            heading = gettext_in(language, "Phase {part}").format(part=part.part)
            console.print(heading, style="bold")
        for finding in part.findings:
            marker = "[bold red]![/]" if finding.is_signal else "•"
            console.print(f" {marker} ", finding.text_in(language), highlight=False)


def _count(value: int | None) -> str:
    """Format a count that may be missing."""
    return "–" if value is None else str(value)


def chart(
    csv_file: Annotated[
        Path, typer.Argument(help="CSV with columns period, numerator[, denominator, part].")
    ],
    chart: Annotated[Literal["run", "p", "u", "c", "i"], typer.Option(help="Chart type.")] = "run",
    freeze: Annotated[
        int | None, typer.Option(min=1, help="Centre line and limits from the first N points.")
    ] = None,
    part: Annotated[
        str | None, typer.Option(help="Last point of each phase but the last, e.g. 12,24.")
    ] = None,
    exclude: Annotated[
        str | None, typer.Option(help="Points left out of the calculations, e.g. 3,7.")
    ] = None,
    rules: Annotated[Literal["anhoej", "ihi"], typer.Option(help="Run rules.")] = "anhoej",
    multiply: Annotated[float, typer.Option(help="Scale values, e.g. 100 or 1000.")] = 1.0,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    svg: Annotated[Path | None, typer.Option("--svg", help="Write the chart as SVG.")] = None,
    title: Annotated[str | None, typer.Option(help="Chart title for the SVG.")] = None,
    goal: Annotated[float | None, typer.Option(help="Goal line for the SVG.")] = None,
    language: Annotated[str, typer.Option(help="Language of the text: en or nb.")] = "en",
) -> None:
    """Compute a run or SPC chart from a CSV file and show its signals."""
    lang = normalise_language(language)
    if title is not None and has_forbidden_characters(title, multiline=False):
        refusal = gettext_in(lang, "--title cannot hold line breaks or control characters.")
        typer.echo(gettext_in(lang, "Error: {message}").format(message=refusal), err=True)
        raise typer.Exit(BAD_INPUT)
    try:
        points = parse_series_csv(_read_text(csv_file, lang), chart=chart, language=lang)
        count = len(points)
        excluded = (
            point_numbers(exclude, option="--exclude", count=count, language=lang)
            if exclude is not None
            else []
        )
        ends = (
            point_numbers(part, option="--part", count=count, language=lang)
            if part is not None
            else []
        )
        if multiply <= 0:
            raise _BadInput(gettext_in(lang, "--multiply must be above zero."))
        if freeze is not None:
            point_numbers(str(freeze), option="--freeze", count=count, language=lang)
    except SeriesFileError as error:
        typer.echo(gettext_in(lang, "Error: problems in {path}:").format(path=csv_file), err=True)
        for problem in error.problems:
            typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(BAD_INPUT) from error
    except _BadInput as error:
        typer.echo(gettext_in(lang, "Error: {message}").format(message=error), err=True)
        raise typer.Exit(BAD_INPUT) from error
    result = compute_chart(
        points,
        chart=chart,
        rules=rules,
        freeze=freeze,
        part_ends=ends,
        exclude=excluded,
        multiply=multiply,
    )
    if json_output:
        typer.echo(json.dumps(chart_json(result), ensure_ascii=False, indent=2))
    else:
        _print_summary(result, lang)
    if svg is not None:
        spec = chart_spec(result, title=title, goal=goal, language=lang)
        try:
            svg.write_text(render_svg(spec), encoding="utf-8")
        except (OSError, ImportError) as error:
            message = gettext_in(lang, "Cannot write the SVG file {path}: {reason}")
            typer.echo(message.format(path=svg, reason=error), err=True)
            raise typer.Exit(1) from error
        if not json_output:
            typer.echo(gettext_in(lang, "Chart written to {path}").format(path=svg))
