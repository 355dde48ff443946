"""The items a measure counts beyond single checklists, derived from one pathway's facts.

Pure functions: no database. ``item_store`` loads the facts and keeps the stored items current.
Each item carries its local due date, the team responsible then, and the moments that decide it
(see ``MeasureItem``), so a chart for any ``now`` is a plain count of stored rows:

- readmission: each active discharge, followed for some days; met when an active admission
  falls within them, decided when they have passed;
- "what matters": each pathway, met by the first answered conversation within some days of
  its start, decided at the end of the due day;
- re-rating: each live PSFS goal, met by the first re-rating within some days of its baseline;
- PSFS change: each day a pathway's goals were re-rated, valued at the mean change against
  their baselines, counted once the last of its ratings was entered;
- bundle: each anchor checklist, met when enough lists of its event were done on time.

A pathway that ended before an item fell due leaves that item out, unless it was met.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.checklists.models import InstanceStatus
from app.goals.models import GoalStatus
from app.measures.catalogue import (
    BundleCount,
    GoalReratingCount,
    MeasureDefinition,
    PsfsChangeCount,
    ReadmissionCount,
    WhatMattersCount,
)
from app.pathways.models import EventKind, EventStatus

TICK = timedelta(microseconds=1)
LEFT_OUT = (InstanceStatus.not_applicable.value, InstanceStatus.cancelled.value)
LIVE_GOALS = (GoalStatus.active.value, GoalStatus.achieved.value)


@dataclass(frozen=True)
class Responsibility:
    """A team responsible for a pathway from a moment (until another, if it ended)."""

    team_id: int
    from_at: datetime
    until_at: datetime | None


@dataclass(frozen=True)
class EventFact:
    """An admission or discharge."""

    id: int
    kind: str
    status: str
    occurred_at: datetime
    occurred_on: date


@dataclass(frozen=True)
class ConversationFact:
    """A "what matters" conversation: when held, whether answered, when entered."""

    held_on: date
    could_not_answer: bool
    created_at: datetime


@dataclass(frozen=True)
class RatingFact:
    """One PSFS rating of a goal."""

    rated_on: date
    rating: int
    scale_direction: str
    is_baseline: bool
    created_at: datetime

    @property
    def better(self) -> int:
        """The rating on the 'higher is better' scale, whichever way it was taken."""
        return 10 - self.rating if self.scale_direction == "lower_is_better" else self.rating


@dataclass(frozen=True)
class GoalFact:
    """A PSFS goal and its ratings."""

    id: int
    status: str
    ratings: tuple[RatingFact, ...]

    @property
    def baseline(self) -> RatingFact | None:
        """The earliest baseline rating, if any."""
        baselines = [r for r in self.ratings if r.is_baseline]
        return min(baselines, key=lambda r: (r.rated_on, r.created_at)) if baselines else None


@dataclass(frozen=True)
class InstanceFact:
    """A checklist instance of a list some bundle measure counts."""

    id: int
    event_id: int | None
    definition_id: str
    status: str
    event_cancelled: bool
    team_id: int
    due_date: date
    window_start: datetime
    window_end: datetime
    performed_at: datetime | None
    recorded_at: datetime | None


@dataclass
class PathwayFacts:
    """Everything the stored measures need to know of one pathway."""

    pathway_id: int
    patient_team_id: int
    started_on: date
    ended_on: date | None
    teams: list[Responsibility] = field(default_factory=list)
    events: list[EventFact] = field(default_factory=list)
    conversations: list[ConversationFact] = field(default_factory=list)
    goals: list[GoalFact] = field(default_factory=list)
    instances: list[InstanceFact] = field(default_factory=list)


@dataclass(frozen=True)
class Item:
    """A stored measure item (the columns of ``MeasureItem``)."""

    measure_id: str
    pathway_id: int
    subject_id: int
    team_id: int
    due_date: date
    closes_at: datetime
    opened_at: datetime | None = None
    met_at: datetime | None = None
    counted_from: datetime | None = None
    value: float | None = None


class Clock:
    """Local calendar arithmetic in the configured zone."""

    def __init__(self, zone: ZoneInfo) -> None:
        """Keep the zone."""
        self.zone = zone

    def plus_days(self, moment: datetime, days: int) -> datetime:
        """A moment plus local calendar days (same wall-clock time), in UTC."""
        wall = moment.astimezone(self.zone).replace(tzinfo=None) + timedelta(days=days)
        return wall.replace(tzinfo=self.zone).astimezone(UTC)

    def day_starts(self, day: date) -> datetime:
        """The first moment of a local day, in UTC."""
        return datetime.combine(day, time(), tzinfo=self.zone).astimezone(UTC)

    def day_ends(self, day: date) -> datetime:
        """The last moment of a local day, in UTC."""
        return self.day_starts(day + timedelta(days=1)) - TICK

    def local_day(self, moment: datetime) -> date:
        """The local date of a moment."""
        return moment.astimezone(self.zone).date()


def team_at(facts: PathwayFacts, moment: datetime) -> int:
    """The team responsible at a moment: the responsibility running then (the latest, should
    two overlap), else the patient's."""
    running = [
        r
        for r in facts.teams
        if r.from_at <= moment and (r.until_at is None or r.until_at > moment)
    ]
    return max(running, key=lambda r: r.from_at).team_id if running else facts.patient_team_id


