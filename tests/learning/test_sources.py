"""The scenario draws of ``learning.sources``: the label-balanced draw spreads runs evenly over the class
labels (the uniform draw follows the catalogue, where most scenario classes are normal), from the seed
alone."""

from __future__ import annotations

from collections import Counter

import numpy as np

from envirosense.learning.sources import label_balanced_definitions, random_definitions
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
