"""`hph digest send`: e-mail last week's digest to every team's improvement team (for a timer)."""

from __future__ import annotations

import smtplib
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from app.admin.mail import mail_configured
from app.core.config import SettingsError, get_settings
from app.core.db import build_engine, describe_connection_error, utcnow
from app.digest.delivery import TeamDelivery, deliver_week, week_plan
from app.digest.email import open_mail
from app.digest.service import DigestRequestError, DigestWeek, last_complete_week, parse_week

digest_app = typer.Typer(help="The weekly digest of each team.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)
FIGURES = ("signals", "off_goal", "overdue", "changes")


def fail(message: str) -> None:
    """Print one clear line and stop with exit code 1."""
    errors.print(f"[bold red]Error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def _summary_row(table: Table, delivery: TeamDelivery) -> None:
    """One team's line of the dry run: to whom, and the digest's figures."""
    digest = next(iter(delivery.digests.values()), None)
    figures = digest.figures if digest else {}
    table.add_row(
        delivery.team_name,
        ", ".join(r.email for r in delivery.due) or "-",
        str(delivery.done_before),
        *(str(figures.get(name, "-")) for name in FIGURES),
    )


@digest_app.command("send")
def send(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be sent; send and record nothing.")
    ] = False,
    week: Annotated[
        str | None,
        typer.Option(help="The week, as YYYY-Www (default: the week that ended last Sunday)."),
    ] = None,
    base_url: Annotated[
        str,
        typer.Option(envvar="HPH_BASE_URL", help="The app's address, for the links in the mail."),
    ] = "http://localhost:8000",
) -> None:
    """E-mail each team's digest of a week to its improvement team, once per person and week."""
    now = utcnow()
    try:
        chosen: DigestWeek = parse_week(week, now=now) if week else last_complete_week(now)
        url = get_settings().database_url
    except (DigestRequestError, SettingsError) as exc:
        fail(str(exc))
    if not dry_run and not mail_configured():
        fail("HPH_SMTP_URL is not set, so no e-mail can go out: set it, or use --dry-run.")
    engine = build_engine(url, long_statements=True)
    table = Table("team", "to", "had it", "signals", "off goal", "overdue", "changes")
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    sent = failed = 0
    try:
        with Session(engine, expire_on_commit=False) as session:
            plan = week_plan(session, week=chosen)
            with Progress(*columns, console=console, transient=dry_run) as progress:
                task = progress.add_task(f"Digests of {chosen.label}", total=len(plan))
                for delivery in deliver_week(
                    session, plan=plan, week=chosen, now=now, base_url=base_url,
                    connect=None if dry_run else open_mail, commit=session.commit,
                ):  # fmt: skip
                    sent, failed = sent + delivery.sent, failed + delivery.failed
                    if dry_run:
                        _summary_row(table, delivery)
                    progress.advance(task)
            session.rollback()  # a dry run leaves nothing behind; a real one committed per team
    except (OperationalError, ProgrammingError) as exc:
        fail(describe_connection_error(url, exc))
    except (OSError, smtplib.SMTPException) as exc:
        fail(f"the mail server failed after {sent} e-mails (those are recorded): {exc}")
    finally:
        engine.dispose()
    if dry_run:
        console.print(table)
        due = sum(len(d.due) for d in plan)
        console.print(f"Dry run for {chosen.label}: {due} e-mails would go; nothing was sent.")
        return
    had = sum(d.done_before for d in plan)
    console.print(f"{chosen.label}: {sent} e-mails sent, {had} had gone before, {failed} refused.")
    if failed:
        raise typer.Exit(code=1)
