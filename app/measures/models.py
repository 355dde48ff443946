"""What teams add to their measures (tested changes, own counts), and the items measures count."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.tables import Timestamped, sql_in


class PeriodType(StrEnum):
    """Charts count by ISO week or calendar month."""

    week = "week"
    month = "month"


# How a measure's numbers combine (a tuple: a StrEnum member named 'count' would shadow str.count).
MEASURE_KINDS = ("proportion", "count", "mean")


class Annotation(Timestamped, table=True):
    """A tested change (PDSA cycle) marked on one or all of a team's measures."""

    __tablename__ = "annotation"
    __table_args__ = (Index("ix_annotation_team_id_happened_on", "team_id", "happened_on"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", ondelete="CASCADE")
    measure_key: str | None = Field(default=None, max_length=80)
    happened_on: date
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    starts_phase: bool = Field(default=False)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")


class ManualMeasure(Timestamped, table=True):
    """A team's own measure, counted by hand for what the system cannot derive."""

    __tablename__ = "manual_measure"
    __table_args__ = (
        UniqueConstraint("team_id", "key"),
        CheckConstraint(sql_in("kind", MEASURE_KINDS), name="kind_known"),
        CheckConstraint(
            sql_in("period_type", tuple(p.value for p in PeriodType)), name="period_type_known"
        ),
        CheckConstraint(sql_in("direction", ("up", "down")), name="direction_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=80)
    title: str = Field(max_length=200)
    kind: str = Field(default="proportion", max_length=20)
    period_type: str = Field(default=PeriodType.week.value, max_length=10)
    direction: str = Field(default="up", max_length=4)
    goal: float | None = Field(default=None)


class ManualMeasureValue(Timestamped, table=True):
    """One period's numerator (and denominator) of a manual measure."""

    __tablename__ = "manual_measure_value"
    __table_args__ = (
        UniqueConstraint("measure_id", "period_start"),
        CheckConstraint("numerator >= 0", name="numerator_not_negative"),
        CheckConstraint("denominator IS NULL OR denominator >= 0", name="denominator_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(foreign_key="manual_measure.id", index=True, ondelete="CASCADE")
    period_start: date
    numerator: float
    denominator: float | None = Field(default=None)
    entered_by_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")


class MeasureItem(SQLModel, table=True):
    """One item a measure counts beyond single checklists, with its due date, team and moments.

    A discharge followed for readmission, a pathway's "what matters" conversation, a goal's
    re-rating, a round of PSFS ratings, an event's bundle of lists. Each is derived from its
    pathway's facts in Python whenever those change (``item_store``), so that counting is a scan
    of one index, as for checklists. Counting at a moment ``now``: the item exists once
    ``counted_from`` has passed (null: always), is met once ``met_at`` has passed, and is
    decided either way once ``closes_at`` is behind ``now``.
    """

    __tablename__ = "measure_item"
    __table_args__ = (
        UniqueConstraint("measure_id", "subject_id", "due_date"),
        Index(
            "ix_measure_item_counting",
            "measure_id",
            "due_date",
            "team_id",
            "met_at",
            "closes_at",
            "counted_from",
            "value",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    measure_id: str = Field(max_length=64)
    pathway_id: int = Field(foreign_key="pathway.id", index=True, ondelete="CASCADE")
    subject_id: int
    team_id: int = Field(foreign_key="team.id", ondelete="CASCADE")
    due_date: date
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closes_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    met_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    counted_from: datetime | None = Field(default=None, sa_type=UTCDateTime)
    value: float | None = Field(default=None)


class MeasureItemBuild(SQLModel, table=True):
    """Which definition of a measure its stored items were derived with (rebuilt on change)."""

    __tablename__ = "measure_item_build"

    measure_id: str = Field(primary_key=True, max_length=64)
    fingerprint: str = Field(max_length=64)
    built_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class TeamMeasureSetting(Timestamped, table=True):
    """A team's choice about one catalogue measure: whether it follows it, and its goal line.

    Core measures are always followed (``followed`` is then ignored); ``goal`` (None: the
    catalogue's default) is drawn on the team's own charts only.
    """

    __tablename__ = "team_measure_setting"
    __table_args__ = (UniqueConstraint("team_id", "measure_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True, ondelete="CASCADE")
    measure_id: str = Field(max_length=80)
    followed: bool = Field(default=False)
    goal: float | None = Field(default=None)


class PointExclusion(Timestamped, table=True):
    """A period of a team's measure left out of its centre line, limits and rules: a known
    special cause (a flood, a system outage), with the reason the team gave."""

    __tablename__ = "point_exclusion"
    __table_args__ = (
        UniqueConstraint("team_id", "measure_key", "period_type", "period_start"),
        CheckConstraint(
            sql_in("period_type", tuple(p.value for p in PeriodType)), name="period_type_known"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True, ondelete="CASCADE")
    measure_key: str = Field(max_length=80)
    period_type: str = Field(max_length=10)
    period_start: date
    reason: str = Field(max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")


class MeasureCount(SQLModel, table=True):
    """A measure's final counts of one team's items due in one segment, and when they settle.

    A segment is the days a week and a month share (a week across a month's end is two), so
    weeks, months and the (week, month) pairs a combined query groups by all add up from it.
    ``numerator`` and ``denominator`` are the counts once every window has closed and every
    entry is in; ``settled_at`` is the last moment at which an item of the group can still
    change them without a write: a count at any later moment may read the row as it is
    (``stored_counts``).
    """

    __tablename__ = "measure_count"
    __table_args__ = (
        # The level sums: one measure's segments in a date range, every team.
        Index("ix_measure_count_period", "measure_id", "segment_start", "team_id"),
        # The groups still open at a moment: few, and read before every count.
        Index("ix_measure_count_settled", "measure_id", "settled_at", "segment_start"),
    )

    # The key serves one team's window: measure, team, then the segments in order.
    measure_id: str = Field(primary_key=True, max_length=64)
    team_id: int = Field(primary_key=True, foreign_key="team.id", ondelete="CASCADE")
    segment_start: date = Field(primary_key=True)
    numerator: float
    denominator: float
    settled_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class MeasureCountVersion(SQLModel, table=True):
    """A random token naming the state of one team's counted items of one measure: drawn
    afresh whenever a write recounts one of its groups, so that a count computed at one token
    may be reused while the token stands (``count_cache``). Team 0 names the last rebuild."""

    __tablename__ = "measure_count_version"

    team_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    measure_id: str = Field(primary_key=True, max_length=64)
    version: int = Field(sa_type=BigInteger)


class MeasureCountBuild(SQLModel, table=True):
    """Which definition of a measure its stored counts were built with (rebuilt on change)."""

    __tablename__ = "measure_count_build"

    measure_id: str = Field(primary_key=True, max_length=64)
    fingerprint: str = Field(max_length=64)
    built_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
