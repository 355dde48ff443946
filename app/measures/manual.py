"""Manual measures: a team's own counts per period, entered by form or CSV, charted as usual.

Reading needs the team among the viewer's teams (``aggregate_team_ids``); anyone who does
not work with the team's patients (coordinators, administrators) gets its values through
``suppression`` like every measure: a manual measure adds up into nothing (no level above
the team, no totals), so hiding the small cells is enough. Writing needs the team role on
that team.
Values come one period at a time here, or as a CSV file (``manual_csv``). Saving a period
that already has a value updates it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.charts import RuleSet
from app.core.config import get_settings
from app.core.deps import Forbidden
from app.core.i18n import _
from app.measures.access import Unit, suppresses_for
from app.measures.aggregate import CountRow, Level
from app.measures.catalogue import measures_in_use
from app.measures.chart_data import (
    MeasureChart,
    MeasureInfo,
    MeasureRequestError,
    build_chart,
    check_chart_type,
    resolve_range,
)
from app.measures.chart_reads import ChartReads
from app.measures.models import MEASURE_KINDS, ManualMeasure, ManualMeasureValue, PeriodType
from app.measures.periods import parse_period, period_label
from app.measures.service import MANUAL_PREFIX, MeasureNotFound
from app.measures.suppression import small
from app.org.models import Role
from app.org.scope import Viewer

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


class ManualMeasureInvalid(ValueError):
    """What is wrong with a manual measure or value: field name → message (422)."""

    def __init__(self, problems: dict[str, str]) -> None:
        """Keep the problems by field."""
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class ManualFields:
    """What defines a manual measure."""

    key: str
    title: str
    kind: str = "proportion"
    period_type: str = PeriodType.week.value
    direction: str = "up"
    goal: float | None = None


def team_role_ids(viewer: Viewer) -> frozenset[int]:
    """The teams where the viewer holds the team role (may write)."""
    return frozenset().union(*(g.team_ids for g in viewer.grants if g.role == Role.team.value))


def manual_id(measure: ManualMeasure) -> str:
    """The id a manual measure goes by in charts, annotations and the API."""
    return f"{MANUAL_PREFIX}{measure.id}"


def manual_info(measure: ManualMeasure) -> MeasureInfo:
    """Describe a manual measure like a catalogue one."""
    chart = "run"
    return MeasureInfo(
        id=manual_id(measure),
        title=measure.title,
        description="",
        type=measure.kind,
        periods=[measure.period_type],
        default_period=measure.period_type,
        direction=measure.direction,
        goal=measure.goal,
        core=False,
        chart=chart,
        manual=True,
        team_id=measure.team_id,
    )


def get_manual_measure(
    session: Session, *, viewer: Viewer, measure_id: int, write: bool = False
) -> ManualMeasure:
    """Return a manual measure the viewer may read (or write), else raise."""
    measure = session.get(ManualMeasure, measure_id)
    if measure is None or measure.team_id not in viewer.aggregate_team_ids:
        raise MeasureNotFound(_("There is no such manual measure."))
    if write and measure.team_id not in team_role_ids(viewer):
        raise Forbidden(_("Only the team's improvement team may change its manual measures."))
    return measure


def parse_manual_id(measure_id: str) -> int:
    """Read ``manual:12`` into 12 (MeasureNotFound otherwise)."""
    number = measure_id.removeprefix(MANUAL_PREFIX)
    if not (number.isascii() and number.isdigit()):  # "²" and "٢٣" are digits to Python
        raise MeasureNotFound(_("There is no such manual measure."))
    return int(number)


def list_manual_measures(session: Session, *, viewer: Viewer, team_id: int) -> list[ManualMeasure]:
    """A team's manual measures, by title."""
    if team_id not in viewer.aggregate_team_ids:
        raise Forbidden(_("You do not have access to this team's measures."))
    return list(
        session.exec(
            select(ManualMeasure)
            .where(ManualMeasure.team_id == team_id)
            .order_by(col(ManualMeasure.title))
        ).all()
    )


def field_problems(
    session: Session, fields: ManualFields, *, team_id: int, measure_id: int | None = None
) -> dict[str, str]:
    """Check a manual measure's fields; return field → message."""
    problems: dict[str, str] = {}
    if not KEY_PATTERN.match(fields.key):
        problems["key"] = _(
            "Use lower-case letters, digits and hyphens for the key (at most 80 characters)."
        )
    elif fields.key in measures_in_use():
        problems["key"] = _("This key belongs to a shared measure; choose another.")
    else:
        clash = session.exec(
            select(ManualMeasure.id)
            .where(ManualMeasure.team_id == team_id)
            .where(ManualMeasure.key == fields.key)
        ).first()
        if clash is not None and clash != measure_id:
            problems["key"] = _("The team already has a measure with this key.")
    if not fields.title.strip() or len(fields.title) > 200:
        problems["title"] = _("Give the measure a title (at most 200 characters).")
    if fields.kind not in MEASURE_KINDS:
        problems["kind"] = _("Choose proportion, count or mean.")
    if fields.period_type not in ("week", "month"):
        problems["period_type"] = _("Choose week or month.")
    if fields.direction not in ("up", "down"):
        problems["direction"] = _("Choose whether higher or lower is better.")
    if fields.goal is not None and (
        not math.isfinite(fields.goal)
        or (fields.kind == "proportion" and not 0 <= fields.goal <= 100)
    ):
        problems["goal"] = _("The goal of a proportion is a percentage from 0 to 100.")
    return problems


