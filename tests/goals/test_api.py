"""The goals JSON API: status codes, messages, version conflicts and who may see what."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.org.models import Organisation
from tests.factories import make_user, sign_in_client
from tests.goals.conftest import Ward, make_ward

CONVERSATION = {
    "held_on": "2026-01-20",
    "participants": ["patient", "next_of_kin"],
    "participants_other": "Nabo",
    "patient_words": "Å få være med på 17. mai",
}


def _nurse_client(client: TestClient, ward: Ward) -> TestClient:
    """Sign the ward's nurse in, in English."""
    sign_in_client(client, ward.nurse_user)
    client.cookies.set("hph_lang", "en")
    return client


def _add_goal(client: TestClient, ward: Ward, activity: str = "Gå tur", baseline: int = 2):  # type: ignore[no-untyped-def]
    """Add a goal rated on 20 January through the API."""
    body = {"activity": activity, "baseline_rating": baseline, "rated_on": "2026-01-20"}
    return client.post(f"/api/v1/pathways/{ward.pathway_id}/goals", json=body)


def test_conversation_can_be_created_read_listed_and_corrected(
    client: TestClient, db: Session, ward: Ward
) -> None:
    api = _nurse_client(client, ward)
    created = api.post(f"/api/v1/pathways/{ward.pathway_id}/conversations", json=CONVERSATION)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["patient_words"] == "Å få være med på 17. mai"
    assert body["participants"] == ["patient", "next_of_kin"]
    assert body["participants_other"] == "Nabo"
    assert api.get(f"/api/v1/conversations/{body['id']}").json() == body
    assert api.get(f"/api/v1/pathways/{ward.pathway_id}/conversations").json() == [body]

    update = {**CONVERSATION, "patient_words": "Å gå i kirken", "version": body["version"]}
    corrected = api.put(f"/api/v1/conversations/{body['id']}", json=update)
    assert corrected.status_code == 200
    assert corrected.json()["version"] == body["version"] + 1

    stale = api.put(f"/api/v1/conversations/{body['id']}", json={**update, "patient_words": "x"})
    assert stale.status_code == 409
    assert stale.json()["current"]["patient_words"] == "Å gå i kirken"
    assert "Someone else changed this" in stale.json()["detail"]


def test_conversation_refuses_future_date_and_missing_reason(
    client: TestClient, db: Session, ward: Ward
) -> None:
    api = _nurse_client(client, ward)
    url = f"/api/v1/pathways/{ward.pathway_id}/conversations"
    future = api.post(url, json={**CONVERSATION, "held_on": "2026-03-11"})
    assert future.status_code == 422
    assert future.json()["detail"] == "The conversation cannot be dated in the future."
    assert future.json()["errors"][0]["loc"] == ["body", "held_on"]
    silent = api.post(url, json={"could_not_answer": True, "patient_words": ""})
    assert silent.status_code == 422
    assert silent.json()["detail"] == "Say why the patient could not or would not answer."
    assert api.get(url).json() == []


def test_goal_lifecycle_through_the_api(client: TestClient, db: Session, ward: Ward) -> None:
    api = _nurse_client(client, ward)
    goal = _add_goal(api, ward).json()
    assert goal["baseline"]["rating"] == 2 and goal["change_flag"] == "not_rerated"

    rating = api.post(f"/api/v1/goals/{goal['id']}/ratings", json={"rating": 6})
    assert rating.status_code == 201
    assert rating.json() == {
        "goal_id": goal["id"],
        "rated_on": "2026-03-10",
        "rating": 6,
        "scale_direction": "higher_is_better",
        "score": 6,
        "is_baseline": False,
    }
    ratings = api.get(f"/api/v1/goals/{goal['id']}/ratings").json()
    assert [r["rating"] for r in ratings] == [2, 6]
    read = api.get(f"/api/v1/goals/{goal['id']}").json()
    assert (read["change"], read["change_flag"]) == (4, "improved")

    changed = api.post(
        f"/api/v1/goals/{goal['id']}/change",
        json={"version": read["version"], "activity": "Gå til butikken", "baseline_rating": 3},
    )
    assert changed.status_code == 201
    new = changed.json()
    assert new["replaces_id"] == goal["id"]
    goals = api.get(f"/api/v1/pathways/{ward.pathway_id}/goals").json()
    assert {(g["activity"], g["status"]) for g in goals} == {
        ("Gå tur", "changed"),
        ("Gå til butikken", "active"),
    }
    active = api.get(f"/api/v1/pathways/{ward.pathway_id}/goals?status=active").json()
    assert [g["id"] for g in active] == [new["id"]]

    dropped = api.post(
        f"/api/v1/goals/{new['id']}/drop", json={"version": new["version"], "reason": "Syk"}
    )
    assert dropped.status_code == 200 and dropped.json()["status"] == "dropped"
    again = api.post(f"/api/v1/goals/{new['id']}/achieve", json={"version": new["version"]})
    assert again.status_code == 409
    assert again.json()["current"]["status"] == "dropped"


def test_a_sixth_goal_gets_409(client: TestClient, db: Session, ward: Ward) -> None:
    api = _nurse_client(client, ward)
    for n in range(5):
        assert _add_goal(api, ward, f"Aktivitet {n}").status_code == 201
    sixth = _add_goal(api, ward, "Den sjette")
    assert sixth.status_code == 409
    assert sixth.json()["detail"] == (
        "There are already 5 active goals: achieve, change or drop one first."
    )
    assert len(api.get(f"/api/v1/pathways/{ward.pathway_id}/goals").json()) == 5


