"""The ``hph checklists`` commands: validate and list the checklist catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from app.checklists.catalogue import ChecklistDefinition
from app.checklists.loader import Catalogue, CatalogueError, load_catalogue
from app.core.config import Settings
from app.core.i18n import _, current_language, gettext_in, ngettext, normalise_language
from app.risks.rules import load_risk_rules

checklists_app = typer.Typer(
    help="Validate and list the checklist catalogue.", no_args_is_help=True
)


def default_catalogue_dir() -> Path:
    """Return the catalogue folder: HPH_CHECKLISTS_DIR (environment or .env), else checklists/."""
    # Fresh settings rather than the cached ones, so the command sees the environment it runs in.
    return Settings().checklists_dir


FolderOption = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        file_okay=False,
        help="Catalogue folder (default: $HPH_CHECKLISTS_DIR, else checklists/ in the repository).",
    ),
]


@checklists_app.command("validate")
def validate(folder: FolderOption = None) -> None:
    """Validate every checklist, archived version, variant and risk rule; exit 1 listing each
    problem."""
    folder = folder or default_catalogue_dir()
    try:
        catalogue = load_catalogue(folder)
        rules = load_risk_rules(folder / "risks", catalogue)
    except CatalogueError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        count = len(exc.problems)
        message = ngettext("{count} problem.", "{count} problems.", count).format(count=count)
        typer.echo(message, err=True)
        raise typer.Exit(1) from None
    definitions = catalogue.all()
    summary = _(
        "OK: checklists {checklists}, versions {versions}, items {items}, variants {variants}"
        " ({folder})"
    ).format(
        checklists=len(definitions),
        versions=sum(len(catalogue.versions(d.id)) for d in definitions),
        items=sum(len(d.items) for d in definitions),
        variants=len(catalogue.variants()),
        folder=folder,
    )
    typer.echo(summary)
    typer.echo(_("Risk rules: {count}").format(count=len(rules.all())))


@checklists_app.command("list")
def list_checklists(
    folder: FolderOption = None,
    language: Annotated[
        str | None, typer.Option("--lang", help="Language of the titles: nb or en.")
    ] = None,
) -> None:
    """Show the catalogue as a table: one row per current checklist."""
    lang = normalise_language(language) if language else current_language()
    try:
        catalogue = load_catalogue(folder or default_catalogue_dir())
    except CatalogueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    table = Table(title=gettext_in(lang, "Checklist catalogue"))
    for header in ("Id", "Version", "Title", "Trigger", "Window", "Items", "Core", "Variants"):
        table.add_column(gettext_in(lang, header))
    for definition in catalogue.all():
        table.add_row(
            definition.id,
            str(definition.version),
            definition.title.get(lang),
            ", ".join(definition.trigger),
            window_summary(definition),
            str(len(definition.items)),
            str(len(definition.core_items)),
            _variant_summary(catalogue, definition),
        )
    Console().print(table)


def window_summary(definition: ChecklistDefinition) -> str:
    """Describe a due window (and repeat rule) briefly, e.g. ``0d–3d (end of day); every 182d``."""
    window = definition.due_window
    start = f"{window.starts}{' (start of day)' if window.start_of_day else ''}"
    end = f"{window.ends}{' (end of day)' if window.end_of_day else ''}"
    text = f"{start} – {end}"
    if definition.repeat:
        text += f"; every {definition.repeat.every}, first after {definition.repeat.first_after}"
    return text


def _variant_summary(catalogue: Catalogue, definition: ChecklistDefinition) -> str:
    """List a checklist's variants, marking those made for an older version."""
    return ", ".join(
        overlay.variant
        + ("" if overlay.base_version == definition.version else f" (v{overlay.base_version})")
        for overlay in catalogue.variants(definition.id)
    )
