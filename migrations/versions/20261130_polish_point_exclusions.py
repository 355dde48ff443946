"""A team may leave a point of its measure out of the chart's centre line, limits and rules as
a known special cause, with a reason

Revision ID: 0009_exclusions
Revises: 0008_offline
Create Date: 2026-11-30 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_exclusions"
down_revision: str | None = "0008_offline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "point_exclusion",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("measure_key", sa.String(length=80), nullable=False),
        sa.Column("period_type", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "period_type IN ('week', 'month')", name=op.f("ck_point_exclusion_period_type_known")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_point_exclusion_created_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_point_exclusion_team_id_team"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_exclusion")),
        sa.UniqueConstraint(
            "team_id",
            "measure_key",
            "period_type",
            "period_start",
            name=op.f("uq_point_exclusion_team_id_measure_key_period_type_period_start"),
        ),
    )
    with op.batch_alter_table("point_exclusion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_point_exclusion_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("point_exclusion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_point_exclusion_team_id"))
    op.drop_table("point_exclusion")
