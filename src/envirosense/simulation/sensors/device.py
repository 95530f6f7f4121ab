"""The Grid Guardian device: every sensor's reading from the true field.

``GridGuardianDevice`` holds one model per sensor id (``default_sensor_models``) and runs them in the
device's sensor order. Each sensor gets its own child generator, seeded from the generator passed to
``measure``: the device is one physical instance per call (calibration, drift rates, pixel defects and
schedules are drawn afresh), the same seed gives bit-identical readings, and a change inside one sensor
model does not shift the random draws of the others.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from envirosense.ops.logging import get_logger
from envirosense.schemas import SENSOR_IDS, SensorStatus
from envirosense.simulation.field import TrueField
from envirosense.simulation.parameters import DeviceParams
from envirosense.simulation.result import STATUS_CODE, SensorArrays
from envirosense.simulation.sensors.acoustic import AcousticSensor
from envirosense.simulation.sensors.anemometer import AnemometerSensor
from envirosense.simulation.sensors.base import SensorModel
from envirosense.simulation.sensors.emf import EmfSensor
from envirosense.simulation.sensors.imu import ImuSensor
from envirosense.simulation.sensors.lightning import LightningSensor
from envirosense.simulation.sensors.particulate import ParticulateSensor
from envirosense.simulation.sensors.pressure import PressureSensor
from envirosense.simulation.sensors.temperature_humidity import TemperatureHumiditySensor
from envirosense.simulation.sensors.thermal_camera import ThermalCameraSensor
from envirosense.simulation.sensors.voc_array import VocArraySensor


def default_sensor_models() -> tuple[SensorModel, ...]:
    """One model per sensor of the device, in ``SENSOR_IDS`` order, with data-sheet defaults."""
    return (
        VocArraySensor("U19_TFSGS"),
        ParticulateSensor("U20_SPS30"),
        TemperatureHumiditySensor("U21_SHT85", "enclosure"),
        TemperatureHumiditySensor("U22_SHT85", "outside"),
        PressureSensor("U23_BMP388"),
        AnemometerSensor("U24_FT205"),
        LightningSensor("U25_AS3935"),
        ThermalCameraSensor("U26_Lepton35"),
        AcousticSensor("U27_SPU0410HR5H", wind_exposure_db=0.0, rain_exposure=1.0),
        AcousticSensor("U28_SPU0410HR5H", wind_exposure_db=-4.0, rain_exposure=0.5),
        EmfSensor("U29_TFEMF"),
        ImuSensor("U30_BMI270"),
    )


class GridGuardianDevice:
    """The twelve sensors of one Grid Guardian box.

    ``params``: device state (calibration age, dropout probability); ``sensors``: the sensor models,
    one per id in ``SENSOR_IDS`` (default ``default_sensor_models()``), e.g. to swap in a model with
    non-default settings.
    """

    def __init__(self, params: DeviceParams, sensors: Sequence[SensorModel] | None = None) -> None:
        self.params = params
        self.sensors = tuple(default_sensor_models() if sensors is None else sensors)
        ids = [sensor.sensor_id for sensor in self.sensors]
        if sorted(ids) != sorted(SENSOR_IDS):
            raise ValueError(f"sensors must cover each of {SENSOR_IDS} exactly once, got {ids}")

    def measure(self, field: TrueField, rng: np.random.Generator) -> dict[str, SensorArrays]:
        """Readings of every sensor over ``field.times_s``: sensor id → field name → ``(T,)`` array.

        Floats use NaN for null; ``status`` holds codes into ``STATUS_SYMBOLS``; the thermal camera's
        ``downsampled_image_c`` is ``(T, 192)``.
        """
        seeds = rng.integers(0, np.iinfo(np.int64).max, size=len(self.sensors))
        readings = {
            sensor.sensor_id: sensor.measure(field, self.params, np.random.default_rng(int(seed)))
            for sensor, seed in zip(self.sensors, seeds, strict=True)
        }
        ok = STATUS_CODE[SensorStatus.OK]
        get_logger(__name__).debug(
            "device_measured",
            timesteps=field.n_steps,
            not_ok={sid: int((arrays["status"] != ok).sum()) for sid, arrays in readings.items()},
        )
        return {sensor_id: readings[sensor_id] for sensor_id in SENSOR_IDS}
