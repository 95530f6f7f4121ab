"""U19_TFSGS: cross-sensitivity, T/RH dependence, lag, drift."""

from __future__ import annotations

import numpy as np
import pytest

from envirosense.simulation.field import GAS_SPECIES, TrueField
from envirosense.simulation.parameters import DeviceParams
from envirosense.simulation.sensors.voc_array import (
    CHANNELS,
    CROSS_SENSITIVITY,
    VocArraySensor,
    cross_sensitivity_matrix,
)
from tests.simulation.sensors.sensor_fields import NO_DROPOUTS, constant_field

SEEDS = range(12)


def _mean_readings(field: TrueField, device: DeviceParams = NO_DROPOUTS) -> dict[str, float]:
    sensor = VocArraySensor()
    runs = [sensor.measure(field, device, np.random.default_rng(seed)) for seed in SEEDS]
    return {channel: float(np.mean([np.nanmean(run[channel]) for run in runs])) for channel in CHANNELS}


def _pure(species: str, ppb: float, n: int = 200) -> TrueField:
    field = constant_field(n, dt=10.0)
    for name in GAS_SPECIES:
        field.gases_ppb[name][:] = 0.0
    field.gases_ppb[species][:] = ppb
    field.ambient.air_temperature_c[:] = 20.0
    field.ambient.relative_humidity_pct[:] = 65.0
    return field


def test_cross_sensitivity_matrix_matches_the_table() -> None:
    matrix = cross_sensitivity_matrix()
    assert matrix.shape == (8, 12)
    assert matrix[CHANNELS.index("phenol_ppb"), GAS_SPECIES.index("phenol")] == 1.0
    assert (
        matrix[CHANNELS.index("cresol_ppb"), GAS_SPECIES.index("phenol")] == CROSS_SENSITIVITY["cresol_ppb"]["phenol"]
    )


def test_pure_phenol_raises_cresol_and_guaiacol_channels_a_little() -> None:
    clean = _mean_readings(_pure("phenol", 0.0))
    phenol = _mean_readings(_pure("phenol", 200.0))
    rise = {channel: phenol[channel] - clean[channel] for channel in CHANNELS}
    assert rise["phenol_ppb"] == pytest.approx(200.0, rel=0.1)
    for channel in ("cresol_ppb", "guaiacol_ppb"):
        expected = 200.0 * CROSS_SENSITIVITY[channel]["phenol"]
        assert 0.5 * expected < rise[channel] < 1.5 * expected, channel
        assert rise[channel] < 0.2 * rise["phenol_ppb"]
    assert abs(rise["formaldehyde_ppb"]) < 1.0
    strong = _mean_readings(_pure("phenol", 2000.0))["general_reducing_ppb"] - clean["general_reducing_ppb"]
    assert 0.5 * 0.3 * 2000.0 < strong < 1.5 * 0.3 * 2000.0


def test_reducing_channel_depends_on_temperature_and_humidity() -> None:
    cold_dry = _pure("carbon_monoxide", 2000.0)
    cold_dry.ambient.air_temperature_c[:] = 0.0
    cold_dry.ambient.relative_humidity_pct[:] = 30.0
    warm_humid = _pure("carbon_monoxide", 2000.0)
    warm_humid.ambient.air_temperature_c[:] = 35.0
    warm_humid.ambient.relative_humidity_pct[:] = 90.0
    low = _mean_readings(cold_dry)["general_reducing_ppb"]
    high = _mean_readings(warm_humid)["general_reducing_ppb"]
    assert high > 1.8 * low


def test_oxidising_channel_sees_ozone_no2_and_hcl() -> None:
    base = _mean_readings(_pure("ozone", 0.0))["general_oxidising_ppb"]
    for species in ("ozone", "nitrogen_dioxide", "hydrogen_chloride"):
        assert _mean_readings(_pure(species, 200.0))["general_oxidising_ppb"] > base + 40.0, species


def test_selective_channel_lag_reaches_63_percent_at_tau() -> None:
    field = _pure("formaldehyde", 0.0, n=400)
    field.times_s = np.arange(400, dtype=np.float64)
    field.gases_ppb["formaldehyde"][100:] = 1000.0
    fractions = []
    for seed in SEEDS:
        reading = VocArraySensor().measure(field, NO_DROPOUTS, np.random.default_rng(seed))["formaldehyde_ppb"]
        start, end = reading[90:100].mean(), reading[-50:].mean()
        fractions.append((reading[119] - start) / (end - start))
    assert np.mean(fractions) == pytest.approx(1.0 - np.exp(-1.0), abs=0.03)


def test_drift_grows_with_days_since_calibration_and_with_simulated_time() -> None:
    field = _pure("carbon_monoxide", 1000.0, n=4)

    def error(device: DeviceParams, index: int) -> float:
        sensor = VocArraySensor()
        readings = [
            sensor.measure(field, device, np.random.default_rng(s))["general_reducing_ppb"][index] for s in range(60)
        ]
        return float(np.mean(np.abs(np.array(readings) - 1000.0)))

    assert error(DeviceParams(days_since_calibration=700, dropout_probability=0), 0) > 2.0 * error(
        DeviceParams(days_since_calibration=0, dropout_probability=0), 0
    )
    field.times_s = np.array([0.0, 1.0, 2.0, 300.0]) * 86_400.0
    fresh = DeviceParams(days_since_calibration=0, dropout_probability=0)
    assert error(fresh, 3) > 2.0 * error(fresh, 0)
