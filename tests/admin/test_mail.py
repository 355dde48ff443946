"""Invitations are e-mailed through a real SMTP server (aiosmtpd on localhost) when configured."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import get_settings
from tests.factories import make_network, make_organisation, make_team, make_user, sign_in_client


class Inbox(Message):
    """Keeps every message the server receives."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[object] = []

    def handle_message(self, message) -> None:  # type: ignore[no-untyped-def]
        self.messages.append(message)


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


def test_invitation_is_emailed_with_its_link(db: Session, client: TestClient, inbox: Inbox) -> None:
    network = make_network(db)
    team = make_team(db, make_organisation(db, network))
    sign_in_client(client, make_user(db, role="admin", network=network))
    answer = client.post(
        "/api/v1/admin/users",
        json={
            "email": "eva@example.no",
            "name": "Eva",
            "role": "nurse",
            "scope": f"team:{team.slug}",
        },
    )
    assert answer.status_code == 201 and answer.json()["emailed"] is True
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "eva@example.no" and message["From"] == "hph@example.no"  # type: ignore[index]
    body = message.get_payload(decode=True).decode()  # type: ignore[attr-defined]
    assert "http://testserver" + answer.json()["path"] in body
    assert "72" in body
