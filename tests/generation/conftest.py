"""Fixtures for the generation tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Undo ``configure_logging`` done by a CLI invocation: CliRunner closes the stderr it bound."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)
