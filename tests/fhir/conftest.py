"""Fixtures of the FHIR tests: the security tests' world, frozen, and a nurse of team A."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.security.world import NOW, World, build_world, signed_in


@pytest.fixture()
def world(db: Session) -> Iterator[World]:
    """The security tests' world (teams A and B in one organisation, C in another), frozen."""
    with time_machine.travel(NOW, tick=False):
        yield build_world(db)


@pytest.fixture()
def nurse(app, world: World) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """A nurse of team A."""
    client = signed_in(app, world.users["nurse"])
    yield client
    client.close()
