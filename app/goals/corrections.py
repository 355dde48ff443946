"""Correcting a PSFS rating entered wrong: the new value stands, the old one is kept."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.core.db import utcnow
from app.core.i18n import _
from app.goals.access import audit_access, visible_goal
from app.goals.errors import InvalidInput, NotVisible, StateConflict
from app.goals.models import GoalRating, GoalRatingCorrection
from app.goals.validation import rating_problems, too_long
from app.org.scope import Viewer


def correct_rating(
    session: Session,
    *,
    viewer: Viewer,
    goal_id: int,
    rated_on: date,
    rating: int,
    reason: str,
    now: datetime | None = None,
) -> GoalRating:
    """Correct a rating with a reason; the old value goes to the history, measures recompute."""
    _goal, _pathway, patient = visible_goal(session, viewer, goal_id, lock=True)
    stored = session.exec(
        select(GoalRating).where(GoalRating.goal_id == goal_id, GoalRating.rated_on == rated_on)
    ).first()
    if stored is None:
        raise NotVisible(_("The goal has no rating on that date."))
    reason = (reason or "").strip()
    problems = rating_problems(rating, stored.scale_direction)
    if not reason:
        problems["reason"] = _("Say why the rating is corrected.")
    elif message := too_long(_("Reason"), reason, 500):
        problems["reason"] = message
    if problems:
        raise InvalidInput(problems)
    if rating == stored.rating:
        raise StateConflict(
            _("The rating is already {rating}.").format(rating=rating), field="rating"
        )
    session.add(
        GoalRatingCorrection(
            rating_id=int(stored.id or 0),
            old_rating=stored.rating,
            new_rating=rating,
            reason=reason,
            corrected_by_id=viewer.user_id,
            corrected_at=now or utcnow(),
        )
    )
    stored.rating = rating
    session.add(stored)
    session.flush()
    audit_access(
        session,
        viewer,
        AuditAction.update,
        "goal rating corrected",
        patient,
        f"goal {goal_id} rating {rated_on.isoformat()}: {reason}",
    )
    return stored


def rating_corrections(session: Session, *, rating_ids: list[int]) -> list[GoalRatingCorrection]:
    """The corrections of these ratings, oldest first."""
    if not rating_ids:
        return []
    return list(
        session.exec(
            select(GoalRatingCorrection)
            .where(col(GoalRatingCorrection.rating_id).in_(rating_ids))
            .order_by(col(GoalRatingCorrection.corrected_at), col(GoalRatingCorrection.id))
        ).all()
    )
