"""Measure series: counts from the SQL aggregate, access and suppression, then the chart maths.

Who sees what (DESIGN.md §1, HPH.md §5):

- a team's series: anyone whose grants reach the team (``viewer.aggregate_team_ids``);
- an organisation's, a network's or everything's series: a viewer whose grants reach every
  team in it; and, for ``core`` measures (compared across regions), any coordinator or
  administrator;
- counts are shown as they are only to a viewer who may see the patients of every team in
  the unit (nurse or team member there); everyone else gets small counts suppressed: a
  numerator, denominator or their difference from 1 to ``suppression_threshold - 1`` hides
  the point (value None, ``suppressed``), and it leaves the chart as a gap;
- the items behind a point: only team members of that team (``viewer.patient_team_ids``),
  and every patient shown is audited as a read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.charts import ChartResult, ChartType, PartResult, RuleSet, SeriesPoint, compute_chart
from app.checklists.models import InstanceStatus
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.deps import Forbidden
from app.core.i18n import _, current_language
from app.measures.aggregate import (
    CountRow,
    Level,
    Window,
    count_items,
    item_rows,
    period_end,
    period_label,
    periods_between,
)
from app.measures.catalogue import CHARTS_FOR_TYPE, MeasureDefinition, measures_in_use
from app.measures.models import Annotation
from app.org.models import LearningNetwork, Organisation, Role, Team
from app.org.scope import Viewer

MANUAL_PREFIX = "manual:"
DEFAULT_SPAN = {"week": timedelta(weeks=52), "month": timedelta(days=730)}
MAX_PERIODS = 260


class MeasureNotFound(LookupError):
    """No measure (or unit) by that id that the viewer could see (404)."""


class MeasureRequestError(ValueError):
    """A chart request that cannot be answered as asked (422), in the user's language."""


class MeasureInfo(BaseModel):
    """What a measure is, for lists and chart headings."""

    id: str
    title: str
    description: str
    type: str
    periods: list[str]
    default_period: str
    direction: str
    goal: float | None
    core: bool
    chart: str
    manual: bool = False
    team_id: int | None = None


class MeasurePoint(BaseModel):
    """One period of a measure's chart, as counted and as analysed."""

    period: str
    period_start: date
    numerator: float | None
    denominator: float | None
    pending: int | None = Field(description="Items not yet decided (None when suppressed).")
    value: float | None
    centre: float | None
    lower: float | None
    upper: float | None
    part: int
    signals: list[str]
    sigma_signal: bool
    runs_signal: bool | None
    incomplete: bool
    suppressed: bool


class AnnotationMark(BaseModel):
    """A tested change drawn on the chart."""

    id: int
    happened_on: date
    period: str
    title: str
    starts_phase: bool


class MeasureChart(BaseModel):
    """A measure's series for one unit and period type, with its analysis."""

    measure: MeasureInfo
    level: Level
    unit_id: int
    unit_name: str
    period: str
    start: date
    end: date
    chart: str
    points: list[MeasurePoint]
    parts: list[PartResult]
    findings: list[str]
    annotations: list[AnnotationMark]
    result: ChartResult = Field(exclude=True)


@dataclass(frozen=True)
class Unit:
    """A team, organisation, network or everything, with the teams it covers."""

    id: int
    name: str
    team_ids: frozenset[int]


def measure_info(measure: MeasureDefinition) -> MeasureInfo:
    """Describe a catalogue measure in the current language."""
    language = current_language()
    return MeasureInfo(
        id=measure.id,
        title=measure.title.get(language),
        description=measure.description.get(language),
        type=measure.type,
        periods=list(measure.periods),
        default_period=measure.default_period,
        direction=measure.direction,
        goal=measure.goal,
        core=measure.core,
        chart=measure.chart,
    )


def catalogue_measure(measure_id: str) -> MeasureDefinition:
    """Return a catalogue measure or raise MeasureNotFound."""
    try:
        return measures_in_use().get(measure_id)
    except KeyError as exc:
        raise MeasureNotFound(_("There is no measure '{id}'.").format(id=measure_id)) from exc


