"""``envirosense simulate``: run scenarios through the simulator and summarise what the sensors saw."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table

from envirosense.cli.errors import USAGE_EXIT, did_you_mean, fail
from envirosense.cli.output import stdout
from envirosense.simulation import scenario_class, scenario_classes
from envirosense.simulation.registry import UnknownScenarioClassError
from envirosense.simulation.scenario import BaseScenario


def unknown_scenario_message(name: str) -> str:
    """``unknown scenario class 'x' (did you mean 'y'?); known: …`` for a name that is not registered."""
    known = sorted(cls.registry_name() for cls in scenario_classes())
    return f"unknown scenario class {name!r}{did_you_mean(name, known)}; known: {', '.join(known)}"


def known_scenario_class(name: str) -> type[BaseScenario[Any]]:
    """The scenario class ``name``; an unknown name ends the command with ``unknown_scenario_message``."""
    try:
        return scenario_class(name)
    except UnknownScenarioClassError:
        fail(unknown_scenario_message(name), USAGE_EXIT)


def simulate_command(
    scenario: Annotated[
        list[str] | None, typer.Option("--scenario", "-s", help="Scenario class (repeatable); default: all.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random generator.")] = 0,
    interval: Annotated[float, typer.Option(help="Seconds between samples.")] = 10.0,
) -> None:
    """Simulate each scenario with its default parameters and print one summary row per scenario."""
    classes = [known_scenario_class(name) for name in scenario] if scenario else scenario_classes()
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
    err = Console(stderr=True)
    for cls in track(classes, description="Simulating", console=err, disable=not err.is_terminal):
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
    stdout().print(table)
