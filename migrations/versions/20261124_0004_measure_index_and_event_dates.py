"""Measure index and event dates: a covering index for the measures, events carry their local
date and team, instances know when their event was cancelled

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 06:57:08.733327
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _backfill_event_dates() -> None:
    """Local date of every event (computed with zoneinfo, as the application does) and the
    patient's team as the team responsible then."""
    bind = op.get_bind()
    zone = ZoneInfo("Europe/Oslo")
    rows = bind.execute(sa.text("SELECT id, occurred_at FROM pathway_event")).all()
    updates = []
    for event_id, occurred_at in rows:
        moment = (
            datetime.fromisoformat(occurred_at) if isinstance(occurred_at, str) else occurred_at
        )
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        updates.append({"id": event_id, "day": moment.astimezone(zone).date()})
    if updates:
        bind.execute(sa.text("UPDATE pathway_event SET occurred_on = :day WHERE id = :id"), updates)
    bind.execute(
        sa.text(
            "UPDATE pathway_event SET team_id = (SELECT patient.team_id FROM pathway"
            " JOIN patient ON patient.id = pathway.patient_id"
            " WHERE pathway.id = pathway_event.pathway_id)"
        )
    )
    bind.execute(
        sa.text(
            "UPDATE checklist_instance SET event_cancelled = :yes WHERE event_id IN"
            " (SELECT id FROM pathway_event WHERE status = 'cancelled')"
        ),
        {"yes": True},
    )


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("checklist_instance", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("event_cancelled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("pathway_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("occurred_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
    _backfill_event_dates()
    with op.batch_alter_table("checklist_instance", schema=None) as batch_op:
        batch_op.alter_column("event_cancelled", server_default=None)
        batch_op.create_index(
            "ix_checklist_instance_measure",
            [
                "definition_id",
                "due_date",
                "team_id",
                "status",
                "event_cancelled",
                "window_end",
                "performed_at",
                "recorded_at",
            ],
            unique=False,
        )
    with op.batch_alter_table("pathway_event", schema=None) as batch_op:
        batch_op.alter_column("occurred_on", existing_type=sa.Date(), nullable=False)
        batch_op.alter_column("team_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(
            "ix_pathway_event_kind_occurred_on",
            ["kind", "occurred_on", "team_id", "status"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_pathway_event_team_id_team"),
            "team",
            ["team_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("pathway_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_pathway_event_team_id_team"), type_="foreignkey")
        batch_op.drop_index("ix_pathway_event_kind_occurred_on")
        batch_op.drop_column("team_id")
        batch_op.drop_column("occurred_on")
    with op.batch_alter_table("checklist_instance", schema=None) as batch_op:
        batch_op.drop_index("ix_checklist_instance_measure")
        batch_op.drop_column("event_cancelled")
