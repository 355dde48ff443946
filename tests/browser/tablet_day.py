"""Helpers for the nurse's tablet day in the browser: a fresh discharge, an ended session."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import httpx


def new_discharge(page, base: str, label: str) -> None:  # type: ignore[no-untyped-def]
    """Register a patient and record an admission and a discharge through the pages."""
    page.goto(f"{base}/patients")
    page.click("details.register summary")
    page.fill("#label", label)
    page.fill("#started_on", (datetime.now() - timedelta(days=3)).strftime("%Y-%m-%d"))
    page.click("text=Registrer og åpne forløp")
    page.wait_for_url("**/patients/*")
    for kind, hours_ago in (("hospital_admission", 50), ("hospital_discharge", 2)):
        page.check(f"input[name=kind][value={kind}]", force=True)
        when = (datetime.now() - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M")
        page.fill("input[name=occurred_at]", when)
        page.click("text=Lagre hendelse")
        page.wait_for_load_state("networkidle")


def end_session_on_server(page, base: str) -> None:  # type: ignore[no-untyped-def]
    """Delete the session server-side, as the idle limit would; the browser keeps its cookie."""
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    response = httpx.post(
        f"{base}/sign-out",
        cookies={"hph_session": cookies["hph_session"], "csrftoken": cookies["csrftoken"]},
        headers={"x-csrftoken": cookies["csrftoken"]},
    )
    assert response.status_code == 303
    assert "hph_session" in {c["name"] for c in page.context.cookies()}


def kept_on_tablet(page, wait: float = 5.0) -> list[str]:  # type: ignore[no-untyped-def]
    """The answer stores still waiting in localStorage, once they stop emptying (or wait s)."""
    script = "Object.keys(localStorage).filter(k => k.startsWith('hph-pending'))"
    deadline = time.monotonic() + wait
    kept: list[str] = page.evaluate(script)
    while kept and time.monotonic() < deadline:
        time.sleep(0.1)
        kept = page.evaluate(script)
    return kept
