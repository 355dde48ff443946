"""Form and request models for conversations, goals and ratings, parsed with clear messages.

The same models read a page's form and the API's JSON body. They only parse (a whole number
from 0 to 10, a date, a known scale direction); the rules that need the database or today's
date live in the service.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError
from starlette.datastructures import FormData

from app.core.i18n import _
from app.core.text import MultiLineText, OneLineText, text_problem
from app.goals.psfs import HIGHER_IS_BETTER, RATING_MAX, RATING_MIN, SCALE_DIRECTIONS

INPUT_ERROR = "hph_input"
FormModel = TypeVar("FormModel", bound=BaseModel)


def _problem(message: str) -> PydanticCustomError:
    """A field error whose message is shown as is."""
    return PydanticCustomError(INPUT_ERROR, message)


def _blank(value: Any) -> bool:
    """Whether a value is missing or only whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def _rating(value: Any) -> int:
    """A whole number from 0 to 10, whether typed, tapped or sent as JSON."""
    if _blank(value):
        raise _problem(_("Choose a rating from 0 to 10."))
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            raise _problem(_("The rating must be a whole number from 0 to 10.")) from None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not RATING_MIN <= value <= RATING_MAX
    ):
        raise _problem(_("The rating must be a whole number from 0 to 10."))
    return value


def _optional_rating(value: Any) -> int | None:
    """A rating, or None when left blank."""
    return None if _blank(value) else _rating(value)


def _optional_date(value: Any) -> date | None:
    """An ISO date, or None when left blank."""
    if _blank(value):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise _problem(_("Enter a date like 2026-03-31.")) from None


def _direction(value: Any) -> str:
    """A known scale direction (the standard one when left blank)."""
    if _blank(value):
        return HIGHER_IS_BETTER
    if value not in SCALE_DIRECTIONS:
        raise _problem(_("Choose which end of the scale means 'as before'."))
    return str(value)


def _optional_id(value: Any) -> int | None:
    """A whole-number id, or None when left blank."""
    if _blank(value):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _problem(_("The form is out of date; reload the page and try again.")) from None


def _activity(value: Any) -> str:
    """A non-blank activity text."""
    if _blank(value):
        raise _problem(_("Write the activity in the patient's own words."))
    return str(value)


def _drop_reason(value: Any) -> str:
    """A non-blank reason for dropping a goal."""
    if _blank(value):
        raise _problem(_("Say why the goal is dropped."))
    return str(value)


def _version(value: Any) -> int:
    """The version a form was read at."""
    number = _optional_id(value)
    if number is None:
        raise _problem(_("The form is out of date; reload the page and try again."))
    return number


_RATING_SCHEMA = {"type": "integer", "minimum": RATING_MIN, "maximum": RATING_MAX}
Rating = Annotated[int, BeforeValidator(_rating), WithJsonSchema(_RATING_SCHEMA)]
OptionalRating = Annotated[
    int | None,
    BeforeValidator(_optional_rating),
    WithJsonSchema({"anyOf": [_RATING_SCHEMA, {"type": "null"}]}),
]
OptionalDate = Annotated[
    date | None,
    BeforeValidator(_optional_date),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]}),
]
Direction = Annotated[Literal["higher_is_better", "lower_is_better"], BeforeValidator(_direction)]
OptionalId = Annotated[
    int | None,
    BeforeValidator(_optional_id),
    WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "null"}]}),
]
Version = Annotated[int, BeforeValidator(_version), WithJsonSchema({"type": "integer"})]

_DIRECTION_HELP = (
    "Direction of the form the rating was taken on: higher_is_better (0 = cannot do it, "
    "10 = can do it as before; the default) or lower_is_better (the reversed form)."
)


