"""Measure items: the items measures count beyond single checklists, with their due date, team
and moments, derived by the application from each pathway's facts (built by ``hph migrate``)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 08:21:14.687932
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "measure_item_build",
        sa.Column("measure_id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("measure_id", name=op.f("pk_measure_item_build")),
    )
    op.create_table(
        "measure_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.String(length=64), nullable=False),
        sa.Column("pathway_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counted_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pathway_id"],
            ["pathway.id"],
            name=op.f("fk_measure_item_pathway_id_pathway"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_measure_item_team_id_team"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_item")),
        sa.UniqueConstraint(
            "measure_id",
            "subject_id",
            "due_date",
            name=op.f("uq_measure_item_measure_id_subject_id_due_date"),
        ),
    )
    with op.batch_alter_table("measure_item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_measure_item_counting",
            ["measure_id", "due_date", "team_id", "met_at", "closes_at", "counted_from", "value"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_measure_item_pathway_id"), ["pathway_id"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("measure_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measure_item_pathway_id"))
        batch_op.drop_index("ix_measure_item_counting")

    op.drop_table("measure_item")
    op.drop_table("measure_item_build")
