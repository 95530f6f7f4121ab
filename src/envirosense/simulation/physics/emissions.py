"""What sources emit, per kilogram of fuel, and how their concentrations are added to the true field.

Emission profiles are emission factors (g of species per kg of material consumed) with a particle
mass split over the device's size bins and a mass-median diameter. Sources (docs/physics.md §2, §4):

- Flaming and smouldering vegetation: GFED4 / Akagi et al. (2011) table [S38] (CO 60–210, PM2.5 6–15,
  formaldehyde 0.7–2.1, acetaldehyde 0.6–3.3 g/kg); CO from the modified combustion efficiency
  ``MCE = ΔCO₂/(ΔCO₂ + ΔCO)`` (0.65–0.9 smouldering, 0.95–0.99 flaming [S33][S34][S35]); flaming
  particles are ≈ 30 nm soot agglomerates, smouldering ones 0.1–0.4 µm organic droplets [S36][S37].
- Pyrolysis before ignition: cellulose gives carbonyls (formaldehyde, acetaldehyde from glycolaldehyde
  cracking, acrolein) and furans; lignin gives phenol, cresols and guaiacols [S29][S31][S32]. Pyrolysis
  is flameless, so the methoxyphenols are not burned off as in the ≈ 10 mg/kg combustion figure of [S32];
  the g/kg phenolic yields here are pyrolysis-oil fractions scaled to the gas phase [unverified].
  Acrolein and H₂ factors [unverified].
- Overheated PVC: HCl dominates (PVC is 57 % chlorine by mass; dehydrochlorination is the first
  degradation step), with CO, CO₂ and hydrocarbons [S40][S41][S42].
- Diesel traffic: NOx 40–47 g and BC 0.4–1.1 g per kg fuel [S76]; 10–30 % of NOx leaves the exhaust
  as NO₂ [unverified]; the NO titrates ozone near the road.
- Regional smoke and dust are area-wide increments, not point sources: their particle splits are here,
  their levels are scenario parameters.

Concentrations are added as mass (µg/m³), gases converted to ppb at the ambient temperature and
pressure; the field's particle median diameter is that of the fine (< 2.5 µm) mode, the fine-mass-
weighted geometric mean of what is mixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from envirosense.simulation.field import PARTICLE_BINS, TrueField
from envirosense.simulation.physics.units import ug_m3_to_ppb

FloatArray = NDArray[np.float64]

CO2_EF_G_KG = 1650.0
"""CO₂ emission factor of vegetation fires, g/kg (GFED4 range 1489–1703 [S38])."""


@dataclass(frozen=True)
class EmissionProfile:
    """Emission factors (g/kg) of gases and total particulate, the particulate's split over
    ``PARTICLE_BINS`` (mass fractions summing to 1) and its fine mode's mass-median diameter (µm)."""

    name: str
    gas_ef_g_kg: Mapping[str, float]
    particulate_ef_g_kg: float
    size_fractions: tuple[float, float, float, float]
    median_diameter_um: float

    def with_gas(self, species: str, ef_g_kg: float) -> EmissionProfile:
        """A copy with one gas's emission factor replaced."""
        gases = dict(self.gas_ef_g_kg)
        gases[species] = ef_g_kg
        return EmissionProfile(self.name, gases, self.particulate_ef_g_kg, self.size_fractions, self.median_diameter_um)


def co_ef_from_mce(mce: float, co2_ef_g_kg: float = CO2_EF_G_KG) -> float:
    """CO emission factor (g/kg) for a modified combustion efficiency ``mce`` (molar CO₂/(CO₂+CO))."""
    return co2_ef_g_kg * (1.0 - mce) / mce * 28.01 / 44.01


CELLULOSE_PYROLYSIS = EmissionProfile(
    "cellulose_pyrolysis",
    {
        "carbon_monoxide": 150.0,
        "formaldehyde": 2.5,
        "acetaldehyde": 2.0,
        "acrolein": 0.6,
        "phenol": 0.3,
        "cresol": 0.1,
        "guaiacol": 0.05,
        "hydrogen": 2.0,
        "hydrocarbons": 10.0,
        "nitrogen_dioxide": 0.2,
    },
    20.0,
    (0.75, 0.20, 0.03, 0.02),
    0.30,
)
LIGNIN_PYROLYSIS = EmissionProfile(
    "lignin_pyrolysis",
    {
        "carbon_monoxide": 110.0,
        "formaldehyde": 1.5,
        "acetaldehyde": 1.0,
        "acrolein": 0.2,
        "phenol": 2.5,
        "cresol": 1.5,
        "guaiacol": 3.0,
        "hydrogen": 2.0,
        "hydrocarbons": 12.0,
        "nitrogen_dioxide": 0.2,
    },
    18.0,
    (0.70, 0.22, 0.05, 0.03),
    0.35,
)
FLAMING = EmissionProfile(
    "flaming",
    {
        "carbon_monoxide": co_ef_from_mce(0.96),
        "formaldehyde": 1.2,
        "acetaldehyde": 0.6,
        "acrolein": 0.4,
        "phenol": 0.15,
        "cresol": 0.05,
        "guaiacol": 0.1,
        "hydrogen": 0.8,
        "hydrocarbons": 3.0,
        "nitrogen_dioxide": 3.0,
    },
    8.0,
    (0.92, 0.05, 0.02, 0.01),
    0.08,
)
PVC_DEGRADATION = EmissionProfile(
    "pvc_degradation",
    {
        "hydrogen_chloride": 300.0,
        "carbon_monoxide": 40.0,
        "hydrocarbons": 30.0,
        "hydrogen": 1.0,
        "formaldehyde": 0.5,
        "acetaldehyde": 0.5,
    },
    40.0,
    (0.70, 0.22, 0.05, 0.03),
    0.40,
)
DIESEL_EXHAUST = EmissionProfile(
    "diesel_exhaust",
    {
        "nitrogen_dioxide": 0.2 * 43.0,
        "carbon_monoxide": 15.0,
        "hydrocarbons": 4.0,
        "formaldehyde": 0.8,
        "acetaldehyde": 0.3,
        "acrolein": 0.1,
        "hydrogen": 0.5,
    },
    1.0,
    (0.95, 0.03, 0.01, 0.01),
    0.06,
)
PETROL_EXHAUST = EmissionProfile(
    "petrol_exhaust",
    {
        "nitrogen_dioxide": 0.1 * 6.0,
        "carbon_monoxide": 40.0,
        "hydrocarbons": 5.0,
        "formaldehyde": 0.3,
        "acetaldehyde": 0.2,
        "acrolein": 0.05,
        "hydrogen": 3.0,
    },
    0.1,
    (0.95, 0.03, 0.01, 0.01),
    0.05,
)
"""Petrol cars per kg fuel [unverified, order-of-magnitude]: CO-rich, little NOx and soot."""
PETROL_NOX_EF_G_KG = 6.0
DIESEL_NOX_EF_G_KG = 43.0
"""Total NOx (as NO₂ mass) per kg of diesel; 80 % leaves as NO, which titrates ozone [S76]."""

