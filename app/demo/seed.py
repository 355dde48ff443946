"""Seeding the demo: 18 months of pathways, events, checklists and goals, in bulk.

Everything is drawn from one ``random.Random(seed)`` in a fixed order, and every timestamp is
derived from the anchor date, so the same seed and anchor give the same database.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, func, select

from app.checklists.adoptions import BEGINNING, named_adoptions
from app.checklists.loader import Catalogue
from app.checklists.models import ChecklistInstance, InstanceStatus, VariantAdoption
from app.core.config import get_settings
from app.demo.follow_ups import seed_follow_ups
from app.demo.network import DemoTeam, SeededNetwork, seed_network
from app.goals.models import Goal, GoalRating, WhatMattersConversation
from app.measures.item_store import rebuild
from app.measures.models import Annotation
from app.measures.stored_counts import rebuild_counts
from app.org.models import Organisation, User
from app.pathways.models import (
    EventKind,
    Pathway,
    PathwayEvent,
    PathwayTeam,
    Patient,
    search_key,
)
from app.pathways.scheduling import plan_for_event

BASE_PATIENTS = 1500
HISTORY_DAYS = 548  # 18 months
CHUNK = 5000
BATCH_INSTANCES = 100_000
PROGRESS_EVERY = 100
INITIALS = "ABEGHIKLMNOPRSTV"
ACTIVITIES = (
    "Gå til postkassen",
    "Handle selv på butikken",
    "Lage middag",
    "Dusje uten hjelp",
    "Gå tur med hunden",
    "Gå i trappen til andre etasje",
    "Stelle i hagen",
    "Gå i kirken",
    "Besøke barnebarna",
    "Kjøre bil til byen",
    "Strikke",
    "Lese avisen",
    "Gå på seniorsenteret",
    "Komme meg ut på verandaen",
    "Spille kort med venner",
    "Ta bussen alene",
)
WHAT_MATTERS = (
    "Å komme hjem til katten min",
    "Å klare meg selv hjemme så lenge som mulig",
    "Å få være med på 17. mai",
    "At kona mi slipper å gjøre alt",
    "Å kunne gå tur hver dag",
    "Å ikke bli lagt inn igjen",
    "Å få snakke med folk",
    "Å kunne lage min egen mat",
)
DEFINITION_ADJUSTMENT = {"hph-3": -0.15, "innleggelse": -0.08, "ernaering": -0.10, "hph-1": 0.05}
ProgressCallback = Callable[[str, int], None]


@dataclass
class SeedReport:
    """What the seed wrote and how long it took."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class DatabaseNotEmpty(RuntimeError):
    """The demo seeds only an empty database."""


@dataclass
class _Rows:
    """Rows waiting for bulk insertion, with explicit ids that keep counting across batches."""

    patients: list[dict[str, Any]] = field(default_factory=list)
    pathways: list[dict[str, Any]] = field(default_factory=list)
    pathway_teams: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    instances: list[dict[str, Any]] = field(default_factory=list)
    conversations: list[dict[str, Any]] = field(default_factory=list)
    goals: list[dict[str, Any]] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    issued: dict[int, int] = field(default_factory=dict)

    def next_id(self, table: list[dict[str, Any]]) -> int:
        """The next id of a table (ids are never reused after a batch is written)."""
        key = id(table)
        self.issued[key] = self.issued.get(key, 0) + 1
        return self.issued[key]

    def batches(self) -> list[tuple[type[SQLModel], list[dict[str, Any]]]]:
        """The waiting rows per table, parents before children."""
        return [
            (Patient, self.patients),
            (Pathway, self.pathways),
            (PathwayTeam, self.pathway_teams),
            (PathwayEvent, self.events),
            (ChecklistInstance, self.instances),
            (WhatMattersConversation, self.conversations),
            (Goal, self.goals),
            (GoalRating, self.ratings),
        ]


def database_is_empty(engine: Engine) -> bool:
    """Whether the database holds no users yet."""
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(User)).one() == 0


