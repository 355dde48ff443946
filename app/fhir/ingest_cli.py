"""The `hph tokens` and `hph import events` commands: the operator's face of hospital events in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlmodel import select

from app.admin.commands import database, fail, fields
from app.core.db import utcnow
from app.core.i18n import set_language
from app.fhir.ingest_bundle import import_bundle
from app.fhir.ingest_csv import CsvRefused, bundle_from_csv
from app.fhir.ingest_source import source_for
from app.fhir.tokens import TokenFields, create_token, list_tokens, revoke_token
from app.org.models import Organisation

tokens_app = typer.Typer(
    help="API tokens for systems that send hospital events.", no_args_is_help=True
)
import_app = typer.Typer(help="Import hospital events.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)
OrganisationOption = Annotated[str, typer.Option("--organisation", help="The organisation's slug.")]


@tokens_app.command("create")
def create(
    organisation: OrganisationOption,
    name: Annotated[str, typer.Option(help="Which system gets it, e.g. 'DIPS Arena St. Olavs'.")],
) -> None:
    """Create a token for an organisation; the last line is the token, shown only this once."""
    checked = fields(TokenFields, organisation=organisation, name=name)
    with database() as session:
        token, secret = create_token(session, actor=None, fields=checked)
    console.print(
        f"Token {token.id} ({token.name}) created; it is shown only now:", highlight=False
    )
    typer.echo(secret)


@tokens_app.command("revoke")
def revoke(
    token_id: Annotated[int, typer.Argument(help="The token's number (hph tokens list).")],
) -> None:
    """Revoke a token at once."""
    with database() as session:
        token = revoke_token(session, actor=None, token_id=token_id)
    console.print(f"Token {token.id} ({token.name}) is revoked.", highlight=False)


@tokens_app.command("list")
def list_command(
    organisation: Annotated[
        str | None, typer.Option("--organisation", help="Only this organisation.")
    ] = None,
) -> None:
    """List the tokens with their organisation, last use and state."""
    with database() as session:
        rows = list_tokens(session, actor=None, organisation=organisation)
    table = Table()
    for column in ("id", "name", "organisation", "begins with", "last used", "state"):
        table.add_column(column)
    for token, org in rows:
        used = token.last_used_at.isoformat(timespec="minutes") if token.last_used_at else "never"
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
        table.add_row(str(token.id), token.name, org.slug, f"{token.prefix}…", used, state)
    console.print(table)


def _read(file: Path) -> tuple[bytes, list[int] | None]:
    """The file as a Bundle's bytes, and for a CSV each entry's row number."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}.")
    if data.lstrip()[:1] in (b"{", b"["):
        return data, None
    try:
        return bundle_from_csv(data)
    except CsvRefused as exc:
        for problem in exc.problems:
            errors.print(problem, highlight=False, soft_wrap=True)
        count = len(exc.problems)
        fail(f"nothing was imported: {count} {'problem' if count == 1 else 'problems'} in {file}.")
    raise AssertionError  # fail() has stopped


def _where(issue: dict[str, Any], rows: list[int] | None) -> str:
    """Where a problem is: the FHIRPath, or the CSV row it came from."""
    expression = (issue.get("expression") or [""])[0]
    if rows is None or not expression.startswith("Bundle.entry["):
        return expression
    index = int(expression.split("[", 1)[1].split("]", 1)[0])
    return f"row {rows[index]}" if index < len(rows) else expression


@import_app.command("events")
def import_events(
    file: Annotated[
        Path,
        typer.Argument(help="A FHIR Bundle (JSON) or a CSV local_reference,kind,at,external_id"),
    ],
    organisation: OrganisationOption,
) -> None:
    """Import hospital admissions and discharges for an organisation, by the API's rules."""
    set_language("en")
    body, rows = _read(file)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with database() as session:
        org = session.exec(select(Organisation).where(Organisation.slug == organisation)).first()
        if org is None:
            fail(f"there is no organisation '{organisation}'.")
        assert org is not None
        source = source_for(
            session, organisation_id=int(org.id or 0), name=f"hph import events {file.name}"
        )
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("Encounters", total=None)
            status, answer = import_bundle(
                session,
                source=source,
                body=body,
                now=utcnow(),
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    _report(status, answer, rows)


def _report(status: int, answer: dict[str, Any], rows: list[int] | None) -> None:
    """Print what became of each entry; exit 1 when anything was refused."""
    if answer["resourceType"] == "OperationOutcome":
        for issue in answer["issue"]:
            errors.print(
                f"{_where(issue, rows)}: {issue['diagnostics']}", highlight=False, soft_wrap=True
            )
        fail(f"nothing was imported (HTTP {status}).")
    counts: dict[str, int] = {}
    refused = 0
    for index, entry in enumerate(answer["entry"]):
        response = entry["response"]
        counts[response["status"]] = counts.get(response["status"], 0) + 1
        issue = response["outcome"]["issue"][0]
        if issue["severity"] != "information":
            refused += issue["severity"] == "error"
            where = f"row {rows[index]}" if rows else f"entry {index}"
            errors.print(f"{where}: {issue['diagnostics']}", highlight=False, soft_wrap=True)
    console.print(json.dumps(counts, ensure_ascii=False), highlight=False)
    if refused:
        fail(
            f"{refused} {'entry was' if refused == 1 else 'entries were'} refused; "
            "the others were taken."
        )
