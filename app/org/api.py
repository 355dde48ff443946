"""JSON API for sessions and the signed-in user."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from app.audit.patient_data import NO_PATIENT_DATA
from app.core.config import get_settings
from app.core.deps import PUBLIC, SESSION_COOKIE, CurrentViewer, SessionDep, client_address
from app.org.service import SignInError, sign_in, sign_out

router = APIRouter(prefix="/api/v1", tags=["session"], dependencies=[NO_PATIENT_DATA])


class SignInRequest(BaseModel):
    """Credentials for opening a session."""

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=512)


class GrantPublic(BaseModel):
    """One role on one scope."""

    role: str
    scope_kind: str
    scope_id: int
    scope_name: str
    team_ids: list[int]


class ViewerPublic(BaseModel):
    """The signed-in user and what they may see."""

    id: int
    email: str
    display_name: str
    language: str
    roles: list[str]
    grants: list[GrantPublic]


def _public(viewer: CurrentViewer) -> ViewerPublic:
    return ViewerPublic(
        id=viewer.user_id,
        email=viewer.email,
        display_name=viewer.display_name,
        language=viewer.language,
        roles=sorted(viewer.roles),
        grants=[
            GrantPublic(
                role=g.role,
                scope_kind=g.scope_kind,
                scope_id=g.scope_id,
                scope_name=g.scope_name,
                team_ids=sorted(g.team_ids),
            )
            for g in viewer.grants
        ],
    )


@router.post(
    "/session",
    dependencies=[PUBLIC],
    responses={
        401: {"description": "Wrong e-mail or password"},
        429: {"description": "Too many failed sign-ins: wait (`Retry-After`, seconds)"},
    },
)
def create_session(body: SignInRequest, request: Request, session: SessionDep) -> JSONResponse:
    """Sign in; the session cookie is set on the response."""
    try:
        signed_in = sign_in(
            session,
            email=body.email,
            password=body.password,
            ip_address=client_address(request),
            user_agent=request.headers.get("user-agent"),
        )
    except SignInError as exc:
        status = 401 if exc.retry_after is None else 429
        return JSONResponse({"detail": str(exc)}, status_code=status, headers=exc.headers())
    settings = get_settings()
    response = JSONResponse({"detail": "ok", "expires_at": signed_in.expires_at.isoformat()})
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


@router.delete("/session", status_code=204)
def delete_session(request: Request, session: SessionDep, _viewer: CurrentViewer) -> Response:
    """Sign out: the session ends on the server, not only in the browser."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        sign_out(session, token=token)
    response = Response(status_code=204)  # no body: a JSON "null" breaks the 204 on uvicorn
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me")
def read_me(viewer: CurrentViewer) -> ViewerPublic:
    """Return the signed-in user, their roles and the teams they reach."""
    return _public(viewer)
