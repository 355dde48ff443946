"""The network's learning-session report: who may make it, what it shows, its PDF, its period."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from app.org.models import Membership
from tests.factories import make_user, sign_in_client
from tests.overview import test_pages
from tests.overview.test_pages import english, frozen, signed  # noqa: F401 (fixtures)

world = test_pages.world  # the scenario's fixture, shared with the overview's tests

SHOTS = Path("/tmp/shots/report")


def report_of(world: dict[str, object], name: str = "n1", query: str = "") -> str:
    """The report's address for a network of the scenario."""
    return f"/networks/{world[name].id}/report{query}"  # type: ignore[attr-defined]


def test_only_the_networks_coordinators_and_administrators_make_its_report(
    client: TestClient, db: Session, world: dict[str, object]
) -> None:
    signed(client, db, role="coordinator", network=world["n2"])
    assert client.get(report_of(world)).status_code == 404
    assert client.get(f"/networks/{world['n1'].id}/report.pdf").status_code == 404  # type: ignore[attr-defined]
    assert client.get("/networks/999999/report").status_code == 404
    assert client.get(report_of(world, "n2")).status_code == 200
    client.cookies.clear()
    signed(client, db, role="nurse", team=world["teams"]["improving"])  # type: ignore[index]
    assert client.get(report_of(world)).status_code == 403
    client.cookies.clear()
    signed(client, db, role="team", team=world["teams"]["improving"])  # type: ignore[index]
    assert client.get(report_of(world)).status_code == 403
    client.cookies.clear()
    signed(client, db, role="admin", network=world["n1"])
    assert client.get(report_of(world)).status_code == 200


def test_the_page_shows_overview_bright_spots_and_charts_with_small_counts_hidden(
    client: TestClient, db: Session, world: dict[str, object]
) -> None:
    signed(client, db, role="coordinator", network=world["n1"])
    page = client.get(report_of(world))
    assert page.status_code == 200
    text = page.text
    assert "North" in text and "1 August 2026 to 31 October 2026" in text
    assert "Improving team" in text and "Far team" not in text  # the other network's team
    assert "&lt;5" in text and "66.7" not in text  # the small team's 2 of 3
    assert "Special cause, improving (high)" in text  # the icon's words beside its shape
    assert "Phone call the day after discharge (Improving team)" in text  # a bright spot
    assert text.count("<svg") > 10 and "<img" not in text and "data:image/png" not in text
    assert "Funnel plot, 2026-08 – 2026-10" in text
    entry = db.exec(select(AuditEntry).where(AuditEntry.what == "network report (page)")).one()
    assert entry.action == "export" and entry.patient_id is None
    assert entry.detail == f"network {world['n1'].id}; 2026-08 to 2026-10"  # type: ignore[attr-defined]
    early = client.get(report_of(world, query="?from=2025-12&to=2026-02")).text
    assert "Phone call the day after discharge" not in early  # no improvement yet by February
    assert "1 December 2025 to 28 February 2026" in early


def test_the_report_is_linked_for_coordinators_only(
    client: TestClient, db: Session, world: dict[str, object]
) -> None:
    signed(client, db, role="coordinator", network=world["n1"])
    link = f'href="{report_of(world)}"'
    assert link in client.get("/overview").text
    assert link in client.get("/comparison?level=team").text
    client.cookies.clear()
    signed(client, db, role="team", team=world["teams"]["small"])  # type: ignore[index]
    assert "/report" not in client.get("/overview").text


@pytest.mark.parametrize(
    "query",
    ["?to=2026-11", "?from=2026-10&to=2026-08", "?from=2026-W40", "?from=2024-01&to=2026-10"],
)
def test_a_bad_or_unfinished_period_is_refused_in_the_users_language(
    client: TestClient, db: Session, world: dict[str, object], query: str
) -> None:
    signed(client, db, role="coordinator", network=world["n1"])
    page = client.get(report_of(world, query=query))
    assert page.status_code == 422 and 'role="alert"' in page.text
    assert client.get(f"/networks/{world['n1'].id}/report.pdf{query}").status_code == 422  # type: ignore[attr-defined]
    client.cookies.set("hph_lang", "nb")
    norsk = client.get(report_of(world, query="?to=2026-11"))
    assert norsk.status_code == 422
    assert "Perioden må slutte senest 2026-10, den siste hele måneden." in norsk.text


def test_the_pdf_has_vector_charts_and_no_hidden_count(
    client: TestClient, db: Session, world: dict[str, object], tmp_path: Path
) -> None:
    pytest.importorskip("weasyprint", reason="WeasyPrint is not installed here")
    if shutil.which("pdftotext") is None or shutil.which("pdfimages") is None:
        pytest.skip("poppler-utils is not installed here")
    user = make_user(db, role="coordinator", network=world["n1"])  # type: ignore[arg-type]
    db.add(Membership(user_id=int(user.id or 0), role="coordinator", scope_kind="network",
                      network_id=world["n2"].id))  # type: ignore[attr-defined]  # fmt: skip
    db.flush()
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, user)
    answer = client.get(f"/networks/{world['n1'].id}/report.pdf")  # type: ignore[attr-defined]
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    name = answer.headers["content-disposition"]
    assert f"report-{world['n1'].id}-2026-08-2026-10.pdf" in name  # type: ignore[attr-defined]
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(answer.content)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "network-report.pdf").write_bytes(answer.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "North" in text and "Small team" in text and "<5" in text
    assert "66.7" not in text and "66,7" not in text  # the small team's hidden 2 of 3
    assert "Far team" not in text  # the coordinator's other network stays out
    assert "Funnel plot" in text and "Items counted" in text  # chart text stays text: vector
    images = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert len(images) == 2, images  # the header lines only: no raster image in the file
    entry = db.exec(select(AuditEntry).where(AuditEntry.what == "network report (pdf)")).one()
    assert entry.user_id == user.id and entry.action == "export"
