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

    return command_line()


if __name__ == "__main__":
    sys.exit(main())
