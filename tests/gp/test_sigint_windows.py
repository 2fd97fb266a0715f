"""The short windows in which the coordinator starts processes deaf to Ctrl-C (``_children_deaf_to_sigint``) and
the Dask backend's restart of a timed-out worker hold a Ctrl-C that arrives in them to their end: it is
acted on then, neither lost nor raised in the middle of them."""

from __future__ import annotations

import signal
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from mlevolve.gp.backends import _children_deaf_to_sigint, signal_handler
from mlevolve.gp.dask_backend import DaskBackend
from tests.conftest import run_child

pytestmark = pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")


def test_a_ctrl_c_inside_the_window_is_delivered_once_after_it() -> None:
    seen: list[str] = []
    with signal_handler(signal.SIGINT, lambda signum, frame: seen.append("ctrl-c")):
        with _children_deaf_to_sigint():
            signal.raise_signal(signal.SIGINT)
            seen.append("window ends")
        seen.append("after")
    assert seen == ["window ends", "ctrl-c", "after"]


def test_a_process_started_in_the_window_cannot_get_ctrl_c_while_it_boots() -> None:
    probe = "import signal; print(int(signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])))"
    with signal_handler(signal.SIGINT, lambda signum, frame: None):
        with _children_deaf_to_sigint():
            inside = run_child([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
        outside = run_child([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
        assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])  # this thread's mask is back
    assert (inside.stdout.strip(), outside.stdout.strip()) == ("1", "0")


def test_a_ctrl_c_while_dask_restarts_a_timed_out_worker_acts_after_the_restart() -> None:
    """As ``results()``'s wait: a Ctrl-C inside distributed's ``sync()`` made it log a traceback."""
    calls: list[str] = []

    def restart_workers(addresses: list[str], **kwargs: Any) -> None:
        signal.raise_signal(signal.SIGINT)
        calls.append("restarted " + ",".join(addresses))

    backend = DaskBackend.__new__(DaskBackend)
    backend.client = SimpleNamespace(processing=lambda: {"tcp://w1": ["k"]}, restart_workers=restart_workers)
    backend.restarted = 0
    backend.futures = {}  # nothing else in flight
    future = SimpleNamespace(key="k", cancel=lambda: calls.append("cancelled"))
    with signal_handler(signal.SIGINT, signal.default_int_handler), pytest.raises(KeyboardInterrupt):
        backend._stop(future)
    assert calls == ["cancelled", "restarted tcp://w1"] and backend.restarted == 1
