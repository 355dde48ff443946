"""Jinja2 pages with named blocks as htmx partials, translated through the catalogue."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2_fragments.fastapi import Jinja2Blocks
from starlette.requests import Request
from starlette.responses import Response

from app.core import i18n
from app.core.config import REPO_ROOT, get_settings
from app.core.hardening import csrf_input, csrf_token, tablet_key

TEMPLATE_DIR = REPO_ROOT / "templates"
if not TEMPLATE_DIR.exists():  # installed as a package: templates travel beside app/
    TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"

_environment = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=select_autoescape(["html", "xml", "svg"]),
    extensions=["jinja2.ext.i18n"],
)
_environment.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True
)
templates = Jinja2Blocks(env=_environment)


def _babel_locale() -> str:
    return i18n.babel_locale()


def local_date(value: date | datetime | None, style: str = "medium") -> str:
    """Format a date (or a timestamp, in local time) for the current language."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(get_settings().zone).date()
    return format_date(value, format=style, locale=_babel_locale())


def local_datetime(value: datetime | None, style: str = "short") -> str:
    """Format a timestamp in local time for the current language."""
    if value is None:
        return ""
    return format_datetime(value, format=style, tzinfo=get_settings().zone, locale=_babel_locale())


def local_duration(value: timedelta) -> str:
    """A wait in whole minutes, rounded up, for the current language ("2 minutter")."""
    minutes = max(1, math.ceil(value.total_seconds() / 60))
    return format_timedelta(
        timedelta(minutes=minutes), granularity="minute", threshold=1000, locale=_babel_locale()
    )


def local_number(value: float | int | None) -> str:
    """Format a number for the current language ("1 234" in bokmål, "1,234" in English)."""
    return "" if value is None else format_decimal(value, locale=_babel_locale())


templates.env.filters["local_date"] = local_date
templates.env.filters["local_number"] = local_number
templates.env.filters["decimal"] = i18n.format_number
templates.env.filters["percent"] = i18n.format_share
templates.env.filters["local_datetime"] = local_datetime
templates.env.filters["local_duration"] = local_duration
templates.env.globals["current_language"] = i18n.current_language
templates.env.globals["languages"] = i18n.LANGUAGES


def _checklist_title(definition_id: str, version: int | None = None) -> str:
    from app.checklists.in_use import checklist_title

    return checklist_title(definition_id, version)


def _status_label(status: str) -> str:
    from app.checklists.forms import status_label

    return status_label(status)


templates.env.globals["checklist_title"] = _checklist_title
templates.env.globals["csrf_input"] = csrf_input
templates.env.globals["csrf_token"] = csrf_token
templates.env.globals["status_label"] = _status_label
templates.env.globals["tablet_key"] = tablet_key


def _idle_minutes() -> float:
    """How long a signed-in page may stay untouched (the session's idle limit)."""
    return get_settings().session_idle_minutes


templates.env.globals["idle_minutes"] = _idle_minutes


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    block: str | None = None,
) -> Response:
    """Render a page, or only one named block of it for an htmx request."""
    context = dict(context or {})
    context.setdefault("viewer", getattr(request.state, "viewer", None))
    if block is None and request.headers.get("HX-Request") and "HX-Boosted" not in request.headers:
        block = context.pop("hx_block", None)
    context.pop("hx_block", None)
    if block:
        response = templates.TemplateResponse(
            request, name, context, status_code=status_code, block_name=block
        )
    else:
        response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Vary"] = "HX-Request"
    return response
