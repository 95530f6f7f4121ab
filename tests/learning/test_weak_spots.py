from __future__ import annotations

from collections.abc import Callable
from typing import Any

from envirosense.learning.config import WeakSpotConfig
from envirosense.learning.weak_spots import identify_weak_spots
from envirosense.schemas import ModelPerformanceData, WeakSpotType

PM = "U20_SPS30.mass_concentration_pm2_5_ug_m3"
ULTRA = "U27_SPU0410HR5H.band_ultrasonic_db"


def _by_type(spots: list[Any], spot_type: WeakSpotType) -> list[Any]:
    return [spot for spot in spots if spot.weak_spot_type is spot_type]


def test_low_recall_class_points_at_the_sensor_behind_its_misses(
    make_performance: Callable[..., ModelPerformanceData], make_sample: Callable[..., dict[str, Any]]
) -> None:
    misses = [
        make_sample(
            f"m{i}",
            sensor_id="U27_SPU0410HR5H",
            true_label="corona_discharge",
            predicted="normal",
            features={ULTRA: 20.0 + i},
        )
        for i in range(3)
    ]
    performance = make_performance(
        recalls={"normal": 0.97, "corona_discharge": 0.3, "arcing": 0.9}, misclassified=misses
    )
    spots = _by_type(identify_weak_spots(performance, WeakSpotConfig()), WeakSpotType.LOW_RECALL_CLASS)
    assert [spot.target_class for spot in spots] == ["corona_discharge"]
    assert spots[0].sensor_id == "U27_SPU0410HR5H"
    assert 0 < spots[0].priority <= 1
    assert spots[0].recall == 0.3


def test_class_with_little_support_is_not_a_weak_spot(make_performance: Callable[..., ModelPerformanceData]) -> None:
    performance = make_performance(recalls={"normal": 0.2})
    assert identify_weak_spots(performance, WeakSpotConfig(min_class_support=51)) == []


def test_near_duplicate_misclassifications_merge_into_one_region(
    make_performance: Callable[..., ModelPerformanceData], make_sample: Callable[..., dict[str, Any]]
) -> None:
    alike = [
        make_sample(f"a{i}", true_label="normal", predicted="fire_precursor", features={PM: 80.0 + i}) for i in range(6)
    ]
    alike.append(make_sample("far", true_label="normal", predicted="fire_precursor", features={PM: 0.5}))
    performance = make_performance(misclassified=alike)
    regions = _by_type(identify_weak_spots(performance, WeakSpotConfig()), WeakSpotType.MISCLASSIFIED_REGION)
    sizes = sorted(len(spot.member_sample_ids) for spot in regions)
    assert sizes == [1, 6]
    big = max(regions, key=lambda spot: len(spot.member_sample_ids))
    assert big.target_class == "normal" and big.predicted_label == "fire_precursor"
    assert big.priority > min(regions, key=lambda spot: len(spot.member_sample_ids)).priority


def test_different_label_pairs_never_merge(
    make_performance: Callable[..., ModelPerformanceData], make_sample: Callable[..., dict[str, Any]]
) -> None:
    samples = [
        make_sample("x", true_label="normal", predicted="fire_precursor"),
        make_sample("y", true_label="early_combustion", predicted="fire_precursor"),
    ]
    spots = identify_weak_spots(make_performance(misclassified=samples), WeakSpotConfig())
    assert len(_by_type(spots, WeakSpotType.MISCLASSIFIED_REGION)) == 2


def test_uncertain_samples_above_threshold_only_and_not_double_counted(
    make_performance: Callable[..., ModelPerformanceData], make_sample: Callable[..., dict[str, Any]]
) -> None:
    uncertain = [
        make_sample("u-high", uncertainty=0.9),
        make_sample("u-low", uncertainty=0.1),
        make_sample("both", uncertainty=0.9),
    ]
    misclassified = [make_sample("both", true_label="normal", uncertainty=0.9)]
    performance = make_performance(uncertain=uncertain, misclassified=misclassified)
    spots = _by_type(
        identify_weak_spots(performance, WeakSpotConfig(uncertainty_threshold=0.5)),
        WeakSpotType.HIGH_UNCERTAINTY_SAMPLE,
    )
    assert [spot.member_sample_ids for spot in spots] == [["u-high"]]
    assert spots[0].target_class is None and spots[0].predicted_label == "fire_precursor"


def test_ids_are_deterministic_per_content_and_cycle(
    make_performance: Callable[..., ModelPerformanceData], make_sample: Callable[..., dict[str, Any]]
) -> None:
    performance = make_performance(recalls={"normal": 0.4}, misclassified=[make_sample("m", true_label="normal")])
    first = [spot.weak_spot_id for spot in identify_weak_spots(performance, WeakSpotConfig(), cycle_id="c1")]
    again = [spot.weak_spot_id for spot in identify_weak_spots(performance, WeakSpotConfig(), cycle_id="c1")]
    other = [spot.weak_spot_id for spot in identify_weak_spots(performance, WeakSpotConfig(), cycle_id="c2")]
    assert first == again
    assert len(set(first)) == len(first) == 2
    assert not set(first) & set(other)


def test_cap_per_type(
    make_performance: Callable[..., ModelPerformanceData], make_sample: Callable[..., dict[str, Any]]
) -> None:
    far_apart = [make_sample(f"m{i}", true_label="normal", features={PM: 10.0 ** (i % 4) * (1 + i)}) for i in range(20)]
    spots = identify_weak_spots(
        make_performance(misclassified=far_apart), WeakSpotConfig(max_spots_per_type=3, merge_distance=0.01)
    )
    assert len(spots) == 3
