"""Answer revisions: every saved version of an answer, with its idempotency key

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 06:02:47.624623
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "checklist_answer_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["checklist_answer.id"],
            name=op.f("fk_checklist_answer_revision_answer_id_checklist_answer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["app_user.id"],
            name=op.f("fk_checklist_answer_revision_answered_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["checklist_instance.id"],
            name=op.f("fk_checklist_answer_revision_instance_id_checklist_instance"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_answer_revision")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_checklist_answer_revision_idempotency_key")
        ),
    )
    with op.batch_alter_table("checklist_answer_revision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checklist_answer_revision_instance_id_item_id",
            ["instance_id", "item_id"],
            unique=False,
        )

    # Every existing answer becomes its first revision, keeping its idempotency key.
    op.execute(
        "INSERT INTO checklist_answer_revision (answer_id, instance_id, item_id, version, value,"
        " answered_by_id, answered_at, idempotency_key)"
        " SELECT id, instance_id, item_id, version, value, answered_by_id, answered_at,"
        " idempotency_key FROM checklist_answer"
    )
    with op.batch_alter_table("checklist_answer", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_checklist_answer_idempotency_key"), type_="unique")
        batch_op.drop_column("idempotency_key")


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("checklist_answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.VARCHAR(length=80), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_checklist_answer_idempotency_key"), ["idempotency_key"]
        )
    # The newest revision's key goes back onto its answer.
    op.execute(
        "UPDATE checklist_answer SET idempotency_key = (SELECT r.idempotency_key"
        " FROM checklist_answer_revision r WHERE r.answer_id = checklist_answer.id"
        " AND r.version = checklist_answer.version)"
    )

    with op.batch_alter_table("checklist_answer_revision", schema=None) as batch_op:
        batch_op.drop_index("ix_checklist_answer_revision_instance_id_item_id")

    op.drop_table("checklist_answer_revision")
