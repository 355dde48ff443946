"""Scheduling: which checklist instances a pathway event creates, with their due windows.

The pure planning here is shared by the pathway service, the demo seed and the tests. It also
computes, in the one place that does it, the local dates a window is attributed to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.checklists.catalogue import ChecklistDefinition, due_window_for
from app.checklists.loader import Catalogue
from app.core.config import get_settings

MAX_OCCURRENCES = 1000


@dataclass(frozen=True)
class AttributionDates:
    """The local date a window ends, and the ISO week (its Monday) and month it counts in."""

    due_date: date
    due_week: date
    due_month: date


def attribution_dates(window_end: datetime, zone: ZoneInfo | None = None) -> AttributionDates:
    """Attribute a window to the local date, ISO week and calendar month in which it ends."""
    local = window_end.astimezone(zone or get_settings().zone).date()
    return AttributionDates(
        due_date=local,
        due_week=local - timedelta(days=local.weekday()),
        due_month=local.replace(day=1),
    )


@dataclass(frozen=True)
class PlannedInstance:
    """A checklist instance to create: which list, which occurrence, and its window."""

    definition_id: str
    definition_version: int
    occurrence: int
    window_start: datetime
    window_end: datetime
    dates: AttributionDates
    variant: str | None = None


def variant_for(
    catalogue: Catalogue, definition: ChecklistDefinition, adopted: Mapping[str, str | None]
) -> str | None:
    """The variant adopted for this checklist, if it is one of its current version."""
    variant = adopted.get(definition.id)
    for overlay in catalogue.variants(definition.id):
        if overlay.variant == variant and overlay.base_version == definition.version:
            return overlay.variant
    return None


def plan_definition(
    definition: ChecklistDefinition,
    *,
    event_time: datetime,
    horizon: datetime,
    pathway_end: datetime | None = None,
    zone: ZoneInfo | None = None,
    variant: str | None = None,
) -> list[PlannedInstance]:
    """Plan one checklist after its event: one instance, or a series up to the horizon."""
    planned: list[PlannedInstance] = []
    repeat = definition.repeat
    limit = 1 if repeat is None else (repeat.max_occurrences or MAX_OCCURRENCES)
    for occurrence in range(limit):
        window = due_window_for(
            definition, event_time, occurrence, zone=zone or get_settings().zone
        )
        if occurrence > 0 and window.start > horizon:
            break
        if occurrence > 0 and pathway_end is not None and window.start >= pathway_end:
            break
        planned.append(
            PlannedInstance(
                definition_id=definition.id,
                definition_version=definition.version,
                occurrence=occurrence,
                window_start=window.start,
                window_end=window.end,
                dates=attribution_dates(window.end, zone),
                variant=variant,
            )
        )
    return planned


def plan_for_event(
    catalogue: Catalogue,
    *,
    event_kind: str,
    event_time: datetime,
    horizon: datetime,
    series_started: frozenset[str] = frozenset(),
    pathway_end: datetime | None = None,
    zone: ZoneInfo | None = None,
    adopted: Mapping[str, str | None] | None = None,
) -> list[PlannedInstance]:
    """Plan every checklist a pathway event triggers, in the variants in force (``adopted``:
    checklist id → the variant the organisation has adopted today).

    ``series_started`` names the ``once_per_pathway`` repeating lists that an earlier event of
    the pathway already started; they are not planned again.
    """
    planned: list[PlannedInstance] = []
    for definition in catalogue.for_trigger(event_kind):
        repeat = definition.repeat
        if (
            repeat is not None
            and repeat.series == "once_per_pathway"
            and definition.id in series_started
        ):
            continue
        planned.extend(
            plan_definition(
                definition,
                event_time=event_time,
                horizon=horizon,
                pathway_end=pathway_end,
                zone=zone,
                variant=variant_for(catalogue, definition, adopted or {}),
            )
        )
    return planned
