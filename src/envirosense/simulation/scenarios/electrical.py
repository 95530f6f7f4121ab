"""Electrical fault scenarios on the watched equipment: the ladder of docs/physics.md §2.3–2.5, §5.5.

- Corona: 40 kHz ultrasound audible only within ≈ 10–30 m (ISO 9613-1 absorption), a little ozone and
  NO₂, broadband RF noise, no heat; worse in wet weather.
- Arcing: intermittent broadband acoustic and RF bursts (Poisson in time), rapid local heat, and current
  harmonics at their physical size: a series arc's 20–40 V against a phase of 6–12 kV distorts the
  current by ≈ 0.1 % (invisible under the feeder's 2–8 %); an arc to ground adds its fault current's
  3rd harmonic, a few percent only at light load (``physics.emf``).
- Insulation breakdown: partial-discharge ultrasound and RF, a failing spot heating past ≈ 110–160 °C
  that releases PVC gases (HCl, CO, hydrocarbons) into a ventilated cabinet (well-mixed box, HCl lost
  to the walls) and on to the device (plume).
- Equipment overheat: a connection's excess rise ΔT_rated · load^n (n = 1.6–2.0) on top of the healthy
  equipment's own temperature, seen through its emissivity: shiny metal hides heat. Where PVC
  insulation starts at the joint (a cable lug), the insulation degrades once it passes ≈ 110–160 °C and
  its gases (HCl, CO, hydrocarbons) and smoke leave into the open air; a bare clamp emits nothing.
Faults on the equipment sit on top of its own load- and sun-driven temperature (the scene's warm
region), so a fault reads as an excess over the healthy part, as in NETA's "similar part" comparison;
their hotspots sit on the equipment, inside the camera's regions of interest (``roi_delta_c``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from envirosense.schemas import ClassLabel, DifficultyLevel, ScenarioCategory
from envirosense.simulation.field import TrueField
from envirosense.simulation.labels import LabelTrack
from envirosense.simulation.physics.ambient import RATED_LINE_CURRENT_A, quiet_field
from envirosense.simulation.physics.box import WellMixedBox
from envirosense.simulation.physics.emf import (
    conductor_wetness,
    corona_weather_db,
    ground_arc_harmonic_pct,
    series_arc_harmonic_pct,
)
from envirosense.simulation.physics.emissions import PVC_DEGRADATION, EmissionProfile, add_gas, add_source_emissions
from envirosense.simulation.physics.thermal import load_temperature_rise, neta_class, wind_cooling_factor
from envirosense.simulation.physics.timeseries import GrowthShape, first_order_lag, interval_lengths, poisson_bursts
from envirosense.simulation.registry import register_scenario
from envirosense.simulation.scenarios.common import (
    EMF,
    HOTSPOT_FEATURES,
    IMPULSE_FEATURES,
    LIGHTNING,
    MIC_UPPER,
    RATED_ROI_FEATURE,
    ROI_FEATURES,
    SMOKE_FEATURES,
    ULTRASOUND_FEATURES,
    VOC,
    CoronaGeometry,
    EquipmentGeometry,
    HazardParams,
    HazardScenario,
    HazardTiming,
    add_rf_impulses,
    add_rf_noise,
    add_sound,
    drivers,
    equipment_dilution,
    equipment_distance,
    place_hotspot,
    range_fraction,
)

FloatArray = NDArray[np.float64]

HCL_WALL_LOSS_PER_S = np.log(10.0) / 1800.0
"""HCl deposits on surfaces: it fell tenfold within ≈ 30 min in a closed plenum (Beitel 1986 [S41])."""
CONNECTION_THERMAL_TAU_S = 900.0


def _db(ratio: FloatArray) -> FloatArray:
    result: FloatArray = 10.0 * np.log10(np.maximum(ratio, 1e-12))
    return result


class SlowHazardTiming(HazardTiming):
    """Timing of faults that develop over tens of minutes."""

    ramp_seconds: float = Field(1800.0, ge=60, le=3600, description="Time from onset to full strength, s.")
    growth: GrowthShape = Field("linear", description="Growth curve: step, linear, t_squared or logistic.")


class FastHazardTiming(HazardTiming):
    """Timing of faults that start abruptly (a loose contact that begins to arc)."""

    ramp_seconds: float = Field(60.0, ge=10, le=600, description="Time from onset to full strength, s.")
    growth: GrowthShape = Field("step", description="Growth curve: step, linear, t_squared or logistic.")


class CoronaDischargeParams(HazardParams):
    """Corona on an insulator or conductor of the watched equipment."""

    ultrasound_level_db_at_1m: float = Field(
        75.0, ge=60, le=95, description="36–44 kHz level at 1 m at full activity, dB SPL [unverified range]."
    )
    ozone_emission_ug_s: float = Field(40.0, ge=1, le=200, description="Ozone production, µg/s [unverified range].")
    rf_noise_db_at_1m: float = Field(45.0, ge=25, le=60, description="Broadband RF noise at 1 m, dB over floor.")
    wetness_sensitivity: float = Field(
        0.5,
        ge=0,
        le=1,
        description="How much wet conductors raise the activity (0 none; 1: −6 dB dry … +12 dB soaked).",
    )
    source: CoronaGeometry = Field(default_factory=CoronaGeometry, description="Where the corona is.")
    timing: HazardTiming = Field(
        default_factory=lambda: HazardTiming(growth="logistic"), description="Onset and growth."
    )


@register_scenario
class CoronaDischargeScenario(HazardScenario[CoronaDischargeParams]):
    """Corona: 40 kHz ultrasound that fades within tens of metres, ozone/NO₂, RF noise, no heat."""

    params_model = CoronaDischargeParams
    class_label = ClassLabel.CORONA_DISCHARGE
    category = ScenarioCategory.ELECTRICAL
    event_type = "corona_discharge"
    difficulty = DifficultyLevel.MEDIUM
    intensity_parameter = "ultrasound_level_db_at_1m"
    distance_parameter = "source.distance_m"
    sensor_drivers = drivers(
        {
            "ultrasound_level_db_at_1m": ULTRASOUND_FEATURES,
            "ozone_emission_ug_s": (f"{VOC}.general_oxidising_ppb",),
            "rf_noise_db_at_1m": (f"{EMF}.hf_noise_db",),
            "source.distance_m": (*ULTRASOUND_FEATURES, f"{EMF}.hf_noise_db"),
            "environment.relative_humidity_pct": ULTRASOUND_FEATURES,
        }
    )

    def build_field(self, times_s: FloatArray, rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        p = self.params
        field = quiet_field(p.environment, p.device, times_s, rng)
        growth = self.growth(times_s)
        ambient = field.ambient
        wet = conductor_wetness(ambient.relative_humidity_pct, ambient.precipitation_mm_h)
        activity = growth * 10.0 ** (p.wetness_sensitivity * corona_weather_db(wet) / 10.0)
        distance = equipment_distance(p.source)
        level = p.ultrasound_level_db_at_1m + _db(activity)
        add_sound(field, {"ultrasonic": level, "high": level - 20.0}, distance, impulsiveness=0.35)
        add_rf_noise(field, p.rf_noise_db_at_1m + _db(activity), distance)
        dilution = equipment_dilution(field, p.environment, p.device, p.source)
        add_gas(field, "ozone", p.ozone_emission_ug_s * activity * dilution)
        add_gas(field, "nitrogen_dioxide", 0.3 * p.ozone_emission_ug_s * activity * dilution)
        field.extras["activity"] = activity
        strength = 0.2 + 0.8 * range_fraction(
            CoronaDischargeParams, "ultrasound_level_db_at_1m", p.ultrasound_level_db_at_1m
        )
        return field, self.hazard_labels(times_s, growth * strength, distance)


class ArcingEventParams(HazardParams):
    """Intermittent arcing at a loose or damaged connection."""

    burst_rate_per_min: float = Field(6.0, ge=2, le=30, description="Arcs per minute at full development.")
    burst_duration_s: float = Field(0.3, ge=0.05, le=1.0, description="Duration of one arc burst, s.")
    burst_level_db_at_1m: float = Field(95.0, ge=75, le=110, description="Broadband level of a burst at 1 m, dB SPL.")
    rf_burst_db_at_1m: float = Field(
        65.0, ge=45, le=80, description="Broadband RF level of a burst at 1 m, dB over floor."
    )
    contact_rise_c: float = Field(
        20.0, ge=2, le=60, description="Steady rise of the loose contact over ambient at rated load, °C."
    )
    arc_power_w: float = Field(300.0, ge=20, le=2000, description="Power dissipated in an arc, W.")
    fault_path: Literal["series", "to_ground"] = Field(
        "series", description="Arc in series with the load (loose joint) or from a phase to ground (tracking)."
    )
    arc_voltage_v: float = Field(30.0, ge=15, le=60, description="Voltage across the burning arc, V.")
    phase_voltage_kv: float = Field(6.35, ge=6, le=12, description="Phase-to-ground voltage of the feeder, kV.")
    fault_current_a: float = Field(
        5.0, ge=0.5, le=20, description="Current of an arc to ground (fault_path to_ground), A."
    )
    source: EquipmentGeometry = Field(default_factory=EquipmentGeometry, description="Where the arcing is.")
    timing: FastHazardTiming = Field(default_factory=FastHazardTiming, description="Onset and growth.")


@register_scenario
class ArcingEventScenario(HazardScenario[ArcingEventParams]):
    """Arcing: broadband acoustic and RF bursts, current harmonics, and fast local heating."""

    params_model = ArcingEventParams
    class_label = ClassLabel.ARCING
    category = ScenarioCategory.ELECTRICAL
    event_type = "arcing"
    difficulty = DifficultyLevel.MEDIUM
    intensity_parameter = "burst_rate_per_min"
    distance_parameter = "source.distance_m"
    sensor_drivers = drivers(
        {
            "burst_rate_per_min": IMPULSE_FEATURES,
            "fault_current_a": (f"{EMF}.harmonic_3_pct", f"{EMF}.harmonic_5_pct"),
            "burst_duration_s": IMPULSE_FEATURES,
            "burst_level_db_at_1m": (f"{MIC_UPPER}.spl_db", f"{MIC_UPPER}.band_mid_db", f"{MIC_UPPER}.crest_factor_db"),
            "rf_burst_db_at_1m": (f"{EMF}.hf_noise_db", f"{LIGHTNING}.disturber_count"),
            "contact_rise_c": HOTSPOT_FEATURES,
            "arc_power_w": HOTSPOT_FEATURES,
            "source.distance_m": (*IMPULSE_FEATURES, *HOTSPOT_FEATURES),
        }
    )

    def build_field(self, times_s: FloatArray, rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        p = self.params
        field = quiet_field(p.environment, p.device, times_s, rng)
        growth = self.growth(times_s)
        count, duty = poisson_bursts(times_s, p.burst_rate_per_min * growth, p.burst_duration_s, rng)
        distance = equipment_distance(p.source)
        burst = p.burst_level_db_at_1m + _db(duty)
        spectrum = {"low": burst - 6.0, "mid": burst, "high": burst, "ultrasonic": burst - 8.0}
        add_sound(field, spectrum, distance, impulsiveness=np.where(count > 0, 0.9, 0.0))
        add_rf_noise(field, p.rf_burst_db_at_1m + _db(duty), distance)
        add_rf_impulses(field, 60.0 * count / interval_lengths(times_s), p.rf_burst_db_at_1m, distance)
        load = field.extras["load_fraction"]
        burning = rng.random(times_s.shape[0]) < duty
        add_arc_harmonics(field, p, burning, RATED_LINE_CURRENT_A * load)
        cooling = wind_cooling_factor(field.ambient.wind_speed_m_s)
        contact = load_temperature_rise(p.contact_rise_c, load, 1.8) * cooling * growth
        arc_heat = 0.3 * p.arc_power_w * duty
        rise = first_order_lag(contact, times_s, 300.0) + first_order_lag(arc_heat, times_s, 120.0)
        surface = np.where(burning, 1500.0, field.thermal.warm_region_c + rise)
        diameter = np.where(burning, 0.02, 0.05)
        place_hotspot(field, surface, diameter, distance, 0.85, active=growth > 0, on_equipment=True)
        dilution = equipment_dilution(field, p.environment, p.device, p.source)
        add_gas(field, "nitrogen_dioxide", 0.1 * p.arc_power_w * duty * dilution)
        field.extras["burst_count"] = count
        field.extras["duty"] = duty
        strength = 0.2 + 0.8 * range_fraction(ArcingEventParams, "burst_rate_per_min", p.burst_rate_per_min)
        return field, self.hazard_labels(times_s, growth * strength, distance)


def add_arc_harmonics(
    field: TrueField, params: ArcingEventParams, burning: NDArray[np.bool_], line_current_a: FloatArray
) -> None:
    """Add a burning arc's 3rd and 5th current harmonics to the field, in place, while ``burning`` (bool
    per step: an arc in the sensor's ≈ 1 s RMS window). Harmonic currents of unrelated sources add with
    random phase, so the percentages add in quadrature."""
    if params.fault_path == "series":
        phase_v = 1000.0 * params.phase_voltage_kv
        third = np.full(line_current_a.shape, series_arc_harmonic_pct(3, params.arc_voltage_v, phase_v))
        fifth = np.full(line_current_a.shape, series_arc_harmonic_pct(5, params.arc_voltage_v, phase_v))
    else:
        third = ground_arc_harmonic_pct(params.fault_current_a, line_current_a)
        fifth = ground_arc_harmonic_pct(params.fault_current_a, line_current_a, harmonic_share=0.06)
    emf = field.emf
    emf.harmonic_3_pct = np.where(burning, np.hypot(emf.harmonic_3_pct, third), emf.harmonic_3_pct)
    emf.harmonic_5_pct = np.where(burning, np.hypot(emf.harmonic_5_pct, fifth), emf.harmonic_5_pct)


class InsulationBreakdownParams(HazardParams):
    """Cable insulation failing in a ventilated cabinet: partial discharge, local heat, PVC gases."""

    fault_temperature_c: float = Field(
        170.0, ge=110, le=260, description="Peak temperature of the failing insulation spot, °C (PVC: 110–160+ [S40])."
    )
    pvc_degradation_mg_s: float = Field(
        8.0, ge=0.5, le=50, description="PVC degrading per second when the spot is at 160 °C, mg/s."
    )
    pd_ultrasound_db_at_1m: float = Field(
        55.0, ge=35, le=75, description="Partial-discharge ultrasound at 1 m, dB SPL [unverified range]."
    )
    visible_fraction_of_rise: float = Field(
        0.5,
        ge=0.1,
        le=1.0,
        description="Share of the spot's excess temperature the camera sees (1 exposed, < 1 behind a panel).",
    )
    hot_region_size_m: float = Field(0.15, ge=0.05, le=0.4, description="Size of the warm region the camera sees, m.")
    cabinet_volume_m3: float = Field(0.8, ge=0.1, le=3, description="Cabinet volume, m³.")
    cabinet_air_changes_per_hour: float = Field(12.0, ge=2, le=60, description="Cabinet ventilation, 1/h.")
    source: EquipmentGeometry = Field(default_factory=EquipmentGeometry, description="Where the cabinet is.")
    timing: SlowHazardTiming = Field(default_factory=SlowHazardTiming, description="Onset and growth.")


def _without(profile: EmissionProfile, species: str) -> EmissionProfile:
    gases = {name: ef for name, ef in profile.gas_ef_g_kg.items() if name != species}
    return EmissionProfile(
        profile.name, gases, profile.particulate_ef_g_kg, profile.size_fractions, profile.median_diameter_um
    )


def pvc_degradation_factor(temperature_c: FloatArray) -> FloatArray:
    """Rate of PVC dehydrochlorination relative to its rate at 160 °C: 0 below 100 °C, rising as the
    square of the excess (a smooth stand-in for the Arrhenius onset between 110 and 160 °C [S40]), capped at 9×."""
    result: FloatArray = np.clip((temperature_c - 100.0) / 60.0, 0.0, 3.0) ** 2
    return result


@register_scenario
class InsulationBreakdownScenario(HazardScenario[InsulationBreakdownParams]):
    """Insulation breakdown: PD ultrasound and RF, a spot heating past 110 °C, then HCl, CO and smoke from PVC."""

    params_model = InsulationBreakdownParams
    class_label = ClassLabel.INSULATION_BREAKDOWN
    category = ScenarioCategory.ELECTRICAL
    event_type = "insulation_breakdown"
    difficulty = DifficultyLevel.HIGH
    intensity_parameter = "pvc_degradation_mg_s"
    distance_parameter = "source.distance_m"
    sensor_drivers = drivers(
        {
            "fault_temperature_c": (*HOTSPOT_FEATURES, f"{VOC}.general_oxidising_ppb"),
            "pvc_degradation_mg_s": (f"{VOC}.general_oxidising_ppb", f"{VOC}.general_reducing_ppb", *SMOKE_FEATURES),
            "pd_ultrasound_db_at_1m": (*ULTRASOUND_FEATURES, f"{EMF}.hf_noise_db"),
            "visible_fraction_of_rise": HOTSPOT_FEATURES,
            "cabinet_air_changes_per_hour": (f"{VOC}.general_oxidising_ppb",),
            "source.distance_m": (*ULTRASOUND_FEATURES, *HOTSPOT_FEATURES, f"{VOC}.general_oxidising_ppb"),
        }
    )

    def build_field(self, times_s: FloatArray, rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        p = self.params
        field = quiet_field(p.environment, p.device, times_s, rng)
        growth = self.growth(times_s)
        air = field.ambient.air_temperature_c
        spot = air + first_order_lag((p.fault_temperature_c - air) * growth, times_s, CONNECTION_THERMAL_TAU_S)
        emission_mg_s = p.pvc_degradation_mg_s * pvc_degradation_factor(spot)
        side = p.cabinet_volume_m3 ** (1.0 / 3.0)
        cabinet = WellMixedBox(side, side, side, p.cabinet_air_changes_per_hour, wind_coupling=0.02)
        wind = field.ambient.wind_speed_m_s
        vented = cabinet.outflow_mg_s(cabinet.concentration(emission_mg_s, wind, times_s), wind)
        vented_hcl = cabinet.outflow_mg_s(
            cabinet.concentration(emission_mg_s, wind, times_s, HCL_WALL_LOSS_PER_S), wind
        )
        dilution = equipment_dilution(field, p.environment, p.device, p.source, size_m=side)
        add_source_emissions(field, dilution, vented / 1000.0, _without(PVC_DEGRADATION, "hydrogen_chloride"))
        # g/kg × (mg/s of PVC) / 1000 = mg/s of HCl; × s/m³ × 1000 = µg/m³: the factors of 1000 cancel.
        add_gas(field, "hydrogen_chloride", PVC_DEGRADATION.gas_ef_g_kg["hydrogen_chloride"] * vented_hcl * dilution)
        distance = equipment_distance(p.source)
        equipment = field.thermal.warm_region_c
        cooling = wind_cooling_factor(field.ambient.wind_speed_m_s)
        seen = equipment + p.visible_fraction_of_rise * cooling * np.clip(spot - equipment, 0.0, None)
        place_hotspot(field, seen, p.hot_region_size_m, distance, 0.9, active=growth > 0, on_equipment=True)
        pd_level = p.pd_ultrasound_db_at_1m + _db(growth)
        add_sound(field, {"ultrasonic": pd_level, "high": pd_level - 25.0}, distance, impulsiveness=0.5)
        add_rf_noise(field, p.pd_ultrasound_db_at_1m - 15.0 + _db(growth), distance)
        field.extras["fault_temperature_c"] = spot
        field.extras["pvc_emission_mg_s"] = emission_mg_s
        strength = 0.2 + 0.8 * range_fraction(InsulationBreakdownParams, "pvc_degradation_mg_s", p.pvc_degradation_mg_s)
        return field, self.hazard_labels(times_s, growth * strength, distance)


class OverheatTiming(HazardTiming):
    """Timing of a connection going bad: its resistance climbs to the faulty value over ``ramp_seconds``."""

    ramp_seconds: float = Field(
        600.0, ge=60, le=1800, description="Time from onset until the joint's resistance is fully faulty, s."
    )
    growth: GrowthShape = Field("linear", description="Growth curve: step, linear, t_squared or logistic.")


class EquipmentOverheatParams(HazardParams):
    """A high-resistance connection heating with load."""

    rated_rise_c: float = Field(
        80.0, ge=20, le=200, description="Excess rise at rated load in a 2 m/s breeze when fully developed, °C."
    )
    load_exponent: float = Field(1.8, ge=1.6, le=2.0, description="Exponent n of ΔT ∝ load^n.")
    thermal_time_constant_s: float = Field(
        600.0,
        ge=300,
        le=1200,
        description="Time constant of the connection's temperature (lug or clamp and the conductor near it), s.",
    )
    hot_region_size_m: float = Field(
        0.4,
        ge=0.15,
        le=1.0,
        description="Size of the hot region (connection, clamp, bushing or the conductor it heats), m.",
    )
    emissivity: float = Field(
        0.8, ge=0.6, le=0.95, description="Surface emissivity (weathered outdoor metal: 0.6 … 0.95 oxidised)."
    )
    insulated: bool = Field(
        False,
        description="PVC insulation starts at the joint (a cable lug, a covered conductor); bare clamps have none.",
    )
    pvc_degradation_mg_s: float = Field(
        1.0,
        ge=0.1,
        le=5.0,
        description="PVC the insulation next to an insulated joint degrades per second at 160 °C, mg/s.",
    )
    source: EquipmentGeometry = Field(default_factory=EquipmentGeometry, description="Where the connection is.")
    timing: OverheatTiming = Field(default_factory=OverheatTiming, description="Onset and growth.")


@register_scenario
class EquipmentOverheatScenario(HazardScenario[EquipmentOverheatParams]):
    """Equipment overheat: a fault whose ΔT follows load^1.6–2 through the NETA classes; thermal only unless
    insulation at the joint gets hot enough to degrade."""

    params_model = EquipmentOverheatParams
    class_label = ClassLabel.EQUIPMENT_OVERHEAT
    category = ScenarioCategory.ELECTRICAL
    event_type = "equipment_overheat"
    difficulty = DifficultyLevel.MEDIUM
    intensity_parameter = "rated_rise_c"
    distance_parameter = "source.distance_m"
    sensor_drivers = drivers(
        {
            "rated_rise_c": (*HOTSPOT_FEATURES, *ROI_FEATURES, RATED_ROI_FEATURE),
            "load_exponent": HOTSPOT_FEATURES,
            "hot_region_size_m": HOTSPOT_FEATURES[2:],
            "emissivity": HOTSPOT_FEATURES,
            "device.grid_load_fraction": (*HOTSPOT_FEATURES, *ROI_FEATURES, f"{EMF}.field_strength_ut"),
            "source.distance_m": HOTSPOT_FEATURES,
        }
    )

    def build_field(self, times_s: FloatArray, rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        p = self.params
        field = quiet_field(p.environment, p.device, times_s, rng)
        growth = self.growth(times_s)
        load = field.extras["load_fraction"]
        cooling = wind_cooling_factor(field.ambient.wind_speed_m_s)
        rise = first_order_lag(
            load_temperature_rise(p.rated_rise_c, load, p.load_exponent) * cooling * growth,
            times_s,
            p.thermal_time_constant_s,
        )
        distance = equipment_distance(p.source)
        surface = field.thermal.warm_region_c + rise
        place_hotspot(field, surface, p.hot_region_size_m, distance, p.emissivity, active=growth > 0, on_equipment=True)
        # Insulation that starts at the joint sits at the joint's temperature and degrades like any PVC
        # (docs/physics.md §2.3); its products leave straight into the open air, no cabinet in between.
        emission_mg_s = np.zeros_like(surface)
        if p.insulated:
            emission_mg_s = p.pvc_degradation_mg_s * pvc_degradation_factor(surface)
            dilution = equipment_dilution(field, p.environment, p.device, p.source)
            add_source_emissions(field, dilution, emission_mg_s / 1000.0, PVC_DEGRADATION)
        field.extras["connection_rise_c"] = rise
        field.extras["pvc_emission_mg_s"] = emission_mg_s
        # Severity follows the NETA priority of the rise: none, 4, 3, 2, 1 → 0, 0.25, 0.5, 0.75, 1.
        severity = np.array([0.0, 1.0, 0.75, 0.5, 0.25])[neta_class(rise)]
        return field, self.hazard_labels(times_s, severity, distance)
