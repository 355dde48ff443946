"""JSON API for filling checklists (the same services as the tablet pages)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from app.audit.patient_data import PATIENT_DATA
from app.checklists.corrections import reopen_checklist
from app.checklists.forms import IdempotencyKey, NotApplicableReason, ReopenReason
from app.checklists.service import (
    ChecklistView,
    complete_checklist,
    get_checklist,
    mark_not_applicable,
    save_answer,
)
from app.checklists.worklist import my_day
from app.core.deps import ERROR_RESPONSES, CurrentViewer, SessionDep
from app.core.i18n import current_language

router = APIRouter(prefix="/api/v1", tags=["checklists"], dependencies=[PATIENT_DATA])


class AnswerPublic(BaseModel):
    """One stored answer."""

    item_id: str
    value: Any
    version: int
    answered_at: datetime


class ItemPublic(BaseModel):
    """One item of the checklist as shown now (hidden items are left out)."""

    id: str
    type: str
    label: str
    required: bool
    core: bool
    options: list[dict[str, str]] | None = None
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    computed: bool = Field(default=False, description="Worked out from other answers; not typed.")


class ChecklistPublic(BaseModel):
    """A checklist instance with its visible items, answers and progress."""

    id: int
    definition_id: str
    definition_version: int
    variant: str | None
    title: str
    patient_id: int
    status: str
    window_start: datetime
    window_end: datetime
    performed_at: datetime | None
    version: int
    answered: int
    visible: int
    items: list[ItemPublic]
    answers: list[AnswerPublic]


class AnswerSave(BaseModel):
    """An answer to one item; `version` is the answer's version you saw (0 for none yet)."""

    value: Any = Field(description="yes/no/not_relevant, an option id, a list, a number, a date")
    version: int = Field(ge=0)
    idempotency_key: IdempotencyKey = None


class Completion(BaseModel):
    """Complete the checklist; `performed_at` is when the work was done (default now)."""

    performed_at: AwareDatetime | None = None


class NotApplicable(NotApplicableReason):
    """Why the whole checklist does not apply."""


class Reopening(ReopenReason):
    """Reopen a completed checklist; `version` is the checklist's version you saw."""

    version: int = Field(ge=1)


class WorkItemPublic(BaseModel):
    """A checklist on the nurse's list."""

    instance_id: int
    definition_id: str
    title: str
    status: str
    window_start: datetime
    window_end: datetime
    due_date: date
    patient_id: int
    patient_label: str
    when: Literal["overdue", "today", "week"]
    days_overdue: int


class PatientMattersPublic(BaseModel):
    """What matters to one patient on the page: the latest words said and the active goals."""

    patient_id: int
    pathway_id: int
    asked: bool
    words: str | None
    goals: list[str]


class MyDayPublic(BaseModel):
    """One page of the nurse's day, by patient (most urgent first), with the counts of all."""

    today: date
    who: Literal["mine", "team"]
    when: Literal["all", "overdue", "today", "week"]
    page: int
    pages: int
    total_patients: int
    counts: dict[str, int] = Field(description="Open checklists overdue, today and this week.")
    not_shown: int = Field(description="Checklists of the list on other pages.")
    overdue: list[WorkItemPublic]
    open_now: list[WorkItemPublic]
    coming_up: list[WorkItemPublic]
    patients: list[PatientMattersPublic]


def checklist_public(view: ChecklistView) -> ChecklistPublic:
    """Shape a checklist for the API."""
    from app.checklists.answer_rules import visible_items

    language = current_language()
    answered, visible = view.progress
    return ChecklistPublic(
        id=int(view.instance.id or 0),
        definition_id=view.instance.definition_id,
        definition_version=view.instance.definition_version,
        variant=view.instance.variant,
        title=view.definition.title.get(language),
        patient_id=int(view.patient.id or 0),
        status=view.status,
        window_start=view.instance.window_start,
        window_end=view.instance.window_end,
        performed_at=view.instance.performed_at,
        version=view.instance.version,
        answered=answered,
        visible=visible,
        items=[
            ItemPublic(
                id=item.id,
                type=item.type,
                label=item.label.get(language),
                required=item.required,
                core=item.core,
                options=[{"id": o.id, "label": o.label.get(language)} for o in item.options]
                if item.options
                else None,
                unit=item.unit,
                min=item.min,
                max=item.max,
                computed=item.compute is not None,
            )
            for item in visible_items(view.definition, view.values)
        ],
        answers=[
            AnswerPublic(
                item_id=a.item_id, value=a.value, version=a.version, answered_at=a.answered_at
            )
            for a in view.answers.values()
        ],
    )


