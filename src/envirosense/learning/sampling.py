"""The machinery every acquisition policy shares: draw random scenario runs, simulate definitions into a
dataset folder, and keep the samples the champion separates least."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from envirosense.generation import GenerationReport, Lineage, UnitEvent
from envirosense.generation.reader import iter_samples
from envirosense.learning.context import CycleContext, derived_seed
from envirosense.learning.degradation import ServiceGuard, StepSkippedError
from envirosense.learning.history import CraftedScenario
from envirosense.learning.progress import generation_progress
from envirosense.learning.selection import Ranked, keep_first, least_separated
from envirosense.learning.simulation_count import SimulationCounter
from envirosense.learning.sources import DefinitionDraw, random_definitions, runs_for, save_definitions
from envirosense.learning.state import DatasetSlice
from envirosense.learning.suggestions import Suggestion
from envirosense.models.interface import ModelInterface
from envirosense.ops import metrics
from envirosense.ops.logging import get_logger
from envirosense.ops.timing import BOOKKEEPING_DATABASE, CRAFTING, SELECTION, timed
from envirosense.repository.interface import ScenarioRepositoryInterface
from envirosense.schemas import ScenarioDefinition
from envirosense.simulation.scenario import BaseScenario

log = get_logger(__name__)


class SampleGenerator(Protocol):
    """What the loop needs of ``MLDataGenerator``."""

    def generate(
        self,
        scenarios: Sequence[ScenarioDefinition],
        output_dir: Path,
        *,
        seed: int,
        samples_per_run: int | None = None,
        spread_over_duration: bool = False,
        runs_per_scenario: int = 1,
        lineage: Lineage | None = None,
        progress: Callable[[UnitEvent], None] | None = None,
    ) -> GenerationReport: ...


@contextmanager
def repository_call(operation: str) -> Iterator[None]:
    """Times a scenario-repository call into ``envirosense_repository_seconds{operation}`` and into the
    cycle's profile: crafting (``craft``: its simulations and model scoring) as ``crafting``, every other
    call as database bookkeeping."""
    step = CRAFTING if operation == "craft" else BOOKKEEPING_DATABASE
    with timed(step), metrics.observe(metrics.REPOSITORY_SECONDS, operation=operation):
        yield


class SampleMaker:
    """Simulates definitions and selects samples for a cycle.

    Parameters
    ----------
    generator:
        Turns scenario definitions into Avro datasets (``MLDataGenerator``).
    repository:
        Where drawn definitions are saved (for lineage).
    model_interface:
        Scores candidate samples (top-two probability margins) under the champion.
    guard:
        Waits or skips while the generator's executor or the model server is down.
    samples_per_run:
        Samples taken evenly over each simulated scenario run.

    ``counter`` counts every sample ``generate`` simulates (``learning.simulation_count``).
    """

    def __init__(
        self,
        generator: SampleGenerator,
        repository: ScenarioRepositoryInterface,
        model_interface: ModelInterface,
        guard: ServiceGuard,
        samples_per_run: int,
    ) -> None:
        self.generator = generator
        self.repository = repository
        self.model_interface = model_interface
        self.guard = guard
        self.samples_per_run = samples_per_run
        self.counter = SimulationCounter()

    def random_runs(
        self, context: CycleContext, suggestion: Suggestion, draw: DefinitionDraw = random_definitions
    ) -> list[ScenarioDefinition]:
        """Definitions for ``suggestion.samples`` samples from ``draw`` (default: class and parameters
        uniformly), saved to the repository."""
        definitions = draw(
            context.rng(context.index, suggestion.stream),
            runs_for(suggestion.samples, self.samples_per_run),
            f"{context.run_id}-c{context.index}-{suggestion.action.value}",
            tags=(suggestion.action.value,),
        )
        with repository_call("save"):
            save_definitions(self.repository, definitions)
        return definitions

    def generate(
        self,
        context: CycleContext,
        definitions: Sequence[ScenarioDefinition],
        out: Path,
        purpose: str,
        lineage: Lineage,
        *,
        key: str,
        guarded: bool = True,
    ) -> list[DatasetSlice]:
        """One run of ``samples_per_run`` samples per definition, spread over each scenario's duration,
        into the dataset folder ``out``; a definition given n times gets n runs (other seeds). The
        generation seed comes from the run's seed, the cycle, ``purpose`` and ``key`` (a suggestion's
        ``stream``), never from names. While the generator's executor is down this waits (``guarded``;
        the caller guards otherwise)."""
        counts: dict[str, tuple[ScenarioDefinition, int]] = {}
        for definition in definitions:
            known, count = counts.get(definition.scenario_definition_id, (definition, 0))
            counts[definition.scenario_definition_id] = (known, count + 1)
        by_count: dict[int, list[ScenarioDefinition]] = {}
        for definition, count in counts.values():
            by_count.setdefault(count, []).append(definition)
        made: list[DatasetSlice] = []
        for count, group in sorted(by_count.items()):
            folder = out if len(by_count) == 1 else out / f"runs-{count}"

            def generate(
                group: list[ScenarioDefinition] = group, folder: Path = folder, count: int = count
            ) -> GenerationReport:
                with metrics.observe(metrics.GENERATION_SECONDS, purpose=purpose):
                    return self.generator.generate(
                        group,
                        folder,
                        seed=derived_seed(context.seed, context.index, purpose, key, count),
                        samples_per_run=self.samples_per_run,
                        spread_over_duration=True,
                        runs_per_scenario=count,
                        lineage=lineage,
                        progress=generation_progress(context.emit, purpose, self.samples_per_run),
                    )

            report = self.guard.call(f"generate-{purpose}", generate) if guarded else generate()
            metrics.GENERATED_SAMPLES.labels(purpose=purpose).inc(report.total_samples)
            self.counter.add(report.total_samples)
            made.append(DatasetSlice(path=str(folder), samples=report.total_samples))
        return made

    @timed(SELECTION)
    def select(
        self, context: CycleContext, candidates: Sequence[DatasetSlice], keep: int, *, key: str
    ) -> tuple[list[DatasetSlice], str | None]:
        """The ``keep`` samples of ``candidates`` the champion separates least, and ``None``; without the
        model (server down, ``on_service_down = "skip"``) a seeded random subset and the reason."""
        folders = [entry.path for entry in candidates]

        def margins() -> list[Ranked]:
            ranked: list[Ranked] = []
            for position, folder in enumerate(folders):
                predictions = self.model_interface.predict_proba(Path(folder), context.champion)
                ranked.extend(
                    (margin, sample_id, position)
                    for margin, sample_id in zip(predictions.margins().tolist(), predictions.sample_ids, strict=True)
                )
            return ranked

        try:
            return least_separated(folders, self.guard.call("selection", margins, skippable=True), keep), None
        except StepSkippedError as skipped:
            ids: list[Ranked] = [
                (0.0, str(sample["sample_id"]), position)
                for position, folder in enumerate(folders)
                for sample in iter_samples(Path(folder), validate=False)
            ]
            rng = context.rng(context.index, "unselected", key)
            return keep_first(folders, [ids[i] for i in rng.permutation(len(ids))], keep), skipped.reason


def created_scenarios(
    definitions: Sequence[ScenarioDefinition], suggestion: Suggestion, samples_per_run: int
) -> list[CraftedScenario]:
    """What ``suggestion`` created: one record per distinct definition with the samples it was given."""
    per_id = {d.scenario_definition_id: d for d in definitions}
    counts: dict[str, int] = {}
    for definition in definitions:
        counts[definition.scenario_definition_id] = counts.get(definition.scenario_definition_id, 0) + 1
    return [
        CraftedScenario(
            scenario_definition_id=definition_id,
            scenario_class_name=definition.scenario_class_name,
            action=suggestion.action.value,
            weak_spot_id=suggestion.weak_spot_id,
            parent_scenario_id=definition.parent_scenario_id,
            params=definition.specific_params(),
            samples=counts[definition_id] * samples_per_run,
        )
        for definition_id, definition in per_id.items()
    ]


def scenario_definition(scenario: BaseScenario[Any]) -> ScenarioDefinition:
    """The stored definition of a runnable scenario."""
    if scenario.definition is None:
        raise ValueError(f"{scenario!r} has no stored definition")
    return scenario.definition
