"""Searching: the query checked against ``capability``, and the matches paged into a Bundle.

Paging is by offset over a stable order (each search sorts by its resources' ids, dates or
units, ties broken by id). Every search here is bounded before paging (one patient's
resources, the catalogue, the units a viewer may see, a team's patients), so the total is exact
and cheap, and an offset page is as stable as a keyset one would be. Reading everything of a
team is the bulk export's job (``bulk``), which streams by id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Request

from app.core.i18n import _
from app.fhir.capability import (
    DEFAULT_COUNT,
    MAX_COUNT,
    MAX_OFFSET,
    RESULT_PARAMS,
    SEARCH_PARAMS,
    Param,
)
from app.fhir.outcome import FhirProblem, FhirResponse
from app.fhir.updated import DateCondition, date_condition

Resource = dict[str, Any]
MAX_TEXT = {"string": 100, "uri": 300, "reference": 300}
# Where a token parameter's value is in the resource.
TOKEN_FIELDS = {"status": "status", "lifecycle-status": "lifecycleStatus"}
IGNORED = {"_format"}


def _bad(name: str, message: str) -> FhirProblem:
    return FhirProblem(400, message, location=f"http.{name}")


@dataclass(frozen=True)
class SearchRequest:
    """A checked search: its parameters (in the order given), page size and offset."""

    kind: str
    values: dict[str, list[str]]
    count: int = DEFAULT_COUNT
    offset: int = 0
    dates: dict[str, list[DateCondition]] = field(default_factory=dict)

    def one(self, name: str) -> str | None:
        """The value of a parameter given once, or None."""
        found = self.values.get(name)
        return found[0] if found else None

    def matches(self, resource: Resource) -> bool:
        """Whether a resource meets the token and `_lastUpdated` parameters."""
        for name, key in TOKEN_FIELDS.items():
            if name in self.values:
                wanted = {code for value in self.values[name] for code in value.split(",")}
                if resource.get(key) not in wanted:
                    return False
        conditions = self.dates.get("_lastUpdated", [])
        if conditions:
            moment = datetime.fromisoformat(resource["meta"]["lastUpdated"])
            return all(condition.test(moment, moment) for condition in conditions)
        return True


def named(name: str, value: str | None) -> str:
    """A parameter the search cannot do without (``patient``, ``measure``): 400 if missing."""
    if not value:
        raise _bad(name, _("Search by {name}: add ?{name}=<id>.").format(name=name))
    return value.removeprefix("Patient/") if name == "patient" else value


def _number(name: str, text: str, highest: int) -> int:
    """A non-negative whole number, at most ``highest`` (400 when it is not one)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise _bad(name, _("'{name}' must be a whole number from 0.").format(name=name))
    return min(int(text), highest)


def _check_value(name: str, param: Param, value: str) -> None:
    """Refuse a value that does not fit its parameter's type (400 naming the parameter)."""
    if param.type in MAX_TEXT and (len(value) > MAX_TEXT[param.type] or not value.isprintable()):
        raise _bad(name, _("The value of '{name}' is too long or unreadable.").format(name=name))
    if param.type == "reference" and name == "patient":
        number = value.removeprefix("Patient/")
        if not (number.isascii() and number.isdigit() and len(number) <= 12):
            raise _bad(name, _("Name the patient as Patient/<id> or <id>."))
    if param.type == "token":
        unknown = [code for code in value.split(",") if code not in param.codes]
        if unknown:
            raise _bad(
                name,
                _("'{code}' is not a value of '{name}'; use one of: {codes}.").format(
                    code=unknown[0], name=name, codes=", ".join(param.codes)
                ),
            )


def parse_search(kind: str, pairs: Sequence[tuple[str, str]]) -> SearchRequest:
    """Check a search's query parameters against what the type supports."""
    supported = SEARCH_PARAMS[kind]
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        if name in IGNORED:
            continue
        if name not in supported and name not in RESULT_PARAMS:
            names = ", ".join([*supported, *RESULT_PARAMS])
            raise _bad(
                name,
                _("Unknown search parameter '{name}'; supported here: {supported}.").format(
                    name=name, supported=names
                ),
            )
        values.setdefault(name, []).append(value)
    count, offset = DEFAULT_COUNT, 0
    dates: dict[str, list[DateCondition]] = {}
    for name, given in values.items():
        param = supported.get(name) or RESULT_PARAMS[name]
        if len(given) > param.repeats:
            raise _bad(
                name, _("Give '{name}' at most {n} times.").format(name=name, n=param.repeats)
            )
        for value in given:
            _check_value(name, param, value)
        if name == "_count":
            count = _number(name, given[0], MAX_COUNT)
        elif name == "_offset":
            offset = _number(name, given[0], MAX_OFFSET)
        elif param.type == "date":
            dates[name] = [date_condition(name, value) for value in given]
    return SearchRequest(kind, values, count, offset, dates)


def searching(kind: str) -> Any:
    """A route dependency giving the checked search of a resource type."""

    def _parse(request: Request) -> SearchRequest:
        return parse_search(kind, list(request.query_params.multi_items()))

    return Depends(_parse)


def _page_url(request: Request, search: SearchRequest, offset: int) -> str:
    """The URL of one page of the same search."""
    pairs = [
        (name, value)
        for name, given in search.values.items()
        if name not in RESULT_PARAMS
        for value in given
    ]
    pairs += [("_count", str(search.count)), ("_offset", str(offset))]
    base = str(request.base_url).rstrip("/") + request.url.path
    return f"{base}?{urlencode(pairs)}"


def bundle(
    request: Request, search: SearchRequest, page: Sequence[Resource], total: int
) -> FhirResponse:
    """One page of matches as a `searchset` Bundle with its total and paging links."""
    base = str(request.base_url).rstrip("/") + "/fhir/R4"
    links = [{"relation": "self", "url": _page_url(request, search, search.offset)}]
    if search.count and search.offset + search.count < total:
        links.append(
            {"relation": "next", "url": _page_url(request, search, search.offset + search.count)}
        )
    if search.offset > 0 and search.count:
        before = max(0, min(search.offset, total) - search.count)
        links.append({"relation": "previous", "url": _page_url(request, search, before)})
    body: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
    }
    if page:
        body["entry"] = [
            {
                "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in page
        ]
    return FhirResponse(body)


def searchset(
    request: Request,
    search: SearchRequest,
    resources: Sequence[Resource],
    keep: Callable[[Resource], bool] | None = None,
) -> FhirResponse:
    """Every match of a bounded search, filtered by its parameters, then one page of them."""
    matching = [r for r in resources if search.matches(r) and (keep is None or keep(r))]
    page = matching[search.offset : search.offset + search.count]
    return bundle(request, search, page, len(matching))
