"""``envirosense simulate``: run scenarios through the simulator and summarise what the sensors saw."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table

from envirosense.simulation import scenario_class, scenario_classes


def simulate_command(
    scenario: Annotated[
        list[str] | None, typer.Option("--scenario", "-s", help="Scenario class (repeatable); default: all.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random generator.")] = 0,
    interval: Annotated[float, typer.Option(help="Seconds between samples.")] = 10.0,
) -> None:
    """Simulate each scenario with its default parameters and print one summary row per scenario."""
    classes = [scenario_class(name) for name in scenario] if scenario else scenario_classes()
    rng = np.random.default_rng(seed)
    table = Table(title=f"Simulation summary (seed {seed}, every {interval:g} s)")
    for column in (
        "scenario",
        "label",
        "samples",
        "hazard share",
        "max PM2.5 µg/m³",
        "max ΔT °C",
        "max ultrasonic dB",
        "max EMF µT",
    ):
        table.add_column(column)
    for cls in track(classes, description="Simulating", console=Console(stderr=True)):
        instance = cls()
        result = instance.simulate(instance.sample_times(interval), rng)
        pm = result.readings["U20_SPS30"]["mass_concentration_pm2_5_ug_m3"]
        delta = result.readings["U26_Lepton35"]["hotspot_delta_c"]
        ultra = result.readings["U27_SPU0410HR5H"]["band_ultrasonic_db"]
        emf = result.readings["U29_TFEMF"]["field_strength_ut"]
        table.add_row(
            cls.registry_name(),
            cls.class_label.value,
            str(len(result)),
            f"{result.labels.is_anomaly.mean():.0%}",
            f"{np.nanmax(pm):.1f}",
            f"{np.nanmax(delta):.1f}",
            f"{np.nanmax(ultra):.1f}",
            f"{np.nanmax(emf):.2f}",
        )
    Console().print(table)
