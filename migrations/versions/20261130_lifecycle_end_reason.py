"""Pathways record why they ended

Revision ID: 0006_lifecycle
Revises: 0005
Create Date: 2026-11-30 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_lifecycle"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASONS = "'died', 'nursing_home', 'moved_away', 'no_longer_needs_care', 'other'"


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("pathway", schema=None) as batch_op:
        batch_op.add_column(sa.Column("end_reason", sa.String(length=30), nullable=True))
        batch_op.create_check_constraint(
            "end_reason_known", f"end_reason IS NULL OR end_reason IN ({REASONS})"
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("pathway", schema=None) as batch_op:
        batch_op.drop_constraint("end_reason_known", type_="check")
        batch_op.drop_column("end_reason")
