"""The JSON examples in docs/examples/ are valid records (the docs cannot drift from the contracts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envirosense.schemas import ModelPerformanceData, Record, ScenarioDefinition
from envirosense.schemas.samples import SensorReadingsMap
from envirosense.simulation import scenario_from_definition

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
MODELS: dict[str, type[Record]] = {
    "scenario_definition.json": ScenarioDefinition,
    "model_performance_data.json": ModelPerformanceData,
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_example_validates(name: str) -> None:
    MODELS[name].model_validate(json.loads((EXAMPLES / name).read_text(encoding="utf-8")))


def test_example_definition_is_runnable() -> None:
    definition = ScenarioDefinition.model_validate_json((EXAMPLES / "scenario_definition.json").read_text())
    assert scenario_from_definition(definition).scenario_id == definition.scenario_definition_id


def test_example_feature_paths_name_real_schema_fields() -> None:
    feedback = json.loads((EXAMPLES / "model_performance_data.json").read_text(encoding="utf-8"))
    for sample in feedback["uncertain_samples"] + feedback["misclassified_samples"]:
        for feature in sample["sample_features_summary"]["top_n_features"]:
            prefix, sensor_id, field = feature["feature_path"].split(".")
            assert prefix == "sensor_readings_map"
            reading_model = SensorReadingsMap.model_fields[sensor_id].annotation
            assert field in reading_model.model_fields  # type: ignore[union-attr]


def test_example_run_config_loads_and_env_overrides_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from envirosense.learning.settings import RunSettings

    settings = RunSettings.from_file(EXAMPLES / "run.toml")
    assert settings.active_learning.budget.samples_per_cycle == 600
    assert settings.model.n_estimators == 120
    monkeypatch.setenv("ENVIROSENSE_ACTIVE_LEARNING__BUDGET__SAMPLES_PER_CYCLE", "123")
    monkeypatch.setenv("ENVIROSENSE_DATABASE_URL", "postgresql://u@h:5432/d")
    overridden = RunSettings.from_file(EXAMPLES / "run.toml")
    assert overridden.active_learning.budget.samples_per_cycle == 123
    assert overridden.database_url == "postgresql://u@h:5432/d"
    assert RunSettings.from_file(EXAMPLES / "run.toml", workspace=Path("/tmp/x")).workspace == Path("/tmp/x")


def test_bad_run_config_names_the_key(tmp_path: Path) -> None:
    from envirosense.learning.settings import ConfigError, RunSettings

    bad = tmp_path / "bad.toml"
    bad.write_text("[active_learning.budget]\nexploration_share = 2.0\n[model]\nn_trees = 3\n")
    with pytest.raises(ConfigError) as caught:
        RunSettings.from_file(bad)
    text = str(caught.value)
    assert "exploration_share" in text and "n_trees" in text


def test_configuration_doc_lists_every_key() -> None:
    from envirosense.learning.settings import settings_reference

    text = (EXAMPLES.parent / "configuration.md").read_text(encoding="utf-8")
    assert text.endswith(settings_reference()), "regenerate the table with `envirosense config reference`"


def test_demo_config_is_valid() -> None:
    from envirosense.learning.settings import RunSettings

    settings = RunSettings.from_file(EXAMPLES / "demo.toml")
    assert settings.active_learning.strategy == "alm"
