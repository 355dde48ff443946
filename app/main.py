"""The web application: create_app() wires settings, middleware, errors and every room's routes."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.core.compression import CompressionWithoutReflection
from app.core.config import get_settings
from app.core.deps import LANGUAGE_COOKIE, SESSION_COOKIE, Forbidden, NotSignedIn
from app.core.hardening import CSRFProtection, security_headers
from app.core.heap import settle_heap
from app.core.i18n import _, set_language
from app.core.openapi import describe_api
from app.core.static import CompressedStaticFiles
from app.core.templating import render
from app.core.text import text_problem
from app.fhir.outcome import FhirProblem, fhir_problem_handler, is_fhir, outcome_response

logger = logging.getLogger("hph")
STATIC_DIR = Path(__file__).resolve().parent / "static"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _error_page(request: Request, message: str, status_code: int) -> Response:
    """The error page with its sentence, and the menu of whoever is signed in."""
    from starlette.concurrency import run_in_threadpool

    from app.core.deps import viewer_for_error_page

    try:
        viewer = await run_in_threadpool(viewer_for_error_page, request)
    except Exception:  # the menu is a courtesy: an error page must not fail for it
        viewer = None
    context = {"message": message, "viewer": viewer}
    return render(request, "error.html", context, status_code=status_code)


def _validation_message(exc: RequestValidationError) -> str:
    """One sentence naming the first field that is wrong."""
    errors = exc.errors()
    if not errors:
        return _("The request is not valid.")
    first = errors[0]
    field = ".".join(str(part) for part in first.get("loc", ()) if part not in ("body", "query"))
    problem = text_problem(first) or first.get("msg", "")
    return _("'{field}' is not valid: {problem}").format(field=field, problem=problem)


def domain_errors() -> dict[type[Exception], int]:
    """The services' refusals and the HTTP status each becomes when a route lets it through."""
    from app.admin.directory import AdminError, AdminNotFound
    from app.checklists.adoptions import AdoptionInvalid, AdoptionNotFound
    from app.checklists.answer_rules import AnswerError
    from app.checklists.corrections import ChecklistChanged, ReopenNotAllowed, ReopenRefused
    from app.checklists.service import (
        AnswerConflict,
        ChecklistClosed,
        CompletionRefused,
        IdempotencyKeyReused,
    )
    from app.measures.chart_data import MeasureRequestError
    from app.measures.following import SettingsInvalid
    from app.measures.service import MeasureNotFound
    from app.pathways.events import EventConflict, EventRejected
    from app.pathways.lifecycle import PathwayConflict
    from app.pathways.service import PatientNotFound, PatientRejected, SameLabel
    from app.risks.service import FollowUpConflict, FollowUpRefused

    return {
        PatientNotFound: 404,
        AdminNotFound: 404,
        AdminError: 422,
        MeasureNotFound: 404,
        AdoptionNotFound: 404,
        AdoptionInvalid: 422,
        SettingsInvalid: 422,
        MeasureRequestError: 422,
        PatientRejected: 422,
        EventRejected: 422,
        FollowUpRefused: 422,
        FollowUpConflict: 409,
        AnswerError: 422,
        CompletionRefused: 422,
        EventConflict: 409,
        PathwayConflict: 409,
        SameLabel: 409,
        AnswerConflict: 409,
        ChecklistClosed: 409,
        IdempotencyKeyReused: 409,
        ReopenRefused: 422,
        ReopenNotAllowed: 403,
        ChecklistChanged: 409,
    }


def _domain_handler(status: int):  # type: ignore[no-untyped-def]
    """Answer a service's refusal with its message: JSON for the API, the error page otherwise."""

    async def _handle(request: Request, exc: Exception) -> Response:
        if is_fhir(request):
            return outcome_response(status, str(exc))
        body: dict[str, object] = {"detail": str(exc)}
        for extra in (
            "missing",
            "current_value",
            "current_version",
            "item_id",
            "errors",
            "existing",
        ):
            if getattr(exc, extra, None) is not None:
                body[extra] = getattr(exc, extra)
        if _wants_json(request):
            return JSONResponse(jsonable_encoder(body), status_code=status)
        return await _error_page(request, str(exc), status)

    return _handle


