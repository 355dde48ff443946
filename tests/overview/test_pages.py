"""The overview and bright-spot pages: who sees which units, suppression, CSV, filters."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.i18n import current_language, set_language
from app.measures.models import Annotation, TeamMeasureSetting
from app.org.models import Membership, Team
from tests.factories import (
    make_network,
    make_organisation,
    make_patient,
    make_team,
    make_user,
    sign_in_client,
)
from tests.measures.conftest import end_of_day, make_instance, pathway_of

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
MEASURE = "hph-2-on-time"
TITLE = "First home visit within 3 days"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Run each test in English (a page's language comes from the cookie, else the default)."""
    previous = current_language()
    set_language("en")
    yield
    set_language(previous)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    """Freeze "now" in November 2026."""
    with time_machine.travel(NOW, tick=False):
        yield


def month_back(back: int) -> date:
    """The 10th of the month ``back`` months before November 2026."""
    index = 2026 * 12 + 10 - back
    return date(index // 12, index % 12 + 1, 10)


def fill(db: Session, team: Team, on_time: list[int], per_month: int) -> None:
    """hph-2 items in the months before now, oldest first: some on time, the rest missed."""
    pathway = pathway_of(db, make_patient(db, team))
    for back, done in zip(range(len(on_time), 0, -1), on_time, strict=True):
        month = month_back(back)
        for i in range(per_month):
            end = end_of_day(month + timedelta(days=i % 15))
            ok = i < done
            make_instance(
                db, team=team, pathway=pathway, definition_id="hph-2", window_end=end,
                status="completed" if ok else "due",
                performed_at=end - timedelta(hours=3) if ok else None,
            )  # fmt: skip


@pytest.fixture
def world(db: Session) -> dict[str, object]:
    """Network N1: an improving team (with a tested change) in one organisation, a small and
    a steady team in another; network N2: a team improving the same way."""
    n1, n2 = make_network(db), make_network(db)
    n1.name, n2.name = "North", "South"
    o1, o2, o3 = make_organisation(db, n1), make_organisation(db, n1), make_organisation(db, n2)
    teams = {"improving": make_team(db, o1), "small": make_team(db, o2)}
    teams |= {"steady": make_team(db, o2), "far": make_team(db, o3)}
    for key, team in teams.items():
        team.name = f"{key.capitalize()} team"
    db.add_all([n1, n2, *teams.values()])
    db.flush()
    fill(db, teams["improving"], [7] * 8 + [15] * 8, per_month=20)
    fill(db, teams["small"], [2] * 6, per_month=3)
    fill(db, teams["steady"], [12, 14, 11, 13, 12, 14, 11, 13, 12, 14], per_month=20)
    fill(db, teams["far"], [7] * 8 + [15] * 8, per_month=20)
    author = make_user(db, role="team", team=teams["improving"])
    author.display_name = "Astrid Author"
    for team in (teams["improving"], teams["far"]):
        db.add(
            Annotation(
                team_id=int(team.id or 0), happened_on=month_back(8) - timedelta(days=5),
                title=f"Phone call the day after discharge ({team.name})",
                description="Checklist read aloud on the phone.", starts_phase=False,
                created_by_id=author.id,
            )
        )  # fmt: skip
    db.flush()
    return {"teams": teams, "n1": n1, "n2": n2}


def signed(client: TestClient, db: Session, **membership: object) -> TestClient:
    """Sign the client in as a new user with one membership."""
    client.cookies.set("hph_lang", "en")
    return sign_in_client(client, make_user(db, **membership))  # type: ignore[arg-type]


def test_a_nurse_without_the_team_role_has_no_overview(client, db, world) -> None:  # type: ignore[no-untyped-def]
    signed(client, db, role="nurse", team=world["teams"]["improving"])
    for path in ("/overview", "/overview/export.csv", "/learning"):
        assert client.get(path).status_code == 403, path
    assert 'href="/overview"' not in client.get("/my-day").text


def test_a_team_member_sees_their_own_team_unsuppressed(client, db, world) -> None:  # type: ignore[no-untyped-def]
    signed(client, db, role="team", team=world["teams"]["small"])
    page = client.get("/overview")
    assert page.status_code == 200
    assert "Small team" in page.text and "Improving team" not in page.text
    assert "66.7 %" in page.text and "&lt;5" not in page.text  # 2 of 3, their own patients
    assert 'href="/overview"' in page.text  # in the main menu
    assert client.get("/overview?level=network").status_code == 403


def test_a_coordinator_sees_only_their_networks_with_small_counts_hidden(client, db, world) -> None:  # type: ignore[no-untyped-def]
    signed(client, db, role="coordinator", network=world["n1"])
    page = client.get("/overview?level=team")
    assert page.status_code == 200
    assert "Improving team" in page.text and "Steady team" in page.text
    assert "Far team" not in page.text
    assert "&lt;5" in page.text and "66.7 %" not in page.text
    networks = client.get("/overview")  # coordinators start with networks
    assert "North" in networks.text and "South" not in networks.text
    exported = client.get("/overview/export.csv?level=team")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    small = next(r for r in rows if r["Unit"] == "Small team" and r["Measure"] == TITLE)
    assert small["Value"] == "<5" and "66" not in exported.text


def test_the_csv_has_the_icons_in_words_in_the_users_language(client, db, world) -> None:  # type: ignore[no-untyped-def]
    signed(client, db, role="coordinator", network=world["n1"])
    english = client.get("/overview/export.csv?level=team")
    assert english.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(english.text)))
    improving = next(r for r in rows if r["Unit"] == "Improving team" and r["Measure"] == TITLE)
    assert improving["Variation"] == "Special cause, improving (high)"
    assert improving["Value"] == "75.0 %" and improving["Period"] == "2026-10"
    assert improving["Assurance"] == "Consistently misses the goal"  # 35 and 75 % against 90 %
    client.cookies.set("hph_lang", "nb")
    norsk = client.get("/overview/export.csv?level=team").content.decode("utf-8")
    assert norsk.startswith("\ufeffEnhet;")
    assert "75,0 %" in norsk and "Spesiell årsak, forbedring (høy)" in norsk