AGED_SMOKE_SIZE_FRACTIONS = (0.72, 0.20, 0.05, 0.03)
AGED_SMOKE_MEDIAN_DIAMETER_UM = 0.35
DUST_SIZE_FRACTIONS = (0.05, 0.10, 0.20, 0.65)
"""Mass split of wind-blown soil dust over the PM bins: 15 % below 2.5 µm [S77] [unverified split]."""
DUST_MEDIAN_DIAMETER_UM = 1.2
"""Mass-median diameter of the dust's fine (< 2.5 µm) part, µm [unverified]."""


def add_gas(field: TrueField, species: str, concentration_ug_m3: FloatArray) -> None:
    """Add a gas concentration (µg/m³) to ``field`` in place, converted to ppb at the ambient T and p."""
    field.gases_ppb[species] = field.gases_ppb[species] + ug_m3_to_ppb(
        concentration_ug_m3, species, field.ambient.air_temperature_c, field.ambient.pressure_hpa
    )


def add_particles(
    field: TrueField,
    mass_ug_m3: FloatArray,
    size_fractions: tuple[float, float, float, float],
    fine_median_diameter_um: float,
) -> None:
    """Add particulate mass (µg/m³) split over the size bins, in place, and update the fine (< 2.5 µm)
    mode's mass-median diameter as the fine-mass-weighted geometric mean."""
    fine_before = field.particles_ug_m3["pm_below_1"] + field.particles_ug_m3["pm_1_to_2_5"]
    added = np.clip(mass_ug_m3, 0.0, None)
    for name, fraction in zip(PARTICLE_BINS, size_fractions, strict=True):
        field.particles_ug_m3[name] = field.particles_ug_m3[name] + fraction * added
    fine_added = (size_fractions[0] + size_fractions[1]) * added
    total = np.maximum(fine_before + fine_added, 1e-12)
    log_diameter = (
        fine_before * np.log(field.particle_median_diameter_um) + fine_added * np.log(fine_median_diameter_um)
    ) / total
    field.particle_median_diameter_um = np.exp(log_diameter)


def add_source_emissions(
    field: TrueField, dilution_s_m3: FloatArray, consumption_g_s: FloatArray, profile: EmissionProfile
) -> None:
    """Add everything a source consuming ``consumption_g_s`` of material emits, at ``dilution_s_m3`` (C/Q)."""
    scale = dilution_s_m3 * consumption_g_s * 1000.0
    for species, ef in profile.gas_ef_g_kg.items():
        add_gas(field, species, ef * scale)
    add_particles(field, profile.particulate_ef_g_kg * scale, profile.size_fractions, profile.median_diameter_um)


def blend_profiles(first: EmissionProfile, second: EmissionProfile, second_fraction: float) -> EmissionProfile:
    """Emissions of a fuel that is ``second_fraction`` (by mass) of ``second`` and the rest ``first``."""
    w = second_fraction
    species = set(first.gas_ef_g_kg) | set(second.gas_ef_g_kg)
    gases = {s: (1 - w) * first.gas_ef_g_kg.get(s, 0.0) + w * second.gas_ef_g_kg.get(s, 0.0) for s in species}
    fractions = tuple((1 - w) * a + w * b for a, b in zip(first.size_fractions, second.size_fractions, strict=True))
    diameter = float(np.exp((1 - w) * np.log(first.median_diameter_um) + w * np.log(second.median_diameter_um)))
    return EmissionProfile(
        f"{first.name}+{second.name}",
        gases,
        (1 - w) * first.particulate_ef_g_kg + w * second.particulate_ef_g_kg,
        (fractions[0], fractions[1], fractions[2], fractions[3]),
        diameter,
    )
