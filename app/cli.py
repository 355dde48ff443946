"""The `hph` command: demo, migrate, seed, serve, chart and checklists."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError

from app.admin.commands import org_app, users_app
from app.charts.command import chart
from app.checklists.commands import checklists_app
from app.checklists.loader import CatalogueError
from app.core.config import SettingsError, get_settings
from app.core.db import build_engine, describe_connection_error
from app.digest.commands import digest_app
from app.fhir.commands import export_app
from app.fhir.ingest_cli import import_app, tokens_app

app = typer.Typer(
    help="HPH Tracker: checklists, 'what matters' goals and run charts for home care.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("chart")(chart)
app.add_typer(checklists_app, name="checklists")
app.add_typer(org_app, name="org")
app.add_typer(users_app, name="users")
app.add_typer(export_app, name="export")
app.add_typer(tokens_app, name="tokens")
app.add_typer(import_app, name="import")
app.add_typer(digest_app, name="digest")
console = Console()
errors = Console(stderr=True)


def fail(message: str) -> None:
    """Print one clear line and stop with exit code 1 (no traceback for a user's mistake)."""
    errors.print(f"[bold red]Error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def _migrate(url: str) -> None:
    from app.core import migrate

    try:
        migrate.upgrade(url)
        _build_measure_items(url)
        _build_measure_counts(url)
    except OperationalError as exc:
        fail(describe_connection_error(url, exc))


def _build_measure_items(url: str) -> None:
    """Derive the stored measure items that are missing or were derived by another definition."""
    from sqlmodel import Session

    from app.measures.item_store import ensure_current, stored_item_count

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    engine = build_engine(url, long_statements=True)
    try:
        with Session(engine) as session:
            with Progress(*columns, console=console, transient=True) as bar:
                task = bar.add_task("Measure items of every pathway", total=None)
                rebuilt = ensure_current(
                    session, lambda done, total: bar.update(task, completed=done, total=total)
                )
            stored = stored_item_count(session) if rebuilt else 0  # counting takes a scan
            session.commit()
    finally:
        engine.dispose()
    if rebuilt and stored:  # an empty database only records the definitions, silently
        console.print(f"Measure items derived for {', '.join(rebuilt)} ({stored:,} stored in all).")


def _build_measure_counts(url: str, *, everything: bool = False) -> None:
    """Count the stored measure counts that are missing or stale (all of them if asked)."""
    from sqlmodel import Session

    from app.measures.stored_counts import (
        ensure_counts_current,
        rebuild_counts,
        stored_count_rows,
    )

    engine = build_engine(url, long_statements=True)
    try:
        with Session(engine) as session:
            columns = (
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=console, transient=True) as bar:
                task = bar.add_task("Counting every measure per team and period", total=None)

                def _progress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                if everything:
                    rebuild_counts(session, progress=_progress)
                    rebuilt = ["every measure"]
                else:
                    rebuilt = ensure_counts_current(session, _progress)
            stored = stored_count_rows(session) if rebuilt else 0
            session.commit()
    except OperationalError as exc:
        fail(describe_connection_error(url, exc))
    finally:
        engine.dispose()
    if rebuilt and stored:  # an empty database only records the definitions, silently
        console.print(f"Measure counts stored for {', '.join(rebuilt)} ({stored:,} rows in all).")


measures_app = typer.Typer(help="Stored measure items and counts.", no_args_is_help=True)
app.add_typer(measures_app, name="measures")


@measures_app.command("rebuild")
def rebuild_measures() -> None:
    """Derive every stored measure item and count every measure afresh."""
    from sqlmodel import Session

    from app.measures.item_store import rebuild

    url = _check_setup()
    engine = build_engine(url, long_statements=True)
    try:
        with Session(engine) as session:
            with Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as bar:
                task = bar.add_task("Measure items of every pathway", total=None)
                rebuild(
                    session,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
            session.commit()
    except OperationalError as exc:
        fail(describe_connection_error(url, exc))
    finally:
        engine.dispose()
    _build_measure_counts(url, everything=True)


def _check_setup() -> str:
    """Validate settings, the checklist catalogue and the database URL before doing work."""
    try:
        settings = get_settings()
        settings.resolved_secret_key()
        build_engine(settings.database_url).dispose()
        from app.checklists.in_use import catalogue_in_use
        from app.risks.rules import risk_rules_in_use

        catalogue_in_use()
        risk_rules_in_use()
    except SettingsError as exc:
        fail(str(exc))
    except CatalogueError as exc:
        fail(f"the checklist catalogue is broken:\n{exc}")
    except Exception as exc:  # pydantic's ValidationError on a bad HPH_* value
        fail(f"a setting is not valid: {str(exc).splitlines()[0]} ({exc})")
    return settings.database_url


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    url = _check_setup()
    _migrate(url)
    console.print("Database schema is up to date.")


def _seed(url: str, *, seed: int, scale: float, today: date | None) -> bool:
    """Seed the demo when the database is empty; returns whether it seeded."""
    from app.checklists.in_use import catalogue_in_use
    from app.demo.seed import database_is_empty, seed_demo

    engine = build_engine(url, long_statements=True)
    try:
        if not database_is_empty(engine):
            return False
        columns = (
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("Preparing the network", total=None)

            def _total(total: int) -> None:
                progress.update(task, description="Patients with 18 months of care", total=total)

            def _advance(_table: str, rows: int) -> None:
                progress.advance(task, rows)

            items = progress.add_task("Measure items of every pathway", total=None, visible=False)

            def _items(done: int, total: int) -> None:
                progress.update(items, completed=done, total=total, visible=True)

            report = seed_demo(
                engine,
                catalogue_in_use(),
                seed=seed,
                scale=scale,
                today=today,
                progress=_advance,
                on_total=_total,
                on_items=_items,
            )
    except (OperationalError, ProgrammingError) as exc:
        fail(describe_connection_error(url, exc))
    finally:
        engine.dispose()
    table = Table(title=f"Demo seeded in {report.seconds:.1f} s (seed {seed}, scale {scale})")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in report.counts.items():
        table.add_row(name, f"{count:,}")
    console.print(table)
    return True


def _print_users() -> None:
    from app.demo.network import DEMO_PASSWORD, DEMO_USERS

    table = Table(title=f"Demo users (password for all: {DEMO_PASSWORD})")
    for column in ("e-mail", "role", "scope"):
        table.add_column(column)
    for user in DEMO_USERS:
        table.add_row(user.email, user.role, f"{user.scope_kind} {user.scope_slug}")
    console.print(table)


@app.command()
def seed(
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same data.")
    ] = 2026,
    scale: Annotated[
        float,
        typer.Option(min=0.001, max=200, help="1 = about 1,500 patients; 70 = national size."),
    ] = 1.0,
    today: Annotated[
        str | None, typer.Option(help="Anchor date YYYY-MM-DD (default: today).")
    ] = None,
) -> None:
    """Seed the synthetic learning network into an empty database."""
    url = _check_setup()
    anchor = _parse_date(today)
    _migrate(url)
    if not _seed(url, seed=seed, scale=scale, today=anchor):
        fail("the database already holds data: point HPH_DATABASE_URL at an empty database.")
    _print_users()


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--today '{value}' is not a date: write it as YYYY-MM-DD, e.g. 2026-11-24.")
    return None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=32)] = 1,
) -> None:
    """Serve the web application with uvicorn."""
    url = _check_setup()
    from app.core.migrate import pending_revisions

    try:
        current, head = pending_revisions(url)
    except OperationalError as exc:
        fail(describe_connection_error(url, exc))
    if current != head:
        fail(
            f"the database schema is at {current or 'nothing yet'} but this version needs {head}: "
            "run `hph migrate` first."
        )
    if workers > 1:
        # The supervisor only starts and watches the workers, and each worker imports the
        # application itself: a bare uvicorn in this process's place does not hold this
        # command's imports (about 90 MB) for nothing.
        import os
        import sys

        os.execv(sys.executable, [sys.executable, *_uvicorn_command(host, port, workers)])
    import uvicorn

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # The application believes forwarded headers only from HPH_TRUSTED_PROXIES (see
        # create_app); uvicorn's own handling would trust whatever connects from 127.0.0.1.
        proxy_headers=False,
        log_level="info",
    )


def _uvicorn_command(host: str, port: int, workers: int) -> list[str]:
    """The arguments of ``python`` for uvicorn with the options ``uvicorn.run`` gets above."""
    return [
        "-m", "uvicorn", "app.main:create_app", "--factory", "--host", host, "--port", str(port),
        "--workers", str(workers), "--no-proxy-headers", "--log-level", "info",
    ]  # fmt: skip


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed for the demo data.")] = 2026,
    scale: Annotated[float, typer.Option(min=0.001, max=200)] = 1.0,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Seed only.")] = False,
) -> None:
    """Migrate, seed the demo network (once), print the demo users, and serve."""
    url = _check_setup()
    _migrate(url)
    if not _seed(url, seed=seed, scale=scale, today=None):
        console.print("The database already holds the demo; using it as it is.")
    _print_users()
    if no_serve:
        return
    console.print(f"Open http://{host}:{port} and sign in as one of the users above.")
    serve(host=host, port=port, workers=1)


def main() -> None:
    """Entry point for `python -m app.cli`."""
    app()


if __name__ == "__main__":
    main()
