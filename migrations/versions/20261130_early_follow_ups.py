"""Follow-ups: the action a risk found in a checklist calls for, scheduled like a checklist

Revision ID: early_0007
Revises: 0007_myday
Create Date: 2026-11-30 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.db import UTCDateTime

revision: str = "early_0007"
down_revision: str | None = "0007_myday"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "follow_up",
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pathway_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("window_start", UTCDateTime(timezone=True), nullable=False),
        sa.Column("window_end", UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("due_week", sa.Date(), nullable=False),
        sa.Column("due_month", sa.Date(), nullable=False),
        sa.Column("done_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("not_needed_reason", sa.String(length=500), nullable=True),
        sa.Column("cancel_cause", sa.String(length=20), nullable=True),
        sa.CheckConstraint(
            "status <> 'done' OR done_at IS NOT NULL", name=op.f("ck_follow_up_done_has_time")
        ),
        sa.CheckConstraint(
            "status <> 'not_needed' OR not_needed_reason IS NOT NULL",
            name=op.f("ck_follow_up_not_needed_has_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'done', 'not_needed', 'cancelled')",
            name=op.f("ck_follow_up_status_known"),
        ),
        sa.CheckConstraint("window_end >= window_start", name=op.f("ck_follow_up_window_ordered")),
        sa.ForeignKeyConstraint(
            ["done_by_id"],
            ["app_user.id"],
            name=op.f("fk_follow_up_done_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["checklist_instance.id"],
            name=op.f("fk_follow_up_instance_id_checklist_instance"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pathway_id"],
            ["pathway.id"],
            name=op.f("fk_follow_up_pathway_id_pathway"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_follow_up_team_id_team"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up")),
        sa.UniqueConstraint(
            "instance_id", "rule_id", name=op.f("uq_follow_up_instance_id_rule_id")
        ),
    )
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_up_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index(
            "ix_follow_up_measure",
            ["rule_id", "due_date", "team_id", "status", "window_end", "done_at", "recorded_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_follow_up_pathway_id"), ["pathway_id"], unique=False)
        batch_op.create_index("ix_follow_up_team_id_status", ["team_id", "status"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_up_team_id_status")
        batch_op.drop_index(batch_op.f("ix_follow_up_pathway_id"))
        batch_op.drop_index("ix_follow_up_measure")
        batch_op.drop_index(batch_op.f("ix_follow_up_instance_id"))

    op.drop_table("follow_up")
