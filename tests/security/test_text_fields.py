"""Every free-text field of every form and API body: one limit (the column's), no control
characters, the same model for page and API, and the typed text kept when a page refuses it.

Runs on SQLite and PostgreSQL: PostgreSQL refuses NUL bytes and over-long text itself, so a
field that reached the database unchecked answered "A number in the request is out of range."
and lost the nurse's text (defect 8 of issue 17); a control character in an annotation title
took the chart renderer, and with it the server, down (defect 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import vl_convert
from fastapi.testclient import TestClient
from markupsafe import escape
from pydantic import BaseModel
from sqlmodel import Session, SQLModel, select

from app.checklists.models import ChecklistInstance
from app.core.text import has_forbidden_characters
from app.measures.models import Annotation
from tests.factories import sign_in_client
from tests.security.world import Owned, World, build_world

HOSTILE_CHARACTERS = ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\ufffe", "\uffff"]


@dataclass(frozen=True)
class TextField:
    """One free-text field: where it is posted, the rest of a valid body, its limit."""

    method: str
    url: str  # with {patient_id}, {pathway_id}, {event_id}, {instance_id}, {text_item}, ...
    name: str
    limit: int
    rest: dict[str, Any]

    def path(self, ids: dict[str, Any]) -> str:
        """The URL with team A's ids filled in."""
        return self.url.format(**ids)

    def body(self, value: str, ids: dict[str, Any]) -> dict[str, Any]:
        """A body that is valid but for this field."""
        rest = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in self.rest.items()}
        return {**rest, self.name: value}