class _Generator:
    """Draws one patient's pathway, events and checklist work at a time."""

    def __init__(
        self, catalogue: Catalogue, rng: random.Random, now: datetime, nurse_id: int | None
    ) -> None:
        self.catalogue = catalogue
        self.rng = rng
        self.now = now
        self.start = now - timedelta(days=HISTORY_DAYS)
        self.zone = get_settings().zone
        self.nurse_id = nurse_id
        self.rows = _Rows()

    def on_time_rate(self, team: DemoTeam, moment: datetime, definition_id: str) -> float:
        """The chance a checklist is done in its window, lifted after the team's change."""
        rate = team.base_rate + DEFINITION_ADJUSTMENT.get(definition_id, 0.0)
        if team.change_day is not None and moment >= self.start + timedelta(days=team.change_day):
            rate += 0.32
        return min(0.95, max(0.05, rate))

    def local(self, day: date, hour: float) -> datetime:
        """A local wall-clock moment on a day, in UTC."""
        naive = datetime(day.year, day.month, day.day) + timedelta(hours=hour)
        return naive.replace(tzinfo=self.zone).astimezone(UTC)

    def add_patient(self, team_id: int, team: DemoTeam, adopted: dict[str, str]) -> None:
        """Draw one patient with one pathway and everything that happened on it."""
        rng, rows = self.rng, self.rows
        patient_id = rows.next_id(rows.patients)
        birth_year = rng.randint(1925, 1955)
        label = f"{rng.choice(INITIALS)}.{rng.choice(INITIALS)}. {birth_year}"
        start_day = (
            (self.start + timedelta(days=rng.randint(0, HISTORY_DAYS - 3)))
            .astimezone(self.zone)
            .date()
        )
        started_at = self.local(start_day, rng.uniform(9, 16))
        rows.patients.append(
            dict(
                id=patient_id,
                team_id=team_id,
                label=label,
                label_key=search_key(label) or "",
                birth_year=birth_year,
                local_reference=f"J{patient_id:07d}",
                reference_key=search_key(f"J{patient_id:07d}"),
                created_at=started_at,
                updated_at=started_at,
            )
        )
        ends = rng.random() < 0.22
        end_at = started_at + timedelta(days=rng.randint(30, 400)) if ends else None
        if end_at is not None and end_at >= self.now:
            end_at = None
        pathway_id = rows.next_id(rows.pathways)
        rows.pathways.append(
            dict(
                id=pathway_id,
                patient_id=patient_id,
                status="closed" if end_at else "open",
                started_on=start_day,
                ended_on=end_at.astimezone(self.zone).date() if end_at else None,
                version=1,
                created_at=started_at,
                updated_at=end_at or started_at,
            )
        )
        rows.pathway_teams.append(
            dict(
                id=rows.next_id(rows.pathway_teams),
                pathway_id=pathway_id,
                team_id=team_id,
                from_at=started_at,
                until_at=end_at,
                created_at=started_at,
                updated_at=started_at,
            )
        )
        events = self.draw_events(started_at, end_at)
        series_started: set[str] = set()
        for kind, occurred_at, cancelled in events:
            event_id = rows.next_id(rows.events)
            rows.events.append(
                dict(
                    id=event_id,
                    pathway_id=pathway_id,
                    kind=kind,
                    status="cancelled" if cancelled else "active",
                    occurred_at=occurred_at,
                    occurred_on=occurred_at.astimezone(self.zone).date(),
                    team_id=team_id,
                    recorded_by_id=self.nurse_id,
                    note=None,
                    cancel_reason="Registrert ved en feil" if cancelled else None,
                    version=2 if cancelled else 1,
                    created_at=occurred_at,
                    updated_at=occurred_at,
                )
            )
            planned = plan_for_event(
                self.catalogue,
                event_kind=kind,
                event_time=occurred_at,
                horizon=self.now + timedelta(days=30),
                series_started=frozenset(series_started),
                pathway_end=end_at,
                zone=self.zone,
                adopted=adopted,
            )
            for plan in planned:
                self.add_instance(pathway_id, event_id, team_id, team, plan, cancelled, end_at)
                series_started.add(plan.definition_id)
        self.add_goals(pathway_id, started_at, end_at, team)

    def draw_events(
        self, started_at: datetime, end_at: datetime | None
    ) -> list[tuple[str, datetime, bool]]:
        """The pathway's events in time order: start, readmissions, end."""
        rng = self.rng
        events: list[tuple[str, datetime, bool]] = []
        if rng.random() < 0.65:
            admitted = started_at - timedelta(days=rng.randint(2, 12), hours=rng.uniform(0, 12))
            events.append((EventKind.hospital_admission.value, admitted, False))
            events.append((EventKind.hospital_discharge.value, started_at, False))
        else:
            events.append((EventKind.homecare_start.value, started_at, False))
        moment = started_at
        last = end_at or self.now
        while True:
            moment += timedelta(days=rng.randint(20, 120))
            if moment >= last:
                break
            if rng.random() < 0.3:
                cancelled = rng.random() < 0.03
                events.append((EventKind.hospital_admission.value, moment, cancelled))
                if cancelled:
                    continue
                discharged = moment + timedelta(days=rng.randint(2, 10), hours=rng.uniform(0, 6))
                if discharged >= last:
                    break
                events.append((EventKind.hospital_discharge.value, discharged, False))
                moment = discharged
        if end_at is not None:
            events.append((EventKind.pathway_end.value, end_at, False))
        return events

    def add_instance(
        self,
        pathway_id: int,
        event_id: int,
        team_id: int,
        team: DemoTeam,
        plan: Any,
        cancelled: bool,
        end_at: datetime | None,
    ) -> None:
        """Decide what became of one scheduled checklist, as a nurse's week would have it."""
        rng, now = self.rng, self.now
        status, performed_at, reason = InstanceStatus.due.value, None, None
        start, end = plan.window_start, plan.window_end
        draw = rng.random()
        rate = self.on_time_rate(team, end, plan.definition_id)
        if end_at is not None and start >= end_at:
            status = InstanceStatus.cancelled.value
        elif end < now:
            if draw < 0.03:
                status, reason = InstanceStatus.not_applicable.value, "Pasienten ønsket det ikke"
            elif draw < 0.03 + rate:
                status = InstanceStatus.completed.value
                performed_at = start + (min(end, now) - start) * rng.uniform(0.05, 0.95)
            elif draw < 0.03 + rate + (1 - rate) * 0.4:
                late = end + timedelta(hours=rng.uniform(2, 120))
                if late < now:
                    status, performed_at = InstanceStatus.completed.value, late
        elif start <= now:
            if draw < 0.35:
                status = InstanceStatus.completed.value
                performed_at = start + (now - start) * rng.uniform(0.1, 0.9)
            elif draw < 0.55:
                status = InstanceStatus.in_progress.value
        if cancelled and status != InstanceStatus.completed.value:
            status, performed_at = InstanceStatus.cancelled.value, None
        # Ending a pathway cancels what would fall due after the end and was not done by then.
        done_by_end = performed_at is not None and end_at is not None and performed_at <= end_at
        if end_at is not None and end > end_at and not done_by_end:
            status, performed_at = InstanceStatus.cancelled.value, None
        recorded_at = None
        if performed_at is not None:
            recorded_at = min(now, performed_at + timedelta(minutes=rng.uniform(1, 600)))
        self.rows.instances.append(
            dict(
                id=self.rows.next_id(self.rows.instances),
                pathway_id=pathway_id,
                event_id=event_id,
                team_id=team_id,
                definition_id=plan.definition_id,
                definition_version=plan.definition_version,
                variant=plan.variant,
                occurrence=plan.occurrence,
                status=status,
                window_start=start,
                window_end=end,
                due_date=plan.dates.due_date,
                due_week=plan.dates.due_week,
                due_month=plan.dates.due_month,
                performed_at=performed_at,
                recorded_at=recorded_at,
                completed_by_id=self.nurse_id if performed_at else None,
                not_applicable_reason=reason,
                event_cancelled=cancelled,
                version=1,
                created_at=start,
                updated_at=recorded_at or start,
            )
        )

    def add_goals(
        self, pathway_id: int, started_at: datetime, end_at: datetime | None, team: DemoTeam
    ) -> None:
        """'What matters' conversation with PSFS goals, and re-ratings for some."""
        rng, rows = self.rng, self.rows
        held_at = started_at + timedelta(days=rng.randint(1, 21))
        if rng.random() > 0.75 or held_at >= self.now or (end_at and held_at >= end_at):
            return
        conversation_id = rows.next_id(rows.conversations)
        silent = rng.random() < 0.05
        held_on = held_at.astimezone(self.zone).date()
        rows.conversations.append(
            dict(
                id=conversation_id,
                pathway_id=pathway_id,
                checklist_instance_id=None,
                held_on=held_on,
                participants=["patient", "nurse"] + (["next_of_kin"] if rng.random() < 0.4 else []),
                patient_words=None if silent else rng.choice(WHAT_MATTERS),
                could_not_answer=silent,
                not_answered_reason="Ønsket å tenke seg om" if silent else None,
                recorded_by_id=self.nurse_id,
                version=1,
                created_at=held_at,
                updated_at=held_at,
            )
        )
        if silent:
            return
        improving = team.change_day is not None
        for position, activity in enumerate(rng.sample(ACTIVITIES, rng.choice((2, 3, 3, 4))), 1):
            goal_id = rows.next_id(rows.goals)
            baseline = rng.randint(1, 5)
            rows.goals.append(
                dict(
                    id=goal_id,
                    pathway_id=pathway_id,
                    conversation_id=conversation_id,
                    replaces_id=None,
                    position=position,
                    activity=activity,
                    status="active",
                    status_reason=None,
                    target_rating=min(10, baseline + rng.randint(2, 5)),
                    target_date=None,
                    plan=None,
                    version=1,
                    created_at=held_at,
                    updated_at=held_at,
                )
            )
            rows.ratings.append(
                dict(
                    id=rows.next_id(rows.ratings),
                    goal_id=goal_id,
                    rated_on=held_on,
                    rating=baseline,
                    scale_direction="higher_is_better",
                    is_baseline=True,
                    recorded_by_id=self.nurse_id,
                    created_at=held_at,
                    updated_at=held_at,
                )
            )
            rerated_at = held_at + timedelta(days=rng.randint(170, 200))
            if (
                rerated_at < self.now
                and (end_at is None or rerated_at < end_at)
                and rng.random() < 0.7
            ):
                change = round(rng.gauss(2.4 if improving else 1.4, 2.0))
                rows.ratings.append(
                    dict(
                        id=rows.next_id(rows.ratings),
                        goal_id=goal_id,
                        rated_on=rerated_at.astimezone(self.zone).date(),
                        rating=max(0, min(10, baseline + change)),
                        scale_direction="higher_is_better",
                        is_baseline=False,
                        recorded_by_id=self.nurse_id,
                        created_at=rerated_at,
                        updated_at=rerated_at,
                    )
                )


