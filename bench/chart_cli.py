"""Benchmark of ``hph chart`` on large CSV files: wall time and peak memory per run.

    .venv/bin/python bench/chart_cli.py [--rows 32000,100000,1000000] [--timeout 300]

For every size it writes a CSV (weekly-style numeric periods, a numerator and a denominator,
a level shift half-way so that the runs rules have something to find) into a temporary
directory and runs, each as its own subprocess,

- ``hph chart FILE --chart p --json`` (p chart, JSON to a file),
- ``hph chart FILE --json`` (run chart, JSON to a file),
- ``hph chart FILE --chart i --rules ihi --json`` (I chart with the IHI rules),

printing the exit code, the wall time, the CPU time (user + system, steadier than wall
time on a shared machine) and the peak resident memory of the command
(``ru_maxrss`` of its children, measured by a fresh Python process per run, so one run's
figure never includes another's); the JSON is checked to have one point per row. A run
that does not finish within ``--timeout`` seconds is stopped and reported as such. With
``--source DIR`` the command is run from another checkout's ``app`` package (e.g. an older
commit unpacked with ``git archive``), for before-and-after figures. Target: a million rows
in seconds and under 1 GB of memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HPH = ROOT / ".venv" / "bin" / "hph"

# Runs the command in a child process and reports that child's own peak memory, so that
# the figures of one run never include an earlier, larger one.
MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
with open(sys.argv[1], "wb") as out:
    try:
        done = subprocess.run(sys.argv[3:], stdout=out, stderr=subprocess.PIPE,
                              timeout=float(sys.argv[2]))
        code, error = done.returncode, done.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        code, error = "timeout", ""
elapsed = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(code, elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
print(error.strip().splitlines()[-1] if error.strip() else "")
"""


def write_csv(path: Path, rows: int, seed: int = 1) -> None:
    """Write a p-chart series: numeric periods, numerator <= denominator, a shift half-way."""
    generator = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write("period,numerator,denominator\n")
        for period in range(1, rows + 1):
            denominator = generator.randint(20, 60)
            rate = 0.8 if period <= rows // 2 else 0.85
            numerator = sum(generator.random() < rate for _ in range(denominator))
            out.write(f"{period},{numerator},{denominator}\n")


def command(source: Path | None) -> list[str]:
    """Return the command line that starts ``hph``, from this checkout or another one."""
    if source is None:
        return [str(HPH)]
    start = f"import sys; sys.path.insert(0, {str(source)!r}); from app.cli import app; app()"
    return [sys.executable, "-c", start]


def run(
    args: list[str], *, timeout: float, output: Path, source: Path | None
) -> tuple[str, float, float, float, str]:
    """Run ``hph chart``; return (exit code, wall seconds, CPU seconds, peak MB, error)."""
    measured = subprocess.run(
        [
            sys.executable,
            "-c",
            MEASURE,
            str(output),
            str(timeout),
            *command(source),
            "chart",
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    figures, _, error = measured.stdout.partition("\n")
    code, seconds, cpu, peak_kb = figures.split()
    return code, float(seconds), float(cpu), int(peak_kb) / 1024, error.strip()


def main() -> None:
    """Write the files, run the charts and print one line per run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="32000,100000,1000000", help="Comma-separated sizes.")
    parser.add_argument("--timeout", type=float, default=300.0, help="Seconds per run.")
    parser.add_argument("--source", type=Path, help="Run the app package of another checkout.")
    options = parser.parse_args()
    sizes = [int(size) for size in options.rows.split(",")]
    charts = {
        "p chart": ["--chart", "p", "--json"],
        "run chart": ["--json"],
        "I chart, IHI rules": ["--chart", "i", "--rules", "ihi", "--json"],
    }
    print(f"hph chart benchmark ({os.cpu_count()} CPUs), timeout {options.timeout:.0f} s")
    columns = ("rows", "MB csv", "chart", "exit", "seconds", "CPU s", "peak MB")
    print("{:>9}  {:>6}  {:<19} {:>7}  {:>8}  {:>8}  {:>8}".format(*columns))
    with tempfile.TemporaryDirectory(prefix="hph-chart-bench-") as folder:
        for rows in sizes:
            csv_path = Path(folder) / f"series-{rows}.csv"
            write_csv(csv_path, rows)
            size_mb = csv_path.stat().st_size / 1e6
            for name, args in charts.items():
                output = Path(folder) / "out.json"
                code, seconds, cpu, peak, error = run(
                    [str(csv_path), *args],
                    timeout=options.timeout,
                    output=output,
                    source=options.source,
                )
                if code == "0":
                    points = len(json.loads(output.read_text(encoding="utf-8"))["points"])
                    assert points == rows, (points, rows)
                print(
                    f"{rows:>9}  {size_mb:>6.1f}  {name:<19} {code:>7}  "
                    f"{seconds:>8.2f}  {cpu:>8.2f}  {peak:>8.0f}",
                    flush=True,
                )
                if error:
                    print(f"           {error}", flush=True)
                output.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
