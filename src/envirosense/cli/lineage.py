"""``envirosense lineage SAMPLE_ID``: where a sample came from and which models were trained on it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.tree import Tree

from envirosense.cli.errors import USAGE_EXIT, fail
from envirosense.cli.output import print_json, stdout
from envirosense.cli.run import ConfigOption, JsonOption, StoredRuns, WorkspaceOption
from envirosense.learning.lineage import ModelLink, SampleLineage, UnknownSampleError, trace


def _model(link: ModelLink) -> str:
    name = f"model {link.registered_model}" if link.registered_model else f"the model of run {link.run_id}"
    cycle = f", cycle {link.cycle_index}" if link.cycle_index is not None else ""
    champion = ", champion" if link.champion else ""
    return f"{name} v{link.version} (run {link.run_id}{cycle}{champion})"


def lineage_tree(record: SampleLineage) -> Tree:
    """``record`` as a tree: dataset → scenario → what asked for it → the models trained on it."""
    tree = Tree(f"sample {record.sample_id}", highlight=False)
    dataset = tree.add(f"dataset {record.dataset}")
    dataset.add(f"file {Path(record.file).name}")
    scenario = tree.add(
        f"scenario definition {record.scenario_definition_id} v{record.scenario_definition_version} "
        f"({record.scenario_class_name}, unit seed {record.unit_seed})"
    )
    if record.parent_scenario_id:
        scenario.add(f"derived from {record.parent_scenario_id}")
    if record.run_id is None:
        tree.add("asked for by: no cycle (a shared dataset: the initial or evaluation set)")
    else:
        cycle = tree.add(f"asked for by run {record.run_id}, cycle {record.cycle_index}")
        for spot in record.weak_spots:
            where = spot.sensor_id or "class level"
            kind = spot.weak_spot_type or "not recorded"
            utility = f", utility {spot.utility:.2f}" if spot.utility is not None else ""
            routed = f", {spot.strategy}" if spot.strategy else ""
            cycle.add(f"weak spot {spot.weak_spot_id} ({kind} on {where}{routed}{utility})")
        if record.suggestion is not None:
            s = record.suggestion
            why = f": {s.rationale}" if s.rationale else ""
            cycle.add(f"suggestion {s.suggestion_id} ({s.action}, {s.samples} samples, {s.status}{why})")
        if record.answered_model is not None:
            cycle.add(f"answered the weakness of {_model(record.answered_model)}")
    count = len(record.trained_by)
    trained = tree.add(f"trained on it: {count} model version{'' if count == 1 else 's'}")
    for link in record.trained_by:
        trained.add(_model(link))
    if not record.trained_by:
        trained.add("none (not selected into a training set, or not trained yet)")
    return tree


def lineage_command(
    sample_id: Annotated[str, typer.Argument(help="Sample id (the `sample_id` of an Avro sample).")],
    config: ConfigOption = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print where SAMPLE_ID came from: dataset file, scenario definition, the weak spot, suggestion, cycle
    and run that asked for it, the champion whose weakness it answered, and every model trained on it."""
    runs = StoredRuns.open(config, workspace)
    try:
        records = trace(runs.store, sample_id, workspace=runs.settings.workspace.resolve())
    except UnknownSampleError as exc:
        fail(str(exc), USAGE_EXIT)
    if as_json:
        print_json([record.model_dump(mode="json") for record in records])
        return
    console = stdout()
    for record in records:
        console.print(lineage_tree(record))
