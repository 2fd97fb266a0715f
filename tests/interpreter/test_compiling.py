"""numba's compiles of mlevolve's kernels say so in one line on stderr, once a burst, where the command line asks;
a cache load says nothing."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest

import mlevolve
from mlevolve.grammar.spec import load_grammar
from mlevolve.interpreter import compiling
from mlevolve.interpreter.compiling import note
from mlevolve.interpreter.standalone.common import CandidateFailure
from tests.conftest import run_child

ROOT = Path(__file__).resolve().parents[2]
KERNELS = """
def twice(x):
    return 2 * x


def thrice(x):
    return 3 * x
"""
PROBE = """
import sys
import time

import numba

from mlevolve.interpreter import compiling

compiling.MODULES = ("kernels",)  # these stand for mlevolve's kernels; other (this file's, __main__) for a user's
compiling.register()
compiling.register()  # once: a second listener would say each compile twice
compiling.announce(sys.argv[1] == "on")
compiling.SAY_AFTER, compiling.REPEAT_AFTER = 0.0, 1.0  # these compiles are short: said as they start
import kernels


def other(x):
    return 4 * x


print(numba.njit(other)(1), numba.njit(cache=True)(kernels.twice)(1), end=" ")
time.sleep(float(sys.argv[2]))  # a later burst of compiles (a prune's kernels, after the search's)
print(numba.njit(cache=True)(kernels.thrice)(1))
print(compiling.compile_seconds() > 0)
"""


def _loud() -> dict[str, str]:
    """This environment without the test suite's MLEVOLVE_QUIET_COMPILE (tests/conftest.py): a child that says."""
    return {k: v for k, v in os.environ.items() if k != compiling.QUIET_ENV}


@pytest.mark.parametrize(("quiet", "asked"), [(None, True), ("0", True), ("", True), ("1", False), ("yes", False)])
def test_the_command_line_asks_for_the_note_unless_mlevolve_quiet_compile_is_set(
        monkeypatch: pytest.MonkeyPatch, quiet: str | None, asked: bool) -> None:
    """The CLI turns the note on around its command (in process too: nothing stubs it), off where the documented
    switch is set, and puts the library's silence back after."""
    from mlevolve import cli

    seen: list[bool] = []
    monkeypatch.setattr(cli, "_command", lambda argv: seen.append(compiling.announcing()) or 0)
    if quiet is None:
        monkeypatch.delenv(compiling.QUIET_ENV, raising=False)
    else:
        monkeypatch.setenv(compiling.QUIET_ENV, quiet)
    assert cli.main(["tasks"]) == 0 and seen == [asked]
    assert not compiling.announcing()


