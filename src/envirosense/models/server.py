"""Where a model server is and how to talk to it: settings shared by every model on it.

Kept apart from ``api.py`` so that reading a run's configuration does not import the evaluation stack.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_TOKEN_ENV = "ENVIROSENSE_MODEL_API_TOKEN"


class ServerSettings(BaseModel):
    """Where a model server is and how to talk to it (any model on it). Times in seconds."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(description="Server root, e.g. https://models.example.com or http://127.0.0.1:8080.")
    batch_size: int = Field(default=512, ge=1, description="Rows per infer request.")
    max_concurrency: int = Field(default=4, ge=1, le=64, description="Requests in flight at once.")
    connect_timeout_s: float = Field(default=3.0, gt=0, description="Longest wait to connect.")
    read_timeout_s: float = Field(default=30.0, gt=0, description="Longest wait for response bytes.")
    write_timeout_s: float = Field(default=30.0, gt=0, description="Longest wait to send request bytes.")
    pool_timeout_s: float = Field(default=30.0, gt=0, description="Longest wait for a free connection.")
    max_attempts: int = Field(default=4, ge=1, description="Attempts per request, first one included.")
    backoff_initial_s: float = Field(default=0.2, ge=0, description="First retry delay; doubles each time.")
    backoff_max_s: float = Field(default=5.0, ge=0, description="Longest retry delay.")
    breaker_fail_max: int = Field(default=5, ge=1, description="Consecutive failures that open the breaker.")
    breaker_reset_timeout_s: float = Field(default=30.0, gt=0, description="Open time before one trial call.")
    token_env_var: str | None = Field(default=DEFAULT_TOKEN_ENV, description="Env var holding a bearer token.")
    token_file: Path | None = Field(default=None, description="Secret file holding a bearer token (wins).")
    ca_bundle: Path | None = Field(default=None, description="CA file to verify the server's TLS certificate.")
    verify_tls: bool = Field(
        default=True, description="Verify the server's TLS certificate; switch off only for a local test server."
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parsed = httpx.URL(value)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"base_url must be an http(s) URL with a host, got {value!r}")
        if parsed.userinfo:  # it would be stored with the run's configuration and shown in errors
            raise ValueError(
                "base_url must not hold a user or password; give the token with token_env_var or token_file"
            )
        return value.rstrip("/")
