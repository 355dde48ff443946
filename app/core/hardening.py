"""Web hardening: CSRF tokens (asgi-csrf), security headers (secure) and a strict CSP.

All JavaScript is vendored and served from /static, so the policy allows scripts only from
this origin; no inline script and no eval.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncGenerator
from typing import Any

import secure
from asgi_csrf import Errors, asgi_csrf_decorator
from markupsafe import Markup
from starlette.datastructures import Headers
from starlette.formparsers import MultiPartParser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import get_settings
from app.core.i18n import gettext_in, normalise_language

CSRF_COOKIE = "csrftoken"
CSRF_FIELD = "csrftoken"
CSRF_HEADER = "x-csrftoken"
# asgi-csrf lets a POST without any cookie through (nothing to forge, it assumes); signing in
# is the exception: a cookieless cross-site form could sign the victim into the attacker's
# account. These need the pre-session token that the sign-in page sets in a cookie.
SIGN_IN_PATHS = frozenset({"/sign-in", "/api/v1/session"})

SECURITY_HEADERS = secure.Secure(
    csp=secure.ContentSecurityPolicy()
    .default_src("'self'")
    .script_src("'self'")
    .style_src("'self'")
    .img_src("'self'", "data:")
    .connect_src("'self'")
    .font_src("'self'")
    .object_src("'none'")
    .base_uri("'self'")
    .form_action("'self'")
    .frame_ancestors("'none'"),
    xfo=secure.XFrameOptions().deny(),
    referrer=secure.ReferrerPolicy().same_origin(),
    xcto=secure.XContentTypeOptions(),
    permissions=secure.PermissionsPolicy().geolocation().microphone().camera(),
    coop=secure.CrossOriginOpenerPolicy().same_origin(),
    cache=secure.CacheControl().no_store(),
)


def security_headers(path: str) -> dict[str, str]:
    """Headers for every response (static files may be cached; pages and data may not)."""
    headers = dict(SECURITY_HEADERS.headers)
    if path.startswith("/static/"):
        headers["Cache-Control"] = "public, max-age=3600"
    if get_settings().secure_cookies:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


_PASSED = "hph.csrf_passed"  # scope key: a list that gets an entry once the check has passed
PREFLIGHTED_METHODS = frozenset({"PUT", "PATCH", "DELETE"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _preflighted_api_request(scope: Scope) -> bool:
    """API calls a browser cannot send cross-site without a CORS preflight, which this server
    never grants: JSON bodies, and the methods no HTML form can send (PUT, PATCH, DELETE).

    They need no token. A POST that is not JSON (a form, a file, no body at all) can be sent
    cross-site by any page, so it needs the token in the ``X-CSRFToken`` header.
    """
    if not scope.get("path", "").startswith("/api/"):
        return False
    if scope.get("method") in PREFLIGHTED_METHODS:
        return True
    headers = dict(scope.get("headers") or [])
    content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip()
    return content_type == b"application/json"


def _language_of(scope: Scope) -> str:
    """The language cookie of a request read straight from its headers (nb when unreadable)."""
    cookies = dict(scope.get("headers") or []).get(b"cookie", b"").decode("latin-1")
    language = "nb"
    for part in cookies.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "hph_lang":
            language = normalise_language(value)
    return language


async def _answer(scope: Scope, send: Send, status: int, text: str) -> None:
    """Answer before the application runs: JSON ``detail`` for the API, plain text otherwise."""
    is_api = scope.get("path", "").startswith("/api/")
    body = json.dumps({"detail": text}).encode() if is_api else text.encode()
    content_type = b"application/json" if is_api else b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type)],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _refuse(scope: Scope, send: Send, message_id: Errors) -> None:
    """Answer a failed CSRF check with a clear message in the user's language (403)."""
    del message_id
    language = _language_of(scope)
    text = gettext_in(language, "The form has expired. Reload the page and try again.")
    await _answer(scope, send, 403, text)