class ConversationIn(BaseModel):
    """A 'what matters' conversation: who took part and the patient's own words."""

    held_on: OptionalDate = Field(
        default=None, description="When it took place; today if left out."
    )
    participants: list[str] = Field(
        default_factory=list,
        description="Who took part: patient, next_of_kin, nurse, aide, gp, physiotherapist, "
        "occupational_therapist.",
    )
    participants_other: Annotated[OneLineText, Field(max_length=200)] = Field(
        default="", description="Others who took part (free text)."
    )
    patient_words: Annotated[MultiLineText, Field(max_length=4000)] = Field(
        default="", description="What matters, verbatim."
    )
    could_not_answer: bool = Field(
        default=False, description="The patient could not or would not answer (ask again later)."
    )
    not_answered_reason: Annotated[MultiLineText, Field(max_length=500)] = Field(
        default="", description="Why not; needed when not answered."
    )
    checklist_instance_id: OptionalId = Field(
        default=None, description="The checklist the conversation was opened from."
    )


class ConversationUpdate(ConversationIn):
    """A corrected conversation, with the version it was read at."""

    version: Version = Field(description="The version you read; a stale one gets 409.")


class GoalIn(BaseModel):
    """A PSFS goal: an activity in the patient's words and its baseline rating."""

    activity: Annotated[MultiLineText, BeforeValidator(_activity), Field(max_length=500)] = Field(
        description="The activity, in the patient's own words."
    )
    baseline_rating: Rating = Field(description="How well it goes now, 0 to 10.")
    rated_on: OptionalDate = Field(default=None, description="Date of the baseline; today.")
    scale_direction: Direction = Field(default="higher_is_better", description=_DIRECTION_HELP)
    target_rating: OptionalRating = Field(
        default=None, description="The rating aimed for, on the same form as the baseline."
    )
    target_date: OptionalDate = Field(default=None, description="When the target is aimed for.")
    plan: Annotated[MultiLineText, Field(max_length=2000)] = Field(
        default="", description="Who or what helps."
    )
    conversation_id: OptionalId = Field(
        default=None, description="The conversation it came from; the latest one if left out."
    )


class GoalChange(GoalIn):
    """A new goal replacing an active one, with the version of the old one."""

    version: Version = Field(description="The version of the old goal you read.")
    reason: Annotated[MultiLineText, Field(max_length=500)] = Field(
        default="", description="Why the goal changed."
    )


class GoalAchieve(BaseModel):
    """Marking a goal achieved."""

    version: Version = Field(description="The version of the goal you read.")
    note: Annotated[MultiLineText, Field(max_length=500)] = Field(
        default="", description="An optional note."
    )


class GoalDrop(BaseModel):
    """Dropping a goal, with the reason."""

    version: Version = Field(description="The version of the goal you read.")
    reason: Annotated[MultiLineText, BeforeValidator(_drop_reason), Field(max_length=500)] = Field(
        description="Why the goal is dropped."
    )


class RatingIn(BaseModel):
    """A re-rating of a goal."""

    rating: Rating = Field(description="0 to 10 on the form given by scale_direction.")
    rated_on: OptionalDate = Field(default=None, description="Date of the rating; today.")
    scale_direction: Direction = Field(default="higher_is_better", description=_DIRECTION_HELP)


def field_problems(exc: ValidationError) -> dict[str, str]:
    """One message per field, in the user's language."""
    problems: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        message = error["msg"] if error["type"] == INPUT_ERROR else text_problem(error)
        message = message or _("Check this field.")
        problems.setdefault(field, message)
    return problems


def parse_form(
    model: type[FormModel], form: FormData
) -> tuple[FormModel | None, dict[str, str], dict[str, Any]]:
    """Read a posted form into a model; return it, the field messages and the raw values."""
    raw: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if info.annotation is bool:
            raw[name] = name in form
        elif name == "participants":
            raw[name] = [str(v) for v in form.getlist(name)]
        else:
            raw[name] = str(form.get(name) or "")
    try:
        return model.model_validate(raw), {}, raw
    except ValidationError as exc:
        return None, field_problems(exc), raw
