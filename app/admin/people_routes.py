"""Admin pages for people: the list, invitations, roles, links, deactivation and the CSV."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import Session

from app.admin.directory import AdminError, AdminNotFound
from app.admin.forms import MembershipFields, PersonFields
from app.admin.mail import mail_configured, send_invitations
from app.admin.pages import ROLES, Admin, done, parse, refusal, scope_choices
from app.admin.people import (
    add_membership,
    get_person,
    invite_person,
    issue_link,
    list_people,
    remove_membership,
    set_active,
    unlock,
)
from app.admin.staff_csv import ImportRefused, import_staff
from app.audit.patient_data import NO_PATIENT_DATA
from app.core.deps import SessionDep
from app.core.i18n import current_language
from app.core.templating import render
from app.org.scope import Viewer

router = APIRouter(include_in_schema=False, dependencies=[NO_PATIENT_DATA])
TextForm = Annotated[str, Form()]


def _people_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    *,
    scope: str = "",
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The people page, with a refused invitation's values and messages."""
    try:
        people = list_people(session, actor=viewer, scope=scope or None)
    except (AdminError, AdminNotFound) as exc:
        people, errors = [], {**(errors or {}), "scope": str(exc)}
    return render(
        request,
        "admin/users.html",
        {
            "people": people,
            "scope": scope,
            "scopes": scope_choices(session, viewer),
            "roles": ROLES,
            "form": form or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _link_page(
    request: Request, tasks: BackgroundTasks, *, email: str, name: str, path: str
) -> Response:
    """Show a fresh one-time link once (and e-mail it after the commit, when SMTP is set)."""
    mailed = mail_configured()
    if mailed:
        tasks.add_task(
            send_invitations,
            [(email, name, path)],
            base_url=str(request.base_url),
            language=current_language(),
        )
    link = str(request.base_url).rstrip("/") + path
    return render(
        request, "admin/link.html", {"email": email, "name": name, "link": link, "mailed": mailed}
    )


@router.get("/admin/users")
def read_users(
    request: Request,
    session: SessionDep,
    viewer: Admin,
    scope: str = Query(default="", max_length=80),
) -> Response:
    """Everyone in what you administer, their roles and state, and a form to invite someone."""
    return _people_page(request, session, viewer, scope=scope)


@router.post("/admin/users")
def create_user_page(
    request: Request,
    tasks: BackgroundTasks,
    session: SessionDep,
    viewer: Admin,
    email: TextForm = "",
    name: TextForm = "",
    role: TextForm = "",
    scope: TextForm = "",
) -> Response:
    """Invite a person: their account, their first role, and a one-time link to give them."""
    given = {"email": email, "name": name, "role": role, "scope": scope}
    fields, errors = parse(PersonFields, given)
    if fields is not None:
        try:
            invited = invite_person(session, actor=viewer, fields=fields)
        except (AdminError, AdminNotFound) as exc:
            errors = refusal(exc)
        else:
            return _link_page(
                request,
                tasks,
                email=invited.user.email,
                name=invited.user.display_name,
                path=invited.path,
            )
    return _people_page(request, session, viewer, form=given, errors=errors, status_code=422)


def _person_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    user_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """One person's page, with a refused form's message."""
    person = get_person(session, actor=viewer, user_id=user_id)
    return render(
        request,
        "admin/user.html",
        {
            "person": person,
            "scopes": scope_choices(session, viewer),
            "roles": ROLES,
            "form": form or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/admin/users/{user_id}")
def read_user(user_id: int, request: Request, session: SessionDep, viewer: Admin) -> Response:
    """One person: roles, state, and what an administrator can do for them."""
    return _person_page(request, session, viewer, user_id)


@router.post("/admin/users/{user_id}/memberships")
def create_membership_page(
    user_id: int,
    request: Request,
    session: SessionDep,
    viewer: Admin,
    role: TextForm = "",
    scope: TextForm = "",
) -> Response:
    """Give a person another role."""
    given = {"role": role, "scope": scope}
    fields, errors = parse(MembershipFields, given)
    if fields is not None:
        try:
            add_membership(session, actor=viewer, user_id=user_id, fields=fields)
        except AdminError as exc:
            errors = refusal(exc)
        else:
            return done(request, f"/admin/users/{user_id}")
    return _person_page(
        request, session, viewer, user_id, form=given, errors=errors, status_code=422
    )


@router.post("/admin/users/{user_id}/memberships/{membership_id}/delete")
def delete_membership_page(
    user_id: int, membership_id: int, request: Request, session: SessionDep, viewer: Admin
) -> Response:
    """Take a role away from a person."""
    try:
        remove_membership(session, actor=viewer, user_id=user_id, membership_id=membership_id)
    except AdminError as exc:
        return _person_page(request, session, viewer, user_id, errors=refusal(exc), status_code=422)
    return done(request, f"/admin/users/{user_id}")


@router.post("/admin/users/{user_id}/link")
def create_link_page(
    user_id: int, request: Request, tasks: BackgroundTasks, session: SessionDep, viewer: Admin
) -> Response:
    """A new one-time link (a reset): the old password and every session of the person end."""
    try:
        path = issue_link(session, actor=viewer, user_id=user_id)
    except AdminError as exc:
        return _person_page(request, session, viewer, user_id, errors=refusal(exc), status_code=422)
    person = get_person(session, actor=viewer, user_id=user_id)
    return _link_page(
        request, tasks, email=person.user.email, name=person.user.display_name, path=path
    )


def _account_change(
    request: Request, session: Session, viewer: Viewer, user_id: int, change: Callable[[], object]
) -> Response:
    """Run one change to a person's account; back to their page, or its message (422)."""
    try:
        change()
    except AdminError as exc:
        return _person_page(request, session, viewer, user_id, errors=refusal(exc), status_code=422)
    return done(request, f"/admin/users/{user_id}")


@router.post("/admin/users/{user_id}/deactivate")
def deactivate_user_page(
    user_id: int, request: Request, session: SessionDep, viewer: Admin
) -> Response:
    """Deactivate a leaver: their sessions end, sign-in is refused, their history stays."""
    return _account_change(
        request,
        session,
        viewer,
        user_id,
        lambda: set_active(session, actor=viewer, user_id=user_id, active=False),
    )


@router.post("/admin/users/{user_id}/reactivate")
def reactivate_user_page(
    user_id: int, request: Request, session: SessionDep, viewer: Admin
) -> Response:
    """Let a deactivated person sign in again."""
    return _account_change(
        request,
        session,
        viewer,
        user_id,
        lambda: set_active(session, actor=viewer, user_id=user_id, active=True),
    )


@router.post("/admin/users/{user_id}/unlock")
def unlock_user_page(
    user_id: int, request: Request, session: SessionDep, viewer: Admin
) -> Response:
    """Let a person locked out after failed sign-ins try again now."""
    return _account_change(
        request, session, viewer, user_id, lambda: unlock(session, actor=viewer, user_id=user_id)
    )


@router.get("/admin/import")
def read_import(request: Request, viewer: Admin) -> Response:
    """The staff CSV upload form."""
    return render(request, "admin/import.html", {"viewer": viewer, "problems": [], "result": None})


@router.post("/admin/import")
def create_import(
    request: Request,
    tasks: BackgroundTasks,
    session: SessionDep,
    viewer: Admin,
    file: UploadFile | None = None,
) -> Response:
    """Import a staff CSV: every row or none; the new people's links are shown once."""
    data = file.file.read(6_000_000) if file is not None else b""
    try:
        result = import_staff(session, actor=viewer, data=data)
    except ImportRefused as exc:
        return render(
            request,
            "admin/import.html",
            {"problems": exc.problems, "result": None},
            status_code=422,
        )
    if mail_configured() and result.invited:
        tasks.add_task(
            send_invitations,
            [(link.email, link.name, link.path) for link in result.invited],
            base_url=str(request.base_url),
            language=current_language(),
        )
    return render(
        request,
        "admin/import.html",
        {
            "problems": [],
            "result": result,
            "base_url": str(request.base_url).rstrip("/"),
            "mailed": mail_configured(),
        },
    )