def team_on(facts: PathwayFacts, day: date, clock: Clock) -> int:
    """The team responsible on a local day (its responsibility began by then and ended after;
    the latest, should two overlap), else the patient's."""
    running = [
        r
        for r in facts.teams
        if clock.local_day(r.from_at) <= day
        and (r.until_at is None or clock.local_day(r.until_at) > day)
    ]
    return max(running, key=lambda r: r.from_at).team_id if running else facts.patient_team_id


def _ended_before(facts: PathwayFacts, due: date) -> bool:
    """Whether the pathway ended before a day."""
    return facts.ended_on is not None and facts.ended_on < due


def readmission_items(
    measure_id: str, rule: ReadmissionCount, facts: PathwayFacts, clock: Clock
) -> list[Item]:
    """Each active discharge, followed for the rule's days."""
    active = [e for e in facts.events if e.status == EventStatus.active.value]
    admissions = [e.occurred_at for e in active if e.kind == EventKind.hospital_admission.value]
    items = []
    for discharge in (e for e in active if e.kind == EventKind.hospital_discharge.value):
        until = clock.plus_days(discharge.occurred_at, rule.follow_days)
        readmitted = any(discharge.occurred_at < moment <= until for moment in admissions)
        due = discharge.occurred_on + timedelta(days=rule.follow_days)
        if not readmitted and _ended_before(facts, due):
            continue  # the pathway ended before the follow-up did: counted nowhere
        items.append(
            Item(
                measure_id=measure_id,
                pathway_id=facts.pathway_id,
                subject_id=discharge.id,
                team_id=team_at(facts, until),
                due_date=due,
                opened_at=discharge.occurred_at,
                closes_at=until,
                met_at=until + TICK if readmitted else None,
            )
        )
    return items


def _dated_item(
    measure_id: str,
    facts: PathwayFacts,
    clock: Clock,
    *,
    subject_id: int,
    due: date,
    met_at: datetime | None,
) -> list[Item]:
    """An item due at the end of a local day (left out if the pathway ended first, unmet)."""
    ended = _ended_before(facts, due)
    if ended and met_at is None:
        return []
    return [
        Item(
            measure_id=measure_id,
            pathway_id=facts.pathway_id,
            subject_id=subject_id,
            team_id=team_on(facts, due, clock),
            due_date=due,
            closes_at=clock.day_ends(due),
            met_at=met_at,
            counted_from=met_at if ended else None,
        )
    ]


def what_matters_items(
    measure_id: str, rule: WhatMattersCount, facts: PathwayFacts, clock: Clock
) -> list[Item]:
    """The pathway's "what matters" conversation, due some days after its start."""
    due = facts.started_on + timedelta(days=rule.within_days)
    held = [
        talk.created_at
        for talk in facts.conversations
        if not talk.could_not_answer and facts.started_on <= talk.held_on <= due
    ]
    met_at = min(held) if held else None
    return _dated_item(
        measure_id, facts, clock, subject_id=facts.pathway_id, due=due, met_at=met_at
    )


