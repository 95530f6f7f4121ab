"""Failpoints: named places where a fault-injection test can kill the process for real.

``failpoint("cycle-1:generated")`` does nothing unless ``ENVIROSENSE_FAILPOINT`` names that point, in which
case the process sends itself SIGKILL (``kill -9``): no cleanup, no ``finally``, no flushing, exactly what a
crash or an OOM kill does. The resume tests use it to stop a real run at every step of a cycle.
"""

from __future__ import annotations

import os
import signal

FAILPOINT_ENV = "ENVIROSENSE_FAILPOINT"


def failpoint(name: str) -> None:
    if os.environ.get(FAILPOINT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