def test_bad_ratings_get_422_with_a_clear_message(
    client: TestClient, db: Session, ward: Ward
) -> None:
    api = _nurse_client(client, ward)
    goal = _add_goal(api, ward).json()
    url = f"/api/v1/goals/{goal['id']}/ratings"
    for bad in (7.5, 11, -1, "sju"):
        answer = api.post(url, json={"rating": bad})
        assert answer.status_code == 422
        assert "The rating must be a whole number from 0 to 10." in answer.json()["detail"]
    before = api.post(url, json={"rating": 5, "rated_on": "2026-01-19"})
    assert before.status_code == 422
    assert "before the baseline rating" in before.json()["detail"]
    future = api.post(url, json={"rating": 5, "rated_on": "2026-03-11"})
    assert future.json()["detail"] == "A rating cannot be dated in the future."
    same_day = api.post(url, json={"rating": 5, "rated_on": "2026-01-20"})
    assert same_day.status_code == 409
    empty = _add_goal(api, ward, activity=" ")
    assert empty.status_code == 422
    assert "Write the activity in the patient's own words." in empty.json()["detail"]
    assert len(api.get(url).json()) == 1


def test_reversed_scale_rating_reports_the_function_score(
    client: TestClient, db: Session, ward: Ward
) -> None:
    api = _nurse_client(client, ward)
    body = {"activity": "Trapp", "baseline_rating": 9, "scale_direction": "lower_is_better"}
    goal = api.post(f"/api/v1/pathways/{ward.pathway_id}/goals", json=body).json()
    rating = api.post(
        f"/api/v1/goals/{goal['id']}/ratings",
        json={"rating": 5, "scale_direction": "lower_is_better", "rated_on": "2026-03-10"},
    )
    assert rating.status_code == 409  # the baseline was taken today
    goal = api.post(
        f"/api/v1/pathways/{ward.pathway_id}/goals", json={**body, "rated_on": "2026-02-01"}
    ).json()
    api.post(
        f"/api/v1/goals/{goal['id']}/ratings",
        json={"rating": 5, "scale_direction": "lower_is_better"},
    )
    read = api.get(f"/api/v1/goals/{goal['id']}").json()
    assert (read["baseline"]["score"], read["latest"]["score"]) == (1, 5)
    assert (read["change"], read["change_flag"]) == (4, "improved")


def test_what_matters_summary_and_pathway_list(client: TestClient, db: Session, ward: Ward) -> None:
    api = _nurse_client(client, ward)
    api.post(f"/api/v1/pathways/{ward.pathway_id}/conversations", json=CONVERSATION)
    _add_goal(api, ward)
    summary = api.get(f"/api/v1/pathways/{ward.pathway_id}/what-matters").json()
    assert summary["conversation"]["patient_words"] == "Å få være med på 17. mai"
    assert summary["ask_again"] is False
    assert [g["activity"] for g in summary["goals"]] == ["Gå tur"]
    assert (summary["mic_single"], summary["mic_mean"]) == (3, 2)
    rows = api.get("/api/v1/what-matters/pathways").json()
    assert rows == [
        {
            "pathway_id": ward.pathway_id,
            "patient_id": ward.patient.id,
            "patient_label": ward.patient.label,
            "team_id": ward.team.id,
            "started_on": "2026-01-05",
            "active_goals": 1,
        }
    ]
    assert api.get("/api/v1/what-matters/pathways?without_goals=true").json() == []


def test_other_team_and_coordinator_get_404(client: TestClient, db: Session, ward: Ward) -> None:
    api = _nurse_client(client, ward)
    goal = _add_goal(api, ward).json()
    conversation = api.post(
        f"/api/v1/pathways/{ward.pathway_id}/conversations", json=CONVERSATION
    ).json()
    stranger = make_ward(db).nurse_user
    coordinator = make_user(
        db, role="coordinator", organisation=db.get(Organisation, ward.team.organisation_id)
    )
    for user in (stranger, coordinator):
        client.cookies.clear()
        sign_in_client(client, user)
        client.cookies.set("hph_lang", "en")
        for path in (
            f"/api/v1/pathways/{ward.pathway_id}/what-matters",
            f"/api/v1/pathways/{ward.pathway_id}/goals",
            f"/api/v1/pathways/{ward.pathway_id}/conversations",
            f"/api/v1/goals/{goal['id']}",
            f"/api/v1/goals/{goal['id']}/ratings",
            f"/api/v1/conversations/{conversation['id']}",
        ):
            answer = client.get(path)
            assert answer.status_code == 404, path
            assert answer.json()["detail"] in (
                "The pathway was not found.",
                "The goal was not found.",
                "The conversation was not found.",
            )
        refused = client.post(f"/api/v1/goals/{goal['id']}/ratings", json={"rating": 9})
        assert refused.status_code == 404
        listed = client.get("/api/v1/what-matters/pathways").json()
        assert ward.pathway_id not in [row["pathway_id"] for row in listed]


def test_signed_out_gets_401(client: TestClient, db: Session, ward: Ward) -> None:
    assert client.get(f"/api/v1/pathways/{ward.pathway_id}/what-matters").status_code == 401
    assert client.get("/api/v1/what-matters/pathways").status_code == 401


def test_openapi_documents_the_goal_endpoints(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    create = spec["paths"]["/api/v1/pathways/{pathway_id}/goals"]["post"]
    assert {"201", "404", "409", "422"} <= set(create["responses"])
    assert create["description"] or create["summary"]
    rating = spec["components"]["schemas"]["RatingIn"]["properties"]["rating"]
    assert (rating["minimum"], rating["maximum"]) == (0, 10)
