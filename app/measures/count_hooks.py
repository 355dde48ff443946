"""Which stored-count groups a flush may move: noted from the ORM writes, recounted later.

A checklist instance counts for the measures that list its checklist; a risk follow-up for the
follow-up measures of its rule; an answer for the measures whose numerator reads it, while its
checklist is completed; stored measure items are noted by ``item_store`` as it rewrites them.
Both the old and the new team and due date are noted (a transfer moves an item between teams,
a corrected event between segments). Erasing a pathway or a patient removes its rows by the
database's cascades, so their groups are read before the flush.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import col

from app.checklists.models import ChecklistAnswer, ChecklistInstance, InstanceStatus
from app.measures.catalogue import ChecklistCount, FollowUpCount, measures_in_use
from app.measures.models import MeasureItem
from app.measures.periods import period_end
from app.pathways.models import Pathway, Patient
from app.risks.models import FollowUp, FollowUpStatus

# Statuses that count differently from an open item (open, in progress and missed count alike).
INSTANCE_DECIDING = {
    InstanceStatus.completed.value,
    InstanceStatus.not_applicable.value,
    InstanceStatus.cancelled.value,
}
FOLLOW_UP_DECIDING = {
    FollowUpStatus.done.value,
    FollowUpStatus.not_needed.value,
    FollowUpStatus.cancelled.value,
}
INSTANCE_FIELDS = (
    "definition_id",
    "team_id",
    "due_date",
    "window_end",
    "performed_at",
    "recorded_at",
    "event_cancelled",
)
FOLLOW_UP_FIELDS = ("rule_id", "team_id", "due_date", "window_end", "done_at", "recorded_at")
# The (measure, team, segment) groups whose stored counts a flush may have changed
# (``stored_counts`` recounts them before the transaction commits or reads counts).
PENDING_COUNTS = "hph.measure_counts.pending"
# Measures whose stored items and counts this transaction found built with their definition.
CHECKED = "hph.measures.checked"
# The build fingerprints this transaction read, by build table: read once, not per measure.
BUILT = "hph.measures.built"
CountKey = tuple[str, int, date]


def segment_of(day: date) -> date:
    """The first day of the segment holding a day: its week's Monday or its month's first."""
    return max(day - timedelta(days=day.weekday()), day.replace(day=1))


def segment_last(start: date) -> date:
    """The last day of the segment starting on ``start``."""
    return min(
        start + timedelta(days=6 - start.weekday()), period_end(start.replace(day=1), "month")
    )


def segments_between(first: date, last: date) -> list[date]:
    """The starts of every segment from the one holding ``first`` to ``last``'s."""
    starts, current = [], segment_of(first)
    while current <= last:
        starts.append(current)
        current = segment_last(current) + timedelta(days=1)
    return starts


def checked(session: OrmSession) -> set[str]:
    """What this transaction found built: ``items:<id>`` and ``counts:<id>``."""
    found: set[str] = session.info.setdefault(CHECKED, set())
    return found


def built_fingerprints(session: OrmSession, table: Any) -> dict[str, str]:
    """Every measure's fingerprint in a build table (``measure_item_build`` or
    ``measure_count_build``), read once per transaction until a build changes it."""
    found: dict[str, dict[str, str]] = session.info.setdefault(BUILT, {})
    if table.__tablename__ not in found:
        rows = session.execute(sa_select(table.measure_id, table.fingerprint)).all()
        found[table.__tablename__] = {str(row[0]): str(row[1]) for row in rows}
    return found[table.__tablename__]


def forget_builds(session: OrmSession) -> None:
    """Read the build fingerprints afresh (a build was written)."""
    session.info.pop(BUILT, None)


def note_counts(session: OrmSession, keys: Iterable[CountKey]) -> None:
    """Remember groups whose stored counts this transaction may have changed."""
    session.info.setdefault(PENDING_COUNTS, set()).update(keys)


def count_key(measure_id: str, team_id: int, due_date: date) -> CountKey:
    """The stored-count group of an item: measure, team, and segment (the days its week and
    month share) of its due date."""
    return (measure_id, int(team_id), segment_of(due_date))


def checklist_measures(definition_id: str) -> list[str]:
    """The measures that count a checklist's instances."""
    return [
        m.id
        for m in measures_in_use().all()
        if isinstance(m.count, ChecklistCount) and definition_id in m.count.checklists
    ]


def follow_up_measures(rule_id: str) -> list[str]:
    """The measures that count a risk rule's follow-ups."""
    return [
        m.id
        for m in measures_in_use().all()
        if isinstance(m.count, FollowUpCount)
        and (m.count.rules is None or rule_id in m.count.rules)
    ]


def answer_measures(definition_id: str, item_id: str) -> list[str]:
    """The measures whose numerator reads an answer to an item of a checklist."""
    return [
        m.id
        for m in measures_in_use().all()
        if isinstance(m.count, ChecklistCount)
        and m.count.answer is not None
        and m.count.answer.item == item_id
        and definition_id in m.count.checklists
    ]


def _old(state: Any, name: str) -> Any:
    """An attribute's value before this flush."""
    history = state.attrs[name].history
    if history.deleted:
        return history.deleted[0]
    return history.unchanged[0] if history.unchanged else state.attrs[name].value


def _changed(target: Any, fields: tuple[str, ...], deciding: set[str]) -> bool:
    """Whether a change to an item may change what it counts."""
    state: Any = sa_inspect(target)
    if any(state.attrs[name].history.has_changes() for name in fields):
        return True
    status = state.attrs["status"].history
    return bool(deciding & {*status.added, *status.deleted})


