"""The worked scenarios of MEASUREMENT.md §2, counted by the SQL aggregate on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from app.measures.aggregate import Level
from app.measures.service import measure_series
from app.pathways.models import PathwayEvent
from tests.factories import make_patient, make_team, make_user
from tests.measures.conftest import (
    Counts,
    counts,
    end_of_day,
    local,
    make_event,
    make_instance,
    pathway_of,
    viewer_of,
)

W10, W11, W12 = date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)


def _admission(db: Session, team, day: date, hour: int = 10, **fields):  # type: ignore[no-untyped-def]
    """An admission on a day with its report due by the end of the next day."""
    pathway = pathway_of(db, make_patient(db, team))
    admitted = local(day, hour, 30 if hour == 23 else 0)
    event = make_event(db, pathway, "hospital_admission", admitted)
    return make_instance(
        db,
        team=team,
        pathway=pathway,
        definition_id="innleggelse",
        window_start=admitted,
        window_end=end_of_day(day + timedelta(days=1)),
        event=event,
        **fields,
    )


def test_friday_admission_counts_four_of_five_in_week_10(db: Session) -> None:
    team = make_team(db)
    done_on_time = {"status": "completed"}
    for offset in range(3):  # Monday to Wednesday, done the same afternoon
        day = W10 + timedelta(days=offset)
        _admission(db, team, day, performed_at=local(day, 15), **done_on_time)
    _admission(db, team, W10 + timedelta(days=3))  # Thursday: never done
    friday = W10 + timedelta(days=4)
    _admission(db, team, friday, status="completed", performed_at=local(friday + timedelta(1), 11))
    _admission(db, team, W10 + timedelta(days=6), hour=23)  # Sunday 23:30: due Monday
    now = local(date(2026, 3, 25))
    found = counts(
        db,
        "innleggelse-on-time",
        team=team,
        period="week",
        first=W10,
        last=W11 + timedelta(6),
        now=now,
    )
    assert found[W10] == Counts(numerator=4, denominator=5, pending=0)
    assert found[W11] == Counts(numerator=0, denominator=1, pending=0)


def test_first_visit_due_across_month_end_belongs_to_february_and_week_6(db: Session) -> None:
    team = make_team(db)
    pathway = pathway_of(db, make_patient(db, team))
    discharge = local(date(2026, 1, 20), 13)
    instance = make_instance(
        db,
        team=team,
        pathway=pathway,
        definition_id="hph-2",
        window_start=local(date(2026, 1, 31), 0),
        window_end=end_of_day(date(2026, 2, 6)),
        event=make_event(db, pathway, "hospital_discharge", discharge),
        status="completed",
        performed_at=local(date(2026, 1, 31), 10),  # done on the first day, still February's
    )
    assert (instance.due_week, instance.due_month) == (date(2026, 2, 2), date(2026, 2, 1))
    now = local(date(2026, 3, 1))
    by_month = counts(
        db,
        "hph-2-on-time",
        team=team,
        period="month",
        first=date(2026, 1, 1),
        last=date(2026, 2, 28),
        now=now,
    )
    assert by_month == {date(2026, 2, 1): Counts(1, 1, 0)}
    by_week = counts(
        db,
        "hph-2-on-time",
        team=team,
        period="week",
        first=date(2026, 1, 26),
        last=date(2026, 2, 8),
        now=now,
    )
    assert by_week == {date(2026, 2, 2): Counts(1, 1, 0)}


def test_late_completion_is_in_the_denominator_and_only_the_completed_at_all_numerator(
    db: Session,
) -> None:
    team = make_team(db)
    pathway = pathway_of(db, make_patient(db, team))
    make_instance(
        db,
        team=team,
        pathway=pathway,
        definition_id="hph-2",
        window_end=end_of_day(date(2026, 3, 12)),
        status="completed",
        performed_at=local(date(2026, 3, 14), 10),
    )
    now = local(date(2026, 3, 25))
    span = {"team": team, "period": "week", "first": W11, "last": W11 + timedelta(6), "now": now}
    assert counts(db, "hph-2-on-time", **span) == {W11: Counts(0, 1, 0)}
    assert counts(db, "hph-2-completed", **span) == {W11: Counts(1, 1, 0)}


def test_cancelled_admission_leaves_every_count_even_when_its_report_was_done(db: Session) -> None:
    team = make_team(db)
    monday, tuesday = W10, W10 + timedelta(days=1)
    report = _admission(db, team, monday, status="cancelled")
    done = _admission(db, team, tuesday, status="completed", performed_at=local(tuesday, 15))
    for instance in (report, done):
        event = db.get(PathwayEvent, instance.event_id)
        assert event is not None
        event.status, event.cancel_reason = "cancelled", "recorded by mistake"
        instance.event_cancelled = True  # as cancelling the event marks its instances
        db.add_all([event, instance])
    db.flush()
    now = local(date(2026, 3, 25))
    assert done.status == "completed"  # the work is kept...
    found = counts(
        db,
        "innleggelse-on-time",
        team=team,
        period="week",
        first=W10,
        last=W10 + timedelta(6),
        now=now,
    )
    assert found == {}  # ...but it leaves every count


def test_week_without_due_items_is_a_gap_and_the_rules_see_one_point_fewer(db: Session) -> None:
    team = make_team(db)
    user = make_user(db, role="team", team=team)
    weeks = [W10 - timedelta(weeks=n) for n in range(10, 0, -1)] + [W10]
    for index, monday in enumerate(weeks):
        if monday == W10 - timedelta(weeks=4):
            continue  # nothing falls due this week
        for n in range(4):
            pathway = pathway_of(db, make_patient(db, team))
            done = n < 1 + index % 3
            make_instance(
                db,
                team=team,
                pathway=pathway,
                definition_id="hph-2",
                window_end=end_of_day(monday + timedelta(days=2)),
                status="completed" if done else "due",
                performed_at=local(monday, 10) if done else None,
            )
    chart = measure_series(
        db,
        viewer=viewer_of(db, user),
        measure_id="hph-2-on-time",
        level=Level.team,
        unit_id=int(team.id or 0),
        period="week",
        start=weeks[0],
        end=W10 + timedelta(days=6),
        now=local(date(2026, 3, 25)),
    )
    gap = next(p for p in chart.points if p.period_start == W10 - timedelta(weeks=4))
    assert (gap.value, gap.numerator, gap.denominator) == (None, None, None)
    assert len(chart.points) == 11
    assert chart.parts[0].n_obs == 11  # gaps are analysed as points...
    useful = [p for p in chart.points if p.value is not None and p.value != chart.parts[0].centre]
    assert chart.parts[0].n_useful == len(useful) <= 10  # ...but are never useful


def test_pending_items_count_nowhere_and_mark_week_12_incomplete(db: Session) -> None:
    team = make_team(db)
    user = make_user(db, role="team", team=team)
    now = local(date(2026, 3, 18), 12)  # Wednesday of week 12

    def item(day: date, **fields):  # type: ignore[no-untyped-def]
        pathway = pathway_of(db, make_patient(db, team))
        return make_instance(
            db,
            team=team,
            pathway=pathway,
            definition_id="hph-2",
            window_end=end_of_day(day),
            **fields,
        )

    item(date(2026, 3, 16), status="completed", performed_at=local(date(2026, 3, 16), 9))
    item(date(2026, 3, 17))  # Tuesday, not done: missed
    item(date(2026, 3, 20), status="completed", performed_at=local(date(2026, 3, 17), 14))
    item(date(2026, 3, 19))  # Thursday, not done yet: pending
    item(date(2026, 3, 22), status="in_progress")  # Sunday: pending
    item(
        date(2026, 3, 21), status="completed", performed_at=local(date(2026, 3, 18), 14)
    )  # entered after 'now': still pending
    found = counts(
        db, "hph-2-on-time", team=team, period="week", first=W12, last=W12 + timedelta(6), now=now
    )
    assert found == {W12: Counts(numerator=2, denominator=3, pending=3)}
    chart = measure_series(
        db,
        viewer=viewer_of(db, user),
        measure_id="hph-2-on-time",
        level=Level.team,
        unit_id=int(team.id or 0),
        period="week",
        start=W11,
        end=W12,
        now=now,
    )
    assert [(p.period, p.incomplete) for p in chart.points] == [
        ("2026-W11", False),
        ("2026-W12", True),
    ]
    assert chart.points[1].pending == 3


def test_window_end_around_midnight_on_31_march_is_attributed_in_local_time(db: Session) -> None:
    team = make_team(db)

    def item(window_end: datetime):  # type: ignore[no-untyped-def]
        pathway = pathway_of(db, make_patient(db, team))
        return make_instance(
            db, team=team, pathway=pathway, definition_id="hph-2", window_end=window_end
        )

    march = item(datetime(2026, 3, 31, 21, 30, tzinfo=UTC))  # 23:30 in Oslo
    april = item(datetime(2026, 3, 31, 22, 30, tzinfo=UTC))  # 00:30 on 1 April in Oslo
    item(datetime(2026, 3, 29, 21, 0, tzinfo=UTC))  # Sunday 23:00, the day clocks go forward
    item(datetime(2026, 3, 29, 22, 30, tzinfo=UTC))  # Monday 00:30: the next week
    assert (march.due_month, april.due_month) == (date(2026, 3, 1), date(2026, 4, 1))
    now = local(date(2026, 5, 1))
    by_month = counts(
        db,
        "hph-2-on-time",
        team=team,
        period="month",
        first=date(2026, 3, 1),
        last=date(2026, 4, 30),
        now=now,
    )
    assert by_month == {date(2026, 3, 1): Counts(0, 3, 0), date(2026, 4, 1): Counts(0, 1, 0)}
    by_week = counts(
        db,
        "hph-2-on-time",
        team=team,
        period="week",
        first=date(2026, 3, 23),
        last=date(2026, 4, 5),
        now=now,
    )
    assert by_week == {date(2026, 3, 23): Counts(0, 1, 0), date(2026, 3, 30): Counts(0, 3, 0)}


def test_window_ending_1_january_2027_belongs_to_week_53_and_january(db: Session) -> None:
    team = make_team(db)
    user = make_user(db, role="team", team=team)
    pathway = pathway_of(db, make_patient(db, team))
    make_instance(
        db,
        team=team,
        pathway=pathway,
        definition_id="hph-2",
        window_end=end_of_day(date(2027, 1, 1)),
        status="completed",
        performed_at=local(date(2026, 12, 30), 10),
    )
    now = local(date(2027, 2, 1))
    weekly = counts(
        db,
        "hph-2-on-time",
        team=team,
        period="week",
        first=date(2026, 12, 21),
        last=date(2027, 1, 10),
        now=now,
    )
    assert weekly == {date(2026, 12, 28): Counts(1, 1, 0)}
    monthly = counts(
        db,
        "hph-2-on-time",
        team=team,
        period="month",
        first=date(2026, 12, 1),
        last=date(2027, 1, 31),
        now=now,
    )
    assert monthly == {date(2027, 1, 1): Counts(1, 1, 0)}
    chart = measure_series(
        db,
        viewer=viewer_of(db, user),
        measure_id="hph-2-on-time",
        level=Level.team,
        unit_id=int(team.id or 0),
        period="week",
        start=date(2026, 12, 21),
        end=date(2027, 1, 10),
        now=now,
    )
    assert [p.period for p in chart.points] == ["2026-W52", "2026-W53", "2027-W01"]
    assert [p.value for p in chart.points] == [None, 100.0, None]
