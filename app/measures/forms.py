"""Form models of the measures pages and API: the typed text of annotations and manual measures
(one model per form, shared by pages and API; limits are the column lengths in
``app.measures.models``), and what the manual-measure pages post, read leniently."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field, ValidationError

from app.core.i18n import _
from app.core.text import MultiLineText, OneLineText, named_problems, text_problems
from app.measures.annotations import AnnotationFields
from app.measures.manual import ManualFields
from app.measures.models import Annotation


class AnnotationText(BaseModel):
    """What people type about a tested change."""

    title: Annotated[OneLineText, Field(max_length=200)]
    description: Annotated[MultiLineText | None, Field(max_length=2000)] = None
    measure_key: Annotated[OneLineText | None, Field(max_length=80)] = None


class AnnotationForm(BaseModel):
    """What the tested-change form posts (new or edited), read leniently, checked by
    ``AnnotationText`` like the API's body."""

    happened_on: str = ""
    title: str = ""
    description: str = ""
    measure_key: str = ""
    starts_phase: str = ""

    @classmethod
    def of(cls, annotation: Annotation) -> AnnotationForm:
        """The form filled with a stored tested change, for editing."""
        return cls(
            happened_on=annotation.happened_on.isoformat(),
            title=annotation.title,
            description=annotation.description or "",
            measure_key=annotation.measure_key or "",
            starts_phase="1" if annotation.starts_phase else "",
        )

    def to_fields(self) -> tuple[AnnotationFields | None, dict[str, str]]:
        """The tested change's fields, or the field messages (named as the page names them)."""
        typed = {
            "title": self.title,
            "description": self.description or None,
            "measure_key": self.measure_key or None,
        }
        labels = {"title": _("Title"), "description": _("Description"), "measure_key": _("Measure")}
        problems = named_problems(text_problems(AnnotationText, typed), labels)
        day = None
        try:
            day = date.fromisoformat(self.happened_on.strip())
        except ValueError:
            problems["happened_on"] = _("Give the date of the change.")
        if problems or day is None:
            return None, problems
        fields = AnnotationFields(
            happened_on=day,
            title=self.title,
            description=self.description or None,
            measure_key=self.measure_key or None,
            starts_phase=bool(self.starts_phase),
        )
        return fields, {}


class ExclusionIn(BaseModel):
    """A point left out of a chart as a known special cause: which measure, which period, why."""

    measure_key: Annotated[OneLineText, Field(max_length=80)]
    period: Annotated[OneLineText, Field(max_length=20, examples=["2026-03"])]
    reason: Annotated[MultiLineText, Field(max_length=500)]


class ManualMeasureText(BaseModel):
    """What people type to name a manual measure."""

    key: Annotated[OneLineText, Field(max_length=80, examples=["falls-at-home"])]
    title: Annotated[OneLineText, Field(max_length=200)]


def read_number(text: str) -> float | None:
    """Read a number typed on a tablet (a decimal comma is fine); None when empty."""
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not cleaned:
        return None
    number = float(cleaned)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


class ManualMeasureForm(BaseModel):
    """What the 'new manual measure' form posts."""

    key: str = ""
    title: str = ""
    kind: str = Field(default="proportion", max_length=20)
    period_type: str = Field(default="week", max_length=10)
    direction: str = Field(default="up", max_length=10)
    goal: str = Field(default="", max_length=40)

    def to_fields(self) -> tuple[ManualFields | None, dict[str, str]]:
        """The measure's fields, or the field messages for what cannot be read."""
        if problems := text_problems(ManualMeasureText, {"key": self.key, "title": self.title}):
            return None, problems
        try:
            goal = read_number(self.goal)
        except ValueError:
            return None, {"goal": _("The goal must be a number.")}
        fields = ManualFields(
            key=self.key.strip().lower(),
            title=self.title.strip(),
            kind=self.kind,
            period_type=self.period_type,
            direction=self.direction,
            goal=goal,
        )
        return fields, {}


class ValueForm(BaseModel):
    """What the 'enter a value' form posts."""

    period: str = Field(default="", max_length=20)
    numerator: str = Field(default="", max_length=40)
    denominator: str = Field(default="", max_length=40)

    def numbers(self) -> tuple[float | None, float | None, dict[str, str]]:
        """The numerator and denominator, or the field messages for what is not a number."""
        problems: dict[str, str] = {}
        values: dict[str, float | None] = {}
        for name in ("numerator", "denominator"):
            try:
                values[name] = read_number(getattr(self, name))
            except ValueError:
                values[name] = None
                problems[name] = _("Write a number, like 12 or 3,5.")
        return values["numerator"], values["denominator"], problems


MeasureKey = Annotated[OneLineText, Field(max_length=80)]


class MeasureSettingsIn(BaseModel):
    """Which non-core measures a team follows, and its own goal lines (absent or null: the
    catalogue's); core measures are always followed."""

    followed: list[MeasureKey] = Field(max_length=200, examples=[["readmission-30d"]])
    goals: dict[MeasureKey, float | None] = Field(
        default_factory=dict, max_length=200, examples=[{"hph-2-on-time": 80}]
    )

    @classmethod
    def from_form(
        cls, followed: list[str], form: Mapping[str, str]
    ) -> tuple[MeasureSettingsIn | None, dict[str, str]]:
        """Read the settings page's checkboxes and ``goal-<measure>`` fields (a comma is fine)."""
        goals: dict[str, float | None] = {}
        problems: dict[str, str] = {}
        for name, text in form.items():
            if not name.startswith("goal-"):
                continue
            try:
                goals[name.removeprefix("goal-")] = read_number(text)
            except ValueError:
                problems[name] = _("The goal must be a number.")
        if problems:
            return None, problems
        try:
            return cls(followed=followed, goals=goals), {}
        except ValidationError as exc:
            first = exc.errors()[0]
            return None, {"followed": str(first.get("msg", ""))}
