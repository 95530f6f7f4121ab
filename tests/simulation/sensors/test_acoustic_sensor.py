"""U27/U28_SPU0410HR5H: incoherent wind noise, coherent sound, non-flat ultrasound, rain, overload."""

from __future__ import annotations

import numpy as np

from envirosense.schemas import SensorStatus
from envirosense.simulation.result import STATUS_CODE
from envirosense.simulation.sensors import GridGuardianDevice
from envirosense.simulation.sensors.acoustic import BAND_FIELDS, AcousticSensor, band_response_db, response_db
from tests.simulation.sensors.sensor_fields import NO_DROPOUTS, constant_field


def _pair(field: object, seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    readings = GridGuardianDevice(NO_DROPOUTS).measure(field, np.random.default_rng(seed))  # type: ignore[arg-type]
    return readings["U27_SPU0410HR5H"], readings["U28_SPU0410HR5H"]


def test_wind_noise_is_incoherent_between_the_two_microphones() -> None:
    field = constant_field(3000)
    field.ambient.wind_speed_m_s[:] = 10.0
    upper, lower = _pair(field)
    low_upper, low_lower = upper["band_low_db"], lower["band_low_db"]
    assert abs(np.corrcoef(low_upper, low_lower)[0, 1]) < 0.1
    assert np.std(low_upper - low_lower) > 3.0
    assert low_upper.mean() > low_lower.mean() + 2.0


def test_real_sound_is_coherent_between_the_two_microphones() -> None:
    field = constant_field(3000)
    field.ambient.wind_speed_m_s[:] = 1.0
    field.acoustic.band_mid_db[:] = 60.0 + 20.0 * np.sin(np.arange(3000) / 50.0)
    upper, lower = _pair(field)
    assert np.corrcoef(upper["band_mid_db"], lower["band_mid_db"])[0, 1] > 0.95


def test_wind_masks_the_ultrasonic_band_less_than_the_low_band() -> None:
    calm, windy = constant_field(500), constant_field(500)
    calm.ambient.wind_speed_m_s[:] = 1.0
    windy.ambient.wind_speed_m_s[:] = 12.0
    calm_upper, _ = _pair(calm)
    windy_upper, _ = _pair(windy)
    low_rise = windy_upper["band_low_db"].mean() - calm_upper["band_low_db"].mean()
    ultra_rise = windy_upper["band_ultrasonic_db"].mean() - calm_upper["band_ultrasonic_db"].mean()
    assert low_rise > 30.0
    assert ultra_rise < 5.0


def test_ultrasonic_response_is_not_flat() -> None:
    frequencies = np.array([1e3, 10e3, 23e3, 40e3, 60e3])
    response = response_db(frequencies)
    assert abs(response[0]) < 0.01
    assert response[2] > 9.0
    assert response[4] < -7.0
    high, ultrasonic = band_response_db()[2], band_response_db()[3]
    assert high > 0.3 and ultrasonic < -0.5
    field = constant_field(200)
    field.ambient.wind_speed_m_s[:] = 0.5
    field.acoustic.band_ultrasonic_db[:] = 70.0
    offsets = [
        AcousticSensor("U27_SPU0410HR5H")
        .measure(field, NO_DROPOUTS, np.random.default_rng(s))["band_ultrasonic_db"]
        .mean()
        - 70.0
        for s in range(30)
    ]
    assert np.std(offsets) > 1.5


def test_rain_soaks_the_exposed_microphone_more() -> None:
    dry, wet = constant_field(500), constant_field(500)
    for field in (dry, wet):
        field.acoustic.band_ultrasonic_db[:] = 60.0
        field.ambient.wind_speed_m_s[:] = 1.0
    wet.ambient.precipitation_mm_h[:] = 20.0
    dry_upper, dry_lower = _pair(dry, seed=1)
    wet_upper, wet_lower = _pair(wet, seed=1)
    upper_loss = dry_upper["band_ultrasonic_db"].mean() - wet_upper["band_ultrasonic_db"].mean()
    lower_loss = dry_lower["band_ultrasonic_db"].mean() - wet_lower["band_ultrasonic_db"].mean()
    assert upper_loss > 8.0
    assert 3.0 < lower_loss < upper_loss


def test_overload_clips_at_120_db_and_saturates() -> None:
    field = constant_field(50)
    field.acoustic.band_mid_db[:] = 135.0
    readings = AcousticSensor("U27_SPU0410HR5H").measure(field, NO_DROPOUTS, np.random.default_rng(0))
    assert (readings["status"] == STATUS_CODE[SensorStatus.SATURATED]).all()
    assert max(readings[name].max() for name in BAND_FIELDS) == 120.0
    assert (readings["dominant_frequency_hz"] >= 200.0).all() and (readings["dominant_frequency_hz"] <= 2000.0).all()


def test_impulsive_source_raises_the_crest_factor_unless_wind_masks_it() -> None:
    def crest(impulsiveness: float, wind: float) -> float:
        field = constant_field(500)
        field.acoustic.band_high_db[:] = 75.0
        field.acoustic.impulsiveness[:] = impulsiveness
        field.ambient.wind_speed_m_s[:] = wind
        return float(
            AcousticSensor("U27_SPU0410HR5H")
            .measure(field, NO_DROPOUTS, np.random.default_rng(2))["crest_factor_db"]
            .mean()
        )

    assert crest(0.9, 1.0) > crest(0.0, 1.0) + 10.0
    assert crest(0.9, 14.0) < crest(0.9, 1.0) - 5.0
