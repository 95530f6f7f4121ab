"""Gaussian plume transport of gases and particles from a source to the device.

Models and sources (docs/physics.md §3.1):

- Continuous point source with ground reflection, US EPA ISC3 user's guide vol. II [S57]::

      C(x, y, z) = Q / (2π u σy σz) · exp(−y²/2σy²) · [exp(−(z−H)²/2σz²) + exp(−(z+H)²/2σz²)]

  ``x`` downwind, ``y`` crosswind, ``z`` receptor height, ``H`` effective release height. Concentration
  falls as 1/u. Here the function returns the dilution ``C/Q`` in s/m³.
- Dispersion coefficients σy(x), σz(x): Briggs (1973) open-country and urban formulas, as tabulated by
  CCPS (1999) and checked against Griffiths (1994) [S59]. Half-classes (e.g. "A–B") take the geometric
  mean of their neighbours. The formulas are quoted for 100 m – 10 km; closer in, a finite source is
  represented by an initial spread σ0 added in quadrature (the virtual-source idea of Turner's workbook),
  so the near field stays finite and physically sized.
- Infinite crosswind line source (a road): ``C = q / (√(2π) σz u |cos φ|) · [vertical terms]`` with q in
  g/(m·s) and φ the angle between the wind and the road's normal (the CALINE-type simplification).
  Near a road the air never stays as still as Briggs' stable classes assume: vehicle wakes and the
  rough roadside keep mixing it (σz grows at least as ``0.035 x``, the near-road form
  ``σz ≈ 0.57 (u*/U) x`` with u*/U ≈ 0.06 of Snyder et al., "RLINE: A line source dispersion model for
  near-surface releases", Atmos. Environ. 77, 2013), and in light wind the direction meanders, which
  carries air across the road at ``LOW_WIND_MEANDER_M_S`` even when the mean wind runs along it: the
  road-normal transport speed is ``√((u cos φ)² + σ_m²)`` (low-wind meander as in Qian and Venkatram,
  "Performance of steady-state dispersion models under low wind-speed conditions", Boundary-Layer
  Meteorol. 138, 2011), and the travel distance ``d · u / u_normal``.
- Buoyant plume rise: Briggs (1975) "2/3 law" ``Δh = 1.6 F^{1/3} x^{2/3} / u`` up to the final-rise
  distance ``x_f = 49 F^{5/8}`` (F < 55 m⁴/s³), and the stable-air final rise ``2.6 (F / (u s))^{1/3}``,
  with buoyancy flux ``F = g Q_c / (π c_p ρ T)`` (Q_c the convective heat release, W).

Plume meander: Briggs' σ are ~10-minute averages, so direction swings faster than that are already
inside σy. The plume axis follows the wind direction low-passed over ``AVERAGING_TIME_S``; slower
swings move the device across the plume, so a source off the mean wind axis is seen intermittently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from envirosense.simulation.physics.stability import wind_at_height
from envirosense.simulation.physics.timeseries import first_order_lag

FloatArray = NDArray[np.float64]
Terrain = Literal["rural", "urban"]

AVERAGING_TIME_S = 600.0
"""Averaging time of the Briggs dispersion coefficients, s."""
MIN_WIND_M_S = 0.5
"""Below this the Gaussian plume is not valid (calm); wind is floored to it, as regulatory models do."""

LOW_WIND_MEANDER_M_S = 0.6
"""Effective transport speed added in quadrature near a road in light, meandering wind, m/s."""
ROADSIDE_MIXING_RATE = 0.035
"""Least growth of σz with distance from a road (vehicle wakes, roadside roughness), m/m."""

BUOYANCY_PER_WATT = 9.81 / (np.pi * 1005.0 * 1.2 * 293.0)
"""g / (π c_p ρ T) for air near 20 °C, m⁴ s⁻³ W⁻¹ (≈ 8.8 × 10⁻⁶)."""

# Briggs σ = a·x·(1 + b·x)^c, one (a, b, c) per class A…F.
_BRIGGS: dict[tuple[Terrain, str], NDArray[np.float64]] = {
    ("rural", "y"): np.array([[a, 1e-4, -0.5] for a in (0.22, 0.16, 0.11, 0.08, 0.06, 0.04)]),
    ("rural", "z"): np.array(
        [
            [0.20, 0.0, 0.0],
            [0.12, 0.0, 0.0],
            [0.08, 2e-4, -0.5],
            [0.06, 1.5e-3, -0.5],
            [0.03, 3e-4, -1.0],
            [0.016, 3e-4, -1.0],
        ]
    ),
    ("urban", "y"): np.array([[a, 4e-4, -0.5] for a in (0.32, 0.32, 0.22, 0.16, 0.11, 0.11)]),
    ("urban", "z"): np.array(
        [
            [0.24, 1e-3, 0.5],
            [0.24, 1e-3, 0.5],
            [0.20, 0.0, 0.0],
            [0.14, 3e-4, -0.5],
            [0.08, 1.5e-3, -0.5],
            [0.08, 1.5e-3, -0.5],
        ]
    ),
}
_STABLE_POTENTIAL_GRADIENT_K_M = np.array([0.0, 0.0, 0.0, 0.0, 0.02, 0.035])
"""dθ/dz for E and F used in Briggs' stable final rise, K/m."""


