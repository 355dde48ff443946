"""The checklist catalogue this process uses, loaded and validated once."""

from __future__ import annotations

from functools import lru_cache

from app.checklists.loader import Catalogue, load_catalogue
from app.core.config import get_settings
from app.core.i18n import current_language


@lru_cache(maxsize=1)
def catalogue_in_use() -> Catalogue:
    """Load the catalogue from HPH_CHECKLISTS_DIR (raises CatalogueError naming file and line)."""
    return load_catalogue(get_settings().checklists_dir)


def checklist_title(definition_id: str, version: int | None = None) -> str:
    """The title of a checklist in the current language (the id when it is unknown)."""
    try:
        definition = catalogue_in_use().get(definition_id, version)
    except KeyError:
        return definition_id
    return definition.title.get(current_language())
