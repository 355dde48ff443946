"""The 'Hva er viktig for deg?' page: the patient's words, PSFS goals, ratings and their forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from starlette.datastructures import FormData

from app.audit.patient_data import PATIENT_DATA
from app.core.deps import SessionDep, require_roles
from app.core.i18n import _
from app.core.templating import render
from app.goals.errors import GoalsError, NotVisible, VersionConflict
from app.goals.forms import (
    ConversationIn,
    ConversationUpdate,
    GoalAchieve,
    GoalChange,
    GoalDrop,
    GoalIn,
    RatingIn,
    parse_form,
)
from app.goals.service import (
    achieve_goal,
    change_goal,
    create_goal,
    drop_goal,
    participant_choices,
    rate_goal,
    record_conversation,
    update_conversation,
    what_matters_page,
)
from app.org.models import Role
from app.org.scope import Viewer

router = APIRouter(include_in_schema=False, dependencies=[PATIENT_DATA])
PatientWorker = Annotated[Viewer, Depends(require_roles(Role.nurse.value, Role.team.value))]
FormModel = TypeVar("FormModel", bound=BaseModel)


async def _posted_form(request: Request) -> FormData:
    """The posted form, read once (so the routes themselves can stay synchronous)."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(_posted_form)]


def _saved_message(kind: str | None) -> str | None:
    """The confirmation for what was just saved."""
    messages = {
        "conversation": _("The conversation is saved."),
        "goal": _("The goal is added."),
        "rating": _("The rating is saved."),
        "rating_corrected": _("The rating is corrected; the old value is kept in the history."),
        "achieved": _("The goal is marked as achieved."),
        "changed": _("The goal is changed; the old one is kept in the history."),
        "dropped": _("The goal is dropped; it is kept in the history."),
    }
    return messages.get(kind or "")


def _page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    pathway_id: int,
    *,
    errors: dict[str, dict[str, str]] | None = None,
    values: dict[str, dict[str, Any]] | None = None,
    status_code: int = 200,
    saved: str | None = None,
    checklist_instance_id: int | None = None,
) -> Response:
    """Render the page (or, for htmx, its main block) with any form messages."""
    try:
        page = what_matters_page(
            session,
            viewer=viewer,
            pathway_id=pathway_id,
            checklist_instance_id=checklist_instance_id,
        )
    except NotVisible as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    context = {
        "page": page,
        "what_matters": page.summary,
        "errors": errors or {},
        "values": values or {},
        "saved_message": _saved_message(saved),
        "participant_choices": participant_choices(),
        "hx_block": "what_matters",
    }
    return render(request, "goals/what_matters.html", context, status_code=status_code)


def _after_save(
    request: Request, pathway_id: int, kind: str, anchor: str, checklist_id: int | None
) -> Response:
    """303 back to the page (HX-Redirect for htmx), saying what was saved; a conversation
    recorded from a checklist goes back to the checklist, whose item it answers."""
    url = f"/pathways/{pathway_id}/what-matters?saved={kind}"
    if checklist_id and kind == "conversation":
        url, anchor = f"/checklists/{checklist_id}", "wm-item"
    elif checklist_id:
        url += f"&checklist_instance_id={checklist_id}"
    if request.headers.get("HX-Request"):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(f"{url}#{anchor}", status_code=303)


def _submit(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    pathway_id: int,
    form: FormData,
    *,
    model: type[FormModel],
    key: str,
    save: Callable[[FormModel], object],
    saved: str,
) -> Response:
    """Parse a form, save it through the service, or re-render the page with the messages."""
    parsed, problems, raw = parse_form(model, form)
    status_code = 422
    if parsed is not None:
        try:
            save(parsed)
        except NotVisible as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc
        except VersionConflict as exc:
            problems, raw, status_code = {"form": str(exc)}, {}, exc.status_code
        except GoalsError as exc:
            problems, status_code = exc.problems, exc.status_code
        else:
            checklist_id = getattr(parsed, "checklist_instance_id", None)
            return _after_save(request, pathway_id, saved, key, checklist_id)
    typed = str(raw.get("checklist_instance_id") or "") if key == "conversation" else ""
    return _page(
        request,
        session,
        viewer,
        pathway_id,
        errors={key: problems},
        values={key: raw},
        status_code=status_code,
        # Only ASCII digits are ids ("²" is a digit to Python, and int() refuses it).
        checklist_instance_id=int(typed) if typed.isascii() and typed.isdigit() else None,
    )


@router.get("/pathways/{pathway_id}/what-matters")
def read_what_matters_page(
    request: Request,
    pathway_id: int,
    session: SessionDep,
    viewer: PatientWorker,
    checklist_instance_id: int | None = None,
    checklist: int | None = None,
    saved: str | None = None,
) -> Response:
    """Show what matters to the patient, the PSFS goals and the forms to record them."""
    return _page(
        request,
        session,
        viewer,
        pathway_id,
        saved=saved,
        checklist_instance_id=checklist_instance_id or checklist,
    )


