"""Follow-ups for the demo: risks found in completed checklists and what became of them.

The demo's checklists carry no answers, so the risks are drawn: each risk rule is met in a
share of the completed checklists it looks at, found when the work was done. Closed windows
hold follow-ups done in time, done late, not needed (with a reason) and missed; open windows
hold open ones and some already done; an open one whose pathway ended before it fell due
is cancelled, as ending the pathway would have done (DESIGN.md §13).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session, col

from app.checklists.models import ChecklistInstance, InstanceStatus
from app.core.config import get_settings
from app.pathways.models import Pathway
from app.pathways.scheduling import attribution_dates
from app.risks.models import CancelCause, FollowUp, FollowUpStatus
from app.risks.rules import RiskRule, risk_rules_in_use

# How often each shipped rule is met in a checklist it looks at (others: DEFAULT_SHARE).
RISK_SHARE = {
    "falls": 0.30,
    "medication-review": 0.35,
    "nutrition": 0.20,
    "pressure-ulcer": 0.15,
    "home-safety": 0.10,
}
DEFAULT_SHARE = 0.15
NOT_NEEDED_REASONS = (
    "Allerede fulgt opp av fastlegen.",
    "Pasienten ønsket ikke tiltaket nå.",
    "Vurdert på nytt: risikoen var ikke til stede.",
)
STILL_MISSED = timedelta(days=60)  # a missed follow-up older than this was done late after all
CHUNK = 5000


def _closed(rng: random.Random, row: dict[str, Any], now: datetime, found: datetime) -> None:
    """Give a follow-up whose window has closed its fate: in time, late, not needed or missed."""
    start, end = row["window_start"], row["window_end"]
    draw = rng.random()
    if draw < 0.70:
        row["done_at"] = start + (end - start) * rng.uniform(0.1, 0.95)
    elif draw < 0.82:
        row["done_at"] = min(end + timedelta(days=rng.uniform(1, 12)), now - timedelta(hours=1))
    elif draw < 0.90:
        row["status"] = FollowUpStatus.not_needed.value
        row["not_needed_reason"] = rng.choice(NOT_NEEDED_REASONS)
        row["recorded_at"] = min(found + timedelta(days=rng.uniform(0.5, 5)), now)
        return
    elif end > now - STILL_MISSED:
        return  # still open: missed (recently; older ones were seen to, late, in the end)
    else:
        row["done_at"] = end + (now - end) * rng.uniform(0.05, 0.5)
    row["status"] = FollowUpStatus.done.value
    row["recorded_at"] = min(row["done_at"] + timedelta(hours=rng.uniform(0.5, 30)), now)


def _still_open(rng: random.Random, row: dict[str, Any], now: datetime) -> None:
    """A follow-up whose window is still open: mostly open, some done already."""
    if row["window_start"] < now and rng.random() < 0.35:
        row["status"] = FollowUpStatus.done.value
        row["done_at"] = row["window_start"] + (now - row["window_start"]) * rng.uniform(0.1, 0.9)
        row["recorded_at"] = row["done_at"]


def _follow_up(
    rng: random.Random, rule: RiskRule, instance: Any, now: datetime, user_id: int | None
) -> dict[str, Any]:
    """One follow-up row for a rule met in a completed checklist."""
    found = instance.performed_at
    start, end = rule.window(found, get_settings().zone)
    dates = attribution_dates(end)
    row: dict[str, Any] = {
        "pathway_id": instance.pathway_id,
        "instance_id": instance.id,
        "team_id": instance.team_id,
        "rule_id": rule.id,
        "owner": rule.owner,
        "status": FollowUpStatus.open.value,
        "window_start": start,
        "window_end": end,
        "due_date": dates.due_date,
        "due_week": dates.due_week,
        "due_month": dates.due_month,
        "done_at": None,
        "recorded_at": None,
        "done_by_id": None,
        "not_needed_reason": None,
        "cancel_cause": None,
        "version": 1,
    }
    if end < now:
        _closed(rng, row, now, found)
    else:
        _still_open(rng, row, now)
    if row["status"] == FollowUpStatus.done.value:
        row["done_by_id"] = user_id
    ended = instance.ended_on
    if ended is not None and row["status"] == FollowUpStatus.open.value:
        ended_at = datetime(ended.year, ended.month, ended.day, 12, tzinfo=get_settings().zone)
        if end > ended_at:  # the end of the pathway cancelled what would fall due after it
            row["status"] = FollowUpStatus.cancelled.value
            row["cancel_cause"] = CancelCause.pathway_ended.value
    return row


def seed_follow_ups(session: Session, *, seed: int, today: date, user_id: int | None) -> int:
    """Draw the follow-ups of the demo's completed checklists; return how many were written."""
    rng = random.Random(seed * 31 + 16)
    now = datetime(today.year, today.month, today.day, 12, tzinfo=get_settings().zone)
    now = now.astimezone(UTC)
    rules = [rule for rule in risk_rules_in_use().all() if rule.network is None]
    by_checklist: dict[str, list[RiskRule]] = {}
    for rule in rules:
        for checklist_id in sorted(rule.checklists()):
            by_checklist.setdefault(checklist_id, []).append(rule)
    ci: Any = ChecklistInstance
    instances = session.execute(
        select(
            ci.id,
            ci.pathway_id,
            ci.team_id,
            ci.definition_id,
            ci.performed_at,
            col(Pathway.ended_on),
        )
        .join(Pathway, col(Pathway.id) == col(ci.pathway_id))
        .where(col(ci.definition_id).in_(sorted(by_checklist)))
        .where(ci.status == InstanceStatus.completed.value)
        .where(col(ci.performed_at).is_not(None))
        .where(col(ci.event_cancelled).is_(False))
        .order_by(col(ci.id))
    ).all()
    written, rows = 0, []
    for instance in instances:
        for rule in by_checklist[instance.definition_id]:
            if rng.random() < RISK_SHARE.get(rule.id, DEFAULT_SHARE):
                rows.append(_follow_up(rng, rule, instance, now, user_id))
        if len(rows) >= CHUNK:
            session.execute(insert(FollowUp), rows)
            written, rows = written + len(rows), []
    if rows:
        session.execute(insert(FollowUp), rows)
        written += len(rows)
    session.flush()
    return written
