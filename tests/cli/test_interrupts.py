"""Ctrl-C and SIGTERM at chosen points: no KeyboardInterrupt escapes the command's handler, none is lost.

Python raises a signal handler's KeyboardInterrupt at (almost) any bytecode: while the arguments are
parsed, in an ``except`` or ``finally`` block reporting the stop, in ``sys.exit`` and atexit callbacks,
and inside Python code that C code calls (numba boxing a compiled function's result, which then turns it
into a ``SystemError``: the run went on, the Ctrl-C lost, and the slow Ctrl-C test timed out).  Each test
sends the signal at one such point on purpose (``signal.raise_signal`` from a patched function, or a
profile hook), so each window is tried every time rather than by chance.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlevolve.dsl.parse import parse
from mlevolve.grammar.spec import load_grammar
from mlevolve.interpreter.fit import fit_formula
from mlevolve.results import guarded
from tests.conftest import (
    EXAMPLES,
    archive_count,
    environment,
    run_child,
    sigint_default,
    spawn,
    wait_for_candidates,
    wait_until,
)

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
    done = run_child([sys.executable, "-c", _SCRIPT, where, *command], capture_output=True, text=True,
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
    if os.environ.get("MLEVOLVE_NO_JIT"):
        pytest.skip("the fit runs on NumPy (MLEVOLVE_NO_JIT): no numba boxing to land in")
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


# ------------------------------------------------------------------------------------ --dask local:N
def _dask_run(tmp_path: Path, starting: bool) -> tuple[int, list[str]]:
    """``evolve --dask local:2``, Ctrl-C to its whole process group (as a terminal sends it) once the cluster
    has begun to start (``starting``: the first process it starts), or once candidates are saved: its status
    and its stderr lines.  A Ctrl-C that is lost leaves the run of a million candidates going:
    the wait for its end then times out (``subprocess.TimeoutExpired``), a failure."""
    import psutil  # distributed's own dependency
    db = tmp_path / "d.db"
    proc = spawn([sys.executable, "-m", "mlevolve", "evolve", QUARTIC, "--init", "random", "--budget",
                             "1000000", "--population", "20", "--db", str(db), "--quiet", "--dask", "local:2"],
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(),
                 start_new_session=True, preexec_fn=sigint_default)
    try:
        if starting:  # the cluster's first process started, no candidate saved: it is starting
            wait_until(lambda: bool(psutil.Process(proc.pid).children()), proc, step=0.02)
            assert archive_count(db) == 0, "the run saved candidates before the cluster was seen starting"
        else:
            assert wait_for_candidates(proc, db, 30)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        return proc.returncode, err.splitlines()  # no note of numba's: the session compiled the kernels first
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize("starting", [False, True], ids=["running", "starting"])
def test_ctrl_c_with_a_local_dask_cluster_is_one_line_and_never_lost(tmp_path: Path, starting: bool) -> None:
    """The cluster's workers start with SIGINT blocked and ignore it (their preload): no worker prints a
    KeyboardInterrupt traceback, nor the scheduler a warning about workers lost.  The coordinator keeps
    its handler: a Ctrl-C while the cluster starts (its workers boot for a second or two) is held until it
    has started, then stops the run."""
    pytest.importorskip("distributed")
    status, err = _dask_run(tmp_path, starting)
    assert status == 130, err
    if not starting:
        db = tmp_path / "d.db"
        assert len(err) == 2 and re.fullmatch(rf"mlevolve evolve: interrupted; (1 candidate is|[0-9]+ candidates are) "
                                              rf"saved in {re.escape(str(db))}", err[0]), err
        assert err[1].startswith("resume with the same command: mlevolve evolve ")
    else:  # the archive may not be open yet: nothing to resume and the command to start it, or the run's two lines
        assert len(err) == 2 and (" saved in " in err[0] or "before the run began" in err[0] or
                                  "before any candidate was saved" in err[0]), err


@pytest.mark.slow
def test_a_local_dask_cluster_takes_no_dashboard_port_and_warns_nothing() -> None:
    """A run's LocalCluster has no dashboard; its scheduler's HTTP server takes a free loopback port, so a
    port 8787 in use (another cluster's dashboard) prints no warning."""
    pytest.importorskip("distributed")
    import socket
    import warnings

    from mlevolve.gp.dask_backend import DaskBackend

    taken = socket.socket()
    try:
        with contextlib.suppress(OSError):  # in use already: as good
            taken.bind(("127.0.0.1", 8787))
            taken.listen()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            backend = DaskBackend(dict, "local:1")
            try:
                port = backend.cluster.scheduler.http_server.port  # type: ignore[union-attr]
            finally:
                backend.close()
    finally:
        taken.close()
    assert port != 8787
    assert [str(w.message) for w in caught if "8787" in str(w.message) or "dashboard" in str(w.message)] == []


@pytest.mark.slow
def test_a_local_dask_workers_logs_reach_the_terminal_only_when_critical(capfd: pytest.CaptureFixture[str]) -> None:
    """A worker of the run's own cluster logs nothing below CRITICAL to the terminal: a Ctrl-C while the cluster
    warmed up left a worker printing a heartbeat's traceback (the scheduler it wrote to just closed) after the
    command's last line."""
    pytest.importorskip("distributed")
    import logging

    from mlevolve.gp.dask_backend import DaskBackend

    backend = DaskBackend(dict, "local:1")
    try:
        capfd.readouterr()
        backend.client.run(lambda: [logging.getLogger("distributed.worker").error("an error from a worker"),
                                    logging.getLogger("distributed.worker").critical("a critical one")])
        time.sleep(0.5)  # the worker's stderr is its own process's: let it flush
    finally:
        backend.close()
    err = capfd.readouterr().err
    assert "an error from a worker" not in err and "a critical one" in err


@pytest.mark.parametrize("where", ["mlevolve.results.answer", "mlevolve.gp.archive.Archive.__exit__"])
def test_a_ctrl_c_after_the_search_says_the_run_is_saved(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """A stop once every candidate is in the archive (closing it, summing up the answer) names the candidates
    saved and the command that resumes it, never 'before the run began: nothing new was saved'."""
    import importlib

    from tests.conftest import cli

    module, _, name = where.rpartition(".")
    owner: Any = importlib.import_module(module) if "Archive" not in module else \
        importlib.import_module(module.rpartition(".")[0]).Archive
    real = getattr(owner, name)

    def stopped(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(owner, name, stopped)
    db = tmp_path / "q.db"
    code, out, err = cli(capsys, "evolve", QUARTIC, "--budget", "12", "--db", str(db), "--quiet")
    assert (code, out) == (130, "")
    assert err.splitlines() == [f"mlevolve evolve: interrupted; 12 candidates are saved in {db}",
                                f"resume with the same command: mlevolve evolve {QUARTIC} --budget 12 --db {db} "
                                "--quiet"]
    assert archive_count(db) == 12
