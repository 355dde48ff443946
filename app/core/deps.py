"""Dependencies every route uses: the transaction, the signed-in viewer, role guards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.datastructures import FormData

from app.core.db import get_session
from app.core.i18n import _, set_language
from app.org.scope import Viewer, resolve_viewer
from app.org.service import user_for_token

SESSION_COOKIE = "hph_session"
LANGUAGE_COOKIE = "hph_lang"

SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class AccessRule:
    """Who may use a route: anyone, any signed-in user, or only some roles (on their scope)."""

    audience: str
    roles: tuple[str, ...] = ()

    def describe(self) -> str:
        """The rule in a few words, for the route table and its test."""
        return self.audience if not self.roles else f"{self.audience}: {', '.join(self.roles)}"


def public_route() -> None:
    """Anyone may use this route, signed in or not (sign-in, health, language)."""


public_route.access_rule = AccessRule("public")  # type: ignore[attr-defined]
PUBLIC = Depends(public_route)


class NotSignedIn(Exception):
    """No valid session: pages redirect to sign-in, the API answers 401."""


class Forbidden(Exception):
    """Signed in, but this role or scope may not do this."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("You do not have access to this page."))


async def posted_form(request: Request) -> FormData:
    """The posted form, read on the event loop so that the route itself stays synchronous.

    Routes that use the database must be plain ``def``: FastAPI runs those in its thread pool.
    An ``async def`` route would run its blocking queries on the event loop, and one that waits
    for a row lock would stop every other request, including the commit that releases it.
    """
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


def client_address(request: Request) -> str | None:
    """The client's address: the connection's, or what a trusted proxy forwarded (see main)."""
    return request.client.host[:64] if request.client else None


def get_viewer(request: Request, session: SessionDep) -> Viewer:
    """Resolve the session cookie into the signed-in viewer, or refuse."""
    token = request.cookies.get(SESSION_COOKIE)
    user = user_for_token(session, token=token) if token else None
    if user is None:
        raise NotSignedIn()
    if LANGUAGE_COOKIE not in request.cookies:
        set_language(user.language)
    viewer = resolve_viewer(session, user, ip_address=client_address(request))
    request.state.viewer = viewer
    return viewer


def viewer_for_error_page(request: Request) -> Viewer | None:
    """The signed-in viewer, for the menu of an error page that no route got to (or None)."""
    known: Viewer | None = getattr(request.state, "viewer", None)
    if known is not None or SESSION_COOKIE not in request.cookies:
        return known
    provide = request.app.dependency_overrides.get(get_session, get_session)
    sessions = provide()
    try:
        return get_viewer(request, next(sessions))
    except NotSignedIn:
        return None
    finally:
        sessions.close()


get_viewer.access_rule = AccessRule("signed in")  # type: ignore[attr-defined]
CurrentViewer = Annotated[Viewer, Depends(get_viewer)]


def require_roles(*roles: str) -> Callable[[Viewer], Viewer]:
    """Build a dependency that lets only these roles through (403 for the others)."""

    def _guard(viewer: CurrentViewer) -> Viewer:
        if not viewer.has_role(*roles):
            raise Forbidden()
        return viewer

    _guard.access_rule = AccessRule("roles", tuple(roles))  # type: ignore[attr-defined]
    return _guard


def access_rule_of(dependant: Any) -> AccessRule | None:
    """The most specific access rule declared among a route's dependencies (roles win)."""
    rules: list[AccessRule] = []
    stack = [dependant]
    while stack:
        current = stack.pop()
        rule = getattr(current.call, "access_rule", None)
        if rule is not None:
            rules.append(rule)
        stack.extend(current.dependencies)
    for audience in ("roles", "signed in", "public"):
        for rule in rules:
            if rule.audience == audience:
                return rule
    return None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not found, or not in your teams (existence is private)"},
    409: {"description": "Changed by someone else meanwhile, or closed"},
    422: {"description": "Not valid; `detail` says what to fix, in the user's language"},
}
