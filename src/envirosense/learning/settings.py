"""One validated configuration file (TOML or YAML) describes a run; environment variables override it.

Every key of ``RunSettings`` can be overridden by ``ENVIROSENSE_<KEY>``, nested keys joined by ``__``
(``ENVIROSENSE_DATABASE_URL``, ``ENVIROSENSE_GENERATION__DASK_SCHEDULER``), which is how credentials and
addresses stay out of config files. Switching to PostgreSQL or a Dask cluster is a change of
``database_url`` or ``generation.dask_scheduler``, not of code. ``envirosense config reference`` prints
every key.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from envirosense.learning.config import ActiveLearningConfig
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
        environment, then ``overrides`` (e.g. from CLI flags)."""
        values: dict[str, Any] = {}
        if path is not None:
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".toml":
                values = tomllib.loads(text)
            elif path.suffix in (".yaml", ".yml"):
                loaded = yaml.safe_load(text)
                values = loaded if isinstance(loaded, dict) else {}
            else:
                raise ValueError(f"{path}: the config file must end in .toml, .yaml or .yml")
        settings = cls(**values)
        if overrides:
            settings = cls.model_validate({**settings.model_dump(exclude_unset=False), **overrides})
        return settings


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
