"""Count versions: a random token per team and measure, drawn afresh by every write that
recounts them,
so that counts computed once are reused until the team's items change (``count_cache``)

Revision ID: 0010_count_versions
Revises: 0009_digest
Create Date: 2026-11-30 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_count_versions"
down_revision: str | None = "0009_digest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "measure_count_version",
        sa.Column("team_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("measure_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "measure_id", name=op.f("pk_measure_count_version")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("measure_count_version")
