"""Crafting through the real simulator and catalogue classes.

Rule-based inverse design: given raw values that some in-range parameters produce, the crafter judges
its candidates on a population of simulation seeds (devices included) drawn from its own seed, and the
crafted scenario's mean reading on a population of seeds it never used is within the documented
tolerance (``inverse.tolerance``) of each target, for thermal, acoustic, RF, particle and gas targets.

Failure-seeking search: concentrates candidates where the score is high, and resumes exactly from a
saved state.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pytest

from envirosense.repository import CraftingError, FailureSeekingCrafter, RuleBasedInverseCrafter, SqlScenarioRepository
from envirosense.repository.crafting import CraftRequest, ForwardModel, feature_targets
from envirosense.repository.crafting.base import FeatureTarget, driver_parameters, params_at, search_dimensions
from envirosense.repository.crafting.inverse import MIN_POPULATION, population_size, tolerance
from envirosense.repository.sensors import FeatureField, parse_feature_path
from envirosense.schemas import ClassLabel, SampleFeaturesSummary
from envirosense.simulation.registry import scenario_class
from envirosense.simulation.result import SimulationResult
from envirosense.simulation.scenario import BaseScenario
from tests.repository.repo_helpers import Backend

FORWARD_TOLERANCE = 0.05
TARGET_SEED, FRESH_SEED = 1000, 2000
"""Populations of simulation seeds the crafter never draws (it draws its own from its seed and the request)."""

# class, target label, features
CASES = [
    ("equipment_overheat", "equipment_overheat", ["U26_Lepton35.hotspot_delta_c"]),
    ("corona_discharge", "corona_discharge", ["U27_SPU0410HR5H.band_ultrasonic_db", "U29_TFEMF.hf_noise_db"]),
    ("distant_vegetation_smoke", "normal", ["U20_SPS30.mass_concentration_pm2_5_ug_m3"]),
    ("cellulose_pyrolysis", "fire_precursor", ["U19_TFSGS.formaldehyde_ppb"]),
    (
        "early_combustion",
        "early_combustion",
        ["U20_SPS30.mass_concentration_pm2_5_ug_m3", "U26_Lepton35.hotspot_delta_c"],
    ),
    ("arcing_event", "arcing", ["U29_TFEMF.hf_noise_db", "U27_SPU0410HR5H.crest_factor_db"]),
]


def _fields(features: list[str]) -> list[FeatureField]:
    fields = [parse_feature_path(f"sensor_readings_map.{feature}") for feature in features]
    assert all(field is not None for field in fields)
    return [field for field in fields if field is not None]


def _truth(name: str, fields: list[FeatureField], rng: np.random.Generator) -> BaseScenario[Any]:
    """A scenario of ``name`` with its driver parameters drawn inside their ranges."""
    cls = scenario_class(name)
    dimensions = search_dimensions(cls, driver_parameters(cls, tuple(FeatureTarget(f, 1.0, 1.0) for f in fields)))
    return cls(params_at(cls, cls.params_model(), dimensions, rng.uniform(0.15, 0.85, len(dimensions)).tolist()))


def _summary(label: str, fields: list[FeatureField], values: dict[FeatureField, float]) -> SampleFeaturesSummary:
    return SampleFeaturesSummary(
        method="SHAP",
        target_class_for_explanation=label,
        top_n_features=[
            {"feature_path": field.path, "importance_score": 0.5 - 0.1 * i, "raw_value": values[field]}
            for i, field in enumerate(fields)
        ],
    )


@pytest.mark.slow
@pytest.mark.parametrize(("name", "label", "features"), CASES)
def test_rule_based_crafter_meets_its_tolerance_on_unseen_seeds(name: str, label: str, features: list[str]) -> None:
    fields = _fields(features)
    crafter = RuleBasedInverseCrafter(seed=zlib.crc32(f"run-{name}".encode()))
    truth = _truth(name, fields, np.random.default_rng(zlib.crc32(name.encode())))
    targets = ForwardModel(n_repeats=6, seed=TARGET_SEED).evaluate(truth, fields, ClassLabel(label))
    summary = _summary(label, fields, targets)
    result = crafter.craft(CraftRequest(summary, ClassLabel(label), tuple(feature_targets(summary))))
    assert result.scenario_class.class_label is ClassLabel(label)
    report = result.report
    search_seeds = report["search_population"]["simulation_seeds"]
    verification_seeds = report["verification"]["simulation_seeds"]
    assert len(search_seeds) >= MIN_POPULATION and len(verification_seeds) >= MIN_POPULATION
    assert report["population_size"] == len(search_seeds) == len(verification_seeds)
    unseen = ForwardModel(n_repeats=6, seed=FRESH_SEED)
    used = set(search_seeds) | set(verification_seeds)
    assert used.isdisjoint(unseen.simulation_seeds())
    assert used.isdisjoint(ForwardModel(n_repeats=6, seed=TARGET_SEED).simulation_seeds())
    fresh = unseen.population(result.scenario_class(result.params), fields, ClassLabel(label))
    for field in fields:
        path = field.path
        assert report["achieved"][path] == pytest.approx(report["search_population"]["mean"][path])
        assert report["achieved"][path] == pytest.approx(targets[field], rel=FORWARD_TOLERANCE, abs=0.5), path
        assert report["verification"]["within_tolerance"][path], report["verification"]
        sd = max(report["search_population"]["sd"][path] or 0.0, fresh.sd[field])
        allowed = tolerance(targets[field], sd, len(search_seeds), fresh.count[field])
        assert abs(fresh.mean[field] - targets[field]) <= allowed, (path, fresh.mean[field], targets[field], allowed)


def test_forward_model_draws_its_population_from_its_seed() -> None:
    forward = ForwardModel(n_steps=8, n_repeats=5, seed=42)
    assert forward.simulation_seeds() == ForwardModel(n_steps=8, n_repeats=5, seed=42).simulation_seeds()
    assert len(set(forward.simulation_seeds())) == 5
    assert set(forward.simulation_seeds()).isdisjoint(ForwardModel(n_repeats=5, seed=43).simulation_seeds())
    fields = _fields(["U26_Lepton35.hotspot_delta_c"])
    scenario = scenario_class("equipment_overheat")()
    population = forward.population(scenario, fields, ClassLabel.EQUIPMENT_OVERHEAT)
    assert population.count[fields[0]] == 5
    assert population.sd[fields[0]] > 0.0  # devices, weather and noise differ between the seeds
    with pytest.raises(ValueError, match="n_repeats must be >= 5"):
        RuleBasedInverseCrafter(forward=ForwardModel(n_repeats=2))


def test_crafter_draws_its_seeds_from_the_callers_seed() -> None:
    fields = _fields(["U26_Lepton35.hotspot_delta_c"])
    summary = _summary("equipment_overheat", fields, {fields[0]: 25.0})
    request = CraftRequest(summary, ClassLabel.EQUIPMENT_OVERHEAT, tuple(feature_targets(summary)))
    first = RuleBasedInverseCrafter(max_evaluations=20, seed=1).craft(request).report
    again = RuleBasedInverseCrafter(max_evaluations=20, seed=1).craft(request).report
    other = RuleBasedInverseCrafter(max_evaluations=20, seed=2).craft(request).report
    seeds = first["search_population"]["simulation_seeds"]
    assert seeds == again["search_population"]["simulation_seeds"]
    assert set(seeds).isdisjoint(other["search_population"]["simulation_seeds"])
    assert set(seeds).isdisjoint(first["verification"]["simulation_seeds"])
    assert first["verification"]["sd"][fields[0].path] > 0.0


def test_crafter_is_deterministic_and_stays_in_range() -> None:
    fields = _fields(["U20_SPS30.mass_concentration_pm2_5_ug_m3"])
    summary = _summary("normal", fields, {fields[0]: 900.0})
    request = CraftRequest(summary, ClassLabel.NORMAL, tuple(feature_targets(summary)))
    crafter = RuleBasedInverseCrafter(max_evaluations=30)
    first, second = crafter.craft(request), crafter.craft(request)
    assert first.params == second.params
    cls = first.scenario_class
    validated = cls.params_model.model_validate(first.params.model_dump())
    assert validated == first.params
    assert first.report["relative_errors"][fields[0].path] > 0


def test_crafter_explains_what_it_cannot_do() -> None:
    nothing = SampleFeaturesSummary(method="SHAP", target_class_for_explanation="arcing", top_n_features=[])
    with pytest.raises(CraftingError, match="names no scalar reading field"):
        RuleBasedInverseCrafter().craft(CraftRequest(nothing, ClassLabel.ARCING, ()))
    fields = _fields(["U23_BMP388.pressure_hpa"])
    summary = _summary("arcing", fields, {fields[0]: 1000.0})
    with pytest.raises(CraftingError, match="declares no parameter driving"):
        RuleBasedInverseCrafter().craft(CraftRequest(summary, ClassLabel.ARCING, tuple(feature_targets(summary))))


@pytest.mark.slow
def test_repository_crafts_saves_and_links(repository: SqlScenarioRepository) -> None:
    fields = _fields(["U26_Lepton35.hotspot_delta_c"])
    truth = _truth("equipment_overheat", fields, np.random.default_rng(3))
    value = RuleBasedInverseCrafter().forward.evaluate(truth, fields, ClassLabel.EQUIPMENT_OVERHEAT)[fields[0]]
    summary = _summary("equipment_overheat", fields, {fields[0]: value}).model_dump()
    repository.save_scenario_definition(truth.to_definition(scenario_definition_id="failing-run"))
    crafted = repository.craft_scenario_from_features(summary, "failing-run", sensor_type="U26_Lepton35")
    assert crafted.scenario_id.startswith("failing-run-crafted-")
    stored = repository.get_definition(crafted.scenario_id)
    assert stored.parent_scenario_id == "failing-run"
    assert {"origin:crafted", "crafter:rule_based_inverse", "sensor:U26_Lepton35"} <= set(stored.tags)
    lineage = repository.get_lineage(crafted.scenario_id)
    assert lineage is not None and lineage["report"]["relative_errors"][fields[0].path] < FORWARD_TOLERANCE
    again = repository.craft_scenario_from_features(summary, "failing-run", sensor_type="U26_Lepton35")
    assert again.scenario_id == crafted.scenario_id
    assert repository.count_definitions() == 2


def _pm_level(run: SimulationResult) -> float:
    """Median PM2.5 over the second half of a short run, µg/m³."""
    pm = np.asarray(run.readings["U20_SPS30"]["mass_concentration_pm2_5_ug_m3"], dtype=float)
    return float(np.nanmedian(pm[len(pm) // 2 :]))


def _dense_smoke_score(scenario: BaseScenario[Any], run: SimulationResult) -> float:
    """A stand-in for the model's error: it fails on dense smoke, more the denser."""
    return min(max((_pm_level(run) - 10.0) / 150.0, 0.0), 1.0)


