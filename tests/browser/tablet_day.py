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


# The tablet's queue (tablet.js): [key, value] pairs of the "pending" store in the
# "hph-tablet" IndexedDB database. Reading never creates the database (the upgrade is
# aborted) and the connection is closed, so sign-out can still delete it.
KEPT_JS = """() => new Promise((resolve, reject) => {
  const request = indexedDB.open('hph-tablet');
  request.onupgradeneeded = () => request.transaction.abort();
  request.onerror = () => resolve([]);
  request.onsuccess = () => {
    const db = request.result;
    if (!db.objectStoreNames.contains('pending')) { db.close(); resolve([]); return; }
    const store = db.transaction('pending').objectStore('pending');
    const keys = store.getAllKeys();
    const values = store.getAll();
    values.onsuccess = () => {
      db.close();
      resolve(keys.result.map((key, i) => [key, values.result[i]]));
    };
    values.onerror = () => { db.close(); reject(values.error); };
  };
})"""


def stored_on_tablet(page) -> list[list[object]]:  # type: ignore[no-untyped-def]
    """The [key, ciphertext] entries of the tablet's answer queue in IndexedDB."""
    entries: list[list[object]] = page.evaluate(KEPT_JS)
    return entries


def kept_on_tablet(page, wait: float = 5.0) -> list[str]:  # type: ignore[no-untyped-def]
    """The answer stores still waiting in IndexedDB, once they stop emptying (or wait s)."""
    deadline = time.monotonic() + wait
    kept = [str(key) for key, _ in stored_on_tablet(page)]
    while kept and time.monotonic() < deadline:
        time.sleep(0.1)
        kept = [str(key) for key, _ in stored_on_tablet(page)]
    return kept


CLEAR_JS = """() => new Promise(resolve => {
  const request = indexedDB.open('hph-tablet');
  request.onupgradeneeded = () => request.transaction.abort();
  request.onerror = () => resolve(null);
  request.onsuccess = () => {
    const tx = request.result.transaction('pending', 'readwrite');
    tx.objectStore('pending').clear();
    tx.oncomplete = () => { request.result.close(); resolve(null); };
  };
})"""


def clear_kept(page) -> None:  # type: ignore[no-untyped-def]
    """Empty the tablet's answer queue in IndexedDB (the page's copy in memory stays)."""
    page.evaluate(CLEAR_JS)
