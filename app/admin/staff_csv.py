"""Bulk onboarding from a staff CSV (`email,name,role,scope`): all rows or none, idempotent."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from app.admin.account import NO_PASSWORD, issue_invitation
from app.admin.changes import audit_change
from app.admin.directory import AdminError, AdminNotFound, Directory, Reach, check_role_fits
from app.admin.forms import PersonFields, field_errors
from app.admin.people import membership_for
from app.audit.models import AuditAction
from app.core.i18n import _
from app.org.models import Membership, User
from app.org.scope import Viewer

COLUMNS = ("email", "name", "role", "scope")
MAX_BYTES = 5_000_000
MAX_ROWS = 20_000
CHUNK = 500  # e-mail addresses per IN (...) query


class ImportRefused(AdminError):
    """The file was not imported; `problems` names each bad row (nothing was saved)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            _("Nothing was imported: {n} problems. ").format(n=len(problems)) + " ".join(problems)
        )
        self.problems = problems


@dataclass(frozen=True)
class NewLink:
    """A person invited by the import and the link to give them."""

    email: str
    name: str
    path: str


@dataclass
class ImportResult:
    """What the import changed."""

    invited: list[NewLink] = field(default_factory=list)
    roles_added: int = 0
    unchanged: int = 0


def _rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The file's rows by row number (the header is row 1); UTF-8 with or without BOM."""
    if len(data) > MAX_BYTES:
        raise ImportRefused([_("The file is larger than 5 MB.")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused([_("The file is not UTF-8 text; save it as CSV UTF-8.")]) from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    if tuple(header) != COLUMNS:
        raise ImportRefused(
            [_("The first row must be the columns {columns}.").format(columns=",".join(COLUMNS))]
        )
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        return _read(reader, rows)
    except csv.Error as exc:
        raise ImportRefused([_("The file is not a readable CSV file.")]) from exc


def _read(reader: Any, rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, str]]]:
    """Collect the rows after the header, each padded to the four columns."""
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportRefused([_("The file has more than 20,000 rows.")])
        row = dict(zip(COLUMNS, [*values, "", "", "", ""][:4], strict=True))
        if len(values) > len(COLUMNS):
            row["_extra"] = "1"
        rows.append((reader.line_num, row))
    return rows


def _existing(session: Session, emails: list[str]) -> tuple[dict[str, User], list[Membership]]:
    """The users already known by these e-mail addresses and their memberships."""
    users: dict[str, User] = {}
    for start in range(0, len(emails), CHUNK):
        chunk = emails[start : start + CHUNK]
        for user in session.exec(select(User).where(col(User.email).in_(chunk))).all():
            users[user.email] = user
    memberships: list[Membership] = []
    ids = [int(u.id or 0) for u in users.values()]
    for start in range(0, len(ids), CHUNK):
        chunk_ids = ids[start : start + CHUNK]
        memberships += session.exec(
            select(Membership).where(col(Membership.user_id).in_(chunk_ids))
        ).all()
    return users, memberships


def import_staff(session: Session, *, actor: Viewer | None, data: bytes) -> ImportResult:
    """Check every row first; save all of them or none; rows already true change nothing."""
    rows = _rows(data)
    directory, reach = Directory(session), Reach.of(actor)
    problems: list[str] = []
    valid: list[tuple[int, PersonFields]] = []
    for number, row in rows:
        prefix = _("Row {n}:").format(n=number)
        if row.pop("_extra", None):
            problems.append(f"{prefix} " + _("it has more than 4 columns."))
            continue
        try:
            fields = PersonFields.model_validate(row)
            ref = directory.by_label(fields.scope)
            check_role_fits(fields.role.value, ref)
            if not reach.manages(ref):
                raise AdminError(
                    _(
                        "You cannot give a role on {scope}: it is wider than what you administer."
                    ).format(scope=ref.label)
                )
        except ValidationError as exc:
            problems.append(
                f"{prefix} " + " ".join(f"{k}: {v}" for k, v in field_errors(exc).items())
            )
            continue
        except (AdminError, AdminNotFound) as exc:
            problems.append(f"{prefix} {exc}")
            continue
        valid.append((number, fields))
    users, memberships = _existing(session, sorted({f.email for _n, f in valid}))
    held = {(m.user_id, directory.of_membership(m).label): m.role for m in memberships}
    seen: dict[tuple[str, str], tuple[int, str]] = {}
    result = ImportResult()
    plan: list[tuple[PersonFields, str]] = []
    for number, fields in valid:
        ref = directory.by_label(fields.scope)
        key = (fields.email, ref.label)
        if key in seen:
            problems.append(
                _("Row {n}: {email} is on {scope} already in row {first}.").format(
                    n=number, email=fields.email, scope=ref.label, first=seen[key][0]
                )
            )
            continue
        seen[key] = (number, fields.role.value)
        user = users.get(fields.email)
        current = held.get((int(user.id or 0), ref.label)) if user else None
        if current == fields.role.value:
            result.unchanged += 1
        elif current is not None:
            problems.append(
                _("Row {n}: {email} already has the role {role} on {scope}.").format(
                    n=number, email=fields.email, role=current, scope=ref.label
                )
            )
        else:
            plan.append((fields, ref.label))
    if problems:
        raise ImportRefused(problems)
    _apply(session, actor, directory, users, plan, result)
    return result


def _apply(
    session: Session,
    actor: Viewer | None,
    directory: Directory,
    users: dict[str, User],
    plan: list[tuple[PersonFields, str]],
    result: ImportResult,
) -> None:
    """Save the planned users, roles, links and audit entries in a few batched flushes."""
    new_users: dict[str, User] = {}
    for fields, _label in plan:
        if fields.email not in users and fields.email not in new_users:
            new_users[fields.email] = User(
                email=fields.email, display_name=fields.name, password_hash=NO_PASSWORD
            )
    session.add_all(new_users.values())
    session.flush()
    for user in new_users.values():
        link = issue_invitation(user_id=int(user.id or 0), actor=actor)
        session.add(link.invitation)
        result.invited.append(NewLink(user.email, user.display_name, link.path))
        audit_change(
            session,
            actor=actor,
            action=AuditAction.create,
            what=f"user {user.email} (staff import)",
            before=None,
            after={"email": user.email, "name": user.display_name, "invited": True},
        )
    for fields, label in plan:
        user = users.get(fields.email) or new_users[fields.email]
        ref = directory.by_label(label)
        session.add(membership_for(int(user.id or 0), fields.role.value, ref))
        audit_change(
            session,
            actor=actor,
            action=AuditAction.create,
            what=f"membership {user.email} (staff import)",
            before=None,
            after={"user": user.email, "role": fields.role.value, "scope": label},
        )
        result.roles_added += 1
    session.flush()
