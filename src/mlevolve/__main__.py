"""``python -m mlevolve`` and the ``mlevolve`` console script (``mlevolve.__main__:main``).

The stop signals' handler (:func:`mlevolve.stop.install`, standard library only) is installed before
the command line's modules are imported (about 0.3 s): a Ctrl-C or SIGTERM at any moment of the
process ends as one during the command does, in one line and status 130 or 143, never in Python's
KeyboardInterrupt traceback.  (``import mlevolve`` itself imports nothing heavy: its API is loaded on
first use.)
"""

import atexit
import contextlib
import os
import sys
from typing import NoReturn

from mlevolve import stop


def main() -> int:
    """Install the stop handler, then run the command line (:func:`mlevolve.cli.main`)."""
    stop.install()
    from mlevolve.cli import main as command_line

    status = command_line()
    if stop.STOPPED:
        _exit_stopped(status)
    return status


def _exit_stopped(status: int) -> NoReturn:
    """End a command that a stop signal ended (and that has handled it: its archive is closed, its line
    printed) with ``status``, 130 or 143, here rather than through the interpreter's shutdown.

    That shutdown would end it otherwise, killed by SIGINT (status -2), in two ways: it sets SIGINT back
    to its default before it is done, so a second Ctrl-C in its last tenths of a second meets no handler
    (and no "quit at once" line); and CPython, having marked "an unhandled KeyboardInterrupt" when one
    left code run from a string (``exec(text)``: numba, NumPy, namedtuple and dataclasses use it while
    they load), even one handled further up, ends such a process by sending itself SIGINT
    (``Modules/main.c``: ``exit_sigint``).  The exit functions run and the streams are flushed first;
    a second stop signal meanwhile still quits at once (:func:`mlevolve.stop.on_stop`)."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


if __name__ == "__main__":
    sys.exit(main())
