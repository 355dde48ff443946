"""JSON API for correcting a PSFS rating entered wrong (the old value is kept)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from app.audit.patient_data import PATIENT_DATA
from app.core.deps import CurrentViewer, SessionDep
from app.core.text import MultiLineText
from app.goals.api import GOAL_CONFLICT, INVALID, NOT_VISIBLE, _error, _stored_rating
from app.goals.corrections import correct_rating
from app.goals.errors import GoalsError
from app.goals.forms import Rating
from app.goals.schemas import RatingPublic

router = APIRouter(prefix="/api/v1", tags=["goals"], dependencies=[PATIENT_DATA])


class RatingCorrection(BaseModel):
    """The right value of a rating entered wrong, and why it is corrected."""

    rating: Rating = Field(description="0 to 10 on the scale the rating was taken on.")
    reason: Annotated[MultiLineText, Field(min_length=1, max_length=500)]


class RatingCorrectionForm(RatingCorrection):
    """The page's correction form: which day's rating, its right value and why."""

    rated_on: date


@router.patch(
    "/goals/{goal_id}/ratings/{rated_on}",
    responses={**NOT_VISIBLE, **INVALID, **GOAL_CONFLICT},
    response_model=RatingPublic,
)
def update_rating(
    goal_id: int, rated_on: date, body: RatingCorrection, session: SessionDep, viewer: CurrentViewer
) -> RatingPublic | Response:
    """Correct the rating of one day with a reason; the old value is kept in the history."""
    try:
        rating = correct_rating(
            session,
            viewer=viewer,
            goal_id=goal_id,
            rated_on=rated_on,
            rating=body.rating,
            reason=body.reason,
        )
    except GoalsError as exc:
        return _error(exc)
    return _stored_rating(rating)
