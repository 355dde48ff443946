"""Measure series: counts from the SQL aggregate for the units a viewer may see, then their charts.

Who sees what is in ``access``; how one unit's chart is built, in ``chart_data``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from pydantic import BaseModel
from sqlmodel import Session

from app.audit.models import AuditAction
from app.audit.service import record
from app.charts import RuleSet
from app.checklists.models import InstanceStatus
from app.core.db import utcnow
from app.core.deps import Forbidden
from app.core.i18n import _, current_language
from app.measures.access import Unit, may_see_unit, suppresses_for
from app.measures.aggregate import Level, fold, item_rows
from app.measures.catalogue import MeasureDefinition, measures_in_use
from app.measures.chart_data import (
    MeasureChart,
    MeasureInfo,
    MeasureRequestError,
    build_chart,
    check_chart_type,
    combined_window,
)
from app.measures.chart_reads import ChartReads
from app.measures.item_labels import item_status, item_what
from app.measures.models import Annotation
from app.measures.periods import Window, period_end, period_label
from app.measures.suppression import protected_counts, refused_period, suppressed_period
from app.org.scope import Viewer

MANUAL_PREFIX = "manual:"


class MeasureNotFound(LookupError):
    """No measure (or unit) by that id that the viewer could see (404)."""


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
    reads: ChartReads | None = None,
) -> list[MeasureChart]:
    """Charts of a catalogue measure for many units and period types, from one SQL query;
    ``reads``: the page's reads, shared by its charts (one of its own without)."""
    reads = reads or ChartReads(session)
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
                reads=reads,
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
    units = reads.units(level)
    wanted = units.keys() if unit_ids is None else [u for u in unit_ids if u in units]
    visible = [
        units[u] for u in wanted if may_see_unit(viewer, units[u], level=level, core=measure.core)
    ]
    if unit_ids is not None and len(visible) < len(unit_ids):
        raise Forbidden(_("You do not have access to this unit's measures."))
    if not visible:
        return []
    hide = {unit.id: suppresses_for(viewer, unit) for unit in visible}
    if any(hide.values()):
        return _protected_series(
            session, viewer=viewer, measure=measure, level=level, windows=windows,
            visible=visible, hide=hide, chart=chart, rules=rules, reads=reads,
        )  # fmt: skip
    team_ids = sorted(frozenset().union(*(unit.team_ids for unit in visible)))
    rows = reads.counts(
        measure,
        level=level,
        window=window,
        unit_ids=[unit.id for unit in visible] if unit_ids is not None else None,
        team_ids=team_ids if unit_ids is not None else None,
    )
    notes: dict[int, list[Annotation]] = {}
    left_out: dict[int, dict[str, set[date]]] = {}
    infos = dict.fromkeys((u.id for u in visible), info)
    if level == Level.team:  # tested changes, exclusions, own goal lines: teams' charts only
        last = max(w.last_day for w in windows.values())
        team_ids = [u.id for u in visible]
        notes = reads.annotations(team_ids=team_ids, measure_key=measure_id, last=last)
        left_out = reads.exclusions(team_ids=team_ids, measure_key=measure_id)
        goals = reads.goals(team_ids=team_ids, measure_id=measure_id)
        for team_id, goal in goals.items():
            infos[team_id] = info.model_copy(update={"goal": goal})
    charts = []
    for period, period_window in windows.items():
        by_unit = fold(rows, period)
        for unit in visible:
            charts.append(
                build_chart(
                    info=infos[unit.id],
                    level=level,
                    unit=unit,
                    period=period,
                    window=period_window,
                    rows=by_unit.get(unit.id, {}),
                    hide_small=False,
                    notes=notes.get(unit.id, []),
                    chart=chart,
                    rules=rules,
                    excluded=left_out.get(unit.id, {}).get(period, ()),
                )
            )
    return charts


def _protected_series(
    session: Session,
    *,
    viewer: Viewer,
    measure: MeasureDefinition,
    level: Level,
    windows: dict[str, Window],
    visible: Sequence[Unit],
    hide: dict[int, bool],
    chart: str | None,
    rules: RuleSet,
    reads: ChartReads,
) -> list[MeasureChart]:
    """Charts for a viewer who gets some units suppressed (``suppression``: by month only)."""
    for period in windows:
        refusal = refused_period(period, measure.periods)
        if refusal:
            raise MeasureRequestError(refusal)
    notes: dict[int, list[Annotation]] = {}
    left_out: dict[int, dict[str, set[date]]] = {}
    if level == Level.team:
        last = max(w.last_day for w in windows.values())
        team_ids = [u.id for u in visible]
        notes = reads.annotations(team_ids=team_ids, measure_key=measure.id, last=last)
        left_out = reads.exclusions(team_ids=team_ids, measure_key=measure.id)
    info = measure_info(measure)
    charts = []
    for period, window in windows.items():
        found = protected_counts(
            session, viewer=viewer, measure=measure, level=level, period=period, window=window,
            reads=reads,
        )  # fmt: skip
        for unit in visible:
            charts.append(
                build_chart(
                    info=info,
                    level=level,
                    unit=unit,
                    period=period,
                    window=window,
                    rows=found.rows.get(unit.id, {}),
                    hide_small=hide[unit.id],
                    hidden=found.hidden.get(unit.id, frozenset()) if hide[unit.id] else None,
                    notes=notes.get(unit.id, []),
                    chart=chart,
                    rules=rules,
                    excluded=left_out.get(unit.id, {}).get(period, ()),
                )
            )
    return charts


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
    if level == Level.all:
        unit_id = 0
    reads = ChartReads(session)
    units = reads.units(level)
    if level != Level.all and unit_id not in units:
        raise MeasureNotFound(_("There is no such team, organisation or network."))
    if period is None:
        info = describe_measure(session, viewer=viewer, measure_id=measure_id)
        period = info.default_period
        unit = units.get(unit_id)
        if not info.manual and unit is not None and suppresses_for(viewer, unit):
            period = suppressed_period(info.periods)
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
        reads=reads,
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
    what_label: str
    status: str
    status_label: str
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
    items = []
    for row in rows:
        status = _shown_status(str(row.status), row.window_end, now)
        items.append(
            ItemBehind(
                patient_id=int(row.patient_id),
                patient_label=row.label,
                item_id=int(row.item_id),
                what=str(row.what),
                what_label=item_what(str(row.what)),
                status=status,
                status_label=item_status(status),
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
        )
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
