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
    ChecklistDefinition,
    ChecklistItem,
    DueWindow,
    DueWindowTimes,
    Duration,
    ItemOption,
    LocalisedText,
    RepeatRule,
    ShowIf,
    definition_problems,
    due_window_for,
    item_problems,
)
from app.checklists.loader import Catalogue, CatalogueError, Problem, load_catalogue
from app.checklists.variants import AddedItem, VariantError, VariantOverlay, apply_variant

__all__ = [
    "NOT_RELEVANT",
    "AddedItem",
    "AnswerError",
    "Catalogue",
    "CatalogueError",
    "ChecklistDefinition",
    "ChecklistItem",
    "DueWindow",
    "DueWindowTimes",
    "Duration",
    "ItemOption",
    "LocalisedText",
    "Problem",
    "RepeatRule",
    "ShowIf",
    "VariantError",
    "VariantOverlay",
    "apply_variant",
    "definition_problems",
    "due_window_for",
    "item_problems",
    "load_catalogue",
    "missing_required",
    "progress",
    "set_answer",
    "validate_answer",
    "validate_answers",
    "visible_items",
]
