"""Fire scenarios: pyrolysis before ignition (``fire_precursor``) and flaming (``early_combustion``).

Chemistry, particle sizes and heat follow docs/physics.md §2.1–2.2 and §5.1 (see
``physics.emissions``); transport is the Gaussian plume (``physics.plume``) from a source placed by
``SourceGeometry``, so distance, height, wind and stability decide what reaches the pole-top device.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from envirosense.schemas import ClassLabel, DifficultyLevel, ScenarioCategory
from envirosense.simulation.field import TrueField
from envirosense.simulation.labels import LabelTrack
from envirosense.simulation.physics.ambient import quiet_field
from envirosense.simulation.physics.emissions import (
    CELLULOSE_PYROLYSIS,
    FLAMING,
    LIGNIN_PYROLYSIS,
    EmissionProfile,
    add_source_emissions,
    blend_profiles,
    co_ef_from_mce,
)
from envirosense.simulation.registry import register_scenario
from envirosense.simulation.scenarios.common import (
    HOTSPOT_FEATURES,
    MIC_UPPER,
    RATED_ROI_FEATURE,
    SMOKE_FEATURES,
    SPS30,
    VOC,
    EquipmentGeometry,
    HazardParams,
    HazardScenario,
    SourceGeometry,
    add_sound,
    drivers,
    equipment_dilution,
    equipment_distance,
    outdoor_dilution,
    place_hotspot,
    range_fraction,
    source_distance,
)

FloatArray = NDArray[np.float64]

SMOULDER_HEAT_J_PER_G = 6_000.0
"""Heat released per gram of smouldering/pyrolysing material (smouldering ≈ 5–12 kJ/g) [unverified]."""
PYROLYSIS_MASS_FLUX_G_M2_S = 5.0
"""Mass loss per unit of actively pyrolysing surface, g/(m² s) (wood under ≈ 20–30 kW/m²) [unverified]:
it sets the hot area from the consumption, so a weak source is also a small, hard-to-see hotspot."""
FLAMING_HEAT_J_PER_G = 15_000.0
"""Effective heat of combustion of wood and vegetation, J/g (≈ 15 kJ/g, SFPE handbook)."""


PYROLYSIS_ONSET_C = 150.0
"""Surface temperature at which wood and debris begin to pyrolyse, °C (docs/physics.md §2.1: 150–400 °C
[S26]). Pyrolysis products come only from surface at least this hot, so a precursor's hot spot starts
here: the growth of the fire widens the hot area (``pyrolysing_diameter_m``) and takes the surface on to
its peak, it does not warm it up from the air."""


def pyrolysing_surface_c(peak_c: float, growth: FloatArray) -> FloatArray:
    """Surface temperature of the pyrolysing area, °C: from ``PYROLYSIS_ONSET_C`` to ``peak_c`` as
    ``√growth`` (growth 0 … 1, shape ``(n,)``)."""
    onset = min(PYROLYSIS_ONSET_C, peak_c)
    result: FloatArray = onset + (peak_c - onset) * np.sqrt(np.clip(growth, 0.0, 1.0))
    return result


def pyrolysing_diameter_m(consumption_g_s: FloatArray) -> FloatArray:
    """Diameter of the actively pyrolysing (hot) area for a consumption rate, m."""
    result: FloatArray = np.sqrt(4.0 / np.pi * consumption_g_s / PYROLYSIS_MASS_FLUX_G_M2_S)
    return result


def hot_part_with_debris(
    part_diameter_m: float, part_c: FloatArray, debris_diameter_m: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """The hot surface a camera sees where debris pyrolyses on a hot part: diameter (m) and temperature (°C).

    The debris's pyrolysing area (``pyrolysing_diameter_m``) is itself at least at the pyrolysis onset
    (docs/physics.md §2.1), so the hot surface is the part and the debris together: their areas add,
    and the temperature is the area-weighted mean of the part (``part_c``) and the debris at the onset.
    Shapes ``(n,)``.
    """
    part_area, debris_area = part_diameter_m**2, debris_diameter_m**2
    surface = (part_area * part_c + debris_area * np.minimum(PYROLYSIS_ONSET_C, part_c)) / (part_area + debris_area)
    diameter: FloatArray = np.sqrt(part_area + debris_area)
    return diameter, surface


class PyrolysisParams(HazardParams):
    """A cellulosic or woody material heated to pyrolysis, without flame."""

    fuel_consumption_g_s: float = Field(0.2, ge=0.02, le=2.0, description="Peak mass of material pyrolysing, g/s.")
    surface_temperature_c: float = Field(320.0, ge=180, le=400, description="Peak surface temperature, °C.")
    emissivity: float = Field(0.9, ge=0.7, le=0.95, description="Emissivity of the heated surface (ratio).")
    source: SourceGeometry = Field(default_factory=SourceGeometry, description="Where the material is.")


class LigninPyrolysisParams(PyrolysisParams):
    """Woody (lignin-rich) material pyrolysing: phenols, cresols and guaiacols."""

    surface_temperature_c: float = Field(340.0, ge=200, le=450, description="Peak surface temperature, °C.")


_PYROLYSIS_DRIVERS = {
    "fuel_consumption_g_s": (*SMOKE_FEATURES, *HOTSPOT_FEATURES, f"{VOC}.formaldehyde_ppb"),
    "surface_temperature_c": HOTSPOT_FEATURES,
    "source.in_camera_view": HOTSPOT_FEATURES,
    "source.distance_m": (*SMOKE_FEATURES, *HOTSPOT_FEATURES),
    "source.bearing_offset_deg": SMOKE_FEATURES,
    "source.height_offset_m": SMOKE_FEATURES,
    "environment.wind_speed_m_s": SMOKE_FEATURES,
}


class _PyrolysisScenario(HazardScenario[PyrolysisParams]):
    """Shared physics of flameless pyrolysis: the surface heats first, emissions follow."""

    emission_profile: ClassVar[EmissionProfile]
    category = ScenarioCategory.FIRE
    class_label = ClassLabel.FIRE_PRECURSOR
    intensity_parameter = "fuel_consumption_g_s"
    distance_parameter = "source.distance_m"

    def build_field(self, times_s: FloatArray, rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        p = self.params
        field = quiet_field(p.environment, p.device, times_s, rng)
        growth = self.growth(times_s)
        consumption = p.fuel_consumption_g_s * growth
        dilution = outdoor_dilution(field, p.environment, p.device, p.source, consumption * SMOULDER_HEAT_J_PER_G)
        add_source_emissions(field, dilution, consumption, self.emission_profile)
        if p.source.in_camera_view:
            surface = pyrolysing_surface_c(p.surface_temperature_c, growth)
            distance = source_distance(p.source, p.device)
            diameter = pyrolysing_diameter_m(consumption)
            place_hotspot(field, surface, diameter, distance, p.emissivity, active=growth > 0, on_equipment=False)
        field.extras["consumption_g_s"] = consumption
        field.extras["dilution_s_m3"] = dilution
        strength = 0.2 + 0.8 * range_fraction(type(p), "fuel_consumption_g_s", p.fuel_consumption_g_s)
        return field, self.hazard_labels(times_s, growth * strength, p.source.distance_m)


@register_scenario
class CellulosePyrolysisScenario(_PyrolysisScenario):
    """Cellulosic material (dry grass, paper, cotton) pyrolysing at 180–400 °C: carbonyls, CO and smoke."""

    params_model = PyrolysisParams
    emission_profile = CELLULOSE_PYROLYSIS
    event_type = "cellulose_pyrolysis"
    difficulty = DifficultyLevel.HIGH
    sensor_drivers = drivers(
        {
            **_PYROLYSIS_DRIVERS,
            "fuel_consumption_g_s": (*_PYROLYSIS_DRIVERS["fuel_consumption_g_s"], f"{VOC}.acrolein_ppb"),
        }
    )


@register_scenario
class LigninDecompositionScenario(_PyrolysisScenario):
    """Woody material pyrolysing at 200–450 °C: phenol, cresol and guaiacol with CO and tarry smoke."""

    params_model = LigninPyrolysisParams
    emission_profile = LIGNIN_PYROLYSIS
    event_type = "lignin_decomposition"
    difficulty = DifficultyLevel.MEDIUM
    sensor_drivers = drivers(
        {
            **_PYROLYSIS_DRIVERS,
            "fuel_consumption_g_s": (
                *_PYROLYSIS_DRIVERS["fuel_consumption_g_s"],
                f"{VOC}.phenol_ppb",
                f"{VOC}.cresol_ppb",
                f"{VOC}.guaiacol_ppb",
            ),
        }
    )


class EarlyCombustionParams(HazardParams):
    """A small flaming fire."""

    fuel_consumption_g_s: float = Field(2.0, ge=0.3, le=20, description="Peak burning rate, g/s.")
    combustion_efficiency: float = Field(
        0.96, ge=0.9, le=0.99, description="Modified combustion efficiency ΔCO₂/(ΔCO₂+ΔCO) (ratio)."
    )
    flame_temperature_c: float = Field(800.0, ge=500, le=1000, description="Flame temperature, °C.")
    crackle_level_db_at_1m: float = Field(
        75.0, ge=60, le=90, description="Crackle level at 1 m at full size, dB SPL [unverified range]."
    )
    source: SourceGeometry = Field(default_factory=SourceGeometry, description="Where the fire is.")


@register_scenario
class EarlyCombustionScenario(HazardScenario[EarlyCombustionParams]):
    """Flaming combustion: CO and NOx, ultrafine soot, a hot flame in view, crackle, a rising plume."""

    params_model = EarlyCombustionParams
    class_label = ClassLabel.EARLY_COMBUSTION
    category = ScenarioCategory.FIRE
    event_type = "early_combustion"
    difficulty = DifficultyLevel.LOW
    intensity_parameter = "fuel_consumption_g_s"
    distance_parameter = "source.distance_m"
    sensor_drivers = drivers(
        {
            "fuel_consumption_g_s": (*SMOKE_FEATURES, *HOTSPOT_FEATURES, f"{SPS30}.number_concentration_pm0_5_per_cm3"),
            "combustion_efficiency": (f"{VOC}.general_reducing_ppb", f"{VOC}.general_oxidising_ppb"),
            "flame_temperature_c": HOTSPOT_FEATURES,
            "crackle_level_db_at_1m": (f"{MIC_UPPER}.band_mid_db", f"{MIC_UPPER}.crest_factor_db"),
            "source.distance_m": (*SMOKE_FEATURES, *HOTSPOT_FEATURES),
            "source.bearing_offset_deg": SMOKE_FEATURES,
            "environment.wind_speed_m_s": SMOKE_FEATURES,
        }
    )

    def build_field(self, times_s: FloatArray, rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        p = self.params
        field = quiet_field(p.environment, p.device, times_s, rng)
        growth = self.growth(times_s)
        consumption = p.fuel_consumption_g_s * growth
        heat_w = consumption * FLAMING_HEAT_J_PER_G
        # Heskestad mean flame height L = 0.235 Q^(2/5) − 1.02 D (Q in kW, m); the hot area is L × D.
        flame_height = np.clip(0.235 * (heat_w / 1000.0) ** 0.4 - 1.02 * p.source.size_m, 0.05, None)
        dilution = outdoor_dilution(
            field, p.environment, p.device, p.source, heat_w, initial_sigma_m=float(flame_height.max()) / 2.15
        )
        profile = FLAMING.with_gas("carbon_monoxide", co_ef_from_mce(p.combustion_efficiency))
        add_source_emissions(field, dilution, consumption, profile)
        distance = source_distance(p.source, p.device)
        flame_diameter = np.sqrt(4.0 / np.pi * flame_height * p.source.size_m)
        flame_emissivity = float(1.0 - np.exp(-1.2 * max(p.source.size_m, 0.2)))
        if p.source.in_camera_view:
            air = field.ambient.air_temperature_c
            flame = air + (p.flame_temperature_c - air) * growth**0.25
            place_hotspot(
                field, flame, flame_diameter, distance, flame_emissivity, active=growth > 0, on_equipment=False
            )
        crackle = p.crackle_level_db_at_1m + 10.0 * np.log10(np.maximum(growth, 1e-6))
        roar = 10.0 * np.log10(np.maximum(heat_w, 1e-3)) + 18.0
        add_sound(field, {"low": roar, "mid": crackle, "high": crackle - 3.0}, distance, impulsiveness=0.6)
        field.extras["consumption_g_s"] = consumption
        field.extras["dilution_s_m3"] = dilution
        strength = 0.3 + 0.7 * range_fraction(EarlyCombustionParams, "fuel_consumption_g_s", p.fuel_consumption_g_s)
        return field, self.hazard_labels(times_s, growth * strength, p.source.distance_m)


class FirePrecursorCombinationParams(HazardParams):
    """Overheated equipment pyrolysing debris on or next to it (a nest, leaves, wood)."""

    fuel_consumption_g_s: float = Field(0.1, ge=0.01, le=0.5, description="Peak mass pyrolysing, g/s.")
    lignin_fraction: float = Field(0.5, ge=0.2, le=0.8, description="Woody share of the debris (ratio).")
    ignition_source_temperature_c: float = Field(
        220.0,
        ge=PYROLYSIS_ONSET_C,
        le=350,
        description="Peak temperature the overheated part reaches, wind included, °C (debris pyrolyses above 150 °C).",
    )
    ignition_source_diameter_m: float = Field(0.1, ge=0.03, le=0.3, description="Size of the hot part, m.")
    source: EquipmentGeometry = Field(default_factory=EquipmentGeometry, description="Where the part is.")


@register_scenario
class FirePrecursorCombinationScenario(HazardScenario[FirePrecursorCombinationParams]):
    """Several weak precursors together: a hot part plus mixed cellulose/lignin pyrolysis products."""

    params_model = FirePrecursorCombinationParams
    class_label = ClassLabel.FIRE_PRECURSOR
    category = ScenarioCategory.FIRE
    event_type = "fire_precursor_combination"
    difficulty = DifficultyLevel.VERY_HIGH
    intensity_parameter = "fuel_consumption_g_s"
    distance_parameter = "source.distance_m"
    sensor_drivers = drivers(
        {
            "fuel_consumption_g_s": (*SMOKE_FEATURES, f"{VOC}.formaldehyde_ppb", f"{VOC}.guaiacol_ppb"),
            "lignin_fraction": (f"{VOC}.phenol_ppb", f"{VOC}.cresol_ppb", f"{VOC}.guaiacol_ppb"),
            "ignition_source_temperature_c": HOTSPOT_FEATURES,
            "ignition_source_diameter_m": HOTSPOT_FEATURES,
            "device.grid_load_fraction": (RATED_ROI_FEATURE,),
            "source.distance_m": (*SMOKE_FEATURES, *HOTSPOT_FEATURES),
            "environment.wind_speed_m_s": SMOKE_FEATURES,
        }
    )

    def build_field(self, times_s: FloatArray, rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        p = self.params
        field = quiet_field(p.environment, p.device, times_s, rng)
        growth = self.growth(times_s)
        consumption = p.fuel_consumption_g_s * growth
        dilution = equipment_dilution(field, p.environment, p.device, p.source)
        profile = blend_profiles(CELLULOSE_PYROLYSIS, LIGNIN_PYROLYSIS, p.lignin_fraction)
        add_source_emissions(field, dilution, consumption, profile)
        # The debris pyrolyses only while the part under it is above the onset: the part's peak is the
        # temperature it reaches in that run's wind, and the growth of the pyrolysis takes it there.
        part = pyrolysing_surface_c(p.ignition_source_temperature_c, growth)
        distance = equipment_distance(p.source)
        diameter, surface = hot_part_with_debris(p.ignition_source_diameter_m, part, pyrolysing_diameter_m(consumption))
        place_hotspot(field, surface, diameter, distance, 0.85, active=growth > 0, on_equipment=True)
        field.extras["consumption_g_s"] = consumption
        field.extras["dilution_s_m3"] = dilution
        strength = 0.2 + 0.8 * range_fraction(
            FirePrecursorCombinationParams, "fuel_consumption_g_s", p.fuel_consumption_g_s
        )
        return field, self.hazard_labels(times_s, growth * strength, distance)
