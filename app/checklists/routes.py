"""Tablet pages for filling a checklist: every answer saves itself as soon as it is given."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.audit.patient_data import PATIENT_DATA
from app.checklists.answer_rules import AnswerError, missing_required, visible_items
from app.checklists.catalogue import ChecklistItem
from app.checklists.corrections import (
    ChecklistChanged,
    ReopenNotAllowed,
    ReopenRefused,
    completed_by_name,
    may_reopen,
    reopen_checklist,
    status_history,
)
from app.checklists.forms import (
    AnswerKey,
    NotApplicableReason,
    ReopenReason,
    display_value,
    posted_value,
    posted_version,
)
from app.checklists.service import (
    AnswerConflict,
    ChecklistClosed,
    ChecklistView,
    CompletionRefused,
    IdempotencyKeyReused,
    complete_checklist,
    get_checklist,
    mark_not_applicable,
    save_answer,
)
from app.checklists.what_matters import answered_by_conversation, linked_conversation
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.deps import PostedForm, SessionDep, require_roles
from app.core.i18n import _
from app.core.templating import render
from app.core.text import named_problem, text_problems
from app.goals.service import what_matters_summary
from app.org.models import Role
from app.org.scope import Viewer

router = APIRouter(include_in_schema=False, dependencies=[PATIENT_DATA])
PatientWorker = Annotated[Viewer, Depends(require_roles(Role.nurse.value, Role.team.value))]


def _record_context(session: SessionDep, viewer: Viewer, view: ChecklistView) -> dict[str, Any]:
    """Who completed a closed checklist, its history, whether the viewer may reopen it, and
    the 'what matters' conversation that answers its items."""
    instance = view.instance
    return {
        "wm_items": answered_by_conversation(view.definition),
        "wm_conversation": linked_conversation(session, instance_id=int(instance.id or 0)),
        "completed_by": completed_by_name(session, instance),
        "history": status_history(session, instance_id=int(instance.id or 0)),
        "may_reopen": instance.status == "completed" and may_reopen(viewer, instance),
    }


def _page_context(view: ChecklistView, **extra: Any) -> dict[str, Any]:
    """What the checklist page and its partials need."""
    values = view.values
    visible = {item.id for item in visible_items(view.definition, values)}
    missing = {item.id for item in missing_required(view.definition, values)}
    answered, total = view.progress
    context: dict[str, Any] = {
        "view": view,
        "instance": view.instance,
        "definition": view.definition,
        "values": values,
        "answers": view.answers,
        "visible": visible,
        "missing": missing,
        "answered": answered,
        "total": total,
        "editable": view.instance.status in ("due", "in_progress"),
        "display_value": display_value,
        "now_local": utcnow().astimezone(get_settings().zone).strftime("%Y-%m-%dT%H:%M"),
        "what_matters": None,
    }
    context.update(extra)
    return context


def _item_response(
    request: Request,
    view: ChecklistView,
    item: ChecklistItem,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """One item re-rendered, with the progress and the conditional items swapped out of band."""
    extra.setdefault("wm_items", answered_by_conversation(view.definition))
    context = _page_context(view, item=item, **extra)
    context["oob_items"] = [
        other
        for other in view.definition.items
        if (other.show_if or other.compute) and other.id != item.id
    ]
    return render(request, "checklists/_item_saved.html", context, status_code=status_code)


def _closing_key(posted: str) -> str | None:
    """The idempotency key a queued completion carries (one that is not valid is ignored)."""
    key = posted.strip() or None
    return None if text_problems(AnswerKey, {"idempotency_key": key}) else key


@router.get("/checklists/{instance_id}")
def read_checklist_page(
    instance_id: int, request: Request, session: SessionDep, viewer: PatientWorker
) -> Response:
    """Show the checklist form under the patient's own words, with what is answered."""
    view = get_checklist(session, viewer=viewer, instance_id=instance_id)
    summary = what_matters_summary(session, viewer=viewer, pathway_id=view.pathway.id or 0)
    context = _page_context(
        view,
        what_matters=summary,
        just_completed=request.query_params.get("completed") == "1",
        **_record_context(session, viewer, view),
    )
    return render(request, "checklists/checklist.html", context)


