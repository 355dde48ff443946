"""The ``hph chart`` command: a run or SPC chart from a CSV file, as text, JSON or SVG.

Registered in ``app/cli.py`` with ``app.command("chart")(chart)``. Bad input (a missing or
unreadable file, a CSV with problems, bad point numbers or options, numbers too large to
compute with) prints an error and exits with code 2, never a traceback; a CSV's problems
are listed one per line under the error. The JSON is written one point per line as it is
made (a million points are some 150 MB) and never holds NaN or Infinity.
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table

from app.charts.analysis import ChartOverflowError, compute_chart
from app.charts.models import SPC_CHARTS, ChartResult
from app.charts.numbers import format_number
from app.charts.rulesets import rule_set_name
from app.charts.series_csv import SeriesFileError, parse_series_rows
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
    """Return the command's JSON document: exactly the agreed point and phase fields.

    With the ``mdc`` rules each point also carries ``rules``: the names of the rules it takes
    part in, from ``beyond_limits``, ``shift``, ``trend`` and ``two_of_three`` (empty list
    when none).
    """
    return {
        "chart": result.chart,
        "points": list(_point_objects(result)),
        "parts": list(_part_objects(result)),
    }


def _point_objects(result: ChartResult) -> Iterator[dict[str, Any]]:
    """Yield the JSON object of every point."""
    if result.rules == "mdc":
        return (
            {**point, "rules": list(rules)}
            for point, rules in zip(
                _plain_points(result), (p.rules for p in result.points), strict=True
            )
        )
    return _plain_points(result)


def _plain_points(result: ChartResult) -> Iterator[dict[str, Any]]:
    """Yield the agreed fields of every point."""
    return (
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
    )


def _part_objects(result: ChartResult) -> Iterator[dict[str, Any]]:
    """Yield the JSON object of every phase."""
    return (
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
    )


def json_lines(result: ChartResult) -> Iterator[str]:
    """Yield ``chart_json`` as JSON text, one point or phase per line (strict: no NaN)."""
    dump = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode  # one encoder for all
    yield f'{{\n  "chart": {dump(result.chart)},\n  "points": '
    yield from _json_array(map(dump, _point_objects(result)))
    yield ',\n  "parts": '
    yield from _json_array(map(dump, _part_objects(result)))
    yield "\n}\n"


def _json_array(items: Iterator[str]) -> Iterator[str]:
    """Yield a JSON array of encoded items, one item per line."""
    separator = "["
    for item in items:
        yield f"{separator}\n    {item}"
        separator = ","
    yield "[]" if separator == "[" else "\n  ]"


def _write_json(result: ChartResult) -> None:
    """Print the JSON document in batches of lines rather than as one huge string."""
    batch: list[str] = []
    for line in json_lines(result):
        batch.append(line)
        if len(batch) >= 10_000:
            typer.echo("".join(batch), nl=False)
            batch.clear()
    typer.echo("".join(batch), nl=False)


def _number_text(value: float | None, language: str) -> str:
    """Format a centre line for the summary table, as the language writes numbers."""
    if value is None:
        return "–"
    return format_number(value, language, decimals=0 if abs(value) >= 1000 else 4)


def _print_summary(result: ChartResult, language: str) -> None:
    """Print a table of the phases and the findings."""
    console = Console()
    yes_no = {True: gettext_in(language, "yes"), False: gettext_in(language, "no"), None: "–"}
    spc = result.chart in SPC_CHARTS
    table = Table(
        title=f"{chart_name(result.chart, language)} · {rule_set_name(result.rules, language)}"
    )
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
            _number_text(part.centre, language),
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


def _without_cyclic_gc(command: Callable[..., None]) -> Callable[..., None]:
    """Run a command with the cyclic garbage collector paused (nothing it makes has cycles).

    A million points are millions of objects that all live to the end; the collector's
    repeated full scans of them cost a quarter of the command's time and free nothing.
    """

    @wraps(command)
    def paused(*args: Any, **kwargs: Any) -> None:
        """Call the command with the collector off, then restore it."""
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            command(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return paused


@_without_cyclic_gc
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
    rules: Annotated[
        Literal["anhoej", "ihi", "mdc"],
        typer.Option(
            help="Rule set: anhoej (default), ihi, or mdc (Making Data Count, i/p/u/c charts "
            "only): a point beyond 3 sigma; 7 in a row on one side of the centre line (a point "
            "on the line breaks the run); 7 in a row rising or falling (a tie breaks the "
            "trend); 2 of 3 in a row beyond 2 sigma on one side (points beyond 3 sigma count). "
            "With --json each point lists its rules."
        ),
    ] = "anhoej",
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
    if rules == "mdc" and chart not in SPC_CHARTS:
        refusal = gettext_in(
            lang, "--rules mdc is for i, p, u and c charts, not for a {chart} chart."
        ).format(chart=chart)
        typer.echo(gettext_in(lang, "Error: {message}").format(message=refusal), err=True)
        raise typer.Exit(BAD_INPUT)
    try:
        points, rows = parse_series_rows(_read_text(csv_file, lang), chart=chart, language=lang)
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
        if not math.isfinite(multiply):
            message = gettext_in(lang, "--multiply must be a finite number: {value}")
            raise _BadInput(message.format(value=multiply))
        if multiply <= 0:
            raise _BadInput(gettext_in(lang, "--multiply must be above zero."))
        if goal is not None and not math.isfinite(goal):
            message = gettext_in(lang, "--goal must be a finite number: {value}")
            raise _BadInput(message.format(value=goal))
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
    try:
        result = compute_chart(
            points,
            chart=chart,
            rules=rules,
            freeze=freeze,
            part_ends=ends,
            exclude=excluded,
            multiply=multiply,
        )
    except ChartOverflowError as error:
        message = gettext_in(
            lang, "Row {row} (period {period}): the numbers are too large to compute a chart."
        ).format(row=rows[error.point - 1], period=points[error.point - 1].period)
        typer.echo(gettext_in(lang, "Error: {message}").format(message=message), err=True)
        raise typer.Exit(BAD_INPUT) from error
    if json_output:
        _write_json(result)
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