def describe_measure(session: Session, *, viewer: Viewer, measure_id: str) -> MeasureInfo:
    """Describe a catalogue or manual measure (MeasureNotFound when there is none to see)."""
    if measure_id.startswith(MANUAL_PREFIX):
        from app.measures.manual import get_manual_measure, manual_info, parse_manual_id

        number = parse_manual_id(measure_id)
        return manual_info(get_manual_measure(session, viewer=viewer, measure_id=number))
    return measure_info(catalogue_measure(measure_id))


def list_measures(
    session: Session, *, viewer: Viewer, team_id: int | None = None
) -> list[MeasureInfo]:
    """The shared measures, and a team's manual measures when a team is given."""
    infos = [measure_info(measure) for measure in measures_in_use().all()]
    if team_id is not None:
        from app.measures.manual import list_manual_measures, manual_info

        manual = list_manual_measures(session, viewer=viewer, team_id=team_id)
        infos += [manual_info(measure) for measure in manual]
    return infos


def units_of(session: Session, level: Level) -> dict[int, Unit]:
    """Every unit of a level with its teams (one small query over the organisation tables)."""
    rows = session.execute(
        select(col(Team.id), col(Team.name), col(Organisation.id), col(Organisation.name))
        .add_columns(col(LearningNetwork.id), col(LearningNetwork.name))
        .join(Organisation, col(Organisation.id) == col(Team.organisation_id))
        .join(LearningNetwork, col(LearningNetwork.id) == col(Organisation.network_id))
    ).all()
    units: dict[int, tuple[str, set[int]]] = {}
    for team_id, team_name, org_id, org_name, network_id, network_name in rows:
        key, name = {
            Level.team: (team_id, team_name),
            Level.organisation: (org_id, org_name),
            Level.network: (network_id, network_name),
            Level.all: (0, _("All teams")),
        }[level]
        units.setdefault(int(key), (name, set()))[1].add(int(team_id))
    return {key: Unit(key, name, frozenset(teams)) for key, (name, teams) in units.items()}


def may_see_unit(viewer: Viewer, unit: Unit, *, level: Level, core: bool) -> bool:
    """Whether the viewer may see a unit's aggregates (see the module docstring)."""
    if unit.team_ids and unit.team_ids <= viewer.aggregate_team_ids:
        return True
    comparing = core and viewer.has_role(Role.coordinator.value, Role.admin.value)
    return level != Level.team and comparing


def suppresses_for(viewer: Viewer, unit: Unit) -> bool:
    """Whether small counts are hidden from this viewer for this unit."""
    return not (unit.team_ids and unit.team_ids <= viewer.patient_team_ids)


def suppressed(row: CountRow | None, *, kind: str, threshold: int) -> bool:
    """Whether a period's counts are small enough to identify people."""
    if row is None:
        return False
    if kind == "count":
        small = [row.numerator]
    elif kind == "mean":
        small = [row.denominator]
    else:  # a proportion: the part not in the numerator could be worked out too
        small = [row.numerator, row.denominator, row.denominator - row.numerator]
    return any(0 < value < threshold for value in small)


def resolve_range(period: str, start: date | None, end: date | None, now: datetime) -> Window:
    """Check a requested range and return the window of local due dates it covers."""
    if period not in ("week", "month"):
        raise MeasureRequestError(_("The period must be 'week' or 'month'."))
    today = now.astimezone(get_settings().zone).date()
    end = end or today
    start = start or end - DEFAULT_SPAN[period]
    if start > end:
        raise MeasureRequestError(_("The start date is after the end date."))
    starts = periods_between(start, end, period)
    if len(starts) > MAX_PERIODS:
        raise MeasureRequestError(_("Ask for at most {n} periods at a time.").format(n=MAX_PERIODS))
    return Window(
        first_day=starts[0],
        last_day=period_end(starts[-1], period),
        now=now,
        by_week=period == "week",
        by_month=period == "month",
    )


