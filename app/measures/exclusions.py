"""Points left out of a team's chart as known special causes (a flood, a system outage).

An excluded point is still drawn (as a cross) but takes no part in the centre line, the limits
or the rules (``app.charts.analysis``). Only the team's improvement team (the team role on
that team) excludes a point or takes it back, with a reason; both are audited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.deps import Forbidden
from app.core.i18n import _
from app.measures.following import followed_measures
from app.measures.manual import list_manual_measures, manual_id, team_role_ids
from app.measures.models import PointExclusion
from app.measures.periods import parse_period, period_label
from app.measures.service import MeasureNotFound, measure_info
from app.org.scope import Viewer


class ExclusionInvalid(ValueError):
    """What is wrong with an exclusion: field name → message (422)."""

    def __init__(self, problems: dict[str, str]) -> None:
        """Keep the problems by field."""
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class ExclusionFields:
    """Which point of which measure is left out, and why."""

    measure_key: str
    period: str
    reason: str


def team_measure_periods(
    session: Session, *, viewer: Viewer, team_id: int
) -> dict[str, tuple[str, tuple[str, ...]]]:
    """The measures of a team (catalogue ones it follows, then its own): id → (title, periods)."""
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for measure in followed_measures(session, team_id=team_id):
        found[measure.id] = (measure_info(measure).title, tuple(measure.periods))
    for manual in list_manual_measures(session, viewer=viewer, team_id=team_id):
        found[manual_id(manual)] = (manual.title, (manual.period_type,))
    return found


def list_exclusions(session: Session, *, viewer: Viewer, team_id: int) -> list[PointExclusion]:
    """A team's excluded points, newest period first."""
    if team_id not in viewer.aggregate_team_ids:
        raise Forbidden(_("You do not have access to this team's measures."))
    return list(
        session.exec(
            select(PointExclusion)
            .where(PointExclusion.team_id == team_id)
            .order_by(col(PointExclusion.period_start).desc(), col(PointExclusion.id).desc())
        ).all()
    )


def _audit(
    session: Session, viewer: Viewer, action: AuditAction, exclusion: PointExclusion
) -> None:
    """Record that a point was excluded or taken back, with what it was."""
    values = {
        "measure_key": exclusion.measure_key,
        "period": period_label(exclusion.period_start, exclusion.period_type),
        "reason": exclusion.reason,
    }
    before, after = (values, None) if action == AuditAction.delete else (None, values)
    record(
        session,
        viewer=viewer,
        action=action,
        what=f"excluded point {exclusion.id} of team {exclusion.team_id}",
        detail=json.dumps({"before": before, "after": after}, ensure_ascii=False),
    )


def exclude_point(
    session: Session, *, viewer: Viewer, team_id: int, fields: ExclusionFields
) -> PointExclusion:
    """Leave one period of a team's measure out of its chart's calculations, with a reason."""
    if team_id not in team_role_ids(viewer):
        raise Forbidden(_("Only the team's improvement team may exclude points."))
    problems: dict[str, str] = {}
    measures = team_measure_periods(session, viewer=viewer, team_id=team_id)
    if fields.measure_key not in measures:
        problems["measure_key"] = _("Choose one of the team's measures.")
    kind, start = "", date.min
    try:
        kind, start = parse_period(fields.period)
    except ValueError:
        problems["period"] = _("Write the period like 2026-W05 or 2026-03.")
    today = utcnow().astimezone(get_settings().zone).date()
    if "period" not in problems and start > today:
        problems["period"] = _("This period has not begun yet.")
    elif "period" not in problems and "measure_key" not in problems:
        periods = measures[fields.measure_key][1]
        if kind not in periods:
            problems["period"] = _("This measure is counted by {periods}, not by {period}.").format(
                periods=", ".join(_(p) for p in periods), period=_(kind)
            )
    if not fields.reason.strip():
        problems["reason"] = _("Say what the known special cause was.")
    if (
        not problems
        and session.exec(
            select(PointExclusion.id)
            .where(PointExclusion.team_id == team_id)
            .where(PointExclusion.measure_key == fields.measure_key)
            .where(PointExclusion.period_type == kind)
            .where(PointExclusion.period_start == start)
        ).first()
    ):
        problems["period"] = _("This point is already excluded.")
    if problems:
        raise ExclusionInvalid(problems)
    exclusion = PointExclusion(
        team_id=team_id,
        measure_key=fields.measure_key,
        period_type=kind,
        period_start=start,
        reason=fields.reason.strip(),
        created_by_id=viewer.user_id,
    )
    session.add(exclusion)
    session.flush()
    _audit(session, viewer, AuditAction.create, exclusion)
    return exclusion


def restore_point(session: Session, *, viewer: Viewer, exclusion_id: int) -> PointExclusion:
    """Take an excluded point back into its chart's calculations."""
    exclusion = session.get(PointExclusion, exclusion_id)
    if exclusion is None or exclusion.team_id not in viewer.aggregate_team_ids:
        raise MeasureNotFound(_("There is no such excluded point."))
    if exclusion.team_id not in team_role_ids(viewer):
        raise Forbidden(_("Only the team's improvement team may exclude points."))
    _audit(session, viewer, AuditAction.delete, exclusion)
    session.delete(exclusion)
    session.flush()
    return exclusion
