"""Bulk onboarding from a staff CSV: all or nothing, every problem at once, idempotent."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from app.admin.staff_csv import ImportRefused, import_staff
from app.audit.models import AuditEntry
from app.org.models import Membership, User
from app.org.scope import resolve_viewer
from tests.factories import make_network, make_organisation, make_team, make_user


def _counts(db: Session) -> tuple[int, int, int]:
    return (
        db.exec(select(func.count()).select_from(User)).one(),
        db.exec(select(func.count()).select_from(Membership)).one(),
        db.exec(select(func.count()).select_from(AuditEntry)).one(),
    )


def test_import_with_bom_and_semicolons_then_again_changes_nothing(db: Session) -> None:
    org = make_organisation(db)
    team = make_team(db, org)
    data = (
        "\ufeffemail;name;role;scope\n"
        f"Kari@Example.no;Kari Nordmann;nurse;team:{team.slug}\n"
        f"kari@example.no;Kari Nordmann;team;organisation:{org.slug}\n"
        f"ola@example.no;Ola Ærlig;admin;organisation:{org.slug}\n"
    ).encode()
    first = import_staff(db, actor=None, data=data)
    assert sorted(i.email for i in first.invited) == ["kari@example.no", "ola@example.no"]
    assert all(i.path.startswith("/welcome/") for i in first.invited)
    assert first.roles_added == 3
    before = _counts(db)
    again = import_staff(db, actor=None, data=data)
    assert again.invited == [] and again.roles_added == 0 and again.unchanged == 3
    assert _counts(db) == before


def test_every_bad_row_is_reported_at_once_and_nothing_is_saved(db: Session) -> None:
    team = make_team(db)
    existing = make_user(db, role="nurse", team=team)
    data = (
        "email,name,role,scope\n"
        f"good@example.no,Good,nurse,team:{team.slug}\n"
        "not-an-email,Bad,nurse,team:x\n"
        f"b@example.no,B,nurse,team:nope\n"
        f"c@example.no,C,admin,team:{team.slug}\n"
        f"d@example.no,,nurse,team:{team.slug}\n"
        f"{existing.email},X,team,team:{team.slug}\n"
        f"good@example.no,Good,nurse,team:{team.slug}\n"
        f"e@example.no,E,wizard,team:{team.slug}\n"
    ).encode()
    before = _counts(db)
    with pytest.raises(ImportRefused) as refused:
        import_staff(db, actor=None, data=data)
    problems = refused.value.problems
    rows = [p.split(":")[0] for p in problems]
    assert rows == ["Row 3", "Row 4", "Row 5", "Row 6", "Row 9", "Row 7", "Row 8"]
    assert "no team 'nope'" in problems[1] and "not on a team" in problems[2]
    assert "already has the role nurse" in problems[5] and "already in row 2" in problems[6]
    assert _counts(db) == before


def test_import_refuses_roles_wider_than_the_importers(db: Session) -> None:
    network = make_network(db)
    org, sibling = make_organisation(db, network), make_organisation(db, network)
    admin = resolve_viewer(db, make_user(db, role="admin", organisation=org))
    data = f"email,name,role,scope\nx@example.no,X,team,organisation:{sibling.slug}\n".encode()
    with pytest.raises(ImportRefused, match="wider"):
        import_staff(db, actor=admin, data=data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"name,email,role,scope\n", "first row must be the columns"),
        ("email,name,role,scope\nå@x.no,Å,nurse,team:x\n".encode("latin-1"), "not UTF-8"),
        (b"email,name,role,scope\na@x.no,A,nurse,team:x,extra\n", "more than 4 columns"),
    ],
)
def test_unreadable_files_get_one_clear_message(db: Session, data: bytes, message: str) -> None:
    with pytest.raises(ImportRefused, match=message):
        import_staff(db, actor=None, data=data)
