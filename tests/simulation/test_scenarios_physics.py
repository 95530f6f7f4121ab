"""Physical sanity of the scenarios, on the true field at the device: stronger or nearer sources read
higher, wind dilutes, ultrasound fades steeply with distance, ΔT follows load, and each confounder does
what docs/physics.md §4 says it does."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from envirosense.simulation import scenario_class
from envirosense.simulation.field import TrueField
from envirosense.simulation.physics.ambient import quiet_field
from tests.simulation.scenario_setup import configured, field_and_readings

CALM_AXIS = {
    "turbulence_intensity": 0.05,
    "wind_direction_deg": 200.0,
    "wind_speed_m_s": 3.0,
    "precipitation_mm_h": 0.0,
}
ON_AXIS = {"bearing_offset_deg": 0.0, "height_offset_m": 0.0}
STARTED = {"onset_fraction": 0.0, "ramp_seconds": 60.0, "growth": "step"}


def field_of(name: str, seed: int = 7, steps: int = 30, **params: Any) -> TrueField:
    """The true field of scenario ``name`` with ``params`` merged into calm, on-axis, already-started defaults."""
    return field_and_readings(
        configured(name, {"environment": CALM_AXIS, "timing": STARTED, "source": ON_AXIS}, **params), seed, steps
    )[0]


def pm2_5(field: TrueField) -> float:
    return float((field.particles_ug_m3["pm_below_1"] + field.particles_ug_m3["pm_1_to_2_5"]).mean())


def pm10(field: TrueField) -> float:
    return float(sum(field.particles_ug_m3.values()).mean())  # type: ignore[union-attr]


def gas(field: TrueField, species: str) -> float:
    return float(field.gases_ppb[species].mean())


FIRES = ["cellulose_pyrolysis", "lignin_decomposition", "early_combustion"]


@pytest.mark.parametrize("name", FIRES)
def test_more_fuel_raises_smoke_and_co_at_the_device(name: str) -> None:
    cls = scenario_class(name)
    low = cls.params_model.model_fields["fuel_consumption_g_s"].metadata[0].ge
    weak, strong = field_of(name, fuel_consumption_g_s=low), field_of(name, fuel_consumption_g_s=low * 10)
    assert pm2_5(strong) > pm2_5(weak) and gas(strong, "carbon_monoxide") > gas(weak, "carbon_monoxide")


@pytest.mark.parametrize("name", FIRES)
def test_nearer_source_reads_higher(name: str) -> None:
    near, far = field_of(name, source={"distance_m": 5.0}), field_of(name, source={"distance_m": 35.0})
    assert pm2_5(near) > pm2_5(far)
    assert near.thermal.hotspot_area_px[-1] > far.thermal.hotspot_area_px[-1] > 0


def _co_excess(name: str, **params: Any) -> float:
    """Mean CO the source adds at the device: the same seed gives the same quiet field underneath."""
    field = field_of(name, **params)
    cls = scenario_class(name)
    merged = cls().params.model_dump()
    merged["environment"].update({**CALM_AXIS, **params.get("environment", {})})
    quiet_params = cls(merged).params
    quiet = quiet_field(quiet_params.environment, quiet_params.device, field.times_s, np.random.default_rng(7))
    return gas(field, "carbon_monoxide") - gas(quiet, "carbon_monoxide")


OVERCAST_NIGHT = {"start_hour_local": 0.0, "cloud_cover_fraction": 1.0}


@pytest.mark.parametrize("name", ["cellulose_pyrolysis", "lignin_decomposition"])
def test_stronger_wind_dilutes_the_plume(name: str) -> None:
    source = {"distance_m": 25.0}
    # Neutral air (overcast night, class D at any wind): the plume follows 1/u.
    light = _co_excess(name, environment={"wind_speed_m_s": 1.5, **OVERCAST_NIGHT}, source=source)
    strong = _co_excess(name, environment={"wind_speed_m_s": 12.0, **OVERCAST_NIGHT}, source=source)
    assert light > 4 * strong > 0
    # In sunshine light wind also means unstable air that spreads the plume, but wind still dilutes.
    assert _co_excess(name, environment={"wind_speed_m_s": 1.5}, source=source) > _co_excess(
        name, environment={"wind_speed_m_s": 12.0}, source=source
    )


def test_a_flaming_plume_lofts_over_the_device_in_light_wind() -> None:
    low = {"distance_m": 25.0, "height_offset_m": -2.0}
    light = _co_excess("early_combustion", environment={"wind_speed_m_s": 1.0, **OVERCAST_NIGHT}, source=low)
    moderate = _co_excess("early_combustion", environment={"wind_speed_m_s": 6.0, **OVERCAST_NIGHT}, source=low)
    assert moderate > light


def test_a_source_off_the_wind_axis_is_seen_much_less() -> None:
    env = {"environment": OVERCAST_NIGHT}
    on = _co_excess("lignin_decomposition", source={"distance_m": 30.0}, **env)
    off = _co_excess("lignin_decomposition", source={"distance_m": 30.0, "bearing_offset_deg": 15.0}, **env)
    assert on > 10 * off


def test_fire_chemistry_tells_flaming_from_pyrolysis_and_lignin_from_cellulose() -> None:
    flaming = field_of("early_combustion", fuel_consumption_g_s=2.0)
    cellulose = field_of("cellulose_pyrolysis", fuel_consumption_g_s=2.0)
    lignin = field_of("lignin_decomposition", fuel_consumption_g_s=2.0)
    assert flaming.particle_median_diameter_um.mean() < cellulose.particle_median_diameter_um.mean()
    assert gas(flaming, "nitrogen_dioxide") > gas(cellulose, "nitrogen_dioxide")
    assert flaming.thermal.hotspot_surface_c.max() > cellulose.thermal.hotspot_surface_c.max()
    phenolics = ("phenol", "cresol", "guaiacol")
    assert sum(gas(lignin, s) for s in phenolics) > 3 * sum(gas(cellulose, s) for s in phenolics)
    assert gas(cellulose, "acrolein") > gas(lignin, "acrolein")


def test_a_source_outside_the_camera_view_has_no_hotspot() -> None:
    hidden = field_of("cellulose_pyrolysis", source={"in_camera_view": False})
    assert np.all(hidden.thermal.hotspot_area_px == 0.0)


def test_corona_ultrasound_falls_steeply_with_distance_and_makes_no_heat() -> None:
    near = field_of("corona_discharge", source={"distance_m": 3.0})
    far = field_of("corona_discharge", source={"distance_m": 25.0})
    assert near.acoustic.band_ultrasonic_db.mean() - far.acoustic.band_ultrasonic_db.mean() > 30.0
    assert near.emf.hf_noise_db.mean() > far.emf.hf_noise_db.mean()
    assert np.all(near.thermal.hotspot_area_px == 0.0)
    baseline = field_of("baseline_operation")
    assert gas(near, "ozone") > gas(baseline, "ozone")


def test_wet_weather_makes_corona_worse() -> None:
    dry = field_of("corona_discharge", wetness_sensitivity=1.0, environment={"relative_humidity_pct": 20.0})
    soaked = {"relative_humidity_pct": 95.0, "precipitation_mm_h": 4.0}
    wet = field_of("corona_discharge", wetness_sensitivity=1.0, environment=soaked)
    assert wet.extras["activity"].mean() > 20 * dry.extras["activity"].mean()
    assert np.median(wet.emf.hf_noise_db) > np.median(dry.emf.hf_noise_db) + 12.0


def test_more_arcs_mean_more_rf_noise_impulsiveness_and_heat() -> None:
    rare = field_of("arcing_event", burst_rate_per_min=2.0)
    frequent = field_of("arcing_event", burst_rate_per_min=30.0)
    assert frequent.emf.hf_noise_db.mean() > rare.emf.hf_noise_db.mean()
    assert frequent.acoustic.impulsiveness.mean() > rare.acoustic.impulsiveness.mean()
    assert frequent.emf.harmonic_3_pct.mean() > rare.emf.harmonic_3_pct.mean()
    assert frequent.extras["burst_count"].sum() > 5 * rare.extras["burst_count"].sum()
    assert np.all(frequent.thermal.hotspot_area_px > 0)


def test_insulation_gases_need_a_hot_spot() -> None:
    warm = field_of("insulation_breakdown", fault_temperature_c=110.0)
    hot = field_of("insulation_breakdown", fault_temperature_c=250.0)
    baseline = field_of("baseline_operation")
    assert gas(hot, "hydrogen_chloride") > 20 * (gas(warm, "hydrogen_chloride") - gas(baseline, "hydrogen_chloride"))
    assert gas(hot, "carbon_monoxide") > gas(warm, "carbon_monoxide")
    assert hot.acoustic.band_ultrasonic_db.mean() > baseline.acoustic.band_ultrasonic_db.mean() + 10


def test_a_ventilated_cabinet_lets_hcl_stick_to_its_walls() -> None:
    sealed = field_of("insulation_breakdown", fault_temperature_c=250.0, cabinet_air_changes_per_hour=2.0)
    vented = field_of("insulation_breakdown", fault_temperature_c=250.0, cabinet_air_changes_per_hour=60.0)
    ratio = gas(sealed, "hydrogen_chloride") / gas(sealed, "carbon_monoxide")
    assert ratio < gas(vented, "hydrogen_chloride") / gas(vented, "carbon_monoxide")


def _overheat_excess(load: float, exponent: float = 1.8) -> float:
    field = field_of(
        "equipment_overheat",
        steps=40,
        duration_seconds=21_600.0,
        emissivity=0.95,
        load_exponent=exponent,
        device={"grid_load_fraction": load},
        environment={"start_hour_local": 0.0, "cloud_cover_fraction": 1.0},
    )
    return float((field.thermal.hotspot_surface_c - field.thermal.warm_region_c)[-10:].mean())


def test_overheat_delta_t_rises_with_load_as_a_power_law() -> None:
    low, mid, high = _overheat_excess(0.25), _overheat_excess(0.5), _overheat_excess(1.0)
    assert 0 < low < mid < high
    assert high / mid == pytest.approx(2.0**1.8, rel=0.15)
    assert _overheat_excess(0.5, exponent=2.0) < _overheat_excess(0.5, exponent=1.6)


def test_dust_is_coarse_smoke_is_fine() -> None:
    dust = field_of("dust_storm", timing={"start_fraction": 0.0, "rise_seconds": 60.0, "duration_fraction": 1.0})
    assert pm2_5(dust) / pm10(dust) < 0.4
    smoke = field_of("distant_vegetation_smoke", arrival_fraction=0.0, rise_seconds=600.0)
    assert pm2_5(smoke) / pm10(smoke) > 0.6
    assert (
        dust.lightning.disturber_rate_per_min.mean()
        > field_of("baseline_operation").lightning.disturber_rate_per_min.mean()
    )


def test_aged_smoke_has_less_pm_per_co_and_fewer_phenols() -> None:
    baseline = field_of("baseline_operation")
    fresh = field_of("distant_vegetation_smoke", smoke_age_hours=1.0, arrival_fraction=0.0, rise_seconds=600.0)
    aged = field_of("distant_vegetation_smoke", smoke_age_hours=60.0, arrival_fraction=0.0, rise_seconds=600.0)

    def pm_per_co(field: TrueField) -> float:
        return (pm2_5(field) - pm2_5(baseline)) / (gas(field, "carbon_monoxide") - gas(baseline, "carbon_monoxide"))

    assert pm_per_co(aged) < pm_per_co(fresh)
    assert gas(aged, "guaiacol") < gas(fresh, "guaiacol")
    assert np.all(aged.thermal.hotspot_area_px == 0.0)


def test_traffic_brings_no2_and_titrates_ozone() -> None:
    baseline = field_of("baseline_operation")
    traffic = field_of("traffic_exhaust", vehicles_per_minute=60.0, road_distance_m=5.0, road_normal_offset_deg=0.0)
    assert gas(traffic, "nitrogen_dioxide") > gas(baseline, "nitrogen_dioxide")
    assert gas(traffic, "ozone") < gas(baseline, "ozone")
    assert traffic.particle_median_diameter_um.mean() < baseline.particle_median_diameter_um.mean()


def test_sun_heats_metal_in_clear_midday_sun_not_at_night_under_cloud() -> None:
    noon = field_of("sun_heated_metal", environment={"start_hour_local": 11.0, "cloud_cover_fraction": 0.0})
    hazy = field_of("sun_heated_metal", environment={"start_hour_local": 11.0, "cloud_cover_fraction": 0.4})
    dark = field_of("sun_heated_metal", absorptivity=0.95, environment={"start_hour_local": 11.0})
    light = field_of("sun_heated_metal", absorptivity=0.5, environment={"start_hour_local": 11.0})
    assert noon.extras["solar_rise_c"][-1] > hazy.extras["solar_rise_c"][-1] > 0
    assert dark.extras["solar_rise_c"][-1] > light.extras["solar_rise_c"][-1]
    assert np.all(noon.thermal.hotspot_area_px > 0)


def test_a_passing_storm_moves_pressure_wind_humidity_and_lightning_together() -> None:
    storm = field_of("passing_lightning_storm", closest_distance_km=1.0, closest_time_fraction=0.5, steps=41)
    baseline = field_of("baseline_operation", steps=41)
    closest = 20
    for series in (storm.ambient.pressure_hpa, storm.ambient.wind_speed_m_s, storm.ambient.relative_humidity_pct):
        assert series[closest] > series[0]
    assert storm.ambient.pressure_hpa[closest] > baseline.ambient.pressure_hpa[closest] + 1.0
    assert storm.lightning.strike_rate_per_min[closest] > 0
    assert storm.lightning.storm_distance_km[closest] == pytest.approx(1.0, rel=0.05)
    assert storm.emf.hf_noise_db[closest] > baseline.emf.hf_noise_db[closest] + 10


@pytest.mark.parametrize(
    ("event", "check"),
    [
        (
            "rain_storm",
            lambda f, b: (
                f.ambient.precipitation_mm_h.max() > 10
                and f.acoustic.band_high_db.mean() > b.acoustic.band_high_db.mean()
            ),
        ),
        ("high_wind", lambda f, b: f.ambient.wind_speed_m_s.mean() > 2 * b.ambient.wind_speed_m_s.mean()),
        (
            "heat_wave",
            lambda f, b: (
                f.ambient.air_temperature_c.mean() > b.ambient.air_temperature_c.mean() + 3
                and f.emf.magnetic_field_ut.mean() > b.emf.magnetic_field_ut.mean()
            ),
        ),
    ],
)
def test_weather_events(event: str, check: Any) -> None:
    timing = {"start_fraction": 0.0, "rise_seconds": 60.0, "duration_fraction": 1.0}
    assert check(field_of("weather_event", event=event, timing=timing), field_of("baseline_operation"))


def test_diurnal_load_cycle_moves_the_line_field() -> None:
    day = field_of("diurnal_cycle", steps=48, load_daily_amplitude=0.5)
    flat = field_of("diurnal_cycle", steps=48, load_daily_amplitude=0.0)
    assert np.ptp(day.emf.magnetic_field_ut) > 3 * np.ptp(flat.emf.magnetic_field_ut)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("cellulose_pyrolysis", {"surface_temperature_c": 180.0, "timing": {"growth": "linear", "ramp_seconds": 1200}}),
        ("fire_precursor_combination", {"ignition_source_temperature_c": 150, "environment": {"wind_speed_m_s": 15}}),
    ],
)
def test_a_pyrolysing_surface_is_never_below_the_pyrolysis_onset(name: str, params: dict[str, Any]) -> None:
    """Pyrolysis products come from surface at ≥ 150 °C (docs/physics.md §2.1): growth widens the hot area and
    wind does not cool it below the onset while its debris is pyrolysing."""
    from envirosense.simulation.scenarios.fire import PYROLYSIS_ONSET_C, pyrolysing_surface_c

    field = field_of(name, **params)
    active = field.extras["consumption_g_s"] > 0
    assert active.sum() > 5
    # The camera's apparent temperature of the spot (ε ≤ 0.95, τ ≈ 1, the sky reflected) stays far above any
    # connection rise at the onset; the surface itself starts exactly at the onset.
    assert np.all(field.thermal.hotspot_surface_c[active] > 0.8 * PYROLYSIS_ONSET_C)
    surface = pyrolysing_surface_c(300.0, np.array([0.0, 0.25, 1.0]))
    np.testing.assert_allclose(surface, [PYROLYSIS_ONSET_C, PYROLYSIS_ONSET_C + 75.0, 300.0])


@pytest.mark.parametrize(
    ("name", "on_equipment"),
    [
        ("equipment_overheat", True),
        ("fire_precursor_combination", True),
        ("insulation_breakdown", True),
        ("cellulose_pyrolysis", False),
        ("lignin_decomposition", False),
        ("early_combustion", False),
    ],
)
def test_a_hotspot_knows_whether_it_sits_on_the_monitored_equipment(name: str, on_equipment: bool) -> None:
    """Faults of the installation sit in the camera's regions of interest; vegetation and debris elsewhere do not."""
    field = field_of(name)
    present = field.thermal.hotspot_area_px > 0
    assert present.sum() > 5
    assert np.all(field.thermal.hotspot_on_equipment[present] == on_equipment)