def test_rows_filter_and_sort_by_icon_without_javascript(client, db, world) -> None:  # type: ignore[no-untyped-def]
    signed(client, db, role="coordinator", network=world["n1"])
    improving = client.get(f"/overview?level=team&variation=improving&measure={MEASURE}")
    assert "Improving team" in improving.text and "Steady team" not in improving.text
    assert "1 of 3 units shown" in improving.text
    ranked = client.get(f"/overview?level=team&sort=variation&measure={MEASURE}")
    assert ranked.text.index("Improving team") < ranked.text.index("Small team")
    assert client.get("/overview?variation=sideways").status_code == 422
    assert client.get("/overview?level=everything").status_code == 422


def test_a_cell_opens_its_chart(client, db, world) -> None:  # type: ignore[no-untyped-def]
    team = world["teams"]["improving"]
    signed(client, db, role="team", team=team)
    assert f'href="/teams/{team.id}/dashboard?period=month"' in client.get("/overview").text
    client.cookies.clear()
    signed(client, db, role="coordinator", network=world["n1"])
    page = client.get("/overview?level=organisation").text
    assert f"/comparison?measure={MEASURE}&amp;level=organisation&amp;period=month" in page


def test_bright_spots_list_the_network_teams_improvement_and_changes(client, db, world) -> None:  # type: ignore[no-untyped-def]
    signed(client, db, role="team", team=world["teams"]["small"])  # same network, other team
    page = client.get("/learning")
    assert page.status_code == 200
    assert "Improving team" in page.text and "Far team" not in page.text
    assert "Phone call the day after discharge (Improving team)" in page.text
    assert "Checklist read aloud on the phone." in page.text
    assert "Astrid Author" not in page.text
    team_id = world["teams"]["improving"].id
    changes = client.get(f"/learning/teams/{team_id}")
    assert changes.status_code == 200 and "Checklist read aloud" in changes.text
    assert "Astrid Author" not in changes.text
    assert client.get(f"/learning/teams/{world['teams']['far'].id}").status_code == 404


def test_coordinators_see_bright_spots_of_their_networks_only(client, db, world) -> None:  # type: ignore[no-untyped-def]
    signed(client, db, role="coordinator", network=world["n2"])
    page = client.get("/learning").text
    assert "Far team" in page and "Improving team" not in page
    assert client.get(f"/learning/teams/{world['teams']['improving'].id}").status_code == 404


def test_a_national_coordinator_sees_every_network(client, db, world) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db, role="coordinator", network=world["n1"])
    client.cookies.set("hph_lang", "en")
    db.add(Membership(user_id=user.id, role="coordinator", scope_kind="network",
                      network_id=world["n2"].id))  # fmt: skip
    db.flush()
    sign_in_client(client, user)
    page = client.get("/overview").text
    assert "North" in page and "South" in page


def test_measures_a_team_follows_join_the_core_ones_on_request(client, db, world) -> None:  # type: ignore[no-untyped-def]
    teams = world["teams"]
    db.add(TeamMeasureSetting(team_id=teams["improving"].id, measure_id="hph-2-completed",
                              followed=True))  # fmt: skip
    db.flush()
    signed(client, db, role="coordinator", network=world["n1"])
    core = client.get("/overview?level=team").text
    assert "First home visit done" not in core
    rows = list(
        csv.DictReader(io.StringIO(client.get("/overview/export.csv?level=team&measures=all").text))
    )
    followed = {r["Unit"]: r["Value"] for r in rows if r["Measure"] == "First home visit done"}
    assert followed["Steady team"] == "Not followed"
    assert followed["Improving team"].endswith("%")
