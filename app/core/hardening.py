"""Web hardening: CSRF tokens (asgi-csrf), security headers (secure) and a strict CSP.

All JavaScript is vendored and served from /static, so the policy allows scripts only from
this origin; no inline script and no eval.
"""

from __future__ import annotations

import json
from typing import Any

import secure
from asgi_csrf import Errors, asgi_csrf_decorator
from markupsafe import Markup
from starlette.types import ASGIApp, Receive, Scope, Send

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


def _json_api_request(scope: Scope) -> bool:
    """JSON calls to the API: a browser cannot send these cross-site without a CORS preflight,
    which this server never grants, so they need no token."""
    if not scope.get("path", "").startswith("/api/"):
        return False
    headers = dict(scope.get("headers") or [])
    content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip()
    return content_type == b"application/json"


async def _refuse(scope: Scope, send: Send, message_id: Errors) -> None:
    """Answer a failed CSRF check with a clear message in the user's language (403)."""
    del message_id
    cookies = dict(scope.get("headers") or []).get(b"cookie", b"").decode("latin-1")
    language = "nb"
    for part in cookies.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "hph_lang":
            language = normalise_language(value)
    text = gettext_in(language, "The form has expired. Reload the page and try again.")
    is_api = scope.get("path", "").startswith("/api/")
    body = json.dumps({"detail": text}).encode() if is_api else text.encode()
    content_type = b"application/json" if is_api else b"text/plain; charset=utf-8"
    await send(
        {"type": "http.response.start", "status": 403, "headers": [(b"content-type", content_type)]}
    )
    await send({"type": "http.response.body", "body": body})


class CSRFProtection:
    """ASGI middleware: double-submit CSRF tokens on every state-changing form and htmx call."""

    def __init__(self, app: ASGIApp, secret: str) -> None:
        self._protected = asgi_csrf_decorator(
            cookie_name=CSRF_COOKIE,
            http_header=CSRF_HEADER,
            form_input=CSRF_FIELD,
            signing_secret=secret,
            skip_if_scope=_json_api_request,
            always_protect=SIGN_IN_PATHS,
            cookie_secure=get_settings().secure_cookies,
            send_csrf_failed=_refuse,
        )(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the token on unsafe requests and hand the request on."""
        await self._protected(scope, receive, send)


def csrf_token(request: Any) -> str:
    """The CSRF token of this request (sets the cookie when it is new)."""
    getter = request.scope.get("csrftoken")
    return str(getter()) if getter else ""


def csrf_input(request: Any) -> Markup:
    """A hidden form field carrying the CSRF token."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, csrf_token(request)
    )
