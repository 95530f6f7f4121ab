"""How the command line reports a user's mistake: one short ``error:`` message and a non-zero exit.

Commands raise the library's typed errors; ``ErrorReportingGroup`` (the root command) turns the ones that
describe a mistake in the input or the environment (a bad config, an unknown run, a corrupt file, an
unreachable database) into a message naming the problem and the fix. Anything else is a bug and keeps its
traceback, as does every error with ``envirosense --debug``.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterable
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from envirosense.cli.output import ReadableGroup

USAGE_EXIT = 2
"""Exit status of a mistake in the command's input (options, config); other refusals exit with 1."""


class CommandError(Exception):
    """A refusal the command explains itself: ``message`` is printed after ``error:``, then exit ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def fail(message: str, code: int = 1) -> NoReturn:
    """End the command with ``error: message`` on stderr and exit status ``code``."""
    raise CommandError(message, code)


def print_error(message: str) -> None:
    """``error: message`` on stderr (the message is shown verbatim, never read as markup)."""
    Console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the choice ``word`` begins, else the closest of ``choices``, else ``""``."""
    options = list(choices)
    close = [choice for choice in options if choice.startswith(word)] or difflib.get_close_matches(
        word, options, n=1, cutoff=0.6
    )
    return f" (did you mean {close[0]!r}?)" if close else ""


def _loaded(module: str, *names: str) -> tuple[type[BaseException], ...]:
    """The named exception classes of ``module`` if it is imported (an error of a module never imported
    cannot have been raised, and importing it here would slow every command down)."""
    loaded = sys.modules.get(module)
    return tuple(getattr(loaded, name) for name in names) if loaded is not None else ()


def describe(exc: BaseException) -> tuple[str, int] | None:
    """The message and exit status for an error a user can fix, or ``None`` for a bug."""
    if isinstance(exc, CommandError):
        return exc.message, exc.code
    if isinstance(exc, _loaded("envirosense.learning.settings", "ConfigError")):
        return str(exc), USAGE_EXIT
    if isinstance(exc, _loaded("envirosense.learning.store", "UnknownRunError")):
        return f"{exc}; `envirosense runs` lists the runs of the workspace", 1
    if isinstance(exc, _loaded("envirosense.simulation.registry", "UnknownScenarioClassError")):
        return str(exc).strip("'\""), USAGE_EXIT
    corrupt = _loaded("envirosense.generation.errors", "CorruptPackageError", "IncompleteDatasetError")
    if isinstance(exc, corrupt):
        return f"{exc}\n  check the dataset with `envirosense dataset verify PATH`; regenerate what is corrupt", 1
    if isinstance(exc, _loaded("envirosense.generation.errors", "GenerationError")):
        return str(exc), 1
    unavailable = _loaded("envirosense.repository.errors", "RepositoryUnavailableError")
    if isinstance(exc, unavailable):
        return f"{exc}\n  is the database server running? `envirosense db current` tests the connection", 1
    if isinstance(exc, _loaded("envirosense.repository.errors", "RepositoryError")):
        return str(exc), 1
    if isinstance(exc, _loaded("sqlalchemy.exc", "OperationalError", "InterfaceError")):
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return (
            f"cannot reach the database: {reason}\n"
            "  is the server running and database_url right? `envirosense db current` tests the connection",
            1,
        )
    if isinstance(exc, _loaded("envirosense.models.registry", "ModelRegistryError")):
        return str(exc), 1
    if isinstance(exc, _loaded("envirosense.models.api", "ModelServerError")):
        return str(exc), 1
    if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError | NotADirectoryError):
        return f"{exc.filename}: {exc.strerror}", 1
    return None


class ErrorReportingGroup(ReadableGroup):
    """The root command: user mistakes become ``error:`` lines (see the module docstring)."""

    def invoke(self, ctx: Any) -> Any:  # typer.Context; its base class lives in typer's vendored click
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as exc:
            described = describe(exc)
            if described is None or (ctx.obj or {}).get("debug"):
                raise
            message, code = described
            print_error(message)
            raise typer.Exit(code) from exc
