"""Sign-in limits: growing waits per account, a generous limit per address, and answers that
never tell a known account from an unknown one (in words or in password work)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from limits import parse
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from app.core.security import token_digest
from app.org import service, throttle
from app.org.models import SignInFailure, User
from app.org.service import FAILURES_BEFORE_WAIT, unlock_account, wait_after
from tests.factories import PASSWORD, make_team, make_user

T0 = datetime(2026, 11, 30, 7, 30, tzinfo=UTC)
UNKNOWN = "nobody@example.no"
WAIT_MESSAGE = "Too many failed sign-ins. Try again in {}."


@pytest.fixture(autouse=True)
def cheap_password_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with tiny costs for unknown addresses, so that many attempts stay fast."""
    monkeypatch.setattr(service, "_DUMMY_HASH", _cheap.hash("not-a-real-password"))


_cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _nurse(db: Session) -> User:
    user = make_user(db, role="nurse", team=make_team(db))
    user.password_hash = _cheap.hash(PASSWORD)
    db.add(user)
    db.flush()
    return user


def _attempt(client: TestClient, email: str, password: str) -> tuple[int, str]:
    response = client.post("/api/v1/session", json={"email": email, "password": password})
    return response.status_code, response.json()["detail"]


def _fail_until_the_wait(client: TestClient, email: str) -> None:
    for _ in range(FAILURES_BEFORE_WAIT):
        _attempt(client, email, "wrong-password")


def test_wait_starts_at_one_minute_and_doubles_up_to_fifteen() -> None:
    waits = [wait_after(n) for n in range(3, 11)]
    minutes = [None if w is None else w / timedelta(minutes=1) for w in waits]
    assert minutes == [None, None, 1, 2, 4, 8, 15, 15]
    assert wait_after(10_000) == timedelta(minutes=15)


def test_unknown_address_gets_the_same_answer_as_a_known_account(
    client: TestClient, db: Session
) -> None:
    user = _nurse(db)
    client.cookies.set("hph_lang", "en")
    answers = {}
    for email, password in ((user.email, PASSWORD), (UNKNOWN, PASSWORD)):
        with time_machine.travel(T0, tick=False):
            _fail_until_the_wait(client, email)
            answers[email] = _attempt(client, email, password)
    expected = (429, WAIT_MESSAGE.format("1 minute"))
    assert answers == {user.email: expected, UNKNOWN: expected}


def test_waiting_unknown_and_inactive_accounts_cost_one_password_check_each(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []
    real_verify: Callable[[str, str], bool] = service.verify_password

    def counting_verify(password_hash: str, password: str) -> bool:
        checks.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(service, "verify_password", counting_verify)
    waiting = _nurse(db)
    waiting.locked_until = datetime.now(UTC) + timedelta(minutes=10)
    inactive = _nurse(db)
    inactive.is_active = False
    db.add_all([waiting, inactive])
    db.flush()
    for email in (waiting.email, UNKNOWN, inactive.email):
        checks.clear()
        status, _detail = _attempt(client, email, PASSWORD)
        assert status in (401, 429)
        assert len(checks) == 1, email


def test_correct_password_during_the_wait_is_refused_and_the_wait_doubles(
    client: TestClient, db: Session
) -> None:
    user = _nurse(db)
    client.cookies.set("hph_lang", "en")
    with time_machine.travel(T0, tick=False):
        _fail_until_the_wait(client, user.email)
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        assert _attempt(client, user.email, PASSWORD) == (429, WAIT_MESSAGE.format("1 minute"))
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        assert _attempt(client, user.email, "wrong-again") == (
            429,
            WAIT_MESSAGE.format("2 minutes"),
        )
    with time_machine.travel(T0 + timedelta(seconds=61 + 121), tick=False):
        response = client.post("/api/v1/session", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    db.refresh(user)
    assert (user.failed_sign_ins, user.locked_until) == (0, None)


def test_page_says_the_wait_in_norwegian_with_retry_after(client: TestClient, db: Session) -> None:
    user = _nurse(db)
    with time_machine.travel(T0, tick=False):
        _fail_until_the_wait(client, user.email)
    with time_machine.travel(T0 + timedelta(seconds=50), tick=False):
        page = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert page.status_code == 429
    assert page.headers["retry-after"] == "10"
    assert "For mange mislykkede innloggingsforsøk. Prøv igjen om 1 minutt." in page.text
    assert "hph_session" not in page.headers.get("set-cookie", "")


def test_failures_are_forgotten_a_day_after_the_last_wait(client: TestClient, db: Session) -> None:
    user = _nurse(db)
    with time_machine.travel(T0, tick=False):
        _fail_until_the_wait(client, user.email)
    with time_machine.travel(T0 + timedelta(days=1, minutes=1), tick=False):
        status, _detail = _attempt(client, user.email, "wrong-password")
    assert status == 401
    db.refresh(user)
    assert user.failed_sign_ins == 1


def test_unlock_account_ends_the_wait(client: TestClient, db: Session) -> None:
    user = _nurse(db)
    _fail_until_the_wait(client, user.email)
    assert _attempt(client, user.email, PASSWORD)[0] == 429
    unlock_account(db, user_id=int(user.id or 0))
    assert _attempt(client, user.email, PASSWORD)[0] == 200


def test_many_tablets_behind_one_address_can_still_sign_in(client: TestClient, db: Session) -> None:
    user = _nurse(db)
    for n in range(60):  # a busy morning of typos in one municipality
        assert _attempt(client, f"nurse{n}@kommune.no", "typo")[0] == 401
    assert _attempt(client, user.email, PASSWORD)[0] == 200


def test_address_limit_refuses_even_a_right_password_and_says_how_long(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(throttle, "FAILURES_PER_ADDRESS", parse("3/hour"))
    user = _nurse(db)
    client.cookies.set("hph_lang", "en")
    for n in range(3):
        _attempt(client, f"guess{n}@example.no", "guess")
    response = client.post("/api/v1/session", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["detail"] == "Too many failed sign-ins. Try again in 60 minutes."
    assert 3500 < int(response.headers["retry-after"]) <= 3600


def test_forged_forwarded_for_neither_escapes_the_address_limit_nor_fakes_the_audit(
    app, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(throttle, "FAILURES_PER_ADDRESS", parse("3/hour"))
    with TestClient(app, client=("198.51.100.7", 4000)) as client:
        statuses = [
            client.post(
                "/api/v1/session",
                json={"email": UNKNOWN, "password": "guess"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            ).status_code
            for n in range(4)
        ]
    assert statuses == [401, 401, 401, 429]
    addresses = db.exec(select(AuditEntry.ip_address).where(AuditEntry.user_email == UNKNOWN))
    assert set(addresses) == {"198.51.100.7"}


def test_two_first_failures_of_one_unknown_address_at_once_do_not_break(db: Session) -> None:
    digest = token_digest(UNKNOWN)
    db.add(SignInFailure(email_digest=digest, failed_sign_ins=1))
    db.flush()
    late = SignInFailure(email_digest=digest)  # read as missing just before the other insert
    service._count_failure(db, late, now=T0)
    stored = db.exec(select(SignInFailure).where(SignInFailure.email_digest == digest)).one()
    assert stored.failed_sign_ins == 1
