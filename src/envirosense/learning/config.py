"""Configuration of the active-learning loop: every key documented, every default sensible."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from envirosense.schemas import ClassLabel


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class WeakSpotConfig(_Config):
    """How weak spots are found in a ModelPerformanceData."""

    low_recall_threshold: float = Field(0.75, ge=0, le=1, description="A class below this recall is weak.")
    min_class_support: int = Field(5, ge=1, description="Ignore classes with fewer evaluation samples.")
    uncertainty_threshold: float = Field(
        0.35, ge=0, description="Uncertain samples scoring at least this (the feedback's measure) are weak spots."
    )
    merge_distance: float = Field(
        1.5, gt=0, description="Samples closer than this (standardised feature space) merge into one spot."
    )
    max_spots_per_type: int = Field(12, ge=1, description="Cap on spots of each type per cycle.")


class RealTimeStrategyConfig(_Config):
    """Cheap uncertainty sampling for stream-like sensors (lightning, IMU, acoustic)."""

    min_utility: float = Field(0.05, ge=0, le=1, description="Spots scoring below this are dropped.")


class HighFidelityStrategyConfig(_Config):
    """Epistemic- and disagreement-weighted scoring for slow, high-value sensors (thermal, VOC, PM, EMF)."""

    epistemic_weight: float = Field(0.6, ge=0, description="Weight of the normalised epistemic uncertainty.")
    disagreement_weight: float = Field(0.4, ge=0, description="Weight of committee disagreement.")
    aleatoric_penalty: float = Field(
        0.3, ge=0, description="How much irreducible (aleatoric) noise lowers a spot's utility."
    )
    class_criticality: dict[ClassLabel, float] = Field(
        default_factory=lambda: {
            ClassLabel.EARLY_COMBUSTION: 1.5,
            ClassLabel.ARCING: 1.5,
            ClassLabel.FIRE_PRECURSOR: 1.3,
            ClassLabel.INSULATION_BREAKDOWN: 1.3,
            ClassLabel.EQUIPMENT_OVERHEAT: 1.2,
            ClassLabel.CORONA_DISCHARGE: 1.1,
            ClassLabel.NORMAL: 1.0,
        },
        description="Multiplier per class the spot is about (missing a fire costs more than a false alarm).",
    )
    min_utility: float = Field(0.05, ge=0, le=1, description="Spots scoring below this are dropped.")


class HeterogeneousStrategyConfig(_Config):
    """Mixed sensor suites: per sensor-family weights and a cap per sensor."""

    family_weights: dict[str, float] = Field(
        default_factory=lambda: {"real_time": 0.8, "high_fidelity": 1.0, "ambient": 0.7, "mixed": 1.0},
        description="Multiplier per sensor family (real_time, high_fidelity, ambient, mixed).",
    )
    max_spots_per_sensor: int = Field(4, ge=1, description="At most this many spots point at one sensor.")
    min_utility: float = Field(0.05, ge=0, le=1, description="Spots scoring below this are dropped.")


class StrategyConfig(_Config):
    route_by_sensor_family: bool = Field(
        True, description="Route each spot to the strategy of its sensor's family; off: Heterogeneous for all."
    )
    real_time: RealTimeStrategyConfig = Field(default_factory=RealTimeStrategyConfig)
    high_fidelity: HighFidelityStrategyConfig = Field(default_factory=HighFidelityStrategyConfig)
    heterogeneous: HeterogeneousStrategyConfig = Field(default_factory=HeterogeneousStrategyConfig)


class BudgetConfig(_Config):
    samples_per_cycle: int = Field(600, ge=10, description="New samples generated per cycle.")
    exploration_share: float = Field(
        1.0,
        ge=0,
        le=1,
        description="Share of alm's proposal runs drawn at random (as targeting.exploration_draw says); the rest "
        "go to variations around the weak spots.",
    )
    max_spots_per_cycle: int = Field(12, ge=1, description="At most this many weak spots get samples.")
    min_samples_per_spot: int = Field(20, ge=1, description="A spot that gets samples gets at least this many.")
    samples_per_scenario_run: int = Field(
        20, ge=1, le=500, description="Samples taken evenly over each simulated scenario run (one work unit)."
    )
    probe_samples: int = Field(
        600, ge=50, description="Samples of the fresh probe set the champion is evaluated on to find weak spots."
    )
    simulation_samples_per_cycle: int | None = Field(
        None,
        ge=10,
        description="pool-margin-matched: samples simulated per cycle for its pool (set it to what alm simulates "
        "per cycle, to compare the two at equal simulation cost); at least samples_per_cycle.",
    )


class TargetingConfig(_Config):
    """How alm builds a cycle's candidate pool and picks from it (see docs/learning.md, "The method")."""

    pool_factor: int | None = Field(
        None,
        ge=1,
        description="Simulate this many times the cycle's budget, probe included (None: the run's pool_factor, "
        "so alm simulates as many samples as pool-margin).",
    )
    exploration_draw: Literal["scenario", "label", "lookalike", "contrast"] = Field(
        "label",
        description="How alm's random proposals are drawn: label (a class label evenly, then a scenario class of "
        "it: every label equally), lookalike (as label, but the normal label's runs go to its six confounder "
        "classes only, the hazards' look-alikes; the plain normal classes come with the probe), contrast "
        "(evenly over 13 strata: each hazard label, each of the six confounder classes alone, the plain normal "
        "classes together, so every look-alike gets a hazard's share), or scenario "
        "(a scenario class uniformly: the catalogue's mix, 9 of its 17 classes normal).",
    )
    use_variation: bool = Field(True, description="Vary the scenario that produced the failure.")
    use_crafting: bool = Field(
        False,
        description="Craft scenarios from the failure's feature summary (its verification simulations come on "
        "top of pool_factor).",
    )
    craft_share: float = Field(
        0.3, ge=0, le=1, description="Share of a spot's runs given to crafting when both are possible."
    )
    failure_seeking: bool = Field(
        True, description="Craft with the failure-seeking search scored by the current model (else rule-based)."
    )
    progress_budget: bool = Field(
        True, description="Weight each weak spot by its class's measured F1 gain after earlier spending."
    )
    progress_rate: float = Field(
        10.0, ge=0, description="A class gaining g F1 per funded cycle gets exp(rate × g) times its priority."
    )
    diversity: bool = Field(
        True,
        description="Pick the batch by k-means++ seeding over the uncertainty embedding (else smallest margins).",
    )
    uncertainty: Literal["margin", "epistemic", "loss"] = Field(
        "margin",
        description="Rank the pool by total uncertainty (top-two margin), by epistemic uncertainty (mutual "
        "information between prediction and forest member; needs model.kind = local) or by the champion's "
        "error on the simulator's label (1 − p(true class)).",
    )
    shortlist_factor: float = Field(
        2.0,
        ge=1,
        description="Diversify only among this many times the budget of most uncertain candidates "
        "(cluster-margin's filter).",
    )
    max_share_per_run: float = Field(
        0.5, gt=0, le=1, description="At most this share of one scenario run's samples joins the training set."
    )
    neighbourhood_spread: float = Field(0.08, gt=0, le=1, description="Step of a variation, share of each range.")
    driver_spread: float = Field(
        0.2, gt=0, le=1, description="Step for parameters driving the explained features, share of each range."
    )