def rerating_items(
    measure_id: str, rule: GoalReratingCount, facts: PathwayFacts, clock: Clock
) -> list[Item]:
    """Each live goal with a baseline, due for re-rating some days after it."""
    items = []
    for goal in facts.goals:
        baseline = goal.baseline
        if goal.status not in LIVE_GOALS or baseline is None:
            continue
        due = baseline.rated_on + timedelta(days=rule.due_days)
        again = [
            r.created_at
            for r in goal.ratings
            if not r.is_baseline and baseline.rated_on < r.rated_on <= due
        ]
        met_at = min(again) if again else None
        items += _dated_item(measure_id, facts, clock, subject_id=goal.id, due=due, met_at=met_at)
    return items


def psfs_items(
    measure_id: str, rule: PsfsChangeCount, facts: PathwayFacts, clock: Clock
) -> list[Item]:
    """Each day goals were re-rated: the mean change against their baselines."""
    del rule  # the value is the mean change; the measure decides what counts as improved
    rounds: dict[date, list[RatingFact]] = {}
    changes: dict[date, list[int]] = {}
    for goal in facts.goals:
        baseline = goal.baseline
        if baseline is None:
            continue
        for rating in goal.ratings:
            if not rating.is_baseline and rating.rated_on > baseline.rated_on:
                rounds.setdefault(rating.rated_on, []).append(rating)
                changes.setdefault(rating.rated_on, []).append(rating.better - baseline.better)
    items = []
    for day, ratings in sorted(rounds.items()):
        known = max(max(r.created_at for r in ratings), clock.day_starts(day))
        items.append(
            Item(
                measure_id=measure_id,
                pathway_id=facts.pathway_id,
                subject_id=facts.pathway_id,
                team_id=team_on(facts, day, clock),
                due_date=day,
                closes_at=known,
                met_at=known,
                counted_from=known,
                value=sum(changes[day]) / len(changes[day]),
            )
        )
    return items


def bundle_items(
    measure_id: str, rule: BundleCount, facts: PathwayFacts, clock: Clock
) -> list[Item]:
    """Each anchor list: met once its window closed and enough of its event's lists were on time."""
    del clock  # anchors carry their stored due date and team
    entered: dict[int, list[datetime]] = {}
    for member in facts.instances:
        moment = member.recorded_at or member.performed_at
        if (
            member.event_id is not None
            and member.definition_id in rule.checklists
            and member.status == InstanceStatus.completed.value
            and member.performed_at is not None
            and member.performed_at <= member.window_end
            and moment is not None
        ):
            entered.setdefault(member.event_id, []).append(moment)
    items = []
    for anchor in facts.instances:
        if (
            anchor.definition_id != rule.anchor
            or anchor.status in LEFT_OUT
            or anchor.event_cancelled
        ):
            continue
        on_time = sorted(entered.get(anchor.event_id, [])) if anchor.event_id is not None else []
        met_at = None
        if len(on_time) >= rule.required:
            met_at = max(anchor.window_end + TICK, on_time[rule.required - 1])
        items.append(
            Item(
                measure_id=measure_id,
                pathway_id=facts.pathway_id,
                subject_id=anchor.id,
                team_id=anchor.team_id,
                due_date=anchor.due_date,
                opened_at=anchor.window_start,
                closes_at=anchor.window_end,
                met_at=met_at,
            )
        )
    return items


Deriver = Callable[[str, object, PathwayFacts, Clock], list[Item]]
DERIVERS: dict[type, Deriver] = {
    ReadmissionCount: readmission_items,  # type: ignore[dict-item]
    WhatMattersCount: what_matters_items,  # type: ignore[dict-item]
    GoalReratingCount: rerating_items,  # type: ignore[dict-item]
    PsfsChangeCount: psfs_items,  # type: ignore[dict-item]
    BundleCount: bundle_items,  # type: ignore[dict-item]
}


def is_stored(measure: MeasureDefinition) -> bool:
    """Whether a measure counts stored items (rather than checklist instances directly)."""
    return type(measure.count) in DERIVERS


def derive_items(
    measures: Sequence[MeasureDefinition], facts: PathwayFacts, clock: Clock
) -> list[Item]:
    """Every stored item of some measures for one pathway."""
    items: list[Item] = []
    for measure in measures:
        items += DERIVERS[type(measure.count)](measure.id, measure.count, facts, clock)
    return items