def create_manual_measure(
    session: Session, *, viewer: Viewer, team_id: int, fields: ManualFields
) -> ManualMeasure:
    """Define a team's manual measure (team role on that team)."""
    if team_id not in team_role_ids(viewer):
        raise Forbidden(_("Only the team's improvement team may change its manual measures."))
    problems = field_problems(session, fields, team_id=team_id)
    if problems:
        raise ManualMeasureInvalid(problems)
    measure = ManualMeasure(team_id=team_id, **fields.__dict__)
    measure.title = measure.title.strip()
    session.add(measure)
    session.flush()
    return measure


def update_manual_measure(
    session: Session, *, viewer: Viewer, measure_id: int, fields: ManualFields
) -> ManualMeasure:
    """Change a manual measure's definition (its period type stays once values exist)."""
    measure = get_manual_measure(session, viewer=viewer, measure_id=measure_id, write=True)
    problems = field_problems(session, fields, team_id=measure.team_id, measure_id=measure.id)
    if fields.period_type != measure.period_type and list_values(
        session, viewer=viewer, measure_id=measure_id
    ):
        problems["period_type"] = _("The period type cannot change once values are entered.")
    if problems:
        raise ManualMeasureInvalid(problems)
    for name, value in fields.__dict__.items():
        setattr(measure, name, value.strip() if name == "title" else value)
    session.add(measure)
    session.flush()
    return measure


def delete_manual_measure(session: Session, *, viewer: Viewer, measure_id: int) -> None:
    """Remove a manual measure and its values."""
    measure = get_manual_measure(session, viewer=viewer, measure_id=measure_id, write=True)
    session.execute(
        delete(ManualMeasureValue).where(col(ManualMeasureValue.measure_id) == measure_id)
    )
    session.delete(measure)
    session.flush()


def list_values(session: Session, *, viewer: Viewer, measure_id: int) -> list[ManualMeasureValue]:
    """A manual measure's values, oldest period first."""
    get_manual_measure(session, viewer=viewer, measure_id=measure_id)
    return list(
        session.exec(
            select(ManualMeasureValue)
            .where(ManualMeasureValue.measure_id == measure_id)
            .order_by(col(ManualMeasureValue.period_start))
        ).all()
    )


@dataclass(frozen=True)
class ShownValue:
    """One period's value as a viewer may see it (None and ``suppressed`` when small)."""

    period: str
    period_start: date
    numerator: float | None
    denominator: float | None
    suppressed: bool


def shown_values(session: Session, *, viewer: Viewer, measure_id: int) -> list[ShownValue]:
    """A manual measure's values, oldest first, small ones hidden from those outside the team."""
    measure = get_manual_measure(session, viewer=viewer, measure_id=measure_id)
    team = Unit(measure.team_id, "", frozenset({measure.team_id}))
    hide = suppresses_for(viewer, team)
    threshold = get_settings().suppression_threshold
    shown = []
    for value in list_values(session, viewer=viewer, measure_id=measure_id):
        denominator = value.denominator if value.denominator is not None else 1.0
        hidden = hide and small(
            value.numerator, denominator, kind=measure.kind, threshold=threshold
        )
        shown.append(
            ShownValue(
                period=value_label(value, measure),
                period_start=value.period_start,
                numerator=None if hidden else value.numerator,
                denominator=None if hidden else value.denominator,
                suppressed=hidden,
            )
        )
    return shown


def value_problems(
    measure: ManualMeasure, period: str, numerator: float | None, denominator: float | None
) -> tuple[dict[str, str], date | None]:
    """Check one period's value; return field → message and the period's first day."""
    problems: dict[str, str] = {}
    start = None
    try:
        period_type, start = parse_period(period)
    except ValueError:
        problems["period"] = _period_hint(measure.period_type, period)
    else:
        if period_type != measure.period_type:
            problems["period"] = _period_hint(measure.period_type, period)
    if numerator is None:
        problems["numerator"] = _("Enter the numerator.")
    elif not math.isfinite(numerator) or numerator < 0:
        problems["numerator"] = _("The numerator cannot be negative.")
    needs_denominator = measure.kind in ("proportion", "mean")
    if denominator is None and needs_denominator:
        problems["denominator"] = _("Enter the denominator.")
    elif denominator is not None and (not math.isfinite(denominator) or denominator < 0):
        problems["denominator"] = _("The denominator cannot be negative.")
    elif (
        measure.kind == "proportion"
        and numerator is not None
        and denominator is not None
        and numerator > denominator
    ):
        problems["numerator"] = _("The numerator cannot be above the denominator.")
    return problems, start


