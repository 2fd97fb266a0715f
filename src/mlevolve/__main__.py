"""``python -m mlevolve`` and the ``mlevolve`` console script (``mlevolve.__main__:main``).

The stop signals' handler (:func:`mlevolve.stop.install`, standard library only) is installed before
the command line's modules are imported (about 0.3 s): a Ctrl-C or SIGTERM at any moment of the
process ends as one during the command does, in one line and status 130 or 143, never in Python's
KeyboardInterrupt traceback.  Then, before those imports too, an ``evolve`` run's worker pool's fork server
is started where the command line says the run will score in workers (:mod:`mlevolve.gp.serverstart`), so that
its PyTorch import overlaps them.  (``import mlevolve`` itself imports nothing heavy: its API is loaded on
first use.)
"""

import atexit
import contextlib
import os
import sys
import threading
from typing import NoReturn

from mlevolve import stop


def main() -> NoReturn:
    """Install the stop handler, start the worker pool's fork server where the command line says a run will need
    one (:func:`mlevolve.gp.serverstart.start_early`: its PyTorch import overlaps the command line's own), then run
    the command line (:func:`mlevolve.cli.main`) and exit (:func:`_exit`)."""
    stop.install()
    if sys.argv[1:2] == ["evolve"]:
        from mlevolve.gp.serverstart import start_early

        start_early(sys.argv[1:])
    from mlevolve.cli import main as command_line

    _exit(command_line())


def _exit(status: int) -> NoReturn:
    """End the command with ``status`` here, its exit functions run and its streams flushed, rather than
    through the interpreter's shutdown, so that a stop signal is handled until the process has ended.

    That shutdown (tearing down the modules a run loaded: PyTorch, NumPy, SciPy; about 0.9 s after a meta
    run on a quiet machine, all of it in C) would otherwise end the process killed by SIGINT (status 130,
    no line) in two ways: it sets SIGINT back to its default before it is done, so a Ctrl-C in that time
    meets no handler; and CPython, having marked "an unhandled KeyboardInterrupt" when one left code run
    from a string (``exec(text)``: numba, NumPy, namedtuple and dataclasses use it while they load), even
    one handled further up, ends such a process by sending itself SIGINT (``Modules/main.c``:
    ``exit_sigint``).  A stop signal the command handled (its archive closed, its line printed) has made
    ``status`` 128 + its number; one that came after the command had done its work (the summary printed)
    is said here, with that status; a second one meanwhile still quits at once (:func:`mlevolve.stop.on_stop`).

    First its child processes are ended and reaped (:func:`mlevolve.gp.serverstart.reap_children`): a command that
    returns has none left running, nor one about to die that a user's next command would race."""
    reaping = "multiprocessing" in sys.modules  # a command that started no process has none to reap
    if reaping:  # first the workers a stop left: the threads and exit functions below join them unbounded
        from mlevolve.gp.serverstart import end_processes, reap_children

        end_processes(sys.modules["multiprocessing"].active_children())
    getattr(threading, "_shutdown", lambda: None)()  # as the interpreter's exit begins: its threads joined
    atexit._run_exitfuncs()
    if reaping:  # after the exit functions, whose finalizers may talk to the resource tracker
        reap_children()
    if stop.STOPPED and status != 128 + stop.STOPPED[0]:  # after the command: what it did stands
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        print(f"mlevolve: {stop.signal_name(stop.STOPPED[0])} as the command exited, after it had finished: "
              "what it wrote is saved", file=sys.stderr)
        status = 128 + stop.STOPPED[0]
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


if __name__ == "__main__":
    sys.exit(main())
