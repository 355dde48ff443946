"""What a pathway's end, reopening or transfer does to its follow-ups (like its checklists)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.risks.models import CancelCause, FollowUp, FollowUpStatus


def cancel_follow_ups_after_end(session: Session, *, pathway_id: int, ended_at: datetime) -> int:
    """Cancel a pathway's open follow-ups that would fall due after its end; they count nowhere."""
    cancelled = 0
    for follow_up in session.exec(
        select(FollowUp)
        .where(FollowUp.pathway_id == pathway_id)
        .where(FollowUp.status == FollowUpStatus.open.value)
        .where(col(FollowUp.window_end) > ended_at)
    ).all():
        follow_up.status = FollowUpStatus.cancelled.value
        follow_up.cancel_cause = CancelCause.pathway_ended.value
        follow_up.version += 1
        session.add(follow_up)
        cancelled += 1
    return cancelled


def restore_follow_ups_after_end(session: Session, *, pathway_id: int) -> int:
    """Give back the follow-ups a pathway's end cancelled (open again)."""
    restored = 0
    for follow_up in session.exec(
        select(FollowUp)
        .where(FollowUp.pathway_id == pathway_id)
        .where(FollowUp.cancel_cause == CancelCause.pathway_ended.value)
    ).all():
        follow_up.status, follow_up.cancel_cause = FollowUpStatus.open.value, None
        follow_up.version += 1
        session.add(follow_up)
        restored += 1
    return restored


def move_follow_ups(
    session: Session, *, pathway_id: int, team_id: int, effective_at: datetime
) -> int:
    """Give a transferred pathway's follow-ups whose windows end after the transfer to the new
    team (counted where the responsibility lies when the window ends)."""
    moved = 0
    for follow_up in session.exec(
        select(FollowUp)
        .where(FollowUp.pathway_id == pathway_id)
        .where(col(FollowUp.window_end) > effective_at)
    ).all():
        follow_up.team_id = team_id
        follow_up.version += 1
        session.add(follow_up)
        moved += 1
    return moved


def cancel_follow_ups_of(session: Session, *, instance_ids: list[int]) -> int:
    """Cancel the open follow-ups raised by checklists whose event was cancelled."""
    if not instance_ids:
        return 0
    cancelled = 0
    for follow_up in session.exec(
        select(FollowUp)
        .where(col(FollowUp.instance_id).in_(instance_ids))
        .where(FollowUp.status == FollowUpStatus.open.value)
    ).all():
        follow_up.status = FollowUpStatus.cancelled.value
        follow_up.cancel_cause = CancelCause.event_cancelled.value
        follow_up.version += 1
        session.add(follow_up)
        cancelled += 1
    return cancelled
