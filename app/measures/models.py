"""What teams add to their measures: tested changes and their own counts."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field

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
