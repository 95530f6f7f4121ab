"""Ctrl-C and SIGTERM stop a command once: the first raises ``KeyboardInterrupt`` (deferred to the end of a
write that must not be cut in half, ``ops.deferred_stop``), the rest are ignored.

A command that is stopping records what it must (a run marks itself interrupted, ends its MLflow run,
shuts its pool down) and exits with status 130. A second Ctrl-C must not cut that short, and once the
command has returned, Python tears the interpreter down with its own SIGINT handler gone: a signal then
would kill the process (status -2) or print a traceback from an exit handler. So a command that has
started stopping, and every command that has finished, ignores both signals until the process ends.
"""

from __future__ import annotations

import signal
from types import FrameType

from envirosense.ops.deferred_stop import request_stop

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""The signals that stop a command: Ctrl-C, and SIGTERM where a command turns it into a Ctrl-C."""


def ignore_stop_signals() -> None:
    """Ignore SIGINT and SIGTERM from now on (call from the main thread)."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def stop_once(signum: int, frame: FrameType | None) -> None:
    """Signal handler: stop the command (``KeyboardInterrupt``, at once or when the write it landed in ends:
    ``ops.deferred_stop``) and ignore every later stop signal."""
    ignore_stop_signals()
    request_stop()
