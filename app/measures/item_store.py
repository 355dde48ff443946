"""Stored measure items, kept current: every flush that changes a pathway's facts re-derives them.

The items of ``item_rules`` depend only on stored facts, never on ``now``. They are rewritten
per pathway in the same transaction as the change (a session hook sees every ORM write: events,
transfers, conversations, goals, ratings, checklists of a bundle). They are derived in full by
the demo seed, by ``hph migrate`` when a measure's definition (its fingerprint) changed, and,
should a deployment skip that, before the first count of such a measure. So a chart for any
moment is a scan of one index.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import delete, event, func, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col

from app.checklists.models import ChecklistInstance, InstanceStatus
from app.core.config import get_settings
from app.core.db import utcnow
from app.goals.models import Goal, GoalRating, WhatMattersConversation
from app.measures.catalogue import BundleCount, MeasureDefinition, measures_in_use
from app.measures.count_hooks import (
    CountKey,
    built_fingerprints,
    checked,
    count_key,
    forget_builds,
    note_counts,
)
from app.measures.item_rules import (
    Clock,
    ConversationFact,
    EventFact,
    GoalFact,
    InstanceFact,
    PathwayFacts,
    RatingFact,
    Responsibility,
    derive_items,
    is_stored,
)
from app.measures.models import MeasureCountBuild, MeasureItem, MeasureItemBuild
from app.pathways.models import EventKind, Pathway, PathwayEvent, PathwayTeam, Patient

LOGIC_VERSION = 2  # raise when item_rules changes what it derives: every measure is rebuilt
CHUNK = 2000  # pathways per batch in a rebuild
PENDING = "hph.measure_items.pending"
ITEM_COLUMNS = ("subject_id", "due_date", "closes_at", "met_at", "counted_from", "value")
FOLLOWED_EVENTS = (EventKind.hospital_admission.value, EventKind.hospital_discharge.value)
DECIDING_STATUSES = {
    InstanceStatus.completed.value,
    InstanceStatus.not_applicable.value,
    InstanceStatus.cancelled.value,
}
BUNDLE_FIELDS = (
    "event_id",
    "definition_id",
    "event_cancelled",
    "team_id",
    "due_date",
    "window_start",
    "window_end",
    "performed_at",
    "recorded_at",
)
Where = Callable[[Any], Any]


def stored_measures(measures: Iterable[MeasureDefinition] | None = None) -> list[MeasureDefinition]:
    """The measures (of the catalogue in use, by default) that count stored items."""
    chosen = measures_in_use().all() if measures is None else measures
    return [m for m in chosen if is_stored(m)]


def fingerprint(measure: MeasureDefinition) -> str:
    """What a measure's stored items depend on: its rule, the time zone and the derivation."""
    text = f"{LOGIC_VERSION}:{get_settings().timezone}:{measure.count.model_dump_json()}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _bundle_lists(measures: Sequence[MeasureDefinition]) -> set[str]:
    """The checklists some bundle measure counts."""
    return {ref for m in measures if isinstance(m.count, BundleCount) for ref in m.count.checklists}


