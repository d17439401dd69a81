"""PostgreSQL roles: the migrations run as the schema owner, the service as a role that may only add to and read
the audit log (docs/database-roles.md).

The append-only triggers on ``audit_log`` bind everyone but the table's owner, who could disable them
(``ALTER TABLE … DISABLE TRIGGER``). The service therefore must not own the schema: it gets DML on the working
tables, only INSERT and SELECT on ``audit_log`` and only SELECT on ``alembic_version``; it owns nothing, so it
cannot ALTER, DISABLE TRIGGER or TRUNCATE anything.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Engine

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
APPEND_ONLY_TABLES = ("audit_log",)
READ_ONLY_TABLES = ("alembic_version",)


class RoleError(Exception):
    pass


def grant_statements(role: str, database: str, schema: str, tables: list[str]) -> list[str]:
    """The SQL that gives ``role`` what the service needs (idempotent; revokes what it must not have)."""
    if not ROLE_NAME.fullmatch(role):
        raise RoleError(f"role name {role!r}: lower-case letters, digits and _ only (rule role-name-format)")
    r, s = f'"{role}"', f'"{schema}"'
    out = [f'GRANT CONNECT ON DATABASE "{database}" TO {r}', f"GRANT USAGE ON SCHEMA {s} TO {r}"]
    for table in sorted(tables):
        t = f'{s}."{table}"'
        out.append(f"REVOKE ALL ON TABLE {t} FROM {r}")
        if table in APPEND_ONLY_TABLES:
            out.append(f"GRANT SELECT, INSERT ON TABLE {t} TO {r}")
        elif table in READ_ONLY_TABLES:
            out.append(f"GRANT SELECT ON TABLE {t} TO {r}")
        else:
            out.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {t} TO {r}")
    out.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}")
    return out


def grant_service_role(engine: Engine, role: str) -> list[str]:
    """Apply :func:`grant_statements` on ``engine`` (connected as the owner); the statements run."""
    if engine.dialect.name != "postgresql":
        raise RoleError("database roles exist only on PostgreSQL; the embedded SQLite has no roles to grant")
    if not ROLE_NAME.fullmatch(role):
        raise RoleError(f"role name {role!r}: lower-case letters, digits and _ only (rule role-name-format)")
    with engine.begin() as conn:
        if conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is None:
            raise RoleError(f"no role {role}: create it first (CREATE ROLE {role} LOGIN PASSWORD '…')")
        database, schema = conn.execute(sa.text("SELECT current_database(), current_schema()")).one()
        rows = conn.execute(
            sa.text("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = :s"), {"s": schema}
        ).all()
        owned = sorted(t for t, owner in rows if owner == role)
        if owned:
            raise RoleError(
                f"the role {role} owns {', '.join(owned)}: the service role must not own the schema "
                "(run the migrations as another role, see docs/database-roles.md)"
            )
        superuser = conn.execute(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
        if superuser:
            raise RoleError(f"the role {role} is a superuser: it can do anything, grants cannot restrict it")
        statements = grant_statements(role, database, schema, [t for t, _ in rows])
        for sql in statements:
            conn.exec_driver_sql(sql)
    return statements
