"""cluster scoring: a cluster's scoring table, its units' scores and its leading-unit ballot

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scoring_criterion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("max_points", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["cluster_id"], ["organisation.id"],
                                name=op.f("fk_scoring_criterion_cluster_id_organisation")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"],
                                name=op.f("fk_scoring_criterion_campaign_id_campaign")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scoring_criterion")),
    )
    op.create_index(op.f("ix_scoring_criterion_cluster_id"), "scoring_criterion", ["cluster_id"])
    op.create_index(op.f("ix_scoring_criterion_campaign_id"), "scoring_criterion",
                    ["campaign_id"])
    op.create_table(
        "unit_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("self_points", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.Column("checked_points", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["criterion_id"], ["scoring_criterion.id"],
                                name=op.f("fk_unit_score_criterion_id_scoring_criterion")),
        sa.ForeignKeyConstraint(["unit_id"], ["organisation.id"],
                                name=op.f("fk_unit_score_unit_id_organisation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_score")),
        sa.UniqueConstraint("criterion_id", "unit_id", name=op.f("uq_unit_score_criterion_id")),
    )
    op.create_index(op.f("ix_unit_score_criterion_id"), "unit_score", ["criterion_id"])
    op.create_index(op.f("ix_unit_score_unit_id"), "unit_score", ["unit_id"])
    op.create_table(
        "cluster_ballot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("ballots_issued", sa.Integer(), nullable=False),
        sa.Column("ballots_returned", sa.Integer(), nullable=True),
        sa.Column("ballots_valid", sa.Integer(), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("result_note", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["cluster_id"], ["organisation.id"],
                                name=op.f("fk_cluster_ballot_cluster_id_organisation")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"],
                                name=op.f("fk_cluster_ballot_campaign_id_campaign")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_cluster_ballot_created_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cluster_ballot")),
    )
    op.create_index(op.f("ix_cluster_ballot_cluster_id"), "cluster_ballot", ["cluster_id"])
    op.create_index(op.f("ix_cluster_ballot_campaign_id"), "cluster_ballot", ["campaign_id"])
    op.create_table(
        "ballot_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("votes_for", sa.Integer(), nullable=False),
        sa.Column("elected", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["ballot_id"], ["cluster_ballot.id"],
                                name=op.f("fk_ballot_count_ballot_id_cluster_ballot")),
        sa.ForeignKeyConstraint(["unit_id"], ["organisation.id"],
                                name=op.f("fk_ballot_count_unit_id_organisation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_count")),
        sa.UniqueConstraint("ballot_id", "unit_id", name=op.f("uq_ballot_count_ballot_id")),
    )
    op.create_index(op.f("ix_ballot_count_ballot_id"), "ballot_count", ["ballot_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ballot_count_ballot_id"), table_name="ballot_count")
    op.drop_table("ballot_count")
    op.drop_index(op.f("ix_cluster_ballot_campaign_id"), table_name="cluster_ballot")
    op.drop_index(op.f("ix_cluster_ballot_cluster_id"), table_name="cluster_ballot")
    op.drop_table("cluster_ballot")
    op.drop_index(op.f("ix_unit_score_unit_id"), table_name="unit_score")
    op.drop_index(op.f("ix_unit_score_criterion_id"), table_name="unit_score")
    op.drop_table("unit_score")
    op.drop_index(op.f("ix_scoring_criterion_campaign_id"), table_name="scoring_criterion")
    op.drop_index(op.f("ix_scoring_criterion_cluster_id"), table_name="scoring_criterion")
    op.drop_table("scoring_criterion")