def _briggs_single(x_m: FloatArray, klass: NDArray[np.int64], terrain: Terrain, axis: str) -> FloatArray:
    a, b, c = _BRIGGS[(terrain, axis)][klass].T
    result: FloatArray = a * x_m * (1.0 + b * x_m) ** c
    return result


def briggs_sigmas(x_m: FloatArray, stability: FloatArray, terrain: Terrain = "rural") -> tuple[FloatArray, FloatArray]:
    """Briggs σy and σz (m) at downwind distance ``x_m`` (m, > 0) for each (half-)class in ``stability``."""
    low = np.floor(stability).astype(np.int64)
    high = np.minimum(low + 1, 5)
    weight = stability - low
    sigmas = []
    for axis in ("y", "z"):
        s_low = _briggs_single(x_m, low, terrain, axis)
        s_high = _briggs_single(x_m, high, terrain, axis)
        sigmas.append(s_low ** (1.0 - weight) * s_high**weight)
    return sigmas[0], sigmas[1]


def briggs_plume_rise(
    heat_release_w: FloatArray, x_m: FloatArray, wind_m_s: FloatArray, stability: FloatArray
) -> FloatArray:
    """Rise of a buoyant plume's centreline above the source at downwind distance ``x_m``, m.

    ``heat_release_w`` is the convective heat release (W). Gradual 2/3-law rise capped at the final
    rise; in stable air (E, F) also capped by the stable final rise.
    """
    flux = BUOYANCY_PER_WATT * np.clip(heat_release_w, 0.0, None)
    u = np.maximum(wind_m_s, MIN_WIND_M_S)
    x_final = 49.0 * flux ** (5.0 / 8.0)
    rise = 1.6 * np.cbrt(flux) * np.minimum(np.maximum(x_m, 0.0), x_final) ** (2.0 / 3.0) / u
    s = 9.81 / 293.0 * np.interp(stability, np.arange(6.0), _STABLE_POTENTIAL_GRADIENT_K_M)
    stable_rise = 2.6 * np.cbrt(flux / (u * np.where(s > 0, s, 1.0)))
    return np.where(s > 0, np.minimum(rise, stable_rise), rise)


def _vertical_terms(receptor_m: float, release_m: FloatArray, sigma_z: FloatArray) -> FloatArray:
    two_var = 2.0 * sigma_z**2
    result: FloatArray = np.exp(-((receptor_m - release_m) ** 2) / two_var) + np.exp(
        -((receptor_m + release_m) ** 2) / two_var
    )
    return result


def gaussian_plume(
    y_m: FloatArray,
    receptor_height_m: float,
    release_height_m: FloatArray,
    wind_m_s: FloatArray,
    sigma_y: FloatArray,
    sigma_z: FloatArray,
) -> FloatArray:
    """Dilution C/Q (s/m³) of a continuous point source with ground reflection (ISC3 form)."""
    u = np.maximum(wind_m_s, MIN_WIND_M_S)
    lateral = np.exp(-(y_m**2) / (2.0 * sigma_y**2))
    result: FloatArray = (
        lateral * _vertical_terms(receptor_height_m, release_height_m, sigma_z) / (2.0 * np.pi * u * sigma_y * sigma_z)
    )
    return result


def _angle_difference_deg(a: FloatArray, b: float) -> FloatArray:
    result: FloatArray = (a - b + 180.0) % 360.0 - 180.0
    return result


@dataclass(frozen=True)
class PlumeGeometry:
    """Where a source sits relative to the device.

    ``bearing_offset_deg`` is the angle between the mean downwind direction and the line from the
    source to the device: 0 puts the device on the plume axis, 90 beside the source, > 90 upwind.
    """

    distance_m: float
    bearing_offset_deg: float
    source_height_m: float
    receptor_height_m: float
    initial_sigma_m: float
    terrain: Terrain = "rural"

    def downwind_crosswind(
        self, axis_direction_deg: FloatArray, mean_wind_direction_deg: float
    ) -> tuple[FloatArray, FloatArray]:
        """Downwind and crosswind offsets of the device from the source (m) for each plume-axis direction."""
        angle = np.radians(self.bearing_offset_deg + _angle_difference_deg(axis_direction_deg, mean_wind_direction_deg))
        return self.distance_m * np.cos(angle), self.distance_m * np.sin(angle)


