"""The entry point of the project's scripts (``benchmarks/``): a user's mistake there ends as it ends
in the ``mlevolve`` command, in its one-line error and hint with exit status 2, not a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from mlevolve.dsl.errors import MlevError

EXIT_USAGE = 2  # as the command line's


def run(main: Callable[[], int | None]) -> NoReturn:
    """Call ``main`` and exit with its status (None: 0).  An :class:`MlevError` (a bad task, program,
    configuration or archive, as the library reports it) prints its ``FILE:LINE:COL: error:`` line (or
    ``SCRIPT: error:`` where it names no file) and its hint; a file the script was pointed at and
    could not find prints ``SCRIPT: error: PATH: no such file``; both exit with status 2."""
    prog = Path(sys.argv[0]).name
    try:
        status = main()
    except MlevError as err:
        shown = err.render() if err.file or err.span else f"{prog}: error: {err.message}"
        if not (err.file or err.span) and err.hint:
            shown += f"\nhint: {err.hint}"
        print(shown, file=sys.stderr)
        sys.exit(EXIT_USAGE)
    except FileNotFoundError as err:
        print(f"{prog}: error: {err.filename}: no such file\nhint: check the path given", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    sys.exit(status or 0)
