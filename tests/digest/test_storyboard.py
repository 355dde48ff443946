"""The team's storyboard on the hand-computed scenario (tests/digest/conftest.py)."""

from __future__ import annotations

import re
import zlib
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.digest.storyboard import last_complete_month, team_storyboard
from app.org.models import Organisation
from app.org.scope import resolve_viewer
from tests.digest.conftest import NOW, Scenario
from tests.factories import make_user, sign_in_client


def test_storyboard_tells_aim_measures_and_changes(db: Session, scenario: Scenario) -> None:
    viewer = resolve_viewer(db, scenario.member)
    board = team_storyboard(
        db, viewer=viewer, team_id=int(scenario.team.id or 0), month="2026-11", now=NOW
    )
    assert (board.first, board.last) == (date(2025, 12, 1), date(2026, 11, 30))
    aims = [m.aim for m in board.measures]
    assert "First home visit within 3 days: 95 % or more" in aims  # the team's own goal line
    assert "Readmission within 30 days: down to 15 % or less" in aims
    visits = next(m for m in board.measures if m.title == "First home visit within 3 days")
    # November is not over: October is the latest complete month. Its visits: 1-2 October of
    # W40 (2 of 4 on time), then W41-W44 (8, 9, 8, 9 of 10): 36 of 44.
    assert (visits.latest, visits.latest_period, visits.goal) == ("81.8 %", "2026-10", "95 %")
    assert visits.on_goal is False and visits.svg is not None and "<svg" in visits.svg
    assert [c.title for c in board.changes] == [
        "Call list before discharge",
        "Morning huddle",
        "Shared calendar",
    ]


def test_storyboard_defaults_to_the_last_complete_month() -> None:
    assert last_complete_month(NOW) == "2026-10"


def test_storyboard_page_is_for_the_team_and_holds_no_patient(
    client: TestClient, db: Session, scenario: Scenario
) -> None:
    sign_in_client(client, scenario.member)
    page = client.get(f"/teams/{scenario.team.id}/storyboard?month=2026-11")
    assert page.status_code == 200
    assert page.text.count("<svg") >= 2 and "Morning huddle" in page.text
    assert not any(label in page.text for label in scenario.labels)
    assert client.get(f"/teams/{scenario.team.id}/storyboard?month=2026-W48").status_code == 422
    coordinator = make_user(
        db,
        role="coordinator",
        organisation=db.get(Organisation, scenario.team.organisation_id),
    )
    sign_in_client(client, coordinator)
    assert client.get(f"/teams/{scenario.team.id}/storyboard").status_code == 403


def test_storyboard_pdf_is_one_page_made_on_the_server(
    client: TestClient, scenario: Scenario
) -> None:
    pytest.importorskip("weasyprint", reason="WeasyPrint is not installed here")
    sign_in_client(client, scenario.member)
    answer = client.get(f"/teams/{scenario.team.id}/storyboard.pdf?month=2026-11")
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    assert "storyboard-" in answer.headers["content-disposition"]
    Path("/tmp/shots/digest").mkdir(parents=True, exist_ok=True)
    Path("/tmp/shots/digest/storyboard-weasy.pdf").write_bytes(answer.content)
    assert pdf_pages(answer.content) == 1


def pdf_pages(pdf: bytes) -> int:
    """The page count a PDF's page tree states (its objects may sit in compressed streams)."""
    texts = [pdf]
    for start in re.finditer(rb"stream\r?\n", pdf):
        try:
            texts.append(zlib.decompressobj().decompress(pdf[start.end() :]))
        except zlib.error:
            continue
    counts = [
        int(n) for t in texts for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", t)
    ]
    assert counts, "no page tree found"
    return counts[0]