@router.post("/pathways/{pathway_id}/what-matters/conversations")
def create_conversation_from_form(
    request: Request, pathway_id: int, session: SessionDep, viewer: PatientWorker, form: PostedForm
) -> Response:
    """Record a conversation from the page's form."""

    def save(data: ConversationIn) -> object:
        """Save the parsed form through the service."""
        return record_conversation(
            session, viewer=viewer, pathway_id=pathway_id, **data.model_dump()
        )

    return _submit(
        request,
        session,
        viewer,
        pathway_id,
        form,
        model=ConversationIn,
        key="conversation",
        save=save,
        saved="conversation",
    )


@router.post("/pathways/{pathway_id}/what-matters/conversations/{conversation_id}")
def update_conversation_from_form(
    request: Request,
    pathway_id: int,
    conversation_id: int,
    session: SessionDep,
    viewer: PatientWorker,
    form: PostedForm,
) -> Response:
    """Correct a conversation from the page's form."""

    def save(data: ConversationUpdate) -> object:
        """Save the parsed form through the service."""
        fields = data.model_dump(exclude={"version"})
        return update_conversation(
            session,
            viewer=viewer,
            conversation_id=conversation_id,
            version=data.version,
            **fields,
        )

    return _submit(
        request,
        session,
        viewer,
        pathway_id,
        form,
        model=ConversationUpdate,
        key=f"conversation-{conversation_id}",
        save=save,
        saved="conversation",
    )


@router.post("/pathways/{pathway_id}/what-matters/goals")
def create_goal_from_form(
    request: Request, pathway_id: int, session: SessionDep, viewer: PatientWorker, form: PostedForm
) -> Response:
    """Add a goal with its baseline rating from the page's form."""

    def save(data: GoalIn) -> object:
        """Save the parsed form through the service."""
        return create_goal(session, viewer=viewer, pathway_id=pathway_id, **data.model_dump())

    return _submit(
        request,
        session,
        viewer,
        pathway_id,
        form,
        model=GoalIn,
        key="goal",
        save=save,
        saved="goal",
    )


@router.post("/pathways/{pathway_id}/what-matters/goals/{goal_id}/ratings")
def create_rating_from_form(
    request: Request,
    pathway_id: int,
    goal_id: int,
    session: SessionDep,
    viewer: PatientWorker,
    form: PostedForm,
) -> Response:
    """Re-rate a goal from the page's form."""

    def save(data: RatingIn) -> object:
        """Save the parsed form through the service."""
        return rate_goal(session, viewer=viewer, goal_id=goal_id, **data.model_dump())

    return _submit(
        request,
        session,
        viewer,
        pathway_id,
        form,
        model=RatingIn,
        key=f"rating-{goal_id}",
        save=save,
        saved="rating",
    )


@router.post("/pathways/{pathway_id}/what-matters/goals/{goal_id}/achieve")
def achieve_goal_from_form(
    request: Request,
    pathway_id: int,
    goal_id: int,
    session: SessionDep,
    viewer: PatientWorker,
    form: PostedForm,
) -> Response:
    """Mark a goal as achieved from the page's form."""

    def save(data: GoalAchieve) -> object:
        """Save the parsed form through the service."""
        return achieve_goal(
            session, viewer=viewer, goal_id=goal_id, version=data.version, note=data.note
        )

    return _submit(
        request,
        session,
        viewer,
        pathway_id,
        form,
        model=GoalAchieve,
        key=f"achieve-{goal_id}",
        save=save,
        saved="achieved",
    )


@router.post("/pathways/{pathway_id}/what-matters/goals/{goal_id}/change")
def change_goal_from_form(
    request: Request,
    pathway_id: int,
    goal_id: int,
    session: SessionDep,
    viewer: PatientWorker,
    form: PostedForm,
) -> Response:
    """Replace a goal with a new one from the page's form."""

    def save(data: GoalChange) -> object:
        """Save the parsed form through the service."""
        fields = data.model_dump(exclude={"version", "reason"})
        return change_goal(
            session,
            viewer=viewer,
            goal_id=goal_id,
            version=data.version,
            reason=data.reason,
            **fields,
        )

    return _submit(
        request,
        session,
        viewer,
        pathway_id,
        form,
        model=GoalChange,
        key=f"change-{goal_id}",
        save=save,
        saved="changed",
    )


@router.post("/pathways/{pathway_id}/what-matters/goals/{goal_id}/drop")
def drop_goal_from_form(
    request: Request,
    pathway_id: int,
    goal_id: int,
    session: SessionDep,
    viewer: PatientWorker,
    form: PostedForm,
) -> Response:
    """Drop a goal with a reason from the page's form."""

    def save(data: GoalDrop) -> object:
        """Save the parsed form through the service."""
        return drop_goal(
            session, viewer=viewer, goal_id=goal_id, version=data.version, reason=data.reason
        )

    return _submit(
        request,
        session,
        viewer,
        pathway_id,
        form,
        model=GoalDrop,
        key=f"drop-{goal_id}",
        save=save,
        saved="dropped",
    )
