"""SQLAlchemy Core tables of the scenario repository, as the latest migration leaves them.

Declared in the ``simulation`` schema token (see ``database.schema_engine``). PostgreSQL and SQLite
differ in column types (``TEXT[]``/JSONB vs JSON), so there is one ``MetaData`` per dialect.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from envirosense.repository.database import SCHEMA_TOKEN


@dataclass(frozen=True)
class RepositoryTables:
    definitions: sa.Table
    history: sa.Table
    tags: sa.Table | None
    """SQLite only: one row per (tag, definition) for indexed tag lookups (kept by triggers)."""


@cache
def repository_tables(postgres: bool) -> RepositoryTables:
    """The tables, typed for PostgreSQL (``postgres=True``) or SQLite."""
    metadata = sa.MetaData(schema=SCHEMA_TOKEN)
    text_list: sa.types.TypeEngine[Any] = postgresql.ARRAY(sa.Text()) if postgres else sa.JSON()
    document: sa.types.TypeEngine[Any] = postgresql.JSONB() if postgres else sa.JSON()
    extra: list[sa.Column[object]] = [sa.Column("search_vector", postgresql.TSVECTOR())] if postgres else []
    definitions = sa.Table(
        "scenario_definitions",
        metadata,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("scenario_definition_id", sa.Text(), nullable=False, unique=True),
        sa.Column("scenario_class_module", sa.Text(), nullable=False),
        sa.Column("scenario_class_name", sa.Text(), nullable=False),
        sa.Column("class_label", sa.Text(), nullable=False),
        sa.Column("scenario_instance_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("tags", text_list, nullable=False),
        sa.Column("difficulty_level", sa.Text(), nullable=False),
        sa.Column("expected_duration_seconds", sa.Float(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("creation_timestamp_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_created_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("specific_params", document, nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("related_scenario_ids", text_list, nullable=False),
        sa.Column("originating_weak_spot_ids", text_list, nullable=False),
        sa.Column("parent_scenario_id", sa.Text(), nullable=True),
        sa.Column("lineage", document, nullable=True),
        *extra,
    )
    history = sa.Table(
        "scenario_definition_history",
        metadata,
        sa.Column("scenario_definition_id", sa.Text(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("definition", document, nullable=False),
        sa.Column("lineage", document, nullable=True),
        sa.Column("change_kind", sa.Text(), nullable=False),
        sa.Column("recorded_at_utc", sa.DateTime(timezone=True), nullable=False),
    )
    tags = (
        None
        if postgres
        else sa.Table(
            "scenario_definition_tags",
            metadata,
            sa.Column("tag", sa.Text(), primary_key=True),
            sa.Column("definition_pk", sa.Integer(), primary_key=True),
        )
    )
    return RepositoryTables(definitions=definitions, history=history, tags=tags)
