"""Which acquisition policy a run uses: ``strategy`` of the config → a factory of the policy.

Adding a policy is one class implementing ``AcquisitionPolicy`` plus one ``register_policy`` call; the
config then accepts its name as ``strategy`` and assembly builds it (see docs/learning.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from envirosense.learning.cluster_margin import ClusterMarginPolicy
from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.policies import AcquisitionPolicy, PoolMarginPolicy, RandomPolicy
from envirosense.learning.sampling import SampleMaker
from envirosense.learning.sources import label_balanced_definitions
from envirosense.learning.targeted import TargetedPolicy
from envirosense.models.interface import ModelInterface
from envirosense.repository.interface import ScenarioRepositoryInterface


@dataclass(frozen=True)
class PolicyParts:
    """What a policy may be built from: the shared sample machinery, the scenario repository and the
    model interface that scores under the champion."""

    maker: SampleMaker
    repository: ScenarioRepositoryInterface
    model_interface: ModelInterface


PolicyFactory = Callable[[ActiveLearningConfig, PolicyParts], AcquisitionPolicy]
ConfigCheck = Callable[[ActiveLearningConfig], None]
"""Raises ``ValueError`` naming the keys when a config does not suit the policy."""


def _targeted_budget(config: ActiveLearningConfig) -> None:
    targeted = config.budget.samples_per_cycle * (1 - config.budget.exploration_share)
    if 0 < targeted < config.budget.min_samples_per_spot:
        raise ValueError(
            "samples_per_cycle × (1 − exploration_share) must cover min_samples_per_spot "
            "(or set exploration_share = 1: only uniform proposals)"
        )


def _matched_budget(config: ActiveLearningConfig) -> None:
    pool = config.budget.simulation_samples_per_cycle
    if pool is None:
        raise ValueError(
            "strategy pool-margin-matched needs budget.simulation_samples_per_cycle (the samples alm simulates "
            "per cycle)"
        )
    if pool < config.budget.samples_per_cycle:
        raise ValueError("budget.simulation_samples_per_cycle must be at least budget.samples_per_cycle")


_POLICIES: dict[str, PolicyFactory] = {
    "alm": lambda config, parts: TargetedPolicy(
        parts.maker, parts.repository, parts.model_interface, config.targeting, config.budget, config.pool_factor
    ),
    "random": lambda config, parts: RandomPolicy(parts.maker),
    "pool-margin": lambda config, parts: PoolMarginPolicy(parts.maker, config.pool_factor),
    "pool-margin-balanced": lambda config, parts: PoolMarginPolicy(
        parts.maker, config.pool_factor, draw=label_balanced_definitions, name="pool-margin-balanced"
    ),
    "pool-margin-matched": lambda config, parts: PoolMarginPolicy(
        parts.maker,
        config.pool_factor,
        pool_samples=config.budget.simulation_samples_per_cycle,
        name="pool-margin-matched",
    ),
    "cluster-margin": lambda config, parts: ClusterMarginPolicy(parts.maker, config.pool_factor),
}


_CHECKS: dict[str, ConfigCheck] = {"alm": _targeted_budget, "pool-margin-matched": _matched_budget}


def register_policy(name: str, factory: PolicyFactory, *, check: ConfigCheck | None = None) -> None:
    """Make ``strategy = name`` build the policy ``factory(config, parts)`` returns; ``check`` validates a
    config naming it (raise ``ValueError``)."""
    if not name or name != name.strip():
        raise ValueError(f"a policy name must be a non-empty word, got {name!r}")
    _POLICIES[name] = factory
    if check is not None:
        _CHECKS[name] = check


def check_config(config: ActiveLearningConfig) -> None:
    """Run the check the policy of ``config.strategy`` registered, if any."""
    check = _CHECKS.get(config.strategy)
    if check is not None:
        check(config)


def check_model_kind(config: ActiveLearningConfig, kind: str) -> None:
    """Refuse what the model of ``model.kind`` cannot answer: alm's epistemic ranking needs the forest's
    members, which a model server does not return."""
    if config.strategy == "alm" and config.targeting.uncertainty == "epistemic" and kind == "api":
        raise ValueError(
            "active_learning.targeting.uncertainty = 'epistemic' needs the forest's members, which model.kind = "
            "'api' does not return; use uncertainty = 'margin' or model.kind = 'local'"
        )


def policy_names() -> list[str]:
    """The strategies a config may name."""
    return sorted(_POLICIES)


def build_policy(config: ActiveLearningConfig, parts: PolicyParts) -> AcquisitionPolicy:
    """The policy of ``config.strategy``."""
    if config.strategy not in _POLICIES:
        raise ValueError(f"unknown strategy {config.strategy!r}; choose one of {', '.join(policy_names())}")
    return _POLICIES[config.strategy](config, parts)