def load_facts(
    session: Session, where: Where, measures: Sequence[MeasureDefinition]
) -> list[PathwayFacts]:
    """The facts of the pathways whose id satisfies ``where`` (a condition on an id column)."""
    facts: dict[int, PathwayFacts] = {}
    for row in session.execute(
        sa_select(
            col(Pathway.id), col(Patient.team_id), col(Pathway.started_on), col(Pathway.ended_on)
        )
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .where(where(col(Pathway.id)))
    ):
        facts[row[0]] = PathwayFacts(row[0], row[1], row[2], row[3])
    if not facts:
        return []
    for row in session.execute(
        sa_select(col(PathwayTeam.pathway_id), col(PathwayTeam.team_id), col(PathwayTeam.from_at))
        .add_columns(col(PathwayTeam.until_at))
        .where(where(col(PathwayTeam.pathway_id)))
    ):
        facts[row[0]].teams.append(Responsibility(row[1], row[2], row[3]))
    for row in session.execute(
        sa_select(col(PathwayEvent.pathway_id), col(PathwayEvent.id), col(PathwayEvent.kind))
        .add_columns(
            col(PathwayEvent.status), col(PathwayEvent.occurred_at), col(PathwayEvent.occurred_on)
        )
        .where(where(col(PathwayEvent.pathway_id)))
    ):
        if row[2] in FOLLOWED_EVENTS:  # filtered here: SQL would pick the index on kind
            facts[row[0]].events.append(EventFact(*row[1:]))
    talk = WhatMattersConversation
    for row in session.execute(
        sa_select(
            col(talk.pathway_id),
            col(talk.held_on),
            col(talk.could_not_answer),
            col(talk.created_at),
        ).where(where(col(talk.pathway_id)))
    ):
        facts[row[0]].conversations.append(ConversationFact(*row[1:]))
    _load_goals(session, where, facts)
    lists = _bundle_lists(measures)
    if lists:
        ci = ChecklistInstance
        for row in session.execute(
            sa_select(
                col(ci.pathway_id),
                col(ci.id),
                col(ci.event_id),
                col(ci.definition_id),
                col(ci.status),
            )
            .add_columns(
                *(
                    col(getattr(ci, name))
                    for name in BUNDLE_FIELDS
                    if name not in ("event_id", "definition_id")
                )
            )
            .where(where(col(ci.pathway_id)))
        ):
            if row[3] in lists:  # filtered here: SQL would pick the measure index
                facts[row[0]].instances.append(InstanceFact(*row[1:]))
    return list(facts.values())


def _load_goals(session: Session, where: Where, facts: dict[int, PathwayFacts]) -> None:
    """The pathways' goals with their ratings."""
    ratings: dict[int, list[RatingFact]] = {}
    goals: list[tuple[int, int, str]] = []
    for row in session.execute(
        sa_select(col(Goal.pathway_id), col(Goal.id), col(Goal.status)).where(
            where(col(Goal.pathway_id))
        )
    ):
        goals.append((row[0], row[1], row[2]))
    for row in session.execute(
        sa_select(col(GoalRating.goal_id), col(GoalRating.rated_on), col(GoalRating.rating))
        .add_columns(
            col(GoalRating.scale_direction),
            col(GoalRating.is_baseline),
            col(GoalRating.created_at),
        )
        .join(Goal, col(Goal.id) == col(GoalRating.goal_id))
        .where(where(col(Goal.pathway_id)))
    ):
        ratings.setdefault(row[0], []).append(RatingFact(*row[1:]))
    for pathway_id, goal_id, status in goals:
        facts[pathway_id].goals.append(GoalFact(goal_id, status, tuple(ratings.get(goal_id, []))))


def _id_range(first: int, last: int) -> Where:
    """A condition selecting ids from first to last."""
    return lambda column: column.between(first, last)


def _write(
    session: Session, where: Where, measures: Sequence[MeasureDefinition], clock: Clock
) -> list[dict[str, Any]]:
    """Derive and insert the items of some measures for the pathways ``where`` selects."""
    rows = [
        vars(item).copy()
        for facts in load_facts(session, where, measures)
        for item in derive_items(measures, facts, clock)
    ]
    if rows:
        session.execute(insert(MeasureItem.__table__), rows)  # type: ignore[attr-defined]
    return rows


def _by_group(rows: Iterable[Any]) -> dict[CountKey, list[tuple[Any, ...]]]:
    """Items by stored-count group, each as the values that decide its count, in one order."""
    groups: dict[CountKey, list[tuple[Any, ...]]] = {}
    for row in rows:
        key = count_key(row["measure_id"], row["team_id"], row["due_date"])
        groups.setdefault(key, []).append(tuple(row[name] for name in ITEM_COLUMNS))
    return {key: sorted(items, key=lambda item: item[:2]) for key, items in groups.items()}


