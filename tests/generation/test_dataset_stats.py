"""Dataset statistics agree with the samples they summarise."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from envirosense.generation import Lineage, MLDataGenerator, iter_samples
from envirosense.generation.stats import dataset_stats
from envirosense.schemas import SENSOR_IDS
from envirosense.simulation import scenario_class


def test_stats_match_a_direct_count(tmp_path: Path) -> None:
    scenarios = [scenario_class("dust_storm")(), scenario_class("corona_discharge")()]
    lineage = Lineage(weak_spot_ids=("ws-3",), cycle_id="cycle-1")
    report = MLDataGenerator(workers=0).generate(
        scenarios,
        tmp_path,
        seed=9,
        mode="temporal_sequence",
        samples_per_run=24,
        sequence_length=8,
        spread_over_duration=True,
        lineage=lineage,
    )
    stats = dataset_stats(tmp_path)
    samples = list(iter_samples(tmp_path))
    assert stats.dataset_id == report.dataset_id
    assert stats.files == 2 and stats.samples == len(samples) == 48
    assert stats.class_counts == Counter(sample["extracted_class_label"] for sample in samples)
    assert dict(stats.class_counts) == report.manifest.class_counts
    assert stats.anomalies == sum(sample["ground_truth_labels"]["is_anomaly"] for sample in samples)
    assert stats.weak_spot_ids == {"ws-3": 48} and stats.cycle_ids == {"cycle-1": 48}
    assert stats.modes == {"temporal_sequence": 48}
    assert len(stats.sequences) == 6
    assert set(stats.status_counts) == set(SENSOR_IDS)
    assert all(sum(counts.values()) == 48 for counts in stats.status_counts.values())
    pm = stats.ranges[("U20_SPS30", "mass_concentration_pm2_5_ug_m3")]
    values = [s["sensor_readings_map"]["U20_SPS30"]["mass_concentration_pm2_5_ug_m3"] for s in samples]
    present = [value for value in values if value is not None]
    assert pm.count == len(present) and pm.nulls == len(values) - len(present)
    assert pm.minimum == min(present) and pm.maximum == max(present)
    assert pm.mean is not None and abs(pm.mean - sum(present) / len(present)) < 1e-9