def _pm_request() -> CraftRequest:
    fields = _fields(["U20_SPS30.mass_concentration_pm2_5_ug_m3"])
    summary = _summary("normal", fields, {fields[0]: 60.0})
    return CraftRequest(summary, ClassLabel.NORMAL, tuple(feature_targets(summary)))


@pytest.mark.slow
@pytest.mark.parametrize("sampler", ["cross_entropy", "bandit"])
def test_failure_seeking_concentrates_on_high_scores(sampler: Any) -> None:
    request = _pm_request()
    uniform_levels: list[float] = []

    def records_the_level(scenario: BaseScenario[Any], run: SimulationResult) -> float:
        uniform_levels.append(_pm_level(run))
        return 0.0

    uniform = FailureSeekingCrafter(
        records_the_level,
        rng=np.random.default_rng(99),
        candidates_per_craft=40,
    )
    uniform.craft(request)  # a fresh crafter samples uniformly: this is the baseline
    threshold = float(np.percentile(uniform_levels, 75))

    def fails_on_dense_smoke(scenario: BaseScenario[Any], run: SimulationResult) -> float:
        return float(_pm_level(run) >= threshold)

    crafter = FailureSeekingCrafter(
        fails_on_dense_smoke, rng=np.random.default_rng(4), sampler=sampler, candidates_per_craft=10
    )
    results = [crafter.craft(request) for _ in range(8)]
    (region,) = crafter.regions.values()
    hits = np.asarray(region.scores)
    assert len(hits) == 80
    assert hits[-30:].mean() >= 0.6  # uniform sampling hits the top quarter 25 % of the time
    assert results[-1].report["best_score"] == 1.0
    assert _pm_level(crafter.forward.run(results[-1].scenario_class(results[-1].params))) >= threshold
    if sampler == "cross_entropy":
        assert region.probabilities.max() > 0.4


