"""Cases, their calculations and decisions; the audit log becomes append-only (triggers).

Revision ID: 0002_cases
Revises: 0001_foundation
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002_cases"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)

PG_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kommune_number", sa.String(4), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("reference", sa.String(64), nullable=True),
        sa.Column("application", sa.JSON, nullable=False),
        sa.Column("national_id", sa.String(11), nullable=True),
        sa.Column("created_by", sa.String(32), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("appeal_received_at", TS, nullable=True),
        sa.Column("appeal_reason", sa.Text, nullable=True),
        sa.Column("paid_out_at", TS, nullable=True),
        sa.Column("paid_out_amount", sa.Float, nullable=True),
        sa.Column("expired_at", TS, nullable=True),
    )
    op.create_index("ix_cases_status", "cases", ["status"])
    op.create_index("ix_cases_kommune_created", "cases", ["kommune_number", "created_at", "id"])

    op.create_table(
        "case_calculations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("parameter_set_id", sa.String(64), nullable=False),
        sa.Column("parameter_set_version", sa.Integer, nullable=False),
        sa.Column("serviceable", sa.Boolean, nullable=True),
        sa.Column("max_loan", sa.Float, nullable=True),
        sa.Column("created_by", sa.String(32), nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_case_calculations_case_id", "case_calculations", ["case_id"])

    op.create_table(
        "case_decisions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("loan_amount", sa.Float, nullable=False),
        sa.Column("grant_amount", sa.Float, nullable=False),
        sa.Column("terms", sa.JSON, nullable=False),
        sa.Column("conditions", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("against_advice", sa.Boolean, nullable=False),
        sa.Column("fraradning", sa.Text, nullable=True),
        sa.Column("calculation_id", sa.String(32), sa.ForeignKey("case_calculations.id"), nullable=True),
        sa.Column("valid_until", sa.Date, nullable=True),
        sa.Column("appeal_deadline", sa.Date, nullable=False),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("decided_at", TS, nullable=False),
        sa.UniqueConstraint("case_id", "sequence", name="uq_case_decisions_case_sequence"),
    )
    op.create_index("ix_case_decisions_case_id", "case_decisions", ["case_id"])

    # The audit log is append-only: the database itself refuses to change or remove an entry.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_APPEND_ONLY)
        op.execute(
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        for op_name in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{op_name.lower()} BEFORE {op_name} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {op_name} is not allowed'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    op.drop_index("ix_case_decisions_case_id", table_name="case_decisions")
    op.drop_table("case_decisions")
    op.drop_index("ix_case_calculations_case_id", table_name="case_calculations")
    op.drop_table("case_calculations")
    op.drop_index("ix_cases_kommune_created", table_name="cases")
    op.drop_index("ix_cases_status", table_name="cases")
    op.drop_table("cases")
