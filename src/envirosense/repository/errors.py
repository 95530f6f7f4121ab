"""Typed errors of the scenario repository: callers branch on the type, users read the message."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails


class RepositoryError(Exception):
    """Base of every error the scenario repository raises on purpose."""


class ScenarioNotFoundError(RepositoryError, LookupError):
    """No definition with that id (or that version of it)."""

    def __init__(self, scenario_definition_id: str, version: int | None = None) -> None:
        self.scenario_definition_id = scenario_definition_id
        self.version = version
        what = f"version {version} of " if version is not None else ""
        super().__init__(f"no {what}scenario definition {scenario_definition_id!r}")


class ConflictError(RepositoryError):
    """A write that would overwrite someone else's: a duplicate id, or an update based on a stale version."""

    def __init__(
        self,
        message: str,
        *,
        scenario_definition_id: str,
        expected_version: int | None = None,
        actual_version: int | None = None,
    ) -> None:
        self.scenario_definition_id = scenario_definition_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        super().__init__(message)


class RepositoryValidationError(RepositoryError, ValueError):
    """Bad input, rejected before anything is written. ``field`` names the offending field (dotted)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}")

    @classmethod
    def from_pydantic(cls, exc: ValidationError, prefix: str = "") -> RepositoryValidationError:
        """The first error of a Pydantic ``ValidationError`` (all of them in the message)."""
        errors = exc.errors()

        def path(error: ErrorDetails) -> str:
            loc = ".".join(str(part) for part in error["loc"])
            return f"{prefix}.{loc}" if prefix and loc else prefix or loc or "<root>"

        field = path(errors[0])
        message = "; ".join(f"{path(error)}: {error['msg']}" for error in errors)
        return cls(field, message.removeprefix(f"{field}: "))


class SchemaVersionError(RepositoryError):
    """The database schema is not the one this version of EnviroSense expects."""

    def __init__(self, message: str, *, current: tuple[str, ...], expected: tuple[str, ...]) -> None:
        self.current = current
        self.expected = expected
        super().__init__(message)


class SchemaTooOldError(SchemaVersionError):
    """The database is missing migrations; the message names the command that applies them."""


class SchemaTooNewError(SchemaVersionError):
    """The database was migrated by a newer EnviroSense than this one."""


class RepositoryUnavailableError(RepositoryError):
    """The database could not be reached (or stayed locked) after a bounded number of retries."""

    def __init__(self, message: str, *, attempts: int) -> None:
        self.attempts = attempts
        super().__init__(message)


class CraftingError(RepositoryError):
    """No scenario could be crafted from a feature summary (e.g. no class drives any of its features)."""
