"""Patients are found by label, local reference and birth year through indexed search keys

Revision ID: 0007_search
Revises: 0006_lifecycle
Create Date: 2026-11-30 05:30:00
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_search"
down_revision: str | None = "0006_lifecycle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(text: str | None) -> str | None:
    """The search key as the application derives it (app.pathways.models.search_key)."""
    if not text:
        return None
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if ch.isalnum())[:60] or None


def _key_type() -> sa.types.TypeEngine:
    return sa.String(length=60).with_variant(sa.String(length=60, collation="C"), "postgresql")


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.add_column(sa.Column("label_key", _key_type(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("reference_key", _key_type(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, label, local_reference FROM patient")).all()
    updates = [
        {"id": row[0], "label_key": _key(row[1]) or "", "reference_key": _key(row[2])}
        for row in rows
    ]
    if updates:
        bind.execute(
            sa.text(
                "UPDATE patient SET label_key = :label_key, reference_key = :reference_key "
                "WHERE id = :id"
            ),
            updates,
        )
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.alter_column("label_key", server_default=None)
        batch_op.create_index("ix_patient_team_id_label_key", ["team_id", "label_key"])
        batch_op.create_index("ix_patient_team_id_reference_key", ["team_id", "reference_key"])
        batch_op.create_index("ix_patient_team_id_birth_year", ["team_id", "birth_year"])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_team_id_birth_year")
        batch_op.drop_index("ix_patient_team_id_reference_key")
        batch_op.drop_index("ix_patient_team_id_label_key")
        batch_op.drop_column("reference_key")
        batch_op.drop_column("label_key")
