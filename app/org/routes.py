"""Sign-in, sign-out, language and the home page of each role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from app.audit.patient_data import NO_PATIENT_DATA
from app.core.config import get_settings
from app.core.deps import (
    LANGUAGE_COOKIE,
    PUBLIC,
    SESSION_COOKIE,
    CurrentViewer,
    SessionDep,
    client_address,
    require_roles,
)
from app.core.i18n import normalise_language
from app.core.templating import render
from app.org.forms import SignInForm
from app.org.models import Role, User
from app.org.overview import admin_overview, coordinator_overview, team_overview
from app.org.scope import Viewer
from app.org.service import SignInError, sign_in, sign_out

router = APIRouter(include_in_schema=False, dependencies=[NO_PATIENT_DATA])

ROLE_HOME = {
    Role.nurse.value: "/my-day",
    Role.team.value: "/team",
    Role.coordinator.value: "/coordinator",
    Role.admin.value: "/admin",
}


@router.get("/sign-in", dependencies=[PUBLIC])
def read_sign_in(request: Request, next: str = "/", reason: str = "") -> Response:
    """Show the sign-in form (saying why, when a session has ended)."""
    try:
        form = SignInForm(next=next, reason=reason)
    except ValidationError:  # a target the form refuses (too long) is dropped: go to the start
        form = SignInForm()
    return render(request, "org/sign_in.html", {"form": form, "errors": {}})


@router.post("/sign-in", dependencies=[PUBLIC])
def create_sign_in(
    request: Request, session: SessionDep, form: Annotated[SignInForm, Form()]
) -> Response:
    """Sign in and go to the page the user asked for, or say what is wrong."""
    errors = form.problems()
    status, headers = 422, {}
    if not errors:
        try:
            signed_in = sign_in(
                session,
                email=form.email,
                password=form.password,
                ip_address=client_address(request),
                user_agent=request.headers.get("user-agent"),
            )
        except SignInError as exc:
            errors = {"form": str(exc)}
            # A wait (this account's, or this address's) is 429 with Retry-After.
            status, headers = (422 if exc.retry_after is None else 429), exc.headers()
        else:
            response = RedirectResponse(form.next, status_code=303)
            settings = get_settings()
            response.set_cookie(
                SESSION_COOKIE,
                signed_in.token,
                max_age=int(settings.session_hours * 3600),
                httponly=True,
                samesite="lax",
                secure=settings.secure_cookies,
                path="/",
            )
            return response
    form.password = ""
    page = render(request, "org/sign_in.html", {"form": form, "errors": errors}, status_code=status)
    page.headers.update(headers)
    return page


@router.post("/sign-out", dependencies=[PUBLIC])
def delete_sign_in(request: Request, session: SessionDep) -> Response:
    """End the session and go back to the sign-in page."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        sign_out(session, token=token)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language", dependencies=[PUBLIC])
def update_language(
    request: Request, session: SessionDep, language: Annotated[str, Form()] = "nb"
) -> Response:
    """Switch the interface language (remembered for the user when signed in)."""
    chosen = normalise_language(language)
    viewer = getattr(request.state, "viewer", None)
    if viewer is not None:
        user = session.get(User, viewer.user_id)
        if user is not None:
            user.language = chosen
            session.add(user)
    referer = request.headers.get("referer") or "/"
    target = "/" + referer.split("/", 3)[3] if referer.count("/") >= 3 else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/")
def read_home(viewer: CurrentViewer) -> Response:
    """Send each user to the home page of their main role."""
    role = viewer.primary_role
    return RedirectResponse(ROLE_HOME.get(role or "", "/no-access"), status_code=303)


@router.get("/no-access")
def read_no_access(request: Request, viewer: CurrentViewer) -> Response:
    """Tell a user without any membership whom to ask."""
    return render(request, "org/no_access.html", {"viewer": viewer})


@router.get("/team")
def read_team_home(
    request: Request,
    session: SessionDep,
    viewer: Annotated[Viewer, Depends(require_roles(Role.team.value))],
) -> Response:
    """The improvement team's home: its teams and how their checklists went lately."""
    rows = team_overview(session, viewer=viewer)
    return render(request, "org/home_team.html", {"viewer": viewer, "rows": rows})


@router.get("/coordinator")
def read_coordinator_home(
    request: Request,
    session: SessionDep,
    viewer: Annotated[Viewer, Depends(require_roles(Role.coordinator.value))],
) -> Response:
    """The coordinator's home: aggregates per team, small counts suppressed, no patients."""
    rows = coordinator_overview(session, viewer=viewer)
    threshold = get_settings().suppression_threshold
    return render(
        request,
        "org/home_coordinator.html",
        {"viewer": viewer, "rows": rows, "threshold": threshold},
    )


@router.get("/admin")
def read_admin_home(
    request: Request,
    session: SessionDep,
    viewer: Annotated[Viewer, Depends(require_roles(Role.admin.value))],
) -> Response:
    """The administrator's home: organisations, teams and users in their scope."""
    overview = admin_overview(session, viewer=viewer)
    return render(request, "org/home_admin.html", {"viewer": viewer, "overview": overview})
