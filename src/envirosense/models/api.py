"""``ApiBasedModelInterface``: the same evaluation against a model served over the Open Inference Protocol V2.

The V2 protocol (MLServer, KServe, Triton) serves ``POST /v2/models/{name}[/versions/{v}]/infer`` and
``GET .../ready``. Features are extracted here and sent as one FP64 tensor ``[n, n_features]``; the server
returns ``predict_proba`` ``[n, n_classes]``. Requests are batched (``batch_size`` rows) and sent
``max_concurrency`` at a time. Connection errors, timeouts and 5xx answers are retried with exponential
backoff (tenacity); every attempt goes through a circuit breaker (pybreaker) that opens after
``breaker_fail_max`` consecutive failures and then fails fast with ``CircuitOpenError`` until
``breaker_reset_timeout_s`` has passed. 4xx answers are not retried; 404 is ``ModelNotFoundError`` with the
server's own text. Every response is validated (model name and version, tensor names, shapes, probabilities
in [0, 1] summing to 1) before any metric is computed: a malformed answer, or one for another model, raises
``InvalidModelResponseError``. Response text quoted in an error is redacted of credentials first.

Uncertainty comes from the returned probabilities (the server has no members to split it), so ranking by
``epistemic`` or ``disagreement`` (always 0 here) is refused; explanations are model-agnostic occlusion on
the bounded set of reported samples, or absent (method ``none``).

Version tags resolve through the model registry when one is given (``registry=``): ``None`` is the champion
(else the newest version), aliases name versions, exactly as for ``LocalModelInterface``.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
import orjson
import pybreaker
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from tenacity import RetryCallState

from envirosense.models.datasets import EvaluationDataset
from envirosense.models.errors import ModelError, ModelUnavailableError
from envirosense.models.evaluation import EvaluationConfig, FloatArray, StreamingEvaluator, predict_dataset
from envirosense.models.explain import Explainer
from envirosense.models.features import FeatureExtractor
from envirosense.models.interface import MEMBER_MEASURES, MembersUnavailableError, ModelInterface, Predictions
from envirosense.models.server import ServerSettings
from envirosense.ops.logging import get_logger
from envirosense.ops.resilience import BreakerSettings, RetrySettings, call_through, circuit_breaker, retrying
from envirosense.schemas import ModelPerformanceData

if TYPE_CHECKING:
    from envirosense.models.registry import ModelRegistry

log = get_logger(__name__)

PROBABILITY_TOLERANCE = 1e-6
VersionResolver = Callable[[str | None], str]
"""Maps a ``model_version_tag`` (``None`` included) to the server's model version."""


class ModelServerError(ModelError):
    """Base class of every error talking to a model server."""


class ModelServerUnavailableError(ModelServerError, ModelUnavailableError):
    """Connection errors, timeouts or 5xx answers persisted through every retry."""


class CircuitOpenError(ModelServerError, ModelUnavailableError):
    """The circuit breaker is open after repeated failures: the call failed fast without a request."""


