"""The storyboard as a PDF made on the server with WeasyPrint, from the same page as printed.

Stylesheets come from the app's own static folder; nothing else is fetched (no network, no
file outside it), so a title or change description cannot make the server load anything.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from fastapi.responses import Response

from app.core.i18n import _

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


class PdfUnavailable(RuntimeError):
    """WeasyPrint (or the Pango library it needs) is not installed on this server."""


def static_file(url: str) -> tuple[bytes, str]:
    """The bytes and type of a /static/... address from the app's folder; ValueError otherwise."""
    path = urlsplit(url).path
    if path.startswith("/static/"):
        wanted = (STATIC_DIR / path.removeprefix("/static/")).resolve()
        if wanted.is_file() and STATIC_DIR in wanted.parents:
            mime = mimetypes.guess_type(wanted.name)[0] or "application/octet-stream"
            return wanted.read_bytes(), mime
    raise ValueError(f"not fetched for a PDF: {url}")


def _fetcher() -> Any:
    """A WeasyPrint URL fetcher that serves the app's static files and nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnly(URLFetcher):  # type: ignore[misc]
        """Answers /static/... from the app's folder; refuses every other address."""

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:  # noqa: ARG002
            body, mime = static_file(url)
            return URLFetcherResponse(url, body, {"Content-Type": mime})

    return StaticOnly()


def html_to_pdf(html: str, *, base_url: str) -> bytes:
    """Lay out a page for print (its @page and print styles) and return the PDF."""
    try:
        from weasyprint import HTML  # optional: needs Pango; imported where it is needed

        fetcher = _fetcher()
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(str(exc)) from exc
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    return bytes(document.write_pdf())


_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SVG_OPEN = re.compile(r'<svg\b[^>]*?\bclass="([^"]*)"[^>]*>')


def inline_svg_styles(html: str, *, stylesheet: str) -> str:
    """Write a static stylesheet's rules into each inline SVG whose class they start with.

    WeasyPrint draws an inline SVG as a document of its own, which the page's stylesheets do
    not reach; each SVG gets only the rules its classes select (e.g. ``.mdc-v-improving .shape``).
    """
    css = re.sub(r"/\*.*?\*/", "", static_file(f"/static/{stylesheet}")[0].decode(), flags=re.S)
    rules = [(m.group(1).strip(), m.group(0).strip()) for m in _RULE.finditer(css)]

    def styled(match: re.Match[str]) -> str:
        classes = {f".{name}" for name in match.group(1).split()}
        chosen = [
            rule
            for selector, rule in rules
            if any(part.split()[0] in classes for part in selector.split(",") if part.split())
        ]
        return match.group(0) + (f"<style>{' '.join(chosen)}</style>" if chosen else "")

    return _SVG_OPEN.sub(styled, html)


def pdf_download(
    request: Request, page: Response, *, filename: str, svg_stylesheet: str | None = None
) -> Response:
    """A rendered print page as a PDF attachment (503 in the user's language without WeasyPrint);
    ``svg_stylesheet``: a static stylesheet to write into the page's inline SVG."""
    html = bytes(page.body).decode()
    if svg_stylesheet is not None:
        html = inline_svg_styles(html, stylesheet=svg_stylesheet)
    try:
        pdf = html_to_pdf(html, base_url=str(request.base_url))
    except PdfUnavailable as exc:
        raise HTTPException(
            status_code=503,
            detail=_("PDF files cannot be made on this server: print the page instead."),
        ) from exc
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
