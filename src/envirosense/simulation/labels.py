"""Ground-truth labels per timestep."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from envirosense.schemas import ClassLabel


@dataclass
class LabelTrack:
    """Labels for every timestep of one simulation; arrays have shape ``(T,)``.

    A hazard that has not begun yet is ``normal`` with severity 0 at that timestep.
    """

    class_label: NDArray[np.object_]
    event_type: NDArray[np.object_]
    is_anomaly: NDArray[np.bool_]
    severity: NDArray[np.float64]
    scenario_class_name: str
    is_confounder: bool = False
    hazard_onset_seconds: float | None = None
    source_distance_m: float | None = None

    @classmethod
    def constant(
        cls,
        n_steps: int,
        label: ClassLabel,
        event_type: str,
        scenario_class_name: str,
        *,
        is_confounder: bool = False,
        source_distance_m: float | None = None,
    ) -> LabelTrack:
        """The same label at every timestep (normal and confounder scenarios)."""
        return cls(
            class_label=np.full(n_steps, label.value, dtype=object),
            event_type=np.full(n_steps, event_type, dtype=object),
            is_anomaly=np.full(n_steps, label is not ClassLabel.NORMAL),
            severity=np.zeros(n_steps),
            scenario_class_name=scenario_class_name,
            is_confounder=is_confounder,
            source_distance_m=source_distance_m,
        )

    @classmethod
    def hazard(
        cls,
        times_s: NDArray[np.float64],
        label: ClassLabel,
        event_type: str,
        scenario_class_name: str,
        *,
        onset_seconds: float,
        severity: NDArray[np.float64],
        source_distance_m: float | None = None,
        quiet_event_type: str = "baseline",
    ) -> LabelTrack:
        """``label`` from ``onset_seconds`` on, ``normal`` before it; ``severity`` in [0, 1] per step."""
        active = times_s >= onset_seconds
        return cls(
            class_label=np.where(active, label.value, ClassLabel.NORMAL.value).astype(object),
            event_type=np.where(active, event_type, quiet_event_type).astype(object),
            is_anomaly=active,
            severity=np.where(active, np.clip(severity, 0.0, 1.0), 0.0),
            scenario_class_name=scenario_class_name,
            hazard_onset_seconds=onset_seconds,
            source_distance_m=source_distance_m,
        )
