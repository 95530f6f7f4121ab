"""Alembic environment: runs on the connection that ``envirosense.repository.migrate`` hands over.

Tables are declared in the ``simulation`` schema; the connection's ``schema_translate_map`` maps it to
the real schema (``None`` on SQLite), and the version table lives in that same schema.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateSchema

from envirosense.repository.database import SCHEMA_TOKEN

config = context.config
connection: Connection = config.attributes["connection"]
schema: str | None = config.attributes.get("schema")

if connection.dialect.name == "postgresql":
    assert schema is not None
    with connection.begin():
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:schema))"), {"schema": schema})
        connection.execute(CreateSchema(schema, if_not_exists=True))
    version_schema: str | None = schema
    translated = connection.execution_options(schema_translate_map={SCHEMA_TOKEN: schema})
else:
    version_schema = None
    translated = connection.execution_options(schema_translate_map={SCHEMA_TOKEN: None})

context.configure(
    connection=translated,
    target_metadata=None,
    version_table_schema=version_schema,
    transactional_ddl=True,
)
with context.begin_transaction():
    if translated.dialect.name == "postgresql":
        translated.execute(text("SELECT pg_advisory_xact_lock(hashtext(:schema))"), {"schema": schema})
    context.run_migrations()
