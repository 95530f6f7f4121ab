from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from envirosense.learning.history import CraftedScenario, CycleSummary, RunHistory
from envirosense.learning.report import write_report
from envirosense.schemas import ConfusionMatrix, WeakSpot, WeakSpotType

LABELS = ["normal", "arcing", "fire_precursor"]


def _cycle(index: int, f1: float, samples: int) -> CycleSummary:
    return CycleSummary(
        cycle_index=index,
        samples_total=samples,
        macro_f1=f1,
        accuracy=f1 + 0.05,
        per_class_f1={label: f1 - 0.1 * k for k, label in enumerate(LABELS)},
        model_version=f"m/{index + 1}",
        confusion_matrix=ConfusionMatrix(labels=LABELS, counts=[[50, 2, 3], [5, 20 + index, 1], [6, 0, 14 + index]]),
        weak_spots=[
            WeakSpot(
                weak_spot_id=f"ws-{index}",
                weak_spot_type=WeakSpotType.MISCLASSIFIED_REGION,
                priority=0.5,
                sensor_id="U20_SPS30",
            )
        ],
        scenarios=[
            CraftedScenario(
                scenario_definition_id=f"arcing_event-v{index}",
                scenario_class_name="ArcingEventScenario",
                action="variation",
                weak_spot_id=f"ws-{index}",
                params={"note": "<script>alert(1)</script>"},
                samples=40,
            )
        ],
    )


@pytest.fixture
def history() -> RunHistory:
    return RunHistory(
        run_id="run-1",
        strategy="alm",
        status="completed",
        cycles=[_cycle(0, 0.5, 200), _cycle(1, 0.62, 400), _cycle(2, 0.6, 600)],
    )


def test_report_has_every_plot_and_table(history: RunHistory, tmp_path: Path) -> None:
    baseline = history.model_copy(update={"run_id": "run-random", "strategy": "random"})
    path = write_report(history, tmp_path / "report.html", compare=[baseline])
    page = path.read_text(encoding="utf-8")
    for title in ("Learning curve", "Per-class F1", "Confusion matrices, first vs last", "Weak spots per sensor"):
        assert f"<h2>{title}" in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 4
    assert all(base64.b64decode(image).startswith(b"\x89PNG") for image in images)
    assert "arcing_event-v2" in page and "run-random" not in page.split("<h2>Summary")[1].split("<img")[0]
    assert "<script>" not in page


def test_learning_curve_reports_best_so_far(history: RunHistory) -> None:
    assert history.learning_curve() == ([200, 400, 600], [0.5, 0.62, 0.62])


def test_a_run_without_cycles_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no completed cycle"):
        write_report(RunHistory(run_id="r", strategy="alm", status="running", cycles=[]), tmp_path / "r.html")


def test_a_degraded_cycle_says_what_it_went_without(history: RunHistory, tmp_path: Path) -> None:
    reason = "probe: model-server unavailable (CircuitOpenError)"
    degraded = history.cycles[1].model_copy(update={"degraded": [reason]})
    run = history.model_copy(update={"cycles": [history.cycles[0], degraded, history.cycles[2]]})
    summary = write_report(run, tmp_path / "r.html").read_text(encoding="utf-8").split("<h2>Summary")[1]
    rows = summary.split("</table>")[0].split("<tr>")[2:]
    assert [reason in row for row in rows] == [False, True, False]
