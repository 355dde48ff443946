"""Text that vl-convert cannot take never reaches it, and `hph chart --title` refuses it.

vl-convert aborts the whole process (not an exception) on a C0 control character, U+FFFE or
U+FFFF, so each check runs in a subprocess: an abort fails the test instead of killing pytest.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.core.text import has_forbidden_characters

# Every character no text field accepts, lone surrogate included.
FORBIDDEN = (
    "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r")
    + "".join(chr(c) for c in range(0x7F, 0xA0))
    + "\udfff\ud800\ufffe\uffff"
)
ROOT = Path(__file__).resolve().parents[2]

RENDER_EVERYWHERE = textwrap.dedent(
    """
    import json, sys
    from app.charts import Annotation, SeriesPoint, chart_spec, compute_chart
    from app.charts.spec import render_png, render_svg

    bad = json.loads(sys.stdin.read())
    points = [
        SeriesPoint(period=f"P{i}{bad}", numerator=i % 4, denominator=5) for i in range(1, 14)
    ]
    result = compute_chart(points, chart="p")
    spec = chart_spec(
        result,
        title=f"Ny rutine{bad}",
        goal=0.5,
        annotations=[Annotation(f"P3{bad}", f"Endring{bad}"), (f"P5{bad}", f"Merknad{bad}")],
        y_title=f"Prosent{bad}",
        language="nb",
    )
    spec["layer"][0]["encoding"]["tooltip"] = [{"field": f"value{bad}", "title": bad}]
    spec["data"]["values"][0][f"extra{bad}"] = bad
    svg = render_svg(spec)
    png = render_png(spec)
    print(json.dumps({"svg": svg, "png": len(png)}))
    """
)


def _run(code: str, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run Python code in a fresh interpreter at the project root."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_renderer_survives_every_forbidden_character_in_titles_labels_and_notes() -> None:
    """A spec full of control characters and noncharacters renders to SVG and PNG."""
    done = _run(RENDER_EVERYWHERE, json.dumps(FORBIDDEN))
    assert done.returncode == 0, f"renderer died ({done.returncode}): {done.stderr[-400:]}"
    drawn = json.loads(done.stdout)
    assert drawn["png"] > 0
    assert "Ny rutine" in drawn["svg"] and "Endring" in drawn["svg"]
    assert not has_forbidden_characters(drawn["svg"])


def test_printable_spec_strips_every_string_and_key_but_keeps_line_breaks() -> None:
    """Only the forbidden characters go; numbers, booleans and tabs/line breaks stay."""
    from app.charts.spec import printable_spec

    spec = {
        "title": f"a{FORBIDDEN}b\tc\nd",
        f"k{FORBIDDEN}": [1, 2.5, True, None, (f"x{FORBIDDEN}",)],
    }
    assert printable_spec(spec) == {"title": "ab\tc\nd", "k": [1, 2.5, True, None, ["x"]]}


CHART_COMMAND = "import sys; from app.cli import app; sys.argv[0] = 'hph'; app()"


@pytest.mark.parametrize("bad", ["\x01", "\x1b[2J", "\ufffe", "\uffff", "two\nlines"])
def test_chart_command_refuses_a_title_with_control_characters(tmp_path: Path, bad: str) -> None:
    """One clear line on stderr, exit 2, and no SVG written."""
    series = tmp_path / "series.csv"
    series.write_text(
        "period,numerator\n" + "".join(f"2026-W{w:02d},{w % 5}\n" for w in range(1, 13)),
        encoding="utf-8",
    )
    svg = tmp_path / "chart.svg"
    done = _run(CHART_COMMAND, "", "chart", str(series), "--svg", str(svg), "--title", f"x{bad}")
    assert done.returncode == 2, f"exit {done.returncode}: {done.stderr[-400:]}"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "control characters" in lines[0], done.stderr
    assert not svg.exists()


def test_chart_command_still_draws_a_plain_title(tmp_path: Path) -> None:
    """A title of letters, digits and Norwegian letters is drawn as given."""
    series = tmp_path / "series.csv"
    series.write_text(
        "period,numerator\n" + "".join(f"2026-W{w:02d},{w % 5}\n" for w in range(1, 13)),
        encoding="utf-8",
    )
    svg = tmp_path / "chart.svg"
    done = _run(CHART_COMMAND, "", "chart", str(series), "--svg", str(svg), "--title", "Blåbær 2")
    assert done.returncode == 0, done.stderr
    assert "Blåbær 2" in svg.read_text(encoding="utf-8")