def combined_window(
    periods: Sequence[str], start: date | None, end: date | None, now: datetime
) -> tuple[dict[str, Window], Window]:
    """The window of each period type, and one window covering them all (for one query)."""
    windows = {period: resolve_range(period, start, end, now) for period in periods}
    window = Window(
        first_day=min(w.first_day for w in windows.values()),
        last_day=max(w.last_day for w in windows.values()),
        now=now,
        by_week="week" in windows,
        by_month="month" in windows,
    )
    return windows, window


def phase_labels(
    starts: Sequence[date], notes: Sequence[Annotation], period: str, last_day: date
) -> tuple[list[str | None], list[AnnotationMark]]:
    """Part labels per period (a phase starts at the first period on/after its change)."""
    labels: list[str | None] = [None] * len(starts)
    marks: list[AnnotationMark] = []
    for note in sorted(notes, key=lambda n: (n.happened_on, n.id or 0)):
        if starts and starts[0] <= note.happened_on <= last_day:
            holding = max(i for i, start in enumerate(starts) if start <= note.happened_on)
            marks.append(
                AnnotationMark(
                    id=int(note.id or 0),
                    happened_on=note.happened_on,
                    period=period_label(starts[holding], period),
                    title=note.title,
                    starts_phase=note.starts_phase,
                )
            )
        first = next((i for i, start in enumerate(starts) if start >= note.happened_on), None)
        if note.starts_phase and first is not None:
            label = f"{note.happened_on.isoformat()} {note.title}"
            labels[first:] = [label] * (len(starts) - first)
    return labels, marks


def team_annotations(
    session: Session, *, team_ids: Sequence[int], measure_key: str, last: date
) -> dict[int, list[Annotation]]:
    """Teams' annotations on one measure (or on all) up to a date, by team, in one query."""
    found: dict[int, list[Annotation]] = {team_id: [] for team_id in team_ids}
    if not team_ids:
        return found
    for note in session.exec(
        select(Annotation)
        .where(col(Annotation.team_id).in_(list(team_ids)))
        .where(col(Annotation.measure_key).is_(None) | (Annotation.measure_key == measure_key))
        .where(col(Annotation.happened_on) <= last)
    ).all():
        found[note.team_id].append(note)
    return found


def build_chart(
    *,
    info: MeasureInfo,
    level: Level,
    unit: Unit,
    period: str,
    window: Window,
    rows: dict[date, CountRow],
    hide_small: bool,
    notes: Sequence[Annotation] = (),
    chart: str | None = None,
    rules: RuleSet = "anhoej",
) -> MeasureChart:
    """Turn counts per period into a computed chart, suppressing and flagging as needed."""
    threshold = get_settings().suppression_threshold
    starts = periods_between(window.first_day, window.last_day, period)
    labels, marks = phase_labels(starts, notes, period, window.last_day)
    today = window.today
    series: list[SeriesPoint] = []
    hidden: list[bool] = []
    pending: list[int | None] = []
    for start, label in zip(starts, labels, strict=True):
        row = rows.get(start)
        hide = hide_small and suppressed(row, kind=info.type, threshold=threshold)
        waiting = row.pending if row else 0
        numerator = row.numerator if row and row.denominator > 0 and not hide else None
        denominator = row.denominator if row and not hide else None
        series.append(
            SeriesPoint(
                period=period_label(start, period),
                numerator=numerator,
                denominator=None if info.type == "count" else denominator,
                part=label,
                incomplete=period_end(start, period) >= today or waiting > 0,
            )
        )
        hidden.append(hide)
        pending.append(None if hide_small and 0 < waiting < threshold else waiting)
    chart_type: ChartType = chart or info.chart  # type: ignore[assignment]
    multiply = 100.0 if info.type == "proportion" else 1.0
    result = compute_chart(series, chart=chart_type, rules=rules, multiply=multiply)
    points = [  # built from checked values: no need to validate each again
        MeasurePoint.model_construct(
            period=p.period,
            period_start=start,
            numerator=None if hide else p.numerator,
            denominator=None
            if hide or start not in rows or info.type == "count"
            else rows[start].denominator,
            pending=waiting,
            value=p.value,
            centre=p.centre,
            lower=p.lower,
            upper=p.upper,
            part=p.part,
            signals=list(p.signals),
            sigma_signal=p.sigma_signal,
            runs_signal=p.runs_signal,
            incomplete=p.incomplete,
            suppressed=hide,
        )
        for p, start, hide, waiting in zip(result.points, starts, hidden, pending, strict=True)
    ]
    return MeasureChart(
        measure=info,
        level=level,
        unit_id=unit.id,
        unit_name=unit.name,
        period=period,
        start=window.first_day,
        end=window.last_day,
        chart=chart_type,
        points=points,
        parts=result.parts,
        findings=result.findings_in(current_language()),
        annotations=marks,
        result=result,
    )


