"""Annotations: a team's tested changes (PDSA cycles), on one measure or on all of them.

Anyone who sees a team's measures sees its annotations; only its improvement team (the team
role on that team) writes them. An annotation that starts a phase gives the team's charts a
new centre line from the first period on or after its date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.deps import Forbidden
from app.core.i18n import _
from app.measures.catalogue import measures_in_use
from app.measures.manual import parse_manual_id, team_role_ids
from app.measures.models import Annotation, ManualMeasure
from app.measures.service import MANUAL_PREFIX, MeasureNotFound
from app.org.scope import Viewer

EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


class AnnotationInvalid(ValueError):
    """What is wrong with an annotation: field name → message (422)."""

    def __init__(self, problems: dict[str, str]) -> None:
        """Keep the problems by field."""
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class AnnotationFields:
    """What a tested change records."""

    happened_on: date
    title: str
    description: str | None = None
    measure_key: str | None = None
    starts_phase: bool = False


def list_annotations(
    session: Session, *, viewer: Viewer, team_id: int, measure_key: str | None = None
) -> list[Annotation]:
    """A team's annotations, newest first (those on one measure include those on all)."""
    if team_id not in viewer.aggregate_team_ids:
        raise Forbidden(_("You do not have access to this team's measures."))
    query = select(Annotation).where(Annotation.team_id == team_id)
    if measure_key is not None:
        query = query.where(
            col(Annotation.measure_key).is_(None) | (Annotation.measure_key == measure_key)
        )
    return list(
        session.exec(
            query.order_by(col(Annotation.happened_on).desc(), col(Annotation.id).desc())
        ).all()
    )


def _problems(session: Session, fields: AnnotationFields, *, team_id: int) -> dict[str, str]:
    """Check an annotation's fields; return field → message."""
    problems: dict[str, str] = {}
    today = utcnow().astimezone(get_settings().zone).date()
    if not EARLIEST <= fields.happened_on <= LATEST:
        problems["happened_on"] = _("Give the date of the change.")
    elif fields.happened_on > today:
        problems["happened_on"] = _(
            "The date of the change cannot be in the future: mark a change once it is tested."
        )
    if not fields.title.strip() or len(fields.title) > 200:
        problems["title"] = _("Say what was changed in a title (at most 200 characters).")
    if fields.description is not None and len(fields.description) > 2000:
        problems["description"] = _("Keep the description to at most 2000 characters.")
    key = fields.measure_key
    if key is not None and key not in measures_in_use():
        manual = None
        if key.startswith(MANUAL_PREFIX):
            try:
                manual = session.get(ManualMeasure, parse_manual_id(key))
            except MeasureNotFound:
                manual = None
        if manual is None or manual.team_id != team_id:
            problems["measure_key"] = _("Choose one of the team's measures, or all of them.")
    return problems


def _fields_of(annotation: Annotation) -> dict[str, object]:
    """An annotation's recorded fields, for the audit log."""
    return {
        "happened_on": annotation.happened_on.isoformat(),
        "title": annotation.title,
        "description": annotation.description,
        "measure_key": annotation.measure_key,
        "starts_phase": annotation.starts_phase,
    }


def _audit(
    session: Session,
    viewer: Viewer,
    action: AuditAction,
    annotation: Annotation,
    before: dict[str, object] | None,
) -> None:
    """Record a change to a tested change with its values before and after."""
    after = None if action == AuditAction.delete else _fields_of(annotation)
    record(
        session,
        viewer=viewer,
        action=action,
        what=f"tested change {annotation.id} of team {annotation.team_id}",
        detail=json.dumps({"before": before, "after": after}, ensure_ascii=False),
    )


def create_annotation(
    session: Session, *, viewer: Viewer, team_id: int, fields: AnnotationFields
) -> Annotation:
    """Mark a tested change on a team's measure (or all of them)."""
    if team_id not in team_role_ids(viewer):
        raise Forbidden(_("Only the team's improvement team may mark tested changes."))
    problems = _problems(session, fields, team_id=team_id)
    if problems:
        raise AnnotationInvalid(problems)
    annotation = Annotation(
        team_id=team_id,
        happened_on=fields.happened_on,
        title=fields.title.strip(),
        description=(fields.description or "").strip() or None,
        measure_key=fields.measure_key,
        starts_phase=fields.starts_phase,
        created_by_id=viewer.user_id,
    )
    session.add(annotation)
    session.flush()
    _audit(session, viewer, AuditAction.create, annotation, None)
    return annotation


def get_annotation(
    session: Session, *, viewer: Viewer, annotation_id: int, write: bool = False
) -> Annotation:
    """Return an annotation the viewer may read (or change), else raise."""
    annotation = session.get(Annotation, annotation_id)
    if annotation is None or annotation.team_id not in viewer.aggregate_team_ids:
        raise MeasureNotFound(_("There is no such tested change."))
    if write and annotation.team_id not in team_role_ids(viewer):
        raise Forbidden(_("Only the team's improvement team may mark tested changes."))
    return annotation


def update_annotation(
    session: Session, *, viewer: Viewer, annotation_id: int, fields: AnnotationFields
) -> Annotation:
    """Correct a tested change."""
    annotation = get_annotation(session, viewer=viewer, annotation_id=annotation_id, write=True)
    problems = _problems(session, fields, team_id=annotation.team_id)
    if problems:
        raise AnnotationInvalid(problems)
    before = _fields_of(annotation)
    annotation.happened_on = fields.happened_on
    annotation.title = fields.title.strip()
    annotation.description = (fields.description or "").strip() or None
    annotation.measure_key = fields.measure_key
    annotation.starts_phase = fields.starts_phase
    session.add(annotation)
    session.flush()
    _audit(session, viewer, AuditAction.update, annotation, before)
    return annotation


def delete_annotation(session: Session, *, viewer: Viewer, annotation_id: int) -> None:
    """Remove a tested change."""
    annotation = get_annotation(session, viewer=viewer, annotation_id=annotation_id, write=True)
    _audit(session, viewer, AuditAction.delete, annotation, _fields_of(annotation))
    session.delete(annotation)
    session.flush()