def _sign_in_again(request: Request) -> Response:
    """Send a page to sign-in and back; an htmx call returns to the page it was made from.

    An htmx call (an answer being saved) must come back to its page, never to its POST URL:
    the page sends the answers it kept once the user has signed in again.
    """
    next_page = request.url.path
    reason = "ended" if request.cookies.get(SESSION_COOKIE) else ""
    page_header = "HX-Current-URL" if request.headers.get("HX-Request") else "Referer"
    if request.method != "GET" or request.headers.get("HX-Request"):
        # A posted form comes back to the page it was posted from, never to its POST URL.
        current = urlsplit(request.headers.get(page_header) or "")
        next_page = (current.path or "/") + (f"?{current.query}" if current.query else "")
    if request.headers.get("HX-Request"):
        reason = "kept"
    query = {"next": next_page, **({"reason": reason} if reason else {})}
    target = f"/sign-in?{urlencode(query, safe='/')}"
    if request.headers.get("HX-Request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def install_error_handlers(app: FastAPI) -> None:
    """Every error a user can cause becomes a clear message; nothing leaks a traceback."""

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        if is_fhir(request):
            return outcome_response(401, _("Sign in to continue."))
        if _wants_json(request):
            return JSONResponse({"detail": _("Sign in to continue.")}, status_code=401)
        return _sign_in_again(request)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if is_fhir(request):
            return outcome_response(403, str(exc))
        if _wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=403)
        return await _error_page(request, str(exc), 403)

    app.add_exception_handler(FhirProblem, fhir_problem_handler)
    for exception_class, status in domain_errors().items():
        app.add_exception_handler(exception_class, _domain_handler(status))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else _("The request failed.")
        if exc.status_code == 404 and message == "Not Found":
            message = _("The page was not found.")
        if exc.status_code == 405:
            message = _("This action is not possible here.")
        if is_fhir(request):
            return outcome_response(exc.status_code, message, dict(exc.headers or {}))
        if _wants_json(request):
            return JSONResponse(
                {"detail": message}, status_code=exc.status_code, headers=exc.headers
            )
        page = await _error_page(request, message, exc.status_code)
        page.headers.update(exc.headers or {})  # e.g. Retry-After on a busy server's 503
        return page

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        message = _validation_message(exc)
        if is_fhir(request):
            return outcome_response(400, message)  # FHIR: a search parameter that is not valid
        if _wants_json(request):
            errors = [
                {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                for e in exc.errors()
            ]
            return JSONResponse({"detail": message, "errors": errors}, status_code=422)
        if any(e.get("loc", ("",))[0] == "path" for e in exc.errors()):
            # A wrong id in a page's address: the page does not exist, said in a sentence.
            return await _error_page(request, _("The page was not found."), 404)
        return await _error_page(request, message, 422)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, _exc: Exception) -> Response:
        message = _("A number in the request is out of range.")
        if is_fhir(request):
            return outcome_response(400, message)
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=422)
        return await _error_page(request, message, 422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        message = _("Something went wrong on our side. What you saved before is kept; try again.")
        if is_fhir(request):
            return outcome_response(500, message)
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=500)
        return await _error_page(request, message, 500)


# A thread back from the database waits for the interpreter lock until the running thread's
# turn ends: 5 ms by default, paid at each of a save's dozen queries while a chart is computed
# beside it. 1 ms turns cost little and cut the saves' and pages' p95 under load by about a
# third (bench/load.py --pause 2).
THREAD_TURN_SECONDS = 0.001


def _read_what_every_request_reads() -> None:
    """Parse the checklists, measures, risk rules and translations before the first request,
    which would otherwise wait a quarter of a second for them."""
    from app.checklists.in_use import catalogue_in_use
    from app.core.i18n import LANGUAGES, translations_for
    from app.measures.catalogue import measures_in_use
    from app.risks.rules import risk_rules_in_use

    catalogue_in_use()
    measures_in_use()
    risk_rules_in_use()
    for language in LANGUAGES:
        translations_for(language)


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Once the application is built and started, read what every request reads, then settle
    the heap (see ``app.core.heap``) and shorten the threads' turns."""
    _read_what_every_request_reads()
    settle_heap()
    sys.setswitchinterval(THREAD_TURN_SECONDS)
    yield


