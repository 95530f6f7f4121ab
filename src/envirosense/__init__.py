"""EnviroSense: simulation-driven active learning for environmental-sensor hazard detection."""

__version__ = "0.1.0"
