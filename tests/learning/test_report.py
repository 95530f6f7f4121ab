from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from envirosense.learning.history import CraftedScenario, CycleSummary, RunHistory
from envirosense.learning.report import write_report
from envirosense.learning.report_plots import (
    learning_curve_plot,
    per_class_plot,
    simulation_curve_plot,
    time_profile_plot,
    weak_spot_plot,
)
from envirosense.schemas import ConfusionMatrix, WeakSpot, WeakSpotType
from tests.learning.headless_chromium import CHROMIUM, check_page

LABELS = ["normal", "arcing", "fire_precursor"]
PARENT = {"duration_seconds": 1800.0, "source": {"distance_m": 12.0, "gap_mm": 0.8}, "environment": {"wind": 3.0}}


def _cycle(index: int, f1: float, samples: int, *, simulated: int | None = None, arcing_rows: int = 26) -> CycleSummary:
    return CycleSummary(
        cycle_index=index,
        samples_total=samples,
        samples_simulated=simulated,
        macro_f1=f1,
        accuracy=f1 + 0.05,
        per_class_f1={label: f1 - 0.1 * k for k, label in enumerate(LABELS)},
        model_version=f"{index + 1}",
        confusion_matrix=ConfusionMatrix(
            labels=LABELS, counts=[[50, 2, 3], [arcing_rows - 6 - index, 5, 1 + index], [6, 0, 14 + index]]
        ),
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
                parent_scenario_id="arcing_event",
                params={**PARENT, "source": {"distance_m": 12.0 - index - 0.123456789, "gap_mm": 0.8}},
                samples=40,
            )
        ],
        step_seconds={"probe_generation": 3.0 + index, "training": 1.5, "bookkeeping": 0.2},
    )


def _history(run_id: str, strategy: str, f1s: list[float], *, simulated: bool = True) -> RunHistory:
    """``simulated``: each cycle records its simulated samples (700 per cycle, 200 of them kept); False: a run
    recorded before ``samples_simulated`` existed."""
    cycles = [_cycle(i, f1, 200 * (i + 1), simulated=700 * (i + 1) if simulated else None) for i, f1 in enumerate(f1s)]
    return RunHistory(run_id=run_id, strategy=strategy, status="completed", cycles=cycles)


@pytest.fixture
def history() -> RunHistory:
    return _history("run-1", "alm", [0.5, 0.62, 0.6])


def _images(page: str) -> list[str]:
    return re.findall(r'src="data:image/png;base64,([^"]+)"', page)


def test_report_has_every_plot_and_table(history: RunHistory, tmp_path: Path) -> None:
    baseline = history.model_copy(update={"run_id": "run-random", "strategy": "random"})
    path = write_report(history, tmp_path / "report.html", compare=[baseline])
    page = path.read_text(encoding="utf-8")
    titles = ("Learning curve", "Learning curve against simulated samples", "Per-class F1", "Confusion matrices")
    for title in (*titles, "Weak spots per sensor", "Time per cycle and step", "Did it work?"):
        assert f"<h2>{title}" in page
    images = _images(page)
    assert len(images) == 6
    assert all(base64.b64decode(image).startswith(b"\x89PNG") for image in images)
    assert "arcing_event-v2" in page and "run-random" not in page.split("<h2>Summary")[1].split("<img")[0]
    assert "<script>" not in page and not list(tmp_path.glob("*.tmp"))


def test_the_comparison_table_answers_against_each_baseline(tmp_path: Path) -> None:
    """Two seeds per strategy: means with intervals; differences are this strategy minus the baseline's."""
    alm = [_history("alm-a", "alm", [0.5, 0.7, 0.8]), _history("alm-b", "alm", [0.5, 0.72, 0.82])]
    random = [_history("rnd-a", "random", [0.5, 0.55, 0.6]), _history("rnd-b", "random", [0.5, 0.57, 0.64])]
    page = write_report(alm[0], tmp_path / "r.html", compare=[alm[1], *random]).read_text(encoding="utf-8")
    table = page.split("<h2>Did it work?")[1].split("</table>")[0]
    rows = table.split("<tr>")[2:]
    assert "alm" in rows[0] and "(this run)" in rows[0] and "alm-a, alm-b" in rows[0]
    assert "random" in rows[1] and "rnd-a, rnd-b" in rows[1]
    assert "0.810 [0.800, 0.820]" in rows[0]  # final macro-F1 of alm: mean and bootstrap interval
    assert "+0.190 [" in rows[1]  # Δ final: 0.81 − 0.62
    assert "AUBC" in table and "samples to target" in table