def _period_hint(period_type: str, given: str) -> str:
    """Say how a period is written for this measure."""
    if period_type == "week":
        return _("'{period}' is not a week: write it like 2026-W05.").format(period=given)
    return _("'{period}' is not a month: write it like 2026-03.").format(period=given)


def save_value(
    session: Session,
    *,
    viewer: Viewer,
    measure_id: int,
    period: str,
    numerator: float | None,
    denominator: float | None,
) -> ManualMeasureValue:
    """Enter (or correct) one period's value."""
    measure = get_manual_measure(session, viewer=viewer, measure_id=measure_id, write=True)
    problems, start = value_problems(measure, period, numerator, denominator)
    if problems or start is None or numerator is None:
        raise ManualMeasureInvalid(problems)
    return upsert_value(session, viewer, measure, start, numerator, denominator)


def upsert_value(
    session: Session,
    viewer: Viewer,
    measure: ManualMeasure,
    start: date,
    numerator: float,
    denominator: float | None,
) -> ManualMeasureValue:
    """Insert a period's value or update the one already there."""
    value = session.exec(
        select(ManualMeasureValue)
        .where(ManualMeasureValue.measure_id == measure.id)
        .where(ManualMeasureValue.period_start == start)
    ).first()
    if value is None:
        value = ManualMeasureValue(measure_id=int(measure.id or 0), period_start=start, numerator=0)
    value.numerator = numerator
    value.denominator = denominator
    value.entered_by_id = viewer.user_id
    session.add(value)
    session.flush()
    return value


def delete_value(session: Session, *, viewer: Viewer, measure_id: int, period: str) -> None:
    """Remove one period's value."""
    measure = get_manual_measure(session, viewer=viewer, measure_id=measure_id, write=True)
    try:
        start = parse_period(period)[1]
    except ValueError as exc:
        raise MeasureNotFound(_period_hint(measure.period_type, period)) from exc
    value = session.exec(
        select(ManualMeasureValue)
        .where(ManualMeasureValue.measure_id == measure.id)
        .where(ManualMeasureValue.period_start == start)
    ).first()
    if value is None:
        raise MeasureNotFound(_("There is no value for {period}.").format(period=period))
    session.delete(value)
    session.flush()


def manual_series(
    session: Session,
    *,
    viewer: Viewer,
    measure_id: str,
    period: str,
    start: date | None,
    end: date | None,
    now: datetime,
    chart: str | None = None,
    rules: RuleSet = "anhoej",
    reads: ChartReads | None = None,
) -> MeasureChart:
    """The chart of a manual measure, through the same chart building as every measure."""
    reads = reads or ChartReads(session)
    measure = get_manual_measure(session, viewer=viewer, measure_id=parse_manual_id(measure_id))
    info = manual_info(measure)
    check_chart_type(info, chart)
    if period != measure.period_type:
        raise MeasureRequestError(
            _("This measure is counted by {periods}, not by {period}.").format(
                periods=_(measure.period_type), period=_(period)
            )
        )
    window = resolve_range(period, start, end, now)
    values = session.exec(
        select(ManualMeasureValue)
        .where(ManualMeasureValue.measure_id == measure.id)
        .where(col(ManualMeasureValue.period_start).between(window.first_day, window.last_day))
    ).all()
    team = reads.units(Level.team).get(measure.team_id) or Unit(
        measure.team_id, "", frozenset({measure.team_id})
    )
    rows = {
        value.period_start: CountRow(
            unit_id=measure.team_id,
            week=None,
            month=None,
            numerator=value.numerator,
            denominator=value.denominator if value.denominator is not None else 1.0,
            pending=0,
        )
        for value in values
    }
    team_ids = [measure.team_id]
    notes = reads.annotations(team_ids=team_ids, measure_key=measure_id, last=window.last_day)[
        measure.team_id
    ]
    return build_chart(
        info=info,
        level=Level.team,
        unit=team,
        period=period,
        window=window,
        rows=rows,
        hide_small=suppresses_for(viewer, team),
        notes=notes,
        chart=chart,
        rules=rules,
        excluded=reads.exclusions(team_ids=team_ids, measure_key=measure_id)[measure.team_id].get(
            period, ()
        ),
    )


def value_label(value: ManualMeasureValue, measure: ManualMeasure) -> str:
    """The period label of a stored value."""
    return period_label(value.period_start, measure.period_type)
