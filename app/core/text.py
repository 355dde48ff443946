"""Text that people type: one shared type for every text field of every form, API and command.

Control characters (C0 other than tab, line feed and carriage return; DEL; C1), the
noncharacters U+FFFE and U+FFFF and lone surrogates never reach the database or a renderer:
they are refused at the edge with a sentence in the user's language. Each field still names
its own length limit with ``Field(max_length=...)``, so pages and API share one limit.

    title: Annotated[OneLineText, Field(max_length=200)]
    note: Annotated[MultiLineText, Field(max_length=4000)]

A page checks what was typed against the same model as the API (``text_problems``) and shows
the messages with the typed text still in the form; ``printable`` is the renderers' own guard
(``app.charts.spec.render_svg``), so text stored before these rules can never reach them raw.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from app.core.i18n import _

TEXT_ERROR = "hph_text"

# Characters no text field accepts: C0 controls except tab/LF/CR, DEL, C1 controls,
# lone surrogates and the noncharacters U+FFFE and U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("[\t\n\r]")


def has_forbidden_characters(value: str, *, multiline: bool = True) -> bool:
    """Whether a text holds a character no field accepts (or a line break, when one line)."""
    if _FORBIDDEN.search(value):
        return True
    return not multiline and bool(_LINE_BREAKS.search(value.replace("\t", " ")))


def printable(value: str) -> str:
    """The text with every forbidden character removed, for renderers fed stored text."""
    return _FORBIDDEN.sub("", value)


def _one_line(value: str) -> str:
    """Refuse control characters and line breaks in a one-line field."""
    if has_forbidden_characters(value, multiline=False):
        raise PydanticCustomError(
            TEXT_ERROR, _("Remove the line breaks and control characters from the text.")
        )
    return value


def _multi_line(value: str) -> str:
    """Refuse control characters (line breaks and tabs are kept) in a free-text field."""
    if has_forbidden_characters(value):
        raise PydanticCustomError(TEXT_ERROR, _("Remove the control characters from the text."))
    return value


OneLineText = Annotated[str, AfterValidator(_one_line)]
MultiLineText = Annotated[str, AfterValidator(_multi_line)]


def text_problem(error: Mapping[str, Any]) -> str | None:
    """A pydantic error on a text field as one sentence in the user's language (else None)."""
    kind, context = error.get("type"), error.get("ctx") or {}
    if kind == TEXT_ERROR:
        return str(error.get("msg", ""))
    if kind in ("string_too_long", "too_long") and "max_length" in context:
        given = error.get("input")
        length = len(given) if isinstance(given, str) else context.get("actual_length", "?")
        return _("The text can be at most {limit} characters long (it is {length}).").format(
            limit=context["max_length"], length=length
        )
    if kind in ("string_too_short", "too_short") and "min_length" in context:
        return _("Write at least {limit} characters.").format(limit=context["min_length"])
    return None


def field_messages(exc: ValidationError, *, fallback: str | None = None) -> dict[str, str]:
    """One message per field of a refused form: the text rules' sentences, else the fallback."""
    messages: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        messages.setdefault(field, text_problem(error) or fallback or error["msg"])
    return messages


def text_problems(model: type[BaseModel], values: Mapping[str, Any]) -> dict[str, str]:
    """Check typed values against a form model: field → message (empty when all is well)."""
    try:
        model.model_validate(values)
    except ValidationError as exc:
        return field_messages(exc, fallback=_("Check this field."))
    return {}


def named_problems(problems: Mapping[str, str], labels: Mapping[str, str]) -> dict[str, str]:
    """The problems, each message starting with the name of its field as the page shows it."""
    return {
        field: _("{field}: {problem}").format(field=labels.get(field, field), problem=message)
        for field, message in problems.items()
    }


def named_problem(problems: Mapping[str, str], labels: Mapping[str, str]) -> str | None:
    """The first problem as one sentence naming its field (for a form with one message)."""
    return next(iter(named_problems(problems, labels).values()), None)
