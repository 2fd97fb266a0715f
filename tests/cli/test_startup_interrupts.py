"""Ctrl-C or SIGTERM at any moment of an ``mlevolve`` process, its start-up included: the console script
(``mlevolve.__main__:main``) installs the stop handler before it imports the command line's modules
(``import mlevolve`` itself imports none of them), so a signal during those imports is kept and stops the
command as it starts: one line, status 130 (143), never Python's KeyboardInterrupt traceback."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from mlevolve import stop
from tests.conftest import (
    EXAMPLES,
    ROOT,
    environment,
    handles,
    run_child,
    runs,
    sigint_default,
    spawn,
    wait_for_candidates,
    wait_until,
)

QUARTIC = str(EXAMPLES / "quartic.mlev")


def test_the_console_script_is_the_entry_point_that_installs_the_handler_first() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"mlevolve": "mlevolve.__main__:main"}


@pytest.mark.e2e
def test_importing_mlevolve_and_its_entry_point_imports_nothing_heavy() -> None:
    probe = ("import sys, mlevolve, mlevolve.__main__\n"
             "print(*sorted(m for m in ('numpy', 'lark', 'mlevolve.api', 'mlevolve.cli') if m in sys.modules))\n"
             "print(mlevolve.run.__module__, mlevolve.MlevError.__name__)\n"  # the API, imported on first use
             "print(mlevolve.api.evolve.__name__, mlevolve.gp.backends.__name__)")  # submodules, as before
    done = run_child([sys.executable, "-c", probe], capture_output=True, text=True, env=environment(),
                     timeout=60)
    assert done.stdout.splitlines() == ["", "mlevolve.api.running MlevError", "evolve mlevolve.gp.backends"], \
        done.stderr


# Ctrl-C exactly while the command line's modules are imported: as the first of them imports numpy.
_DURING_IMPORTS = """
import importlib.abc, signal, sys

SENT = getattr(signal, sys.argv[1])

