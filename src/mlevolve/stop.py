"""Ctrl-C and SIGTERM of the ``mlevolve`` process: the handler, and the signals it has kept.

Standard library only, so that the console script installs it (:func:`install`) before it imports
the command line's modules: a stop signal at any moment of the process ends as one during the
command does (:mod:`mlevolve.cli`: one line, status 128 + the signal's number), never in Python's
KeyboardInterrupt traceback.  A stop whose KeyboardInterrupt Python could not raise (it came while
Python ran code called from C: a ctypes callback, as numba's object cache while it loads a kernel)
is kept, not printed (:func:`unraisable`), and raised before the run's next candidate (:func:`check`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import Any, NoReturn

STOPS = (signal.SIGINT, signal.SIGTERM)
STOPPED: list[int] = []  # the stop signals this command received: the first one stopped it
ARMED = [False]  # whether a stop signal raises KeyboardInterrupt now: only while the command itself runs
LOST: list[int] = []  # stop signals whose KeyboardInterrupt Python dropped (:func:`unraisable`), until :func:`check`


def on_stop(signum: int, frame: Any) -> None:
    """Ctrl-C (SIGINT) or SIGTERM.  The first, while the command runs (``cli._run_armed``), raises
    KeyboardInterrupt there: an interrupted run is saved and says how to resume.  Outside it (importing
    the command line, parsing the arguments, reporting the stop, exiting) a signal is only kept, so a
    KeyboardInterrupt can never come from a place no handler covers (Python raises it at any bytecode:
    in an import, an ``except`` or ``finally`` block, in ``sys.exit``); one kept before the command runs
    stops it as it starts.  A second signal quits at once (the run's archive keeps what it committed:
    the same command resumes it)."""
    STOPPED.append(signum)
    if len(STOPPED) > 1:
        quit_now(signum)
    if ARMED[0]:
        raise KeyboardInterrupt


def unraisable(info: Any, fallback: Any = None) -> None:
    """``sys.unraisablehook``: an exception Python cannot raise, as in code called from C (a ctypes callback, a
    ``__del__``, a weakref or garbage-collector callback), which it drops after this.  A stop's KeyboardInterrupt
    is kept in :data:`LOST` for :func:`check`, silently; anything else goes to ``fallback`` (the hook this one
    stands in for while a command runs in a Python caller's process: ``cli.main(argv)``), else is printed as
    Python prints it."""
    if info.exc_type is KeyboardInterrupt and STOPPED:
        LOST.append(STOPPED[-1])
    else:
        (fallback or sys.__unraisablehook__)(info)


def check() -> None:
    """Raise KeyboardInterrupt for a stop whose own was dropped (:func:`unraisable`) while the command runs:
    the engine calls it before each candidate, so such a Ctrl-C stops the run as any other does (without it
    the run went on to its budget)."""
    if LOST and ARMED[0]:
        LOST.clear()
        raise KeyboardInterrupt


def install() -> None:
    """Handle SIGINT and SIGTERM with :func:`on_stop` from now to the process's end (main thread only;
    elsewhere nothing changes), and the exceptions Python drops with :func:`unraisable`.  Idempotent: the
    signals kept so far stay kept."""
    with contextlib.suppress(ValueError):  # not the main thread
        for signum in STOPS:
            signal.signal(signum, on_stop)
        sys.unraisablehook = unraisable


def quit_now(signum: int) -> NoReturn:
    """Exit at once with status 128 + ``signum``, after one line (written without Python's buffers,
    which the interrupted code may hold)."""
    with contextlib.suppress(Exception):  # the interrupted code may be writing to stdout itself
        sys.stdout.flush()
    os.write(2, f"mlevolve: {signal_name(signum)} again: quit at once; a run's archive keeps every candidate it "
                "committed, and the same command resumes it\n".encode())
    os._exit(128 + signum)


def signal_name(signum: int) -> str:
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
