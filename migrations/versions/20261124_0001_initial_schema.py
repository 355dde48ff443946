"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 05:36:00.867972
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""

    op.create_table(
        "app_user",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("language IN ('nb', 'en')", name=op.f("ck_app_user_language_known")),
        sa.CheckConstraint(
            "failed_sign_ins >= 0", name=op.f("ck_app_user_failed_sign_ins_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("email", name=op.f("uq_app_user_email")),
    )
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_email", sa.String(length=254), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("what", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.String(length=1000), nullable=True),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "action IN ('read', 'create', 'update', 'delete', 'export', 'erase', 'sign_in', 'sign_in_failed', 'sign_out')",
            name=op.f("ck_audit_entry_action"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entry_patient_id_at", ["patient_id", "at"], unique=False)
        batch_op.create_index("ix_audit_entry_user_id_at", ["user_id", "at"], unique=False)

    op.create_table(
        "learning_network",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_network")),
        sa.UniqueConstraint("slug", name=op.f("uq_learning_network_slug")),
    )
    op.create_table(
        "organisation",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("org_number", sa.String(length=9), nullable=True),
        sa.CheckConstraint(
            "kind IN ('municipality', 'hospital')", name=op.f("ck_organisation_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["learning_network.id"],
            name=op.f("fk_organisation_network_id_learning_network"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("slug", name=op.f("uq_organisation_slug")),
    )
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisation_network_id"), ["network_id"], unique=False
        )

    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_user_session_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.create_index("ix_user_session_expires_at", ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_user_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "team",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_team_organisation_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
        sa.UniqueConstraint("slug", name=op.f("uq_team_slug")),
    )
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_team_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "annotation",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("measure_key", sa.String(length=80), nullable=True),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("starts_phase", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_annotation_created_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_annotation_team_id_team"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotation")),
    )
    with op.batch_alter_table("annotation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_annotation_team_id_happened_on", ["team_id", "happened_on"], unique=False
        )

    op.create_table(
        "manual_measure",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("period_type", sa.String(length=10), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("goal", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "direction IN ('up', 'down')", name=op.f("ck_manual_measure_direction_known")
        ),
        sa.CheckConstraint(
            "kind IN ('proportion', 'count', 'mean')", name=op.f("ck_manual_measure_kind_known")
        ),
        sa.CheckConstraint(
            "period_type IN ('week', 'month')", name=op.f("ck_manual_measure_period_type_known")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_manual_measure_team_id_team"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_measure")),
        sa.UniqueConstraint("team_id", "key", name=op.f("uq_manual_measure_team_id_key")),
    )
    with op.batch_alter_table("manual_measure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_manual_measure_team_id"), ["team_id"], unique=False)

    op.create_table(
        "membership",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("scope_kind", sa.String(length=20), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(scope_kind = 'team' AND team_id IS NOT NULL AND organisation_id IS NULL AND network_id IS NULL) OR (scope_kind = 'organisation' AND organisation_id IS NOT NULL AND team_id IS NULL AND network_id IS NULL) OR (scope_kind = 'network' AND network_id IS NOT NULL AND team_id IS NULL AND organisation_id IS NULL)",
            name=op.f("ck_membership_one_scope"),
        ),
        sa.CheckConstraint(
            "role IN ('nurse', 'team', 'coordinator', 'admin')",
            name=op.f("ck_membership_role_known"),
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["learning_network.id"],
            name=op.f("fk_membership_network_id_learning_network"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_membership_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_membership_team_id_team"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_membership_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
        sa.UniqueConstraint("user_id", "network_id", name=op.f("uq_membership_user_id_network_id")),
        sa.UniqueConstraint(
            "user_id", "organisation_id", name=op.f("uq_membership_user_id_organisation_id")
        ),
        sa.UniqueConstraint("user_id", "team_id", name=op.f("uq_membership_user_id_team_id")),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_user_id"), ["user_id"], unique=False)

    op.create_table(
        "patient",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("local_reference", sa.String(length=40), nullable=True),
        sa.CheckConstraint(
            "birth_year IS NULL OR birth_year BETWEEN 1890 AND 2100",
            name=op.f("ck_patient_birth_year"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_patient_team_id_team"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient")),
        sa.UniqueConstraint(
            "team_id", "local_reference", name=op.f("uq_patient_team_id_local_reference")
        ),
    )
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patient_team_id"), ["team_id"], unique=False)

    op.create_table(
        "manual_measure_value",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("numerator", sa.Float(), nullable=False),
        sa.Column("denominator", sa.Float(), nullable=True),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "denominator IS NULL OR denominator >= 0",
            name=op.f("ck_manual_measure_value_denominator_not_negative"),
        ),
        sa.CheckConstraint(
            "numerator >= 0", name=op.f("ck_manual_measure_value_numerator_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["app_user.id"],
            name=op.f("fk_manual_measure_value_entered_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["manual_measure.id"],
            name=op.f("fk_manual_measure_value_measure_id_manual_measure"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_measure_value")),
        sa.UniqueConstraint(
            "measure_id",
            "period_start",
            name=op.f("uq_manual_measure_value_measure_id_period_start"),
        ),
    )
    with op.batch_alter_table("manual_measure_value", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_manual_measure_value_measure_id"), ["measure_id"], unique=False
        )

    op.create_table(
        "pathway",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_pathway_status")),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= started_on", name=op.f("ck_pathway_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_pathway_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathway")),
    )
    with op.batch_alter_table("pathway", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pathway_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "pathway_event",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pathway_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "kind IN ('hospital_admission', 'hospital_discharge', 'homecare_start', 'home_visit', 'halfyear_review', 'pathway_end')",
            name=op.f("ck_pathway_event_kind_known"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'cancelled')", name=op.f("ck_pathway_event_status")
        ),
        sa.ForeignKeyConstraint(
            ["pathway_id"],
            ["pathway.id"],
            name=op.f("fk_pathway_event_pathway_id_pathway"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["app_user.id"],
            name=op.f("fk_pathway_event_recorded_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathway_event")),
    )
    with op.batch_alter_table("pathway_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pathway_event_pathway_id_occurred_at", ["pathway_id", "occurred_at"], unique=False
        )

    op.create_table(
        "pathway_team",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pathway_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("from_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "until_at IS NULL OR until_at > from_at", name=op.f("ck_pathway_team_until_after_from")
        ),
        sa.ForeignKeyConstraint(
            ["pathway_id"],
            ["pathway.id"],
            name=op.f("fk_pathway_team_pathway_id_pathway"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_pathway_team_team_id_team"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathway_team")),
    )
    with op.batch_alter_table("pathway_team", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pathway_team_pathway_id"), ["pathway_id"], unique=False
        )
        batch_op.create_index(
            "ix_pathway_team_team_id_from_at", ["team_id", "from_at"], unique=False
        )

    op.create_table(
        "checklist_instance",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pathway_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.String(length=64), nullable=False),
        sa.Column("definition_version", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=True),
        sa.Column("occurrence", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("due_week", sa.Date(), nullable=False),
        sa.Column("due_month", sa.Date(), nullable=False),
        sa.Column("performed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.Column("not_applicable_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "status <> 'completed' OR performed_at IS NOT NULL",
            name=op.f("ck_checklist_instance_completed_has_time"),
        ),
        sa.CheckConstraint(
            "status <> 'not_applicable' OR not_applicable_reason IS NOT NULL",
            name=op.f("ck_checklist_instance_not_applicable_has_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('due', 'in_progress', 'completed', 'not_applicable', 'cancelled')",
            name=op.f("ck_checklist_instance_status_known"),
        ),
        sa.CheckConstraint(
            "occurrence >= 0", name=op.f("ck_checklist_instance_occurrence_not_negative")
        ),
        sa.CheckConstraint(
            "window_end >= window_start", name=op.f("ck_checklist_instance_window_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["completed_by_id"],
            ["app_user.id"],
            name=op.f("fk_checklist_instance_completed_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["pathway_event.id"],
            name=op.f("fk_checklist_instance_event_id_pathway_event"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["pathway_id"],
            ["pathway.id"],
            name=op.f("fk_checklist_instance_pathway_id_pathway"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_checklist_instance_team_id_team"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_instance")),
        sa.UniqueConstraint(
            "pathway_id",
            "definition_id",
            "event_id",
            "occurrence",
            name=op.f("uq_checklist_instance_pathway_id_definition_id_event_id_occurrence"),
        ),
    )
    with op.batch_alter_table("checklist_instance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checklist_instance_event_id"), ["event_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_checklist_instance_pathway_id"), ["pathway_id"], unique=False
        )
        batch_op.create_index(
            "ix_checklist_instance_team_id_due_date", ["team_id", "due_date"], unique=False
        )
        batch_op.create_index(
            "ix_checklist_instance_team_id_status", ["team_id", "status"], unique=False
        )

    op.create_table(
        "checklist_answer",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["app_user.id"],
            name=op.f("fk_checklist_answer_answered_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["checklist_instance.id"],
            name=op.f("fk_checklist_answer_instance_id_checklist_instance"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_answer")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_checklist_answer_idempotency_key")),
        sa.UniqueConstraint(
            "instance_id", "item_id", name=op.f("uq_checklist_answer_instance_id_item_id")
        ),
    )
    with op.batch_alter_table("checklist_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checklist_answer_instance_id"), ["instance_id"], unique=False
        )

    op.create_table(
        "what_matters_conversation",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pathway_id", sa.Integer(), nullable=False),
        sa.Column("checklist_instance_id", sa.Integer(), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("patient_words", sa.String(length=4000), nullable=True),
        sa.Column("could_not_answer", sa.Boolean(), nullable=False),
        sa.Column("not_answered_reason", sa.String(length=500), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(could_not_answer AND not_answered_reason IS NOT NULL) OR NOT could_not_answer",
            name=op.f("ck_what_matters_conversation_not_answered_has_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["checklist_instance_id"],
            ["checklist_instance.id"],
            name=op.f("fk_what_matters_conversation_checklist_instance_id_checklist_instance"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["pathway_id"],
            ["pathway.id"],
            name=op.f("fk_what_matters_conversation_pathway_id_pathway"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["app_user.id"],
            name=op.f("fk_what_matters_conversation_recorded_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_what_matters_conversation")),
    )
    with op.batch_alter_table("what_matters_conversation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_what_matters_conversation_pathway_id"), ["pathway_id"], unique=False
        )

    op.create_table(
        "goal",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pathway_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("activity", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("target_rating", sa.Integer(), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("plan", sa.String(length=2000), nullable=True),
        sa.CheckConstraint(
            "status <> 'dropped' OR status_reason IS NOT NULL",
            name=op.f("ck_goal_dropped_has_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'achieved', 'changed', 'dropped')", name=op.f("ck_goal_status")
        ),
        sa.CheckConstraint("position BETWEEN 1 AND 5", name=op.f("ck_goal_position_1_to_5")),
        sa.CheckConstraint(
            "target_rating IS NULL OR target_rating BETWEEN 0 AND 10",
            name=op.f("ck_goal_target_0_to_10"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["what_matters_conversation.id"],
            name=op.f("fk_goal_conversation_id_what_matters_conversation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["pathway_id"],
            ["pathway.id"],
            name=op.f("fk_goal_pathway_id_pathway"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"], ["goal.id"], name=op.f("fk_goal_replaces_id_goal"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal")),
    )
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_pathway_id"), ["pathway_id"], unique=False)

    op.create_table(
        "goal_rating",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("rated_on", sa.Date(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("scale_direction", sa.String(length=20), nullable=False),
        sa.Column("is_baseline", sa.Boolean(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "scale_direction IN ('higher_is_better', 'lower_is_better')",
            name=op.f("ck_goal_rating_scale_direction_known"),
        ),
        sa.CheckConstraint("rating BETWEEN 0 AND 10", name=op.f("ck_goal_rating_rating_0_to_10")),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goal.id"], name=op.f("fk_goal_rating_goal_id_goal"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["app_user.id"],
            name=op.f("fk_goal_rating_recorded_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_rating")),
        sa.UniqueConstraint("goal_id", "rated_on", name=op.f("uq_goal_rating_goal_id_rated_on")),
    )
    with op.batch_alter_table("goal_rating", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_rating_goal_id"), ["goal_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""

    with op.batch_alter_table("goal_rating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_rating_goal_id"))

    op.drop_table("goal_rating")
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_pathway_id"))

    op.drop_table("goal")
    with op.batch_alter_table("what_matters_conversation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_what_matters_conversation_pathway_id"))

    op.drop_table("what_matters_conversation")
    with op.batch_alter_table("checklist_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checklist_answer_instance_id"))

    op.drop_table("checklist_answer")
    with op.batch_alter_table("checklist_instance", schema=None) as batch_op:
        batch_op.drop_index("ix_checklist_instance_team_id_status")
        batch_op.drop_index("ix_checklist_instance_team_id_due_date")
        batch_op.drop_index(batch_op.f("ix_checklist_instance_pathway_id"))
        batch_op.drop_index(batch_op.f("ix_checklist_instance_event_id"))

    op.drop_table("checklist_instance")
    with op.batch_alter_table("pathway_team", schema=None) as batch_op:
        batch_op.drop_index("ix_pathway_team_team_id_from_at")
        batch_op.drop_index(batch_op.f("ix_pathway_team_pathway_id"))

    op.drop_table("pathway_team")
    with op.batch_alter_table("pathway_event", schema=None) as batch_op:
        batch_op.drop_index("ix_pathway_event_pathway_id_occurred_at")

    op.drop_table("pathway_event")
    with op.batch_alter_table("pathway", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pathway_patient_id"))

    op.drop_table("pathway")
    with op.batch_alter_table("manual_measure_value", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manual_measure_value_measure_id"))

    op.drop_table("manual_measure_value")
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_team_id"))

    op.drop_table("patient")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_user_id"))

    op.drop_table("membership")
    with op.batch_alter_table("manual_measure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manual_measure_team_id"))

    op.drop_table("manual_measure")
    with op.batch_alter_table("annotation", schema=None) as batch_op:
        batch_op.drop_index("ix_annotation_team_id_happened_on")

    op.drop_table("annotation")
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_organisation_id"))

    op.drop_table("team")
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_session_user_id"))
        batch_op.drop_index("ix_user_session_expires_at")

    op.drop_table("user_session")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_network_id"))

    op.drop_table("organisation")
    op.drop_table("learning_network")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_user_id_at")
        batch_op.drop_index("ix_audit_entry_patient_id_at")

    op.drop_table("audit_entry")
    op.drop_table("app_user")
