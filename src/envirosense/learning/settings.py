"""One validated configuration file (TOML or YAML) describes a run; environment variables override it.

Every key of ``RunSettings`` can be overridden by ``ENVIROSENSE_<KEY>``, nested keys joined by ``__``
(``ENVIROSENSE_MODEL__SERVER_URL``), which is how secrets and addresses stay out of config files. Switching
to PostgreSQL, a model server or a Dask cluster is a change of ``database_url``, ``model`` or
``generation.dask_scheduler``, not of code. ``envirosense config example`` prints a documented example.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from envirosense.learning.config import ActiveLearningConfig

ENV_PREFIX = "ENVIROSENSE_"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelSettings(_Section):
    """Where the model lives: trained and evaluated here (``local``), or served over the Open Inference
    Protocol V2 (``api``: MLServer, KServe, Triton)."""

    kind: Literal["local", "api"] = Field("local", description="local or api.")
    registered_model_name: str = Field("envirosense-hazard-classifier", description="Name in the MLflow registry.")
    n_estimators: int = Field(120, ge=10, le=2000, description="Trees in the default forest ensemble.")
    server_url: HttpUrl | None = Field(None, description="api: base URL of the inference server.")
    served_model_name: str | None = Field(None, description="api: model name on the server.")
    token_env: str | None = Field(None, description="api: environment variable holding the bearer token.")
    token_file: Path | None = Field(None, description="api: file holding the bearer token.")
    timeout_seconds: float = Field(10.0, gt=0, description="api: per-request timeout, s.")
    batch_size: int = Field(256, ge=1, description="api: samples per inference request.")
    verify_tls: bool = Field(True, description="api: verify the server's TLS certificate.")

    @model_validator(mode="after")
    def _api_needs_a_server(self) -> ModelSettings:
        if self.kind == "api" and (self.server_url is None or not self.served_model_name):
            raise ValueError("model.kind = 'api' needs model.server_url and model.served_model_name")
        return self


class GenerationSettings(_Section):
    workers: int = Field(2, ge=1, le=256, description="Local worker processes (ignored with a Dask scheduler).")
    dask_scheduler: str | None = Field(
        None, pattern=r"^tcp://[^\s:]+:\d+$", description="Dask scheduler address, e.g. tcp://10.0.0.5:8786."
    )


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