class ModelServerRequestError(ModelServerError):
    """The server refused the request (4xx: unknown model or version, bad input, missing credentials)."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class ModelNotReadyError(ModelServerError, ModelUnavailableError):
    """The server says the model (version) is not ready."""


class ModelNotFoundError(ModelServerRequestError, ModelNotReadyError):
    """The server does not know the model or version (HTTP 404); the message quotes the server's text.

    It is also a ``ModelNotReadyError``: a server that restarts answers 404 until it has loaded its models
    again, so the loop's service guard waits on it as on any model that is not ready.
    """


class InvalidModelResponseError(ModelServerError, ModelUnavailableError):
    """The server answered, but not with a well-formed V2 response holding valid probabilities."""


class _TransientError(Exception):
    """One failed attempt that may succeed if retried (connection error, timeout, 5xx)."""


class ApiSettings(ServerSettings):
    """One model on a model server: the server's settings plus the model's name, classes and inputs."""

    model_name: str = Field(min_length=1, description="Model name on the server.")
    class_labels: list[str] = Field(min_length=2, description="Class of each predict_proba column, in order.")
    feature_extractor: dict[str, Any] = Field(
        default_factory=lambda: FeatureExtractor().params(),
        description="FeatureExtractor.params() of the served model (column order of the input tensor).",
    )
    version_map: dict[str, str] = Field(
        default_factory=dict, description="model_version_tag → server model version (e.g. champion → 3)."
    )
    input_name: str = Field(default="input-0", description="Name of the input tensor.")
    output_name: str = Field(default="predict_proba", description="Name of the probability output.")


class ServingSpec(BaseModel):
    """``envirosense-serving.json``: what a client needs to know about one exported model version."""

    model_config = ConfigDict(extra="ignore")

    model_name: str = Field(min_length=1, description="Model name on the server.")
    model_version: str | None = Field(default=None, description="Server version of this folder's model.")
    registry_model: str | None = Field(default=None, description="``<registered model>/<version>`` it came from.")
    class_labels: list[str] = Field(min_length=2, description="Class of each predict_proba column, in order.")
    feature_extractor: dict[str, Any] = Field(description="FeatureExtractor.params() of the model.")

    @classmethod
    def read(cls, path: Path) -> ServingSpec:
        """The spec at ``path``; ``ValueError`` naming the file and the first problem otherwise."""
        try:
            return cls.model_validate_json(Path(path).read_bytes())
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the file"
            raise ValueError(f"{path} is not a valid envirosense-serving.json: {where}: {first['msg']}") from None

    @property
    def registered_name(self) -> str | None:
        """The registered model's name, from ``registry_model``."""
        if not self.registry_model:
            return None
        return self.registry_model.rpartition("/")[0] or None