class StoppingConfig(_Config):
    max_cycles: int = Field(5, ge=1, description="Stop after this many cycles.")
    target_macro_f1: float | None = Field(0.95, ge=0, le=1, description="Stop once the champion reaches it.")
    total_sample_budget: int | None = Field(None, ge=1, description="Stop once this many samples exist.")
    plateau_cycles: int | None = Field(3, ge=1, description="Stop after this many cycles without a gain.")
    plateau_min_gain: float = Field(0.002, ge=0, description="Macro-F1 gain that counts as progress.")
    min_mean_uncertainty: float | None = Field(
        None, ge=0, description="Stop once the mean uncertainty of the reported uncertain samples falls below it."
    )


class ResilienceConfig(_Config):
    """What a cycle does when the model server or the generator's executor is down (after the client's own
    retries and with its circuit breaker open)."""

    on_service_down: Literal["wait", "skip"] = Field(
        "wait",
        description="wait: retry the step until the service is back (the run's result is as if nothing "
        "happened); skip: degrade the steps that can go without it (no probe: the cycle's budget goes to "
        "exploration; no selection: a seeded random subset is kept; no failure-seeking: crafting falls back). "
        "Deploying and scoring a candidate always wait.",
    )
    max_wait_s: float = Field(
        900.0, gt=0, description="Longest wait for one step, s; then the run stops as failed (resume continues)."
    )
    poll_s: float = Field(5.0, gt=0, description="Pause between attempts while a service is down, s.")


class ActiveLearningConfig(_Config):
    """Everything that steers one run of the loop."""

    strategy: str = Field(
        "alm",
        description="The acquisition policy: alm (targeted), or the random / pool-margin / pool-margin-balanced / "
        "pool-margin-matched / cluster-margin baselines on the same machinery, or the name of a registered policy.",
    )
    seed: int = Field(0, ge=0, description="Seed of every random draw of the run.")
    review: Literal["auto", "manual"] = Field(
        "auto", description="manual: generation waits until suggestions are approved or rejected."
    )
    pool_factor: int = Field(
        5,
        ge=2,
        description="pool-margin, pool-margin-balanced, cluster-margin: simulate a pool this many times the budget.",
    )
    weak_spots: WeakSpotConfig = Field(default_factory=WeakSpotConfig)
    strategies: StrategyConfig = Field(default_factory=StrategyConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    targeting: TargetingConfig = Field(default_factory=TargetingConfig)
    stopping: StoppingConfig = Field(default_factory=StoppingConfig)
    resilience: ResilienceConfig = Field(default_factory=ResilienceConfig)

    @field_validator("strategy")
    @classmethod
    def _registered_policy(cls, value: str) -> str:
        from envirosense.learning.policy_registry import policy_names  # the registry imports this module

        if value not in policy_names():
            raise ValueError(f"unknown strategy {value!r}; choose one of {', '.join(policy_names())}")
        return value

    @model_validator(mode="after")
    def _policy_accepts(self) -> ActiveLearningConfig:
        from envirosense.learning.policy_registry import check_config  # the registry imports this module

        check_config(self)
        return self
