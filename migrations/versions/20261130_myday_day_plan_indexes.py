"""My day stays fast for any team: a covering index for the day's open checklists, and
indexes that tell a nurse's own pathways (events she recorded, checklists she completed)

Revision ID: 0007_myday
Revises: 0006_admin
Create Date: 2026-11-30 06:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_myday"
down_revision: str | None = "0006_admin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("checklist_instance", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checklist_instance_my_day",
            ["team_id", "status", "due_date", "window_start", "window_end", "pathway_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_checklist_instance_completed_by_id_pathway_id",
            ["completed_by_id", "pathway_id"],
            unique=False,
        )
    with op.batch_alter_table("pathway_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pathway_event_recorded_by_id_pathway_id",
            ["recorded_by_id", "pathway_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("pathway_event", schema=None) as batch_op:
        batch_op.drop_index("ix_pathway_event_recorded_by_id_pathway_id")
    with op.batch_alter_table("checklist_instance", schema=None) as batch_op:
        batch_op.drop_index("ix_checklist_instance_completed_by_id_pathway_id")
        batch_op.drop_index("ix_checklist_instance_my_day")
