"""Sensor models: the true field at the device → imperfect readings of every sensor.

One module per sensor kind (``voc_array``, ``particulate``, ``temperature_humidity``, ``pressure``,
``anemometer``, ``lightning``, ``thermal_camera``, ``acoustic``, ``emf``, ``imu``) and shared building
blocks (``lag``, ``calibration``, ``limits``, ``radiometry``, ``base``). See ``docs/sensors.md``.
"""

from envirosense.simulation.sensors.base import RawReadings, SensorModel
from envirosense.simulation.sensors.device import GridGuardianDevice, default_sensor_models

__all__ = ["GridGuardianDevice", "RawReadings", "SensorModel", "default_sensor_models"]