class CSRFProtection:
    """ASGI middleware: double-submit CSRF tokens on every state-changing form and htmx call.

    Looking for the token, asgi-csrf reads cookies and form bodies itself; whatever it cannot
    read (no multipart boundary, bytes that are not UTF-8, a broken cookie) fails there, before
    the application is reached, and is answered here as a request that cannot be read (400).
    """

    def __init__(self, app: ASGIApp, secret: str) -> None:
        self._app = app
        self._protected = asgi_csrf_decorator(
            cookie_name=CSRF_COOKIE,
            http_header=CSRF_HEADER,
            form_input=CSRF_FIELD,
            signing_secret=secret,
            skip_if_scope=_preflighted_api_request,
            always_protect=SIGN_IN_PATHS,
            cookie_secure=get_settings().secure_cookies,
            send_csrf_failed=_refuse,
        )(self._checked)

    async def _checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The application, reached once the check has passed (marks the request as passed)."""
        scope[_PASSED].append(True)
        await self._app(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the token on unsafe requests and hand the request on."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        passed: list[bool] = []
        try:
            if _multipart_without_header(scope):
                # asgi-csrf cannot read multipart bodies with python-multipart 0.0.2x: the
                # token field is read here and handed on as the header asgi-csrf checks.
                token, receive = await _multipart_token(scope, receive)
                if token is None and _has_cookies(scope):
                    await _refuse(scope, send, Errors.MULTIPART_MISMATCH)
                    return
                scope = _with_header(scope, CSRF_HEADER, token or "")
            await self._protected({**scope, _PASSED: passed}, receive, send)
        except Exception:
            if passed:
                raise
            language = _language_of(scope)
            text = gettext_in(language, "The request could not be read. Send it again.")
            await _answer(scope, send, 400, text)


def _header(scope: Scope, name: str) -> bytes:
    """A request header's raw value (empty when absent)."""
    return dict(scope.get("headers") or []).get(name.encode("latin-1"), b"")


def _has_cookies(scope: Scope) -> bool:
    """Whether the request carries any cookie (asgi-csrf lets cookie-less requests through)."""
    return bool(_header(scope, "cookie"))


def _multipart_without_header(scope: Scope) -> bool:
    """An unsafe multipart request whose token can only be in its body."""
    return (
        scope.get("method") not in SAFE_METHODS
        and not _header(scope, CSRF_HEADER)
        and not _preflighted_api_request(scope)
        and _header(scope, "content-type").split(b";", 1)[0].strip() == b"multipart/form-data"
    )


def _with_header(scope: Scope, name: str, value: str) -> Scope:
    """The scope with one more request header."""
    headers = [*(scope.get("headers") or []), (name.encode("latin-1"), value.encode("latin-1"))]
    return {**scope, "headers": headers}


async def _multipart_token(scope: Scope, receive: Receive) -> tuple[str | None, Receive]:
    """The token field of a multipart body, and a ``receive`` that replays the whole body."""
    messages: list[Message] = []
    more_body = True
    while more_body:
        message = await receive()
        messages.append(message)
        more_body = message.get("more_body", False)

    async def body() -> AsyncGenerator[bytes, None]:
        for message in messages:
            yield message.get("body", b"")

    form = await MultiPartParser(Headers(scope=scope), body()).parse()
    token = form.get(CSRF_FIELD)
    await form.close()
    replay = iter(messages)

    async def replay_receive() -> Message:
        return next(replay, None) or await receive()

    return (token if isinstance(token, str) else None), replay_receive


def csrf_token(request: Any) -> str:
    """The CSRF token of this request (sets the cookie when it is new)."""
    getter = request.scope.get("csrftoken")
    return str(getter()) if getter else ""


def csrf_input(request: Any) -> Markup:
    """A hidden form field carrying the CSRF token."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, csrf_token(request)
    )


def tablet_key(user_id: int) -> str:
    """The key this user's answers kept on a tablet are encrypted with (AES-GCM, base64).

    Derived from the server's secret and the user, and written only into that user's own
    pages (never stored, never cached): while another user is signed in on the tablet, what
    the first one left there cannot be read.
    """
    secret = get_settings().resolved_secret_key().encode()
    digest = hmac.new(secret, f"hph-tablet-key:{user_id}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
