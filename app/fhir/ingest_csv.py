"""Hospital events from a CSV file (`local_reference,kind,at,external_id`), taken by the same
rules as a Bundle: each row becomes the Encounter it stands for and goes through the batch.

``kind`` is ``admission``, ``discharge`` or ``cancelled`` (entered in error); ``at`` a date
and time (``2026-03-01 10:00``, local time unless an offset is given) or a date (noon);
``external_id`` the hospital's encounter number, which makes a row sent twice change nothing
and joins a discharge to its admission.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from app.core.config import get_settings
from app.core.i18n import _
from app.fhir.outcome import BASE

COLUMNS = ("local_reference", "kind", "at", "external_id")
CSV_SYSTEM = f"{BASE}/NamingSystem/csv-encounter"
KINDS = {
    "admission": "in-progress",
    "hospital_admission": "in-progress",
    "discharge": "finished",
    "hospital_discharge": "finished",
    "cancelled": "entered-in-error",
    "entered-in-error": "entered-in-error",
}
MAX_BYTES = 20_000_000
IMP = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"}


class CsvRefused(ValueError):
    """The file cannot be read as events; `problems` names each bad row (nothing was taken)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


def _moment(text: str) -> datetime:
    """A date and time as written in the file, local time unless it carries an offset."""
    value = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    if value.tzinfo is None:
        value = value.replace(tzinfo=get_settings().zone)
    if len(text.strip()) == 10:  # a date alone: noon, as events recorded by date are
        value = value.replace(hour=12)
    return value


def _encounter(row: dict[str, str]) -> dict[str, Any]:
    """The Encounter one row stands for."""
    status = KINDS[row["kind"].strip().lower()]
    at = _moment(row["at"]).isoformat()
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "identifier": [{"system": CSV_SYSTEM, "value": row["external_id"].strip()}],
        "status": status,
        "class": IMP,
        "subject": {"identifier": {"value": row["local_reference"].strip()}},
    }
    if status == "in-progress":
        resource["period"] = {"start": at}
    elif status == "finished":
        resource["period"] = {"end": at}
    return resource


def bundle_from_csv(data: bytes) -> tuple[bytes, list[int]]:
    """The file as a batch Bundle of Encounters, and the file's row number of each entry."""
    if len(data) > MAX_BYTES:
        raise CsvRefused([_("The file is larger than 20 MB.")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvRefused([_("The file is not UTF-8 text; save it as CSV UTF-8.")]) from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    if tuple(header) != COLUMNS:
        raise CsvRefused(
            [_("The first row must be the columns {columns}.").format(columns=",".join(COLUMNS))]
        )
    entries, rows, problems = [], [], []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            prefix = _("Row {n}:").format(n=reader.line_num)
            if len(values) != len(COLUMNS):
                problems.append(f"{prefix} " + _("it must have exactly 4 columns."))
                continue
            row = dict(zip(COLUMNS, values, strict=True))
            problem = _row_problem(row)
            if problem:
                problems.append(f"{prefix} {problem}")
                continue
            entries.append(
                {"resource": _encounter(row), "request": {"method": "POST", "url": "Encounter"}}
            )
            rows.append(reader.line_num)
    except csv.Error as exc:
        raise CsvRefused([_("The file is not a readable CSV file.")]) from exc
    if problems:
        raise CsvRefused(problems)
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": entries}
    return json.dumps(bundle).encode("utf-8"), rows


def _row_problem(row: dict[str, str]) -> str | None:
    """What is wrong with one row before it becomes an Encounter, or None."""
    if row["kind"].strip().lower() not in KINDS:
        return _("kind must be admission, discharge or cancelled, not '{kind}'.").format(
            kind=row["kind"].strip()
        )
    if not row["external_id"].strip():
        return _("external_id is empty: give the hospital's encounter number.")
    if not row["local_reference"].strip():
        return _("local_reference is empty.")
    try:
        _moment(row["at"])
    except ValueError:
        return _("at '{at}' is not a date and time; write it as 2026-03-01 10:00.").format(
            at=row["at"].strip()
        )
    return None
