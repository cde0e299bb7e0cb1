"""number registers: official document numbers per issuing body and year

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 12:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "number_register",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("display_code", sa.String(length=60), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_number_register_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_number_register")),
        sa.UniqueConstraint(
            "organisation_id", "year", "code", name=op.f("uq_number_register_organisation_id")
        ),
    )
    op.create_table(
        "issued_number",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=300), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["number_register.id"],
            name=op.f("fk_issued_number_register_id_number_register"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_number")),
        sa.UniqueConstraint("register_id", "number", name=op.f("uq_issued_number_register_id")),
    )


def downgrade() -> None:
    op.drop_table("issued_number")
    op.drop_table("number_register")