class CtrlC(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "numpy" and sys.meta_path[0] is self:
            sys.meta_path.remove(self)
            signal.raise_signal(SENT)
        return None

sys.meta_path.insert(0, CtrlC())
sys.argv = ["mlevolve", *sys.argv[2:]]
from mlevolve.__main__ import main
sys.exit(main())
"""


@pytest.mark.e2e
@pytest.mark.parametrize(("name", "status", "word"), [("SIGINT", 130, "interrupted"),
                                                      ("SIGTERM", 143, "stopped by SIGTERM")])
def test_a_stop_signal_while_the_command_line_is_imported_stops_it_in_one_line(name: str, status: int,
                                                                                word: str) -> None:
    done = run_child([sys.executable, "-c", _DURING_IMPORTS, name, "check", QUARTIC], capture_output=True,
                     text=True, env=environment(), timeout=60, preexec_fn=sigint_default)
    assert (done.returncode, done.stderr.splitlines(), done.stdout) == (status, [f"mlevolve check: {word}"], "")


def _a_long_run(db: Path, during: Callable[[subprocess.Popen[str]], None], *python: str) -> tuple[int, str]:
    """``mlevolve evolve QUARTIC`` to a budget of a million into archive ``db`` (started by ``python``'s arguments,
    by default ``-m mlevolve``), ``during(proc)`` while it runs: its exit status and stderr (killed after 60 s)."""
    proc = spawn([sys.executable, *(python or ("-m", "mlevolve")), "evolve", QUARTIC, "--budget", "1000000",
                             "--db", str(db), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                 env=environment(), preexec_fn=sigint_default)
    try:
        during(proc)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err


@pytest.mark.e2e
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
@pytest.mark.parametrize("after", [0.0, 0.05, 0.15, 0.3, 0.6, 1.0])
def test_a_ctrl_c_at_any_moment_of_the_process_is_one_line_and_status_130(tmp_path: Path, after: float) -> None:
    """Sent ``after`` seconds after ``python -m mlevolve evolve ...`` has installed its handler (the first
    thing it does once Python has started): while mlevolve's modules are imported (about 0.3 s), while the
    run starts, or while it runs."""
    def ctrl_c(proc: subprocess.Popen[str]) -> None:
        # mlevolve's handler: stop.install sets SIGTERM's with SIGINT's (Python handles SIGINT from its start)
        wait_until(lambda: runs(proc.pid, "evolve") and handles(proc.pid, signal.SIGTERM), proc, limit=30)
        time.sleep(after)  # the moment sampled, counted from the handler: any moment must give one of the endings
        proc.send_signal(signal.SIGINT)

    status, err = _a_long_run(tmp_path / "r.db", ctrl_c)
    lines = err.splitlines()
    assert status == 130 and "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert lines == ["mlevolve evolve: interrupted"] or (  # before the command began: one line
        len(lines) == 2 and lines[0].startswith("mlevolve evolve: interrupted; ")
        and lines[1].startswith("resume with the same command: mlevolve evolve ")) or (  # before anything was saved
        len(lines) == 2 and lines[0] in ("mlevolve evolve: interrupted before the run began: nothing new was saved",
                                         "mlevolve evolve: interrupted before any candidate was saved: nothing to "
                                         "resume")
        and lines[1].startswith("start it again with the same command: mlevolve evolve ")), err


# Ctrl-C while Python runs code called from C, where a KeyboardInterrupt cannot propagate: a ctypes callback (as
# numba's object cache is while it loads a kernel, which a Ctrl-C 0.6 s into a quartic run once met in CI).
_IN_A_CALLBACK = """
import ctypes, signal, sys
from mlevolve.gp import engine

start, started = engine.Engine.start, [0]

@ctypes.CFUNCTYPE(None)
def from_c():  # the handler runs in here, and its KeyboardInterrupt is dropped at the return to C
    signal.raise_signal(signal.SIGINT)

def start_20th_in_a_callback(self, *args):
    started[0] += 1
    if started[0] == 20:
        from_c()
    return start(self, *args)

engine.Engine.start = start_20th_in_a_callback
sys.argv = ["mlevolve", *sys.argv[1:]]
from mlevolve.__main__ import main
sys.exit(main())
"""


@pytest.mark.e2e
def test_a_ctrl_c_that_python_drops_in_a_callback_from_c_still_stops_the_run(tmp_path: Path) -> None:
    """Before, the run went on to its budget (here a million) after 'Exception ignored on calling ctypes callback
    function ... KeyboardInterrupt'; now it stops before its next candidate, in the words of every Ctrl-C."""
    status, err = _a_long_run(tmp_path / "r.db", lambda proc: None, "-c", _IN_A_CALLBACK)
    lines = err.splitlines()
    assert status == 130 and "Exception ignored" not in err and "KeyboardInterrupt" not in err, err
    assert len(lines) == 2 and lines[0].startswith("mlevolve evolve: interrupted; 19 candidates are saved in "), err


def test_a_ctrl_c_dropped_in_a_gc_callback_stops_an_in_process_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``cli.main(argv)`` called from Python handled the stop signals but not the exceptions Python drops, so a
    Ctrl-C whose handler ran inside a garbage collector's callback (Hypothesis keeps one for its timings: the
    interrupt tests printed PytestUnraisableExceptionWarning) was lost and the run went on to its budget; the
    command's own unraisable hook now stands in while it runs, and the caller's is back after it."""
    import gc

    from mlevolve.cli import main
    from mlevolve.gp import engine

    start, started, fired = engine.Engine.start, [0], []

    def start_with_a_collection(self: engine.Engine, *args: object) -> None:
        started[0] += 1
        if started[0] == 20:
            gc.collect()  # the Ctrl-C comes in its callback
        start(self, *args)

    def ctrl_c_in_the_callback(phase: str, info: object) -> None:
        if phase == "start" and started[0] == 20 and not fired:
            fired.append(phase)
            signal.raise_signal(signal.SIGINT)

    caller = sys.unraisablehook
    monkeypatch.setattr(engine.Engine, "start", start_with_a_collection)
    gc.callbacks.append(ctrl_c_in_the_callback)
    try:
        code = main(["evolve", QUARTIC, "--init", "random", "--budget", "300", "--db", str(tmp_path / "r.db"),
                     "--quiet"])
    finally:
        gc.callbacks.remove(ctrl_c_in_the_callback)
    err = capsys.readouterr().err
    assert fired and code == 130, err
    assert err.startswith("mlevolve evolve: interrupted; 19 candidates are saved in "), err
    assert sys.unraisablehook is caller and stop.LOST == []


def test_a_dropped_stop_is_raised_once_by_check_and_other_dropped_exceptions_are_printed(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in (("STOPPED", [signal.SIGINT]), ("ARMED", [True]), ("LOST", [])):
        monkeypatch.setattr(stop, name, value)
    monkeypatch.setattr(sys, "unraisablehook", stop.unraisable)

    class Dropping:
        def __init__(self, error: type[BaseException]) -> None:
            self.error = error

        def __del__(self) -> None:
            raise self.error

    Dropping(ValueError)  # dropped by Python at once, as from every __del__
    assert stop.LOST == [] and "Exception ignored" in capsys.readouterr().err
    Dropping(KeyboardInterrupt)
    assert stop.LOST == [signal.SIGINT] and capsys.readouterr().err == ""
    with pytest.raises(KeyboardInterrupt):
        stop.check()
    stop.check()  # once: nothing is left
    stop.ARMED[0] = False
    Dropping(KeyboardInterrupt)
    stop.check()  # not while the command is not running (a signal then is only kept)
    assert stop.LOST == [signal.SIGINT]


@pytest.mark.e2e
@pytest.mark.parametrize("gap", [0.03, 0.1, 0.2])
def test_a_second_ctrl_c_while_the_first_stop_ends_is_never_a_death_by_sigint(tmp_path: Path, gap: float) -> None:
    """The second Ctrl-C ``gap`` seconds after the first, while the stopped run ends (it used to meet the
    default action the interpreter's shutdown puts back, status -2 and no line): status 130, no traceback,
    and either the first stop's lines alone or with the "quit at once" line."""
    db = tmp_path / "r.db"

    def twice(proc: subprocess.Popen[str]) -> None:
        assert wait_for_candidates(proc, db, 30)
        proc.send_signal(signal.SIGINT)
        time.sleep(gap)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)

    status, err = _a_long_run(db, twice)
    assert status == 130 and "Traceback" not in err, (status, err)
    assert err.splitlines()[0].startswith(("mlevolve evolve: interrupted", "mlevolve: Ctrl-C again")), err


_AS_IT_EXITS = """
import atexit, signal, sys

atexit.register(signal.raise_signal, getattr(signal, sys.argv[1]))  # a stop signal once the command is done
sys.argv = ["mlevolve", *sys.argv[2:]]
from mlevolve.__main__ import main
main()
"""


@pytest.mark.e2e
@pytest.mark.parametrize(("name", "status", "word"), [("SIGINT", 130, "Ctrl-C"), ("SIGTERM", 143, "SIGTERM")])
def test_a_stop_signal_after_the_command_is_done_is_said_in_one_line(name: str, status: int, word: str) -> None:
    """The process ends through :func:`mlevolve.__main__._exit`, its handler in place to the end: the
    interpreter's shutdown (about 0.9 s after a meta run) ended it killed by SIGINT, with no line."""
    done = run_child([sys.executable, "-c", _AS_IT_EXITS, name, "check", QUARTIC], capture_output=True,
                     text=True, env=environment(), timeout=60, preexec_fn=sigint_default)
    assert (done.returncode, done.stdout.split(":")[0], done.stderr.splitlines()) == (
        status, QUARTIC, [f"mlevolve: {word} as the command exited, after it had finished: what it wrote is saved"])
