"""Structured logging with structlog: key/value events, context bound once.

Call ``configure_logging`` once at program start (the CLI does); libraries only call ``get_logger``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal

import structlog

LogFormat = Literal["json", "console"]


def configure_logging(level: str = "INFO", fmt: LogFormat = "console") -> None:
    """Route structlog (and stdlib logging) to stderr as JSON lines or human-readable console lines."""
    numeric_level = logging.getLevelName(level.upper())
    if not isinstance(numeric_level, int):
        raise ValueError(f"unknown log level {level!r}")
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=numeric_level, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time of writing (test runners swap and close it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def get_logger(name: str, **context: Any) -> Any:
    """A structlog logger named ``name`` with ``context`` bound to every event.

    The logger is a lazy proxy: it takes its configuration at its first event, so module-level loggers
    created before ``configure_logging`` still honour the configured level and format.
    """
    return structlog.get_logger(name, logger_name=name, **context)
