"""Local variants: overlays that hide, add or reword items of one version of a checklist.

A variant file (``variants/<variant>.yaml``) names its ``organisation``, the ``base`` checklist
and ``base_version`` it varies, and optionally a new ``title``, items to ``hide``, items to
``add`` (each placed ``after`` an item, default last) and ``help`` texts by item id.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from app.checklists.catalogue import (
    ChecklistDefinition,
    ChecklistId,
    ChecklistItem,
    LocalisedText,
    Problems,
    Slug,
    _Strict,
)


class AddedItem(ChecklistItem):
    """An item a local variant adds; ``after`` places it after another item (default: last)."""

    after: Slug | None = None

    @field_validator("core")
    @classmethod
    def _not_core(cls, value: bool) -> bool:
        """Keep variant items out of regional comparisons."""
        if value:
            raise ValueError("items added by a variant cannot be core")
        return value


class VariantOverlay(_Strict):
    """An organisation's local variant of one version of a checklist."""

    variant: ChecklistId
    organisation: ChecklistId
    base: ChecklistId
    base_version: Annotated[int, Field(ge=1)]
    title: LocalisedText | None = None
    hide: list[Slug] = []
    add: list[AddedItem] = []
    help: dict[str, LocalisedText] = {}


class VariantError(ValueError):
    """A variant that does not fit its base checklist; ``problems`` holds (location, message)."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        super().__init__("; ".join(message for _, message in problems))


def apply_variant(definition: ChecklistDefinition, overlay: VariantOverlay) -> ChecklistDefinition:
    """Return the definition with the overlay's hidden, added and reworded items applied."""
    if (overlay.base, overlay.base_version) != (definition.id, definition.version):
        raise VariantError([(("base",), f"variant '{overlay.variant}' is for '{overlay.base}' "
                             f"version {overlay.base_version}, not '{definition.id}' "
                             f"version {definition.version}")])  # fmt: skip
    problems = _overlay_problems(definition, overlay)
    if problems:
        raise VariantError(problems)
    anchored: dict[str | None, list[AddedItem]] = {}
    for added in overlay.add:
        anchored.setdefault(added.after, []).append(added)

    def placed(item: ChecklistItem) -> list[ChecklistItem]:
        """Return an item followed by the added items anchored after it."""
        if item.id in overlay.help:
            item = item.model_copy(update={"help": overlay.help[item.id]})
        after = [placed(_plain_item(added)) for added in anchored.get(item.id, [])]
        return [item] + [entry for group in after for entry in group]

    items = [e for item in definition.items if item.id not in overlay.hide for e in placed(item)]
    items += [e for added in anchored.get(None, []) for e in placed(_plain_item(added))]
    context: dict[str, Problems] = {"problems": []}
    fields = {name: getattr(definition, name) for name in ChecklistDefinition.model_fields}
    fields |= {
        "items": items,
        "variant": overlay.variant,
        "title": overlay.title or definition.title,
    }
    result = ChecklistDefinition.model_validate(fields, context=context)
    added_at = {added.id: index for index, added in enumerate(overlay.add)}
    mapped: Problems = []
    for loc, message in context["problems"]:
        item_id = items[loc[1]].id if len(loc) > 1 and isinstance(loc[1], int) else None
        mapped.append(
            (("add", added_at[item_id], *loc[2:]) if item_id in added_at else (), message)
        )
    if mapped:
        raise VariantError(mapped)
    return result


def _plain_item(added: AddedItem) -> ChecklistItem:
    """Return an added item as an ordinary checklist item."""
    return ChecklistItem(**{name: getattr(added, name) for name in ChecklistItem.model_fields})


def _overlay_problems(definition: ChecklistDefinition, overlay: VariantOverlay) -> Problems:
    """List hide, add and help entries that do not fit the base definition."""
    problems: Problems = []
    by_id = {item.id: item for item in definition.items}
    for index, item_id in enumerate(overlay.hide):
        item = by_id.get(item_id)
        dependants = [i.id for i in definition.items if i.show_if and i.show_if.item == item_id]
        dependants = [d for d in dependants if d not in overlay.hide]
        if item is None:
            reason = f"cannot hide unknown item '{item_id}'"
        elif item.core or item.required:
            reason = f"cannot hide {'core' if item.core else 'required'} item '{item_id}'"
        elif dependants:
            reason = f"cannot hide item '{item_id}': item '{dependants[0]}' depends on it"
        else:
            continue
        problems.append((("hide", index), reason))
    placeable = {item_id for item_id in by_id if item_id not in overlay.hide}
    for index, added in enumerate(overlay.add):
        if added.id in by_id:
            clash = f"added item '{added.id}' clashes with an item of '{definition.id}'"
            problems.append((("add", index, "id"), clash))
        elif added.id in placeable:
            problems.append((("add", index, "id"), f"item '{added.id}' is added twice"))
        if added.after is not None and added.after not in placeable:
            missing = f"added item '{added.id}': 'after' refers to unknown item '{added.after}'"
            problems.append((("add", index, "after"), missing))
        placeable.add(added.id)
    for item_id in overlay.help:
        if item_id not in by_id or item_id in overlay.hide:
            problems.append((("help", item_id), f"help text for unknown item '{item_id}'"))
    return problems
