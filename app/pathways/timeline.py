"""A pathway's story in time order: events and checklists, for the patient page and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.checklists.models import ChecklistInstance
from app.pathways.models import PathwayEvent


def pathway_instances(session: Session, *, pathway_id: int) -> list[ChecklistInstance]:
    """Every checklist instance of a pathway, by due window."""
    return list(
        session.exec(
            select(ChecklistInstance)
            .where(ChecklistInstance.pathway_id == pathway_id)
            .order_by(col(ChecklistInstance.window_end), col(ChecklistInstance.id))
        ).all()
    )


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline: an event, or a checklist at the end of its window."""

    at: datetime
    event: PathwayEvent | None = None
    instance: ChecklistInstance | None = None


def timeline(events: list[PathwayEvent], instances: list[ChecklistInstance]) -> list[TimelineEntry]:
    """Merge events and checklists into one list, newest first."""
    entries = [TimelineEntry(at=e.occurred_at, event=e) for e in events]
    entries += [TimelineEntry(at=i.window_end, instance=i) for i in instances]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)
