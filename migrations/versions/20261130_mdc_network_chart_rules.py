"""A learning network chooses the rule set its charts are read by

Revision ID: 0009_mdc
Revises: 0008_offline
Create Date: 2026-11-30 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_mdc"
down_revision: str | None = "0009_exclusions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("learning_network", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("chart_rules", sa.String(length=10), nullable=False, server_default="anhoej")
        )
    with op.batch_alter_table("learning_network", schema=None) as batch_op:
        batch_op.alter_column("chart_rules", server_default=None)
        batch_op.create_check_constraint(
            "chart_rules_known", "chart_rules IN ('anhoej', 'ihi', 'mdc')"
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("learning_network", schema=None) as batch_op:
        batch_op.drop_constraint("chart_rules_known", type_="check")
        batch_op.drop_column("chart_rules")
