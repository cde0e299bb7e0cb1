"""process model drafts: the modeler's one unpublished draft per model

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "process_model_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("xml", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["process_model.id"],
            name=op.f("fk_process_model_draft_model_id_process_model"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_process_model_draft_updated_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_model_draft")),
        sa.UniqueConstraint("model_id", name=op.f("uq_process_model_draft_model_id")),
    )


def downgrade() -> None:
    op.drop_table("process_model_draft")
