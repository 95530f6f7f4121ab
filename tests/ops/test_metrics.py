"""Prometheus metrics: scraped from /metrics while a real run goes, the breaker gauge on a real client,
and the shipped alerting rules reference only metrics that exist."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import yaml
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from envirosense.models.api import ApiSettings, CircuitOpenError, ModelServerUnavailableError, OpenInferenceClient
from envirosense.ops import metrics
from tests.learning.loop_helpers import write_small_config

ALERTS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"
Scrape = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _parse(text: str) -> Scrape:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _total(scrape: Scrape, name: str, **labels: str) -> float:
    return sum(
        value
        for (sample, sample_labels), value in scrape.items()
        if sample == name and set(labels.items()) <= set(sample_labels)
    )


@pytest.mark.slow
def test_metrics_are_served_and_move_during_a_real_run(tmp_path: Path) -> None:
    config = write_small_config(tmp_path, tmp_path / "ws")
    command = [sys.executable, "-m", "envirosense", "run", "--config", str(config), "--cycles", "1"]
    process = subprocess.Popen(
        [*command, "--no-report", "--metrics-port", "0"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    lines: list[str] = []
    assert process.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stderr.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    scrapes: list[Scrape] = []
    deadline = time.monotonic() + 300
    try:
        url = None
        while process.poll() is None and time.monotonic() < deadline:
            if url is None:
                found = [m for line in list(lines) if (m := re.search(r"Metrics: (http://\S+/metrics)", line))]
                url = found[0].group(1) if found else None
            else:
                try:
                    with urllib.request.urlopen(url, timeout=5) as response:
                        scrapes.append(_parse(response.read().decode()))
                except OSError:
                    process.wait(timeout=60)  # only an exiting run may refuse a scrape
            time.sleep(0.25)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        reader.join(timeout=10)
    assert process.returncode == 0, "".join(lines)[-3000:]
    assert url is not None and url.startswith("http://127.0.0.1:")
    assert len(scrapes) >= 5, "the run ended before /metrics could be scraped a few times"

    steps = {_total(s, "envirosense_cycle_step") for s in scrapes}
    assert len(steps) >= 3, f"the cycle step never moved: {steps}"
    assert {_total(s, "envirosense_cycle_index") for s in scrapes} >= {0.0, 1.0}
    last = scrapes[-1]
    samples = [_total(s, "envirosense_generated_samples_total") for s in scrapes]
    assert samples == sorted(samples) and samples[-1] > samples[0]
    assert _total(last, "envirosense_generated_samples_total", purpose="probe") == 120
    assert _total(last, "envirosense_model_feedback_seconds_count", purpose="probe", outcome="ok") == 1
    assert _total(last, "envirosense_model_feedback_seconds_count", purpose="candidate", outcome="ok") >= 1
    assert _total(last, "envirosense_cycle_seconds_count") >= 1
    assert _total(last, "envirosense_weak_spots_total") > 0
    assert _total(last, "envirosense_targeting_attempts_total") > 0
    assert _total(last, "envirosense_repository_seconds_count", operation="save", outcome="ok") >= 1
    assert 0 <= _total(last, "envirosense_cycle_macro_f1") <= 1


def test_observe_labels_the_outcome_with_the_exception_class() -> None:
    def count(outcome: str) -> float:
        labels = {"operation": "unit-test", "outcome": outcome}
        return REGISTRY.get_sample_value("envirosense_repository_seconds_count", labels) or 0.0

    before_ok, before_error = count("ok"), count("LookupError")
    with metrics.observe(metrics.REPOSITORY_SECONDS, operation="unit-test"):
        pass
    with pytest.raises(LookupError), metrics.observe(metrics.REPOSITORY_SECONDS, operation="unit-test"):
        raise LookupError("missing")
    assert (count("ok") - before_ok, count("LookupError") - before_error) == (1, 1)


def test_breaker_state_of_a_real_model_client_is_exported() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{holder.getsockname()[1]}"
        settings = ApiSettings(
            base_url=url,
            model_name="m",
            class_labels=["normal", "arcing"],
            max_attempts=1,
            breaker_fail_max=2,
            breaker_reset_timeout_s=60,
            token_env_var=None,
        )
        with OpenInferenceClient(settings) as client:
            metrics.watch_breaker(client.breaker, "model-server")

            def state() -> float | None:
                return REGISTRY.get_sample_value("envirosense_circuit_breaker_state", {"breaker": "model-server"})

            assert state() == 0
            for _ in range(3):
                with pytest.raises((ModelServerUnavailableError, CircuitOpenError)):
                    client.infer_proba(np.zeros((2, 3)))
            assert state() == 2


def test_alert_rules_parse_and_use_only_metrics_that_exist() -> None:
    rules = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    names = {alert["alert"] for alert in alerts}
    assert {"ModelEvaluationFailing", "ScenarioRepositoryUnavailable", "CraftingFailingConsistently"} <= names
    exported = _metric_names()
    for alert in alerts:
        assert alert["labels"]["severity"] in {"warning", "critical"} and alert["annotations"]["summary"]
        used = set(re.findall(r"\benvirosense_[a-z0-9_]+", alert["expr"]))
        assert used, f"{alert['alert']} uses no EnviroSense metric"
        assert used <= exported, f"{alert['alert']} uses unknown metrics {used - exported}"


def _metric_names() -> set[str]:
    """Every series name the registry can expose, whether or not a labelled child exists yet."""
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    return {
        family.name + suffix
        for family in REGISTRY.collect()
        if family.name.startswith("envirosense_")
        for suffix in suffixes[family.type]
    }
