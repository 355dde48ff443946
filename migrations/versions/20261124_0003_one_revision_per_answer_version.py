"""One revision per answer version: a backstop against two saves of the same version

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 06:24:25.171170
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("checklist_answer_revision", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_checklist_answer_revision_answer_id_version"), ["answer_id", "version"]
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("checklist_answer_revision", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_checklist_answer_revision_answer_id_version"), type_="unique"
        )
