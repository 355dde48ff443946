"""Helpers for the measures tests: items created straight from the models, counts read back."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from app.checklists.models import ChecklistInstance
from app.core.i18n import current_language, set_language
from app.measures.aggregate import Level, count_items
from app.measures.catalogue import measures_in_use
from app.measures.periods import Window
from app.org.models import Team, User
from app.org.scope import Viewer, resolve_viewer
from app.pathways.models import Pathway, PathwayEvent, Patient
from app.pathways.scheduling import attribution_dates

OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Run each test in English, so messages are the English msgids."""
    previous = current_language()
    set_language("en")
    yield
    set_language(previous)


def local(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """A local (Oslo) wall-clock moment, as an aware datetime."""
    return datetime.combine(day, time(hour, minute), OSLO)


def end_of_day(day: date) -> datetime:
    """The last instant of a local day (how windows with end_of_day end)."""
    return datetime.combine(day + timedelta(days=1), time(0), OSLO).astimezone(UTC) - timedelta(
        microseconds=1
    )


def pathway_of(db: Session, patient: Patient) -> Pathway:
    """The (first) pathway of a patient."""
    from sqlmodel import select

    return db.exec(select(Pathway).where(Pathway.patient_id == patient.id)).first()  # type: ignore[return-value]


def make_event(
    db: Session, pathway: Pathway, kind: str, at: datetime, *, status: str = "active"
) -> PathwayEvent:
    """A pathway event."""
    patient = db.get(Patient, pathway.patient_id)
    event = PathwayEvent(
        pathway_id=int(pathway.id or 0),
        kind=kind,
        occurred_at=at,
        occurred_on=at.astimezone(ZoneInfo("Europe/Oslo")).date(),
        team_id=patient.team_id if patient else 0,
        status=status,
    )
    if status == "cancelled":
        event.cancel_reason = "recorded by mistake"
    db.add(event)
    db.flush()
    return event


def make_instance(
    db: Session,
    *,
    team: Team,
    pathway: Pathway,
    definition_id: str,
    window_end: datetime,
    window_start: datetime | None = None,
    status: str = "due",
    performed_at: datetime | None = None,
    recorded_at: datetime | None = None,
    event: PathwayEvent | None = None,
    occurrence: int = 0,
) -> ChecklistInstance:
    """A checklist instance with its attribution dates computed the way scheduling does."""
    dates = attribution_dates(window_end, OSLO)
    instance = ChecklistInstance(
        pathway_id=int(pathway.id or 0),
        event_id=event.id if event else None,
        team_id=int(team.id or 0),
        definition_id=definition_id,
        definition_version=1,
        occurrence=occurrence,
        status=status,
        window_start=window_start or window_end - timedelta(days=1),
        window_end=window_end,
        due_date=dates.due_date,
        due_week=dates.due_week,
        due_month=dates.due_month,
        performed_at=performed_at,
        recorded_at=recorded_at or performed_at,
        not_applicable_reason="not relevant" if status == "not_applicable" else None,
    )
    db.add(instance)
    db.flush()
    return instance


@dataclass(frozen=True)
class Counts:
    """Numerator, denominator and pending items of one period."""

    numerator: float
    denominator: float
    pending: int


def counts(
    db: Session,
    measure_id: str,
    *,
    team: Team,
    period: str,
    first: date,
    last: date,
    now: datetime,
) -> dict[date, Counts]:
    """Run the SQL aggregate for one team and return counts by period start."""
    window = Window(
        first_day=first,
        last_day=last,
        now=now,
        by_week=period == "week",
        by_month=period == "month",
    )
    rows = count_items(
        db,
        measures_in_use().get(measure_id),
        level=Level.team,
        window=window,
        unit_ids=[int(team.id or 0)],
        team_ids=[int(team.id or 0)],
    )
    found: dict[date, Counts] = {}
    for row in rows:
        start = row.week if period == "week" else row.month
        assert start is not None
        found[start] = Counts(row.numerator, row.denominator, row.pending)
    return found


def viewer_of(db: Session, user: User) -> Viewer:
    """The viewer a user signs in as."""
    return resolve_viewer(db, user)
