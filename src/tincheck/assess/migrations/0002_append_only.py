"""Append-only tables: database triggers refuse UPDATE and DELETE on the audit trail and
on the interview tables (interviews, ratings), on SQLite and PostgreSQL alike, and
TRUNCATE on PostgreSQL. A correction is a new interview row; nothing is ever changed in
place, whatever code or SQL client touches the database."""

from django.db import migrations

TABLES = ("assess_event", "assess_interview", "assess_rating")


def sqlite_sql(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN "
        f"SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN "
        f"SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END",
    ]


POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION tincheck_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def postgres_sql(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION tincheck_append_only()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION tincheck_append_only()",
    ]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = [s for t in TABLES for s in sqlite_sql(t)]
    elif vendor == "postgresql":
        statements = [POSTGRES_FUNCTION] + [s for t in TABLES for s in postgres_sql(t)]
    else:
        raise RuntimeError(f"tincheck assess runs on SQLite or PostgreSQL, not {vendor}")
    for statement in statements:
        schema_editor.execute(statement, params=None)  # no placeholders: % is literal


class Migration(migrations.Migration):
    dependencies = [("assess", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
