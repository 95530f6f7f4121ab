"""Throughput of the sensor models: readings per second for one long run of the whole device.

Builds a realistic quiet true field (``physics.ambient.quiet_field``) of T timesteps, then times
``GridGuardianDevice.measure`` on it (median of several repeats, one core). The baseline, measured in
the same run, is building that true field: the ratio says how much the sensors add to a simulation.
A reading is one sensor at one timestep (12 per timestep).

    python benchmarks/sensor_throughput.py            # T = 10,000, 5 repeats
    python benchmarks/sensor_throughput.py --quick    # T = 2,000, 2 repeats
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial

import numpy as np

from envirosense.ops.logging import configure_logging
from envirosense.simulation.field import TrueField
from envirosense.simulation.parameters import DeviceParams, EnvironmentParams
from envirosense.simulation.physics.ambient import quiet_field
from envirosense.simulation.result import SensorArrays
from envirosense.simulation.sensors import GridGuardianDevice, SensorModel


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls of ``run``, s (after one warm-up call)."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def measure_sensor(sensor: SensorModel, field: TrueField, device: DeviceParams) -> SensorArrays:
    """One ``sensor.measure`` pass over ``field`` (``(T,)`` arrays) with a fresh generator of seed 2."""
    return sensor.measure(field, device, np.random.default_rng(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="T = 2,000 and 2 repeats (for CI).")
    parser.add_argument("--steps", type=int, default=None, help="Timesteps T (default 10,000; 2,000 with --quick).")
    args = parser.parse_args()
    configure_logging(level="WARNING")
    steps = args.steps or (2_000 if args.quick else 10_000)
    repeats = 2 if args.quick else 5

    env, device = EnvironmentParams(), DeviceParams()
    times = np.arange(steps, dtype=np.float64)
    field = quiet_field(env, device, times, np.random.default_rng(0))
    gridguardian = GridGuardianDevice(device)

    truth_s = median_seconds(lambda: quiet_field(env, device, times, np.random.default_rng(0)), repeats)
    device_s = median_seconds(lambda: gridguardian.measure(field, np.random.default_rng(1)), repeats)
    readings = steps * len(gridguardian.sensors)
    print(f"T = {steps:,} timesteps, {len(gridguardian.sensors)} sensors, median of {repeats} runs")
    print(
        f"all sensors:    {device_s * 1e3:8.1f} ms  {readings / device_s:12,.0f} readings/s  "
        f"{steps / device_s:10,.0f} timesteps/s"
    )
    print(f"true field:     {truth_s * 1e3:8.1f} ms  (baseline: quiet_field for the same T)")
    print(f"sensors / true field time ratio: {device_s / truth_s:.2f}")
    print("per sensor:")
    for sensor in gridguardian.sensors:
        seconds = median_seconds(partial(measure_sensor, sensor, field, device), repeats)
        print(f"  {sensor.sensor_id:<16} {seconds * 1e3:8.2f} ms  {steps / seconds:12,.0f} readings/s")


if __name__ == "__main__":
    main()
