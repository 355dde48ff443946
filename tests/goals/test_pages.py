"""The 'what matters' page: access, forms (422 re-render, 303, htmx), the banner partial."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditEntry
from app.checklists.models import ChecklistInstance
from app.core.templating import templates
from app.goals import service
from app.org.models import Organisation
from tests.factories import make_user, sign_in_client
from tests.goals.conftest import Ward, make_ward

HX = {"HX-Request": "true"}


def _nurse_client(client: TestClient, ward: Ward) -> TestClient:
    """Sign the ward's nurse in, in English."""
    sign_in_client(client, ward.nurse_user)
    client.cookies.set("hph_lang", "en")
    return client


def _page(ward: Ward) -> str:
    """The ward pathway's page."""
    return f"/pathways/{ward.pathway_id}/what-matters"


def _goal(db: Session, ward: Ward, activity: str = "Gå tur med hunden", baseline: int = 2):  # type: ignore[no-untyped-def]
    """Add a goal rated on 20 January."""
    return service.create_goal(
        db,
        viewer=ward.nurse,
        pathway_id=ward.pathway_id,
        activity=activity,
        baseline_rating=baseline,
        rated_on=date(2026, 1, 20),
    )


def test_page_shows_words_first_then_goals_with_sparkline_and_flag(
    client: TestClient, db: Session, ward: Ward
) -> None:
    service.record_conversation(
        db,
        viewer=ward.nurse,
        pathway_id=ward.pathway_id,
        held_on=date(2026, 1, 20),
        participants=["patient"],
        participants_other="",
        patient_words="Å komme hjem til katten min",
        could_not_answer=False,
        not_answered_reason="",
        checklist_instance_id=None,
    )
    goal = _goal(db, ward)
    service.rate_goal(db, viewer=ward.nurse, goal_id=goal.id, rating=6)
    page = _nurse_client(client, ward).get(_page(ward))
    assert page.status_code == 200
    html = page.text
    assert html.index("Å komme hjem til katten min") < html.index("Gå tur med hunden")
    assert 'role="img"' in html and "<polyline" in html
    assert "10 Mar 2026: 6" in html  # the sparkline's text alternative
    assert "wm-flag-improved" in html and "+4" in html
    assert 'href="/static/goals.css"' in html
    assert html.count('type="radio" id="rate-') == 11
    assert html.count('name="csrftoken"') >= html.count("<form ")


def test_page_is_404_for_another_teams_nurse(client: TestClient, db: Session, ward: Ward) -> None:
    # A refused request rolls the test's transaction back, so each refusal is its own test.
    sign_in_client(client, make_ward(db).nurse_user)
    answer = client.get(_page(ward))
    assert answer.status_code == 404
    assert "<h1>" in answer.text


def test_page_refuses_a_coordinator_with_403(client: TestClient, db: Session, ward: Ward) -> None:
    organisation = db.get(Organisation, ward.team.organisation_id)
    sign_in_client(client, make_user(db, role="coordinator", organisation=organisation))
    assert client.get(_page(ward)).status_code == 403


