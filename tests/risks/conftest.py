"""Fixtures for risk rules and follow-ups: a nurse, a pathway and a first home visit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from app.checklists.models import ChecklistInstance
from app.checklists.service import save_answer
from app.core.i18n import current_language, set_language
from app.org.models import Team, User
from app.org.scope import Viewer
from app.pathways.events import record_event
from app.pathways.models import Pathway, Patient
from app.risks.models import FollowUp
from tests.factories import nurse_with_pathway

OSLO = ZoneInfo("Europe/Oslo")


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """A local (Oslo) moment."""
    return datetime.combine(day, datetime.min.time(), OSLO).replace(hour=hour, minute=minute)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Run each test in English, so messages are the English msgids."""
    previous = current_language()
    set_language("en")
    yield
    set_language(previous)


@dataclass
class Visit:
    """A first home visit (HPH 2) to fill, with who fills it."""

    db: Session
    team: Team
    nurse: User
    viewer: Viewer
    patient: Patient
    pathway: Pathway
    instance: ChecklistInstance
    versions: dict[str, int]

    def answer(self, item_id: str, value: object, now: datetime) -> None:
        """Save one answer at a moment, at the version last saved."""
        version = self.versions.get(item_id, 0)
        save_answer(
            self.db,
            viewer=self.viewer,
            instance_id=int(self.instance.id or 0),
            item_id=item_id,
            value=value,
            expected_version=version,
            now=now,
        )
        self.versions[item_id] = version + 1

    def follow_ups(self) -> dict[str, FollowUp]:
        """The follow-ups of this pathway by rule."""
        rows = self.db.exec(select(FollowUp).where(FollowUp.pathway_id == self.pathway.id)).all()
        return {row.rule_id: row for row in rows}


def discharged(db: Session, day: date) -> Visit:
    """A patient discharged on a day at 09:00, with the first home visit to fill."""
    team, nurse, viewer, patient, pathway = nurse_with_pathway(db, started_on=date(2026, 2, 2))
    _event, created = record_event(
        db,
        viewer=viewer,
        pathway_id=int(pathway.id or 0),
        kind="hospital_discharge",
        occurred_at=at(day, 9),
        now=at(day, 9),
    )
    instance = next(i for i in created if i.definition_id == "hph-2")
    return Visit(db, team, nurse, viewer, patient, pathway, instance, {})
