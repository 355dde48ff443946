"""An administrator reviews only the audit entries about what they administer (issue 17).

Two networks: midt (organisations O1 with teams T1 and T1b, O1x with team T1x) and nord
(organisation O2, team T2). The admin of midt sees midt's people and patients, never nord's
e-mail addresses or patient numbers; the admin of O1 sees only O1's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.audit.models import AuditAction, AuditEntry
from app.audit.review import search_entries
from app.audit.service import record
from app.org.models import User
from app.org.scope import resolve_viewer
from tests.factories import (
    make_network,
    make_organisation,
    make_patient,
    make_team,
    make_user,
    sign_in_client,
)


@dataclass
class TwoNetworks:
    """The people and patients of both networks, and their administrators."""

    nurses: dict[str, User]
    patients: dict[str, int]
    admins: dict[str, User]


@pytest.fixture()
def two_networks(db: Session) -> TwoNetworks:
    """Each nurse signs in and reads their own patient; a stranger fails to sign in."""
    midt, nord = make_network(db), make_network(db)
    o1, o1x, o2 = (
        make_organisation(db, midt),
        make_organisation(db, midt),
        make_organisation(db, nord),
    )
    teams = {"T1": make_team(db, o1), "T1b": make_team(db, o1), "T1x": make_team(db, o1x)}
    teams["T2"] = make_team(db, o2)
    nurses, patients = {}, {}
    for name, team in teams.items():
        nurse = make_user(db, role="nurse", team=team, email=f"nurse-{name.lower()}@example.no")
        patient = make_patient(db, team, label=f"P.{name} 1930")
        viewer = resolve_viewer(db, nurse)
        record(db, viewer=viewer, action=AuditAction.read, what="patient", patient_id=patient.id)
        record(db, viewer=None, action=AuditAction.sign_in, what="sign-in", user_email=nurse.email)
        nurses[name], patients[name] = nurse, int(patient.id or 0)
    record(
        db,
        viewer=None,
        action=AuditAction.sign_in_failed,
        what="sign-in",
        user_email="stranger@example.no",
    )
    admins = {
        "midt": make_user(db, role="admin", network=midt, email="admin-midt@example.no"),
        "O1": make_user(db, role="admin", organisation=o1, email="admin-o1@example.no"),
        "nord": make_user(db, role="admin", network=nord, email="admin-nord@example.no"),
    }
    db.flush()
    return TwoNetworks(nurses, patients, admins)


def _seen(db: Session, admin: User) -> tuple[set[str], set[int]]:
    """The nurses' e-mail addresses and the patients the admin's review shows."""
    entries: list[AuditEntry] = search_entries(db, viewer=resolve_viewer(db, admin), limit=1000)
    emails = {e.user_email or "" for e in entries if (e.user_email or "").startswith("nurse-")}
    return emails, {e.patient_id for e in entries if e.patient_id}


def test_network_admin_reviews_only_their_networks_entries(db: Session, two_networks) -> None:  # type: ignore[no-untyped-def]
    emails, patients = _seen(db, two_networks.admins["midt"])
    assert emails == {"nurse-t1@example.no", "nurse-t1b@example.no", "nurse-t1x@example.no"}
    assert patients == {two_networks.patients[t] for t in ("T1", "T1b", "T1x")}
    emails, patients = _seen(db, two_networks.admins["nord"])
    assert (emails, patients) == ({"nurse-t2@example.no"}, {two_networks.patients["T2"]})


def test_organisation_admin_reviews_only_their_organisations_entries(
    db: Session, two_networks
) -> None:  # type: ignore[no-untyped-def]
    emails, patients = _seen(db, two_networks.admins["O1"])
    assert emails == {"nurse-t1@example.no", "nurse-t1b@example.no"}
    assert patients == {two_networks.patients["T1"], two_networks.patients["T1b"]}


def test_nobody_reviews_a_strangers_failed_sign_in_nor_without_administering(
    db: Session, two_networks
) -> None:  # type: ignore[no-untyped-def]
    for admin in two_networks.admins.values():
        entries = search_entries(db, viewer=resolve_viewer(db, admin), limit=1000)
        assert "stranger@example.no" not in {e.user_email for e in entries}
    nurse = resolve_viewer(db, two_networks.nurses["T1"])
    assert search_entries(db, viewer=nurse) == []


def test_an_erased_patients_entries_stay_with_the_network_of_who_acted(
    db: Session, two_networks
) -> None:  # type: ignore[no-untyped-def]
    viewer = resolve_viewer(db, two_networks.nurses["T2"])
    gone = max(two_networks.patients.values()) + 1000
    record(db, viewer=viewer, action=AuditAction.erase, what="patient", patient_id=gone)
    assert gone in _seen(db, two_networks.admins["nord"])[1]
    assert gone not in _seen(db, two_networks.admins["midt"])[1]


def test_the_audit_page_and_its_filters_stay_in_scope(
    client: TestClient, db: Session, two_networks
) -> None:  # type: ignore[no-untyped-def]
    sign_in_client(client, two_networks.admins["midt"])
    page = client.get("/admin/audit")
    assert page.status_code == 200
    assert "nurse-t1@example.no" in page.text and "nurse-t2@example.no" not in page.text
    nord_patient = two_networks.patients["T2"]
    by_patient = client.get(f"/admin/audit?patient={nord_patient}")
    assert by_patient.status_code == 200 and "nurse-t2@example.no" not in by_patient.text
    by_user = client.get("/admin/audit?user=nurse-t2")
    assert by_user.status_code == 200 and "nurse-t2@example.no" not in by_user.text
