"""ApiBasedModelInterface against a deliberately failing local V2 endpoint: retries, the circuit breaker,
timeouts, malformed answers and credentials, each with its typed error."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from envirosense.models.api import (
    ApiBasedModelInterface,
    ApiSettings,
    CircuitOpenError,
    InvalidModelResponseError,
    ModelNotFoundError,
    ModelNotReadyError,
    ModelServerError,
    ModelServerRequestError,
    ModelServerUnavailableError,
    OpenInferenceClient,
    excerpt,
    redact,
)
from envirosense.models.evaluation import EvaluationConfig
from envirosense.models.serving import free_port
from envirosense.ops.logging import configure_logging

CLASSES = ["normal", "arcing", "fire_precursor"]


class FakeServer:
    """A V2 endpoint whose next answers follow ``script`` (then ``default``); it records every request.

    Behaviours: ok, 500, 503, slow, gather (hold each request until ``gather_target`` are in flight at once,
    or ``slow_seconds`` passed), malformed, wrong_shape, bad_sum, out_of_range, missing_output, 404,
    other_model, echo_auth (a 401 whose body echoes the request's Authorization header, as some gateways do).
    ``ready`` is the ``(status, body)`` of every GET.
    """

    def __init__(self) -> None:
        self.script: list[str] = []
        self.default = "ok"
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.slow_seconds = 1.0
        self.gather_target = 0
        self.ready: tuple[int, bytes] = (200, b"{}")
        self.lock = threading.Lock()
        self.gathered = threading.Condition(self.lock)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append({"path": self.path, "headers": dict(self.headers)})
                self._send(*server.ready)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    behaviour = server.script.pop(0) if server.script else server.default
                    server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    server.gathered.notify_all()
                try:
                    self._answer(behaviour, body)
                finally:
                    with server.lock:
                        server.in_flight -= 1

            def _answer(self, behaviour: str, body: dict[str, Any]) -> None:
                rows = body["inputs"][0]["shape"][0]
                proba = np.tile([0.5, 0.3, 0.2], (rows, 1))
                if behaviour in ("500", "503"):
                    self._send(int(behaviour), b'{"error": "boom"}')
                    return
                if behaviour == "404":
                    self._send(404, b'{"error": "Model m with version 9 not found"}')
                    return
                if behaviour == "echo_auth":
                    echoed = {"error": "unauthorized", "headers": {"Authorization": self.headers["Authorization"]}}
                    self._send(401, ("x" * 120 + json.dumps(echoed)).encode())  # token across the cut
                    return
                if behaviour == "slow":
                    time.sleep(server.slow_seconds)
                if behaviour == "gather":
                    with server.gathered:
                        server.gathered.wait_for(
                            lambda: server.max_in_flight >= server.gather_target, timeout=server.slow_seconds
                        )
                if behaviour == "malformed":
                    self._send(200, b'{"outputs": [ this is not json')
                    return
                shape = [rows, len(CLASSES)]
                if behaviour == "wrong_shape":
                    shape, proba = [rows, 2], proba[:, :2]
                if behaviour == "bad_sum":
                    proba = proba * 0.9
                if behaviour == "out_of_range":
                    proba = np.tile([1.5, -0.3, -0.2], (rows, 1))
                name = "predict" if behaviour == "missing_output" else "predict_proba"
                answer = {
                    "model_name": "other" if behaviour == "other_model" else "m",
                    "model_version": "7",
                    "outputs": [{"name": name, "shape": shape, "datatype": "FP64", "data": proba.ravel().tolist()}],
                }
                self._send(200, json.dumps(answer).encode())

            def _send(self, status: int, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def posts(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if "body" in r]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    yield fake
    fake.close()


def settings(url: str, **overrides: Any) -> ApiSettings:
    base: dict[str, Any] = {
        "base_url": url,
        "model_name": "m",
        "class_labels": CLASSES,
        "batch_size": 4,
        "max_concurrency": 1,
        "max_attempts": 3,
        "backoff_initial_s": 0.01,
        "backoff_max_s": 0.02,
        "read_timeout_s": 0.3,
        "token_env_var": None,
    }
    return ApiSettings.model_validate({**base, **overrides})


ROWS = np.arange(24, dtype=np.float64).reshape(6, 4)


def test_5xx_answers_are_retried_then_succeed(server: FakeServer) -> None:
    server.script = ["500", "503"]
    with OpenInferenceClient(settings(server.url, batch_size=10)) as client:
        proba, version = client.infer_proba(ROWS)
    assert len(server.posts) == 3
    assert version == "7"
    np.testing.assert_allclose(proba, np.tile([0.5, 0.3, 0.2], (6, 1)))


def test_persistent_5xx_is_unavailable_after_every_attempt(server: FakeServer) -> None:
    server.default = "500"
    with (
        OpenInferenceClient(settings(server.url, batch_size=10)) as client,
        pytest.raises(ModelServerUnavailableError, match=r"failed 3 times; last: HTTP 500"),
    ):
        client.infer_proba(ROWS)
    assert len(server.posts) == 3


def test_a_refused_connection_is_retried_and_reported() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.perf_counter()
    with (
        OpenInferenceClient(settings(url)) as client,
        pytest.raises(ModelServerUnavailableError, match=r"failed 3 times; last: ConnectError") as info,
    ):
        client.infer_proba(ROWS)
    assert url in str(info.value)
    assert time.perf_counter() - started < 5


def test_a_slow_server_times_out_and_is_retried(server: FakeServer) -> None:
    server.default = "slow"
    with (
        OpenInferenceClient(settings(server.url, batch_size=10, max_attempts=2)) as client,
        pytest.raises(ModelServerUnavailableError, match="ReadTimeout"),
    ):
        client.infer_proba(ROWS)
    assert len(server.posts) == 2


def test_the_breaker_opens_and_then_fails_fast_without_requests(server: FakeServer) -> None:
    server.default = "500"
    config = settings(server.url, batch_size=10, max_attempts=2, breaker_fail_max=3, breaker_reset_timeout_s=0.5)
    with OpenInferenceClient(config) as client:
        with pytest.raises(ModelServerUnavailableError):
            client.infer_proba(ROWS)
        with pytest.raises(CircuitOpenError, match="open after 3 consecutive failures"):
            client.infer_proba(ROWS)
        assert len(server.posts) == 3
        started = time.perf_counter()
        with pytest.raises(CircuitOpenError):
            client.infer_proba(ROWS)
        assert time.perf_counter() - started < 0.1
        assert len(server.posts) == 3
        server.default = "ok"
        time.sleep(0.6)
        proba, _ = client.infer_proba(ROWS)
        assert proba.shape == (6, 3)
        assert client.breaker.current_state == "closed"


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        ("malformed", "response is not JSON"),
        ("wrong_shape", r"shape \[4, 2\], expected \[4, 3\]"),
        ("bad_sum", "sum to 0.9"),
        ("out_of_range", r"outside \[0, 1\]"),
        ("missing_output", r"no output 'predict_proba' \(got \['predict'\]\)"),
    ],
)
def test_malformed_answers_are_clear_errors_and_not_retried(server: FakeServer, behaviour: str, message: str) -> None:
    server.default = behaviour
    with OpenInferenceClient(settings(server.url)) as client, pytest.raises(InvalidModelResponseError, match=message):
        client.infer_proba(ROWS[:4])
    assert len(server.posts) == 1


def test_4xx_is_not_retried(server: FakeServer) -> None:
    server.default = "404"
    with OpenInferenceClient(settings(server.url)) as client, pytest.raises(ModelServerRequestError) as info:
        client.infer_proba(ROWS[:4], version="9")
    assert info.value.status_code == 404
    assert len(server.posts) == 1


def test_an_unknown_model_is_not_found_with_the_servers_text(server: FakeServer) -> None:
    """Not "not ready": the server said it does not know the model, and said so in its own words."""
    server.default = "404"
    with OpenInferenceClient(settings(server.url)) as client:
        with pytest.raises(ModelNotFoundError, match=r"model 'm' version '9' not found .*Model m with version 9"):
            client.infer_proba(ROWS[:4], version="9")
        server.ready = (404, b'{"error":"Model m not found"}')
        with pytest.raises(ModelNotFoundError, match=r"model 'm' not found on .*HTTP 404: .*Model m not found") as info:
            client.ready()
        assert isinstance(info.value, ModelNotReadyError)  # a restarting server says 404: the loop waits on it
        server.ready = (400, b'{"error":"Model m is loading"}')
        with pytest.raises(ModelNotReadyError, match=r"not ready \(HTTP 400\): .*is loading"):
            client.ready()
        server.ready = (200, b'{"name": "m", "ready": false}')
        with pytest.raises(ModelNotReadyError, match=r"not ready \(HTTP 200\)"):
            client.ready()


def test_a_response_for_another_model_or_version_is_refused(server: FakeServer) -> None:
    server.default = "other_model"
    with OpenInferenceClient(settings(server.url)) as client:
        with pytest.raises(InvalidModelResponseError, match="for model 'other', not 'm'"):
            client.infer_proba(ROWS[:4])
        server.default = "ok"  # answers as version 7
        with pytest.raises(InvalidModelResponseError, match="from version '7', not the requested '3'"):
            client.infer_proba(ROWS[:4], version="3")
        proba, version = client.infer_proba(ROWS[:4], version="7")
    assert proba.shape == (4, 3) and version == "7"


def test_a_token_echoed_by_the_server_is_redacted_from_errors(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_MODEL_TOKEN", "tok-0123456789abcdef")
    server.default = "echo_auth"
    config = settings(server.url, token_env_var="MY_MODEL_TOKEN")
    with OpenInferenceClient(config) as client, pytest.raises(ModelServerRequestError) as info:
        client.infer_proba(ROWS[:4])
    message = str(info.value)
    assert info.value.status_code == 401 and "[redacted]" in message
    assert "0123456789" not in message and "tok-" not in message


@pytest.mark.parametrize(
    "text",
    [
        '{"headers": {"Authorization": "Bearer s3cr3t-value"}}',
        "authorization: Bearer s3cr3t-value\r\nhost: x",
        "Proxy-Authorization=Basic czNjcjN0LXZhbHVl",
        "upstream said: bearer s3cr3t-value is expired",
        '{"api_key": "s3cr3t-value", "ok": false}',
        "GET /v2?access_token=s3cr3t-value&x=1",
        "password=s3cr3t-value",
        "connect to https://admin:s3cr3t-value@models.example.com failed",
    ],
)
def test_credentials_are_redacted_in_any_common_shape(text: str) -> None:
    cleaned = redact(text)
    assert "s3cr3t" not in cleaned and "czNjcjN0" not in cleaned
    assert "[redacted]" in cleaned


def test_a_known_secret_is_redacted_even_cut_at_the_excerpt_limit() -> None:
    text = "x" * 195 + "plain-secret-token and more"
    assert excerpt(text).endswith("plain…")  # cutting before redacting would leak part of a secret
    shown = excerpt(text, secrets=["plain-secret-token"])
    assert "plain" not in shown and shown.endswith("[reda…")
    assert redact("nothing to hide here") == "nothing to hide here"


def test_epistemic_ranking_through_a_server_is_refused() -> None:
    """A server returns only mean probabilities: epistemic and disagreement scores would all be 0."""
    for measure in ("epistemic", "disagreement"):
        with pytest.raises(ValueError, match=f"{measure}' needs ensemble members.*use entropy"):
            ApiBasedModelInterface(settings("http://127.0.0.1:1"), EvaluationConfig(uncertainty_measure=measure))
    with ApiBasedModelInterface(settings("http://127.0.0.1:1"), EvaluationConfig(uncertainty_measure="margin")):
        pass


def test_version_tags_without_a_registry() -> None:
    with ApiBasedModelInterface(settings("http://127.0.0.1:1", version_map={"staging": "4"})) as api:
        assert api.server_version(None) is None
        assert api.server_version("3") == "3" and api.server_version("v3") == "3"
        assert api.server_version("staging") == "4"
        with pytest.raises(ValueError, match="'champion' is an alias, which only the model registry can resolve"):
            api.server_version("champion")


def test_rows_are_batched_and_sent_concurrently_in_order(server: FakeServer) -> None:
    server.default, server.gather_target, server.slow_seconds = "gather", 3, 3.0
    rows = np.arange(40 * 2, dtype=np.float64).reshape(40, 2)
    with OpenInferenceClient(settings(server.url, batch_size=6, max_concurrency=3, read_timeout_s=5)) as client:
        proba, _ = client.infer_proba(rows)
    assert proba.shape == (40, 3)
    sent = [p["body"]["inputs"][0] for p in server.posts]
    assert sorted(s["shape"][0] for s in sent) == [4, 6, 6, 6, 6, 6, 6]
    assert sorted(value for s in sent for value in s["data"]) == rows.ravel().tolist()
    assert all(s["datatype"] == "FP64" and s["name"] == "input-0" for s in sent)
    assert server.max_in_flight == 3


def test_the_bearer_token_is_sent_and_never_logged(
    server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("DEBUG", "json")
    monkeypatch.setenv("MY_MODEL_TOKEN", "env-secret-123")
    server.script = ["500"]
    with OpenInferenceClient(settings(server.url, token_env_var="MY_MODEL_TOKEN", batch_size=10)) as client:
        client.infer_proba(ROWS)
    assert server.posts[-1]["headers"]["Authorization"] == "Bearer env-secret-123"
    secret = tmp_path / "token"
    secret.write_text("file-secret-456\n")
    config = settings(server.url, token_env_var="MY_MODEL_TOKEN", token_file=secret, batch_size=10)
    with OpenInferenceClient(config) as client:
        client.infer_proba(ROWS)
    assert server.posts[-1]["headers"]["Authorization"] == "Bearer file-secret-456"
    captured = capsys.readouterr()
    assert "model_server_retry" in captured.err
    assert "secret" not in captured.out + captured.err
    assert "secret" not in repr(config) + str(config.model_dump())
    configure_logging("WARNING", "console")


def test_an_unreadable_token_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelServerError, match="cannot read the token file"):
        OpenInferenceClient(settings("http://127.0.0.1:9", token_file=tmp_path / "absent"))


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="base_url must be an http"):
        settings("ftp://example.com")
    with pytest.raises(ValueError, match="class_labels"):
        settings("http://127.0.0.1:1", class_labels=["only-one"])
    with pytest.raises(ValueError, match="batch_size"):
        settings("http://127.0.0.1:1", batch_size=0)


def test_tls_verification_is_on_by_default() -> None:
    with OpenInferenceClient(settings("https://127.0.0.1:1")) as client:
        transport = client._http._transport
        assert isinstance(transport, httpx.HTTPTransport)
        context = transport._pool._ssl_context
        import ssl

        assert context is not None and context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_a_failing_server_fails_the_whole_evaluation_with_nothing_returned(
    server: FakeServer, eval_samples: list[dict[str, Any]]
) -> None:
    server.script = ["ok"] * 3
    server.default = "bad_sum"
    api = ApiBasedModelInterface(
        settings(server.url, batch_size=16, max_concurrency=2),
        EvaluationConfig(reliance_subset_size=0, explanations="none"),
    )
    with api, pytest.raises(InvalidModelResponseError, match="sum to"):
        api.get_model_performance_feedback(eval_samples[:100])


def test_a_password_in_the_server_url_is_refused_and_never_echoed(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must not hold a user or password; give the token with token_env_var"):
        settings("https://bob:s3cr3t@models.example.com")
    config = tmp_path / "run.toml"
    config.write_text(
        '[model]\nkind = "api"\n[model.server]\nbase_url = "https://bob:s3cr3t@models.example.com"\n'
        'model_repository = "repo"\n',
        encoding="utf-8",
    )
    from envirosense.learning.settings import ConfigError, RunSettings

    with pytest.raises(ConfigError) as caught:
        RunSettings.from_file(config)
    assert "model.server.base_url: base_url must not hold a user or password" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)
