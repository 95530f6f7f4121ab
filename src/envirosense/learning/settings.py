"""One validated configuration file (TOML or YAML) describes a run; environment variables override it.

Every key of ``RunSettings`` can be overridden by ``ENVIROSENSE_<KEY>``, nested keys joined by ``__``
(``ENVIROSENSE_DATABASE_URL``, ``ENVIROSENSE_GENERATION__DASK_SCHEDULER``), which is how credentials and
addresses stay out of config files. Switching to PostgreSQL or a Dask cluster is a change of
``database_url`` or ``generation.dask_scheduler``, not of code. ``envirosense config reference`` prints
every key.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.policy_registry import check_model_kind
from envirosense.models.server import ServerSettings
from envirosense.ops.resilience import BreakerSettings, RetrySettings

ENV_PREFIX = "ENVIROSENSE_"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelServerSettings(ServerSettings):
    """A model server speaking the Open Inference Protocol V2 with its model-repository extension (MLServer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model_repository: Path = Field(
        description="Folder the server loads models from (shared with it); every candidate is exported there."
    )


class ModelSettings(_Section):
    """The model the loop trains and registers (in this process) and where it is evaluated."""

    registered_model_name: str = Field(
        "envirosense-hazard-classifier", description="Name prefix in the MLflow registry (the run id is appended)."
    )
    n_estimators: int = Field(120, ge=10, le=2000, description="Trees in the default forest ensemble.")
    kind: Literal["local", "api"] = Field(
        "local",
        description="local: evaluate in this process; api: deploy every candidate to `model.server` and do "
        "every evaluation and prediction of the loop over its REST API.",
    )
    server: ModelServerSettings | None = Field(None, description="The model server (required with kind api).")

    @model_validator(mode="after")
    def _server_for_api(self) -> ModelSettings:
        if self.kind == "api" and self.server is None:
            raise ValueError("model.kind = 'api' needs model.server (base_url and model_repository)")
        return self


class GenerationSettings(_Section):
    workers: int = Field(2, ge=1, le=256, description="Local worker processes (ignored with a Dask scheduler).")
    dask_scheduler: str | None = Field(
        None, pattern=r"^tcp://[^\s:]+:\d+$", description="Dask scheduler address, e.g. tcp://10.0.0.5:8786."
    )


class RepositoryRetrySettings(RetrySettings):
    """Retries of the scenario repository: about 18 s in all, enough to ride out a database restart."""

    max_attempts: int = Field(8, ge=1, description="Most attempts per call.")
    timeout_s: float | None = Field(None, gt=0, description="Stop retrying after this long, s (None: no limit).")
    wait_s: float = Field(0.25, ge=0, description="First pause between attempts, s; doubles each retry.")


class GeneratorRetrySettings(RetrySettings):
    """Attempts of a generation whose executor failed; each attempt resumes the dataset."""

    max_attempts: int = Field(3, ge=1, description="Most attempts per generation.")
    timeout_s: float | None = Field(None, gt=0, description="Stop retrying after this long, s (None: no limit).")
    wait_s: float = Field(0.5, ge=0, description="First pause between attempts, s; doubles each retry.")


class ResilienceSettings(_Section):
    """Retries of transient errors and circuit breakers of the parts that talk to a service (the model
    server's are in ``model.server``; what a cycle does once they give up is ``active_learning.resilience``)."""

    repository: RepositoryRetrySettings = Field(default_factory=RepositoryRetrySettings)
    run_store: RetrySettings = Field(default_factory=RetrySettings)
    generator: GeneratorRetrySettings = Field(default_factory=GeneratorRetrySettings)
    generator_breaker: BreakerSettings = Field(default_factory=BreakerSettings)


class DatasetSettings(_Section):
    """The initial training set and the fixed held-out evaluation set (both drawn uniformly over scenario
    classes and parameters, from seeds of their own so that no strategy sees the evaluation set)."""

    initial_samples: int = Field(400, ge=20, description="Samples of the initial random training set.")
    evaluation_samples: int = Field(1200, ge=50, description="Samples of the held-out evaluation set.")
    initial_seed: int = Field(1, ge=0, description="Seed of the initial set.")
    evaluation_seed: int = Field(2, ge=0, description="Seed of the evaluation set.")


class RunSettings(BaseSettings):
    """Everything one active-learning run needs; see ``docs/configuration.md`` for every key."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", frozen=True, protected_namespaces=()
    )

    workspace: Path = Field(Path("envirosense-workspace"), description="Folder holding everything of the run.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the scenario/state database; default: SQLite in the workspace."
    )
    mlflow_tracking_uri: str | None = Field(
        None, description="MLflow tracking and registry URI; default: SQLite in the workspace."
    )
    model: ModelSettings = Field(default_factory=ModelSettings)
    generation: GenerationSettings = Field(default_factory=GenerationSettings)
    datasets: DatasetSettings = Field(default_factory=DatasetSettings)
    resilience: ResilienceSettings = Field(default_factory=ResilienceSettings)
    active_learning: ActiveLearningConfig = Field(default_factory=ActiveLearningConfig)

    @model_validator(mode="after")
    def _policy_suits_model(self) -> RunSettings:
        check_model_kind(self.active_learning, self.model.kind)
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment variables win over the file's values (passed in as init arguments).
        return env_settings, init_settings

    @classmethod
    def from_file(cls, path: Path | None, **overrides: Any) -> RunSettings:
        """Settings from a ``.toml``, ``.yaml`` or ``.yml`` file (or defaults when ``path`` is None), then the
        environment, then ``overrides`` (e.g. from CLI flags).

        Raises ``ConfigError`` naming every bad key (unknown, wrong type, out of range, not finite) and where
        its value came from, or why the file cannot be read as a mapping of keys.
        """
        source = str(path) if path is not None else "the defaults and the environment"
        values = read_config_file(path) if path is not None else {}
        try:
            settings = cls(**values)
            if overrides:
                settings = cls.model_validate({**settings.model_dump(exclude_unset=False), **overrides})
        except ValidationError as exc:
            raise ConfigError.from_validation(source, exc) from exc
        return settings


class ConfigError(ValueError):
    """A configuration that cannot be used; ``problems`` holds one line per bad key, e.g.
    ``active_learning.budget.samples_per_cycle: must be ≥ 10, got 3``."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"invalid configuration in {source}:\n{lines}")

    @classmethod
    def from_validation(cls, source: str, exc: ValidationError, prefix: tuple[str, ...] = ()) -> ConfigError:
        """The errors of a validation of ``RunSettings`` (or of its section at the dotted path ``prefix``)."""
        return cls(source, [_describe({**error, "loc": (*prefix, *error["loc"])}) for error in exc.errors()])


def read_config_file(path: Path) -> dict[str, Any]:
    """The mapping of keys in a ``.toml``, ``.yaml`` or ``.yml`` file; ``ConfigError`` when the file cannot be
    read, does not parse, or holds something other than a mapping (an empty YAML file is an empty mapping)."""
    if path.suffix not in (".toml", ".yaml", ".yml"):
        raise ConfigError(str(path), ["the file name must end in .toml, .yaml or .yml"])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), [f"cannot read the file: {getattr(exc, 'strerror', None) or exc}"]) from exc
    if path.suffix == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from exc
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ConfigError(str(path), [f"not valid YAML{where}: {getattr(exc, 'problem', None) or exc}"]) from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(
            str(path),
            [f"the file holds a {_yaml_kind(loaded)}, not a mapping of keys (`workspace: …`, `active_learning: …`)"],
        )
    return loaded


