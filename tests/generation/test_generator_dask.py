"""A Dask LocalCluster, reached through its scheduler address, gives the same dataset as a local run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from envirosense.generation import MLDataGenerator
from envirosense.simulation import scenario_class
from tests.generation.generation_helpers import GenerateRequest, snapshot

REQUEST: GenerateRequest = {"seed": 8, "samples_per_run": 60, "interval_seconds": 15.0, "runs_per_scenario": 3}


@pytest.fixture(scope="module")
def scheduler_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import dask
    from distributed import LocalCluster

    scratch = str(tmp_path_factory.mktemp("dask"))
    with dask.config.set({"temporary-directory": scratch}):
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            local_directory=scratch,
        )
        try:
            yield cluster.scheduler_address
        finally:
            cluster.close()


@pytest.mark.slow
def test_dask_cluster_gives_the_same_dataset_as_a_local_run(tmp_path: Path, scheduler_address: str) -> None:
    scenarios = [scenario_class(name)() for name in ("baseline_operation", "corona_discharge", "traffic_exhaust")]
    local = MLDataGenerator(workers=0).generate(scenarios, tmp_path / "local", **REQUEST)
    remote = MLDataGenerator(dask_scheduler=scheduler_address).generate(scenarios, tmp_path / "dask", **REQUEST)
    assert remote.units_written == 9
    assert remote.dataset_id == local.dataset_id
    assert snapshot(tmp_path / "dask") == snapshot(tmp_path / "local")
    again = MLDataGenerator(dask_scheduler=scheduler_address).generate(scenarios, tmp_path / "dask", **REQUEST)
    assert (again.units_written, again.units_skipped) == (0, 9)


@pytest.mark.slow
def test_an_open_generator_keeps_one_client_for_all_its_calls(tmp_path: Path, scheduler_address: str) -> None:
    from distributed import Client

    scenarios = [scenario_class(name)() for name in ("baseline_operation", "arcing_event")]
    with Client(scheduler_address, set_as_default=False) as observer:  # type: ignore[no-untyped-call]

        def clients() -> int:
            # The scheduler's view: connected clients other than this observer (and its own "fire-and-forget").
            names = observer.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.clients))
            return len([name for name in names if name not in (observer.id, "fire-and-forget")])

        with MLDataGenerator(dask_scheduler=scheduler_address) as generator:
            first = generator.generate(scenarios[:1], tmp_path / "one", **REQUEST)
            assert clients() == 1
            second = generator.generate(scenarios[1:], tmp_path / "two", **REQUEST)
            assert clients() == 1
        assert clients() == 0
    assert (first.units_written, second.units_written) == (3, 3)
    local = MLDataGenerator(workers=0).generate(scenarios[1:], tmp_path / "local", **REQUEST)
    assert second.dataset_id == local.dataset_id


@pytest.mark.slow
def test_an_open_generator_whose_scheduler_is_lost_fails_cleanly_and_reconnects(tmp_path: Path) -> None:
    import dask
    from distributed import LocalCluster

    from envirosense.generation import GeneratorUnavailableError

    scenarios = [scenario_class("baseline_operation")()]
    scratch = str(tmp_path / "dask")

    def cluster(port: int = 0) -> LocalCluster:
        with dask.config.set({"temporary-directory": scratch}):
            return LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                host="127.0.0.1",
                scheduler_port=port,
                local_directory=scratch,
            )

    first = cluster()
    address = first.scheduler_address
    port = int(address.rsplit(":", 1)[1])
    generator = MLDataGenerator(
        dask_scheduler=address, scheduler_timeout_seconds=2.0, executor_attempts=2, backoff_initial_s=0.1
    )
    with generator:
        generator.generate(scenarios, tmp_path / "before", **REQUEST)
        first.close()
        with pytest.raises(GeneratorUnavailableError, match=address):
            generator.generate(scenarios, tmp_path / "lost", **REQUEST)
        second = cluster(port)  # the scheduler is back at the same address
        try:
            report = generator.generate(scenarios, tmp_path / "after", **REQUEST)
        finally:
            second.close()
    assert report.units_written == 3