def create_app() -> FastAPI:
    """Build the application with every room's routes."""
    from app.admin.account_routes import router as account_routes
    from app.admin.api import router as admin_api
    from app.admin.people_routes import router as admin_people_routes
    from app.admin.routes import router as admin_routes
    from app.audit.routes import router as audit_routes
    from app.checklists.adoption_api import router as adoption_api
    from app.checklists.adoption_routes import router as adoption_routes
    from app.checklists.api import router as checklists_api
    from app.checklists.burden_api import router as burden_api
    from app.checklists.burden_routes import router as burden_routes
    from app.checklists.routes import router as checklists_routes
    from app.core.health import router as health_router
    from app.core.openapi import router as api_docs_router
    from app.dashboards.api import router as dashboards_api
    from app.dashboards.changes_routes import router as dashboard_changes_routes
    from app.dashboards.routes import router as dashboards_routes
    from app.digest.routes import router as digest_routes
    from app.fhir.ingest_api import router as fhir_ingest_api
    from app.fhir.ingest_routes import router as incoming_routes
    from app.fhir.routes import router as fhir_routes
    from app.fhir.tokens_routes import router as token_routes
    from app.goals.api import router as goals_api
    from app.goals.correction_routes import router as rating_correction_routes
    from app.goals.corrections_api import router as rating_corrections_api
    from app.goals.routes import router as goals_routes
    from app.gp.routes import router as gp_routes
    from app.measures.annotations_api import router as annotations_api
    from app.measures.api import router as measures_api
    from app.measures.exclusions_api import router as exclusions_api
    from app.measures.following_api import router as measure_settings_api
    from app.measures.following_routes import router as measure_settings_routes
    from app.measures.manual_api import router as manual_measures_api
    from app.measures.routes import router as measures_routes
    from app.offline.routes import router as offline_routes
    from app.org.api import router as org_api
    from app.org.routes import router as org_routes
    from app.overview.routes import router as overview_routes
    from app.pathways.api import router as pathways_api
    from app.pathways.follow_up_routes import router as follow_ups_routes
    from app.pathways.lifecycle_api import router as pathway_lifecycle_api
    from app.pathways.lifecycle_routes import router as pathway_lifecycle_routes
    from app.pathways.routes import router as pathways_routes
    from app.risks.api import router as follow_ups_api

    app = FastAPI(
        title="HPH Tracker",
        version="0.1.0",
        description=(
            "Checklists, 'what matters' goals and run charts for the HPH home-care pathway. "
            "Every endpoint needs a signed-in session (cookie `hph_session`); a POST whose body "
            "is not JSON also needs the `X-CSRFToken` header. Every refusal is JSON with one "
            "sentence in `detail`, in the user's language."
        ),
        docs_url=None,  # served by app.core.openapi from vendored Swagger UI (strict CSP)
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=_lifespan,
    )

    # Pages and answers above a kilobyte go out compressed (a day's list, a dashboard), but never
    # a page that echoes a query or a form beside the CSRF token (BREACH, app.core.compression);
    # static files with a .gz twin come already compressed and pass through untouched. Added first,
    # so innermost: it sees each response whole, before the middleware below streams it.
    app.add_middleware(CompressionWithoutReflection, minimum_size=1000)

    @app.middleware("http")
    async def _language_and_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        set_language(request.cookies.get(LANGUAGE_COOKIE) or get_settings().default_language)
        response = await call_next(request)
        for name, value in security_headers(request.url.path).items():
            response.headers.setdefault(name, value)
        return response

    app.add_middleware(CSRFProtection, secret=get_settings().resolved_secret_key())
    # Outermost: the client's address (audit log, sign-in limits) comes from X-Forwarded-For
    # only when the connection is from a proxy named in HPH_TRUSTED_PROXIES.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=get_settings().trusted_proxies)

    install_error_handlers(app)
    app.openapi = lambda: describe_api(app)  # type: ignore[method-assign]
    app.mount("/static", CompressedStaticFiles(directory=STATIC_DIR), name="static")
    for router in (
        health_router,
        api_docs_router,
        org_routes,
        org_api,
        pathways_routes,
        pathways_api,
        pathway_lifecycle_routes,
        pathway_lifecycle_api,
        checklists_routes,
        checklists_api,
        goals_routes,
        goals_api,
        rating_corrections_api,
        rating_correction_routes,
        measures_routes,
        measures_api,
        manual_measures_api,
        annotations_api,
        exclusions_api,
        audit_routes,
        dashboards_routes,
        dashboards_api,
        dashboard_changes_routes,
        measure_settings_routes,
        measure_settings_api,
        adoption_routes,
        adoption_api,
        admin_routes,
        admin_people_routes,
        admin_api,
        account_routes,
        fhir_routes,
        fhir_ingest_api,
        incoming_routes,
        token_routes,
        follow_ups_routes,
        follow_ups_api,
        gp_routes,
        burden_routes,
        burden_api,
        offline_routes,
        overview_routes,
        digest_routes,
    ):
        app.include_router(router)
    return app
