"""What fresh users read wrong in a run's output (cli67): a summary silent on the seconds numba spent compiling
kernels, one caret under a span of several lines, a signed fitness on the progress line, a report naming its task
two ways, and best rows whose metrics read equal."""

from __future__ import annotations

import functools
import re
import time
from pathlib import Path
from typing import Any

import pytest

from mlevolve import api
from mlevolve.cli import main
from mlevolve.report import summary

from ..report.test_summary import GOLDEN, RESULT


# -------------------------------------------------------------- 1: the seconds numba compiled, in the summary
def test_the_summary_says_the_seconds_numba_compiled_below_the_search_time() -> None:
    """A fresh install's first run read "search 0.053 s" of an 18 s command: the compile has its own line."""
    head, _, rest = GOLDEN.partition("\n\n")
    assert "\n".join(summary.lines(RESULT, compiled=38.24)) == (
        head + "\ncompiling kernels 38.2 s (numba, once per install: cached for later runs)\n\n" + rest)
    assert "\n".join(summary.lines(RESULT, compiled=summary.WARMUP_SHOWN)) == GOLDEN  # a cache load: no line


def test_evolve_measures_the_compile_it_waited_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The line is measured, by numba's own ``numba:compile`` events during the command, not guessed."""
    from numba.core import event

    real = api.evolve

    @functools.wraps(real)  # (the flags are read from its signature)
    def compiling_evolve(*args: Any, **kwargs: Any) -> Any:
        with event.trigger_event("numba:compile", data={"dispatcher": None}):  # type: ignore[no-untyped-call]
            time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "evolve", compiling_evolve)
    monkeypatch.setattr(summary, "WARMUP_SHOWN", 0.2)
    assert main(["evolve", "examples/quartic.mlev", "--task", "nguyen4", "--budget", "10", "--seed", "1",
                 "--db", str(tmp_path / "r.db"), "--quiet"]) == 0  # --quiet: its one line ends with it
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and re.search(r"; archive \S+; compiling kernels 0\.[3-9] s \(numba, once per install: "
                                       r"cached for later runs\)$", out[0]), out
    assert main(["evolve", "examples/quartic.mlev", "--task", "nguyen4", "--budget", "10", "--seed", "1",
                 "--db", str(tmp_path / "s.db")]) == 0
    said = [line for line in capsys.readouterr().out.splitlines() if line.startswith("compiling kernels")]
    assert len(said) == 1 and re.fullmatch(r"compiling kernels 0\.[3-9] s \(numba, once per install: cached for "
                                           r"later runs\)", said[0]), said


# A worker's compile, faked where every process of a run starts (``sitecustomize``): each worker's warm-up, which
# precedes its first candidate, spends 1.2 s in a numba compile event (past WARMUP_SHOWN), as on a fresh install.
WORKER_COMPILE = """
import time

import mlevolve.gp.backends as backends


def _slow_warm(evaluator, limit=None, _warm=backends._warm):
    from numba.core import event

    from mlevolve.interpreter import compiling

    compiling.register()
    before = compiling.compile_seconds()
    with event.trigger_event("numba:compile", data={"dispatcher": None}):
        time.sleep(1.2)
    return _warm(evaluator, limit) + compiling.compile_seconds() - before


backends._warm = _slow_warm
"""