def check_chart_type(info: MeasureInfo, chart: str | None) -> None:
    """Refuse a chart type that does not fit the measure's type."""
    if chart is not None and chart not in CHARTS_FOR_TYPE[info.type]:
        allowed = ", ".join(CHARTS_FOR_TYPE[info.type])
        raise MeasureRequestError(
            _("This measure is drawn as one of: {charts}.").format(charts=allowed)
        )


def unit_series(
    session: Session,
    *,
    viewer: Viewer,
    measure_id: str,
    level: Level,
    periods: Sequence[str],
    start: date | None,
    end: date | None,
    now: datetime,
    unit_ids: Sequence[int] | None = None,
    chart: str | None = None,
    rules: RuleSet = "anhoej",
) -> list[MeasureChart]:
    """Charts of a catalogue measure for many units and period types, from one SQL query."""
    if measure_id.startswith(MANUAL_PREFIX):
        from app.measures.manual import manual_series

        return [
            manual_series(
                session,
                viewer=viewer,
                measure_id=measure_id,
                period=period,
                start=start,
                end=end,
                now=now,
                chart=chart,
                rules=rules,
            )
            for period in periods
        ]
    measure = catalogue_measure(measure_id)
    info = measure_info(measure)
    check_chart_type(info, chart)
    for period in periods:
        if period not in measure.periods:
            raise MeasureRequestError(
                _("This measure is counted by {periods}, not by {period}.").format(
                    periods=", ".join(_(p) for p in measure.periods), period=_(period)
                )
            )
    windows, window = combined_window(periods, start, end, now)
    units = units_of(session, level)
    wanted = units.keys() if unit_ids is None else [u for u in unit_ids if u in units]
    visible = [
        units[u] for u in wanted if may_see_unit(viewer, units[u], level=level, core=measure.core)
    ]
    if unit_ids is not None and len(visible) < len(unit_ids):
        raise Forbidden(_("You do not have access to this unit's measures."))
    if not visible:
        return []
    team_ids = sorted(frozenset().union(*(unit.team_ids for unit in visible)))
    rows = count_items(
        session,
        measure,
        level=level,
        window=window,
        unit_ids=[unit.id for unit in visible] if unit_ids is not None else None,
        team_ids=team_ids if unit_ids is not None else None,
    )
    notes: dict[int, list[Annotation]] = {}
    if level == Level.team:  # tested changes belong to teams: phases only on team charts
        last = max(w.last_day for w in windows.values())
        notes = team_annotations(
            session, team_ids=[u.id for u in visible], measure_key=measure_id, last=last
        )
    charts = []
    for period, period_window in windows.items():
        by_unit = fold(rows, period)
        for unit in visible:
            charts.append(
                build_chart(
                    info=info,
                    level=level,
                    unit=unit,
                    period=period,
                    window=period_window,
                    rows=by_unit.get(unit.id, {}),
                    hide_small=suppresses_for(viewer, unit),
                    notes=notes.get(unit.id, []),
                    chart=chart,
                    rules=rules,
                )
            )
    return charts


