"""Teams choose the measures they follow and their goal lines; organisations adopt local
checklist variants from a date (the variants named for an organisation in the catalogue become
adoptions from the beginning of time)

Revision ID: 0006_follow
Revises: signin_0006
Create Date: 2026-11-30 05:10:00
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
import yaml
from alembic import op

from app.core.config import get_settings

revision: str = "0006_follow"
down_revision: str | None = "signin_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEGINNING = date(1970, 1, 1)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "team_measure_setting",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.String(length=80), nullable=False),
        sa.Column("followed", sa.Boolean(), nullable=False),
        sa.Column("goal", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_team_measure_setting_team_id_team"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_measure_setting")),
        sa.UniqueConstraint(
            "team_id", "measure_id", name=op.f("uq_team_measure_setting_team_id_measure_id")
        ),
    )
    with op.batch_alter_table("team_measure_setting", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_team_measure_setting_team_id"), ["team_id"], unique=False
        )
    adoption = op.create_table(
        "variant_adoption",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("checklist_id", sa.String(length=64), nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("adopted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["adopted_by_id"],
            ["app_user.id"],
            name=op.f("fk_variant_adoption_adopted_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_variant_adoption_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_variant_adoption")),
        sa.UniqueConstraint(
            "organisation_id",
            "checklist_id",
            "starts_on",
            name=op.f("uq_variant_adoption_organisation_id_checklist_id_starts_on"),
        ),
    )
    with op.batch_alter_table("variant_adoption", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_variant_adoption_organisation_id"), ["organisation_id"], unique=False
        )
    _adopt_named_variants(adoption)


def _adopt_named_variants(adoption: sa.Table) -> None:
    """Until now a variant applied to the organisation whose slug its file names: keep that."""
    folder = Path(get_settings().checklists_dir) / "variants"
    named = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if isinstance(data, dict) and {"organisation", "base", "variant"} <= data.keys():
            named.append((str(data["organisation"]), str(data["base"]), str(data["variant"])))
    if not named:
        return
    organisations = dict(
        op.get_bind().execute(sa.text("SELECT slug, id FROM organisation")).tuples().all()
    )
    now = datetime.now(UTC)
    rows = [
        {
            "created_at": now,
            "updated_at": now,
            "organisation_id": organisations[slug],
            "checklist_id": base,
            "variant": variant,
            "starts_on": BEGINNING,
            "adopted_by_id": None,
        }
        for slug, base, variant in named
        if slug in organisations
    ]
    if rows:
        op.bulk_insert(adoption, rows)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("variant_adoption", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_variant_adoption_organisation_id"))
    op.drop_table("variant_adoption")
    with op.batch_alter_table("team_measure_setting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_measure_setting_team_id"))
    op.drop_table("team_measure_setting")
