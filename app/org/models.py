"""Who is who: learning networks, organisations, teams, users and their memberships."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.tables import Timestamped, sql_in


class Role(StrEnum):
    """What a member may do within a scope."""

    nurse = "nurse"
    team = "team"
    coordinator = "coordinator"
    admin = "admin"


class ScopeKind(StrEnum):
    """Where a membership applies."""

    team = "team"
    organisation = "organisation"
    network = "network"


class OrganisationKind(StrEnum):
    """A municipality's home care or a hospital."""

    municipality = "municipality"
    hospital = "hospital"


class ChartRules(StrEnum):
    """The rule set a network reads its charts by (app.charts: runs, ihi, mdc)."""

    anhoej = "anhoej"
    ihi = "ihi"
    mdc = "mdc"


class LearningNetwork(Timestamped, table=True):
    """A regional learning network, e.g. 'Helse Nord 2026'."""

    __tablename__ = "learning_network"
    __table_args__ = (
        CheckConstraint(
            sql_in("chart_rules", tuple(r.value for r in ChartRules)), name="chart_rules_known"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    region: str = Field(max_length=100)
    chart_rules: str = Field(default=ChartRules.anhoej.value, max_length=10)


class Organisation(Timestamped, table=True):
    """A municipality or a hospital taking part in a network."""

    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint(
            sql_in("kind", tuple(k.value for k in OrganisationKind)), name="kind_known"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="learning_network.id", index=True, ondelete="RESTRICT")
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    org_number: str | None = Field(default=None, max_length=9)
    municipality_number: str | None = Field(default=None, max_length=4)


class Team(Timestamped, table=True):
    """An improvement team: a home-care unit or a hospital ward."""

    __tablename__ = "team"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="RESTRICT")
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)


class User(Timestamped, table=True):
    """A person who signs in."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(sql_in("language", ("nb", "en")), name="language_known"),
        CheckConstraint("failed_sign_ins >= 0", name="failed_sign_ins_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    display_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=255)
    language: str = Field(default="nb", max_length=5)
    is_active: bool = Field(default=True)
    failed_sign_ins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_sign_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignInFailure(SQLModel, table=True):
    """Failed sign-ins for an e-mail address without an account, counted like an account's
    (``User.failed_sign_ins``, ``User.locked_until``) so the answers cannot tell them apart."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (CheckConstraint("failed_sign_ins >= 0", name="failed_sign_ins_not_negative"),)

    id: int | None = Field(default=None, primary_key=True)
    email_digest: str = Field(max_length=64, unique=True)
    failed_sign_ins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Membership(Timestamped, table=True):
    """A user's role on exactly one team, organisation or network."""

    __tablename__ = "membership"
    __table_args__ = (
        CheckConstraint(sql_in("role", tuple(r.value for r in Role)), name="role_known"),
        CheckConstraint(
            "(scope_kind = 'team' AND team_id IS NOT NULL AND organisation_id IS NULL"
            " AND network_id IS NULL)"
            " OR (scope_kind = 'organisation' AND organisation_id IS NOT NULL"
            " AND team_id IS NULL AND network_id IS NULL)"
            " OR (scope_kind = 'network' AND network_id IS NOT NULL AND team_id IS NULL"
            " AND organisation_id IS NULL)",
            name="one_scope",
        ),
        UniqueConstraint("user_id", "team_id"),
        UniqueConstraint("user_id", "organisation_id"),
        UniqueConstraint("user_id", "network_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=20)
    scope_kind: str = Field(max_length=20)
    team_id: int | None = Field(default=None, foreign_key="team.id", ondelete="CASCADE")
    organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", ondelete="CASCADE"
    )
    network_id: int | None = Field(
        default=None, foreign_key="learning_network.id", ondelete="CASCADE"
    )


class UserSession(SQLModel, table=True):
    """A signed-in browser; the cookie holds a random token, the table only its hash."""

    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_expires_at", "expires_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_seen_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ip_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=300)
