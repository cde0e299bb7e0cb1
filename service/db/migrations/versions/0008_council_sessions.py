"""council sessions: the provincial Council's quorum and ballots on proposal lines

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "council_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("members_total", sa.Integer(), nullable=False),
        sa.Column("present", sa.Integer(), nullable=False),
        sa.Column("absent_with_opinion", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("minutes_note", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"],
                                name=op.f("fk_council_session_campaign_id_campaign")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_council_session_created_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_session")),
    )
    op.create_index(op.f("ix_council_session_campaign_id"), "council_session", ["campaign_id"])
    op.create_table(
        "council_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("votes_for", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Numeric(precision=4, scale=2), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["council_session.id"],
                                name=op.f("fk_council_vote_session_id_council_session")),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"],
                                name=op.f("fk_council_vote_proposal_id_proposal")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_vote")),
        sa.UniqueConstraint("session_id", "proposal_id", name=op.f("uq_council_vote_session_id")),
    )
    op.create_index(op.f("ix_council_vote_session_id"), "council_vote", ["session_id"])
    op.create_index(op.f("ix_council_vote_proposal_id"), "council_vote", ["proposal_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_council_vote_proposal_id"), table_name="council_vote")
    op.drop_index(op.f("ix_council_vote_session_id"), table_name="council_vote")
    op.drop_table("council_vote")
    op.drop_index(op.f("ix_council_session_campaign_id"), table_name="council_session")
    op.drop_table("council_session")
