"""audit checkpoints (signed, append-only), the folded search text of events, exports

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 13:30:00.000000
"""

from __future__ import annotations

import json
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("event_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )
    op.create_index(op.f("ix_audit_checkpoint_event_id"), "audit_checkpoint", ["event_id"])
    op.create_table(
        "audit_search",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_audit_search")),
    )
    op.create_table(
        "audit_export",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("filter", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("events_done", sa.Integer(), nullable=False),
        sa.Column("events_total", sa.Integer(), nullable=True),
        sa.Column("object_key", sa.String(length=300), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user_account.id"],
                                name=op.f("fk_audit_export_requested_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_export")),
    )
    op.create_index(op.f("ix_audit_export_requested_by_id"), "audit_export",
                    ["requested_by_id"])
    _append_only("audit_checkpoint")
    _backfill_search()


def _append_only(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")


def _fold(text: str) -> str:
    # The same folding as service/domain/text.py at the time of this migration.
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c))
                    .casefold().split())


def _backfill_search() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, actor, organisation, action, target_id, step, decision, comment, details, "
        "documents FROM audit_event ORDER BY id")).all()
    search = sa.table("audit_search", sa.column("event_id", sa.Integer),
                      sa.column("text", sa.Text))
    batch = []
    for row in rows:
        parts = [str(v) for v in row[1:8] if v]
        for blob in (row.details, row.documents):
            try:
                parts.extend(_strings(json.loads(blob or "null")))
            except ValueError:
                parts.append(blob or "")
        batch.append({"event_id": row.id, "text": _fold(" ".join(parts))})
        if len(batch) >= 1000:
            op.bulk_insert(search, batch)
            batch = []
    if batch:
        op.bulk_insert(search, batch)


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [str(value)] if value is not None else []


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoint_no_change ON audit_checkpoint")
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoint_no_truncate ON audit_checkpoint")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoint_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoint_no_delete")
    op.drop_index(op.f("ix_audit_export_requested_by_id"), table_name="audit_export")
    op.drop_table("audit_export")
    op.drop_table("audit_search")
    op.drop_index(op.f("ix_audit_checkpoint_event_id"), table_name="audit_checkpoint")
    op.drop_table("audit_checkpoint")
