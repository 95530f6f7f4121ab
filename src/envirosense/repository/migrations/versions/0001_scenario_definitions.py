"""Scenario definitions and their version history.

Revision ID: 0001_scenario_definitions
Revises:
Create Date: 2026-11-27

PostgreSQL: JSONB parameters (GIN, jsonb_path_ops), TEXT[] tags (GIN), a generated tsvector over name
and description (GIN), B-tree indexes on category, class label and class name. SQLite: JSON columns, a
tag side table and an FTS5 index, both kept in step with the main table by triggers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001_scenario_definitions"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "simulation"
"""Translated to the real schema (or none on SQLite) by the connection's schema_translate_map."""


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    text_list = postgresql.ARRAY(sa.Text()) if postgres else sa.JSON()
    document = postgresql.JSONB() if postgres else sa.JSON()
    empty_list = sa.text("'{}'::text[]") if postgres else sa.text("'[]'")
    extra_columns: list[sa.Column[object]] = []
    if postgres:
        extra_columns.append(
            sa.Column(
                "search_vector",
                postgresql.TSVECTOR(),
                sa.Computed("to_tsvector('english'::regconfig, name || ' ' || description)", persisted=True),
            )
        )
    op.create_table(
        "scenario_definitions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("scenario_definition_id", sa.Text(), nullable=False),
        sa.Column("scenario_class_module", sa.Text(), nullable=False),
        sa.Column("scenario_class_name", sa.Text(), nullable=False),
        sa.Column("class_label", sa.Text(), nullable=False),
        sa.Column("scenario_instance_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("tags", text_list, nullable=False, server_default=empty_list),
        sa.Column("difficulty_level", sa.Text(), nullable=False),
        sa.Column("expected_duration_seconds", sa.Float(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("creation_timestamp_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_created_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("specific_params", document, nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("related_scenario_ids", text_list, nullable=False, server_default=empty_list),
        sa.Column("originating_weak_spot_ids", text_list, nullable=False, server_default=empty_list),
        sa.Column("parent_scenario_id", sa.Text(), nullable=True),
        sa.Column("lineage", document, nullable=True),
        *extra_columns,
        sa.UniqueConstraint("scenario_definition_id", name="uq_scenario_definitions_definition_id"),
        sa.CheckConstraint("version >= 1", name="ck_scenario_definitions_version_positive"),
        schema=SCHEMA,
    )
    op.create_index("ix_scenario_definitions_category", "scenario_definitions", ["category", "id"], schema=SCHEMA)
    op.create_index("ix_scenario_definitions_class_label", "scenario_definitions", ["class_label", "id"], schema=SCHEMA)
    op.create_index(
        "ix_scenario_definitions_class_name", "scenario_definitions", ["scenario_class_name", "id"], schema=SCHEMA
    )
    op.create_index("ix_scenario_definitions_parent", "scenario_definitions", ["parent_scenario_id"], schema=SCHEMA)
    op.create_table(
        "scenario_definition_history",
        sa.Column("scenario_definition_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", document, nullable=False),
        sa.Column("lineage", document, nullable=True),
        sa.Column("change_kind", sa.Text(), nullable=False),
        sa.Column("recorded_at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scenario_definition_id", "version", name="pk_scenario_definition_history"),
        sa.ForeignKeyConstraint(
            ["scenario_definition_id"],
            [f"{SCHEMA}.scenario_definitions.scenario_definition_id"],
            name="fk_scenario_definition_history_definition",
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    if postgres:
        op.create_index(
            "ix_scenario_definitions_tags", "scenario_definitions", ["tags"], postgresql_using="gin", schema=SCHEMA
        )
        op.create_index(
            "ix_scenario_definitions_params",
            "scenario_definitions",
            ["specific_params"],
            postgresql_using="gin",
            postgresql_ops={"specific_params": "jsonb_path_ops"},
            schema=SCHEMA,
        )
        op.create_index(
            "ix_scenario_definitions_search",
            "scenario_definitions",
            ["search_vector"],
            postgresql_using="gin",
            schema=SCHEMA,
        )
    else:
        _sqlite_tag_table_and_fts()


def _sqlite_tag_table_and_fts() -> None:
    op.execute(
        "CREATE TABLE scenario_definition_tags ("
        " tag TEXT NOT NULL,"
        " definition_pk INTEGER NOT NULL REFERENCES scenario_definitions(id) ON DELETE CASCADE,"
        " PRIMARY KEY (tag, definition_pk)) WITHOUT ROWID"
    )
    op.execute("CREATE INDEX ix_scenario_definition_tags_definition ON scenario_definition_tags (definition_pk)")
    op.execute(
        "CREATE VIRTUAL TABLE scenario_definitions_fts USING fts5("
        " name, description, content='scenario_definitions', content_rowid='id',"
        " tokenize='porter unicode61')"
    )
    op.execute(
        "CREATE TRIGGER scenario_definitions_ai AFTER INSERT ON scenario_definitions BEGIN"
        " INSERT INTO scenario_definition_tags (tag, definition_pk)"
        "  SELECT DISTINCT value, new.id FROM json_each(new.tags);"
        " INSERT INTO scenario_definitions_fts (rowid, name, description)"
        "  VALUES (new.id, new.name, new.description);"
        " END"
    )
    op.execute(
        "CREATE TRIGGER scenario_definitions_ad AFTER DELETE ON scenario_definitions BEGIN"
        " INSERT INTO scenario_definitions_fts (scenario_definitions_fts, rowid, name, description)"
        "  VALUES ('delete', old.id, old.name, old.description);"
        " END"
    )
    op.execute(
        "CREATE TRIGGER scenario_definitions_au AFTER UPDATE ON scenario_definitions BEGIN"
        " DELETE FROM scenario_definition_tags WHERE definition_pk = old.id;"
        " INSERT INTO scenario_definition_tags (tag, definition_pk)"
        "  SELECT DISTINCT value, new.id FROM json_each(new.tags);"
        " INSERT INTO scenario_definitions_fts (scenario_definitions_fts, rowid, name, description)"
        "  VALUES ('delete', old.id, old.name, old.description);"
        " INSERT INTO scenario_definitions_fts (rowid, name, description)"
        "  VALUES (new.id, new.name, new.description);"
        " END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for trigger in ("scenario_definitions_ai", "scenario_definitions_ad", "scenario_definitions_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS scenario_definitions_fts")
        op.execute("DROP TABLE IF EXISTS scenario_definition_tags")
    op.drop_table("scenario_definition_history", schema=SCHEMA)
    op.drop_table("scenario_definitions", schema=SCHEMA)
