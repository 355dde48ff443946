"""Compressed responses that cannot leak the CSRF token (BREACH).

A page compressed with gzip leaks, through its size, whether text an attacker placed in it
matches a secret in the same page, such as the CSRF token in every form. An attacker can place
text in a page through the query string of a link (the patient search echoes ``q``) or through
a form that is shown again with what was typed. So pages are compressed only when answering a
GET or HEAD without a query string; the JSON API, FHIR and static files carry no token and are
always compressed (files with a ``.gz`` twin arrive already compressed and pass untouched).
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

ALWAYS_COMPRESSED = ("/api/", "/fhir/", "/static/")


def may_compress(scope: Scope) -> bool:
    """Whether a response may be compressed without letting echoed text probe a secret."""
    path = str(scope.get("path", ""))
    if path.startswith(ALWAYS_COMPRESSED):
        return True
    return scope.get("method") in ("GET", "HEAD") and not scope.get("query_string")


class CompressionWithoutReflection:
    """Gzip for responses over ``minimum_size`` bytes that echo nothing an attacker chose."""

    def __init__(self, app: ASGIApp, minimum_size: int = 1000) -> None:
        """Wrap the app with gzip for the responses that may be compressed."""
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Compress when safe; otherwise pass the response through as it is."""
        if scope["type"] == "http" and may_compress(scope):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
