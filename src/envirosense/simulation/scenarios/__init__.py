"""The built-in scenario catalogue. Importing this package registers every class.

Import order is registration order (``scenario_classes()``, the rows of ``envirosense simulate``):
normal, fire, electrical, then the confounders.
"""

# isort: skip_file
from envirosense.simulation.scenarios.normal import (
    BaselineOperationScenario,
    DiurnalCycleScenario,
    WeatherEventScenario,
)
from envirosense.simulation.scenarios.fire import (
    CellulosePyrolysisScenario,
    EarlyCombustionScenario,
    FirePrecursorCombinationScenario,
    LigninDecompositionScenario,
)
from envirosense.simulation.scenarios.electrical import (
    ArcingEventScenario,
    CoronaDischargeScenario,
    EquipmentOverheatScenario,
    InsulationBreakdownScenario,
)
from envirosense.simulation.scenarios.confounders import (
    DistantVegetationSmokeScenario,
    DustStormScenario,
    ElectronicInterferenceScenario,
    PassingLightningStormScenario,
    SunHeatedMetalScenario,
    TrafficExhaustScenario,
)

__all__ = [
    "ArcingEventScenario",
    "BaselineOperationScenario",
    "CellulosePyrolysisScenario",
    "CoronaDischargeScenario",
    "DistantVegetationSmokeScenario",
    "DiurnalCycleScenario",
    "DustStormScenario",
    "EarlyCombustionScenario",
    "ElectronicInterferenceScenario",
    "EquipmentOverheatScenario",
    "FirePrecursorCombinationScenario",
    "InsulationBreakdownScenario",
    "LigninDecompositionScenario",
    "PassingLightningStormScenario",
    "SunHeatedMetalScenario",
    "TrafficExhaustScenario",
    "WeatherEventScenario",
]
