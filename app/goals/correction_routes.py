"""The page's form for correcting a PSFS rating entered wrong (the old value is kept)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.audit.patient_data import PATIENT_DATA
from app.core.deps import SessionDep
from app.goals.corrections import correct_rating
from app.goals.corrections_api import RatingCorrectionForm
from app.goals.routes import PatientWorker, PostedForm, _submit

router = APIRouter(include_in_schema=False, dependencies=[PATIENT_DATA])


@router.post("/pathways/{pathway_id}/what-matters/goals/{goal_id}/ratings/correct")
def update_rating_from_form(
    request: Request,
    pathway_id: int,
    goal_id: int,
    session: SessionDep,
    viewer: PatientWorker,
    form: PostedForm,
) -> Response:
    """Correct one day's rating of a goal with a reason, from the page's form."""

    def save(data: RatingCorrectionForm) -> object:
        """Save the parsed form through the service."""
        return correct_rating(session, viewer=viewer, goal_id=goal_id, **data.model_dump())

    return _submit(
        request,
        session,
        viewer,
        pathway_id,
        form,
        model=RatingCorrectionForm,
        key=f"correct-{goal_id}",
        save=save,
        saved="rating_corrected",
    )