API = "/api/v1"
WHEN = "2026-03-05T10:00:00+01:00"
GOAL = {"baseline_rating": 3, "activity": "Gå til butikken"}
API_FIELDS = [
    TextField("POST", f"{API}/patients", "label", 40, {"team_id": "{team_id}"}),
    TextField(
        "POST",
        f"{API}/patients",
        "local_reference",
        40,
        {"team_id": "{team_id}", "label": "AB 1950"},
    ),
    TextField(
        "POST",
        f"{API}/pathways/{{pathway_id}}/events",
        "note",
        1000,
        {"kind": "home_visit", "occurred_at": WHEN},
    ),
    TextField("POST", f"{API}/events/{{event_id}}/cancel", "reason", 500, {"version": 0}),
    TextField("POST", f"{API}/patients/{{patient_id}}/erase", "confirm_label", 40, {}),
    TextField("POST", f"{API}/checklists/{{instance_id}}/not-applicable", "reason", 500, {}),
    TextField(
        "PUT",
        f"{API}/checklists/{{instance_id}}/answers/{{text_item}}",
        "value",
        4000,
        {"version": 0},
    ),
    TextField(
        "PUT",
        f"{API}/checklists/{{instance_id}}/answers/{{text_item}}",
        "idempotency_key",
        80,
        {"version": 0, "value": "ok"},
    ),
    TextField("POST", f"{API}/pathways/{{pathway_id}}/conversations", "patient_words", 4000, {}),
    TextField(
        "POST",
        f"{API}/pathways/{{pathway_id}}/conversations",
        "participants_other",
        200,
        {"patient_words": "Hagen"},
    ),
    TextField(
        "POST",
        f"{API}/pathways/{{pathway_id}}/conversations",
        "not_answered_reason",
        500,
        {"could_not_answer": True},
    ),
    TextField(
        "POST", f"{API}/pathways/{{pathway_id}}/goals", "activity", 500, {"baseline_rating": 3}
    ),
    TextField("POST", f"{API}/pathways/{{pathway_id}}/goals", "plan", 2000, GOAL),
    TextField("POST", f"{API}/goals/{{goal_id}}/change", "reason", 500, {**GOAL, "version": 1}),
    TextField("POST", f"{API}/goals/{{goal_id}}/achieve", "note", 500, {"version": 1}),
    TextField("POST", f"{API}/goals/{{goal_id}}/drop", "reason", 500, {"version": 1}),
    TextField(
        "POST", f"{API}/teams/{{team_id}}/annotations", "title", 200, {"happened_on": "2026-03-01"}
    ),
    TextField(
        "POST",
        f"{API}/teams/{{team_id}}/annotations",
        "description",
        2000,
        {"happened_on": "2026-03-01", "title": "T"},
    ),
    TextField(
        "POST",
        f"{API}/teams/{{team_id}}/annotations",
        "measure_key",
        80,
        {"happened_on": "2026-03-01", "title": "T"},
    ),
    TextField("POST", f"{API}/teams/{{team_id}}/manual-measures", "key", 80, {"title": "Fall"}),
    TextField("POST", f"{API}/teams/{{team_id}}/manual-measures", "title", 200, {"key": "fall-x"}),
]
PAGE_FIELDS = [
    TextField("POST", "/patients", "label", 40, {"team_id": "{team_id}"}),
    TextField(
        "POST", "/patients", "local_reference", 40, {"team_id": "{team_id}", "label": "AB 1950"}
    ),
    TextField(
        "POST",
        "/pathways/{pathway_id}/events",
        "note",
        1000,
        {"kind": "home_visit", "occurred_at": "2026-03-05T10:00"},
    ),
    TextField(
        "POST",
        "/events/{event_id}/cancel",
        "reason",
        500,
        {"version": 0, "patient_id": "{patient_id}"},
    ),
    TextField("POST", "/patients/{patient_id}/erase", "confirm_label", 40, {}),
    TextField("POST", "/checklists/{instance_id}/not-applicable", "reason", 500, {}),
    TextField(
        "POST", "/checklists/{instance_id}/answers/{text_item}", "value", 4000, {"version": 0}
    ),
    TextField(
        "POST", "/pathways/{pathway_id}/what-matters/conversations", "patient_words", 4000, {}
    ),
    TextField(
        "POST",
        "/pathways/{pathway_id}/what-matters/conversations",
        "participants_other",
        200,
        {"patient_words": "Hagen"},
    ),
    TextField(
        "POST",
        "/pathways/{pathway_id}/what-matters/conversations",
        "not_answered_reason",
        500,
        {"could_not_answer": "on"},
    ),
    TextField(
        "POST", "/pathways/{pathway_id}/what-matters/goals", "activity", 500, {"baseline_rating": 3}
    ),
    TextField("POST", "/pathways/{pathway_id}/what-matters/goals", "plan", 2000, GOAL),
    TextField(
        "POST",
        "/pathways/{pathway_id}/what-matters/goals/{goal_id}/change",
        "reason",
        500,
        {**GOAL, "version": 1},
    ),
    TextField(
        "POST",
        "/pathways/{pathway_id}/what-matters/goals/{goal_id}/achieve",
        "note",
        500,
        {"version": 1},
    ),
    TextField(
        "POST",
        "/pathways/{pathway_id}/what-matters/goals/{goal_id}/drop",
        "reason",
        500,
        {"version": 1},
    ),
    TextField(
        "POST",
        "/teams/{team_id}/dashboard/annotations",
        "title",
        200,
        {"happened_on": "2026-03-01"},
    ),
    TextField(
        "POST",
        "/teams/{team_id}/dashboard/annotations",
        "description",
        2000,
        {"happened_on": "2026-03-01", "title": "T"},
    ),
    TextField("POST", "/teams/{team_id}/manual-measures", "key", 80, {"title": "Fall"}),
    TextField("POST", "/teams/{team_id}/manual-measures", "title", 200, {"key": "fall-x"}),
]


def ids_of(db: Session, owned: Owned) -> dict[str, Any]:
    """Team A's ids, and a checklist of its pathway with a text item shown from the start."""
    instance = db.exec(
        select(ChecklistInstance)
        .where(ChecklistInstance.pathway_id == owned.pathway_id)
        .where(ChecklistInstance.definition_id == "hph-2")
    ).one()
    return {
        "team_id": owned.team_id,
        "patient_id": owned.patient_id,
        "pathway_id": owned.pathway_id,
        "event_id": owned.event_id,
        "goal_id": owned.goal_id,
        "instance_id": instance.id,
        "text_item": "health_issues",
    }


