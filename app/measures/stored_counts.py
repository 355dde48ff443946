"""Stored counts: each measure's final counts per team and segment, kept exact in the writes' own
transaction, so a chart reads a handful of rows instead of re-counting every item.

A **segment** is the days an ISO week and a calendar month share (a week across a month's end
is two segments), so weeks, months and the (week, month) pairs of a combined count all add up
from segments. A row holds what the items of one team due in one segment count once every
window has closed and every entry is in (``now`` = the far future), and ``settled_at``: the
latest moment at which any of its items still changes its count as time passes — a window
closing (``window_end`` / ``closes_at``, compared with ``<``), an entry becoming visible
(``coalesce(recorded_at, performed_at)`` / ``coalesce(recorded_at, done_at)`` / ``met_at`` /
``counted_from``, compared with ``<=``). For every ``now`` strictly later than ``settled_at``
each item counts exactly as in the far future, so the row is the count at ``now``.

**Now still matters**: a window that closes with no write changes no row; the group it is in
is simply not settled before that moment, and ``aggregate.count_items`` counts unsettled
segments (and the partial segments at a window's edges) live from the items, as the
reference query (``aggregate.count_items_from_scratch``) does. Once the moment passes, the
stored row is exact with nothing written.

**Kept current**: every flush notes the (measure, team, segment) groups a change may move —
old and new values of checklist instances, answers the measures' conditions read, risk
follow-ups, stored measure items (``item_store`` notes those it rewrites), and pathways or
patients being erased. Before the transaction commits (and before any count read inside it),
those groups alone are counted again from their items, under a lock per group (PostgreSQL), so
that concurrent writers to one group are counted one after the other. ``hph migrate`` rebuilds
the measures whose definition changed (their fingerprint), ``hph measures rebuild`` all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, and_, case, delete, event, func, insert, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col

from app.core.config import get_settings
from app.core.db import utcnow
from app.measures import count_hooks as count_hooks  # registers the flush hooks
from app.measures.catalogue import ChecklistCount, FollowUpCount, MeasureDefinition, measures_in_use
from app.measures.count_cache import EPOCH_MEASURE, EPOCH_TEAM, draw_versions, note_recounted
from app.measures.count_hooks import (
    CHECKED,
    PENDING_COUNTS,
    CountKey,
    built_fingerprints,
    checked,
    forget_builds,
    segment_last,
)
from app.measures.count_hooks import segment_of as segment_of
from app.measures.count_hooks import segments_between as segments_between
from app.measures.item_rules import is_stored
from app.measures.item_store import fingerprint as item_fingerprint
from app.measures.localtime import MonthStart, WeekStart
from app.measures.models import MeasureCount, MeasureCountBuild
from app.measures.periods import Window
from app.measures.sources import (
    Source,
    checklist_source,
    fixed,
    follow_up_source,
    stored_source,
)

COUNT_LOGIC_VERSION = 1  # raise when what a stored count means changes: every measure is rebuilt
FAR_FUTURE = datetime(9000, 1, 1, tzinfo=UTC)  # after every window and every entry
REBUILD_LOCK = 7_406_002  # PostgreSQL advisory lock: rebuilds exclusive, writers shared
GROUPS_PER_QUERY = 200


def item_source(measure: MeasureDefinition, window: Window) -> Source:
    """The item rows a measure counts: checklist instances, follow-ups, or stored items."""
    if isinstance(measure.count, ChecklistCount):
        return checklist_source(measure.count, window)
    if isinstance(measure.count, FollowUpCount):
        return follow_up_source(measure.count, window)
    return stored_source(measure, window)


def count_fingerprint(measure: MeasureDefinition) -> str:
    """What a measure's stored counts depend on: its rule, the settings it reads, the logic."""
    settings = get_settings()
    items = item_fingerprint(measure) if is_stored(measure) else ""
    text = (
        f"{COUNT_LOGIC_VERSION}:{settings.timezone}:{settings.psfs_mic_mean}:"
        f"{measure.count.model_dump_json()}:{items}"
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _moments(measure: MeasureDefinition, source: Source) -> list[Any]:
    """The moments after which an item's count no longer changes with ``now``: first the end
    of its window (compared with ``<``), then the moments its entry counts from (``<=``)."""
    item: Any = source.team_id.parent.entity  # the aliased table the source reads
    if isinstance(measure.count, ChecklistCount):
        return [item.window_end, func.coalesce(item.recorded_at, item.performed_at)]
    if isinstance(measure.count, FollowUpCount):
        return [item.window_end, func.coalesce(item.recorded_at, item.done_at)]
    return [item.closes_at, item.met_at, item.counted_from]


_FINAL_SOURCES: dict[str, tuple[Source, list[Any]]] = {}


def _final_source(measure: MeasureDefinition) -> tuple[Source, list[Any]]:
    """A measure's items counted in the far future, and their settling moments (built once:
    building the aliased tables is most of a small recount's cost)."""
    key = f"{measure.id}:{count_fingerprint(measure)}"  # stored items are chosen by the id
    if key not in _FINAL_SOURCES:
        window = Window(date.min, date.max, FAR_FUTURE, by_week=True, by_month=True)
        source = item_source(measure, window)
        _FINAL_SOURCES[key] = (source, _moments(measure, source))
    return _FINAL_SOURCES[key]


def final_counts(
    session: Session, measure: MeasureDefinition, where: Callable[[Source], Any] | None = None
) -> dict[tuple[int, date], tuple[float, float, datetime]]:
    """Final numerator, denominator and settling moment per (team, segment) of some items."""
    source, moments = _final_source(measure)
    week, month = WeekStart(source.due_day), MonthStart(source.due_day)
    query = source.query if where is None else source.query.where(where(source))
    rows = session.execute(
        query.add_columns(
            source.team_id,
            week,
            month,
            func.sum(source.numerator),
            func.sum(source.denominator),
            *(func.max(moment) for moment in moments),
        ).group_by(source.team_id, week, month)
    )
    found: dict[tuple[int, date], tuple[float, float, datetime]] = {}
    for team_id, week_start, month_start, numerator, denominator, *last in rows:
        start = max(_day(week_start), _day(month_start))
        settled = max(moment for moment in last if moment is not None)
        found[(int(team_id), start)] = (float(numerator), float(denominator), settled)
    return found


def _day(value: Any) -> date:
    """A grouped date as a date (SQLite hands back text for computed dates)."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _lock(session: Session, keys: Iterable[CountKey]) -> None:
    """Count each group's writers one after another (PostgreSQL; SQLite serialises writers)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    hashes = sorted({_lock_key(key) for key in keys})  # one order: no deadlock between two
    for first in range(0, len(hashes), GROUPS_PER_QUERY):
        chunk = hashes[first : first + GROUPS_PER_QUERY]
        session.execute(
            sa_select(
                func.pg_advisory_xact_lock_shared(REBUILD_LOCK),  # no rebuild meanwhile
                func.pg_advisory_xact_lock(func.unnest(chunk)),
            )
        )


def _lock_key(key: CountKey) -> int:
    """A stable signed 64-bit number naming a group."""
    digest = hashlib.blake2b(f"{key[0]}:{key[1]}:{key[2]}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def recount(session: Session, keys: Iterable[CountKey]) -> int:
    """Count some groups again from their items and store them (in the caller's transaction)."""
    catalogue = {m.id: m for m in measures_in_use().all()}
    wanted = sorted(key for key in set(keys) if key[0] in catalogue)
    if not wanted:
        return 0
    _lock(session, wanted)
    rows: list[dict[str, Any]] = []
    for first in range(0, len(wanted), GROUPS_PER_QUERY):
        chunk = wanted[first : first + GROUPS_PER_QUERY]
        by_measure: dict[str, list[tuple[int, date]]] = {}
        for measure_id, team_id, start in chunk:
            by_measure.setdefault(measure_id, []).append((team_id, start))
        for measure_id, groups in by_measure.items():  # one grouped query per measure
            found = final_counts(session, catalogue[measure_id], _groups_of(groups))
            rows += _rows(measure_id, found)
        mc = MeasureCount
        session.execute(
            delete(mc).where(
                or_(
                    *(
                        and_(
                            col(mc.measure_id) == measure_id,
                            col(mc.team_id) == team_id,
                            col(mc.segment_start) == start,
                        )
                        for measure_id, team_id, start in chunk
                    )
                )
            )
        )
    if rows:
        session.execute(insert(MeasureCount.__table__), rows)  # type: ignore[attr-defined]
    note_recounted(session, {(team_id, measure_id) for measure_id, team_id, _start in wanted})
    return len(rows)


def next_change(
    session: Session,
    measure: MeasureDefinition,
    *,
    days: Sequence[tuple[date, date]],
    team_ids: Sequence[int] | None,
    now: datetime,
) -> datetime | None:
    """The first moment at or after ``now`` at which an item of some teams due on some days
    may count otherwise with nothing written (None: never): the earliest of its moments
    (``_moments``) not yet passed. Items not yet visible are read too (the far-future source)."""
    if not days:
        return None
    source, moments = _final_source(measure)
    query = source.query.where(
        or_(*(source.due_day.between(fixed(a, Date), fixed(b, Date)) for a, b in days))
    )
    if team_ids is not None:
        query = query.where(source.team_id.in_(list(team_ids)))
    closing, *entering = moments  # a window closes after its end; an entry counts from its time
    row = session.execute(
        query.add_columns(
            func.min(case((closing >= now, closing))),
            *(func.min(case((moment > now, moment))) for moment in entering),
        )
    ).one()
    found = [_moment(value) for value in row if value is not None]
    return min(found) if found else None


def _moment(value: Any) -> datetime:
    """A computed moment as an aware datetime (SQLite may hand back text)."""
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _groups_of(groups: Sequence[tuple[int, date]]) -> Callable[[Source], Any]:
    """A condition selecting the items of some (team, segment) groups."""

    def where(source: Source) -> Any:
        return or_(
            *(
                and_(source.team_id == team_id, source.due_day.between(start, segment_last(start)))
                for team_id, start in groups
            )
        )

    return where


def _rows(
    measure_id: str, found: dict[tuple[int, date], tuple[float, float, datetime]]
) -> list[dict[str, Any]]:
    """Counted groups as table rows."""
    return [
        {
            "measure_id": measure_id,
            "team_id": team_id,
            "segment_start": start,
            "numerator": numerator,
            "denominator": denominator,
            "settled_at": settled,
        }
        for (team_id, start), (numerator, denominator, settled) in found.items()
    ]


def _insert(
    session: Session,
    measure_id: str,
    found: dict[tuple[int, date], tuple[float, float, datetime]],
) -> int:
    """Store counted groups."""
    rows = _rows(measure_id, found)
    for first in range(0, len(rows), 5000):
        session.execute(insert(MeasureCount.__table__), rows[first : first + 5000])  # type: ignore[attr-defined]
    return len(rows)


def apply_pending(session: Session) -> int:
    """Recount the groups this transaction's flushes changed (before it commits or reads)."""
    if session.info.get(PENDING_COUNTS):
        session.flush()  # a flush may note more groups
    keys: set[CountKey] | None = session.info.pop(PENDING_COUNTS, None)
    if not keys:
        return 0
    with session.no_autoflush:
        return recount(session, keys)


def _lock_rebuilds(session: Session) -> None:
    """Let one rebuild run at a time, while no writer counts (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa_select(func.pg_advisory_xact_lock(REBUILD_LOCK)))


def rebuild_counts(
    session: Session,
    measures: Sequence[MeasureDefinition] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Count every group of some measures afresh (all measures in use by default)."""
    chosen = list(measures_in_use().all() if measures is None else measures)
    _lock_rebuilds(session)
    apply_pending(session)  # what this transaction changed is counted by the rebuild too
    note_recounted(session, [(EPOCH_TEAM, EPOCH_MEASURE)])  # no count from before is reused
    written = 0
    for done, measure in enumerate(chosen, start=1):
        session.execute(delete(MeasureCount).where(col(MeasureCount.measure_id) == measure.id))
        written += _insert(session, measure.id, final_counts(session, measure))
        session.merge(
            MeasureCountBuild(
                measure_id=measure.id, fingerprint=count_fingerprint(measure), built_at=utcnow()
            )
        )
        if progress:
            progress(done, len(chosen))
    session.flush()
    forget_builds(session)
    return written


def stale_count_measures(session: Session) -> list[MeasureDefinition]:
    """The measures whose counts were built with another definition, or never."""
    rows = session.execute(
        sa_select(col(MeasureCountBuild.measure_id), col(MeasureCountBuild.fingerprint))
    ).all()
    built = {row[0]: row[1] for row in rows}
    return [m for m in measures_in_use().all() if built.get(m.id) != count_fingerprint(m)]


def ensure_counted(session: Session, measure: MeasureDefinition) -> None:
    """Build a measure's counts first if they are missing or stale (normally done at migrate)."""
    if f"counts:{measure.id}" not in checked(session):
        if built_fingerprints(session, MeasureCountBuild).get(measure.id) != count_fingerprint(
            measure
        ):
            _lock_rebuilds(session)
            built = session.get(MeasureCountBuild, measure.id, populate_existing=True)
            if built is None or built.fingerprint != count_fingerprint(measure):
                rebuild_counts(session, [measure])
            forget_builds(session)
        checked(session).add(f"counts:{measure.id}")
    apply_pending(session)


def ensure_counts_current(
    session: Session, progress: Callable[[int, int], None] | None = None
) -> list[str]:
    """Rebuild the measures whose counts are stale, and forget measures no longer in use."""
    stale = stale_count_measures(session)
    if stale:
        _lock_rebuilds(session)
        stale = stale_count_measures(session)
        rebuild_counts(session, stale, progress)
    in_use = [m.id for m in measures_in_use().all()]
    session.execute(delete(MeasureCount).where(col(MeasureCount.measure_id).not_in(in_use)))
    session.execute(
        delete(MeasureCountBuild).where(col(MeasureCountBuild.measure_id).not_in(in_use))
    )
    return [m.id for m in stale]


@event.listens_for(OrmSession, "before_commit")
def _before_commit(session: OrmSession) -> None:
    """Recount the changed groups in the transaction that changed them, and draw the recounted
    teams' new versions (``count_cache``)."""
    if session.info.get(PENDING_COUNTS):
        apply_pending(session)  # type: ignore[arg-type]
    draw_versions(session)  # type: ignore[arg-type]


@event.listens_for(OrmSession, "after_transaction_end")
def _after_transaction_end(session: OrmSession, transaction: SessionTransaction) -> None:
    """Forget the groups of a transaction that was rolled back (its changes went with it)."""
    if transaction.parent is None:
        session.info.pop(PENDING_COUNTS, None)
        session.info.pop(CHECKED, None)  # another transaction may change a definition's build
        forget_builds(session)


def stored_count_rows(session: Session) -> int:
    """How many stored count rows there are, of every measure."""
    return int(session.execute(sa_select(func.count()).select_from(MeasureCount)).scalar_one())
