"""The `hph org` and `hph users` commands: the operator's face of the admin service."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from app.admin.directory import AdminError, AdminNotFound
from app.admin.forms import (
    NetworkFields,
    OrganisationFields,
    PersonFields,
    TeamFields,
    first_error,
)
from app.admin.people import invite_person, issue_link, list_people, set_active, user_by_email
from app.admin.service import create_network, create_organisation, create_team
from app.admin.staff_csv import ImportRefused, import_staff
from app.core.config import SettingsError, get_settings
from app.core.db import build_engine, describe_connection_error
from app.core.deps import Forbidden

org_app = typer.Typer(help="Learning networks, organisations and teams.", no_args_is_help=True)
users_app = typer.Typer(help="Users, their roles and their one-time links.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


def fail(message: str) -> None:
    """Print one clear line and stop with exit code 1."""
    errors.print(f"[bold red]Error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def fields(model: type[BaseModel], **given: Any) -> Any:
    """Validate the command's arguments with the same model the pages and the API use."""
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        fail(first_error(exc))


@contextmanager
def database() -> Iterator[Session]:
    """A session on the configured database, committed when the command succeeds."""
    try:
        url = get_settings().database_url
        engine = build_engine(url)
    except SettingsError as exc:
        fail(str(exc))
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session
            session.commit()
    except ImportRefused as exc:
        for problem in exc.problems:
            errors.print(problem, highlight=False, soft_wrap=True)
        fail(str(exc).split(".")[0] + ".")
    except (AdminError, AdminNotFound, Forbidden) as exc:
        fail(str(exc))
    except (OperationalError, ProgrammingError) as exc:
        fail(describe_connection_error(url, exc))
    finally:
        engine.dispose()


@org_app.command("add-network")
def add_network(
    slug: str,
    name: Annotated[str, typer.Option(help="The network's name.")],
    region: Annotated[str, typer.Option(help="Its region, e.g. Midt-Norge.")],
) -> None:
    """Create a learning network."""
    checked = fields(NetworkFields, slug=slug, name=name, region=region)
    with database() as session:
        network = create_network(session, actor=None, fields=checked)
    console.print(f"Network {network.slug} created.", highlight=False)


@org_app.command("add-organisation")
def add_organisation(
    slug: str,
    name: Annotated[str, typer.Option()],
    network: Annotated[str, typer.Option(help="The network's slug.")],
    kind: Annotated[str, typer.Option(help="municipality or hospital.")],
    org_number: Annotated[str | None, typer.Option(help="9 digits, modulus-11 checked.")] = None,
    municipality_number: Annotated[str | None, typer.Option(help="4 digits.")] = None,
) -> None:
    """Add a municipality or hospital to a network."""
    checked = fields(
        OrganisationFields,
        slug=slug,
        name=name,
        network=network,
        kind=kind,
        org_number=org_number,
        municipality_number=municipality_number,
    )
    with database() as session:
        organisation = create_organisation(session, actor=None, fields=checked)
    console.print(f"Organisation {organisation.slug} created.", highlight=False)


@org_app.command("add-team")
def add_team(
    slug: str,
    name: Annotated[str, typer.Option()],
    organisation: Annotated[str, typer.Option(help="The organisation's slug.")],
) -> None:
    """Add a team to an organisation."""
    checked = fields(TeamFields, slug=slug, name=name, organisation=organisation)
    with database() as session:
        team = create_team(session, actor=None, fields=checked)
    console.print(f"Team {team.slug} created.", highlight=False)


@org_app.command("import")
def import_csv(file: Annotated[Path, typer.Argument(help="email,name,role,scope")]) -> None:
    """Import a staff CSV: all rows or none; prints the new users' one-time links."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}.")
    with database() as session:
        result = import_staff(session, actor=None, data=data)
    for link in result.invited:
        typer.echo(f"{link.email}\t{link.path}")
    console.print(
        f"{len(result.invited)} invited, {result.roles_added} roles added, "
        f"{result.unchanged} rows already true.",
        highlight=False,
    )


@users_app.command("add")
def add_user(
    email: str,
    name: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="nurse, team, coordinator or admin.")],
    scope: Annotated[str, typer.Option(help="team:SLUG, organisation:SLUG or network:SLUG.")],
) -> None:
    """Invite a user; the last line is their one-time link's path."""
    checked = fields(PersonFields, email=email, name=name, role=role, scope=scope)
    with database() as session:
        invited = invite_person(session, actor=None, fields=checked)
    console.print(f"{invited.user.email} invited; the link works once, for 72 hours:")
    typer.echo(invited.path)


@users_app.command("list")
def list_users(
    scope: Annotated[
        str | None, typer.Option(help="Only this team:, organisation: or network:")
    ] = None,
) -> None:
    """List users with their roles and state."""
    with database() as session:
        people = list_people(session, actor=None, scope=scope)
    table = Table()
    for column in ("e-mail", "name", "roles", "state"):
        table.add_column(column)
    for person in people:
        roles = ", ".join(f"{m.role} {ref.label}" for m, ref in person.memberships)
        state = (
            "inactive" if not person.user.is_active else ("active" if person.joined else "invited")
        )
        table.add_row(person.user.email, person.user.display_name, roles, state)
    console.print(table)


def _user_id(session: Session, email: str) -> int:
    """The id of the user with this e-mail address (or one clear line)."""
    return int(user_by_email(session, actor=None, email=email).id or 0)


@users_app.command("deactivate")
def deactivate(email: str) -> None:
    """Deactivate a leaver: sessions end, sign-in is refused, history stays."""
    with database() as session:
        set_active(session, actor=None, user_id=_user_id(session, email), active=False)
    console.print(f"{email} deactivated.", highlight=False)


@users_app.command("reactivate")
def reactivate(email: str) -> None:
    """Let a deactivated user sign in again."""
    with database() as session:
        set_active(session, actor=None, user_id=_user_id(session, email), active=True)
    console.print(f"{email} reactivated.", highlight=False)


@users_app.command("invite-link")
def invite_link(email: str) -> None:
    """A fresh one-time link (the old password and sessions end); the last line is its path."""
    with database() as session:
        path = issue_link(session, actor=None, user_id=_user_id(session, email))
    console.print(f"New link for {email}; it works once, for 72 hours:", highlight=False)
    typer.echo(path)
