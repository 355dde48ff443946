"""Hospital events in: organisation-bound API tokens and the encounters received

Revision ID: 0009_fhirin
Revises: 0008_offline
Create Date: 2026-11-30 07:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_fhirin"
down_revision: str | None = "0009_mdc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("revoked_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_api_token_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_token_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "incoming_encounter",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("identifier_system", sa.String(length=200), nullable=False),
        sa.Column("identifier_value", sa.String(length=100), nullable=False),
        sa.Column("subject_system", sa.String(length=200), nullable=True),
        sa.Column("subject_value", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("admission_event_id", sa.Integer(), nullable=True),
        sa.Column("discharge_event_id", sa.Integer(), nullable=True),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("problem", sa.String(length=300), nullable=True),
        sa.CheckConstraint(
            "state IN ('waiting', 'recorded', 'cancelled', 'dismissed')",
            name=op.f("ck_incoming_encounter_state"),
        ),
        sa.CheckConstraint(
            "period_end IS NULL OR period_start IS NULL OR period_end >= period_start",
            name=op.f("ck_incoming_encounter_ends_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["admission_event_id"],
            ["pathway_event.id"],
            name=op.f("fk_incoming_encounter_admission_event_id_pathway_event"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["discharge_event_id"],
            ["pathway_event.id"],
            name=op.f("fk_incoming_encounter_discharge_event_id_pathway_event"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_incoming_encounter_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_incoming_encounter_patient_id_patient"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["api_token.id"],
            name=op.f("fk_incoming_encounter_token_id_api_token"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incoming_encounter")),
        sa.UniqueConstraint(
            "organisation_id",
            "identifier_system",
            "identifier_value",
            name="uq_incoming_encounter_identifier",
        ),
    )
    with op.batch_alter_table("incoming_encounter", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incoming_encounter_organisation_id_state",
            ["organisation_id", "state"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_incoming_encounter_patient_id"), ["patient_id"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("incoming_encounter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incoming_encounter_patient_id"))
        batch_op.drop_index("ix_incoming_encounter_organisation_id_state")

    op.drop_table("incoming_encounter")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_organisation_id"))

    op.drop_table("api_token")
