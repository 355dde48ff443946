"""Counts computed once and reused while they cannot have changed: by a write, or by time.

A count of some measure over some units and days (``aggregate.count_items``) is a function of
the counted items and of ``now``. Every write that changes a team's items recounts the team's
groups (``stored_counts.recount``), and the transaction that does so draws a new random
**version** for each of those teams as it commits (``measure_count_version``). So the versions
of the teams a count reads, with the teams' organisations and networks, name the items it read.
And between writes, a count changes with time only at the moments its items name (a window
closing, an entry becoming visible): ``stored_counts.next_change`` finds the first of them at
or after the moment of counting, so the count holds from that moment until just before it.

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

EPOCH_TEAM = 0  # the version row naming the last full rebuild of the stored counts
VERSIONS = "hph.measure_counts.versions"  # this transaction's reads of versions, by scope
RECOUNTED = "hph.measure_counts.recounted"  # teams recounted in this transaction, to redraw

Scope = tuple[tuple[int, int, int | None, int | None], ...]  # team, organisation, network, version


def note_recounted(session: Session, team_ids: Iterable[int]) -> None:
    """Remember that this transaction recounted some teams: their versions are redrawn as it
    commits, and until then it keeps out of the cache."""
    session.info.setdefault(RECOUNTED, set()).update(team_ids)
    session.info.pop(VERSIONS, None)


def draw_versions(session: Session) -> None:
    """Give every team this transaction recounted a new random version (just before commit)."""
    teams: set[int] | None = session.info.get(RECOUNTED)
    if not teams:
        return
    table: Any = MeasureCountVersion.__table__  # type: ignore[attr-defined]
    rows = [{"team_id": team, "version": secrets.randbits(62)} for team in sorted(teams)]
    upsert: Any = (
        postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    )
    statement = upsert(table).values(rows)  # one statement, teams in order: no deadlock
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.team_id], set_={"version": statement.excluded.version}
        )
    )
    teams.clear()


def scope_of(
    session: Session,
    *,
    level: str,
    unit_ids: Sequence[int] | None,
    team_ids: Sequence[int] | None,
) -> tuple[int | None, Scope]:
    """The rebuild epoch and the teams a count reads (with their units and versions), read
    once per transaction and scope."""
    memo: dict[Hashable, tuple[int | None, Scope]] = session.info.setdefault(VERSIONS, {})
    wanted = (level, _frozen(unit_ids), _frozen(team_ids))
    if wanted not in memo:
        version = MeasureCountVersion
        network = col(Organisation.network_id)
        query = (
            sa_select(col(Team.id), col(Team.organisation_id), network, col(version.version))
            .join(Organisation, col(Organisation.id) == col(Team.organisation_id))
            .outerjoin(version, col(version.team_id) == col(Team.id))
            .order_by(col(Team.id))
        )
        if unit_ids is not None:
            unit = {"team": col(Team.id), "organisation": col(Team.organisation_id)}.get(
                level, network
            )
            if level != "all":
                query = query.where(unit.in_(list(unit_ids)))
        if team_ids is not None:
            query = query.where(col(Team.id).in_(list(team_ids)))
        teams = tuple(tuple(row) for row in session.execute(query))
        epoch = session.execute(
            sa_select(col(version.version)).where(col(version.team_id) == EPOCH_TEAM)
        ).scalar_one_or_none()
        memo[wanted] = (epoch, teams)  # type: ignore[assignment]
    return memo[wanted]


def _frozen(ids: Sequence[int] | None) -> tuple[int, ...] | None:
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