def _instance_keys(target: ChecklistInstance, *, new: bool) -> Iterator[CountKey]:
    """The groups of an instance, before and after."""
    if not new and not _changed(target, INSTANCE_FIELDS, INSTANCE_DECIDING):
        return
    state: Any = sa_inspect(target)
    versions = [(target.definition_id, target.team_id, target.due_date)]
    if not new:
        versions.append(tuple(_old(state, name) for name in INSTANCE_FIELDS[:3]))  # type: ignore[arg-type]
    for definition_id, team_id, due in versions:
        for measure_id in checklist_measures(definition_id):
            yield count_key(measure_id, team_id, due)


def _follow_up_keys(target: FollowUp, *, new: bool) -> Iterator[CountKey]:
    """The groups of a follow-up, before and after."""
    if not new and not _changed(target, FOLLOW_UP_FIELDS, FOLLOW_UP_DECIDING):
        return
    state: Any = sa_inspect(target)
    versions = [(target.rule_id, target.team_id, target.due_date)]
    if not new:
        versions.append(tuple(_old(state, name) for name in FOLLOW_UP_FIELDS[:3]))  # type: ignore[arg-type]
    for rule_id, team_id, due in versions:
        for measure_id in follow_up_measures(rule_id):
            yield count_key(measure_id, team_id, due)


def _answer_keys(session: OrmSession, target: ChecklistAnswer) -> Iterator[CountKey]:
    """The groups of a completed checklist whose counted answer changed."""
    if not any(
        isinstance(m.count, ChecklistCount)
        and m.count.answer is not None
        and m.count.answer.item == target.item_id
        for m in measures_in_use().all()
    ):
        return  # the usual save: no measure reads this item
    instance = session.get(ChecklistInstance, target.instance_id)
    if instance is None or instance.status != InstanceStatus.completed.value:
        return  # an open checklist's answers count nowhere yet; its completion is noted
    for measure_id in answer_measures(instance.definition_id, target.item_id):
        yield count_key(measure_id, instance.team_id, instance.due_date)


def _pathway_keys(session: OrmSession, pathway_ids: Iterable[int]) -> Iterator[CountKey]:
    """Every group some pathways' items are in (before they are erased)."""
    ids = sorted(pathway_ids)
    if not ids:
        return
    ci, fu, mi = ChecklistInstance, FollowUp, MeasureItem
    for definition_id, team_id, due in session.execute(
        sa_select(col(ci.definition_id), col(ci.team_id), col(ci.due_date)).where(
            col(ci.pathway_id).in_(ids)
        )
    ):
        for measure_id in checklist_measures(definition_id):
            yield count_key(measure_id, team_id, due)
    for rule_id, team_id, due in session.execute(
        sa_select(col(fu.rule_id), col(fu.team_id), col(fu.due_date)).where(
            col(fu.pathway_id).in_(ids)
        )
    ):
        for measure_id in follow_up_measures(rule_id):
            yield count_key(measure_id, team_id, due)
    for measure_id, team_id, due in session.execute(
        sa_select(col(mi.measure_id), col(mi.team_id), col(mi.due_date)).where(
            col(mi.pathway_id).in_(ids)
        )
    ):
        yield count_key(measure_id, team_id, due)


def _instance_follow_up_keys(session: OrmSession, instance_ids: list[int]) -> Iterator[CountKey]:
    """The groups of the follow-ups an instance's deletion takes with it."""
    fu = FollowUp
    for rule_id, team_id, due in session.execute(
        sa_select(col(fu.rule_id), col(fu.team_id), col(fu.due_date)).where(
            col(fu.instance_id).in_(instance_ids)
        )
    ):
        for measure_id in follow_up_measures(rule_id):
            yield count_key(measure_id, team_id, due)


@event.listens_for(OrmSession, "before_flush")
def _before_erasing(session: OrmSession, _context: Any, _instances: Any) -> None:
    """Note the groups of pathways, patients and checklists about to be deleted."""
    pathways = {int(t.id) for t in session.deleted if isinstance(t, Pathway) and t.id}
    patients = [int(t.id) for t in session.deleted if isinstance(t, Patient) and t.id]
    instances = [int(t.id) for t in session.deleted if isinstance(t, ChecklistInstance) and t.id]
    if not (pathways or patients or instances):
        return
    with session.no_autoflush:
        if patients:
            pathways.update(
                int(i)
                for i in session.execute(
                    sa_select(col(Pathway.id)).where(col(Pathway.patient_id).in_(patients))
                ).scalars()
                if i is not None
            )
        note_counts(session, _pathway_keys(session, pathways))
        if instances:
            note_counts(session, _instance_follow_up_keys(session, instances))


def _keys(session: OrmSession, target: Any, *, new: bool) -> Iterator[CountKey]:
    """The groups a written object may move."""
    if isinstance(target, ChecklistInstance):
        yield from _instance_keys(target, new=new)
    elif isinstance(target, FollowUp):
        yield from _follow_up_keys(target, new=new)
    elif isinstance(target, ChecklistAnswer):
        yield from _answer_keys(session, target)


@event.listens_for(OrmSession, "after_flush")
def _after_flush(session: OrmSession, _context: Any) -> None:
    """Note the groups this flush's writes may move (their old values are still at hand)."""
    keys: set[tuple[str, int, date]] = set()
    with session.no_autoflush:
        for target in session.new:
            keys.update(_keys(session, target, new=True))
        for target in session.dirty:
            keys.update(_keys(session, target, new=False))
        for target in session.deleted:
            if isinstance(target, ChecklistInstance | FollowUp):
                keys.update(_keys(session, target, new=True))  # its values as they were
            elif isinstance(target, ChecklistAnswer):
                keys.update(_answer_keys(session, target))
    if keys:
        note_counts(session, keys)