def test_failure_seeking_state_round_trips_and_resumes_exactly(tmp_path: Any) -> None:
    request = _pm_request()

    def crafter(seed: int) -> FailureSeekingCrafter:
        return FailureSeekingCrafter(_dense_smoke_score, rng=np.random.default_rng(seed), candidates_per_craft=4)

    original = crafter(7)
    for _ in range(2):
        original.craft(request)
    original.save_state(tmp_path / "state.json")
    resumed = crafter(12345)
    resumed.load_state(tmp_path / "state.json")
    assert resumed.state_dict() == original.state_dict()
    assert resumed.craft(request).params == original.craft(request).params
    assert resumed.state_dict() == original.state_dict()
    with pytest.raises(ValueError, match="sampler"):
        FailureSeekingCrafter(_dense_smoke_score, rng=np.random.default_rng(0), sampler="bandit").load_state_dict(
            original.state_dict()
        )


@pytest.mark.slow
def test_repository_with_a_failure_seeking_crafter(backend: Backend) -> None:
    crafter = FailureSeekingCrafter(_dense_smoke_score, rng=np.random.default_rng(2), candidates_per_craft=6)
    with backend.open(crafter=crafter) as repository:
        summary = _pm_request().summary
        crafted = repository.craft_scenario_from_features(summary, "cycle-4-spot-1")
        assert crafted.class_label is ClassLabel.NORMAL
        lineage = repository.get_lineage(crafted.scenario_id)
        assert lineage is not None
        assert lineage["report"]["sampler"] == "cross_entropy"
        assert lineage["report"]["best_score"] == max(next(iter(crafter.regions.values())).scores)
        assert "crafter:failure_seeking" in repository.get_definition(crafted.scenario_id).tags


