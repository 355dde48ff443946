"""The burden of a checklist: not relevant, left empty, never differing, time to complete."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.checklists.burden import checklist_burden
from app.checklists.service import complete_checklist, save_answer
from app.core.config import get_settings
from app.core.deps import Forbidden
from app.org.models import LearningNetwork, Organisation, Team
from app.org.scope import Viewer, resolve_viewer
from app.pathways.events import record_event
from tests.factories import make_patient, make_team, make_user, pathway_of, sign_in_client
from tests.risks.conftest import at

DAY = date(2026, 3, 2)


def _completed_visit(
    db: Session, team: Team, viewer: Viewer, answers: dict[str, str], minutes: int
) -> None:
    """A first home visit answered at 10:00 and completed `minutes` later."""
    pathway = pathway_of(db, make_patient(db, team))
    _event, created = record_event(
        db, viewer=viewer, pathway_id=int(pathway.id or 0), kind="hospital_discharge",
        occurred_at=at(DAY, 9), now=at(DAY, 9),
    )  # fmt: skip
    instance_id = int(next(i for i in created if i.definition_id == "hph-2").id or 0)
    for item_id, value in answers.items():
        save_answer(
            db, viewer=viewer, instance_id=instance_id, item_id=item_id, value=value,
            expected_version=0, now=at(DAY, 10),
        )  # fmt: skip
    done = at(DAY, 10) + timedelta(minutes=minutes)
    complete_checklist(db, viewer=viewer, instance_id=instance_id, performed_at=done, now=done)


@pytest.fixture()
def five_visits(db: Session) -> LearningNetwork:
    """Five first visits of one team, completed after 30, 60, 90, 120 and 150 minutes."""
    team = make_team(db)
    viewer = resolve_viewer(db, make_user(db, role="nurse", team=team))
    for n, minutes in enumerate((30, 60, 90, 120, 150)):
        answers = {"medication_at_home": "yes", "weight_loss": "yes" if n == 4 else "no"}
        if n < 2:
            answers["infection_signs"] = "not_relevant"
        _completed_visit(db, team, viewer, answers, minutes)
    organisation = db.get(Organisation, team.organisation_id)
    assert organisation is not None
    network = db.get(LearningNetwork, organisation.network_id)
    assert network is not None
    return network


def test_burden_counts_not_relevant_empty_sameness_and_median_time(
    db: Session, five_visits: LearningNetwork
) -> None:
    viewer = resolve_viewer(db, make_user(db, role="coordinator", network=five_visits))
    [hph2] = checklist_burden(db, viewer=viewer, network_id=int(five_visits.id or 0))
    assert (hph2.checklist_id, hph2.version, hph2.completed) == ("hph-2", 1, 5)
    assert hph2.median_hours_to_complete == 1.5
    items = {item.item_id: item for item in hph2.items}
    same = items["medication_at_home"]
    assert (same.answered, same.never_differs, same.empty_share) == (5, True, 0.0)
    rarely = items["infection_signs"]
    assert (rarely.not_relevant_share, rarely.empty_share) == (1.0, pytest.approx(0.6))
    differs = items["weight_loss"]
    assert (differs.distinct_answers, differs.never_differs) == (2, False)
    assert (items["fall_last_year"].answered, items["fall_last_year"].empty_share) == (0, 1.0)


def test_burden_is_for_coordinators_and_admins_of_the_network(
    db: Session, client: TestClient, five_visits: LearningNetwork
) -> None:
    nurse = make_user(db, role="nurse", team=make_team(db))
    with pytest.raises(Forbidden):
        checklist_burden(db, viewer=resolve_viewer(db, nurse), network_id=int(five_visits.id or 0))
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="coordinator", network=five_visits))
    page = client.get(f"/networks/{five_visits.id}/checklist-burden")
    assert page.status_code == 200 and "Never differs" in page.text
    api = client.get(f"/api/v1/networks/{five_visits.id}/checklist-burden")
    assert api.status_code == 200 and api.json()[0]["completed"] == 5
    other = client.get(f"/api/v1/networks/{int(five_visits.id or 0) + 999}/checklist-burden")
    assert other.status_code == 403 and other.json()["detail"]


def test_lists_completed_fewer_times_than_the_threshold_are_left_out(
    db: Session, five_visits: LearningNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    viewer = resolve_viewer(db, make_user(db, role="admin", network=five_visits))
    monkeypatch.setattr(get_settings(), "suppression_threshold", 6)
    assert checklist_burden(db, viewer=viewer, network_id=int(five_visits.id or 0)) == []
