"""Every UI string is in the catalogue, and bokmål has a translation for each."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.core.i18n import LOCALE_DIR, gettext_in

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "gettext_in": (2,),
    "translated": None,
    "say": None,
}
METHODS = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
PLACEHOLDER = re.compile(r"\{(\w+)\}|%\((\w+)\)s")


def _source_ids() -> set[str]:
    ids: set[str] = set()
    for folder in ("app", "templates"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder,
            method_map=[
                (pattern.split("/", 1)[1], method)
                for pattern, method in METHODS
                if pattern.startswith(folder)
            ],
            keywords=KEYWORDS,
            options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
        ):
            ids.add(message if isinstance(message, str) else message[0])
    return ids


def _catalogue(language: str):  # type: ignore[no-untyped-def]
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def test_every_ui_string_has_a_bokmal_translation() -> None:
    catalogue = _catalogue("nb")
    translated = {(m.id if isinstance(m.id, str) else m.id[0]): m.string for m in catalogue if m.id}
    source = _source_ids()
    assert len(source) > 100
    missing = sorted(i for i in source if not translated.get(i))
    assert missing == [], "run `make messages` and translate: " + "; ".join(missing[:10])


def test_bokmal_keeps_every_placeholder() -> None:
    for message in _catalogue("nb"):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        wanted = {a or b for a, b in PLACEHOLDER.findall(ids[-1])}
        for string in strings:
            assert {a or b for a, b in PLACEHOLDER.findall(string)} <= wanted | {"n"}, message.id


def test_english_falls_through_to_the_message_id() -> None:
    assert gettext_in("en", "Sign in") == "Sign in"
    assert gettext_in("nb", "Sign in") == "Logg inn"