def _yaml_kind(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


_RANGE_WORDS = {
    "greater_than": ">",
    "greater_than_equal": "≥",
    "less_than": "<",
    "less_than_equal": "≤",
}


_TYPE_WORDS = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
    "dict_type": "a section of keys",
    "model_type": "a section of keys",
    "list_type": "a list",
}


def _describe(error: Any) -> str:
    """One line for one Pydantic error: the dotted key, what is wrong, the value and where it came from."""
    location = tuple(str(part) for part in error["loc"])
    key = ".".join(location) or "(top level)"
    kind = error["type"]
    value = error.get("input")
    context = error.get("ctx") or {}
    if kind == "extra_forbidden":
        allowed = _allowed_keys(location[:-1])
        close = difflib.get_close_matches(location[-1], allowed, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"{key}: unknown key{hint} (allowed here: {', '.join(allowed)})"
    if kind in _RANGE_WORDS:
        bound = next(iter(context.values()), "?")
        message = f"must be {_RANGE_WORDS[kind]} {bound}, got {value!r}"
    elif kind == "finite_number":
        message = f"must be a finite number, got {value!r}"
    elif kind == "missing":
        message = "required, but not given"
    elif kind in _TYPE_WORDS:
        message = f"expected {_TYPE_WORDS[kind]}, got {value!r}"
    else:
        text = str(error["msg"]).removeprefix("Value error, ")
        message = f"{text[0].lower()}{text[1:]}"
        if not isinstance(value, dict) and repr(value) not in message:
            message += f", got {_USERINFO.sub('//[redacted]@', repr(value))}"
    variable = ENV_PREFIX + "__".join(part.upper() for part in location)
    if variable in os.environ:
        message += f" (from the environment variable {variable})"
    return f"{key}: {message}"


_USERINFO = re.compile(r"//[^/@\s]+@")
"""The user and password of a URL (``//user:pass@host``), never echoed in an error."""


def _allowed_keys(location: tuple[str, ...]) -> list[str]:
    """The keys a section of ``RunSettings`` accepts (``location`` is the section's dotted path)."""
    model: type[BaseModel] = RunSettings
    for part in location:
        field = model.model_fields.get(part)
        if field is None:
            return []
        section = next(
            (arg for arg in (field.annotation, *get_args(field.annotation)) if _is_model(arg)),
            None,
        )
        if section is None:
            return []
        model = section
    return list(model.model_fields)


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def settings_reference() -> str:
    """A Markdown table of every configuration key: dotted name, default and description."""
    rows = ["| key | default | description |", "|---|---|---|"]

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            annotation = info.annotation
            nested = [arg for arg in (annotation, *get_args(annotation)) if isinstance(arg, type)]
            section = next((arg for arg in nested if issubclass(arg, BaseModel)), None)
            if section is not None:
                walk(section, f"{prefix}{name}.")
                continue
            default = info.get_default(call_default_factory=True)
            if default is PydanticUndefined:
                shown = "required"
            else:
                shown = "–" if default is None else json.dumps(default, default=str)
            description = (info.description or "").replace("|", "\\|")
            rows.append(f"| `{prefix}{name}` | `{shown}` | {description} |")

    walk(RunSettings, "")
    return "\n".join(rows) + "\n"
