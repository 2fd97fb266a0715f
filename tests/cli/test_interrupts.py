"""Ctrl-C and SIGTERM at chosen points: no KeyboardInterrupt escapes the command's handler, none is lost.

Python raises a signal handler's KeyboardInterrupt at (almost) any bytecode: while the arguments are
parsed, in an ``except`` or ``finally`` block reporting the stop, in ``sys.exit`` and atexit callbacks,
and inside Python code that C code calls (numba boxing a compiled function's result, which then turns it
into a ``SystemError``: the run went on, the Ctrl-C lost, and the slow Ctrl-C test timed out).  Each test
sends the signal at one such point on purpose (``signal.raise_signal`` from a patched function, or a
profile hook), so each window is tried every time rather than by chance.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from mlevolve.dsl.parse import parse
from mlevolve.grammar.spec import load_grammar
from mlevolve.interpreter.fit import fit_formula
from mlevolve.results import guarded
from tests.conftest import EXAMPLES, environment

QUARTIC = str(EXAMPLES / "quartic.mlev")
QUIT = ("mlevolve: Ctrl-C again: quit at once; a run's archive keeps every candidate it committed, and the same "
        "command resumes it")

# The command line as `python -m mlevolve` runs it (cli.main(), sys.argv), with api.evolve replaced by
# a stand-in that is stopped as a real run is, and the signal sent where the first argument says.
_SCRIPT = """
import atexit, functools, signal, sys
from mlevolve import api, cli

where = sys.argv[1]
ctrl_c = lambda: signal.raise_signal(signal.SIGINT)

@functools.wraps(api.evolve)  # the parser reads its signature
def evolve(*args, **kwargs):
    try:
        ctrl_c()  # the first Ctrl-C, while the run runs
        print("the run went on", file=sys.stderr)
        return {}
    except KeyboardInterrupt:
        if where == "saving":
            ctrl_c()  # a second one while the run saves what it has
        raise api.RunInterrupted("r.db", 7) from None

api.evolve = evolve
if where == "parsing":
    build = cli.build_parser
    cli.build_parser = lambda: (ctrl_c(), build())[1]
if where == "reporting":
    word = cli._stop_word
    cli._stop_word = lambda: (ctrl_c(), word())[1]
if where == "returned":
    inner = cli._main
    cli._main = lambda argv: (inner(argv), ctrl_c())[0]
if where == "exiting":
    atexit.register(ctrl_c)
command = sys.argv[2:]
sys.argv = ["mlevolve", *command]
sys.exit(cli.main())
"""

STOPPED = ["mlevolve evolve: interrupted; 7 candidates are saved in r.db",
           f"resume with the same command: mlevolve evolve {QUARTIC} --budget 5"]


@pytest.mark.e2e
@pytest.mark.parametrize("where, command, status, err", [
    # Held until the command starts, then it stops it before anything runs.
    ("parsing", ["evolve", QUARTIC, "--budget", "5"], 130, ["mlevolve evolve: interrupted"]),
    # A second Ctrl-C while the stop is saved or reported: quit at once, one line, no traceback.
    ("saving", ["evolve", QUARTIC, "--budget", "5"], 130, [QUIT]),
    ("reporting", ["evolve", QUARTIC, "--budget", "5"], 130, [QUIT]),
    # After the command is done (its handler returned; sys.exit, atexit): kept, the command's status stands.
    ("returned", ["check", QUARTIC], 0, []),
    ("exiting", ["check", QUARTIC], 0, []),
    # A second Ctrl-C there, after a run was stopped: quit at once (the stop was reported already).
    ("returned", ["evolve", QUARTIC, "--budget", "5"], 130, [*STOPPED, QUIT]),
    ("exiting", ["evolve", QUARTIC, "--budget", "5"], 130, [*STOPPED, QUIT])])
def test_a_ctrl_c_at_any_point_of_a_command_ends_it_in_one_line(
        where: str, command: list[str], status: int, err: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", _SCRIPT, where, *command], capture_output=True, text=True,
                          timeout=120, env=environment())
    assert (done.returncode, done.stderr.splitlines()) == (status, err)
    assert "Traceback" not in done.stdout


def test_an_interrupt_that_c_code_turned_into_another_error_still_stops() -> None:
    def converted() -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise SystemError("f returned a result with an exception set")  # noqa: B904 - as C code does

    with pytest.raises(KeyboardInterrupt):
        guarded(converted, "fitting")
    _, failure = guarded(lambda: 1 / 0, "fitting")  # an error of the candidate's own stays its failure
    assert failure is not None and failure.reason == "ZeroDivisionError: division by zero"


def test_a_ctrl_c_inside_numba_boxing_a_fit_stops_the_fit() -> None:
    """The window the slow Ctrl-C test fell into: the signal handler ran inside ``_numba_unpickle``,
    which numba's compiled ``fit_numbers`` calls to box its result; numba raised ``SystemError``
    instead, and the candidate was recorded as failed."""
    import numba.core.serialize

    program = parse("algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  1.0 * x * x + 0.5\n")
    x = np.linspace(-1.0, 1.0, 20)[:, None]
    y = 2.0 * x[:, 0] ** 2 + 1.0
    spec = load_grammar()
    fit_formula(program, spec, x, y)  # compiled (or read from numba's cache) before the hook is set
    target = numba.core.serialize._numba_unpickle.__code__
    landed: list[str] = []

    def ctrl_c_there(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code is target and not landed:
            landed.append(frame.f_code.co_name)
            raise KeyboardInterrupt  # as the default SIGINT handler raises it, at this function's first bytecode

    sys.setprofile(ctrl_c_there)
    try:
        with pytest.raises(KeyboardInterrupt):
            guarded(lambda: fit_formula(program, spec, x, y), "fitting")
    finally:
        sys.setprofile(None)
    assert landed == ["_numba_unpickle"]
