"""What a run pays in simulation: a count of the samples simulated, whichever step simulated them."""

from __future__ import annotations


class SimulationCounter:
    """Samples simulated since the count was last taken.

    The run's ``SampleMaker`` adds every sample it generates (probe, pools, candidates, exploration); a
    step that simulates outside it (a crafter's search and verification runs) adds its own with ``add``.
    The runner takes the count once per cycle into ``CycleSummary.samples_simulated``.
    """

    def __init__(self) -> None:
        self.samples = 0

    def add(self, samples: int) -> None:
        """Count ``samples`` (≥ 0) more simulated samples."""
        if samples < 0:
            raise ValueError(f"a simulated sample count cannot be negative, got {samples}")
        self.samples += samples

    def take(self) -> int:
        """The samples counted since the last ``take``; the count restarts at 0."""
        taken, self.samples = self.samples, 0
        return taken
