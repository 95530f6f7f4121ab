"""A run's stored configuration: what it records, how old records resume, which keys differ."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import envirosense
from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.run_config import LOCATION_KEYS, StoredRunConfig, differing_keys
from envirosense.learning.settings import ConfigError, RunSettings
from envirosense.schemas.avro import schema_versions


def test_a_record_holds_every_section_and_the_versions_but_not_the_location(tmp_path: Path) -> None:
    settings = RunSettings(workspace=tmp_path / "ws", model={"n_estimators": 24})
    learning = ActiveLearningConfig(seed=9)
    record = StoredRunConfig.of(settings, learning)
    assert {"model", "generation", "datasets", "resilience", "active_learning"} <= set(record.settings)
    assert not LOCATION_KEYS & set(record.settings)
    assert record.settings["active_learning"]["seed"] == 9
    assert record.package_version == envirosense.__version__
    assert record.schema_versions == schema_versions()

    elsewhere = RunSettings(workspace=tmp_path / "moved")
    restored = StoredRunConfig.read(record.model_dump(mode="json"), elsewhere).run_settings(elsewhere)
    assert restored.model.n_estimators == 24 and restored.active_learning.seed == 9
    assert restored.workspace == tmp_path / "moved"


def test_an_old_record_keeps_its_active_learning_and_takes_the_rest_from_the_given_config(tmp_path: Path) -> None:
    old = ActiveLearningConfig(seed=4, strategy="random").model_dump(mode="json")
    given = RunSettings(workspace=tmp_path, model={"n_estimators": 30})
    restored = StoredRunConfig.read(old, given).run_settings(given)
    assert restored.active_learning.seed == 4 and restored.active_learning.strategy == "random"
    assert restored.model.n_estimators == 30


def test_differing_keys_are_dotted_and_sorted() -> None:
    stored = {"model": {"n_estimators": 24, "kind": "local"}, "active_learning": {"stopping": {"max_cycles": 2}}}
    given = {"model": {"n_estimators": 60, "kind": "local"}, "active_learning": {"stopping": {"max_cycles": 5}}}
    assert differing_keys(stored, given) == ["active_learning.stopping.max_cycles", "model.n_estimators"]
    assert differing_keys(stored, stored) == []


def test_a_record_holds_no_credential_of_the_databases_or_the_model_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "s3cr3t-pw"
    monkeypatch.setenv("LOOP_MODEL_TOKEN", secret)
    settings = RunSettings(
        workspace=tmp_path / "ws",
        database_url=f"postgresql://loop:{secret}@db.example.com/envirosense",
        mlflow_tracking_uri=f"postgresql://mlflow:{secret}@db.example.com/mlflow",
        model={
            "kind": "api",
            "server": {
                "base_url": "https://models.example.com",
                "model_repository": str(tmp_path / "models"),
                "token_env_var": "LOOP_MODEL_TOKEN",
            },
        },
    )
    record = StoredRunConfig.of(settings, settings.active_learning).model_dump(mode="json")
    stored = json.dumps(record)
    assert secret not in stored
    # The model server's bearer token is read when a request is made; only where it comes from is stored.
    assert record["settings"]["model"]["server"]["token_env_var"] == "LOOP_MODEL_TOKEN"


def test_epistemic_selection_is_refused_with_a_model_server_naming_the_keys(tmp_path: Path) -> None:
    config = tmp_path / "run.toml"
    server = f'base_url = "http://127.0.0.1:1"\nmodel_repository = "{tmp_path / "models"}"\n'
    config.write_text(
        f'[model]\nkind = "api"\n[model.server]\n{server}[active_learning.targeting]\nuncertainty = "epistemic"\n'
    )
    with pytest.raises(ConfigError, match=r"targeting.uncertainty = 'epistemic'.*model.kind = 'api'") as caught:
        RunSettings.from_file(config)
    assert "Traceback" not in str(caught.value)
    config.write_text(f'[model]\nkind = "api"\n[model.server]\n{server}')
    assert RunSettings.from_file(config).active_learning.targeting.uncertainty == "margin"
    local = RunSettings(active_learning={"targeting": {"uncertainty": "epistemic"}})
    assert local.active_learning.targeting.uncertainty == "epistemic"
