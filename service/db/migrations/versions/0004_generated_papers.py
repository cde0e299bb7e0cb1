"""generated papers: template versions, the job table (outbox), PDF renditions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["user_account.id"],
            name=op.f("fk_document_template_published_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_template")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_document_template_name")),
    )
    op.create_index(op.f("ix_document_template_name"), "document_template", ["name"])
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(), nullable=False),
        sa.Column("locked_by", sa.String(length=100), nullable=True),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_job_dedupe_key")),
    )
    op.create_index("ix_job_ready", "job", ["state", "run_after"])
    op.create_index(op.f("ix_job_dossier_id"), "job", ["dossier_id"])
    with op.batch_alter_table("dossier") as batch:
        batch.add_column(sa.Column("template_versions", sa.Text(), nullable=True))
    with op.batch_alter_table("award_type") as batch:
        batch.add_column(sa.Column("subject_multipliers", sa.Text(), nullable=True))
    # The catalogue's awards that reward an individual or a household differently.
    award_type = sa.table("award_type", sa.column("code", sa.String),
                          sa.column("subject_multipliers", sa.Text))
    for code, value in (("BK_CT_UBND", '{"household": "1.5", "individual": "1.0"}'),
                        ("GIAY_KHEN", '{"household": "0.45", "individual": "0.3"}')):
        op.execute(award_type.update().where(award_type.c.code == code)
                   .values(subject_multipliers=value))
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("number", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("template", sa.String(length=80), nullable=True))
    with op.batch_alter_table("document_version") as batch:
        batch.add_column(sa.Column("pdf_object_key", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("pdf_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("pdf_size", sa.BigInteger(), nullable=True))
        batch.create_unique_constraint(
            op.f("uq_document_version_pdf_object_key"), ["pdf_object_key"])


def downgrade() -> None:
    with op.batch_alter_table("document_version") as batch:
        batch.drop_constraint(op.f("uq_document_version_pdf_object_key"), type_="unique")
        batch.drop_column("pdf_size")
        batch.drop_column("pdf_sha256")
        batch.drop_column("pdf_object_key")
    with op.batch_alter_table("document") as batch:
        batch.drop_column("template")
        batch.drop_column("number")
    with op.batch_alter_table("award_type") as batch:
        batch.drop_column("subject_multipliers")
    with op.batch_alter_table("dossier") as batch:
        batch.drop_column("template_versions")
    op.drop_index(op.f("ix_job_dossier_id"), table_name="job")
    op.drop_index("ix_job_ready", table_name="job")
    op.drop_table("job")
    op.drop_index(op.f("ix_document_template_name"), table_name="document_template")
    op.drop_table("document_template")
