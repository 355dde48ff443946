"""JSON API for follow-ups: list a pathway's, mark one done or not needed."""

from __future__ import annotations

from fastapi import APIRouter

from app.audit.patient_data import PATIENT_DATA
from app.core.deps import ERROR_RESPONSES, CurrentViewer, SessionDep
from app.core.i18n import current_language
from app.pathways.events import get_pathway
from app.risks.forms import FollowUpDone, FollowUpNotNeeded, FollowUpPublic
from app.risks.models import FollowUp
from app.risks.rules import risk_rules_in_use
from app.risks.service import (
    effective_status,
    mark_done,
    mark_not_needed,
    pathway_follow_ups,
)

router = APIRouter(prefix="/api/v1", tags=["follow-ups"], dependencies=[PATIENT_DATA])


def public(follow_up: FollowUp) -> FollowUpPublic:
    """A follow-up as the API shows it, with its rule's texts in the user's language."""
    rule = risk_rules_in_use().get(follow_up.rule_id)
    language = current_language()
    return FollowUpPublic(
        id=int(follow_up.id or 0),
        pathway_id=follow_up.pathway_id,
        instance_id=follow_up.instance_id,
        rule_id=follow_up.rule_id,
        risk=rule.title.get(language) if rule else follow_up.rule_id,
        action=rule.action.get(language) if rule else follow_up.rule_id,
        help=rule.help.get(language) if rule else "",
        owner=follow_up.owner,
        team_id=follow_up.team_id,
        status=effective_status(follow_up),
        window_start=follow_up.window_start,
        window_end=follow_up.window_end,
        due_date=follow_up.due_date,
        done_at=follow_up.done_at,
        recorded_at=follow_up.recorded_at,
        not_needed_reason=follow_up.not_needed_reason,
        version=follow_up.version,
    )


@router.get("/pathways/{pathway_id}/follow-ups", responses=ERROR_RESPONSES)
def read_follow_ups(
    pathway_id: int, session: SessionDep, viewer: CurrentViewer
) -> list[FollowUpPublic]:
    """List a pathway's follow-ups, open ones first."""
    pathway, patient = get_pathway(session, viewer=viewer, pathway_id=pathway_id)
    views = pathway_follow_ups(session, viewer=viewer, pathway=pathway, patient=patient)
    return [public(view.follow_up) for view in views]


@router.post("/follow-ups/{follow_up_id}/done", responses=ERROR_RESPONSES)
def create_follow_up_done(
    follow_up_id: int, body: FollowUpDone, session: SessionDep, viewer: CurrentViewer
) -> FollowUpPublic:
    """Mark a follow-up done, with when the work was done (now when left out)."""
    follow_up = mark_done(
        session,
        viewer=viewer,
        follow_up_id=follow_up_id,
        expected_version=body.version,
        done_at=body.done_at,
    )
    return public(follow_up)


@router.post("/follow-ups/{follow_up_id}/not-needed", responses=ERROR_RESPONSES)
def create_follow_up_not_needed(
    follow_up_id: int, body: FollowUpNotNeeded, session: SessionDep, viewer: CurrentViewer
) -> FollowUpPublic:
    """Mark a follow-up not needed, with the reason; it leaves the measures."""
    follow_up = mark_not_needed(
        session,
        viewer=viewer,
        follow_up_id=follow_up_id,
        expected_version=body.version,
        reason=body.reason,
    )
    return public(follow_up)
