"""A small but real loop configuration for tests: every part runs, on tiny budgets."""

from __future__ import annotations

from pathlib import Path

SMALL_RUN_TOML = """
workspace = "{workspace}"

[model]
n_estimators = 24

[generation]
workers = 1

[datasets]
initial_samples = 160
evaluation_samples = 160
initial_seed = 11
evaluation_seed = 12

[active_learning]
strategy = "{strategy}"
seed = 5
review = "{review}"
pool_factor = 2

[active_learning.budget]
samples_per_cycle = 80
exploration_share = 0.25
max_spots_per_cycle = 4
min_samples_per_spot = 10
samples_per_scenario_run = 10
probe_samples = 120

[active_learning.stopping]
max_cycles = 2
target_macro_f1 = 0.999
plateau_cycles = 5
"""


def write_small_config(directory: Path, workspace: Path, strategy: str = "alm", review: str = "auto") -> Path:
    path = directory / f"run-{strategy}-{review}.toml"
    path.write_text(SMALL_RUN_TOML.format(workspace=workspace, strategy=strategy, review=review), encoding="utf-8")
    return path
