"""How long a refused sign-in takes, by case: the time must not tell a known account from an
unknown one, nor a waiting account from one that may try.

    .venv/bin/python bench/sign_in_timing.py [--rounds 15]

Signs in through the JSON API of the real application on a fresh SQLite file and prints the
median and spread (milliseconds) of each case. Every case runs one argon2 verification with
the default parameters, so the medians should agree within a few milliseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

folder = Path(tempfile.mkdtemp(prefix="hph-sign-in-bench-"))
os.environ["HPH_DATABASE_URL"] = f"sqlite:///{folder / 'hph.db'}"
os.environ["HPH_DATA_DIR"] = str(folder)
os.environ.setdefault("HPH_SECRET_KEY", "benchmark-secret-key-that-is-long-enough-for-settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.core import migrate  # noqa: E402
from app.core.db import get_engine  # noqa: E402
from app.core.security import hash_password  # noqa: E402
from app.main import create_app  # noqa: E402
from app.org.models import User  # noqa: E402
from app.org.service import FAILURES_BEFORE_WAIT, get_user_by_email, unlock_account  # noqa: E402
from app.org.throttle import reset_sign_in_limits  # noqa: E402

PASSWORD = "correct horse battery"
KNOWN, WAITING, UNKNOWN, UNKNOWN_WAITING = (
    "known@example.no",
    "waiting@example.no",
    "nobody@example.no",
    "nobody-waiting@example.no",
)


def _setup() -> None:
    migrate.upgrade(os.environ["HPH_DATABASE_URL"])
    with Session(get_engine()) as session:
        for email in (KNOWN, WAITING):
            session.add(
                User(email=email, display_name=email, password_hash=hash_password(PASSWORD))
            )
        session.commit()


def _time(client: TestClient, email: str, password: str, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        reset_sign_in_limits()
        with Session(get_engine()) as session:  # a known account stays one that may try
            known = get_user_by_email(session, email=KNOWN)
            assert known is not None and known.id is not None
            unlock_account(session, user_id=known.id)
            session.commit()
        start = time.perf_counter()
        response = client.post("/api/v1/session", json={"email": email, "password": password})
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code in (401, 429), response.text
    return times


def main() -> None:
    """Time each case and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    _setup()
    with TestClient(create_app()) as client:
        for email in (WAITING, UNKNOWN_WAITING):
            for _ in range(FAILURES_BEFORE_WAIT):
                client.post("/api/v1/session", json={"email": email, "password": "wrong"})
        cases = {
            "known account, wrong password": (KNOWN, "wrong password"),
            "unknown e-mail address": (UNKNOWN, PASSWORD),
            "waiting account, right password": (WAITING, PASSWORD),
            "waiting unknown e-mail address": (UNKNOWN_WAITING, PASSWORD),
        }
        print(f"refused sign-ins, {rounds} rounds each (ms):")
        for name, (email, password) in cases.items():
            times = _time(client, email, password, rounds)
            spread = statistics.quantiles(times, n=4)
            print(
                f"  {name:34} median {statistics.median(times):7.1f}"
                f"  quartiles {spread[0]:7.1f} – {spread[2]:7.1f}"
            )


if __name__ == "__main__":
    main()
