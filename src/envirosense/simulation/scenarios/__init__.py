"""The built-in scenario catalogue. Importing this package registers every class."""

from envirosense.simulation.scenarios.normal import BaselineOperationScenario

__all__ = ["BaselineOperationScenario"]
