"""Structured logging with structlog: key/value events, context bound once.

Call ``configure_logging`` once at program start (the CLI does); libraries only call ``get_logger``.
Until logging is configured (by ``configure_logging`` or by the application's own ``structlog.configure``),
EnviroSense writes nothing itself: its events go to the standard-library logger of the same name (under
``envirosense``, which has a ``NullHandler``), so an application that configures only ``logging`` sees
them and one that configures nothing sees nothing.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Literal

import structlog

LogFormat = Literal["json", "console"]

THIRD_PARTY_LOGGERS = ("mlflow", "alembic", "distributed", "huey", "urllib3", "httpx")
"""Loggers of libraries that configure their own handlers at import; ``configure_logging`` sets their level."""

logging.getLogger("envirosense").addHandler(logging.NullHandler())

_configured: tuple[str, LogFormat] | None = None


def configure_logging(level: str = "INFO", fmt: LogFormat = "console") -> None:
    """Route structlog (and stdlib logging) to stderr as JSON lines or human-readable console lines.

    ``level`` also applies to the libraries in ``THIRD_PARTY_LOGGERS``, including those imported later:
    MLflow and Dask read their level from ``MLFLOW_LOGGING_LEVEL`` and ``DASK_LOGGING__DISTRIBUTED``
    at import, which this sets.
    """
    global _configured
    numeric_level = logging.getLevelName(level.upper())
    if not isinstance(numeric_level, int):
        raise ValueError(f"unknown log level {level!r}: use DEBUG, INFO, WARNING or ERROR")
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
    name = logging.getLevelName(numeric_level)
    os.environ["MLFLOW_LOGGING_LEVEL"] = name
    os.environ["DASK_LOGGING__DISTRIBUTED"] = name.lower()
    for library in THIRD_PARTY_LOGGERS:
        logging.getLogger(library).setLevel(numeric_level)
    _configured = (name, fmt)


def logging_settings() -> tuple[str, LogFormat] | None:
    """The ``(level, format)`` of the last ``configure_logging`` call, or ``None`` when it was never called
    (what a worker process needs to log like its parent)."""
    return _configured


def inherit_logging(settings: tuple[str, LogFormat] | None) -> None:
    """``configure_logging(*settings)``, or nothing for ``None``: a process-pool initializer."""
    if settings is not None:
        configure_logging(*settings)


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time of writing (test runners swap and close it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_METHODS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "msg": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "exception": logging.ERROR,
    "critical": logging.CRITICAL,
}


class LibraryLogger:
    """A logger for library code: structlog's once structlog is configured, else the standard-library
    logger ``name`` (see the module docstring). Supports the log methods and ``bind``."""

    def __init__(self, name: str, context: dict[str, Any]) -> None:
        self._name = name
        self._context = context

    def bind(self, **context: Any) -> LibraryLogger:
        return LibraryLogger(self._name, {**self._context, **context})

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)
        if structlog.is_configured():
            return getattr(structlog.get_logger(self._name, logger_name=self._name, **self._context), method)
        level = _METHODS.get(method)
        if level is None:
            raise AttributeError(method)
        stdlib = logging.getLogger(self._name)

        def log(event: str, *args: Any, **fields: Any) -> None:
            if stdlib.isEnabledFor(level):
                pairs = " ".join(f"{key}={value!r}" for key, value in {**self._context, **fields}.items())
                stdlib.log(level, "%s %s", event, pairs, exc_info=method == "exception")

        return log


def get_logger(name: str, **context: Any) -> Any:
    """A logger named ``name`` with ``context`` bound to every event.

    The logger is a lazy proxy: it takes its configuration at each event, so module-level loggers created
    before ``configure_logging`` still honour the configured level and format.
    """
    return LibraryLogger(name, context)
