"""The goals service: conversations, the 5-goal limit, rating rules, history, locking, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, col, func, select

from app.audit.models import AuditEntry
from app.checklists.models import ChecklistInstance
from app.core.config import get_settings
from app.goals import service
from app.goals.errors import InvalidInput, NotVisible, StateConflict, VersionConflict
from app.goals.models import Goal, GoalRating, WhatMattersConversation
from app.goals.psfs import ChangeFlag
from app.goals.views import GoalView
from app.org.models import Organisation
from app.org.scope import resolve_viewer
from tests.factories import make_patient, make_user
from tests.goals.conftest import Ward, make_ward

TODAY = date(2026, 3, 10)
JAN = date(2026, 1, 20)


def _goal(db: Session, ward: Ward, activity: str = "Gå tur", baseline: int = 2, **fields):  # type: ignore[no-untyped-def]
    """Add a goal rated on 20 January."""
    values = {"rated_on": JAN, **fields}
    return service.create_goal(
        db,
        viewer=ward.nurse,
        pathway_id=ward.pathway_id,
        activity=activity,
        baseline_rating=baseline,
        **values,
    )


def _conversation(db: Session, ward: Ward, **fields):  # type: ignore[no-untyped-def]
    """Record a conversation with sensible defaults."""
    values = {
        "held_on": JAN,
        "participants": ["patient", "nurse"],
        "participants_other": "",
        "patient_words": "Å komme hjem til katten min",
        "could_not_answer": False,
        "not_answered_reason": "",
        "checklist_instance_id": None,
        **fields,
    }
    return service.record_conversation(db, viewer=ward.nurse, pathway_id=ward.pathway_id, **values)


def test_record_conversation_keeps_the_patient_words_verbatim(db: Session, ward: Ward) -> None:
    words = "«Å komme hjem\ntil katten min» – og snakke folk i senk 🐈"
    view = _conversation(db, ward, patient_words=f"  {words}\n", participants_other="Nabo Kari")
    stored = db.get(WhatMattersConversation, view.id)
    assert stored is not None and stored.patient_words == words
    assert stored.participants == ["patient", "nurse", "Nabo Kari"]
    assert view.participant_names == ("The patient", "Nurse", "Nabo Kari")
    assert stored.recorded_by_id == ward.nurse.user_id


def test_record_conversation_not_answered_needs_a_reason(db: Session, ward: Ward) -> None:
    with pytest.raises(InvalidInput) as caught:
        _conversation(db, ward, patient_words="", could_not_answer=True)
    assert caught.value.problems == {
        "not_answered_reason": "Say why the patient could not or would not answer."
    }
    view = _conversation(
        db, ward, patient_words="", could_not_answer=True, not_answered_reason="Vil tenke seg om"
    )
    summary = service.what_matters_summary(db, viewer=ward.nurse, pathway_id=ward.pathway_id)
    assert summary.conversation == view
    assert summary.ask_again is True


def test_record_conversation_needs_words_or_not_answered(db: Session, ward: Ward) -> None:
    with pytest.raises(InvalidInput) as caught:
        _conversation(db, ward, patient_words="   ")
    assert set(caught.value.problems) == {"patient_words"}


def test_record_conversation_refuses_a_future_date_and_unknown_participants(
    db: Session, ward: Ward
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _conversation(db, ward, held_on=date(2026, 3, 11), participants=["patient", "mayor"])
    assert caught.value.problems == {
        "held_on": "The conversation cannot be dated in the future.",
        "participants": "'mayor' is not one of the choices.",
    }
    assert db.exec(select(func.count()).select_from(WhatMattersConversation)).one() == 0


def test_record_conversation_links_a_checklist_of_the_same_pathway_only(
    db: Session, ward: Ward
) -> None:
    other = make_ward(db)
    instance = ChecklistInstance(
        pathway_id=other.pathway_id,
        team_id=int(other.team.id or 0),
        definition_id="hph-2",
        definition_version=1,
        window_start=datetime(2026, 3, 1, tzinfo=UTC),
        window_end=datetime(2026, 3, 4, tzinfo=UTC),
        due_date=date(2026, 3, 4),
        due_week=date(2026, 3, 2),
        due_month=date(2026, 3, 1),
    )
    db.add(instance)
    db.flush()
    with pytest.raises(InvalidInput) as caught:
        _conversation(db, ward, checklist_instance_id=instance.id)
    assert "checklist_instance_id" in caught.value.problems
    view = _conversation(db, other, checklist_instance_id=instance.id)
    assert view.checklist_instance_id == instance.id


def test_update_conversation_with_a_stale_version_is_refused_with_the_current_value(
    db: Session, ward: Ward
) -> None:
    view = _conversation(db, ward)
    fields = {
        "held_on": JAN,
        "participants": ["patient"],
        "participants_other": "",
        "patient_words": "Å få gå i kirken",
        "could_not_answer": False,
        "not_answered_reason": "",
        "checklist_instance_id": None,
    }
    updated = service.update_conversation(
        db, viewer=ward.nurse, conversation_id=view.id, version=view.version, **fields
    )
    assert updated.version == view.version + 1
    with pytest.raises(VersionConflict) as caught:
        service.update_conversation(
            db,
            viewer=ward.nurse,
            conversation_id=view.id,
            version=view.version,
            **{**fields, "patient_words": "Noe annet"},
        )
    assert caught.value.current == updated
    assert caught.value.status_code == 409


def test_create_goal_stores_the_baseline_and_links_the_latest_conversation(
    db: Session, ward: Ward
) -> None:
    conversation = _conversation(db, ward)
    view = _goal(db, ward, target_rating=8, target_date=date(2026, 6, 1), plan="Fysioterapeut")
    assert view.position == 1
    assert view.conversation_id == conversation.id
    assert view.progress.baseline is not None and view.progress.baseline.rating == 2
    assert view.target_score == 8 and view.plan == "Fysioterapeut"
    ratings = db.exec(select(GoalRating).where(GoalRating.goal_id == view.id)).all()
    assert [(r.rated_on, r.rating, r.is_baseline) for r in ratings] == [(JAN, 2, True)]


@pytest.mark.parametrize(
    ("fields", "problems"),
    [
        ({"activity": "  "}, {"activity": "Write the activity in the patient's own words."}),
        ({"baseline": 11}, {"baseline_rating": "The rating must be a whole number from 0 to 10."}),
        ({"rated_on": date(2026, 3, 11)}, {"rated_on": "A rating cannot be dated in the future."}),
        (
            {"target_date": date(2026, 1, 1)},
            {"target_date": "The target date cannot be before the baseline rating."},
        ),
    ],
)
def test_create_goal_refuses_bad_input_and_saves_nothing(
    db: Session, ward: Ward, fields: dict, problems: dict
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _goal(db, ward, **fields)
    assert caught.value.problems == problems
    assert db.exec(select(func.count()).select_from(Goal)).one() == 0


def test_a_sixth_active_goal_is_refused_and_the_five_are_kept(db: Session, ward: Ward) -> None:
    for n in range(5):
        _goal(db, ward, f"Aktivitet {n}")
    with pytest.raises(StateConflict) as caught:
        _goal(db, ward, "Den sjette")
    assert caught.value.status_code == 409
    assert "5 active goals" in str(caught.value)
    positions = db.exec(select(Goal.position).where(Goal.pathway_id == ward.pathway_id)).all()
    assert sorted(positions) == [1, 2, 3, 4, 5]


def test_dropping_a_goal_frees_its_position_for_a_new_one(db: Session, ward: Ward) -> None:
    views = [_goal(db, ward, f"Aktivitet {n}") for n in range(5)]
    service.drop_goal(db, viewer=ward.nurse, goal_id=views[1].id, version=1, reason="Ikke aktuelt")
    new = _goal(db, ward, "Ny aktivitet")
    assert new.position == 2


def test_rerating_before_the_baseline_or_in_the_future_is_refused(db: Session, ward: Ward) -> None:
    goal = _goal(db, ward)
    with pytest.raises(InvalidInput) as before:
        service.rate_goal(
            db, viewer=ward.nurse, goal_id=goal.id, rating=5, rated_on=date(2026, 1, 19)
        )
    assert before.value.problems["rated_on"].startswith(
        "A re-rating cannot be dated before the baseline rating"
    )
    with pytest.raises(InvalidInput) as future:
        service.rate_goal(
            db, viewer=ward.nurse, goal_id=goal.id, rating=5, rated_on=date(2026, 3, 11)
        )
    assert future.value.problems == {"rated_on": "A rating cannot be dated in the future."}
    with pytest.raises(InvalidInput) as out_of_range:
        service.rate_goal(db, viewer=ward.nurse, goal_id=goal.id, rating=11)
    assert set(out_of_range.value.problems) == {"rating"}
    assert len(service.list_ratings(db, viewer=ward.nurse, goal_id=goal.id)) == 1


def test_one_rating_per_goal_per_day_and_ratings_are_never_overwritten(
    db: Session, ward: Ward
) -> None:
    goal = _goal(db, ward)
    first = service.rate_goal(db, viewer=ward.nurse, goal_id=goal.id, rating=5)
    assert first.rated_on == TODAY
    with pytest.raises(StateConflict) as caught:
        service.rate_goal(db, viewer=ward.nurse, goal_id=goal.id, rating=9, rated_on=TODAY)
    assert caught.value.field == "rated_on"
    with pytest.raises(StateConflict):
        service.rate_goal(db, viewer=ward.nurse, goal_id=goal.id, rating=9, rated_on=JAN)
    ratings = service.list_ratings(db, viewer=ward.nurse, goal_id=goal.id)
    assert [(r.rated_on, r.rating) for r in ratings] == [(JAN, 2), (TODAY, 5)]


def test_change_since_baseline_is_flagged_at_the_single_mic(db: Session, ward: Ward) -> None:
    big, small = _goal(db, ward, "Gå tur", 2), _goal(db, ward, "Lese avisen", 4)
    service.rate_goal(db, viewer=ward.nurse, goal_id=big.id, rating=5)
    service.rate_goal(db, viewer=ward.nurse, goal_id=small.id, rating=5)
    summary = service.what_matters_summary(db, viewer=ward.nurse, pathway_id=ward.pathway_id)
    flags = {g.activity: (g.progress.change, g.progress.flag) for g in summary.goals}
    assert flags == {"Gå tur": (3, ChangeFlag.improved), "Lese avisen": (1, ChangeFlag.small)}
    assert summary.mean.change == 2.0 and summary.mean.flag is ChangeFlag.improved


def test_mic_thresholds_come_from_settings(
    db: Session, ward: Ward, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HPH_PSFS_MIC_SINGLE", "4")
    monkeypatch.setenv("HPH_PSFS_MIC_MEAN", "3.5")
    get_settings.cache_clear()
    try:
        goal = _goal(db, ward, "Gå tur", 2)
        service.rate_goal(db, viewer=ward.nurse, goal_id=goal.id, rating=5)
        summary = service.what_matters_summary(db, viewer=ward.nurse, pathway_id=ward.pathway_id)
    finally:
        get_settings.cache_clear()
    assert summary.goals[0].progress.flag is ChangeFlag.small
    assert summary.mean.flag is ChangeFlag.small
    assert (summary.mic_single, summary.mic_mean) == (4, 3.5)


def test_reversed_scale_goal_improves_when_the_rating_falls(db: Session, ward: Ward) -> None:
    goal = _goal(db, ward, "Gå i trappen", 8, scale_direction="lower_is_better", target_rating=2)
    service.rate_goal(
        db, viewer=ward.nurse, goal_id=goal.id, rating=4, scale_direction="lower_is_better"
    )
    view = service.get_goal(db, viewer=ward.nurse, goal_id=goal.id)
    assert view.scale_direction == "lower_is_better"
    assert view.progress.change == 4 and view.progress.flag is ChangeFlag.improved
    assert view.target_score == 8 and not view.target_reached
    stored = db.exec(select(GoalRating.rating).where(GoalRating.goal_id == goal.id)).all()
    assert sorted(stored) == [4, 8]


def test_change_goal_replaces_it_and_keeps_the_old_one_with_its_ratings(
    db: Session, ward: Ward
) -> None:
    old = _goal(db, ward, "Gå tur", 2)
    service.rate_goal(db, viewer=ward.nurse, goal_id=old.id, rating=3, rated_on=date(2026, 2, 20))
    new = service.change_goal(
        db,
        viewer=ward.nurse,
        goal_id=old.id,
        version=old.version,
        reason="Vil heller sykle",
        activity="Sykle til butikken",
        baseline_rating=1,
    )
    assert new.replaces_id == old.id and new.position == old.position
    assert new.progress.baseline is not None and new.progress.baseline.rated_on == TODAY
    kept = service.get_goal(db, viewer=ward.nurse, goal_id=old.id)
    assert kept.status == "changed" and kept.status_reason == "Vil heller sykle"
    assert [p.rating for p in kept.progress.points] == [2, 3]
    page = service.what_matters_page(db, viewer=ward.nurse, pathway_id=ward.pathway_id)
    assert [g.id for g in page.summary.goals] == [new.id]
    assert [g.id for g in page.closed_goals] == [old.id]


def test_change_goal_with_bad_input_changes_nothing(db: Session, ward: Ward) -> None:
    old = _goal(db, ward)
    with pytest.raises(InvalidInput):
        service.change_goal(
            db,
            viewer=ward.nurse,
            goal_id=old.id,
            version=old.version,
            activity="",
            baseline_rating=3,
        )
    assert service.get_goal(db, viewer=ward.nurse, goal_id=old.id).status == "active"
    assert db.exec(select(func.count()).select_from(Goal)).one() == 1


def test_drop_goal_needs_a_reason_and_keeps_the_history(db: Session, ward: Ward) -> None:
    goal = _goal(db, ward)
    with pytest.raises(InvalidInput) as caught:
        service.drop_goal(db, viewer=ward.nurse, goal_id=goal.id, version=goal.version, reason=" ")
    assert caught.value.problems == {"reason": "Say why the goal is dropped."}
    dropped = service.drop_goal(
        db, viewer=ward.nurse, goal_id=goal.id, version=goal.version, reason="Flyttet på sykehjem"
    )
    assert dropped.status == "dropped" and dropped.version == goal.version + 1
    assert len(service.list_ratings(db, viewer=ward.nurse, goal_id=goal.id)) == 1
    with pytest.raises(StateConflict):
        service.rate_goal(db, viewer=ward.nurse, goal_id=goal.id, rating=5)


def test_achieve_goal_with_a_stale_version_gets_the_current_goal(db: Session, ward: Ward) -> None:
    goal = _goal(db, ward)
    achieved = service.achieve_goal(
        db, viewer=ward.nurse, goal_id=goal.id, version=goal.version, note="Går hver dag"
    )
    assert achieved.status == "achieved" and achieved.status_reason == "Går hver dag"
    with pytest.raises(VersionConflict) as caught:
        service.drop_goal(db, viewer=ward.nurse, goal_id=goal.id, version=goal.version, reason="x")
    assert isinstance(caught.value.current, GoalView)
    assert caught.value.current.status == "achieved"
    with pytest.raises(StateConflict):
        service.achieve_goal(db, viewer=ward.nurse, goal_id=goal.id, version=achieved.version)


def test_another_teams_nurse_and_a_coordinator_cannot_see_the_pathway(
    db: Session, ward: Ward
) -> None:
    goal = _goal(db, ward)
    conversation = _conversation(db, ward)
    stranger = make_ward(db).nurse
    organisation_id = ward.team.organisation_id
    organisation = db.get(Organisation, organisation_id)
    coordinator = resolve_viewer(db, make_user(db, role="coordinator", organisation=organisation))
    for viewer in (stranger, coordinator):
        with pytest.raises(NotVisible):
            service.what_matters_summary(db, viewer=viewer, pathway_id=ward.pathway_id)
        with pytest.raises(NotVisible):
            service.get_goal(db, viewer=viewer, goal_id=goal.id)
        with pytest.raises(NotVisible):
            service.rate_goal(db, viewer=viewer, goal_id=goal.id, rating=5)
        with pytest.raises(NotVisible):
            service.get_conversation(db, viewer=viewer, conversation_id=conversation.id)
        with pytest.raises(NotVisible):
            service.create_goal(
                db, viewer=viewer, pathway_id=ward.pathway_id, activity="x", baseline_rating=1
            )
        listed = service.list_pathways(db, viewer=viewer)
        assert ward.pathway_id not in [row.pathway_id for row in listed]
    assert service.get_goal(db, viewer=ward.nurse, goal_id=goal.id).status == "active"


def test_every_read_and_write_is_audited_with_the_patient(db: Session, ward: Ward) -> None:
    def entries() -> list[tuple[str, str, int | None]]:
        """The nurse's audit entries, oldest first."""
        rows = db.exec(
            select(AuditEntry)
            .where(AuditEntry.user_id == ward.nurse.user_id)
            .order_by(col(AuditEntry.id))
        ).all()
        return [(r.action, r.what, r.patient_id) for r in rows]

    start = len(entries())
    conversation = _conversation(db, ward)
    goal = _goal(db, ward)
    service.rate_goal(db, viewer=ward.nurse, goal_id=goal.id, rating=5)
    service.what_matters_summary(db, viewer=ward.nurse, pathway_id=ward.pathway_id)
    service.what_matters_page(db, viewer=ward.nurse, pathway_id=ward.pathway_id)
    service.list_goals(db, viewer=ward.nurse, pathway_id=ward.pathway_id)
    service.list_ratings(db, viewer=ward.nurse, goal_id=goal.id)
    service.get_conversation(db, viewer=ward.nurse, conversation_id=conversation.id)
    service.list_conversations(db, viewer=ward.nurse, pathway_id=ward.pathway_id)
    service.achieve_goal(db, viewer=ward.nurse, goal_id=goal.id, version=goal.version)
    patient_id = ward.patient.id
    assert entries()[start:] == [
        ("create", "conversation", patient_id),
        ("create", "goal", patient_id),
        ("create", "goal rating", patient_id),
        ("read", "what matters summary", patient_id),
        ("read", "what matters", patient_id),
        ("read", "goals", patient_id),
        ("read", "goal ratings", patient_id),
        ("read", "conversation", patient_id),
        ("read", "conversations", patient_id),
        ("update", "goal achieved", patient_id),
    ]


def test_list_pathways_shows_open_pathways_of_the_viewers_teams(db: Session, ward: Ward) -> None:
    second = make_patient(db, ward.team, label="Z.Z. 1930")
    _goal(db, ward)
    rows = service.list_pathways(db, viewer=ward.nurse)
    assert [(r.patient_label, r.active_goals) for r in rows] == [
        (ward.patient.label, 1),
        ("Z.Z. 1930", 0),
    ]
    without = service.list_pathways(db, viewer=ward.nurse, without_goals=True)
    assert [r.patient_id for r in without] == [second.id]