@router.get("/my-day", responses=ERROR_RESPONSES)
def read_my_day(
    session: SessionDep,
    viewer: CurrentViewer,
    team_id: Annotated[
        int | None, Query(description="Only this team's (default: all yours).")
    ] = None,
    who: Annotated[
        Literal["mine", "team"],
        Query(description="Your patients (worked on by you) or the whole team's."),
    ] = "mine",
    when: Annotated[Literal["all", "overdue", "today", "week"], Query()] = "all",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> MyDayPublic:
    """One page of open checklists, by patient: overdue, open now and coming up this week."""
    from app.checklists.in_use import checklist_title

    day = my_day(session, viewer=viewer, team_id=team_id, who=who, when=when, page=page)

    def shape(items):  # type: ignore[no-untyped-def]
        return [WorkItemPublic(**vars(i), title=checklist_title(i.definition_id)) for i in items]

    return MyDayPublic(
        today=day.today,
        who=who,
        when=when,
        page=day.page,
        pages=day.pages,
        total_patients=day.total_patients,
        counts=day.counts,
        not_shown=day.not_shown,
        overdue=shape(day.overdue),
        open_now=shape(day.open_now),
        coming_up=shape(day.coming_up),
        patients=[
            PatientMattersPublic(
                patient_id=p.patient_id,
                pathway_id=p.pathway_id,
                asked=p.asked,
                words=p.words,
                goals=p.goals,
            )
            for p in day.patients
        ],
    )


@router.get("/checklists/{instance_id}", responses=ERROR_RESPONSES)
def read_checklist(instance_id: int, session: SessionDep, viewer: CurrentViewer) -> ChecklistPublic:
    """Return a checklist with its visible items and answers."""
    return checklist_public(get_checklist(session, viewer=viewer, instance_id=instance_id))


@router.put("/checklists/{instance_id}/answers/{item_id}", responses=ERROR_RESPONSES)
def update_answer(
    instance_id: int, item_id: str, body: AnswerSave, session: SessionDep, viewer: CurrentViewer
) -> ChecklistPublic:
    """Save one answer; a stale version gets 409 with the current answer, retries are safe."""
    view, _answer = save_answer(
        session,
        viewer=viewer,
        instance_id=instance_id,
        item_id=item_id,
        value=body.value,
        expected_version=body.version,
        idempotency_key=body.idempotency_key,
    )
    return checklist_public(view)


@router.post("/checklists/{instance_id}/complete", responses=ERROR_RESPONSES)
def create_completion(
    instance_id: int, body: Completion, session: SessionDep, viewer: CurrentViewer
) -> ChecklistPublic:
    """Complete a checklist; refused with the list of missing required items."""
    view = complete_checklist(
        session, viewer=viewer, instance_id=instance_id, performed_at=body.performed_at
    )
    return checklist_public(view)


@router.post("/checklists/{instance_id}/not-applicable", responses=ERROR_RESPONSES)
def create_not_applicable(
    instance_id: int, body: NotApplicable, session: SessionDep, viewer: CurrentViewer
) -> ChecklistPublic:
    """Mark a whole checklist not applicable, with the reason."""
    view = mark_not_applicable(session, viewer=viewer, instance_id=instance_id, reason=body.reason)
    return checklist_public(view)


@router.post("/checklists/{instance_id}/reopen", responses=ERROR_RESPONSES)
def create_reopening(
    instance_id: int, body: Reopening, session: SessionDep, viewer: CurrentViewer
) -> ChecklistPublic:
    """Reopen a completed checklist with a reason (its completer or its team); 409 if stale."""
    view = reopen_checklist(
        session,
        viewer=viewer,
        instance_id=instance_id,
        reason=body.reason,
        expected_version=body.version,
    )
    return checklist_public(view)
