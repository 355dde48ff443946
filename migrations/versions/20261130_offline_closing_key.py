"""A checklist remembers the idempotency key that closed it

Revision ID: 0008_offline
Revises: 0007_corrections
Create Date: 2026-11-30 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_offline"
down_revision: str | None = "0007_corrections"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("checklist_instance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closing_key", sa.String(length=80), nullable=True))
        batch_op.create_unique_constraint("uq_checklist_instance_closing_key", ["closing_key"])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("checklist_instance", schema=None) as batch_op:
        batch_op.drop_constraint("uq_checklist_instance_closing_key", type_="unique")
        batch_op.drop_column("closing_key")