def test_population_grows_with_the_spread_of_the_readings() -> None:
    quiet = [(100.0, 100.0, 1.0)]
    assert population_size(quiet, MIN_POPULATION, 24) == MIN_POPULATION
    # A plume reading spreading by a quarter of its mean needs far more seeds than five: capped.
    assert population_size([(42.0, 60.0, 16.0)], MIN_POPULATION, 24) == 24
    # Two standard errors must fit in 5 % · |target| + 0.5: sd 2 around 40 needs ⌈(4 / 2.5)²⌉ = 3 → 5.
    assert population_size([(40.0, 40.0, 2.0)], MIN_POPULATION, 24) == MIN_POPULATION
    # The spread scales with the level: sd 5 at mean 50, target 100 → sd 10, ⌈(20 / 5.5)²⌉ = 14.
    assert population_size([(100.0, 50.0, 5.0)], MIN_POPULATION, 24) == 14
    assert population_size([(10.0, float("nan"), float("nan"))], MIN_POPULATION, 24) == MIN_POPULATION
    with pytest.raises(ValueError, match="max_population"):
        RuleBasedInverseCrafter(max_population=3)


@pytest.mark.slow
def test_search_stops_once_every_mean_is_well_inside_its_tolerance() -> None:
    fields = _fields(["U26_Lepton35.hotspot_delta_c"])
    summary = _summary("equipment_overheat", fields, {fields[0]: 25.0})
    request = CraftRequest(summary, ClassLabel.EQUIPMENT_OVERHEAT, tuple(feature_targets(summary)))
    early = RuleBasedInverseCrafter(seed=5).craft(request).report
    full = RuleBasedInverseCrafter(seed=5, stop_fraction=0.0, target_loss=0.0).craft(request).report
    band = 0.25 * (0.05 * 25.0 + 0.5)
    assert abs(early["search_population"]["mean"][fields[0].path] - 25.0) <= band
    assert early["evaluations"] < full["evaluations"]
    assert early["simulations"] == 5 + (early["evaluations"] + 1) * early["population_size"]
    with pytest.raises(ValueError, match="stop_fraction"):
        RuleBasedInverseCrafter(stop_fraction=1.5)
