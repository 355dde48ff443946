"""Benchmark of the FHIR bulk export on the national demo: throughput and memory.

    HPH_BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/fhir_export.py \
        [--type QuestionnaireResponse --type Task] [--teams N] [--keep DIR]

Exports every team's resources of the types given (default: QuestionnaireResponse) with
``export_fhir``, the function behind ``hph export fhir``, into a temporary folder. Prints the
resources written, the time, resources and megabytes per second, and the process's resident
memory (``/proc/self/status``) sampled every 50,000 resources and at its peak, to show that
it stays flat however many resources pass. The export's audit entries are rolled back, so
the database is unchanged. Point it at a copy of the national demo, never at the original.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session, col, select  # noqa: E402

from app.core.db import build_engine  # noqa: E402
from app.fhir.export import EXPORT_TYPES, export_fhir  # noqa: E402
from app.org.models import Team  # noqa: E402

SAMPLE_EVERY = 50_000


def memory_mb(field: str = "VmRSS") -> float:
    """The process's resident memory (or its peak, ``VmHWM``) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    """Run the export and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--type", action="append", choices=EXPORT_TYPES, dest="types")
    parser.add_argument("--teams", type=int, default=0, help="Only the first N teams (0: all).")
    parser.add_argument("--keep", type=Path, default=None, help="Write here and keep the files.")
    args = parser.parse_args()
    url = os.environ.get("HPH_BENCH_DATABASE_URL")
    if not url:
        sys.exit("Set HPH_BENCH_DATABASE_URL to a copy of the national demo.")
    types = args.types or ["QuestionnaireResponse"]
    engine = build_engine(url, long_statements=True)
    directory = args.keep or Path(tempfile.mkdtemp(prefix="hph-fhir-export-"))
    samples: list[tuple[int, float]] = []
    done = 0

    def progress(_kind: str, n: int) -> None:
        nonlocal done
        before, done = done, done + n
        if done // SAMPLE_EVERY > before // SAMPLE_EVERY:
            samples.append((done, memory_mb()))

    with Session(engine) as session:
        teams = list(session.exec(select(Team).order_by(col(Team.id))).all())
        if args.teams:
            teams = teams[: args.teams]
        start_mb = memory_mb()
        started = time.perf_counter()
        result = export_fhir(
            session, teams=teams, directory=directory, types=types, progress=progress
        )
        took = time.perf_counter() - started
        session.rollback()  # the audit entries: the benchmark leaves the database as it was
    engine.dispose()
    size = sum((directory / f"{kind}.ndjson").stat().st_size for kind in types) / 1e6
    total = sum(result.counts.values())
    print(f"FHIR bulk export of {len(teams)} teams ({', '.join(types)}) on {engine.url.database}")
    for kind, count in result.counts.items():
        print(f"  {kind + '.ndjson':<30} {count:>12,} resources")
    print(f"  {'patients audited':<30} {result.patients:>12,}")
    print(
        f"  time {took:.1f} s: {total / took:,.0f} resources/s, {size / took:.1f} MB/s "
        f"({size:,.0f} MB written)"
    )
    print(f"  resident memory: {start_mb:.0f} MB before, peak {memory_mb('VmHWM'):.0f} MB")
    shown = samples[:: max(1, len(samples) // 10)] + samples[-1:]
    print(
        "  resident memory after n resources: "
        + ", ".join(f"{n:,}: {mb:.0f} MB" for n, mb in dict(shown).items())
    )
    if args.keep is None:
        shutil.rmtree(directory)


if __name__ == "__main__":
    main()