@pytest.fixture()
def world(db: Session) -> World:
    """Three teams' data in the test's transaction."""
    built = build_world(db)
    db.commit()
    return built


def _member(client: TestClient, world: World) -> TestClient:
    """The client signed in as team A's improvement-team member (who may write everything)."""
    client.cookies.set("hph_lang", "en")
    return sign_in_client(client, world.users["team"])


def _hostile_values(limit: int) -> list[str]:
    """One character over the limit, and short texts with each forbidden character."""
    over = ("Blåbær " * (limit // 7 + 2))[:limit] + "!"
    return [over, *(f"Ny rutine{c}x" for c in HOSTILE_CHARACTERS)]


def test_api_refuses_control_characters_and_over_long_text_in_every_field(
    db: Session, client: TestClient, world: World
) -> None:
    """422 with a sentence naming the field: never a 500, never 'a number is out of range'."""
    _member(client, world)
    ids = ids_of(db, world.owners["A"])
    wrong = []
    for field in API_FIELDS:
        for value in _hostile_values(field.limit):
            response = client.request(
                field.method, field.path(ids), json=field.body(value, ids), follow_redirects=False
            )
            detail = response.json().get("detail", "") if response.status_code == 422 else ""
            if response.status_code != 422 or "out of range" in str(detail) or not detail:
                where = f"{field.method} {field.url} {field.name}={value[:12]!r}"
                wrong.append(f"{where}: {response.status_code} {response.text[:120]}")  # fmt: skip
    assert not wrong, "\n".join(wrong)


def test_pages_refuse_them_with_422_and_keep_what_was_typed(
    db: Session, client: TestClient, world: World
) -> None:
    """The form comes back with status 422, a message and the typed text still in its field."""
    _member(client, world)
    ids = ids_of(db, world.owners["A"])
    wrong = []
    for field in PAGE_FIELDS:
        for value in _hostile_values(field.limit):
            response = client.post(
                field.path(ids), data=field.body(value, ids), follow_redirects=False
            )
            where = f"{field.url} {field.name}={value[:12]!r}: {response.status_code}"
            if response.status_code != 422:
                wrong.append(f"{where} {response.text[:120]}")
            elif str(escape(value)) not in response.text:
                wrong.append(f"{where}: the typed text is lost")
            elif not any(
                s in response.text for s in ('role="alert"', 'class="error', "field-error")
            ):
                wrong.append(f"{where}: no message")
    assert not wrong, "\n".join(wrong)


def test_annotation_with_a_control_character_is_refused_and_a_stored_one_cannot_kill_the_chart(
    db: Session, client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defect 1: the API refuses the title; a title stored before is drawn without it."""
    _member(client, world)
    owned = world.owners["A"]
    refused = client.post(
        f"{API}/teams/{owned.team_id}/annotations",
        json={"happened_on": "2026-03-02", "title": "Ny rutine\u0001"},
    )
    assert refused.status_code == 422
    assert "control characters" in refused.json()["detail"]
    db.add(
        Annotation(team_id=owned.team_id, happened_on=date(2026, 3, 2), title="Gammel\u0001\ufffe")
    )
    db.commit()
    handed: list[Any] = []
    real = vl_convert.vegalite_to_svg

    def careful(spec: Any, *args: Any, **kwargs: Any) -> str:
        handed.append(spec)
        assert not _holds_forbidden(spec), "raw stored text reached vl-convert"
        return real(spec, *args, **kwargs)

    monkeypatch.setattr(vl_convert, "vegalite_to_svg", careful)
    drawn = client.get(
        f"/measures/hph-2-on-time/chart.svg?level=team&unit_id={owned.team_id}&period=week"
    )
    assert drawn.status_code == 200, drawn.text[:200]
    assert handed and "Gammel" in drawn.text


def _holds_forbidden(spec: Any) -> bool:
    """Whether any string of a spec (keys too) holds a forbidden character."""
    if isinstance(spec, str):
        return has_forbidden_characters(spec)
    if isinstance(spec, dict):
        return any(_holds_forbidden(k) or _holds_forbidden(v) for k, v in spec.items())
    if isinstance(spec, list | tuple):
        return any(_holds_forbidden(v) for v in spec)
    return False


def _models() -> dict[str, type[BaseModel]]:
    """The form and body models whose text fields map to columns."""
    from app.checklists.forms import AnswerKey, NotApplicableReason
    from app.goals.forms import ConversationIn, GoalAchieve, GoalChange, GoalDrop, GoalIn
    from app.measures.forms import AnnotationText, ManualMeasureText
    from app.pathways.forms import CancelReason, ErasureConfirmation, EventNote, PatientText

    return {
        m.__name__: m
        for m in (
            AnswerKey,
            NotApplicableReason,
            ConversationIn,
            GoalIn,
            GoalChange,
            GoalAchieve,
            GoalDrop,
            AnnotationText,
            ManualMeasureText,
            PatientText,
            EventNote,
            CancelReason,
            ErasureConfirmation,
        )
    }


def _columns() -> dict[str, str]:
    """Where each text field is stored (table.column)."""
    return {
        "AnswerKey.idempotency_key": "checklist_answer_revision.idempotency_key",
        "NotApplicableReason.reason": "checklist_instance.not_applicable_reason",
        "ConversationIn.patient_words": "what_matters_conversation.patient_words",
        "ConversationIn.not_answered_reason": "what_matters_conversation.not_answered_reason",
        "GoalIn.activity": "goal.activity",
        "GoalIn.plan": "goal.plan",
        "GoalChange.reason": "goal.status_reason",
        "GoalAchieve.note": "goal.status_reason",
        "GoalDrop.reason": "goal.status_reason",
        "AnnotationText.title": "annotation.title",
        "AnnotationText.description": "annotation.description",
        "AnnotationText.measure_key": "annotation.measure_key",
        "ManualMeasureText.key": "manual_measure.key",
        "ManualMeasureText.title": "manual_measure.title",
        "PatientText.label": "patient.label",
        "PatientText.local_reference": "patient.local_reference",
        "EventNote.note": "pathway_event.note",
        "CancelReason.reason": "pathway_event.cancel_reason",
        "ErasureConfirmation.confirm_label": "patient.label",
    }


def _max_length(model: type[BaseModel], name: str) -> int | None:
    """The max_length a model's field declares."""
    for meta in model.model_fields[name].metadata:
        if getattr(meta, "max_length", None) is not None:
            return int(meta.max_length)
    return None


def test_every_text_limit_equals_its_column_length() -> None:
    """One limit per field: the model that checks pages and API says what the column holds."""
    import app.checklists.models
    import app.goals.models
    import app.measures.models
    import app.pathways.models  # noqa: F401 - the tables register themselves

    tables = SQLModel.metadata.tables
    models = _models()
    wrong = []
    for field, where in _columns().items():
        model_name, name = field.split(".")
        table, column = where.split(".")
        length = tables[table].columns[column].type.length
        declared = _max_length(models[model_name], name)
        if declared != length:
            wrong.append(f"{field}: {declared} but {where} holds {length}")
    assert not wrong, "\n".join(wrong)


def test_every_text_field_of_those_models_refuses_control_characters() -> None:
    """Each mapped field is one of the shared text types (the control check runs)."""
    models = _models()
    for field in _columns():
        model_name, name = field.split(".")
        model = models[model_name]
        body = {n: "1" for n, info in model.model_fields.items() if info.is_required()}
        body[name] = "x\x01"
        with pytest.raises(ValueError) as refused:
            model.model_validate(body)
        assert "control characters" in str(refused.value), field