def test_a_run_without_baselines_says_how_to_get_one(history: RunHistory, tmp_path: Path) -> None:
    page = write_report(history, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "envirosense report run-1 --compare RANDOM_RUN_ID" in page


def test_created_scenarios_show_only_what_changed_with_units(history: RunHistory, tmp_path: Path) -> None:
    page = write_report(history, tmp_path / "r.html", parents={"arcing_event": PARENT}).read_text(encoding="utf-8")
    created = page.split("<h2>Scenarios created by the loop")[1]
    assert "against parent arcing_event" in created
    assert "source.distance_m: 12 → 11.9 m" in created  # rounded, with the unit of the parameter
    assert "gap_mm" not in created and "duration_seconds" not in created  # unchanged: not shown
    assert "11.876543211" not in created  # no raw 15-digit values
    without = write_report(history, tmp_path / "w.html").read_text(encoding="utf-8")
    assert "parent arcing_event not found<details><summary>4\nparameters</summary>" in without
    assert "<code>source.distance_m = 9.88 m</code>" in without  # every value, folded, with units


def test_pointers_to_the_mlflow_ui_and_export_are_shown(history: RunHistory, tmp_path: Path) -> None:
    pointers = {"MLflow UI": "mlflow ui --backend-store-uri sqlite:///ws/mlflow.db"}
    page = write_report(history, tmp_path / "r.html", pointers=pointers).read_text(encoding="utf-8")
    assert "<h2>Next steps" in page and "mlflow ui --backend-store-uri sqlite:///ws/mlflow.db" in page


def test_a_class_missing_from_the_evaluation_set_is_named_and_not_drawn(tmp_path: Path) -> None:
    run = _history("run-1", "alm", [0.5, 0.6])
    last = run.cycles[-1]
    matrix = ConfusionMatrix(labels=LABELS, counts=[[50, 2, 3], [0, 0, 0], [6, 0, 14]])
    run = run.model_copy(update={"cycles": [run.cycles[0], last.model_copy(update={"confusion_matrix": matrix})]})
    page = write_report(run, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "it has no samples of:\narcing" in page
    arcing = next(line for line in per_class_plot(run).axes[0].get_lines() if line.get_label() == "arcing")
    shares = np.asarray(arcing.get_ydata(), dtype=np.float64)
    assert np.isnan(shares[-1]) and not np.isnan(shares[0])


def _legend_is_right_of_the_axes(figure: Figure) -> bool:
    figure.canvas.draw()
    axis = figure.axes[0]
    legend = axis.get_legend()
    assert legend is not None
    return bool(legend.get_window_extent().x0 >= axis.get_window_extent().x1)


def test_cycle_axes_have_integer_ticks_and_legends_sit_off_the_data(history: RunHistory) -> None:
    for figure in (per_class_plot(history), time_profile_plot(history)):
        assert figure is not None
        figure.canvas.draw()
        ticks = figure.axes[0].get_xticks()
        assert np.all(ticks == np.round(ticks)), ticks
        assert _legend_is_right_of_the_axes(figure)
    spots = weak_spot_plot(history)
    assert spots is not None and _legend_is_right_of_the_axes(spots)


def test_the_time_profile_appears_only_when_recorded(history: RunHistory, tmp_path: Path) -> None:
    untimed = history.model_copy(update={"cycles": [c.model_copy(update={"step_seconds": {}}) for c in history.cycles]})
    page = write_report(untimed, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Time per cycle and step" not in page and len(_images(page)) == 5


def test_learning_curve_reports_best_so_far(history: RunHistory) -> None:
    assert history.learning_curve() == ([200, 400, 600], [0.5, 0.62, 0.62])
    assert history.simulation_curve() == ([700, 1400, 2100], [0.5, 0.62, 0.62])


def _summary_rows(page: str) -> list[list[str]]:
    table = page.split("<h2>Summary")[1].split("</table>")[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S) for row in table.split("<tr>")[2:]]


def test_the_summary_and_a_learning_curve_show_the_simulated_samples(history: RunHistory, tmp_path: Path) -> None:
    """The cost of each cycle beside its training samples; the curve against it leaves out a baseline recorded
    before the count existed (its counts would restart from 0) but keeps each run's colour."""
    old = _history("run-old", "random", [0.5, 0.55, 0.58], simulated=False)
    page = write_report(history, tmp_path / "r.html", compare=[old]).read_text(encoding="utf-8")
    assert "<th>training samples</th><th>simulated samples</th>" in page
    assert [row[1:3] for row in _summary_rows(page)] == [["200", "700"], ["400", "1400"], ["600", "2100"]]
    figure = simulation_curve_plot([history, old])
    assert figure is not None
    (line,) = [line for line in figure.axes[0].get_lines() if str(line.get_label()).startswith("alm")]
    assert np.asarray(line.get_xdata()).tolist() == [700, 1400, 2100]
    assert np.asarray(line.get_ydata()).tolist() == [0.5, 0.62, 0.62]
    assert not any("run-old" in str(line.get_label()) for line in figure.axes[0].get_lines())
    assert figure.axes[0].get_xlabel().startswith("samples simulated") and _legend_is_right_of_the_axes(figure)
    training = learning_curve_plot([history, old]).axes[0].get_lines()
    assert training[0].get_color() == line.get_color() != training[1].get_color()


def test_a_run_recorded_before_the_simulated_count_shows_a_dash_and_no_cost_curve(tmp_path: Path) -> None:
    old = _history("run-old", "alm", [0.5, 0.6], simulated=False)
    page = write_report(old, tmp_path / "r.html").read_text(encoding="utf-8")
    assert [row[2] for row in _summary_rows(page)] == ["–", "–"]
    assert "against simulated samples" not in page and old.simulation_curve() is None
    assert simulation_curve_plot([old]) is None


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


def test_the_report_renders_in_a_browser_with_every_image_and_no_console_error(
    history: RunHistory, tmp_path: Path
) -> None:
    if CHROMIUM is None and not os.environ.get("ENVIROSENSE_REQUIRE_CHROMIUM"):
        pytest.skip("needs Debian's chromium (.ci/run installs it and sets ENVIROSENSE_REQUIRE_CHROMIUM)")
    baseline = _history("run-random", "random", [0.5, 0.55, 0.58])
    path = write_report(history, tmp_path / "report.html", compare=[baseline], parents={"arcing_event": PARENT})
    check = check_page(path, tmp_path / "profile")
    assert len(check.images) == 6 and check.broken == [], check.images
    assert check.errors == []
    broken = tmp_path / "broken.html"
    page = path.read_text(encoding="utf-8")
    first = _images(page)[0]
    garbage = base64.b64encode(b"this is not a PNG").decode()
    broken.write_text(page.replace(first, garbage, 1), encoding="utf-8")
    assert check_page(broken, tmp_path / "profile-2").broken == ["Learning curve"]


def test_the_browser_check_sees_console_errors_and_missing_files(tmp_path: Path) -> None:
    """The check above can fail: a console error, a script exception and a missing image are all reported."""
    if CHROMIUM is None and not os.environ.get("ENVIROSENSE_REQUIRE_CHROMIUM"):
        pytest.skip("needs Debian's chromium (.ci/run installs it and sets ENVIROSENSE_REQUIRE_CHROMIUM)")
    page = tmp_path / "bad.html"
    page.write_text(
        '<!doctype html><html><head><link rel="icon" href="data:,"></head><body><img alt="gone" src="gone.png">'
        '<script>console.error("boom"); undefined_function();</script></body></html>',
        encoding="utf-8",
    )
    check = check_page(page, tmp_path / "profile")
    assert check.broken == ["gone"]
    assert "boom" in check.errors
    assert any("undefined_function" in error or "Uncaught" in error for error in check.errors), check.errors
    assert any("ERR_FILE_NOT_FOUND" in error for error in check.errors), check.errors


def test_the_header_names_the_champion_and_its_own_sample_count(history: RunHistory, tmp_path: Path) -> None:
    """The champion is the last promoted cycle's model, which need not be the last cycle's."""
    page = " ".join(write_report(history, tmp_path / "r.html").read_text(encoding="utf-8").split())
    assert "Champion: the model of cycle 2, macro-F1 <b>0.600</b> on 600 training samples." in page
    kept = history.model_copy(
        update={"cycles": [c.model_copy(update={"promoted": c.cycle_index < 2}) for c in history.cycles]}
    )
    page = " ".join(write_report(kept, tmp_path / "k.html").read_text(encoding="utf-8").split())
    assert (
        "Champion: the model of cycle 1, macro-F1 <b>0.620</b> on 400 training samples "
        "(the last cycle trained on 600)." in page
    )
