"""Stored measure counts: each measure's final counts per team and segment (the days a week
and a month share), with the moment they settle; filled by ``hph migrate`` (their fingerprints
are missing), or before the first count of a measure should a deployment skip that

Revision ID: 0009_aggregates
Revises: 0008_offline
Create Date: 2026-11-30 08:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_aggregates"
down_revision: str | None = "0009_fhirin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "measure_count_build",
        sa.Column("measure_id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("measure_id", name=op.f("pk_measure_count_build")),
    )
    op.create_table(
        "measure_count",
        sa.Column("measure_id", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("segment_start", sa.Date(), nullable=False),
        sa.Column("numerator", sa.Float(), nullable=False),
        sa.Column("denominator", sa.Float(), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_measure_count_team_id_team"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "measure_id", "team_id", "segment_start", name=op.f("pk_measure_count")
        ),
    )
    with op.batch_alter_table("measure_count", schema=None) as batch_op:
        batch_op.create_index(
            "ix_measure_count_period", ["measure_id", "segment_start", "team_id"], unique=False
        )
        batch_op.create_index(
            "ix_measure_count_settled", ["measure_id", "settled_at", "segment_start"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("measure_count", schema=None) as batch_op:
        batch_op.drop_index("ix_measure_count_settled")
        batch_op.drop_index("ix_measure_count_period")
    op.drop_table("measure_count")
    op.drop_table("measure_count_build")
