"""A stop (Ctrl-C, SIGTERM) that waits for the write it lands in.

The CLI turns the first stop signal into ``KeyboardInterrupt`` wherever the main thread is. Raised inside
a database library's transaction (MLflow's SQLite store, say), it can leave the connection holding its
lock, and the run's own clean-up (marking the run interrupted, ending its MLflow run) then fails with
"database is locked" instead of stopping quietly. Code that must not be cut in half runs inside
:func:`uninterrupted`; a stop requested there (:func:`request_stop`) is raised when the block ends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class _StopState:
    depth: int = 0
    pending: bool = False


_STATE = _StopState()
"""Process-wide, like the signal handlers that use it (they run in the main thread)."""


def request_stop() -> None:
    """Stop now (raise ``KeyboardInterrupt``), or at the end of the ``uninterrupted`` block the caller is in."""
    if _STATE.depth:
        _STATE.pending = True
        return
    raise KeyboardInterrupt


@contextmanager
def uninterrupted() -> Iterator[None]:
    """Run the block whole: a stop requested inside it is raised as ``KeyboardInterrupt`` when the outermost
    such block ends (replacing any error the block raised, since the user asked to stop). Only the main
    thread, where signal handlers run, defers; elsewhere the block is a plain block."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _STATE.depth += 1
    try:
        yield
    finally:
        _STATE.depth -= 1
        if _STATE.depth == 0 and _STATE.pending:
            _STATE.pending = False
            raise KeyboardInterrupt
