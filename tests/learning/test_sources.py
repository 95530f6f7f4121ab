"""The scenario draws of ``learning.sources``: the label-balanced draw spreads runs evenly over the class
labels (the uniform draw follows the catalogue, where most scenario classes are normal), from the seed
alone."""

from __future__ import annotations

from collections import Counter

import numpy as np

from envirosense.learning.sources import (
    contrast_definitions,
    label_balanced_definitions,
    lookalike_definitions,
    random_definitions,
)
from envirosense.schemas import ClassLabel
from envirosense.simulation import scenario_classes
from envirosense.simulation.registry import scenario_class


def _labels(definitions: list) -> Counter[str]:  # type: ignore[type-arg]
    return Counter(scenario_class(d.scenario_class_name).class_label.value for d in definitions)


def test_label_balanced_runs_give_every_label_the_same_count_up_to_one() -> None:
    labels = {cls.class_label.value for cls in scenario_classes()}
    counts = _labels(label_balanced_definitions(np.random.default_rng(4), 75, "b"))
    assert set(counts) == labels
    assert max(counts.values()) - min(counts.values()) <= 1
    assert sum(counts.values()) == 75


def test_the_uniform_draw_spends_most_runs_on_normal_scenarios_the_balanced_one_a_label_share() -> None:
    uniform = _labels(random_definitions(np.random.default_rng(5), 700, "u"))
    balanced = _labels(label_balanced_definitions(np.random.default_rng(5), 700, "b"))
    normal = ClassLabel.NORMAL.value
    assert uniform[normal] / 700 > 0.45  # 9 of the 17 scenario classes are normal
    assert balanced[normal] == 100  # one label of seven


def test_label_balanced_draws_come_from_the_seed_and_are_tagged() -> None:
    first = label_balanced_definitions(np.random.default_rng(9), 20, "x", tags=("exploration",))
    again = label_balanced_definitions(np.random.default_rng(9), 20, "x", tags=("exploration",))
    other = label_balanced_definitions(np.random.default_rng(10), 20, "x", tags=("exploration",))

    def drawn(definitions: list) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
        return [(d.scenario_class_name, d.specific_params()) for d in definitions]

    assert drawn(first) == drawn(again)
    assert drawn(first) != drawn(other)
    assert [d.scenario_definition_id for d in first][:2] == ["x-0000", "x-0001"]
    assert all({"label-balanced", "exploration"} <= set(d.tags) for d in first)


def test_contrast_draws_give_every_hazard_label_and_every_confounder_the_same_share() -> None:
    definitions = contrast_definitions(np.random.default_rng(6), 13 * 40, "c")
    classes = [scenario_class(d.scenario_class_name) for d in definitions]
    per_stratum = Counter(
        cls.class_label.value
        if cls.class_label is not ClassLabel.NORMAL
        else (cls.registry_name() if cls.is_confounder else "plain-normal")
        for cls in classes
    )
    assert len(per_stratum) == 13  # 6 hazard labels, 6 confounder classes, the plain normal classes
    assert set(per_stratum.values()) == {40}
    plain = {cls.registry_name() for cls in classes if cls.class_label is ClassLabel.NORMAL and not cls.is_confounder}
    assert plain == {"baseline_operation", "diurnal_cycle", "weather_event"}  # one stratum, every class drawn


def test_a_look_alike_gets_as_many_contrast_runs_as_a_hazard_and_more_than_label_balanced_runs() -> None:
    contrast = Counter(d.scenario_class_name for d in contrast_definitions(np.random.default_rng(7), 650, "c"))
    balanced = Counter(d.scenario_class_name for d in label_balanced_definitions(np.random.default_rng(7), 650, "b"))
    for confounder in ("PassingLightningStormScenario", "ElectronicInterferenceScenario"):
        assert contrast[confounder] == contrast["ArcingEventScenario"] == 50
        assert contrast[confounder] > 2 * balanced[confounder]  # 1/13 of the runs against 1/63


def test_contrast_draws_come_from_the_seed_and_are_tagged() -> None:
    first = contrast_definitions(np.random.default_rng(9), 26, "x", tags=("exploration",))
    again = contrast_definitions(np.random.default_rng(9), 26, "x", tags=("exploration",))
    other = contrast_definitions(np.random.default_rng(10), 26, "x", tags=("exploration",))

    def drawn(definitions: list) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
        return [(d.scenario_class_name, d.specific_params()) for d in definitions]

    assert drawn(first) == drawn(again)
    assert drawn(first) != drawn(other)
    assert [d.scenario_definition_id for d in first][-1] == "x-0025"
    assert all({"contrast", "exploration"} <= set(d.tags) for d in first)


def test_lookalike_draws_keep_the_label_shares_and_give_normal_runs_to_confounders_only() -> None:
    definitions = lookalike_definitions(np.random.default_rng(8), 700, "k", tags=("exploration",))
    balanced = label_balanced_definitions(np.random.default_rng(8), 700, "b")
    assert _labels(definitions) == _labels(balanced)  # 100 runs for each of the seven labels
    normal = [scenario_class(d.scenario_class_name) for d in definitions]
    normal = [cls for cls in normal if cls.class_label is ClassLabel.NORMAL]
    assert all(cls.is_confounder for cls in normal)
    assert {cls.registry_name() for cls in normal} == {
        cls.registry_name() for cls in scenario_classes() if cls.is_confounder
    }
    storms = Counter(d.scenario_class_name for d in definitions)["PassingLightningStormScenario"]
    assert storms > Counter(d.scenario_class_name for d in balanced)["PassingLightningStormScenario"]
    assert all({"lookalike", "exploration"} <= set(d.tags) for d in definitions)
    again = lookalike_definitions(np.random.default_rng(8), 700, "k", tags=("exploration",))
    assert [d.specific_params() for d in again] == [d.specific_params() for d in definitions]
