"""Counts computed once and reused while they cannot have changed: by a write, or by time.

A count of some measure over some units and days (``aggregate.count_items``) is a function of
the counted items and of ``now``. Every write that changes a team's items recounts the team's
groups (``stored_counts.recount``), and the transaction that does so draws a new random
**version** for each of those teams and measures as it commits (``measure_count_version``). So
the versions of the teams a count reads, for its measure, with the teams' organisations and
networks, name the items it read. Between writes, a count changes with time only at the
moments its items name (a window closing, an entry becoming visible):
``stored_counts.next_change`` finds the first of them at or after the moment of counting, so
the count holds from that moment until just before it.

A count is reused when the key (database, rebuild epoch, measure and its fingerprint, level,
window, units, and the teams with their versions) is the same and ``now`` lies in that span.
Versions are random rather than counted so that a transaction that is rolled back leaves no
number for a later one to draw again. A transaction that has recounted and not yet committed
neither reads nor fills the cache: its own counts are not yet anyone else's.

Each server worker keeps its own cache, at most ``HPH_COUNT_CACHE_ROWS`` rows, least recently
used first out; the versions live in the database, so a write in one worker is seen by all.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col

from app.core.config import get_settings
from app.measures.models import MeasureCountVersion
from app.org.models import Organisation, Team

EPOCH_TEAM, EPOCH_MEASURE = 0, ""  # the version row naming the last full rebuild
VERSIONS = "hph.measure_counts.versions"  # this transaction's reads of versions, by scope
RECOUNTED = "hph.measure_counts.recounted"  # (team, measure) recounted here, to redraw


def note_recounted(session: Session, groups: Iterable[tuple[int, str]]) -> None:
    """Remember that this transaction recounted some (team, measure) pairs: their versions are
    redrawn as it commits, and until then it keeps out of the cache."""
    session.info.setdefault(RECOUNTED, set()).update(groups)
    session.info.pop(VERSIONS, None)


def draw_versions(session: Session) -> None:
    """Give every (team, measure) this transaction recounted a new random version (just before
    it commits)."""
    groups: set[tuple[int, str]] | None = session.info.get(RECOUNTED)
    if not groups:
        return
    table: Any = MeasureCountVersion.__table__  # type: ignore[attr-defined]
    rows = [
        {"team_id": team, "measure_id": measure, "version": secrets.randbits(62)}
        for team, measure in sorted(groups)
    ]
    upsert: Any = (
        postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    )
    statement = upsert(table).values(rows)  # one statement, rows in order: no deadlock
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.team_id, table.c.measure_id],
            set_={"version": statement.excluded.version},
        )
    )
    groups.clear()


@dataclass(frozen=True, slots=True)
class CountScope:
    """The teams a count reads, with their organisation and network, and their versions."""

    epoch: int | None
    teams: tuple[tuple[int, int, int | None], ...]
    versions: dict[tuple[int, str], int]

    def of(self, measure_id: str) -> tuple[Hashable, ...]:
        """What names one measure's counted items in these teams."""
        return (
            self.epoch,
            tuple((*team, self.versions.get((team[0], measure_id))) for team in self.teams),
        )


def scope_of(
    session: Session,
    *,
    level: str,
    unit_ids: Sequence[int] | None,
    team_ids: Sequence[int] | None,
) -> CountScope:
    """The teams a count reads, their units and versions: read once per transaction and scope."""
    memo: dict[Hashable, CountScope] = session.info.setdefault(VERSIONS, {})
    wanted = (level, frozen_ids(unit_ids), frozen_ids(team_ids))
    if wanted not in memo:
        version = MeasureCountVersion
        network = col(Organisation.network_id)
        query = (
            sa_select(col(Team.id), col(Team.organisation_id), network)
            .join(Organisation, col(Organisation.id) == col(Team.organisation_id))
            .order_by(col(Team.id))
        )
        if unit_ids is not None and level != "all":
            unit = {"team": col(Team.id), "organisation": col(Team.organisation_id)}.get(
                level, network
            )
            query = query.where(unit.in_(list(unit_ids)))
        if team_ids is not None:
            query = query.where(col(Team.id).in_(list(team_ids)))
        teams = tuple((int(t), int(o), n) for t, o, n in session.execute(query))
        versions = {
            (int(team), str(measure)): int(value)
            for team, measure, value in session.execute(
                sa_select(
                    col(version.team_id), col(version.measure_id), col(version.version)
                ).where(col(version.team_id).in_([EPOCH_TEAM, *(t[0] for t in teams)]))
            )
        }
        epoch = versions.get((EPOCH_TEAM, EPOCH_MEASURE))
        memo[wanted] = CountScope(epoch, teams, versions)
    return memo[wanted]


def frozen_ids(ids: Sequence[int] | None) -> tuple[int, ...] | None:
    """Ids as a hashable, ordered tuple."""
    return None if ids is None else tuple(sorted(set(ids)))


def may_use(session: Session) -> bool:
    """Whether this transaction may read and fill the cache (it has recounted nothing yet)."""
    return get_settings().count_cache_rows > 0 and not session.info.get(RECOUNTED)


@dataclass(frozen=True, slots=True)
class Counted:
    """Count rows, and the span of moments they hold for: ``since`` up to before ``until``."""

    since: datetime
    until: datetime | None  # None: no item can change with time any more
    rows: tuple[Any, ...]


class CountCache:
    """Counted rows by key, the least recently used dropped first beyond a number of rows."""

    def __init__(self) -> None:
        self._entries: OrderedDict[Hashable, Counted] = OrderedDict()
        self._rows = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, now: datetime) -> tuple[Any, ...] | None:
        """The rows counted under ``key`` if they hold at ``now``."""
        with self._lock:
            found = self._entries.get(key)
            if found is None or now < found.since or (found.until and now >= found.until):
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found.rows

    def put(self, key: Hashable, counted: Counted) -> None:
        """Keep some counted rows, dropping the least recently used beyond the limit."""
        limit = get_settings().count_cache_rows
        if len(counted.rows) > limit:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            self._rows += len(counted.rows) - (len(old.rows) if old else 0)
            self._entries[key] = counted
            while self._rows > limit and self._entries:
                _key, dropped = self._entries.popitem(last=False)
                self._rows -= len(dropped.rows)

    def clear(self) -> None:
        """Forget everything (tests, and a rebuild in this process)."""
        with self._lock:
            self._entries.clear()
            self._rows = 0


COUNTS = CountCache()


@event.listens_for(OrmSession, "after_transaction_end")
def _forget(session: OrmSession, transaction: SessionTransaction) -> None:
    """A new transaction reads the versions afresh, and has recounted nothing."""
    if transaction.parent is None:
        session.info.pop(VERSIONS, None)
        session.info.pop(RECOUNTED, None)
