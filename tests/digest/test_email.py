"""The digest by e-mail through a real SMTP server on localhost (aiosmtpd): the same figures as
the page, no patient data, once per person and week, never to who turned it off."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.core.config import get_settings
from app.digest.delivery import TeamDelivery, deliver_week, week_plan
from app.digest.email import open_mail
from app.digest.models import DigestDelivery
from app.digest.recipients import digest_enabled, set_digest_enabled
from app.digest.service import parse_week
from tests.digest.conftest import NOW, WEEK, Scenario
from tests.factories import make_user, sign_in_client

BASE = "https://hph.example.no"


class Inbox:
    """An SMTP handler that keeps every message it receives, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:  # type: ignore[no-untyped-def]  # noqa: ARG002, N802
        if address in self.refused:
            return "550 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]  # noqa: ARG002, N802
        parsed = message_from_bytes(envelope.content, policy=default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages sent to one address."""
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture()
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """A real SMTP server on localhost, named by HPH_SMTP_URL."""
    handler = Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("HPH_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("HPH_SMTP_FROM", "hph@example.no")
    get_settings.cache_clear()
    yield handler
    controller.stop()
    get_settings.cache_clear()


def send_week(db: Session, *, dry_run: bool = False) -> list[TeamDelivery]:
    """Run the week's delivery as `hph digest send` does, in the test's transaction."""
    week = parse_week(WEEK, now=NOW)
    plan = week_plan(db, week=week)
    connect = None if dry_run else open_mail
    return list(
        deliver_week(
            db, plan=plan, week=week, now=NOW, base_url=BASE, connect=connect, commit=db.flush
        )
    )


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain text and the HTML of a message."""
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    text = [part.get_content().replace("\r\n", "\n") for part in (plain, html)]  # type: ignore[attr-defined]
    return text[0], text[1]


def unsubscribe_path(message: EmailMessage) -> str:
    """The path of the unsubscribe link a message's header gives (checked to be on BASE)."""
    link = str(message["List-Unsubscribe"]).strip().removeprefix("<").removesuffix(">")
    assert link.startswith(BASE + "/")
    return link.removeprefix(BASE)


def figures_in(html: str) -> dict[str, int]:
    """The figures a page or a mail shows in its data-figure cells."""
    found = re.findall(r'data-figure="(\w+)">\s*(\d+)\s*<', html)
    return {name: int(value) for name, value in found}


def test_email_has_the_same_figures_as_the_page(
    db: Session, client: TestClient, scenario: Scenario, inbox: Inbox
) -> None:
    sign_in_client(client, scenario.member)
    client.cookies.set("hph_lang", "en")
    page = client.get(f"/teams/{scenario.team.id}/digest?week={WEEK}")
    assert page.status_code == 200, page.text
    on_page = figures_in(page.text)
    assert on_page == {"signals": 1, "off_goal": 2, "overdue": 4, "changes": 1}

    send_week(db)
    (message,) = inbox.to(scenario.member.email)
    plain, html = parts(message)
    assert figures_in(html) == on_page
    for label, name in (
        ("New signals", "signals"),
        ("Measures off their goal", "off_goal"),
        ("Overdue checklists", "overdue"),
        ("Changes tested", "changes"),
    ):
        assert f"{label}: {on_page[name]}\n" in plain
    for text in ("90 %", "95 %", "0 %", "Morning huddle", "2026-W41 to 2026-W48"):
        assert text in plain and text in page.text
    assert message["Subject"] == "Weekly digest for Heimeteneste Nord, week 48"
    assert f"{BASE}/teams/{scenario.team.id}/digest?week=2026-W48" in plain
    assert unsubscribe_path(message).startswith("/digest/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_each_member_reads_the_digest_in_their_language(
    db: Session, scenario: Scenario, inbox: Inbox
) -> None:
    send_week(db)
    (english,) = inbox.to(scenario.member.email)
    (norwegian,) = inbox.to(scenario.other_member.email)
    assert "Ukeoppsummering" in norwegian["Subject"] and "uke 48" in norwegian["Subject"]
    plain, html = parts(norwegian)
    assert "Første hjemmebesøk innen 3 dager" in plain
    assert figures_in(html) == figures_in(parts(english)[1])


def test_no_patient_data_in_any_email(db: Session, scenario: Scenario, inbox: Inbox) -> None:
    send_week(db)
    assert len(inbox.messages) == 2
    for message in inbox.messages:
        whole = message.as_string()
        plain, html = parts(message)
        for label in scenario.labels:
            assert label not in plain and label not in html and label not in whole


def test_nurses_and_those_who_turned_it_off_get_nothing(
    db: Session, scenario: Scenario, inbox: Inbox
) -> None:
    set_digest_enabled(db, user_id=int(scenario.other_member.id or 0), enabled=False)
    left = make_user(db, role="team", team=scenario.team, is_active=False)
    send_week(db)
    addresses = [m["To"] for m in inbox.messages]
    assert addresses == [scenario.member.email]
    assert scenario.nurse.email not in addresses and left.email not in addresses


def test_a_second_run_the_same_week_sends_nothing_twice(
    db: Session, scenario: Scenario, inbox: Inbox
) -> None:
    first = send_week(db)
    assert [(d.team_name, d.sent) for d in first] == [("Heimeteneste Nord", 2)]
    newcomer = make_user(db, role="team", team=scenario.team)
    second = send_week(db)
    assert [(d.sent, d.done_before) for d in second] == [(1, 2)]
    assert [m["To"] for m in inbox.messages][2:] == [newcomer.email]
    assert send_week(db)[0].sent == 0
    assert len(inbox.messages) == 3
    recorded = db.exec(select(DigestDelivery)).all()
    assert len(recorded) == 3


def test_dry_run_sends_and_records_nothing(db: Session, scenario: Scenario, inbox: Inbox) -> None:
    (planned,) = send_week(db, dry_run=True)
    assert [r.email for r in planned.due] == sorted(
        [scenario.member.email, scenario.other_member.email]
    )
    assert planned.digests["en"].figures["overdue"] == 4
    assert inbox.messages == []
    assert db.exec(select(DigestDelivery)).all() == []


def test_unsubscribe_link_turns_the_digest_off_without_signing_in(
    db: Session, client: TestClient, scenario: Scenario, inbox: Inbox
) -> None:
    send_week(db)
    (message,) = inbox.to(scenario.member.email)
    path = unsubscribe_path(message)
    asked = client.get(path)
    assert asked.status_code == 200 and "Turn off the weekly digest" in asked.text
    assert digest_enabled(db, user_id=int(scenario.member.id or 0))  # a visit changes nothing
    done = client.post(path, data={"csrftoken": "ignored"})
    assert done.status_code == 200 and "is turned off" in done.text
    assert not digest_enabled(db, user_id=int(scenario.member.id or 0))
    again = client.get(path)
    assert "already turned off" in again.text


def test_a_mail_clients_one_click_post_turns_it_off(
    db: Session, bare_client: TestClient, scenario: Scenario, inbox: Inbox
) -> None:
    send_week(db)
    (message,) = inbox.to(scenario.other_member.email)
    path = unsubscribe_path(message)
    answer = bare_client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert not digest_enabled(db, user_id=int(scenario.other_member.id or 0))


def test_a_forged_unsubscribe_link_is_refused(
    db: Session, client: TestClient, scenario: Scenario
) -> None:
    answer = client.post(f"/digest/unsubscribe/{scenario.member.id}.forged")
    assert answer.status_code == 404 and "ikke gyldig" in answer.text  # nobody to ask: bokmål
    assert digest_enabled(db, user_id=int(scenario.member.id or 0))


def test_a_refused_recipient_is_not_recorded_and_gets_it_on_the_next_run(
    db: Session, scenario: Scenario, inbox: Inbox
) -> None:
    inbox.refused.add(scenario.member.email)
    (first,) = send_week(db)
    assert (first.sent, first.failed) == (1, 1)
    assert [m["To"] for m in inbox.messages] == [scenario.other_member.email]
    inbox.refused.clear()
    (second,) = send_week(db)
    assert (second.sent, second.failed, second.done_before) == (1, 0, 1)
    assert [m["To"] for m in inbox.messages] == [
        scenario.other_member.email,
        scenario.member.email,
    ]
