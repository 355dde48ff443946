"""The ``hph export fhir`` command: a team's resources as FHIR Bulk Data NDJSON files."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session, col, select

from app.core.config import get_settings
from app.core.db import build_engine, describe_connection_error
from app.fhir.export import EXPORT_TYPES, export_fhir
from app.fhir.updated import day_bounds
from app.org.models import Team

export_app = typer.Typer(help="Export data in standard formats.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


def _fail(message: str) -> None:
    errors.print(f"[bold red]Error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def _teams(session: Session, slugs: list[str], every: bool) -> list[Team]:
    """The teams named (or every team), or a clear error naming the unknown slug."""
    if every:
        return list(session.exec(select(Team).order_by(col(Team.id))).all())
    found = []
    for slug in slugs:
        team = session.exec(select(Team).where(Team.slug == slug)).first()
        if team is None:
            _fail(f"there is no team '{slug}' (see `hph org list`).")
        else:
            found.append(team)
    return found


@export_app.command("fhir")
def export_fhir_command(
    directory: Annotated[Path, typer.Argument(file_okay=False, help="Folder to write into.")],
    team: Annotated[
        list[str] | None, typer.Option("--team", help="Team slug (repeat for more teams).")
    ] = None,
    all_teams: Annotated[bool, typer.Option("--all-teams", help="Every team.")] = False,
    since: Annotated[
        str | None, typer.Option(help="Only what changed from this day (YYYY-MM-DD, Oslo).")
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option("--type", help="Resource type (repeat; default: every type)."),
    ] = None,
) -> None:
    """Write teams' patients' FHIR resources as NDJSON files plus a Bulk Data manifest."""
    if not team and not all_teams:
        _fail("name a team with --team SLUG, or give --all-teams.")
    types = kind or list(EXPORT_TYPES)
    unknown = [k for k in types if k not in EXPORT_TYPES]
    if unknown:
        _fail(f"'{unknown[0]}' cannot be exported; choose from {', '.join(EXPORT_TYPES)}.")
    start = None
    if since is not None:
        try:
            start = day_bounds(date.fromisoformat(since))[0]
        except ValueError:
            _fail("write --since as a date, like 2026-03-01.")
    url = get_settings().database_url
    engine = build_engine(url, long_statements=True)
    columns = (
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Session(engine) as session, Progress(*columns, console=console) as progress:
            chosen = _teams(session, team or [], all_teams)
            bars = {k: progress.add_task(k, total=None) for k in types}
            result = export_fhir(
                session,
                teams=chosen,
                directory=directory,
                since=start,
                types=types,
                progress=lambda k, n: progress.advance(bars[k], n),
            )
            session.commit()
    except (OperationalError, ProgrammingError) as exc:
        _fail(describe_connection_error(url, exc))
    finally:
        engine.dispose()
    table = Table(title=f"FHIR export in {directory} ({result.patients:,} patients, audited)")
    table.add_column("file")
    table.add_column("resources", justify="right")
    for name, count in result.counts.items():
        table.add_row(f"{name}.ndjson", f"{count:,}")
    console.print(table)
