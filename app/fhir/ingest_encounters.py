"""An incoming Encounter read into the few facts an event needs, or refused with its location.

Validation is by the ``fhir.resources`` R4B models (the package the read API's tests use);
FHIR R4B's Encounter is R4's. Messages are in the requester's language when it is known (the
``Accept-Language`` header of a system, the person at the command line), English otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fhir.resources.R4B.encounter import Encounter
from pydantic import ValidationError

from app.core.config import get_settings
from app.core.i18n import _
from app.pathways.events import local_midday

ORG_NUMBER_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.101"
INPATIENT = frozenset({"IMP", "ACUTE", "NONAC"})  # v3 ActCode: inpatient stays
RECORDED = ("in-progress", "finished")
CANCELLING = ("entered-in-error", "cancelled")
NOTHING_YET = ("planned", "arrived", "triaged", "onleave")
MAX_IDENTIFIER = 100
MAX_SYSTEM = 200
MAX_REFERENCE = 40


class EntryProblem(Exception):
    """An entry that cannot be taken: its status, one sentence, and where (FHIRPath)."""

    def __init__(self, status: int, message: str, expression: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.status = status
        self.expression = expression
        self.code = code


@dataclass(frozen=True)
class EncounterIn:
    """What an incoming encounter says, in the terms of pathway events."""

    identifier_system: str
    identifier_value: str
    subject_system: str | None
    subject_value: str
    status: str
    start: datetime | None
    end: datetime | None
    provider_org_number: str | None = None


def moment(value: datetime | date | str | None) -> datetime | None:
    """A FHIR dateTime as an aware datetime (a date alone is noon local time, as by hand);
    ValueError for a year or month alone, or a moment the calendar cannot hold in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        raise ValueError(value)  # "2026" or "2026-03": a partial date is no moment
    if not isinstance(value, datetime):
        value = local_midday(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=get_settings().zone)
    try:
        value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(value) from exc
    return value


def fhirpath(where: str, loc: tuple[Any, ...]) -> str:
    """A pydantic error location as a FHIRPath below ``where`` (``period.start``, ``[0]``)."""
    path = where
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in ("function-after", "function-before", "function-wrap"):
            path += f".{str(part).removesuffix('_fhir')}"
    return path


def _validated(resource: dict[str, Any], where: str) -> Encounter:
    """The resource as an R4B Encounter, or a 400 naming the first element that is wrong."""
    kind = resource.get("resourceType")
    if kind != "Encounter":
        raise EntryProblem(
            400,
            _("Only Encounter resources can be sent here, not '{kind}'.").format(kind=kind),
            f"{where}.resourceType",
            "not-supported",
        )
    try:
        return Encounter.model_validate(resource)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = fhirpath(where, tuple(error.get("loc") or ()))
        raise EntryProblem(
            400,
            _("The Encounter is not valid at {location}: {detail}").format(
                location=location, detail=str(error.get("msg", "")).rstrip(".") + "."
            ),
            location,
            "structure",
        ) from exc


def _identifier(encounter: Encounter, where: str) -> tuple[str, str]:
    """The sender's identifier of the encounter: how a resend is recognised."""
    for identifier in encounter.identifier or []:
        if identifier.system and identifier.value:
            if len(identifier.system) > MAX_SYSTEM or len(identifier.value) > MAX_IDENTIFIER:
                raise EntryProblem(
                    422, _("The encounter's identifier is too long."), f"{where}.identifier"
                )
            return identifier.system, identifier.value
    raise EntryProblem(
        422,
        _("The Encounter needs an identifier with a system and a value: a resend is known by it."),
        f"{where}.identifier",
        "required",
    )


def _subject(encounter: Encounter, where: str) -> tuple[str | None, str]:
    """The patient as the sender names them: the local reference in subject.identifier."""
    identifier = encounter.subject.identifier if encounter.subject else None
    if identifier is None or not identifier.value:
        raise EntryProblem(
            422,
            _(
                "Name the patient in subject.identifier with the patient's local reference "
                "(never a national identity number)."
            ),
            f"{where}.subject.identifier",
            "required",
        )
    if len(identifier.value) > MAX_REFERENCE or len(identifier.system or "") > MAX_SYSTEM:
        raise EntryProblem(
            422,
            _("The patient's local reference has more than 40 characters."),
            f"{where}.subject.identifier.value",
        )
    return identifier.system, identifier.value


def _provider(encounter: Encounter) -> str | None:
    """The organisation number of the encounter's service provider, when it gives one."""
    provider = encounter.serviceProvider
    identifier = provider.identifier if provider else None
    if identifier is not None and identifier.system == ORG_NUMBER_SYSTEM:
        return identifier.value
    return None


def _period(
    encounter: Encounter, status: str, where: str
) -> tuple[datetime | None, datetime | None]:
    """The stay's start and end, as the status needs them."""
    period = encounter.period
    times: list[datetime | None] = []
    for name in ("start", "end"):
        try:
            times.append(moment(getattr(period, name) if period else None))
        except ValueError as exc:
            raise EntryProblem(
                422,
                _("Give period.{name} as a full date and time within the calendar.").format(
                    name=name
                ),
                f"{where}.period.{name}",
                "value",
            ) from exc
    start, end = times
    if status == "in-progress" and start is None:
        raise EntryProblem(
            422,
            _("An admission (status in-progress) needs its time in period.start."),
            f"{where}.period.start",
            "required",
        )
    if status == "finished" and end is None:
        raise EntryProblem(
            422,
            _("A discharge (status finished) needs its time in period.end."),
            f"{where}.period.end",
            "required",
        )
    if start is not None and end is not None and end < start:
        raise EntryProblem(
            422,
            _("The discharge (period.end) is before the admission (period.start)."),
            f"{where}.period.end",
            "business-rule",
        )
    return start, end


def read_encounter(resource: Any, where: str) -> EncounterIn:
    """Check one incoming resource and say what it means for the pathway."""
    if not isinstance(resource, dict):
        raise EntryProblem(
            400, _("Each entry needs a resource (a JSON object)."), where, "structure"
        )
    encounter = _validated(resource, where)
    status = str(encounter.status)
    if status not in (*RECORDED, *CANCELLING, *NOTHING_YET):
        raise EntryProblem(
            422,
            _("The encounter status '{status}' is not supported.").format(status=status),
            f"{where}.status",
            "code-invalid",
        )
    code = encounter.class_fhir.code if encounter.class_fhir else None
    if status in RECORDED and code not in INPATIENT:
        raise EntryProblem(
            422,
            _("Only inpatient stays (class IMP) are hospital admissions, not '{code}'.").format(
                code=code
            ),
            f"{where}.class",
            "code-invalid",
        )
    system, value = _identifier(encounter, where)
    subject_system, subject_value = _subject(encounter, where)
    start, end = _period(encounter, status, where)
    return EncounterIn(
        identifier_system=system,
        identifier_value=value,
        subject_system=subject_system,
        subject_value=subject_value,
        status=status,
        start=start,
        end=end,
        provider_org_number=_provider(encounter),
    )