def test_sun_heated_metal_is_on_the_equipment_only_when_it_belongs_to_it() -> None:
    for on_equipment in (True, False):
        field = field_of("sun_heated_metal", on_equipment=on_equipment)
        assert np.all(field.thermal.hotspot_on_equipment == on_equipment)


def test_pyrolysing_debris_widens_the_hot_part_it_lies_on() -> None:
    """More debris pyrolysing on the same part: a larger hot surface, cooler on average, never below the onset."""
    from envirosense.simulation.scenarios.fire import PYROLYSIS_ONSET_C, hot_part_with_debris

    part: dict[str, Any] = {"ignition_source_temperature_c": 300.0, "ignition_source_diameter_m": 0.05}
    little = field_of("fire_precursor_combination", fuel_consumption_g_s=0.01, **part)
    much = field_of("fire_precursor_combination", fuel_consumption_g_s=0.5, **part)
    assert much.thermal.hotspot_area_px[-1] > 5 * little.thermal.hotspot_area_px[-1]
    diameter, surface = hot_part_with_debris(0.1, np.array([300.0, 300.0]), np.array([0.0, 0.1]))
    np.testing.assert_allclose(diameter, [0.1, np.sqrt(0.02)])
    np.testing.assert_allclose(surface, [300.0, (300.0 + PYROLYSIS_ONSET_C) / 2.0])
