"""LWIR band radiance of a blackbody, and the temperature a radiometric camera infers from mixed radiance.

The FLIR Lepton 3.5 integrates over 8–14 µm [S13]. The in-band radiance ``W(T)`` is Planck's law
integrated over that band, tabulated once on a 0.5 K grid from 150 K to 1700 K and interpolated; the
inverse (brightness temperature) interpolates the same monotone table. A pixel that sees a fraction
``f`` of a hot target and ``1 − f`` of the background receives ``f·W(T_hot) + (1 − f)·W(T_bg)``
(`docs/physics.md` §3.5, sub-pixel hotspot model). ``W`` is convex, so the apparent temperature lies
above the area-weighted mean temperature, yet far below ``T_hot`` when ``f`` is small: the size-of-source
effect [S71][S72].
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

KELVIN = 273.15
_PLANCK = 6.62607015e-34
_LIGHT = 2.99792458e8
_BOLTZMANN = 1.380649e-23
BAND_UM = (8.0, 14.0)


@cache
def _radiance_table() -> tuple[FloatArray, FloatArray]:
    """(temperature °C, in-band radiance W m⁻² sr⁻¹) on a 0.5 K grid, 150–1700 K."""
    kelvin = np.arange(150.0, 1700.0 + 0.25, 0.5)
    wavelength = np.linspace(BAND_UM[0], BAND_UM[1], 241) * 1e-6
    exponent = _PLANCK * _LIGHT / (wavelength[None, :] * _BOLTZMANN * kelvin[:, None])
    spectral = 2.0 * _PLANCK * _LIGHT**2 / wavelength[None, :] ** 5 / np.expm1(exponent)
    radiance = np.asarray(np.trapezoid(spectral, wavelength, axis=1), dtype=np.float64)
    return kelvin - KELVIN, radiance


def band_radiance(temperature_c: FloatArray) -> FloatArray:
    """8–14 µm blackbody radiance at ``temperature_c`` (°C, clipped to the table's −123…1427 °C), W m⁻² sr⁻¹."""
    celsius, radiance = _radiance_table()
    result: FloatArray = np.interp(temperature_c, celsius, radiance)
    return result


def brightness_temperature(radiance: FloatArray) -> FloatArray:
    """The blackbody temperature (°C) whose 8–14 µm radiance is ``radiance``."""
    celsius, table = _radiance_table()
    result: FloatArray = np.interp(radiance, table, celsius)
    return result


def mixed_pixel_temperature(fill_fraction: FloatArray, target_c: FloatArray, background_c: FloatArray) -> FloatArray:
    """Apparent temperature of a pixel filled to ``fill_fraction`` (0–1) by the target, °C (broadcasts)."""
    mixed = fill_fraction * band_radiance(target_c) + (1.0 - fill_fraction) * band_radiance(background_c)
    return brightness_temperature(mixed)
