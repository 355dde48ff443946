"""The network's learning-session report in a real browser at 1366×900, and its PDF's pages
as pictures: reached from the overview, icons in words, vector charts, axe-core."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.browser import test_overview
from tests.browser.conftest import ARTIFACTS, screenshot, sign_in
from tests.browser.test_dashboards import english, serious_violations

pytestmark = pytest.mark.browser
learning_server, page = test_overview.learning_server, test_overview.page  # shared fixtures
WEST = "Læringsnettverk Helse Vest 2025–2026"


def test_the_coordinator_opens_the_report_from_the_overview_and_gets_its_pdf(  # type: ignore[no-untyped-def]
    page, learning_server
) -> None:
    english(page, learning_server)
    sign_in(page, learning_server, "koordinator.nasjonal@demo.no")
    page.goto(f"{learning_server}/overview")
    with page.expect_navigation():
        page.click(f".report-links a:text('{WEST}')")
    assert page.locator("h1").inner_text() == WEST
    assert page.locator(".nr-grid tbody tr").count() > 1
    assert page.locator(".nr-icon").count() > 10  # icons with their words beside them
    # the coordinator does not see Bergen's patients: Lyspunkt's earlier months are hidden
    # beside its small neighbours (as on /learning), so its chart cannot hold a signal for them
    assert "Bright spots" in page.locator("#nr-spots").inner_text()
    assert page.locator(".nr-grid tr", has_text="Lyspunkt").count() >= 1
    assert page.locator(".nr-measure svg.marks").count() >= 1  # drawn on the server, vector
    assert page.locator("img").count() == 0 and "/patients/" not in page.content()
    shot = screenshot(page, "network-report")
    assert serious_violations(page) == []
    pdf_link = page.locator("a", has_text="Download as PDF").get_attribute("href")
    answer = page.request.get(f"{learning_server}{pdf_link}")
    assert answer.status == 200 and answer.body().startswith(b"%PDF")
    folder = ARTIFACTS / "network-report-pdf"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "report.pdf").write_bytes(answer.body())
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils is not installed here")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(folder / "report.pdf"), str(folder / "page")],
        check=True,
    )
    pictures = sorted(folder.glob("page-*.png"))
    assert len(pictures) >= 3  # cover, overview, bright spots, then the measures
    mine = Path("/tmp/shots/report")
    if mine.is_dir():  # the pictures looked at for the lead's note
        for picture in [shot, *pictures]:
            shutil.copy(picture, mine / f"browser-{picture.name}")
