"""Sensor models: the true field at the device → imperfect readings of every sensor."""

from envirosense.simulation.sensors.device import GridGuardianDevice

__all__ = ["GridGuardianDevice"]
