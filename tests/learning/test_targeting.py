from __future__ import annotations

import numpy as np
from pydantic import Field

from envirosense.learning.targeting import explained_driver_params, neighbourhood_modifications
from envirosense.schemas import WeakSpot, WeakSpotType
from envirosense.simulation.parameters import ScenarioParams, param_ranges, unflatten_params

PM = "sensor_readings_map.U20_SPS30.mass_concentration_pm2_5_ug_m3"


class SmokeParams(ScenarioParams):
    emission_mg_s: float = Field(10.0, ge=0.5, le=150.0)
    distance_m: float = Field(20.0, ge=1.0, le=500.0)


def _spot(paths: list[str]) -> WeakSpot:
    return WeakSpot.model_validate(
        {
            "weak_spot_id": "w",
            "weak_spot_type": WeakSpotType.MISCLASSIFIED_REGION,
            "priority": 0.5,
            "sensor_id": "U20_SPS30",
            "sample_features_summary": {
                "method": "SHAP",
                "target_class_for_explanation": "fire_precursor",
                "top_n_features": [{"feature_path": p, "importance_score": 0.2, "raw_value": 1.0} for p in paths],
            },
        }
    )


def test_drivers_are_the_params_behind_the_explained_features() -> None:
    drivers = {"emission_mg_s": (PM,), "distance_m": (PM, "sensor_readings_map.U19_TFSGS.phenol_ppb")}
    assert explained_driver_params(drivers, _spot([PM])) == ["distance_m", "emission_mg_s"]
    assert explained_driver_params(drivers, _spot(["sensor_readings_map.U19_TFSGS.phenol_ppb"])) == ["distance_m"]
    assert explained_driver_params(drivers, _spot(["sensor_readings_map.U26_Lepton35.max_temperature_c"])) == []


def test_draws_stay_in_range_and_near_the_base_with_drivers_moving_more() -> None:
    base = SmokeParams().model_dump()
    mods = neighbourhood_modifications(
        SmokeParams, base, ["emission_mg_s"], 400, np.random.default_rng(0), spread=0.02, driver_spread=0.2
    )
    ranges = param_ranges(SmokeParams)
    for change in mods:
        assert "duration_seconds" not in change
        for path, value in change.items():
            assert ranges[path].lower <= value <= ranges[path].upper
        SmokeParams.model_validate(unflatten_params({**change}) | {"duration_seconds": 600.0})
    emission = np.array([m["emission_mg_s"] for m in mods]) - base["emission_mg_s"]
    wind = np.array([m["environment.wind_speed_m_s"] for m in mods]) - base["environment"]["wind_speed_m_s"]
    assert np.std(emission) / (150 - 0.5) > 3 * np.std(wind) / (15 - 0.5)


def test_same_seed_same_draws() -> None:
    base = SmokeParams().model_dump()
    first = neighbourhood_modifications(SmokeParams, base, [], 5, np.random.default_rng(3))
    again = neighbourhood_modifications(SmokeParams, base, [], 5, np.random.default_rng(3))
    assert first == again
