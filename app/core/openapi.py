"""The API description: every refusal declared with its real shape, the session cookie and the
CSRF header documented, and the docs page served from vendored Swagger UI under the strict CSP.

FastAPI declares its own 422 body (``detail`` as a list of field errors); this application
answers every refusal with one sentence in ``detail`` (see ``app.main``), so the description is
rewritten here to say so, once for every operation.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from markupsafe import escape
from pydantic import BaseModel, Field

from app.core.deps import PUBLIC, SESSION_COOKIE, access_rule_of
from app.core.hardening import CSRF_COOKIE, CSRF_HEADER, csrf_token

SWAGGER_UI_VERSION = "5.35.0"
ERROR_REF = "#/components/schemas/ErrorDetail"
FASTAPI_422 = "#/components/schemas/HTTPValidationError"  # detail as a list: not what we answer
REFUSALS = {
    "400": "The body could not be read (not JSON, not UTF-8, a broken form)",
    "401": "Not signed in, or the session has ended",
    "403": "Your role or teams do not reach this, or the CSRF header is missing",
    "404": "No such object that you may see",
    "422": "What is wrong, in one sentence (and per field or row where there are several)",
}
SECURITY_SCHEMES = {
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The session cookie set by `POST /api/v1/session` (HttpOnly).",
    },
    "csrfToken": {
        "type": "apiKey",
        "in": "header",
        "name": CSRF_HEADER,
        "description": (
            f"Needed with every POST whose body is not JSON (a file upload, a form, no body): "
            f"the value of the `{CSRF_COOKIE}` cookie, which every page and API answer sets. "
            "JSON bodies and PUT, PATCH and DELETE need no token: a browser cannot send them "
            "from another site without a CORS preflight, which this server never grants."
        ),
    },
}


class ErrorDetail(BaseModel):
    """A refusal: what is wrong, in one sentence, in the user's language."""

    detail: str = Field(description="One sentence naming what to fix, in the user's language.")


def _api_routes(app: FastAPI) -> list[APIRoute]:
    """Every route of the application, included routers flattened."""
    found: list[APIRoute] = []
    stack = list(app.router.routes)
    while stack:
        route = stack.pop()
        if isinstance(route, APIRoute):
            found.append(route)
        stack.extend(getattr(getattr(route, "original_router", None), "routes", ()))
    return found


def _is_public(route: APIRoute) -> bool:
    """Whether anyone may call the route, signed in or not."""
    rule = access_rule_of(route.dependant)
    return rule is not None and rule.audience == "public"


def _needs_csrf_header(method: str, operation: dict[str, Any]) -> bool:
    """A POST without a JSON body is a request any page could send: it needs the header."""
    content = (operation.get("requestBody") or {}).get("content", {})
    return method == "post" and "application/json" not in content


def _declare_refusals(path: str, method: str, operation: dict[str, Any], public: bool) -> None:
    """Give every operation the refusals it can answer, each with the ErrorDetail shape
    (unless the route declares a richer model of its own, which has ``detail`` too)."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    statuses: set[str] = set()
    if "requestBody" in operation:
        statuses |= {"400", "422"}
    if operation.get("parameters"):
        statuses.add("422")
    if not public:
        statuses |= {"401", "403"}
    if "{" in path:
        statuses.add("404")
    for status in statuses:
        responses.setdefault(status, {"description": REFUSALS[status]})
    for status, response in responses.items():
        declared = response.get("content", {}).get("application/json", {}).get("schema", {})
        if status.startswith("4") and declared.get("$ref", FASTAPI_422) == FASTAPI_422:
            response["content"] = {"application/json": {"schema": {"$ref": ERROR_REF}}}
    if not public:
        needed: dict[str, list[str]] = {"session": []}
        if _needs_csrf_header(method, operation):
            needed["csrfToken"] = []
        operation["security"] = [needed]


def describe_api(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI description of the JSON API (built once, then cached on the app)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    public = {
        (route.path, method.lower())
        for route in _api_routes(app)
        if _is_public(route)
        for method in route.methods or ()
    }
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            _declare_refusals(path, method, operation, (path, method) in public)
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["ErrorDetail"] = ErrorDetail.model_json_schema()
    if FASTAPI_422 not in json.dumps(schema):  # replaced above
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    components["securitySchemes"] = SECURITY_SCHEMES
    app.openapi_schema = schema
    return schema


router = APIRouter(include_in_schema=False)
DOCS_PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>HPH Tracker API</title>
  <link rel="stylesheet" href="/static/vendor/swagger-ui-{SWAGGER_UI_VERSION}.css">
</head>
<body>
  <div id="swagger-ui" data-url="/api/openapi.json" data-csrf="{{token}}"></div>
  <script src="/static/vendor/swagger-ui-bundle-{SWAGGER_UI_VERSION}.js"></script>
  <script src="/static/api-docs.js"></script>
</body>
</html>
"""


@router.get("/api/docs", dependencies=[PUBLIC])
def read_api_docs(request: Request) -> HTMLResponse:
    """The API description as a page (vendored Swagger UI: no CDN, no inline script)."""
    return HTMLResponse(DOCS_PAGE.replace("{token}", escape(csrf_token(request))))
