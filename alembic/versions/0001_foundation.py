"""Foundation: API keys, audit log, parameter sets, jobs and artifacts, portfolios, idempotency keys.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0001_foundation"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("kommune_number", sa.String(4), nullable=False),
        sa.Column("label", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
    )
    op.create_index("ix_api_keys_key_hash", "api_keys", ["key_hash"], unique=True)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor_key_id", sa.String(32), nullable=True),
        sa.Column("actor_role", sa.String(16), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
    )
    op.create_index("ix_audit_log_actor_key_id", "audit_log", ["actor_key_id"])
    op.create_index("ix_audit_log_entity", "audit_log", ["entity_type", "entity_id"])
    op.create_index("ix_audit_log_entity_type", "audit_log", ["entity_type"])
    op.create_index("ix_audit_log_entity_id", "audit_log", ["entity_id"])

    op.create_table(
        "parameter_sets",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("set_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("kommune_number", sa.String(4), nullable=True),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("loaded_at", TS, nullable=False),
        sa.Column("loaded_by", sa.String(32), nullable=True),
        sa.UniqueConstraint("set_id", "version", name="uq_parameter_sets_id_version"),
    )
    op.create_index("ix_parameter_sets_set_id", "parameter_sets", ["set_id"])

    op.create_table(
        "jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("progress_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("progress_total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("owner_key_id", sa.String(32), nullable=True),
        sa.Column("kommune_number", sa.String(4), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
    )
    op.create_index("ix_jobs_kind", "jobs", ["kind"])
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_index("ix_jobs_kommune_number", "jobs", ["kommune_number"])

    op.create_table(
        "job_artifacts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(32), sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("job_id", "name", name="uq_job_artifacts_job_name"),
    )
    op.create_index("ix_job_artifacts_job_id", "job_artifacts", ["job_id"])

    op.create_table(
        "portfolios",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kommune_number", sa.String(4), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(32), nullable=True),
        sa.Column("loan_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("total_balance", sa.Float, nullable=False, server_default="0"),
        sa.Column("loans", sa.JSON, nullable=False),
        sa.UniqueConstraint("kommune_number", "name", name="uq_portfolios_kommune_name"),
    )
    op.create_index("ix_portfolios_kommune_number", "portfolios", ["kommune_number"])

    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner_key_id", sa.String(32), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response_status", sa.Integer, nullable=False),
        sa.Column("response_body", sa.JSON, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("owner_key_id", "idempotency_key", name="uq_idempotency_owner_key"),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_index("ix_portfolios_kommune_number", table_name="portfolios")
    op.drop_table("portfolios")
    op.drop_index("ix_job_artifacts_job_id", table_name="job_artifacts")
    op.drop_table("job_artifacts")
    for ix in ("ix_jobs_kommune_number", "ix_jobs_status", "ix_jobs_kind"):
        op.drop_index(ix, table_name="jobs")
    op.drop_table("jobs")
    op.drop_index("ix_parameter_sets_set_id", table_name="parameter_sets")
    op.drop_table("parameter_sets")
    for ix in (
        "ix_audit_log_entity_id",
        "ix_audit_log_entity_type",
        "ix_audit_log_entity",
        "ix_audit_log_actor_key_id",
    ):
        op.drop_index(ix, table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_api_keys_key_hash", table_name="api_keys")
    op.drop_table("api_keys")
