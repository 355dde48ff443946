"""The `hph chart` command through Typer's test runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from app.charts import compute_chart, parse_series_csv
from app.charts.command import chart, chart_json

app = typer.Typer()
app.command("chart")(chart)


@app.command("version")
def version() -> None:
    """A second command, so that `chart` is a subcommand as in app/cli.py."""


runner = CliRunner()

WEEKS = """period,numerator,denominator
2026-W03,7,10
2026-W01,8,10
2026-W02,9,10
2026-W04,10,12
2026-W05,9,10
2026-W06,0,0
2026-W07,8,10
2026-W08,9,11
2026-W09,10,10
2026-W10,2,10
2026-W11,9,10
2026-W12,8,9
"""


@pytest.fixture
def weeks_csv(tmp_path: Path) -> Path:
    """A weekly p series with a zero-denominator gap, written out of order."""
    path = tmp_path / "weeks.csv"
    path.write_text(WEEKS, encoding="utf-8")
    return path


def run_json(*args: str) -> dict:
    """Run the command with --json and return the parsed document."""
    result = runner.invoke(app, ["chart", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_contract_for_a_run_chart(weeks_csv: Path) -> None:
    """Exactly the agreed keys; one point per row in period order; gaps and run limits null."""
    document = run_json(str(weeks_csv))
    assert set(document) == {"chart", "points", "parts"}
    assert document["chart"] == "run"
    points = document["points"]
    assert [p["period"] for p in points] == [f"2026-W{w:02d}" for w in range(1, 13)]
    assert all(
        set(p)
        == {
            "period",
            "numerator",
            "denominator",
            "value",
            "centre",
            "lower",
            "upper",
            "sigma_signal",
            "part",
        }
        for p in points
    )
    assert points[0]["numerator"] == 8 and points[0]["denominator"] == 10
    assert points[0]["value"] == pytest.approx(0.8)
    assert points[5]["value"] is None
    assert all(p["lower"] is None and p["upper"] is None for p in points)
    (part,) = document["parts"]
    assert set(part) == {
        "part",
        "n_useful",
        "longest_run",
        "longest_run_max",
        "crossings",
        "crossings_min",
        "runs_signal",
    }
    assert part["part"] == 1 and isinstance(part["runs_signal"], bool)


def test_json_p_chart_with_exclusion_and_phases(weeks_csv: Path) -> None:
    """SPC limits appear; --exclude and --part are applied."""
    document = run_json(str(weeks_csv), "--chart", "p", "--exclude", "10", "--part", "6")
    points = document["points"]
    assert points[0]["lower"] is not None and points[0]["upper"] <= 1
    assert points[5]["lower"] is None  # the 0/0 gap has no limits
    assert [p["part"] for p in points] == [1] * 6 + [2] * 6
    assert len(document["parts"]) == 2
    assert points[9]["sigma_signal"] is True  # excluded, still shown outside the limits


def test_summary_lists_phases_and_findings(weeks_csv: Path) -> None:
    """Without --json a readable summary with the findings is printed."""
    result = runner.invoke(app, ["chart", str(weeks_csv), "--chart", "p"])
    assert result.exit_code == 0, result.output
    assert "P chart" in result.stdout
    assert "Point below the lower control limit: 2026-W10." in " ".join(result.stdout.split())


def test_summary_in_norwegian_runs(weeks_csv: Path) -> None:
    """--language nb is accepted."""
    result = runner.invoke(app, ["chart", str(weeks_csv), "--language", "nb", "--rules", "ihi"])
    assert result.exit_code == 0, result.output


def test_svg_is_written(weeks_csv: Path, tmp_path: Path) -> None:
    """--svg renders the chart with vl-convert."""
    target = tmp_path / "chart.svg"
    result = runner.invoke(
        app, ["chart", str(weeks_csv), "--chart", "p", "--svg", str(target), "--goal", "0.9"]
    )
    assert result.exit_code == 0, result.output
    assert "<svg" in target.read_text(encoding="utf-8")


def test_missing_file_exits_2_without_traceback(tmp_path: Path) -> None:
    """A missing file is one error line, exit code 2."""
    result = runner.invoke(app, ["chart", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: File not found: {tmp_path / 'nope.csv'}"
    assert "Traceback" not in result.output


def test_bad_csv_exits_2_and_lists_every_problem(tmp_path: Path) -> None:
    """Each problem of the file is listed under the error."""
    path = tmp_path / "bad.csv"
    path.write_text("period,numerator,denominator\n1,x,10\n2,11,10\n", encoding="utf-8")
    result = runner.invoke(app, ["chart", str(path), "--chart", "p"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == f"Error: problems in {path}:"
    assert lines[1:] == [
        "  - Row 2: numerator is not a number: x.",
        "  - Row 3: the numerator (11) is above the denominator (10).",
    ]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--exclude", "3,x", "--exclude must be point numbers separated by commas, e.g. 3,7: 3,x"),
        ("--exclude", "", "--exclude must be point numbers separated by commas, e.g. 3,7: "),
        ("--exclude", "13", "--exclude: point 13 is outside the series (1 to 12)."),
        ("--part", "0", "--part: point 0 is outside the series (1 to 12)."),
        ("--freeze", "40", "--freeze: point 40 is outside the series (1 to 12)."),
        ("--multiply", "0", "--multiply must be above zero."),
    ],
)
def test_bad_options_exit_2(weeks_csv: Path, option: str, value: str, message: str) -> None:
    """Bad point numbers and scales are one clear error line, exit code 2."""
    result = runner.invoke(app, ["chart", str(weeks_csv), option, value])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {message}".strip()


def test_unknown_chart_type_is_a_usage_error(weeks_csv: Path) -> None:
    """Typer rejects a chart type outside run, p, u, c, i with exit code 2."""
    result = runner.invoke(app, ["chart", str(weeks_csv), "--chart", "xbar"])
    assert result.exit_code == 2


def strict_json(text: str) -> dict:
    """Parse JSON as the standard says: NaN, Infinity and -Infinity are not JSON."""

    def refuse(token: str) -> None:
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def write(tmp_path: Path, text: str) -> Path:
    """Write a CSV file and return its path."""
    path = tmp_path / "series.csv"
    path.write_text(text, encoding="utf-8")
    return path


def assert_one_error_line(result: Result, expected: str) -> None:
    """Exit code 2, no output, no traceback and exactly the expected error line."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [expected]


