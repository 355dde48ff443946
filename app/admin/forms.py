"""What the admin pages, the API and the command accept: one model per change, shared by all."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from app.admin.identifiers import clean_number, municipality_number_problem, org_number_problem
from app.core.i18n import _
from app.core.text import OneLineText
from app.org.models import ChartRules, OrganisationKind, Role

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ADMIN_ERROR = "hph_admin"


def _slug(value: str) -> str:
    """A slug is lower-case letters, digits and hyphens (it goes in URLs and the CSV)."""
    value = value.strip()
    if not _SLUG.match(value):
        raise PydanticCustomError(
            ADMIN_ERROR,
            _("Use lower-case letters a-z, digits and hyphens in '{slug}'.").format(slug=value),
        )
    return value


def _email(value: str) -> str:
    """An e-mail address, trimmed and in lower case."""
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise PydanticCustomError(
            ADMIN_ERROR, _("'{email}' is not an e-mail address.").format(email=value)
        )
    return value


def _name(value: str) -> str:
    """A name, trimmed, never empty."""
    value = value.strip()
    if not value:
        raise PydanticCustomError(ADMIN_ERROR, _("Enter a name."))
    return value


def _org_number(value: str | None) -> str | None:
    """An organisation number, spaces removed, checked (empty means unknown)."""
    value = clean_number(value)
    if value is not None and (problem := org_number_problem(value)):
        raise PydanticCustomError(ADMIN_ERROR, problem)
    return value


def _municipality_number(value: str | None) -> str | None:
    """A municipality number, checked (empty means unknown)."""
    value = clean_number(value)
    if value is not None and (problem := municipality_number_problem(value)):
        raise PydanticCustomError(ADMIN_ERROR, problem)
    return value


Slug = Annotated[OneLineText, Field(max_length=64), AfterValidator(_slug)]
Name = Annotated[OneLineText, Field(max_length=200), AfterValidator(_name)]
Email = Annotated[OneLineText, Field(max_length=254), AfterValidator(_email)]
OrgNumber = Annotated[OneLineText | None, Field(max_length=20), AfterValidator(_org_number)]
MunicipalityNumber = Annotated[
    OneLineText | None, Field(max_length=20), AfterValidator(_municipality_number)
]
ScopeLabel = Annotated[OneLineText, Field(max_length=80)]


class NetworkFields(BaseModel):
    """A new learning network."""

    slug: Slug
    name: Name
    region: Annotated[OneLineText, Field(max_length=100), AfterValidator(_name)]


class NetworkChartRules(BaseModel):
    """The rule set a network's charts are read by (anhoej, ihi or mdc)."""

    chart_rules: ChartRules


class OrganisationDetails(BaseModel):
    """An organisation's name and its numbers (what can change after it is created)."""

    name: Name
    org_number: OrgNumber = None
    municipality_number: MunicipalityNumber = None


class OrganisationFields(OrganisationDetails):
    """A new municipality or hospital in a network."""

    slug: Slug
    network: Slug
    kind: OrganisationKind


class TeamFields(BaseModel):
    """A new team under an organisation."""

    slug: Slug
    name: Name
    organisation: Slug


class MembershipFields(BaseModel):
    """A role on a scope written `team:SLUG`, `organisation:SLUG` or `network:SLUG`."""

    role: Role
    scope: ScopeLabel

    @field_validator("scope")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()


class PersonFields(MembershipFields):
    """A person to invite, with their first membership."""

    email: Email
    name: Name


class NewPassword(BaseModel):
    """The password a person chooses on the welcome page (typed twice)."""

    password: Annotated[str, Field(max_length=512)] = ""
    repeat: Annotated[str, Field(max_length=512)] = ""


class PasswordChange(NewPassword):
    """A signed-in person's new password, with the current one."""

    current: Annotated[str, Field(max_length=512)] = ""


def field_errors(exc: ValidationError) -> dict[str, str]:
    """The first message for each field of a failed form, in the user's language."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error.get("loc") else "form"
        if error["type"] == "missing":
            message = _("This field is required.")
        elif error["type"] in (ADMIN_ERROR, "hph_text"):
            message = error["msg"]
        elif error["type"] == "enum":
            expected = str((error.get("ctx") or {}).get("expected", "")).replace("'", "")
            message = _("Choose one of: {values}.").format(values=expected)
        elif error["type"] == "string_too_long":
            message = _("The text is too long.")
        else:
            message = _("This value is not valid.")
        errors.setdefault(name, message)
    return errors


def first_error(exc: ValidationError) -> str:
    """One sentence naming the first field that is wrong (for the command and the API)."""
    name, message = next(iter(field_errors(exc).items()))
    return f"{name}: {message}"
