"""Dependencies every route uses: the transaction, the signed-in viewer, role guards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlmodel import Session

from app.core.db import get_session
from app.core.i18n import _, set_language
from app.org.scope import Viewer, resolve_viewer
from app.org.service import user_for_token

SESSION_COOKIE = "hph_session"
LANGUAGE_COOKIE = "hph_lang"

SessionDep = Annotated[Session, Depends(get_session, scope="function")]


class NotSignedIn(Exception):
    """No valid session: pages redirect to sign-in, the API answers 401."""


class Forbidden(Exception):
    """Signed in, but this role or scope may not do this."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("You do not have access to this page."))


def client_address(request: Request) -> str | None:
    """The client's address as the server sees it (for the audit log)."""
    return request.client.host if request.client else None


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


CurrentViewer = Annotated[Viewer, Depends(get_viewer)]


def require_roles(*roles: str) -> Callable[[Viewer], Viewer]:
    """Build a dependency that lets only these roles through (403 for the others)."""

    def _guard(viewer: CurrentViewer) -> Viewer:
        if not viewer.has_role(*roles):
            raise Forbidden()
        return viewer

    return _guard


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not found, or not in your teams (existence is private)"},
    409: {"description": "Changed by someone else meanwhile, or closed"},
    422: {"description": "Not valid; `detail` says what to fix, in the user's language"},
}