def plume_axis_deviation_deg(
    wind_direction_deg: FloatArray, mean_wind_direction_deg: float, times_s: FloatArray
) -> FloatArray:
    """Deviation of the plume axis from the mean wind direction, degrees: the wind's deviation low-passed
    over the σ averaging time (first-order lag), starting on the mean."""
    deviation = _angle_difference_deg(wind_direction_deg, mean_wind_direction_deg)
    deviation = np.concatenate([[0.0], deviation])
    extended = np.concatenate([[times_s[0] - 1.0], times_s])
    return first_order_lag(deviation, extended, AVERAGING_TIME_S)[1:]


def plume_dilution(
    geometry: PlumeGeometry,
    times_s: FloatArray,
    wind_speed_m_s: FloatArray,
    wind_direction_deg: FloatArray,
    mean_wind_direction_deg: float,
    stability: FloatArray,
    heat_release_w: FloatArray | None = None,
) -> FloatArray:
    """Dilution C/Q (s/m³) at the device for each timestep; 0 while the device is upwind of the source.

    ``wind_speed_m_s`` is the 10 m wind; it is scaled to the release height by the power law. The plume
    axis follows ``plume_axis_deviation_deg``.
    """
    axis = mean_wind_direction_deg + plume_axis_deviation_deg(wind_direction_deg, mean_wind_direction_deg, times_s)
    x, y = geometry.downwind_crosswind(axis, mean_wind_direction_deg)
    downwind = x > 0.0
    x_pos = np.where(downwind, x, 1.0)
    sigma_y, sigma_z = briggs_sigmas(x_pos, stability, geometry.terrain)
    sigma_y = np.hypot(sigma_y, geometry.initial_sigma_m)
    sigma_z = np.hypot(sigma_z, geometry.initial_sigma_m)
    u = wind_at_height(wind_speed_m_s, geometry.source_height_m, stability)
    release = np.full(x.shape, geometry.source_height_m)
    if heat_release_w is not None:
        release = release + briggs_plume_rise(0.7 * heat_release_w, x_pos, u, stability)
    dilution = gaussian_plume(y, geometry.receptor_height_m, release, u, sigma_y, sigma_z)
    return np.where(downwind, dilution, 0.0)


def line_source_dilution(
    perpendicular_distance_m: float,
    road_normal_offset_deg: float,
    receptor_height_m: float,
    release_height_m: float,
    times_s: FloatArray,
    wind_speed_m_s: FloatArray,
    wind_direction_deg: FloatArray,
    mean_wind_direction_deg: float,
    stability: FloatArray,
    initial_sigma_z_m: float = 1.5,
    terrain: Terrain = "rural",
) -> FloatArray:
    """Dilution C/q (s/m², q in g/(m·s)) of an infinite straight road at the device; 0 when upwind of it.

    ``road_normal_offset_deg`` is the angle between the mean downwind direction and the road's normal
    towards the device. ``initial_sigma_z_m`` is the vehicle-wake mixing depth (≈ 1.5 m, CALINE-type).
    """
    angle = np.radians(
        road_normal_offset_deg + plume_axis_deviation_deg(wind_direction_deg, mean_wind_direction_deg, times_s)
    )
    cos_angle = np.cos(angle)
    downwind = cos_angle > 0.0
    wind = np.maximum(wind_at_height(wind_speed_m_s, release_height_m, stability), MIN_WIND_M_S)
    # Meander carries air across the road at ≈ LOW_WIND_MEANDER_M_S even when the mean wind runs along it.
    u_normal = np.hypot(wind * np.clip(cos_angle, 0.0, None), LOW_WIND_MEANDER_M_S)
    u = np.hypot(wind, LOW_WIND_MEANDER_M_S)
    x = perpendicular_distance_m * u / u_normal
    _, sigma_z = briggs_sigmas(x, stability, terrain)
    sigma_z = np.maximum(np.hypot(sigma_z, initial_sigma_z_m), ROADSIDE_MIXING_RATE * x)
    release = np.full(x.shape, release_height_m)
    dilution = _vertical_terms(receptor_height_m, release, sigma_z) / (np.sqrt(2.0 * np.pi) * sigma_z * u_normal)
    return np.where(downwind, dilution, 0.0)
