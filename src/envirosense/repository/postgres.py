"""``PostgresScenarioRepository``: the production store (schema ``simulation``, psycopg 3, pooled)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from envirosense.repository.sql import SqlScenarioRepository, nested_params


class PostgresScenarioRepository(SqlScenarioRepository):
    """Scenario definitions in PostgreSQL.

    JSONB parameters (GIN ``jsonb_path_ops``, queried with ``@>``), ``TEXT[]`` tags (GIN, ``@>``/``&&``),
    a generated ``tsvector`` over name and description (GIN, ``plainto_tsquery('english', …)``, ranked
    by ``ts_rank``), B-tree indexes on category, class label and class name. Write transactions lock the
    row they change (``SELECT … FOR UPDATE``). ``database`` is a ``postgresql://`` URL or an engine.
    """

    dialect = "postgresql"

    def _tags_condition(self, tags: Sequence[str], match_all: bool) -> sa.ColumnElement[bool]:
        column = self._tables.definitions.c.tags
        wanted = sa.cast(sa.literal(list(tags), postgresql.ARRAY(sa.Text())), postgresql.ARRAY(sa.Text()))
        return column.contains(wanted) if match_all else column.overlap(wanted)

    def _params_condition(self, params: Mapping[str, Any]) -> sa.ColumnElement[bool]:
        document = sa.cast(sa.literal(nested_params(params), postgresql.JSONB()), postgresql.JSONB())
        return self._tables.definitions.c.specific_params.contains(document)

    def _text_search(self, query: sa.Select[Any], text: str) -> sa.Select[Any]:
        definitions = self._tables.definitions
        tsquery = sa.func.plainto_tsquery(sa.literal_column("'english'::regconfig"), text)
        return query.where(definitions.c.search_vector.op("@@")(tsquery)).order_by(
            sa.func.ts_rank(definitions.c.search_vector, tsquery).desc(), definitions.c.id
        )