def refresh_pathways(session: Session, pathway_ids: Iterable[int]) -> int:
    """Re-derive the stored items of some pathways (in the caller's transaction)."""
    ids = sorted({int(i) for i in pathway_ids})
    measures = stored_measures()
    if not ids or not measures:
        return 0
    # One writer per pathway at a time: a concurrent refresh waits here, then sees this one's.
    session.execute(
        sa_select(col(Pathway.id))
        .where(col(Pathway.id).in_(ids))
        .order_by(col(Pathway.id))
        .with_for_update()
    )
    mi = MeasureItem
    before = _by_group(
        session.execute(
            sa_select(col(mi.measure_id), col(mi.team_id))
            .add_columns(*(col(getattr(mi, name)) for name in ITEM_COLUMNS))
            .where(col(mi.pathway_id).in_(ids))
        ).mappings()
    )
    # Every stored measure is derived again, so the pathways' items go (by the pathway index).
    session.execute(delete(MeasureItem).where(col(MeasureItem.pathway_id).in_(ids)))
    rows = _write(session, lambda column: column.in_(ids), measures, Clock(get_settings().zone))
    after = _by_group(rows)
    note_counts(session, (k for k in before.keys() | after.keys() if before.get(k) != after.get(k)))
    return len(rows)


def _lock_builds(session: Session) -> None:
    """Let one rebuild run at a time (SQLite transactions already take the write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa_select(func.pg_advisory_xact_lock(7_406_001)))


def rebuild(
    session: Session,
    measures: Sequence[MeasureDefinition] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Derive every stored item of some measures afresh (all stored measures by default)."""
    chosen = stored_measures(measures)
    if not chosen:
        return 0
    _lock_builds(session)
    clock = Clock(get_settings().zone)
    session.execute(
        delete(MeasureItem).where(col(MeasureItem.measure_id).in_([m.id for m in chosen]))
    )
    low, high = session.execute(sa_select(func.min(Pathway.id), func.max(Pathway.id))).one()
    written = 0
    if low is not None:
        for first in range(int(low), int(high) + 1, CHUNK):
            last = first + CHUNK - 1
            written += len(_write(session, _id_range(first, last), chosen, clock))
            if progress:  # pathway ids covered so far, of all
                progress(min(last, int(high)) - int(low) + 1, int(high) - int(low) + 1)
    for measure in chosen:
        session.merge(
            MeasureItemBuild(
                measure_id=measure.id, fingerprint=fingerprint(measure), built_at=utcnow()
            )
        )
    # Written past the session hooks: the measures' stored counts are built again before use.
    checked(session).difference_update(f"counts:{m.id}" for m in chosen)
    forget_builds(session)
    session.execute(
        delete(MeasureCountBuild).where(
            col(MeasureCountBuild.measure_id).in_([m.id for m in chosen])
        )
    )
    session.flush()
    return written


def stale_measures(session: Session) -> list[MeasureDefinition]:
    """The stored measures whose items were derived with another definition, or never."""
    rows = session.execute(
        sa_select(col(MeasureItemBuild.measure_id), col(MeasureItemBuild.fingerprint))
    ).all()
    built = {row[0]: row[1] for row in rows}
    return [m for m in stored_measures() if built.get(m.id) != fingerprint(m)]


def ensure_built(session: Session, measure: MeasureDefinition) -> None:
    """Derive a measure's items first if they are missing or stale (normally done at migrate)."""
    if not is_stored(measure) or f"items:{measure.id}" in checked(session):
        return
    if built_fingerprints(session, MeasureItemBuild).get(measure.id) != fingerprint(measure):
        _lock_builds(session)
        # Another request may have rebuilt it while this one waited for the lock.
        built = session.get(MeasureItemBuild, measure.id, populate_existing=True)
        if built is None or built.fingerprint != fingerprint(measure):
            rebuild(session, [measure])
        forget_builds(session)
    checked(session).add(f"items:{measure.id}")