def fold(rows: Sequence[CountRow], period: str) -> dict[int, dict[date, CountRow]]:
    """Add up rows grouped by week and month into one period type, per unit."""
    totals: dict[int, dict[date, list[float]]] = {}
    for row in rows:
        start = row.week if period == "week" else row.month
        if start is None:
            continue
        entry = totals.setdefault(row.unit_id, {}).setdefault(start, [0.0, 0.0, 0])
        entry[0] += row.numerator
        entry[1] += row.denominator
        entry[2] += row.pending
    return {
        unit: {
            start: CountRow(unit, None, None, num, den, int(pend))
            for start, (num, den, pend) in periods.items()
        }
        for unit, periods in totals.items()
    }


def measure_series(
    session: Session,
    *,
    viewer: Viewer,
    measure_id: str,
    level: Level,
    unit_id: int,
    period: str | None,
    start: date | None,
    end: date | None,
    now: datetime,
    chart: str | None = None,
    rules: RuleSet = "anhoej",
) -> MeasureChart:
    """The chart of one measure for one unit and period type (None: the measure's default)."""
    level = Level(level)
    if period is None:
        period = describe_measure(session, viewer=viewer, measure_id=measure_id).default_period
    if level == Level.all:
        unit_id = 0
    if level != Level.all and unit_id not in units_of(session, level):
        raise MeasureNotFound(_("There is no such team, organisation or network."))
    charts = unit_series(
        session,
        viewer=viewer,
        measure_id=measure_id,
        level=level,
        periods=[period],
        start=start,
        end=end,
        now=now,
        unit_ids=[unit_id],
        chart=chart,
        rules=rules,
    )
    if not charts:
        raise Forbidden(_("You do not have access to this unit's measures."))
    return charts[0]


class ItemBehind(BaseModel):
    """One counted item behind a point: whose, what, when due, and how it counted."""

    patient_id: int
    patient_label: str
    item_id: int
    what: str
    status: str
    due_date: date
    window_start: datetime | None
    window_end: datetime | None
    done_at: datetime | None
    in_numerator: bool
    in_denominator: bool
    pending: bool


def points_behind(
    session: Session,
    *,
    viewer: Viewer,
    measure_id: str,
    team_id: int,
    period: str,
    period_start: date,
    now: datetime | None = None,
) -> list[ItemBehind]:
    """The items counted in one point of a team's chart (team members only; audited)."""
    now = now or utcnow()
    measure = catalogue_measure(measure_id)
    if not viewer.may_see_patients_of(team_id):
        raise Forbidden(_("Only members of the team may see the patients behind a point."))
    if period not in measure.periods:
        raise MeasureRequestError(
            _("This measure is not counted by {period}.").format(period=_(period))
        )
    if period == "week":
        start = period_start - timedelta(days=period_start.weekday())
    else:
        start = period_start.replace(day=1)
    window = Window(
        first_day=start,
        last_day=period_end(start, period),
        now=now,
        by_week=period == "week",
        by_month=period == "month",
    )
    rows = item_rows(
        session, measure, window=window, team_id=team_id, period=period, period_start=start
    )
    items = [
        ItemBehind(
            patient_id=int(row.patient_id),
            patient_label=row.label,
            item_id=int(row.item_id),
            what=str(row.what),
            status=_shown_status(str(row.status), row.window_end, now),
            due_date=row.due_date
            if isinstance(row.due_date, date)
            else date.fromisoformat(str(row.due_date)[:10]),
            window_start=row.window_start,
            window_end=row.window_end,
            done_at=row.done_at,
            in_numerator=bool(row.numerator),
            in_denominator=bool(row.denominator),
            pending=bool(row.pending),
        )
        for row in rows
    ]
    for patient_id in sorted({item.patient_id for item in items}):
        record(
            session,
            viewer=viewer,
            action=AuditAction.read,
            patient_id=patient_id,
            what=f"measure {measure_id} items behind {period_label(start, period)}",
            detail=f"team {team_id}",
        )
    return items


def _shown_status(status: str, window_end: datetime | None, now: datetime) -> str:
    """An open checklist whose window has closed shows as missed."""
    open_statuses = (InstanceStatus.due.value, InstanceStatus.in_progress.value)
    if status in open_statuses and window_end is not None and window_end < now:
        return "missed"
    return status
