"""A stop signal stops a command once; later ones, and any after the command returned, are ignored.

The real-process check (Ctrl-C pressed again and again while a run stops) is in test_cli_interrupt.py.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from envirosense.cli.app import main
from envirosense.cli.interrupts import STOP_SIGNALS, stop_once


@pytest.fixture(autouse=True)
def _restore_handlers() -> Iterator[None]:
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    yield
    for signum, handler in previous.items():
        signal.signal(signum, handler)


@pytest.mark.parametrize("first", STOP_SIGNALS)
def test_the_first_stop_signal_interrupts_and_the_later_ones_are_ignored(first: signal.Signals) -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, stop_once)

    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(first)

    assert [signal.getsignal(signum) for signum in STOP_SIGNALS] == [signal.SIG_IGN, signal.SIG_IGN]
    for signum in (*STOP_SIGNALS, first):
        signal.raise_signal(signum)  # ignored: were it not, the test process would stop here


def test_the_program_ignores_stop_signals_once_the_command_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.argv", ["envirosense", "version"])

    with pytest.raises(SystemExit) as exited:
        main()

    assert exited.value.code == 0
    assert [signal.getsignal(signum) for signum in STOP_SIGNALS] == [signal.SIG_IGN, signal.SIG_IGN]
