"""What a finished (or running) active-learning run looks like, cycle by cycle: the report's input."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from envirosense.ops.timing import BOOKKEEPING
from envirosense.schemas import ConfusionMatrix, WeakSpot


class CraftedScenario(BaseModel):
    """A scenario definition a cycle created, with the reason it was created."""

    model_config = ConfigDict(extra="forbid")

    scenario_definition_id: str
    scenario_class_name: str
    action: str = Field(description="variation | craft | class_known | exploration | random | pool")
    weak_spot_id: str | None = None
    parent_scenario_id: str | None = None
    params: dict[str, object] = Field(default_factory=dict)
    samples: int = 0


class CycleSummary(BaseModel):
    """One cycle's outcome; cycle 0 is the initial model."""

    model_config = ConfigDict(extra="forbid")

    cycle_index: int = Field(ge=0)
    samples_total: int = Field(ge=0, description="Training samples the cycle's model was trained on.")
    samples_simulated: int | None = Field(
        None,
        ge=0,
        description="Samples simulated by the run up to this cycle, cumulative: the initial set, then every probe, "
        "pool, candidate and exploration run that went through the run's sample maker; a cycle resumed in a new "
        "process counts only what it simulated after the resume (None: recorded before issue 17).",
    )
    macro_f1: float
    accuracy: float
    per_class_f1: dict[str, float]
    mean_uncertainty: float | None = None
    model_version: str
    promoted: bool = True
    confusion_matrix: ConfusionMatrix | None = None
    weak_spots: list[WeakSpot] = Field(default_factory=list)
    scenarios: list[CraftedScenario] = Field(default_factory=list)
    degraded: list[str] = Field(
        default_factory=list, description="Steps the cycle did without a service that was down, and why."
    )
    step_seconds: dict[str, float] = Field(
        default_factory=dict, description="Wall time of each step of the cycle, in step order, s (empty: not recorded)."
    )

    def wall_seconds(self) -> float:
        """The cycle's wall time, s: the sum of its profile (0 when not recorded)."""
        return sum(self.step_seconds.values())

    def bookkeeping_share(self) -> float:
        """The fraction of the cycle's wall time spent on bookkeeping (database, model registry, tracking);
        0 when no profile was recorded."""
        wall = self.wall_seconds()
        return sum(self.step_seconds.get(step, 0.0) for step in BOOKKEEPING) / wall if wall > 0 else 0.0

    def absent_classes(self) -> list[str]:
        """Classes without an evaluation sample (confusion-matrix rows summing to 0), in matrix order: they
        are left out of ``macro_f1``. Empty without a confusion matrix."""
        matrix = self.confusion_matrix
        if matrix is None:
            return []
        return [label for label, row in zip(matrix.labels, matrix.counts, strict=True) if sum(row) == 0]


class RunHistory(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_id: str
    strategy: str
    status: str
    cycles: list[CycleSummary]

    def learning_curve(self) -> tuple[list[int], list[float]]:
        """(training samples, champion macro-F1) per cycle: the best model so far at each sample count."""
        return [cycle.samples_total for cycle in self.cycles], self._best_so_far()

    def simulation_curve(self) -> tuple[list[int], list[float]] | None:
        """(samples simulated so far, champion macro-F1) per cycle: what the run paid for each score.

        ``None`` when a cycle did not record ``samples_simulated`` (recorded before it existed): the counts of
        the cycles after it would start again from 0, so a partial curve would understate the cost.
        """
        simulated = [cycle.samples_simulated for cycle in self.cycles if cycle.samples_simulated is not None]
        if len(simulated) < len(self.cycles):
            return None
        return simulated, self._best_so_far()

    def _best_so_far(self) -> list[float]:
        scores: list[float] = []
        best = float("-inf")
        for cycle in self.cycles:
            best = max(best, cycle.macro_f1)
            scores.append(best)
        return scores