class _Tensor(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    data: list[float]


class _InferResponse(BaseModel):
    model_name: str
    model_version: str | None = None
    outputs: list[_Tensor] = Field(min_length=1)


def read_token(settings: ApiSettings) -> SecretStr | None:
    """The bearer token from ``token_file`` if set, else from ``token_env_var``; None when neither has one."""
    if settings.token_file is not None:
        try:
            token = settings.token_file.read_text().strip()
        except OSError as exc:
            raise ModelServerError(f"cannot read the token file {settings.token_file}: {exc.strerror}") from None
        if not token:
            raise ModelServerError(f"the token file {settings.token_file} is empty")
        return SecretStr(token)
    if settings.token_env_var and os.environ.get(settings.token_env_var):
        return SecretStr(os.environ[settings.token_env_var].strip())
    return None


def server_breaker(settings: ServerSettings, name: str) -> pybreaker.CircuitBreaker:
    """The circuit breaker ``settings`` describe: opens after ``breaker_fail_max`` consecutive transient
    failures (connection errors, timeouts, 5xx), one trial call after ``breaker_reset_timeout_s``."""
    breaker = BreakerSettings(fail_max=settings.breaker_fail_max, reset_timeout_s=settings.breaker_reset_timeout_s)
    return circuit_breaker(breaker, name, exclude=lambda exc: not is_transient_response(exc))


def is_transient_response(exc: BaseException) -> bool:
    """The model server's classifier: a connection error, a timeout or a 5xx answer may pass by itself."""
    return isinstance(exc, _TransientError)


class OpenInferenceClient:
    """A V2 client with timeouts, batching, retries and a circuit breaker (see the module docstring).

    ``transport`` is for tests of the client itself; by default httpx's, with TLS verification on. ``breaker``
    shares one circuit breaker between clients of the same server (default: a breaker of its own).
    """

    def __init__(
        self,
        settings: ApiSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        breaker: pybreaker.CircuitBreaker | None = None,
    ) -> None:
        self.settings = settings
        headers = {"Content-Type": "application/json"}
        token = read_token(settings)
        self._secrets: tuple[str, ...] = ()
        if token is not None:
            headers["Authorization"] = f"Bearer {token.get_secret_value()}"
            self._secrets = (token.get_secret_value(),)
        verify: bool | str = str(settings.ca_bundle) if settings.ca_bundle is not None else settings.verify_tls
        if not settings.verify_tls:
            log.warning("tls_verification_disabled", base_url=settings.base_url)
        self._http = httpx.Client(
            base_url=settings.base_url,
            headers=headers,
            timeout=httpx.Timeout(
                connect=settings.connect_timeout_s,
                read=settings.read_timeout_s,
                write=settings.write_timeout_s,
                pool=settings.pool_timeout_s,
            ),
            limits=httpx.Limits(
                max_connections=settings.max_concurrency, max_keepalive_connections=settings.max_concurrency
            ),
            verify=verify,
            transport=transport,
        )
        self.breaker = breaker or server_breaker(settings, f"model-server:{settings.model_name}")
        self._pool = ThreadPoolExecutor(max_workers=settings.max_concurrency, thread_name_prefix="v2-infer")

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._http.close()

    def __enter__(self) -> OpenInferenceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def model_path(self, version: str | None) -> str:
        name = self.settings.model_name
        return f"/v2/models/{name}" if version is None else f"/v2/models/{name}/versions/{version}"

    def ready(self, version: str | None = None) -> None:
        """Raise ``ModelNotFoundError`` if the server does not know the model (version), ``ModelNotReadyError``
        if it knows it but says it is not ready (any other 4xx, or ``"ready": false``)."""
        path = self.model_path(version)
        response = self._request("GET", f"{path}/ready", None, accept={200} | set(range(400, 500)))
        if response.status_code == 404:
            raise self._not_found(path, response)
        if response.status_code != 200 or _says_not_ready(response):
            detail = f": {self._excerpt(response.text)}" if response.text.strip() else ""
            status = f"HTTP {response.status_code}"
            raise ModelNotReadyError(f"{self.settings.base_url}{path} is not ready ({status}){detail}")

    def _not_found(self, path: str, response: httpx.Response) -> ModelNotFoundError:
        version = re.search(r"/versions/([^/]+)", path)
        what = f"model {self.settings.model_name!r}" + (f" version {version.group(1)!r}" if version else "")
        where = f"{self.settings.base_url}{path}: HTTP 404: {self._excerpt(response.text)}"
        return ModelNotFoundError(f"{what} not found on {self.settings.base_url} ({where})", 404)

    def _excerpt(self, text: str) -> str:
        return excerpt(text, self._secrets)

    def load_model(self) -> None:
        """Ask the server to (re)load every version of the model from its model repository (the V2
        repository extension: ``POST /v2/repository/models/{name}/load``)."""
        self._request("POST", f"/v2/repository/models/{self.settings.model_name}/load", b"{}")

    def infer_proba(self, features: FloatArray, version: str | None = None) -> tuple[FloatArray, str | None]:
        """``predict_proba`` of ``features`` ``(n, n_features)``: ``(n, n_classes)`` and the served version.

        Rows go out in batches of ``batch_size``, ``max_concurrency`` requests at a time; order is kept.
        """
        n = features.shape[0]
        if n == 0:
            return np.zeros((0, len(self.settings.class_labels))), None
        if not np.isfinite(features).all():
            raise ValueError("features must be finite (encode missing values with FeatureExtractor.model_input)")
        starts = range(0, n, self.settings.batch_size)
        chunks = [features[s : s + self.settings.batch_size] for s in starts]
        results = list(self._pool.map(lambda chunk: self._infer_chunk(chunk, version), chunks))
        return np.vstack([proba for proba, _ in results]), results[-1][1]

    # --- one request -----------------------------------------------------------------------------

    def _infer_chunk(self, chunk: FloatArray, version: str | None) -> tuple[FloatArray, str | None]:
        body = orjson.dumps(
            {
                "inputs": [
                    {
                        "name": self.settings.input_name,
                        "shape": list(chunk.shape),
                        "datatype": "FP64",
                        "data": np.ascontiguousarray(chunk, dtype=np.float64).ravel(),
                    }
                ],
                "outputs": [{"name": self.settings.output_name}],
            },
            option=orjson.OPT_SERIALIZE_NUMPY,
        )
        response = self._request("POST", f"{self.model_path(version)}/infer", body)
        return self._parse(response, chunk.shape[0], version)

    def _request(self, method: str, path: str, body: bytes | None, accept: set[int] | None = None) -> httpx.Response:
        policy = RetrySettings(
            max_attempts=self.settings.max_attempts,
            timeout_s=None,
            wait_s=self.settings.backoff_initial_s,
            max_wait_s=self.settings.backoff_max_s,
        )

        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            log.warning("model_server_retry", path=path, attempt=state.attempt_number, error=str(error))

        try:
            response: httpx.Response = retrying(policy, is_transient_response, on_retry=before_sleep)(
                self._attempt, method, path, body, accept
            )
        except _TransientError as last:
            raise ModelServerUnavailableError(
                f"{method} {self.settings.base_url}{path} failed {self.settings.max_attempts} times; "
                f"last: {self._excerpt(str(last))}"
            ) from last
        return response

    def _attempt(self, method: str, path: str, body: bytes | None, accept: set[int] | None) -> httpx.Response:
        response = self._through_breaker(method, path, body)
        if accept is not None and response.status_code in accept:
            return response
        if response.status_code == 404:
            raise self._not_found(path, response)
        if 400 <= response.status_code < 500:
            raise ModelServerRequestError(
                f"{method} {self.settings.base_url}{path}: HTTP {response.status_code}: {self._excerpt(response.text)}",
                response.status_code,
            )
        return response

    def _through_breaker(self, method: str, path: str, body: bytes | None) -> httpx.Response:
        """One HTTP exchange, counted by the circuit breaker without serialising concurrent requests
        (``ops.resilience.call_through``); an open breaker fails at once with ``CircuitOpenError``."""
        try:
            return call_through(self.breaker, lambda: self._send(method, path, body))
        except pybreaker.CircuitBreakerError:
            raise CircuitOpenError(
                f"circuit breaker for {self.settings.base_url} is open after {self.settings.breaker_fail_max} "
                f"consecutive failures; retrying in at most {self.settings.breaker_reset_timeout_s:g} s"
            ) from None

    def _send(self, method: str, path: str, body: bytes | None) -> httpx.Response:
        try:
            response = self._http.request(method, path, content=body)
        except httpx.TransportError as exc:
            raise _TransientError(f"{type(exc).__name__}: {self._excerpt(str(exc)) or 'no detail'}") from exc
        if response.status_code >= 500:
            raise _TransientError(f"HTTP {response.status_code}: {self._excerpt(response.text)}")
        return response

    def _parse(self, response: httpx.Response, n_rows: int, version: str | None) -> tuple[FloatArray, str | None]:
        where = f"{self.settings.base_url}{response.request.url.path}"
        try:
            payload = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise InvalidModelResponseError(
                f"{where}: response is not JSON ({exc}): {self._excerpt(response.text)}"
            ) from None
        try:
            parsed = _InferResponse.model_validate(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"])
            raise InvalidModelResponseError(f"{where}: malformed V2 response at {field}: {first['msg']}") from None
        if parsed.model_name != self.settings.model_name:
            raise InvalidModelResponseError(
                f"{where}: the response is for model {parsed.model_name!r}, not {self.settings.model_name!r}"
            )
        if version is not None and parsed.model_version is not None and parsed.model_version != version:
            raise InvalidModelResponseError(
                f"{where}: the response is from version {parsed.model_version!r}, not the requested {version!r}"
            )
        outputs = {tensor.name: tensor for tensor in parsed.outputs}
        tensor = outputs.get(self.settings.output_name)
        if tensor is None:
            raise InvalidModelResponseError(f"{where}: no output {self.settings.output_name!r} (got {sorted(outputs)})")
        n_classes = len(self.settings.class_labels)
        if tensor.shape != [n_rows, n_classes]:
            raise InvalidModelResponseError(
                f"{where}: {tensor.name} has shape {tensor.shape}, expected [{n_rows}, {n_classes}] "
                f"(rows sent, classes {self.settings.class_labels})"
            )
        if len(tensor.data) != n_rows * n_classes:
            raise InvalidModelResponseError(
                f"{where}: {tensor.name} holds {len(tensor.data)} values for shape {tensor.shape}"
            )
        proba = np.asarray(tensor.data, dtype=np.float64).reshape(n_rows, n_classes)
        check_probabilities(proba, where)
        return proba, parsed.model_version


def _says_not_ready(response: httpx.Response) -> bool:
    """A 200 whose JSON body says ``"ready": false`` (KServe and Triton answer so)."""
    try:
        body = orjson.loads(response.content) if response.content else None
    except orjson.JSONDecodeError:
        return False
    return isinstance(body, dict) and body.get("ready") is False


def check_probabilities(proba: FloatArray, where: str) -> None:
    """Raise ``InvalidModelResponseError`` unless every row is finite, in [0, 1] and sums to 1."""
    if not np.isfinite(proba).all():
        raise InvalidModelResponseError(f"{where}: probabilities contain NaN or infinity")
    low, high = float(proba.min()), float(proba.max())
    if low < -PROBABILITY_TOLERANCE or high > 1 + PROBABILITY_TOLERANCE:
        raise InvalidModelResponseError(f"{where}: probabilities outside [0, 1] (min {low:.6g}, max {high:.6g})")
    sums = proba.sum(axis=1)
    worst = int(np.argmax(np.abs(sums - 1.0)))
    if not math.isclose(float(sums[worst]), 1.0, abs_tol=PROBABILITY_TOLERANCE):
        raise InvalidModelResponseError(f"{where}: probabilities of row {worst} sum to {sums[worst]:.9g}, not 1")


REDACTED = "[redacted]"
_CREDENTIALS: tuple[tuple[re.Pattern[str], str], ...] = (
    # an Authorization header echoed back, quoted or not: its whole value (scheme and credentials)
    (re.compile(r"""(?i)((?:proxy-)?authorization["']?\s*[:=]\s*["']?)[^"'\r\n,;}]+"""), rf"\1{REDACTED}"),
    # a credential after its scheme anywhere else
    (re.compile(r"(?i)\b(bearer|basic|digest)(\s+)[A-Za-z0-9\-._~+/]+=*"), rf"\1\2{REDACTED}"),
    # key = value / "key": "value" for keys that name a secret
    (
        re.compile(
            r"""(?i)([\w.-]*(?:token|api[_-]?key|secret|password|passwd|credential|cookie)s?["']?\s*[:=]\s*["']?)"""
            r"""[^"'\s,;&}]+"""
        ),
        rf"\1{REDACTED}",
    ),
    # user:password@ in a URL
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"), rf"\1{REDACTED}@"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every known secret and anything shaped like a credential replaced by ``[redacted]``:
    Authorization headers, bearer/basic credentials, ``token=…``/``"api_key": "…"``-style values, and
    passwords in URLs."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _CREDENTIALS:
        text = pattern.sub(replacement, text)
    return text


def excerpt(text: str, secrets: Iterable[str] = (), limit: int = 200) -> str:
    """At most ``limit`` characters of ``text`` on one line, redacted (before cutting, so that no credential
    survives half-cut)."""
    text = " ".join(redact(text, secrets).split())
    return text if len(text) <= limit else text[:limit] + "…"


class RemotePredictor:
    """The evaluator's ``Predictor`` over an ``OpenInferenceClient``: mean probabilities only."""

    def __init__(self, client: OpenInferenceClient, version: str | None) -> None:
        self.client = client
        self.version = version
        self.class_labels = list(client.settings.class_labels)
        self.model_version = f"{client.settings.model_name}/{version or 'default'}"

    def predict(self, features: FloatArray) -> tuple[FloatArray, None]:
        proba, served = self.client.infer_proba(features, self.version)
        if served:
            self.model_version = f"{self.client.settings.model_name}/{served}"
        return proba, None

    def predict_proba(self, features: FloatArray) -> FloatArray:
        return self.client.infer_proba(features, self.version)[0]

    def model_explainer(self) -> Explainer | None:
        return None


class ApiBasedModelInterface(ModelInterface):
    """Evaluates a model served over the Open Inference Protocol V2.

    Parameters
    ----------
    settings:
        Server, model name, class order, batching, timeouts, retries, breaker, credentials.
    config:
        What to report; ``explanations`` ``auto`` means occlusion here (``none`` to skip it). Ranking by
        ``epistemic`` or ``disagreement`` needs ensemble members, which a server does not return: refused.
    registry:
        The model registry the served versions come from: tags resolve through it (``None`` → the champion,
        else the newest version; aliases → their version), and a version whose classes differ from
        ``settings.class_labels`` is refused before any request.
    version_resolver:
        Maps a ``model_version_tag`` (``None`` included) that is not in ``settings.version_map`` to the
        server's version, when there is no ``registry``. Without either, ``None`` is the server's default
        version, ``3``/``"v3"`` is version 3, and an alias is refused (only a registry knows it).
    transport:
        httpx transport override (tests of the client).
    on_batch:
        Called with the size of every evaluated batch (progress display).
    breaker:
        A circuit breaker shared with other interfaces of the same server (default: one of its own).
    """

    def __init__(
        self,
        settings: ApiSettings,
        config: EvaluationConfig | None = None,
        *,
        registry: ModelRegistry | None = None,
        version_resolver: VersionResolver | None = None,
        transport: httpx.BaseTransport | None = None,
        on_batch: Callable[[int], None] | None = None,
        breaker: pybreaker.CircuitBreaker | None = None,
    ) -> None:
        self.settings = settings
        self.on_batch = on_batch
        self.config = config or EvaluationConfig()
        if self.config.uncertainty_measure in MEMBER_MEASURES:
            raise ValueError(str(MembersUnavailableError(self.config.uncertainty_measure)))
        if registry is not None and version_resolver is not None:
            raise ValueError("give registry or version_resolver, not both")
        self.registry = registry
        self.version_resolver = version_resolver
        self.client = OpenInferenceClient(settings, transport=transport, breaker=breaker)
        self.extractor = FeatureExtractor.from_params(settings.feature_extractor, batch_size=self.config.batch_size)

    @classmethod
    def from_serving_spec(
        cls,
        spec_path: Path,
        base_url: str,
        config: EvaluationConfig | None = None,
        *,
        registry: ModelRegistry | None = None,
        version_resolver: VersionResolver | None = None,
        on_batch: Callable[[int], None] | None = None,
        breaker: pybreaker.CircuitBreaker | None = None,
        **settings: Any,
    ) -> ApiBasedModelInterface:
        """Settings from the ``envirosense-serving.json`` that ``export_for_mlserver`` wrote."""
        spec = ServingSpec.read(spec_path)
        merged = {
            "base_url": base_url,
            "model_name": spec.model_name,
            "class_labels": spec.class_labels,
            "feature_extractor": spec.feature_extractor,
            **settings,
        }
        return cls(
            ApiSettings.model_validate(merged),
            config,
            registry=registry,
            version_resolver=version_resolver,
            on_batch=on_batch,
            breaker=breaker,
        )

    def server_version(self, model_version_tag: str | None) -> str | None:
        """The server's version for ``model_version_tag`` (see the class docstring); ``None`` is the server's
        default version, only without a registry or resolver."""
        tag = None if model_version_tag is None else str(model_version_tag).strip()
        if tag is not None and tag in self.settings.version_map:
            return self.settings.version_map[tag]
        if self.registry is not None:
            info = self.registry.resolve(tag)
            if info.class_labels and info.class_labels != self.settings.class_labels:
                raise ValueError(
                    f"{info.tag} predicts {info.class_labels}, but the serving spec of {self.settings.model_name!r} "
                    f"says {self.settings.class_labels}; use the envirosense-serving.json of version {info.version}"
                )
            return str(info.version)
        if self.version_resolver is not None:
            return self.version_resolver(tag)
        if tag is None:
            return None
        number = re.fullmatch(r"v?(\d+)", tag)
        if number:
            return number.group(1)
        raise ValueError(
            f"model version {tag!r} is an alias, which only the model registry can resolve: pass registry= "
            "(or version_resolver / version_map), or give a version number"
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> ApiBasedModelInterface:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_model_performance_feedback(
        self, evaluation_dataset: EvaluationDataset, model_version_tag: str | None = None
    ) -> ModelPerformanceData:
        version = self.server_version(model_version_tag)
        self.client.ready(version)
        config = self.config
        if config.explanations == "model":
            config = config.model_copy(update={"explanations": "occlusion"})
        predictor = RemotePredictor(self.client, version)
        evaluator = StreamingEvaluator(predictor, self.extractor, config, on_batch=self.on_batch)
        return evaluator.evaluate(evaluation_dataset)

    def predict_proba(self, samples: EvaluationDataset, model_version_tag: str | None = None) -> Predictions:
        version = self.server_version(model_version_tag)
        self.client.ready(version)
        return predict_dataset(RemotePredictor(self.client, version), self.extractor, samples)
