"""The Grid Guardian device: every sensor's reading from the true field.

PLACEHOLDER (to be replaced by the realistic sensor models): ideal sensors that read the truth,
clipped to range, with no noise, lag, drift or faults.
"""

from __future__ import annotations

import numpy as np

from envirosense.simulation.field import TrueField
from envirosense.simulation.parameters import DeviceParams
from envirosense.simulation.result import STATUS_CODE, SensorArrays
from envirosense.schemas import SensorStatus


class GridGuardianDevice:
    def __init__(self, params: DeviceParams) -> None:
        self.params = params

    def measure(self, field: TrueField, rng: np.random.Generator) -> dict[str, SensorArrays]:
        n = field.n_steps
        ok = np.full(n, STATUS_CODE[SensorStatus.OK])
        a = field.ambient
        g = field.gases_ppb
        p = field.particles_ug_m3
        pm1 = p["pm_below_1"]
        pm25 = pm1 + p["pm_1_to_2_5"]
        pm4 = pm25 + p["pm_2_5_to_4"]
        pm10 = pm4 + p["pm_4_to_10"]
        c = lambda x, lo, hi: np.clip(x, lo, hi)  # noqa: E731
        th = field.thermal
        peak = np.where(th.hotspot_area_px > 0, th.hotspot_surface_c, th.warm_region_c)
        acoustic = {
            "status": ok,
            "spl_db": c(10 * np.log10(10 ** (field.acoustic.band_low_db / 10) + 10 ** (field.acoustic.band_mid_db / 10) + 10 ** (field.acoustic.band_high_db / 10)), 0, 140),
            "dominant_frequency_hz": np.full(n, 100.0),
            "band_low_db": c(field.acoustic.band_low_db, 0, 140),
            "band_mid_db": c(field.acoustic.band_mid_db, 0, 140),
            "band_high_db": c(field.acoustic.band_high_db, 0, 140),
            "band_ultrasonic_db": c(field.acoustic.band_ultrasonic_db, 0, 140),
            "crest_factor_db": c(3 + 20 * field.acoustic.impulsiveness, 0, 60),
        }
        th_rh = {"status": ok, "temperature_c": c(a.air_temperature_c, -40, 105), "relative_humidity_pct": c(a.relative_humidity_pct, 0, 100)}
        return {
            "U19_TFSGS": {
                "status": ok,
                **{f"{s}_ppb": c(g[s], 0, 10_000) for s in ("formaldehyde", "acetaldehyde", "acrolein", "phenol", "cresol", "guaiacol")},
                "general_reducing_ppb": c(g["carbon_monoxide"] + g["hydrocarbons"], 0, 100_000),
                "general_oxidising_ppb": c(g["ozone"] + g["nitrogen_dioxide"], 0, 10_000),
            },
            "U20_SPS30": {
                "status": ok,
                "mass_concentration_pm1_0_ug_m3": c(pm1, 0, 1000),
                "mass_concentration_pm2_5_ug_m3": c(pm25, 0, 1000),
                "mass_concentration_pm4_0_ug_m3": c(pm4, 0, 1000),
                "mass_concentration_pm10_ug_m3": c(pm10, 0, 1000),
                "number_concentration_pm0_5_per_cm3": c(pm1 * 5, 0, 3000),
                "number_concentration_pm1_0_per_cm3": c(pm1 * 6, 0, 3000),
                "number_concentration_pm2_5_per_cm3": c(pm25 * 6, 0, 3000),
                "number_concentration_pm10_per_cm3": c(pm10 * 6, 0, 3000),
                "typical_particle_size_um": c(field.particle_median_diameter_um, 0, 10),
            },
            "U21_SHT85": {**th_rh, "temperature_c": c(a.enclosure_temperature_c, -40, 105)},
            "U22_SHT85": th_rh,
            "U23_BMP388": {"status": ok, "pressure_hpa": c(a.pressure_hpa, 300, 1250), "sensor_temperature_c": c(a.enclosure_temperature_c, -40, 85)},
            "U24_FT205": {"status": ok, "wind_speed_m_s": c(a.wind_speed_m_s, 0, 75), "wind_direction_deg": a.wind_direction_deg % 360, "acoustic_temperature_c": c(a.air_temperature_c, -40, 70)},
            "U25_AS3935": {"status": ok, "strike_count": np.round(field.lightning.strike_rate_per_min), "storm_distance_km": c(field.lightning.storm_distance_km, 0, 40), "strike_energy": np.zeros(n), "disturber_count": np.round(field.lightning.disturber_rate_per_min), "noise_level_high": np.zeros(n)},
            "U26_Lepton35": {
                "status": ok,
                "min_temperature_c": c(th.background_c, -10, 400),
                "max_temperature_c": c(np.maximum(peak, th.background_c), -10, 400),
                "mean_temperature_c": c(th.background_c, -10, 400),
                "std_temperature_c": c(np.abs(peak - th.background_c) / 10, 0, 400),
                "p99_temperature_c": c(np.maximum(peak, th.background_c), -10, 400),
                "hotspot_pixel_count": c(th.hotspot_area_px, 0, 19200),
                "hotspot_delta_c": c(np.maximum(peak - th.background_c, 0), 0, 410),
                "dead_pixel_count": np.zeros(n),
                "ffc_in_progress": np.zeros(n),
            },
            "U27_SPU0410HR5H": acoustic,
            "U28_SPU0410HR5H": dict(acoustic),
            "U29_TFEMF": {"status": ok, "field_strength_ut": c(field.emf.magnetic_field_ut, 0, 2000), "dominant_frequency_hz": field.emf.frequency_hz, "harmonic_3_pct": c(field.emf.harmonic_3_pct, 0, 100), "harmonic_5_pct": c(field.emf.harmonic_5_pct, 0, 100), "hf_noise_db": c(field.emf.hf_noise_db, 0, 120)},
            "U30_BMI270": {"status": ok, "acceleration_x_g": np.zeros(n), "acceleration_y_g": np.zeros(n), "acceleration_z_g": np.ones(n), "angular_rate_x_dps": field.motion.sway_rate_dps, "angular_rate_y_dps": np.zeros(n), "angular_rate_z_dps": np.zeros(n), "vibration_rms_g": c(field.motion.vibration_rms_g, 0, 16)},
        }