def _patients_per_team(network: SeededNetwork, total: int) -> list[tuple[str, int]]:
    """Split the patients over the home-care teams by their weights."""
    weighted = [(slug, spec.weight) for slug, spec in network.team_specs.items() if spec.weight > 0]
    weight_sum = sum(w for _, w in weighted)
    counts = [(slug, int(total * w / weight_sum)) for slug, w in weighted]
    short = total - sum(n for _, n in counts)
    return [(slug, n + (1 if i < short else 0)) for i, (slug, n) in enumerate(counts)]


def _table_name(model: type[SQLModel]) -> str:
    return str(model.__table__.name)  # type: ignore[attr-defined]


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for index in range(0, len(rows), CHUNK):
        yield rows[index : index + CHUNK]


def _reset_sequences(session: Session, tables: list[str]) -> None:
    """After explicit ids, move PostgreSQL's sequences past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
        )


def _patient_draws(
    catalogue: Catalogue,
    network: SeededNetwork,
    *,
    seed: int,
    scale: float,
    today: date,
    nurse_id: int | None,
) -> Iterator[_Generator]:
    """Draw the patients one at a time (pure: no database); yields after each patient."""
    rng = random.Random(seed)
    zone = get_settings().zone
    now = datetime(today.year, today.month, today.day, 12, tzinfo=zone).astimezone(UTC)
    generator = _Generator(catalogue, rng, now, nurse_id)
    adopted = named_adoptions(catalogue)
    for slug, count in _patients_per_team(network, max(1, round(BASE_PATIENTS * scale))):
        variants = adopted.get(network.team_organisations[slug], {})
        for _ in range(count):
            generator.add_patient(network.team_ids[slug], network.team_specs[slug], variants)
            yield generator


def _write_batch(session: Session, rows: _Rows, report: SeedReport) -> None:
    """Insert the waiting rows in bulk and forget them (memory stays flat at any scale)."""
    for model, table_rows in rows.batches():
        for chunk in _chunks(table_rows):
            session.execute(insert(model.__table__), chunk)  # type: ignore[attr-defined]
        name = _table_name(model)
        report.counts[name] = report.counts.get(name, 0) + len(table_rows)
        table_rows.clear()


def seed_demo(
    engine: Engine,
    catalogue: Catalogue,
    *,
    seed: int = 2026,
    scale: float = 1.0,
    today: date | None = None,
    progress: ProgressCallback | None = None,
    on_total: Callable[[int], None] | None = None,
    on_items: Callable[[int, int], None] | None = None,
) -> SeedReport:
    """Seed an empty database with the demo network and 18 months of its work."""
    started = time.perf_counter()
    if not database_is_empty(engine):
        raise DatabaseNotEmpty("the database already holds users")
    today = today or datetime.now(get_settings().zone).date()
    report = SeedReport()
    total = max(1, round(BASE_PATIENTS * scale))
    if on_total:
        on_total(total)
    with Session(engine) as session:
        network = seed_network(session)
        _seed_adoptions(session, catalogue)
        nurse = session.exec(select(User).where(User.email == network.users[0].email)).one()
        generator = None
        for drawn, generator in enumerate(
            _patient_draws(
                catalogue, network, seed=seed, scale=scale, today=today, nurse_id=nurse.id
            ),
            start=1,
        ):
            if len(generator.rows.instances) >= BATCH_INSTANCES:
                _write_batch(session, generator.rows, report)
            if progress and drawn % PROGRESS_EVERY == 0:
                progress("patient", PROGRESS_EVERY)
        if generator is not None:
            _write_batch(session, generator.rows, report)
        if progress:
            progress("patient", total % PROGRESS_EVERY)
        _reset_sequences(session, [_table_name(m) for m, _ in _Rows().batches()])
        report.counts["annotation"] = _seed_annotations(session, network, today)
        report.counts["follow_up"] = seed_follow_ups(
            session, seed=seed, today=today, user_id=nurse.id
        )
        report.counts["measure_item"] = rebuild(session, progress=on_items)
        report.counts["measure_count"] = rebuild_counts(session)
        session.commit()
    report.seconds = time.perf_counter() - started
    return report


def _seed_adoptions(session: Session, catalogue: Catalogue) -> None:
    """Each organisation a catalogue variant is named for adopts it from the beginning of time."""
    organisations = dict(session.exec(select(Organisation.slug, Organisation.id)).all())
    for slug, variants in named_adoptions(catalogue).items():
        if slug not in organisations:
            continue
        for checklist_id, variant in variants.items():
            session.add(
                VariantAdoption(
                    organisation_id=int(organisations[slug] or 0),
                    checklist_id=checklist_id,
                    variant=variant,
                    starts_on=BEGINNING,
                )
            )
    session.flush()


def _seed_annotations(session: Session, network: SeededNetwork, today: date) -> int:
    """Mark each improving team's tested change on all its measures."""
    start = today - timedelta(days=HISTORY_DAYS)
    count = 0
    for slug, spec in network.team_specs.items():
        if spec.change_day is None or spec.change_title is None:
            continue
        session.add(
            Annotation(
                team_id=network.team_ids[slug],
                measure_key=None,
                happened_on=start + timedelta(days=spec.change_day),
                title=spec.change_title,
                description="PDSA-syklus testet i teamet og innført for alle pasienter.",
                starts_phase=True,
            )
        )
        count += 1
    session.flush()
    return count