def ensure_current(
    session: Session, progress: Callable[[int, int], None] | None = None
) -> list[str]:
    """Rebuild the measures whose items are stale, and forget measures no longer in use."""
    stale = stale_measures(session)
    if stale:
        _lock_builds(session)
        stale = stale_measures(session)  # another process may have rebuilt them meanwhile
        rebuild(session, stale, progress)
    in_use = [m.id for m in stored_measures()]
    session.execute(delete(MeasureItem).where(col(MeasureItem.measure_id).not_in(in_use)))
    session.execute(delete(MeasureItemBuild).where(col(MeasureItemBuild.measure_id).not_in(in_use)))
    return [m.id for m in stale]


def stored_item_count(session: Session) -> int:
    """How many measure items are stored, of every measure."""
    return int(session.execute(sa_select(func.count()).select_from(MeasureItem)).scalar_one())


# --- keeping items current on every write -------------------------------------------------


class _Pending:
    """What a flush changed, resolved to pathways once the flush has given new rows their ids."""

    def __init__(self) -> None:
        """Nothing yet."""
        self.pathway_ids: set[int] = set()
        self.objects: list[Any] = []
        self.goal_ids: set[int] = set()
        self.patient_ids: set[int] = set()


def _bundle_change(instance: ChecklistInstance, new: bool) -> bool:
    """Whether a checklist change may change a bundle item."""
    if instance.definition_id not in _bundle_lists(stored_measures()):
        return False
    if new:
        return True
    state: Any = sa_inspect(instance)
    if any(state.attrs[name].history.has_changes() for name in BUNDLE_FIELDS):
        return True
    status = state.attrs["status"].history
    return bool(DECIDING_STATUSES & {*status.added, *status.deleted})


def _note(pending: _Pending, target: Any, *, new: bool, deleted: bool) -> None:
    """Remember which pathway a changed object belongs to."""
    if isinstance(target, Pathway):
        if not deleted:
            pending.objects.append(target)
    elif isinstance(target, Patient):
        state: Any = sa_inspect(target)
        if not new and state.attrs["team_id"].history.has_changes():
            pending.patient_ids.add(int(target.id or 0))
    elif isinstance(target, GoalRating):
        pending.goal_ids.add(int(target.goal_id))
    elif isinstance(target, PathwayTeam | PathwayEvent | WhatMattersConversation | Goal) or (
        isinstance(target, ChecklistInstance) and _bundle_change(target, new)
    ):
        if deleted:
            pending.pathway_ids.add(int(target.pathway_id))
        else:
            pending.objects.append(target)


@event.listens_for(OrmSession, "before_flush")
def _before_flush(session: OrmSession, _context: Any, _instances: Any) -> None:
    """Note the pathways whose facts this flush changes."""
    pending = session.info.setdefault(PENDING, _Pending())
    for target in session.new:
        _note(pending, target, new=True, deleted=False)
    for target in session.dirty:
        if session.is_modified(target):
            _note(pending, target, new=False, deleted=False)
    for target in session.deleted:
        _note(pending, target, new=False, deleted=True)


@event.listens_for(OrmSession, "after_flush_postexec")
def _after_flush(session: OrmSession, _context: Any) -> None:
    """Re-derive the noted pathways' items, in the same transaction."""
    pending: _Pending | None = session.info.pop(PENDING, None)
    if pending is None:
        return
    ids: set[Any] = set(pending.pathway_ids)
    for target in pending.objects:
        ids.add(target.id if isinstance(target, Pathway) else target.pathway_id)
    if pending.goal_ids:
        ids.update(
            session.execute(
                sa_select(col(Goal.pathway_id)).where(col(Goal.id).in_(sorted(pending.goal_ids)))
            ).scalars()
        )
    if pending.patient_ids:
        ids.update(
            session.execute(
                sa_select(col(Pathway.id)).where(
                    col(Pathway.patient_id).in_(sorted(pending.patient_ids))
                )
            ).scalars()
        )
    if ids:
        with session.no_autoflush:
            refresh_pathways(session, ids)  # type: ignore[arg-type]
