"""Checklists: the catalogue of definitions and variants, and the rules for answers."""

from app.checklists.answer_rules import (
    NOT_RELEVANT,
    AnswerError,
    missing_required,
    progress,
    set_answer,
    validate_answer,
    validate_answers,
    visible_items,
)
from app.checklists.catalogue import (
    Catalogue,
    CatalogueError,
    ChecklistDefinition,
    ChecklistItem,
    VariantOverlay,
    apply_variant,
    due_window_for,
    load_catalogue,
)

__all__ = [
    "NOT_RELEVANT",
    "AnswerError",
    "Catalogue",
    "CatalogueError",
    "ChecklistDefinition",
    "ChecklistItem",
    "VariantOverlay",
    "apply_variant",
    "due_window_for",
    "load_catalogue",
    "missing_required",
    "progress",
    "set_answer",
    "validate_answer",
    "validate_answers",
    "visible_items",
]
