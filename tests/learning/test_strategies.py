from __future__ import annotations

import numpy as np
import pytest

from envirosense.learning.config import HeterogeneousStrategyConfig, StrategyConfig
from envirosense.learning.strategies import (
    HeterogeneousPrioritizationStrategy,
    HighFidelityPrioritizationStrategy,
    RealTimePrioritizationStrategy,
    SensorFamilyRouter,
    spot_family,
)
from envirosense.schemas import WeakSpot, WeakSpotType


def spot(name: str, sensor: str | None = "U20_SPS30", **fields: object) -> WeakSpot:
    values: dict[str, object] = {
        "weak_spot_id": name,
        "weak_spot_type": WeakSpotType.HIGH_UNCERTAINTY_SAMPLE,
        "priority": 0.5,
        "sensor_id": sensor,
    }
    values.update(fields)
    return WeakSpot.model_validate(values)


def test_real_time_prefers_more_uncertain_spots() -> None:
    spots = [spot("a", uncertainty_score=0.2), spot("b", uncertainty_score=0.9), spot("c", uncertainty_score=0.5)]
    ranked = RealTimePrioritizationStrategy()(spots)
    assert ranked.indices.tolist() == [1, 2, 0]
    assert np.all(np.diff(ranked.utilities) <= 0)
    assert np.all((ranked.utilities >= 0) & (ranked.utilities <= 1))


def test_high_fidelity_prefers_reducible_over_aleatoric_uncertainty() -> None:
    noisy = spot("noisy", epistemic_uncertainty_score=0.05, aleatoric_uncertainty_score=1.0, disagreement_score=0.1)
    learnable = spot(
        "learnable", epistemic_uncertainty_score=0.5, aleatoric_uncertainty_score=0.1, disagreement_score=0.6
    )
    ranked = HighFidelityPrioritizationStrategy()([noisy, learnable])
    assert ranked.indices.tolist()[0] == 1


def test_high_fidelity_weighs_critical_classes_up() -> None:
    arcing = spot("arc", target_class="arcing", weak_spot_type=WeakSpotType.LOW_RECALL_CLASS)
    normal = spot("norm", target_class="normal", weak_spot_type=WeakSpotType.LOW_RECALL_CLASS)
    ranked = HighFidelityPrioritizationStrategy()([normal, arcing])
    assert ranked.indices.tolist() == [1, 0]
    assert ranked.utilities[0] > ranked.utilities[1]


def test_heterogeneous_caps_spots_per_sensor() -> None:
    spots = [spot(f"s{i}", sensor="U21_SHT85", priority=0.9 - i * 0.1) for i in range(5)]
    spots.append(spot("other", sensor="U23_BMP388", priority=0.1))
    ranked = HeterogeneousPrioritizationStrategy(HeterogeneousStrategyConfig(max_spots_per_sensor=2))(spots)
    assert ranked.indices.tolist() == [0, 1, 5]


def test_min_utility_drops_spots() -> None:
    spots = [spot("tiny", priority=0.01), spot("big", priority=0.9)]
    assert RealTimePrioritizationStrategy()(spots).indices.tolist() == [1]


@pytest.mark.parametrize(
    ("sensor", "related", "family", "strategy"),
    [
        ("U27_SPU0410HR5H", [], "real_time", "real_time"),
        ("U25_AS3935", [], "real_time", "real_time"),
        ("U26_Lepton35", [], "high_fidelity", "high_fidelity"),
        ("U20_SPS30", [], "high_fidelity", "high_fidelity"),
        ("U22_SHT85", [], "ambient", "heterogeneous"),
        ("U20_SPS30", ["U20_SPS30", "U27_SPU0410HR5H"], "mixed", "heterogeneous"),
        (None, [], "mixed", "heterogeneous"),
    ],
)
def test_router_sends_each_spot_to_its_family_strategy(
    sensor: str | None, related: list[str], family: str, strategy: str
) -> None:
    item = spot("x", sensor=sensor, related_sensor_ids=related)
    assert spot_family(item) == family
    routed = SensorFamilyRouter()([item])
    assert routed.strategy_of == {0: strategy}


def test_router_merges_rankings_and_can_be_switched_off() -> None:
    spots = [
        spot("acoustic", sensor="U27_SPU0410HR5H", uncertainty_score=0.9, priority=0.9),
        spot("pm", sensor="U20_SPS30", priority=0.2, epistemic_uncertainty_score=0.1),
        spot("rh", sensor="U22_SHT85", priority=0.6),
    ]
    routed = SensorFamilyRouter()(spots)
    assert sorted(routed.prioritization.indices.tolist()) == [0, 1, 2]
    assert routed.prioritization.indices.tolist()[0] == 0
    assert np.all(np.diff(routed.prioritization.utilities) <= 0)
    off = SensorFamilyRouter(StrategyConfig(route_by_sensor_family=False))(spots)
    assert set(off.strategy_of.values()) == {"heterogeneous"}