@pytest.mark.parametrize("quiet", [False, True])
def test_the_compile_line_counts_the_workers_compiles_the_user_waited_on(tmp_path: Path, quiet: bool) -> None:
    """``--workers 2``: the workers compiled (seconds each, side by side) while the summary counted only the
    command's own process, which compiled nothing: no line, or one far short of the wall waited."""
    import json
    import sys

    from tests.conftest import environment, run_child

    (tmp_path / "sitecustomize.py").write_text(WORKER_COMPILE)
    env = environment(PYTHONPATH=f"{tmp_path}:{environment()['PYTHONPATH']}")
    base = [sys.executable, "-m", "mlevolve", "evolve", "examples/quartic.mlev", "--task", "nguyen4", "--budget",
            "8", "--seed", "1", "--workers", "2", "--no-prune", "--db", str(tmp_path / f"{quiet}.db")]
    done = run_child([*base, "--quiet"] if quiet else base, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    said = re.findall(r"compiling kernels (\d+\.\d) s \(numba, once per install: cached for later runs\)",
                      done.stdout)
    assert len(said) == 1 and float(said[0]) >= 1.2, done.stdout  # the longest worker's, at least
    if quiet:
        assert len(done.stdout.splitlines()) == 1
        return
    done = run_child([*base[:-1], str(tmp_path / "json.db"), "--json"], capture_output=True, text=True, timeout=300,
                     env=env)
    assert done.returncode == 0, done.stderr
    assert 1.2 <= json.loads(done.stdout)["worker_compile_seconds"] < 10


# -------------------------------------------------------------- 2: carets under a span of several lines
MULTI_CALL = ("algorithm q\ntask koza_quartic\n\nformula f(x: Scalar) -> Scalar =\n"
              "  let v = dot(x,\n              x) in\n  v + 1\n")


def test_an_error_over_several_lines_marks_its_first_to_the_end_and_says_where_it_ends(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.mlev"
    path.write_text(MULTI_CALL)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[1:3] == ["      let v = dot(x,", "              ^^^^^^ (continues to line 6)"]


def test_every_caret_is_drawn_by_one_rule() -> None:
    """A span on one line: carets under it, no note; over several: to the first line's end, the last line named;
    a warning renders through the same rule as an error."""
    from mlevolve.dsl.errors import MlevError, RenderedWarning
    from mlevolve.dsl.ir import Span

    src = "a = foo(1,\n        2)   \nb\n"
    one = MlevError("bad", Span(1, 5, 1, 7), file="f")
    assert str(one.with_source(src)).splitlines()[1:] == ["    a = foo(1,", "        ^^^"]
    many = MlevError("bad", Span(1, 5, 2, 10), file="f")
    assert str(RenderedWarning(many, src)).splitlines() == [
        "f:1:5: warning: bad", "    a = foo(1,", "        ^^^^^^ (continues to line 2)"]


def test_carets_over_several_lines_stop_at_the_first_lines_last_code_character(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The caret run went on under a trailing comment (and the spaces before it) of the span's first line."""
    path = tmp_path / "m.mlev"
    path.write_text(MULTI_CALL.replace("dot(x,\n", 'dot(x,    # the "#" sign\'s inputs\n'))
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[1:3] == ["      let v = dot(x,    # the \"#\" sign's inputs",
                        "              ^^^^^^ (continues to line 6)"]
    from mlevolve.dsl.errors import MlevError
    from mlevolve.dsl.ir import Span

    src = 'a = f("#x",  # b\n  1)\n'  # a '#' in a string is code, the one after it a comment
    many = MlevError("bad", Span(1, 5, 2, 4), file="f")
    assert str(many.with_source(src)).splitlines()[1:] == ['    a = f("#x",  # b',
                                                           "        ^^^^^^^ (continues to line 2)"]


def test_run_says_the_compile_its_train_seconds_leave_out(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """``run`` of a fresh install printed train_seconds 0.000187 for a command that waited on the compile."""
    from numba.core import event

    real = api.run

    @functools.wraps(real)
    def compiling_run(*args: Any, **kwargs: Any) -> Any:
        with event.trigger_event("numba:compile", data={"dispatcher": None}):  # type: ignore[no-untyped-call]
            time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "run", compiling_run)
    monkeypatch.setattr(summary, "WARMUP_SHOWN", 0.2)
    assert main(["run", "examples/quartic.mlev", "--task", "nguyen4"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"compiling kernels 0\.[3-9] s \(numba, once per install: cached for later runs\)", out[-1])


# -------------------------------------------------------------- 3: the progress shows the metric, not the fitness
def test_the_progress_shows_the_metric_the_summary_shows_for_the_same_candidate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A lower-is-better run's progress read ``best -5.1814e-06`` where the summary read ``val_mse 5.1814e-06``."""
    assert main(["evolve", "examples/linear_regression.mlev", "--task", "linear:fresh=0", "--restart-every", "0",
                 "--budget", "12", "--seed", "1", "--no-prune", "--db", str(tmp_path / "r.db")]) == 0
    out, err = capsys.readouterr()
    last = [line for line in err.splitlines() if line.startswith("[")][-1]
    shown = re.search(r"\] fittest (val_mse \S+)  ", last)
    best = re.search(r"^best: +(val_mse \S+)  ", out, re.MULTILINE)
    assert shown is not None and best is not None and shown[1] == best[1], (last, out)
    assert not shown[1].startswith("val_mse -")


def test_a_fitness_no_metric_names_is_shown_as_it_is() -> None:
    from types import SimpleNamespace

    from mlevolve.gp.progress import shown_best
    from mlevolve.results import Outcome

    def cand(metrics: dict[str, Any]) -> Any:
        outcome = Outcome(metrics)
        return SimpleNamespace(score=outcome.fitness, outcome=outcome)

    assert shown_best(cand({"val_mse": 0.0123, "fitness": -0.0123})) == "val_mse 0.0123"
    assert shown_best(cand({"val_accuracy": 0.5, "fitness": 0.5})) == "val_accuracy 0.5"
    assert shown_best(cand({"fitness": -0.25, "steps": 3})) == "-0.25"
    assert shown_best(None) == "-"


# -------------------------------------------------------------- 4: the report names its task one way
def test_every_place_the_report_names_a_data_files_task_gives_its_absolute_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The title and the Run table said ``d.csv:target=y`` where the starting program's task line (stop 66) said
    the absolute path the run read it at."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text("x,y\n" + "".join(f"{i / 10},{(i / 10) ** 2 + i / 20}\n" for i in range(-20, 21)))
    (tmp_path / "p.mlev").write_text('algorithm q\ntask "d.csv:target=y"\nformula f(x: Scalar) -> Scalar =\n'
                                     "  x * x\n")
    assert main(["evolve", "p.mlev", "--budget", "8", "--seed", "1", "--db", "r.db", "--quiet"]) == 0
    assert main(["report", "r.db", "-o", "r.html"]) == 0
    capsys.readouterr()
    page = (tmp_path / "r.html").read_text()
    absolute = f"{tmp_path / 'd.csv'}:target=y"
    named = [page[max(0, m.start() - len(str(tmp_path)) - 1):m.end()] for m in re.finditer(r"d\.csv", page)]
    assert len(named) >= 4 and all(n.endswith(str(tmp_path / "d.csv")) for n in named), named
    assert f"<title>q on {absolute}</title>" in page and f"<td>task</td><td>{absolute}</td>" in page


def test_every_path_the_report_shows_is_absolute_the_archives_as_its_tasks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The footer ("Written by mlevolve from r.db") and the Run table's archive row showed the archive as typed,
    relative, beside a task named by its absolute path; a baseline's note too: one rule, every path absolute."""
    monkeypatch.chdir(tmp_path)
    for db in ("r.db", "b.db"):
        assert main(["evolve", str(Path(__file__).parents[2] / "examples" / "quartic.mlev"), "--task", "nguyen4",
                     "--budget", "6", "--seed", "1", "--db", db, "--quiet"]) == 0
    assert main(["report", "r.db", "-o", "r.html", "--baseline", "b.db"]) == 0
    capsys.readouterr()
    page = (tmp_path / "r.html").read_text()
    shown = [page[max(0, m.start() - len(str(tmp_path)) - 1):m.end()] for m in re.finditer(r"\b[rb]\.db\b", page)]
    assert len(shown) >= 4 and all(n.startswith(f"{tmp_path}/") for n in shown), shown
    assert f"<td>archive</td><td>{tmp_path / 'r.db'}</td>" in page
    assert f"Written by mlevolve from {tmp_path / 'r.db'} at " in page
    assert f"the baseline run {tmp_path / 'b.db'}." in page


# -------------------------------------------------------------- 5: ranked rows that read alike
def test_ranked_rows_whose_metrics_read_alike_show_the_digits_that_tell_them_apart(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``#1 ... val_mse 0.00012346`` above ``#2 ... val_mse 0.00012346``: ``best``, ``show`` and the report's top
    programs show those rows, and only those, to the digits that differ; other rows and an exact tie as ever."""
    from mlevolve.gp.archive import Archive, Row
    from mlevolve.report import render
    from tests.report.test_kinds56_distinct import META, PROGRAM

    def row(seq: int, body: str, mse: float) -> Row:
        return Row(seq, f"{seq:02d}" * 16, PROGRAM.format(body), -mse, {"val_mse": mse, "test_mse": 1.0,
                   "fitness": -mse}, None, None, "evaluated", None, "point", (), 0, 3, 0.1)

    db = tmp_path / "r.db"
    with Archive.for_run(db, META) as archive:
        for r in (row(0, "x", 0.000123456712), row(1, "sin(x)", 0.000123456789), row(2, "x * x", 0.25)):
            archive.add(r)
    assert main(["best", str(db)]) == 0
    out = capsys.readouterr().out
    assert "#1  val_mse 0.0001234567  hash" in out and "#2  val_mse 0.0001234568  hash" in out
    assert "val_mse 0.0001234567, test_mse 1" in out and "val_mse 0.0001234568, test_mse 1" in out
    assert "#3  val_mse 0.25  hash" in out and "val_mse 0.25, test_mse 1" in out  # the others: as ever
    assert main(["show", str(db), "--best", "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert "#1  val_mse 0.0001234567" in out and "#2  val_mse 0.0001234568" in out
    assert main(["report", str(db), "-o", str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text()
    assert "val_mse 0.0001234567" in page and "val_mse 0.0001234568" in page
    tie = [{"fitness": 0.5, "metrics": {"m": 0.5}}, {"fitness": 0.5, "metrics": {"m": 0.5}}]
    assert render.apart_digits(tie) == [{}, {}]  # equal values: a tie, read alike
    rounding = [{"fitness": -0.3 * (1 + 1e-15), "metrics": {}}, {"fitness": -0.3, "metrics": {}}]
    assert render.apart_digits(rounding) == [{}, {}]  # equal within float rounding (results.tied): a tie too


def test_best_and_show_headlines_name_the_metric_as_the_summary_and_keep_the_raw_fitness_in_the_api(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An MSE run's ``best`` and ``show`` headlines read ``fitness -1.4115e-06`` where its progress and summary read
    ``val_mse 1.4115e-06``; the signed fitness stays in the API's dicts (and ``--json``)."""
    from mlevolve.gp.archive import Archive, Row
    from tests.report.test_kinds56_distinct import META, PROGRAM

    db = tmp_path / "r.db"
    with Archive.for_run(db, META) as archive:
        archive.add(Row(0, "00" * 16, PROGRAM.format("x"), -1.4115e-06, {"val_mse": 1.4115e-06, "test_mse": 1.0,
                        "fitness": -1.4115e-06}, None, None, "evaluated", None, "point", (), 0, 3, 0.1))
    for command in (["best", str(db)], ["show", str(db), "--best"]):
        assert main(command) == 0
        head = capsys.readouterr().out.splitlines()[0]
        assert head == "#1  val_mse 1.4115e-06  hash 000000000000  (candidate 0, point, generation 0)", command
    assert api.best(db, 1)[0]["fitness"] == -1.4115e-06