def test_page_sends_a_signed_out_user_to_sign_in(client: TestClient, ward: Ward) -> None:
    answer = client.get(_page(ward), follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/sign-in")


def test_another_teams_nurse_cannot_post_to_the_page(
    client: TestClient, db: Session, ward: Ward
) -> None:
    goal = _goal(db, ward)
    sign_in_client(client, make_ward(db).nurse_user)
    posted = client.post(f"{_page(ward)}/goals/{goal.id}/ratings", data={"rating": "9"})
    assert posted.status_code == 404


def test_adding_a_goal_redirects_with_303_and_htmx_gets_hx_redirect(
    client: TestClient, db: Session, ward: Ward
) -> None:
    api = _nurse_client(client, ward)
    form = {"activity": "Handle selv", "baseline_rating": "3", "rated_on": "2026-02-01"}
    plain = api.post(f"{_page(ward)}/goals", data=form, follow_redirects=False)
    assert plain.status_code == 303
    assert plain.headers["location"].startswith(f"{_page(ward)}?saved=goal")
    htmx = api.post(f"{_page(ward)}/goals", data={**form, "activity": "Lese"}, headers=HX)
    assert htmx.headers["HX-Redirect"] == f"{_page(ward)}?saved=goal"
    saved = api.get(f"{_page(ward)}?saved=goal").text
    assert "The goal is added." in saved and "Handle selv" in saved and "Lese" in saved


def test_bad_goal_form_is_re_rendered_with_messages_and_what_was_typed(
    client: TestClient, db: Session, ward: Ward
) -> None:
    api = _nurse_client(client, ward)
    form = {"activity": "Gå i kirken", "baseline_rating": "11", "plan": "Sønnen kjører"}
    answer = api.post(f"{_page(ward)}/goals", data=form)
    assert answer.status_code == 422
    assert "The rating must be a whole number from 0 to 10." in answer.text
    assert ">Gå i kirken</textarea>" in answer.text
    assert ">Sønnen kjører</textarea>" in answer.text
    assert 'aria-invalid="true"' in answer.text
    future = api.post(
        f"{_page(ward)}/goals",
        data={"activity": "Gå i kirken", "baseline_rating": "4", "rated_on": "2026-03-11"},
    )
    assert future.status_code == 422
    assert "A rating cannot be dated in the future." in future.text
    assert 'value="4" checked' in future.text
    assert service.list_goals(db, viewer=ward.nurse, pathway_id=ward.pathway_id) == []


def test_htmx_error_swaps_in_only_the_page_block(
    client: TestClient, db: Session, ward: Ward
) -> None:
    api = _nurse_client(client, ward)
    answer = api.post(f"{_page(ward)}/goals", data={"activity": ""}, headers=HX)
    assert answer.status_code == 422
    assert "<html" not in answer.text and "<h1>" in answer.text
    assert "Write the activity in the patient&#39;s own words." in answer.text
    assert "HX-Request" in answer.headers["Vary"]


def test_conversation_form_needs_a_reason_when_not_answered(
    client: TestClient, db: Session, ward: Ward
) -> None:
    api = _nurse_client(client, ward)
    data = {"participants": ["patient", "gp"], "could_not_answer": "on", "held_on": "2026-03-10"}
    refused = api.post(f"{_page(ward)}/conversations", data=data)
    assert refused.status_code == 422
    assert "Say why the patient could not or would not answer." in refused.text
    assert 'value="gp" checked' in refused.text
    saved = api.post(
        f"{_page(ward)}/conversations",
        data={**data, "not_answered_reason": "Sov"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = api.get(_page(ward)).text
    assert "Ask again later." in page and "Sov" in page


def test_re_rating_before_baseline_and_twice_a_day_are_refused_on_the_page(
    client: TestClient, db: Session, ward: Ward
) -> None:
    goal = _goal(db, ward)
    api = _nurse_client(client, ward)
    url = f"{_page(ward)}/goals/{goal.id}/ratings"
    early = api.post(url, data={"rating": "5", "rated_on": "2026-01-01"})
    assert early.status_code == 422
    assert "A re-rating cannot be dated before the baseline rating (20 Jan 2026)." in early.text
    assert api.post(url, data={"rating": "5"}, follow_redirects=False).status_code == 303
    twice = api.post(url, data={"rating": "7"})
    assert twice.status_code == 409
    assert "This goal already has a rating on 10 Mar 2026" in twice.text


def test_sixth_goal_and_stale_version_are_409_on_the_page(
    client: TestClient, db: Session, ward: Ward
) -> None:
    goals = [_goal(db, ward, f"Aktivitet {n}") for n in range(5)]
    api = _nurse_client(client, ward)
    page = api.get(_page(ward)).text
    assert 'id="form-goal"' not in page and "There are already 5 active goals" in page
    sixth = api.post(f"{_page(ward)}/goals", data={"activity": "Sjette", "baseline_rating": "1"})
    assert sixth.status_code == 409
    first = goals[0]
    achieved = api.post(
        f"{_page(ward)}/goals/{first.id}/achieve", data={"version": str(first.version)}
    )
    assert achieved.status_code == 200  # followed the 303
    stale = api.post(
        f"{_page(ward)}/goals/{first.id}/drop", data={"version": str(first.version), "reason": "x"}
    )
    assert stale.status_code == 409
    assert "Someone else changed this in the meantime" in stale.text
    changed = api.post(
        f"{_page(ward)}/goals/{goals[1].id}/change",
        data={"version": "1", "activity": "Sykle", "baseline_rating": "2", "reason": "Ny plan"},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    history = api.get(_page(ward)).text
    assert "Earlier goals" in history and "Ny plan" in history
    assert "Replaces the goal “Aktivitet 1”." in history


def test_page_opened_from_a_checklist_carries_it_into_the_conversation(
    client: TestClient, db: Session, ward: Ward
) -> None:
    instance = ChecklistInstance(
        pathway_id=ward.pathway_id,
        team_id=int(ward.team.id or 0),
        definition_id="hph-2",
        definition_version=1,
        window_start=datetime(2026, 3, 8, tzinfo=UTC),
        window_end=datetime(2026, 3, 11, tzinfo=UTC),
        due_date=date(2026, 3, 11),
        due_week=date(2026, 3, 9),
        due_month=date(2026, 3, 1),
    )
    db.add(instance)
    db.flush()
    api = _nurse_client(client, ward)
    page = api.get(f"{_page(ward)}?checklist={instance.id}").text
    assert "Opened from the checklist" in page
    assert f'href="/checklists/{instance.id}"' in page
    assert f'name="checklist_instance_id" value="{instance.id}"' in page
    data = {
        "participants": ["patient"],
        "patient_words": "Å lage mat selv",
        "checklist_instance_id": str(instance.id),
    }
    saved = api.post(f"{_page(ward)}/conversations", data=data, follow_redirects=False)
    assert saved.headers["location"] == f"/checklists/{instance.id}#wm-item"
    summary = service.what_matters_summary(db, viewer=ward.nurse, pathway_id=ward.pathway_id)
    assert summary.conversation is not None
    assert summary.conversation.checklist_instance_id == instance.id


def test_page_view_is_audited(client: TestClient, db: Session, ward: Ward) -> None:
    _nurse_client(client, ward).get(_page(ward))
    entry = db.exec(
        select(AuditEntry)
        .where(AuditEntry.user_id == ward.nurse.user_id)
        .order_by(col(AuditEntry.id).desc())
    ).first()
    assert entry is not None
    assert (entry.action, entry.what, entry.patient_id) == (
        "read",
        "what matters",
        ward.patient.id,
    )


def test_banner_partial_renders_from_the_summary_alone(db: Session, ward: Ward) -> None:
    goal = _goal(db, ward)
    service.rate_goal(db, viewer=ward.nurse, goal_id=goal.id, rating=5)
    service.record_conversation(
        db,
        viewer=ward.nurse,
        pathway_id=ward.pathway_id,
        held_on=date(2026, 1, 20),
        participants=["patient", "next_of_kin"],
        participants_other="",
        patient_words="Å få snakke med folk <3",
        could_not_answer=False,
        not_answered_reason="",
        checklist_instance_id=None,
    )
    summary = service.what_matters_summary(db, viewer=ward.nurse, pathway_id=ward.pathway_id)
    html = templates.env.get_template("goals/_what_matters_banner.html").render(
        what_matters=summary
    )
    assert "Å få snakke med folk &lt;3" in html
    assert "Present: The patient, Next of kin" in html
    assert "Gå tur med hunden" in html and "now 5 of 10" in html
    assert "wm-flag-improved" in html
    assert f'href="/pathways/{ward.pathway_id}/what-matters"' in html
    hidden = templates.env.get_template("goals/_what_matters_banner.html").render(
        what_matters=summary, banner_goals=False, banner_link=False
    )
    assert "Gå tur med hunden" not in hidden and "/what-matters" not in hidden
