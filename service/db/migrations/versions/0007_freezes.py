"""freezes: people and collectives that may not be proposed for now

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 14:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "freeze",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("folded_name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["organisation.id"],
                                name=op.f("fk_freeze_unit_id_organisation")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_freeze_created_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_freeze")),
    )
    op.create_index(op.f("ix_freeze_unit_id"), "freeze", ["unit_id"])
    op.create_index(op.f("ix_freeze_folded_name"), "freeze", ["folded_name"])


def downgrade() -> None:
    op.drop_index(op.f("ix_freeze_folded_name"), table_name="freeze")
    op.drop_index(op.f("ix_freeze_unit_id"), table_name="freeze")
    op.drop_table("freeze")
