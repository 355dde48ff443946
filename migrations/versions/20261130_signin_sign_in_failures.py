"""Sign-in failures for e-mail addresses without an account, counted like an account's so that
the sign-in answers cannot tell known and unknown addresses apart

Revision ID: signin_0006
Revises: 0007_search
Create Date: 2026-11-30 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "signin_0006"
down_revision: str | None = "0007_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "sign_in_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_digest", sa.String(length=64), nullable=False),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "failed_sign_ins >= 0", name=op.f("ck_sign_in_failure_failed_sign_ins_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failure")),
        sa.UniqueConstraint("email_digest", name=op.f("uq_sign_in_failure_email_digest")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("sign_in_failure")
