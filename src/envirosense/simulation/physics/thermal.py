"""Heat seen by the thermal camera: hotspot size and apparent temperature, solar and load heating.

Models and sources (`docs/physics.md` §1.6, §2.5, §3.5):

- Hotspot size: the FLIR Lepton 3.5 has 160 pixels across 57°, an IFOV of ≈ 6.2 mrad [S13][S14]; a
  round hotspot of diameter D at distance d covers ``π/4 · (D / (d·IFOV))²`` pixels, so its area falls
  as 1/d². Below one pixel it is sub-pixel and the camera under-reads it (size-of-source effect
  [S71][S72]); that averaging belongs to the camera model, which receives the area.
- Radiometric chain: ``W_tot = ε τ W(T_obj) + (1−ε) τ W(T_refl) + (1−τ) W(T_atm)`` [S68]; the apparent
  temperature is what a camera set to ε = 1, τ = 1 reports. Radiance is Planck's law at 10 µm, the
  centre of the 8–14 µm band (a monochromatic stand-in for the band integral).
- Path transmission: Beer–Lambert ``τ = exp(−β d)``; β fixed by the measured τ ≈ 0.55 at 800 m [S69]
  and scaled with absolute humidity (water vapour is the main LWIR absorber; reference 10 g/m³
  [derived]). Over tens of metres τ ≈ 0.98–1.
- Load heating: temperature rise above ambient scales as ``(I/I_rated)^n`` with n = 1.6–2.0
  (Infraspection "Tmax corrected" [S56]); NETA MTS classes of ΔT over ambient 1–10 / 11–20 / 21–40 /
  > 40 °C [S54]. The same law read backwards scales a rise measured at part load to rated load
  (``rise_at_rated_load``), which is how a rise is graded when the load is known [S56][S90][S91].
- Wind cooling: a part heated from within has ``ΔT = P / (A (h_c + h_r))``, so wind shrinks its rise
  (``wind_cooling_factor``; rated rises are quoted for a 2 m/s breeze).
- Solar loading: steady energy balance of a sunlit surface ``α G = s (h_c + h_r) ΔT`` with the McAdams
  convection coefficient ``h_c = 5.7 + 3.8 u`` W/(m² K), linearised radiation ``h_r = 4 ε σ T³`` and
  ``s`` the number of faces shedding heat (dark parts run hotter than light ones [S70]).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

LEPTON_IFOV_RAD = np.radians(57.0) / 160.0
"""Instantaneous field of view of one Lepton 3.5 pixel, rad (≈ 6.2 mrad)."""
LEPTON_PIXELS = 160 * 120
PLANCK_K_AT_10UM = 14_388.0 / 10.0
"""Second radiation constant over wavelength, c₂/λ at λ = 10 µm, K."""
EXTINCTION_PER_M = -np.log(0.55) / 800.0
"""LWIR extinction coefficient at the reference humidity, 1/m [S69]."""
REFERENCE_ABSOLUTE_HUMIDITY_G_M3 = 10.0
STEFAN_BOLTZMANN = 5.670e-8
KELVIN = 273.15


def hotspot_area_px(diameter_m: float | FloatArray, distance_m: float | FloatArray) -> FloatArray:
    """Pixels covered by a round hotspot of ``diameter_m`` at ``distance_m`` (may be below 1: sub-pixel)."""
    footprint = np.asarray(distance_m, dtype=np.float64) * LEPTON_IFOV_RAD
    area = np.pi / 4.0 * (np.asarray(diameter_m, dtype=np.float64) / footprint) ** 2
    result: FloatArray = np.minimum(area, float(LEPTON_PIXELS))
    return result


def absolute_humidity_g_m3(temperature_c: FloatArray, relative_humidity_pct: FloatArray) -> FloatArray:
    """Water vapour density from temperature and RH (Magnus saturation pressure), g/m³."""
    saturation_hpa = 6.112 * np.exp(17.67 * temperature_c / (temperature_c + 243.5))
    result: FloatArray = 216.74 * saturation_hpa * relative_humidity_pct / 100.0 / (temperature_c + KELVIN)
    return result


def path_transmission(distance_m: float, temperature_c: FloatArray, relative_humidity_pct: FloatArray) -> FloatArray:
    """LWIR transmission of ``distance_m`` of air, Beer–Lambert with humidity-scaled extinction (0–1]."""
    scale = absolute_humidity_g_m3(temperature_c, relative_humidity_pct) / REFERENCE_ABSOLUTE_HUMIDITY_G_M3
    result: FloatArray = np.exp(-EXTINCTION_PER_M * scale * distance_m)
    return result


def _radiance(temperature_c: FloatArray) -> FloatArray:
    result: FloatArray = 1.0 / np.expm1(PLANCK_K_AT_10UM / (temperature_c + KELVIN))
    return result


def _temperature(radiance: FloatArray) -> FloatArray:
    result: FloatArray = PLANCK_K_AT_10UM / np.log1p(1.0 / radiance) - KELVIN
    return result


def apparent_temperature(
    surface_c: FloatArray,
    emissivity: float,
    transmission: FloatArray,
    reflected_c: FloatArray,
    atmosphere_c: FloatArray,
) -> FloatArray:
    """Temperature a camera set to ε = 1, τ = 1 reports for the surface, °C (the radiometric chain)."""
    total = transmission * (emissivity * _radiance(surface_c) + (1.0 - emissivity) * _radiance(reflected_c)) + (
        1.0 - transmission
    ) * _radiance(atmosphere_c)
    return _temperature(total)


def load_temperature_rise(rated_rise_c: float | FloatArray, load_fraction: FloatArray, exponent: float) -> FloatArray:
    """Rise above ambient of a part carrying ``load_fraction`` of its rated current: ΔT_rated · load^n, °C."""
    result: FloatArray = np.asarray(rated_rise_c) * np.clip(load_fraction, 0.0, None) ** exponent
    return result


RATED_LOAD_EXPONENT = 1.8
"""Exponent a monitor uses to scale a rise to rated load: the middle of n = 1.6–2.0 [S56]."""
MIN_CORRECTION_LOAD = 0.3
"""Lowest load a rise is scaled from: below 30 % of rated load only severe faults show [S55], so a
monitor scales as if the load were 0.3 (at most ≈ 8.7×) instead of blowing up noise."""


def rise_at_rated_load(
    rise_c: FloatArray,
    load_fraction: FloatArray,
    exponent: float = RATED_LOAD_EXPONENT,
    min_load: float = MIN_CORRECTION_LOAD,
) -> FloatArray:
    """A rise measured at ``load_fraction`` of rated current, scaled to rated current, °C (shapes ``(T,)``).

    ``ΔT · max(load, min_load)^−n``: the inverse of ``load_temperature_rise``, so a resistive joint reads
    the same at any load, while heat that does not come from the current (sun, a fire) is scaled up at
    part load and down above rated load."""
    result: FloatArray = np.asarray(rise_c) * np.maximum(np.asarray(load_fraction), min_load) ** -exponent
    return result


def wind_cooling_factor(wind_speed_m_s: FloatArray, reference_wind_m_s: float = 2.0) -> FloatArray:
    """How much wind shrinks a self-heated part's rise relative to ``reference_wind_m_s``: ΔT ∝ 1/(h_c + h_r),
    with the McAdams ``h_c = 5.7 + 3.8 u`` and ``h_r`` ≈ 5.5 W/(m² K). At 10 m/s a rise is ≈ 0.4 of its
    2 m/s value — why thermographers correct ΔT for wind and distrust surveys in strong wind."""
    radiation = 4.0 * 0.9 * STEFAN_BOLTZMANN * (20.0 + KELVIN) ** 3
    result: FloatArray = (5.7 + 3.8 * reference_wind_m_s + radiation) / (
        5.7 + 3.8 * np.asarray(wind_speed_m_s) + radiation
    )
    return result


def solar_temperature_rise(
    irradiance_w_m2: FloatArray,
    absorptivity: float,
    wind_speed_m_s: FloatArray,
    air_temperature_c: FloatArray,
    emissivity: float = 0.9,
    shedding_faces: float = 2.0,
) -> FloatArray:
    """Steady temperature rise of a sunlit surface above air, °C: α G / (s (h_c + h_r))."""
    convection = 5.7 + 3.8 * wind_speed_m_s
    radiation = 4.0 * emissivity * STEFAN_BOLTZMANN * (air_temperature_c + KELVIN) ** 3
    result: FloatArray = absorptivity * irradiance_w_m2 / (shedding_faces * (convection + radiation))
    return result


def neta_class(delta_t_over_ambient_c: FloatArray) -> NDArray[np.int64]:
    """NETA MTS priority for a rise over ambient air: 0 none (< 1 °C), 4 (1–10), 3 (11–20), 2 (21–40), 1 (> 40)."""
    d = np.asarray(delta_t_over_ambient_c)
    return np.select([d > 40.0, d > 20.0, d > 10.0, d >= 1.0], [1, 2, 3, 4], default=0).astype(np.int64)
