"""The model side's errors: what a ``ModelInterface`` may raise besides its input errors."""

from __future__ import annotations


class ModelError(RuntimeError):
    """Base of every error a model interface raises about the model or the service behind it."""


class ModelUnavailableError(ModelError):
    """The model cannot answer now (a server down or restarting, a breaker open, a model still loading,
    answers that do not validate): waiting may help, the request itself was fine."""
