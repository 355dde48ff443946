"""Fixtures for the 'what matters' tests: a team with a patient, a nurse, and frozen time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import time_machine
from sqlmodel import Session, select

from app.core.i18n import current_language, set_language
from app.org.models import Team, User
from app.org.scope import Viewer, resolve_viewer
from app.pathways.models import Pathway, Patient
from tests.factories import make_patient, make_team, make_user

NOW = "2026-03-10 10:00:00+01:00"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Run each test in English, so messages are the English msgids."""
    previous = current_language()
    set_language("en")
    yield
    set_language(previous)


@pytest.fixture(autouse=True)
def frozen_now() -> Iterator[None]:
    """Freeze 'now' at 10 March 2026 (Oslo); the test pathway started on 5 January 2026."""
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass
class Ward:
    """A team with one patient on an open pathway, and a nurse of that team."""

    team: Team
    patient: Patient
    pathway: Pathway
    nurse_user: User
    nurse: Viewer

    @property
    def pathway_id(self) -> int:
        """The pathway's id."""
        return int(self.pathway.id or 0)


def make_ward(db: Session) -> Ward:
    """A fresh team, patient, pathway and nurse."""
    team = make_team(db)
    patient = make_patient(db, team)
    pathway = db.exec(select(Pathway).where(Pathway.patient_id == patient.id)).one()
    user = make_user(db, role="nurse", team=team)
    return Ward(team, patient, pathway, user, resolve_viewer(db, user))


@pytest.fixture()
def ward(db: Session) -> Ward:
    """A team with one patient on an open pathway, and a nurse of that team."""
    return make_ward(db)
