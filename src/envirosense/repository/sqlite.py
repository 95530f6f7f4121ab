"""``SQLiteScenarioRepository``: the embedded default, a file in the workspace, same behaviour."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from envirosense.repository.database import SQLITE_BEGIN_OPTION, default_database_url
from envirosense.repository.sql import SqlScenarioRepository


class SQLiteScenarioRepository(SqlScenarioRepository):
    """Scenario definitions in a SQLite file (WAL journal).

    Tags are indexed through a side table and name/description through an FTS5 index (porter
    stemming), both kept in step by triggers. Write transactions begin with ``BEGIN IMMEDIATE``, so
    read-modify-write updates from several processes serialise instead of overwriting each other.
    ``database`` is a ``sqlite:///`` URL, a file path, or an engine; default: the workspace file.
    """

    dialect = "sqlite"

    def __init__(self, database: str | Path | sa.Engine | None = None, **options: Any) -> None:
        super().__init__(database if database is not None else default_database_url(), **options)

    @staticmethod
    def _database_url(database: str | Path) -> str:
        text = str(database)
        return text if text.startswith("sqlite:") else f"sqlite:///{Path(text).resolve()}"

    def _prepare_write(self, connection: Connection) -> None:
        connection.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})

    def _tags_condition(self, tags: Sequence[str], match_all: bool) -> sa.ColumnElement[bool]:
        tag_table = self._tables.tags
        assert tag_table is not None
        definitions = self._tables.definitions
        if not match_all:
            return definitions.c.id.in_(sa.select(tag_table.c.definition_pk).where(tag_table.c.tag.in_(list(tags))))
        return sa.and_(
            *(
                definitions.c.id.in_(sa.select(tag_table.c.definition_pk).where(tag_table.c.tag == tag))
                for tag in dict.fromkeys(tags)
            )
        )

    def _params_condition(self, params: Mapping[str, Any]) -> sa.ColumnElement[bool]:
        column = self._tables.definitions.c.specific_params
        conditions = []
        for path, value in params.items():
            extracted = sa.func.json_extract(column, "$." + path)
            conditions.append(extracted == (int(value) if isinstance(value, bool) else value))
        return sa.and_(*conditions)

    def _text_search(self, query: sa.Select[Any], text: str) -> sa.Select[Any]:
        words = re.findall(r"\w+", text)
        definitions = self._tables.definitions
        if not words:
            return query.where(sa.false())
        match = " ".join('"' + word.replace('"', '""') + '"' for word in words)
        matches = (
            sa.text(
                "SELECT rowid AS pk, bm25(scenario_definitions_fts) AS rank FROM scenario_definitions_fts "
                "WHERE scenario_definitions_fts MATCH :fts_query"
            )
            .bindparams(fts_query=match)
            .columns(sa.column("pk", sa.Integer()), sa.column("rank", sa.Float()))
            .subquery("fts_matches")
        )
        return query.join(matches, matches.c.pk == definitions.c.id).order_by(matches.c.rank, definitions.c.id)