def test_json_is_strict_and_equals_the_json_document(weeks_csv: Path) -> None:
    """The streamed JSON parses strictly and holds exactly chart_json's document."""
    result = runner.invoke(app, ["chart", str(weeks_csv), "--chart", "p", "--json"])
    assert result.exit_code == 0, result.output
    points = parse_series_csv(WEEKS, chart="p")
    assert strict_json(result.stdout) == chart_json(compute_chart(points, chart="p"))


def test_json_of_an_empty_series_is_valid(tmp_path: Path) -> None:
    """A header-only file gives empty lists, still valid JSON."""
    result = runner.invoke(app, ["chart", str(write(tmp_path, "period,numerator\n")), "--json"])
    assert result.exit_code == 0, result.output
    assert strict_json(result.stdout) == {"chart": "run", "points": [], "parts": []}


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_multiply_must_be_finite(weeks_csv: Path, value: str) -> None:
    """--multiply nan or inf is refused (it used to print NaN or Infinity as 'JSON')."""
    result = runner.invoke(app, ["chart", str(weeks_csv), "--json", f"--multiply={value}"])
    assert_one_error_line(result, f"Error: --multiply must be a finite number: {float(value)}")


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_goal_must_be_finite(weeks_csv: Path, value: str) -> None:
    """--goal nan or inf is refused before anything is drawn."""
    result = runner.invoke(app, ["chart", str(weeks_csv), f"--goal={value}"])
    assert_one_error_line(result, f"Error: --goal must be a finite number: {float(value)}")


@pytest.mark.parametrize("chart_type", ["run", "c", "i"])
def test_1e308_is_one_clear_line_naming_the_row(tmp_path: Path, chart_type: str) -> None:
    """Huge values are refused with their row, not a traceback or inf in the output."""
    path = write(tmp_path, "period,numerator\n1,1e308\n2,1e308\n3,5\n")
    result = runner.invoke(app, ["chart", str(path), "--chart", chart_type, "--json"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.strip().splitlines() == [
        f"Error: problems in {path}:",
        "  - Row 2: numerator is too large: 1e308 (at most 10^15).",
        "  - Row 3: numerator is too large: 1e308 (at most 10^15).",
    ]


def test_overflow_in_the_maths_names_the_row(tmp_path: Path) -> None:
    """A rate over a vanishing denominator overflows: its row and period are named."""
    path = write(tmp_path, "period,numerator,denominator\nB,3,4\nA,1e15,1e-300\nC,2,4\n")
    result = runner.invoke(app, ["chart", str(path), "--chart", "u", "--json"])
    assert_one_error_line(
        result, "Error: Row 3 (period A): the numbers are too large to compute a chart."
    )


def test_overflow_from_multiply_names_the_largest_row(tmp_path: Path) -> None:
    """Values that overflow once multiplied: the row with the largest value is named."""
    path = write(tmp_path, "period,numerator\n1,3\n2,1e15\n3,4\n")
    result = runner.invoke(app, ["chart", str(path), "--chart", "i", "--multiply", "1e300"])
    assert_one_error_line(
        result, "Error: Row 3 (period 2): the numbers are too large to compute a chart."
    )


def test_a_cell_over_the_csv_field_limit_is_one_clear_line(tmp_path: Path) -> None:
    """A 131,073-character cell gives its row, not a csv.Error traceback."""
    path = write(tmp_path, "period,numerator\n1,2\n2," + "7" * 131_073 + "\n")
    result = runner.invoke(app, ["chart", str(path)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.strip().splitlines() == [
        f"Error: problems in {path}:",
        "  - Row 3: a cell is longer than 131072 characters.",
    ]