@router.post("/checklists/{instance_id}/answers/{item_id}")
def update_answer_page(
    instance_id: int,
    item_id: str,
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    form: PostedForm,
) -> Response:
    """Save one answer from the form; 422 shows what to fix, 409 shows the other answer."""
    view = get_checklist(session, viewer=viewer, instance_id=instance_id)
    try:
        item = view.definition.item(item_id)
    except KeyError:
        return render(
            request,
            "error.html",
            {"message": _("This checklist has no item '{item_id}'.").format(item_id=item_id)},
            status_code=404,
        )
    value = posted_value(item, form)
    key = str(form.get("idempotency_key") or "") or None
    try:
        if text_problems(AnswerKey, {"idempotency_key": key}):
            raise AnswerError(_("The form is out of date; reload the page and try again."))
        view, _answer = save_answer(
            session,
            viewer=viewer,
            instance_id=instance_id,
            item_id=item_id,
            value=value,
            expected_version=posted_version(form),
            idempotency_key=key,
        )
    except AnswerError as exc:
        return _item_response(
            request, view, item, status_code=422, error=exc.message, typed_value=value
        )
    except AnswerConflict as conflict:
        return _item_response(request, view, item, status_code=409, conflict=conflict, mine=value)
    except (ChecklistClosed, IdempotencyKeyReused) as exc:
        return _item_response(request, view, item, status_code=409, error=str(exc))
    return _item_response(request, view, item, saved=True)


@router.post("/checklists/{instance_id}/complete")
def create_completion_page(
    instance_id: int,
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    performed_at: Annotated[str, Form()] = "",
    idempotency_key: Annotated[str, Form()] = "",
) -> Response:
    """Complete the checklist (a queued completion sent again is a replay), or say why not."""
    zone = get_settings().zone
    key = _closing_key(idempotency_key)
    try:
        when = datetime.fromisoformat(performed_at).replace(tzinfo=zone) if performed_at else None
    except ValueError:
        when = None
        problem: str | None = _("Write the time as date and time, e.g. 2026-03-02 14:30.")
    else:
        problem = None
    if problem is None:
        try:
            view = complete_checklist(
                session,
                viewer=viewer,
                instance_id=instance_id,
                performed_at=when,
                idempotency_key=key,
            )
        except (CompletionRefused, ChecklistClosed) as exc:
            problem = str(exc)
        else:
            return RedirectResponse(f"/checklists/{instance_id}?completed=1", status_code=303)
    view = get_checklist(session, viewer=viewer, instance_id=instance_id)
    return render(
        request,
        "checklists/checklist.html",
        _page_context(view, completion_error=problem, performed_at=performed_at),
        status_code=422,
    )


@router.post("/checklists/{instance_id}/not-applicable")
def create_not_applicable_page(
    instance_id: int,
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    reason: Annotated[str, Form()] = "",
    idempotency_key: Annotated[str, Form()] = "",
) -> Response:
    """Mark the whole checklist not applicable, with the reason."""
    try:
        problems = text_problems(NotApplicableReason, {"reason": reason.strip()})
        if problem := named_problem(problems, {"reason": _("Reason")}):
            raise CompletionRefused(problem)
        view = mark_not_applicable(
            session,
            viewer=viewer,
            instance_id=instance_id,
            reason=reason,
            idempotency_key=_closing_key(idempotency_key),
        )
    except (CompletionRefused, ChecklistClosed) as exc:
        view = get_checklist(session, viewer=viewer, instance_id=instance_id)
        return render(
            request,
            "checklists/checklist.html",
            _page_context(view, not_applicable_error=str(exc), not_applicable_reason=reason),
            status_code=422,
        )
    return RedirectResponse(f"/patients/{view.patient.id}", status_code=303)


@router.post("/checklists/{instance_id}/reopen")
def create_reopening_page(
    instance_id: int,
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    form: PostedForm,
) -> Response:
    """Reopen a completed checklist with a reason, or show what to fix."""
    reason = str(form.get("reason") or "").strip()
    try:
        problems = text_problems(ReopenReason, {"reason": reason})
        if problem := named_problem(problems, {"reason": _("Reason")}):
            raise ReopenRefused(problem)
        reopen_checklist(
            session,
            viewer=viewer,
            instance_id=instance_id,
            reason=reason,
            expected_version=posted_version(form) or None,
        )
    except (ReopenRefused, ReopenNotAllowed, ChecklistChanged) as exc:
        view = get_checklist(session, viewer=viewer, instance_id=instance_id)
        context = _page_context(
            view,
            reopen_error=str(exc),
            reopen_reason=reason,
            **_record_context(session, viewer, view),
        )
        status = 403 if isinstance(exc, ReopenNotAllowed) else 422
        if isinstance(exc, ChecklistChanged):
            status = 409
        return render(request, "checklists/checklist.html", context, status_code=status)
    return RedirectResponse(f"/checklists/{instance_id}", status_code=303)
