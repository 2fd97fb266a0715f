"""``python -m mlevolve`` and the ``mlevolve`` console script (``mlevolve.__main__:main``).

The stop signals' handler (:func:`mlevolve.stop.install`, standard library only) is installed before
the command line's modules are imported (about 0.3 s): a Ctrl-C or SIGTERM at any moment of the
process ends as one during the command does, in one line and status 130 or 143, never in Python's
KeyboardInterrupt traceback.  (``import mlevolve`` itself imports nothing heavy: its API is loaded on
first use.)
"""

import sys

from mlevolve import stop


def main() -> int:
    """Install the stop handler, then run the command line (:func:`mlevolve.cli.main`)."""
    stop.install()
    from mlevolve.cli import main as command_line

    status = command_line()
    if stop.STOPPED:
        _forget_unhandled_interrupt()
    return status


def _forget_unhandled_interrupt() -> None:
    """Clear CPython's mark of an unhandled KeyboardInterrupt, after the command handled one.

    CPython marks one whenever a KeyboardInterrupt leaves code run from a string (``exec(text)``, which
    numba, NumPy and the standard library's namedtuple and dataclasses use while they import or
    compile), even one handled further up; a process so marked ends, after its shutdown, by setting
    SIGINT to its default and sending it to itself (``Modules/main.c``: ``exit_sigint``): killed by
    SIGINT (status -2) instead of exiting with ours.  Code run from a string that ends normally clears
    the mark first (``Python/pythonrun.c``: ``run_eval_code_obj``)."""
    exec("")  # an empty program, run from a string: what clears the mark


if __name__ == "__main__":
    sys.exit(main())
