"""Budget by learning progress: classes whose F1 rose after they were given samples get more, classes that
did not improve get less (a deterministic multiplicative-weights bandit).

Every cycle records, in its folder, how many proposal runs each class's weak spots received
(``allocation.json``), next to the champion's feedback on that cycle's probe (``probe_feedback.json``, a
fresh uniform draw). A class's reward for cycle t is its probe F1 at cycle t + 1 minus at cycle t; its
progress is the mean reward over the cycles that funded it. A weak spot's weight is its priority times
``exp(rate × progress)``: a class that gained 0.1 F1 per funded cycle gets e¹ ≈ 2.7× at rate 10, one that
lost 0.1 gets 0.37×, and a class never funded keeps its priority. The state is a pure function of files
a cycle writes before its next step is recorded, so a resumed run allocates exactly as the first did.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from envirosense.schemas import ModelPerformanceData

ALLOCATION_FILE = "allocation.json"
PROBE_FEEDBACK_FILE = "probe_feedback.json"

Funded = Mapping[str, int]
"""Class label → proposal runs its weak spots received in one cycle."""


def class_progress(funded: Sequence[Funded], probe_f1: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Mean F1 gain per funded cycle, per class.

    ``funded[t]`` is cycle t's allocation, ``probe_f1[t]`` the champion's per-class F1 on cycle t's probe;
    ``probe_f1`` has one entry more than the cycles whose reward is known (the last allocation's reward
    is the next probe). A class missing from either probe of a pair is not rewarded for that cycle.
    """
    rewards: dict[str, list[float]] = {}
    for t, allocation in enumerate(funded[: max(len(probe_f1) - 1, 0)]):
        before, after = probe_f1[t], probe_f1[t + 1]
        for label, runs in allocation.items():
            if runs > 0 and label in before and label in after:
                rewards.setdefault(label, []).append(after[label] - before[label])
    return {label: sum(gains) / len(gains) for label, gains in sorted(rewards.items())}


def progress_weights(
    priorities: Sequence[float], labels: Sequence[str], progress: Mapping[str, float], rate: float
) -> list[float]:
    """Each spot's ``priority × exp(rate × progress of its class)`` (classes without progress: × 1)."""
    return [
        priority * math.exp(rate * progress.get(label, 0.0)) for priority, label in zip(priorities, labels, strict=True)
    ]


class ProgressLedger:
    """Reads and writes the per-cycle allocations and probe F1 of one run folder (``run_dir/cycle-<i>``)."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir

    def _cycle(self, index: int) -> Path:
        return self.run_dir / f"cycle-{index}"

    def record(self, index: int, allocation: Funded) -> None:
        """Write cycle ``index``'s allocation (rewritten identically when a cycle is resumed)."""
        folder = self._cycle(index)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ALLOCATION_FILE).write_text(json.dumps(dict(sorted(allocation.items()))), encoding="utf-8")

    def progress(self, index: int) -> dict[str, float]:
        """Per-class progress known at the start of cycle ``index`` (from cycles 1 … index − 1 and the probes
        of cycles 1 … index). Cycles without a probe or an allocation end the known history."""
        funded: list[Funded] = []
        probe_f1: list[dict[str, float]] = []
        for t in range(1, index + 1):
            feedback = self._cycle(t) / PROBE_FEEDBACK_FILE
            if not feedback.is_file():
                break
            data = ModelPerformanceData.model_validate_json(feedback.read_text("utf-8"))
            probe_f1.append({label: m.f1_score for label, m in data.per_class_metrics.items()})
            allocation = self._cycle(t) / ALLOCATION_FILE
            if t < index:
                if not allocation.is_file():
                    break
                funded.append(json.loads(allocation.read_text("utf-8")))
        return class_progress(funded, probe_f1)