def test_workers_notes_are_said_by_the_coordinator_once_a_burst(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Two workers that start compiling together send a note each: the coordinator says one, on stderr; one sent
    REPEAT_AFTER seconds later is said again; none where the coordinator says nothing (the library)."""
    monkeypatch.setattr(compiling._State, "said", None)
    monkeypatch.setattr(compiling._State, "lines", 0)
    clock = [100.0]
    monkeypatch.setattr(compiling.time, "perf_counter", lambda: clock[0])
    line = note("/cache")
    previous = compiling.announce(False)
    try:
        assert not compiling.relay(line)
        compiling.announce(True)
        said = [compiling.relay(line), compiling.relay(line)]
        clock[0] += compiling.REPEAT_AFTER
        said.append(compiling.relay(line))
        clock[0] += compiling.REPEAT_AFTER
        said.append(compiling.relay(line))
    finally:
        compiling.announce(previous)
    out, err = capsys.readouterr()
    # a later burst says it is one (a new user's pass: the same line twice in one run read as a duplicate)
    assert said == [True, False, True, True] and out == "" and err.splitlines() == [
        line, "mlevolve: compiling numeric kernels again (burst 2 of this run; cached in /cache): seconds",
        "mlevolve: compiling numeric kernels again (burst 3 of this run; cached in /cache): seconds"]


@pytest.mark.parametrize(("announce", "gap", "lines"), [("on", "0", 1), ("on", "1.5", 2), ("off", "1.5", 0)])
def test_a_compile_says_so_where_asked_not_again_at_once_and_a_cache_load_says_nothing(
        tmp_path: Path, announce: str, gap: str, lines: int) -> None:
    """The command line asks (``compiling.announce``); the library says nothing.  The first compile says one line
    naming numba's cache, a later one again where it goes on (here: at once) after REPEAT_AFTER seconds: a learner
    kernel's second compile, 1 s after the first one and 16-44 s long, said nothing."""
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    (tmp_path / "kernels.py").write_text(KERNELS)
    cache = tmp_path / "cache"
    env = {**_loud(), "NUMBA_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT / "src")}
    runs = [run_child([sys.executable, str(script), announce, gap], capture_output=True, text=True, env=env,
                      timeout=300) for _ in range(2)]
    # compile seconds counted in the run that compiled (the user's function's too), none where all came from the cache
    assert [(r.returncode, r.stdout) for r in runs] == [(0, "4 2 3\nTrue\n"), (0, "4 2 3\nTrue\n")]
    said = runs[0].stderr.splitlines()
    lines_said = [note(str(cache)), compiling.AGAIN.format(count=2, where=str(cache))][:lines]
    assert len(said) == lines and all(re.fullmatch(
        re.escape(n).replace(re.escape(str(cache)), re.escape(str(cache)) + r"\S*"), s)
        for n, s in zip(lines_said, said, strict=True))
    assert runs[1].stderr == ""  # both loaded from the cache: nothing compiled, nothing said


def test_numba_s_compiling_is_not_a_candidate_s_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh checkout's first compile (30 minutes at nice 19 on a loaded machine) failed a run's first learners
    "over the time budget", changing its trajectory with the machine's load: the budget counts the candidate's
    time less numba's compiling (``compiling.compile_seconds``)."""
    import numpy as np

    from mlevolve.interpreter import fastpath, kernel, runtime
    from mlevolve.interpreter.fastpath import interpret
    from mlevolve.interpreter.tasks import arrays, load_task
    from tests.conftest import ROOT

    program = mlevolve.check(mlevolve.parse_file(ROOT / "examples" / "linear_regression.mlev"))
    data = arrays(load_task("linear", seed=0))
    learner = interpret(program, load_grammar())  # the fast path's learner: the compiled kernel trains it
    learner.learner_predictions(data, seed=0)  # the kernel loaded (or compiled) before any clock below
    compiled, predictions, calls = [0.0], kernel.predictions, [0]

    def slow(*args: object) -> object:  # a compile of 0.5 s inside the kernel's call, or plain slowness
        time.sleep(0.5)
        calls[0] += 1
        compiled[0] += 0.5 if a_compile else 0.0
        return predictions(*args)

    monkeypatch.setattr(kernel, "predictions", slow)
    monkeypatch.setattr(kernel, "compile_seconds", lambda: compiled[0])
    budget = runtime.Budget(max_seconds=0.2)
    for a_compile in (True, False):
        try:
            assert fastpath.compiled_kernel() is kernel
            pred = learner.learner_predictions(data, seed=0, budget=budget)  # the compiled path's
            outcome = "trained" if np.all(np.isfinite(pred)) else "not finite"
        except CandidateFailure as err:
            outcome = err.reason
        assert outcome == ("trained" if a_compile else "over the time budget of 0.2 s"), a_compile
    assert calls[0] == 2  # each time through the kernel


@pytest.mark.slow
def test_the_command_line_says_a_cold_compile_on_stderr_and_the_library_says_nothing(tmp_path: Path) -> None:
    """On a cold cache (numba's NUMBA_CACHE_DIR), ``mlevolve evolve --json`` says it compiles on stderr, naming the
    cache, its stdout one JSON object still; the library's run of the same search says nothing (quiet)."""
    import json

    quartic, db = str(ROOT / "examples" / "quartic.mlev"), tmp_path / "run.db"
    cli = run_child([sys.executable, "-m", "mlevolve", "evolve", quartic, "--budget", "10", "--db", str(db), "--json"],
                    capture_output=True, text=True, timeout=900,
                    env={**_loud(), "NUMBA_CACHE_DIR": str(tmp_path / "a"), "PYTHONPATH": str(ROOT / "src")})
    assert cli.returncode == 0 and isinstance(json.loads(cli.stdout), dict), cli.stderr
    said = [line for line in cli.stderr.splitlines() if "compiling" in line]
    assert said and said[0].startswith(note(str(tmp_path / "a")).partition(")")[0]), cli.stderr  # the cache named
    code = f"from mlevolve import api; api.evolve({quartic!r}, budget=10, db={str(tmp_path / 'api.db')!r}, quiet=True)"
    api = run_child([sys.executable, "-c", code], capture_output=True, text=True, timeout=900,
                    env={**_loud(), "NUMBA_CACHE_DIR": str(tmp_path / "b"), "PYTHONPATH": str(ROOT / "src")})
    assert api.returncode == 0 and "compiling" not in api.stderr, api.stderr
    assert any((tmp_path / "b").rglob("*.nbi"))  # it compiled: its cache was cold, and it was filled silently


@pytest.mark.slow
def test_a_pool_s_workers_compiles_are_said_by_the_coordinator_on_stderr_and_the_api_says_nothing(
        tmp_path: Path) -> None:
    """With ``--workers 2`` on a cold cache the kernels compile in the workers (forked from the fork server, whose
    setting is not the command line's): the coordinator says it (nothing was said: 20-45 s of silence), on stderr,
    fewer lines than the workers' compiles (one a burst, the burst of both workers), and the summary says their
    seconds on one line of its own (left67: the workers' compiles counted); the API's pool says nothing."""
    quartic = str(ROOT / "examples" / "quartic.mlev")
    argv = ["evolve", quartic, "--task", "nguyen4", "--budget", "30", "--workers", "2", "--seed", "1"]
    cli = run_child([sys.executable, "-m", "mlevolve", *argv, "--db", str(tmp_path / "run.db")],
                    capture_output=True, text=True, timeout=900,
                    env={**_loud(), "NUMBA_CACHE_DIR": str(tmp_path / "a"), "PYTHONPATH": str(ROOT / "src")})
    assert cli.returncode == 0, cli.stderr
    said = [line for line in cli.stderr.splitlines() if line.startswith("mlevolve: compiling")]
    assert said and said[0].startswith(note(str(tmp_path / "a")).partition(")")[0]), cli.stderr
    assert [line for line in cli.stdout.splitlines() if "compiling" in line] == [
        line for line in cli.stdout.splitlines() if re.match(r"compiling kernels [\d.]+ s \(numba, once per", line)]
    assert re.search(r"^compiling kernels ", cli.stdout, re.M), cli.stdout
    code = (f"from mlevolve import api; api.evolve({quartic!r}, task='nguyen4', budget=30, workers=2, seed=1, "
            f"db={str(tmp_path / 'api.db')!r}, quiet=True)")
    api = run_child([sys.executable, "-c", code], capture_output=True, text=True, timeout=900,
                    env={**_loud(), "NUMBA_CACHE_DIR": str(tmp_path / "b"), "PYTHONPATH": str(ROOT / "src")})
    assert api.returncode == 0 and "compiling" not in api.stderr + api.stdout, api.stderr
    assert any((tmp_path / "b").rglob("*.nbi"))  # it compiled


@pytest.mark.slow
def test_a_meta_run_s_workers_compiles_are_said_in_its_summary_and_the_api_says_nothing(tmp_path: Path) -> None:
    """``mlevolve meta --workers 2`` on a cold cache: its inner runs compile the kernels in the workers, which the
    command says on stderr as they compile (as evolve's pool coordinator says its workers': it was 34 s of silence),
    and its summary says their seconds on the line ``evolve``'s gives them (it said nothing, meta68); the API's meta
    run says nothing of them."""
    config = tmp_path / "m.toml"
    config.write_text((ROOT / "benchmarks" / "meta" / "smoke.toml").read_text()
                      .replace("../../examples", str(ROOT / "examples")).replace("budget = 80", "budget = 10")
                      .replace("generations = 3", "generations = 1").replace("population = 4", "population = 2"))
    cli = run_child([sys.executable, "-m", "mlevolve", "meta", str(config), "--workers", "2", "--quiet",
                     "--db", str(tmp_path / "run.db"), "-o", str(tmp_path / "run.toml")],
                    capture_output=True, text=True, timeout=900,
                    env={**_loud(), "NUMBA_CACHE_DIR": str(tmp_path / "a"), "PYTHONPATH": str(ROOT / "src")})
    assert cli.returncode == 0, cli.stderr
    noted = [line for line in cli.stderr.splitlines() if line.startswith("mlevolve: compiling")]  # the workers',
    assert noted and noted[0].startswith(note(str(tmp_path / "a")).partition(")")[0]), cli.stderr  # said here
    said = [line for line in cli.stdout.splitlines() if "compiling" in line]
    assert len(said) == 1 and re.fullmatch(r"compiling kernels [\d.]+ s \(numba, once per install: cached for "
                                           r"later runs\)", said[0]), cli.stdout
    code = (f"from mlevolve import api; r = api.meta({str(config)!r}, {str(tmp_path / 'api.db')!r}, "
            f"{str(tmp_path / 'api.toml')!r}, workers=2); print(r['worker_compile_seconds'] > 0)")
    api = run_child([sys.executable, "-c", code], capture_output=True, text=True, timeout=900,
                    env={**_loud(), "NUMBA_CACHE_DIR": str(tmp_path / "b"), "PYTHONPATH": str(ROOT / "src")})
    assert api.returncode == 0 and api.stdout == "True\n" and "compiling" not in api.stderr, api.stderr
