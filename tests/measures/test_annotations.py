"""Tested changes: written by the improvement team, starting new phases on the charts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session

from app.core.deps import Forbidden
from app.measures.aggregate import Level
from app.measures.annotations import (
    AnnotationFields,
    AnnotationInvalid,
    create_annotation,
    delete_annotation,
    list_annotations,
    update_annotation,
)
from app.measures.service import measure_series
from tests.factories import make_patient, make_team, make_user
from tests.measures.conftest import end_of_day, local, make_instance, pathway_of, viewer_of

MONDAYS = [date(2026, 1, 5) + timedelta(weeks=n) for n in range(8)]


def test_annotation_starting_a_phase_splits_the_chart_at_the_next_period(db: Session) -> None:
    team = make_team(db)
    member = viewer_of(db, make_user(db, role="team", team=team))
    for index, monday in enumerate(MONDAYS):
        for n in range(6):
            done = n < (2 if index < 4 else 5)
            make_instance(
                db,
                team=team,
                pathway=pathway_of(db, make_patient(db, team)),
                definition_id="hph-2",
                window_end=end_of_day(monday + timedelta(days=1)),
                status="completed" if done else "due",
                performed_at=local(monday, 9) if done else None,
            )
    wednesday = MONDAYS[3] + timedelta(days=2)  # in 2026-W05: the new phase starts in W06
    create_annotation(
        db,
        viewer=member,
        team_id=int(team.id or 0),
        fields=AnnotationFields(
            happened_on=wednesday, title="Checklist by phone", starts_phase=True
        ),
    )
    create_annotation(
        db,
        viewer=member,
        team_id=int(team.id or 0),
        fields=AnnotationFields(
            happened_on=MONDAYS[1],
            title="Other measure only",
            measure_key="hph-3-on-time",
            starts_phase=True,
        ),
    )
    chart = measure_series(
        db,
        viewer=member,
        measure_id="hph-2-on-time",
        level=Level.team,
        unit_id=int(team.id or 0),
        period="week",
        start=MONDAYS[0],
        end=MONDAYS[-1],
        now=local(date(2026, 4, 1)),
    )
    assert [p.part for p in chart.points] == [1, 1, 1, 1, 2, 2, 2, 2]
    assert [round(part.centre or 0, 1) for part in chart.parts] == [33.3, 83.3]
    assert chart.parts[1].label == f"{wednesday.isoformat()} Checklist by phone"
    assert [(mark.period, mark.title) for mark in chart.annotations] == [
        ("2026-W05", "Checklist by phone")
    ]


def test_only_the_improvement_team_writes_annotations(db: Session) -> None:
    team, other = make_team(db), make_team(db)
    member = viewer_of(db, make_user(db, role="team", team=team))
    nurse = viewer_of(db, make_user(db, role="nurse", team=team))
    fields = AnnotationFields(happened_on=date(2026, 2, 1), title="Huddle every morning")
    with pytest.raises(Forbidden):
        create_annotation(db, viewer=nurse, team_id=int(team.id or 0), fields=fields)
    with pytest.raises(Forbidden):
        create_annotation(db, viewer=member, team_id=int(other.id or 0), fields=fields)
    note = create_annotation(db, viewer=member, team_id=int(team.id or 0), fields=fields)
    assert [a.id for a in list_annotations(db, viewer=nurse, team_id=int(team.id or 0))] == [
        note.id
    ]
    with pytest.raises(Forbidden):
        delete_annotation(db, viewer=nurse, annotation_id=int(note.id or 0))
    changed = update_annotation(
        db,
        viewer=member,
        annotation_id=int(note.id or 0),
        fields=AnnotationFields(happened_on=date(2026, 2, 2), title="Huddle", starts_phase=True),
    )
    assert (changed.title, changed.starts_phase) == ("Huddle", True)
    with pytest.raises(AnnotationInvalid) as caught:
        update_annotation(
            db,
            viewer=member,
            annotation_id=int(note.id or 0),
            fields=AnnotationFields(happened_on=date(2026, 2, 2), title="", measure_key="nope"),
        )
    assert set(caught.value.problems) == {"title", "measure_key"}
    delete_annotation(db, viewer=member, annotation_id=int(note.id or 0))
    assert list_annotations(db, viewer=member, team_id=int(team.id or 0)) == []
