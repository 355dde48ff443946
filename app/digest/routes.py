"""The digest on the team's home page and its own page, and the unsubscribe link of the mail."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from app.audit.patient_data import NO_PATIENT_DATA
from app.core.db import utcnow
from app.core.deps import LANGUAGE_COOKIE, PUBLIC, CurrentViewer, SessionDep
from app.core.i18n import _, set_language
from app.core.templating import render
from app.dashboards.service import check_team_access
from app.digest.pdf import pdf_download
from app.digest.recipients import digest_enabled, set_digest_enabled, user_of_token
from app.digest.service import (
    DigestRequestError,
    DigestWeek,
    last_complete_week,
    parse_week,
    team_digest,
)
from app.digest.storyboard import team_storyboard
from app.org.models import Team, User
from app.org.scope import Viewer

router = APIRouter(include_in_schema=False, dependencies=[NO_PATIENT_DATA])


def _team_of(session: SessionDep, viewer: Viewer, team_id: int) -> Team:
    """A team whose patients' figures the viewer may see (404 when it is not among theirs)."""
    team = session.get(Team, team_id) if team_id in viewer.aggregate_team_ids else None
    if team is None:
        raise HTTPException(status_code=404, detail=_("There is no such team among yours."))
    check_team_access(viewer, team_id)
    return team


@router.get("/teams/{team_id}/digest")
def read_team_digest(
    request: Request,
    team_id: int,
    session: SessionDep,
    viewer: CurrentViewer,
    week: str | None = None,
) -> Response:
    """A team's weekly digest: the card on the home page (htmx) or a page of its own."""
    team = _team_of(session, viewer, team_id)
    now = utcnow()
    try:
        chosen = parse_week(week, now=now) if week else last_complete_week(now)
    except DigestRequestError as exc:
        return render(request, "error.html", {"message": str(exc)}, status_code=422)
    digest = team_digest(session, viewer=viewer, team_id=team_id, week=chosen, now=now)
    context = {
        "digest": digest,
        "figures": digest.figures,
        "team": team,
        "previous": DigestWeek(chosen.start - timedelta(weeks=1)).label,
        "next": DigestWeek(chosen.start + timedelta(weeks=1)).label
        if chosen.start < last_complete_week(now).start
        else None,
        "hx_block": "card",
    }
    return render(request, "digest/page.html", context)


def _token_user(request: Request, session: SessionDep, token: str) -> User | None:
    """The active user an unsubscribe link was made for; the page speaks their language."""
    user_id = user_of_token(token)
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active:
        return None
    if LANGUAGE_COOKIE not in request.cookies:  # not signed in here: the mail's language
        set_language(user.language)
    return user


@router.get("/digest/unsubscribe/{token}", dependencies=[PUBLIC])
def read_unsubscribe(request: Request, token: str, session: SessionDep) -> Response:
    """Ask to confirm turning the weekly digest off (a mail scanner's visit changes nothing)."""
    user = _token_user(request, session, token)
    if user is None:
        context = {"dead": _("This link is not valid. Turn the digest off on your account page.")}
        return render(request, "digest/unsubscribe.html", context, status_code=404)
    enabled = digest_enabled(session, user_id=int(user.id or 0))
    return render(
        request, "digest/unsubscribe.html", {"person": user, "token": token, "enabled": enabled}
    )


@router.post("/digest/unsubscribe/{token}", dependencies=[PUBLIC])
def delete_subscription(request: Request, token: str, session: SessionDep) -> Response:
    """Turn the weekly digest off for the link's owner (also a mail client's one-click POST)."""
    user = _token_user(request, session, token)
    if user is None:
        context = {"dead": _("This link is not valid. Turn the digest off on your account page.")}
        return render(request, "digest/unsubscribe.html", context, status_code=404)
    set_digest_enabled(session, user_id=int(user.id or 0), enabled=False)
    return render(request, "digest/unsubscribe.html", {"person": user, "done": True})


@router.get("/teams/{team_id}/storyboard")
def read_storyboard(
    request: Request,
    team_id: int,
    session: SessionDep,
    viewer: CurrentViewer,
    month: str | None = None,
) -> Response:
    """A team's one-page storyboard for a learning session, made to be printed."""
    _team_of(session, viewer, team_id)
    board = team_storyboard(session, viewer=viewer, team_id=team_id, month=month, now=utcnow())
    return render(request, "digest/storyboard.html", {"board": board})


@router.get("/teams/{team_id}/storyboard.pdf")
def read_storyboard_pdf(
    request: Request,
    team_id: int,
    session: SessionDep,
    viewer: CurrentViewer,
    month: str | None = None,
) -> Response:
    """The storyboard as a PDF made on the server (the same page, laid out for print)."""
    team = _team_of(session, viewer, team_id)
    board = team_storyboard(session, viewer=viewer, team_id=team_id, month=month, now=utcnow())
    page = render(request, "digest/storyboard.html", {"board": board})
    return pdf_download(request, page, filename=f"storyboard-{team.slug}-{board.month}.pdf")
