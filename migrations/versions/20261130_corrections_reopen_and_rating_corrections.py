"""Checklist status changes (completed, not applicable, reopened) and rating corrections

Revision ID: 0007_corrections
Revises: early_0007
Create Date: 2026-11-30 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_corrections"
down_revision: str | None = "early_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "checklist_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("performed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("happened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "action IN ('completed', 'not_applicable', 'reopened')",
            name=op.f("ck_checklist_status_change_action_known"),
        ),
        sa.CheckConstraint(
            "action <> 'reopened' OR reason IS NOT NULL",
            name=op.f("ck_checklist_status_change_reopened_has_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["checklist_instance.id"],
            name=op.f("fk_checklist_status_change_instance_id_checklist_instance"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_checklist_status_change_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_status_change")),
    )
    with op.batch_alter_table("checklist_status_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checklist_status_change_instance_id"), ["instance_id"], unique=False
        )
    op.create_table(
        "goal_rating_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("old_rating", sa.Integer(), nullable=False),
        sa.Column("new_rating", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("corrected_by_id", sa.Integer(), nullable=True),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "old_rating BETWEEN 0 AND 10", name=op.f("ck_goal_rating_correction_old_rating_0_to_10")
        ),
        sa.CheckConstraint(
            "new_rating BETWEEN 0 AND 10", name=op.f("ck_goal_rating_correction_new_rating_0_to_10")
        ),
        sa.ForeignKeyConstraint(
            ["rating_id"],
            ["goal_rating.id"],
            name=op.f("fk_goal_rating_correction_rating_id_goal_rating"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["corrected_by_id"],
            ["app_user.id"],
            name=op.f("fk_goal_rating_correction_corrected_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_rating_correction")),
    )
    with op.batch_alter_table("goal_rating_correction", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_goal_rating_correction_rating_id"), ["rating_id"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("goal_rating_correction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_rating_correction_rating_id"))
    op.drop_table("goal_rating_correction")
    with op.batch_alter_table("checklist_status_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checklist_status_change_instance_id"))
    op.drop_table("checklist_status_change")
