"""Fixes of the second QA round: mistakes knowable before a run are refused before anything is made, every error
names its command (or file) and carries a hint, outputs are written whole or not at all, and a stopped or failed
run says the truth."""

from __future__ import annotations

import errno
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mlevolve import api
from mlevolve.cli import build_parser, main
from mlevolve.dsl.errors import MlevError
from mlevolve.gp.archive import Archive, Row
from mlevolve.interpreter.loss_fit import check_loss_fits
from mlevolve.interpreter.tasks import load_task
from mlevolve.report import summary
from tests.conftest import ROOT, Capsys, environment, light_cli

MLP = ROOT / "examples" / "mlp_digits.mlev"
QUARTIC = ROOT / "examples" / "quartic.mlev"
FORMULA_AB = "algorithm f\nformula f(a: Scalar, b: Scalar) -> Scalar = a * b\n"


def _csv(path: Path, rows: list[tuple[float, float, float]]) -> Path:
    path.write_text("a,b,y\n" + "".join(f"{a!r},{b!r},{y!r}\n" for a, b, y in rows))
    return path


def _regression(path: Path, n: int = 60) -> Path:
    rng = np.random.default_rng(0)
    return _csv(path, [(float(a), float(b), float(1.5 * a - b)) for a, b in rng.normal(size=(n, 2))])


# ------------------------------------------------------------------ 1: a loss that cannot fit its task's targets
XENT_ON_REGRESSION = (
    "{mlp}:10:6: error: loss 'xent' is not finite on task 'reg.csv:target=y', a regression: p is the model's "
    "output (any real number) and y the standardised target: e.g. xent(p=-2.53, y={y}) = nan\n"
    "    loss xent(p: Tensor, y: Tensor) -> Tensor =\n"
    "         ^^^^\n"
    "hint: this loss expects class probabilities: run it on a classification task, or write a loss finite for "
    "every real p and y, e.g. square(p - y)")


@pytest.mark.parametrize("command", [["run"], ["export", "-o", "out.py"],
                                     ["evolve", "--evolve", "act", "--db", "r.db"]])
def test_a_classification_loss_on_a_regression_file_is_refused_before_anything_is_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys, command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    _regression(tmp_path / "reg.csv")
    y = float(load_task("reg.csv:target=y").y_train[0])
    assert main([command[0], str(MLP), "--task", "reg.csv:target=y", *command[1:]]) == 2
    assert capsys.readouterr().err.strip() == XENT_ON_REGRESSION.format(mlp=MLP, y=format(y, ".3g"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reg.csv"]  # no archive, no script, no runs/


@pytest.mark.e2e
def test_the_loss_misfit_is_found_without_pytorch(tmp_path: Path) -> None:
    _regression(tmp_path / "reg.csv")
    code, err, heavy = light_cli(["evolve", str(MLP), "--evolve", "act", "--task", "reg.csv:target=y", "--db",
                                  "r.db"], tmp_path)
    assert code == 2 and "loss 'xent' is not finite" in err and heavy == []


REGRESSION_LOSSES = ["square(p - y)", "abs(p - y)", "log(1.0 + square(p - y))", "sqrt(square(p - y) + 1e-6)",
                     "let d = p - y in max(d, -d) * softplus(d)", "square(p - y) * (1.0 + 0.1 * noise(p))"]


def _loss_program(body: str) -> str:
    return f"algorithm l\nloss l(p: Tensor, y: Tensor) -> Tensor =\n  {body}\n"


@pytest.mark.parametrize("body", REGRESSION_LOSSES)
def test_a_loss_finite_for_every_real_prediction_fits_regression_and_classification(tmp_path: Path,
                                                                                     body: str) -> None:
    program = api.check(api.parse(_loss_program(body)))
    for spec in (str(_regression(tmp_path / "reg.csv")) + ":target=y", "iris"):
        check_loss_fits(program, load_task(spec), spec)  # no error


@pytest.mark.parametrize(("body", "spec", "problem"), [
    ("-(y * log(p))", "reg", "a regression"),
    ("sqrt(p) - y", "reg", "a regression"),
    ("square(p - y) / y", "iris", "a classification"),  # y one-hot: 0 in most places
    ("log(y) * p", "iris", "a classification"),
])
def test_a_loss_that_is_not_finite_on_the_tasks_targets_is_refused_at_its_definition(
        tmp_path: Path, body: str, spec: str, problem: str) -> None:
    program = api.check(api.parse(_loss_program(body)))
    task = str(_regression(tmp_path / "reg.csv")) + ":target=y" if spec == "reg" else spec
    with pytest.raises(MlevError) as caught:
        check_loss_fits(program, load_task(task), task, "l.mlev")
    err = caught.value
    assert err.message.startswith(f"loss 'l' is not finite on task '{task}', {problem}: ")
    assert (err.file, err.span and err.span.line, err.hint is not None) == ("l.mlev", 2, True)
    check_loss_fits(program, load_task(task), task, skip=frozenset({"l"}))  # an evolved loss is not checked


# ----------------------------------------------------------- 1: a run whose every candidate failed says so
def _failed_archive(path: Path, finished: bool) -> Path:
    program = "algorithm a\nactivation act(x: Tensor) -> Tensor =\n  tanh(x)\n"
    reasons = ["the loss is not finite", "the loss is not finite", "the parameters are not finite"]
    with Archive.for_run(path, {"program_hash": "p", "task": "digits", "evolve": ["act"]}) as archive:
        for i, reason in enumerate(reasons):
            archive.add(Row(i, f"{i:02d}" * 16, program, None, {}, reason, "epoch 1, step 1", "evaluated", None,
                            "init", (), 0, 4, 1.0))
        if finished:
            archive.set_meta("summary", {"candidates": len(reasons)})
    return path


@pytest.mark.parametrize("finished", [True, False])
def test_show_and_best_say_why_no_candidate_scored(tmp_path: Path, capsys: Capsys, finished: bool) -> None:
    db = _failed_archive(tmp_path / "f.db", finished)
    so_far = "" if finished else " yet"
    every = "every candidate failed" if finished else "every one so far failed"
    message = (f"no candidate with a fitness{so_far}: {every} (3); the most common reason (2 of 3): the loss is "
               "not finite")
    hint = f"hint: see one with `mlevolve show {db} 000000000000`"
    assert main(["show", str(db), "--best"]) == 2
    assert capsys.readouterr().err == f"{db}: error: {message}\n{hint}\n"
    assert main(["best", str(db)]) == 0
    assert capsys.readouterr().out == f"{db}: {message}\n{hint}\n"
    assert main(["show", str(db), "000000000000"]) == 0  # the hint's command works
    assert "the loss is not finite" in capsys.readouterr().out


def test_the_summary_of_a_run_whose_every_candidate_failed_names_the_reason(tmp_path: Path) -> None:
    db = str(tmp_path / "a b.db")
    result = {"candidates": 3, "replayed": 0, "failed": 3, "db": db, "seconds": 1.0, "answer": None,
              "best_hash": None, "failures": [{"reason": "the loss is not finite", "count": 2, "total": 3,
                                               "hash": "ab" * 16}]}
    assert summary.lines(result)[2:] == [
        "no candidate with a fitness: every candidate failed (3); the most common reason (2 of 3): the loss is not "
        "finite", f"hint: see one with `mlevolve show {shlex.quote(db)} abababababab`"]
    assert summary.one_line(result) == (f"no candidate scored (most common failure: the loss is not finite); "
                                        f"3 candidates; archive {shlex.quote(db)}")


# ------------------------------------------------------------------ 2: a target constant to float64 precision
@pytest.mark.parametrize(("program", "where"), [("f.mlev", "every fitting row"),
                                                (str(ROOT / "examples" / "linear_regression.mlev"), "every row"),
                                                (str(MLP), "every row")])
def test_a_nearly_constant_regression_target_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: Capsys, program: str, where: str) -> None:
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    _csv(tmp_path / "c.csv", [(float(a), float(b), 5.0 + 1e-15 * float(e)) for a, b, e in rng.normal(size=(30, 3))])
    ys = np.array([float(line.split(",")[2]) for line in (tmp_path / "c.csv").read_text().splitlines()[1:]])
    assert np.ptp(ys) > 0  # not constant: 5 plus or minus a few float64 steps
    (tmp_path / "f.mlev").write_text(FORMULA_AB)
    assert main(["run", program, "--task", "c.csv:target=y:problem=regression"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"mlevolve run: error: c.csv: the target is 5 on {where}, to within ")
    assert err.endswith("(a spread below 1e-12 of its magnitude)\nhint: a regression needs a target that varies: its "
                        "error has no scale and R² no meaning")


@pytest.mark.parametrize("scale", [1e-200, 1.0, 1e200])
def test_a_target_that_varies_at_any_scale_is_accepted(tmp_path: Path, scale: float) -> None:
    rng = np.random.default_rng(0)
    path = _csv(tmp_path / "v.csv", [(float(a), float(b), scale * (1.0 + 1e-9 * float(e)))
                                     for a, b, e in rng.normal(size=(30, 3))])
    assert load_task(f"{path}:target=y:problem=regression").problem == "regression"


# ------------------------------------------------------------------ 3, 9: every error has a hint; true hints
def _subcommands() -> dict[str, object]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return dict(action.choices)  # type: ignore[arg-type]


def test_every_hint_names_only_options_its_command_takes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: Capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.db").write_text("not an archive")
    (tmp_path / "q.mlev").write_text(QUARTIC.read_text())
    parsers = _subcommands()
    for argv in (["best", "x.db"], ["show", "x.db"], ["report", "x.db"], ["export", "--db", "x.db", "-o", "o.py"],
                 ["evolve", "q.mlev", "--db", "x.db"], ["report", "none.db", "--baseline", "x.db"],
                 ["best", "none.db"], ["show", "none.db"], ["show", "q.mlev"], ["report", "none.db"],
                 ["export", "-o", "o.py"], ["show", "x.db", "ab", "--best"], ["show", "x.db", "ab", "-n", "2"]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        hint = next(line for line in err.splitlines() if line.startswith("hint: "))
        own = parsers[argv[0]]._option_string_actions  # type: ignore[attr-defined]
        assert all(w in own for w in re.findall(r"(?<![\w-])--?[a-z][a-z-]*", hint.split("mlevolve ")[0])), (argv, hint)
        for command in (c for c in hint.split("mlevolve ")[1:] if c.split()[0] in parsers):
            name, *words = shlex.split(command.split("`")[0].split(";")[0].split(",")[0].rstrip(")"))
            options = parsers[name]._option_string_actions  # type: ignore[attr-defined]
            assert all(w in options for w in words if w.startswith("-")), (argv, hint)


@pytest.mark.parametrize("argv", [["evolve", str(QUARTIC), "--bogus"], ["run"], ["run", str(QUARTIC), "--seed"],
                                  ["sample", "--type", "Tensor", "--method", "x"], ["show", "x.db", "--best", "--best"],
                                  ["check", "--grammar", "g.toml", str(QUARTIC)],
                                  ["run", str(QUARTIC), "--task", "d.csv:target=y"],
                                  ["run", str(QUARTIC), "--task", "d.npz"]])
def test_every_error_has_one_prefix_and_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys,
                                               argv: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "g.toml").write_text("[grammar\nname = 1\n")
    (tmp_path / "d.csv").write_bytes(b"a,y\n\xff,1\n")
    (tmp_path / "d.npz").write_bytes(b"not a zip")
    assert main(argv) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith((f"mlevolve {argv[0]}: error: ", "g.toml:1:9: error: ", "d.csv: error: ",
                                "mlevolve run: error: cannot read d.")), lines
    assert lines[-1].startswith("hint: ") and len(lines) == 2, lines


# ------------------------------------------------------------------ 4, 5, 11: exported scripts' flags and readers
@pytest.mark.e2e
def test_an_exported_script_refuses_what_the_command_refuses(tmp_path: Path, capsys: Capsys) -> None:
    script = tmp_path / "lin.py"
    assert main(["export", str(ROOT / "examples" / "linear_regression.mlev"), "-o", str(script)]) == 0
    (tmp_path / "f.mlev").write_text(FORMULA_AB)
    _regression(tmp_path / "good.csv")
    assert main(["export", str(tmp_path / "f.mlev"), "--task", f"{tmp_path / 'good.csv'}:target=y", "-o",
                 str(tmp_path / "f.py")]) == 0
    capsys.readouterr()
    (tmp_path / "d.csv").write_text("a,b,y\n1,2,3\n4,,6\n")

    def error(*flags: str, script: Path = script) -> list[str]:
        done = subprocess.run([sys.executable, str(script), *flags], capture_output=True, text=True, timeout=120,
                              cwd=tmp_path, env=environment())
        assert done.returncode == 2 and done.stdout == "", done
        return done.stderr.splitlines()

    assert error("--seed", "1", "--seed=2") == ["lin.py: error: argument --seed: given twice; give it once",
                                                "hint: run `lin.py --help`"]
    assert error("--json", "--json")[0] == "lin.py: error: argument --json: given twice; give it once"
    assert error("--se", "1") == ["lin.py: error: unrecognized arguments: --se",  # no abbreviations
                                  "hint: did you mean '--seed'? run `lin.py --help`"]
    assert error("--task", "linear:n_train=\u0661\u0662")[0] == (
        "lin.py: error: option n_train=\u0661\u0662 of task 'linear' must be an integer from 1 to 1,000,000")
    assert error("--task", "linear:n_train=1_000")[0].startswith("lin.py: error: option n_train=1_000 ")
    assert error("--task", "d.csv:target=y", script=tmp_path / "f.py") == [
        "f.py: error: d.csv:3:2: column 'b': the cell is empty (a missing value)",
        "hint: mlevolve does not impute: fill the cell in or drop its row"]


@pytest.mark.parametrize(("cell", "message"), [("1_000", "'1_000' is not a number"),
                                               ("\u0661\u0662", "'\u0661\u0662' is not a number")])
def test_only_ascii_decimal_numbers_are_read_from_data_and_options(tmp_path: Path, capsys: Capsys, cell: str,
                                                                   message: str) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i * 0.5}\n" for i in range(10)) + f"1,{cell},2\n",
                    encoding="utf-8")
    assert main(["run", str(QUARTIC), "--task", f"{path}:target=y"]) == 2
    assert capsys.readouterr().err.splitlines()[0] == f"{path}:12:2: error: column 'b': {message}"
    assert main(["run", str(QUARTIC), "--task", f"koza_quartic:n_train={cell}"]) == 2
    assert capsys.readouterr().err.startswith(f"mlevolve run: error: option n_train={cell} of task 'koza_quartic'")
    assert main(["run", str(QUARTIC), "--seed", cell]) == 2
    assert capsys.readouterr().err.startswith(f"mlevolve run: error: argument --seed: invalid int value: '{cell}'")


# ------------------------------------------------------------------ 6: outputs whole or not at all; SIGTERM
def test_a_failed_write_leaves_the_old_output_and_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: Capsys) -> None:
    db = tmp_path / "q.db"
    assert main(["evolve", str(QUARTIC), "--budget", "5", "--db", str(db), "--quiet"]) == 0
    out = tmp_path / "q.html"
    assert main(["report", str(db), "-o", str(out)]) == 0
    before = out.read_bytes()
    capsys.readouterr()

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    for argv in (["report", str(db), "-o", str(out)], ["export", "--db", str(db), "-o", str(tmp_path / "s.py")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"mlevolve {argv[0]}: error: cannot write ") and "No space left on device" in err
    assert out.read_bytes() == before and not (tmp_path / "s.py").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.db", "q.html"]  # no temporary file left


# ------------------------------------------------------------------ 8, 10: logs and outputs that are not ours
def test_json_log_appends_only_to_its_own_runs_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: Capsys) -> None:
    monkeypatch.chdir(tmp_path)
    run = ["evolve", str(QUARTIC), "--quiet", "--json-log", "log.jsonl"]
    assert main([*run, "--budget", "4", "--db", "a.db"]) == 0
    assert main([*run, "--budget", "6", "--db", "a.db"]) == 0  # the same run, resumed: its log goes on
    assert [json.loads(line)["seq"] for line in (tmp_path / "log.jsonl").read_text().splitlines()] == list(range(6))
    capsys.readouterr()
    before = (tmp_path / "log.jsonl").read_bytes()
    assert main([*run, "--budget", "4", "--db", "b.db"]) == 2
    assert capsys.readouterr().err == ("mlevolve evolve: error: log.jsonl is the JSON log of another run (its "
                                       "candidates are not in b.db): it is not appended to\nhint: pass another "
                                       "--json-log, or move the file away first\n")
    (tmp_path / "notes.txt").write_text("my notes\n")
    assert main([*run[:-1], "notes.txt", "--budget", "4", "--db", "b.db"]) == 2
    assert capsys.readouterr().err.startswith("mlevolve evolve: error: notes.txt exists and is not an mlevolve JSON "
                                              "log: it is not appended to\n")
    assert (tmp_path / "log.jsonl").read_bytes() == before and (tmp_path / "notes.txt").read_text() == "my notes\n"
    assert not (tmp_path / "b.db").exists()


@pytest.mark.parametrize(("argv", "flag", "example"), [
    (["export", "--db", "a.db", "-o", "runs"], "-o", "runs/out.py"),
    (["report", "a.db", "-o", "runs"], "-o", "runs/report.html"),
    (["evolve", str(QUARTIC), "--db", "b.db", "--json-log", "runs"], "--json-log", "runs/log.jsonl"),
])
def test_an_output_that_is_a_directory_is_named_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys,
                                                    argv: list[str], flag: str, example: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["evolve", str(QUARTIC), "--budget", "3", "--db", "a.db", "--quiet"]) == 0
    (tmp_path / "runs").mkdir()
    capsys.readouterr()
    assert main(argv) == 2
    assert capsys.readouterr().err == (f"mlevolve {argv[0]}: error: runs is a directory\n"
                                       f"hint: pass a file path as {flag}, e.g. {example}\n")


# ------------------------------------------------------- 11: an exported script's reader, the library's words
def _npz(path: Path, bad: str) -> None:
    x = np.random.default_rng(0).normal(size=(20, 2))
    y = x[:, 0].copy()
    if bad == "x":
        x[4, 1] = np.inf
    else:
        y[3] = np.nan
    np.savez(path, X=x, y=y)


@pytest.mark.parametrize(("name", "text"), [
    ("d.csv", "a,b,y\n1,2,3\n4,,6\n"), ("d.csv", "a,b,y\n1,2,3\n4,NA,6\n"), ("d.csv", "a,b,y\n1,2,3\n4,5,-inf\n"),
    ("d.csv", "a,b,y\n1,2,3\n4,5\n"), ("d.csv", "a,b,y\n1,2,3\n4,1_0,6\n"), ("d.csv", "a,b,y\n1,2,3\n4,5,nan\n"),
    ("x.npz", "x"), ("y.npz", "y"),
])
def test_an_exported_scripts_reader_says_a_bad_cell_as_the_library_does(tmp_path: Path, name: str, text: str) -> None:
    from mlevolve.interpreter.standalone.common import TaskError
    from mlevolve.interpreter.standalone.data import read_table

    path = tmp_path / name
    if name.endswith(".npz"):
        _npz(path, text)
    else:
        path.write_text(text)
    with pytest.raises(MlevError) as library:
        load_task(f"{path}:target=y" if name.endswith(".csv") else str(path))
    with pytest.raises(TaskError) as script:
        read_table(str(path), "y" if name.endswith(".csv") else "", "")  # as the library is given it
    err = library.value
    assert (f"{err.file}: {err.message}" if err.file else err.message, err.hint) == \
        (script.value.message, script.value.hint)


def test_failure_reasons_that_differ_only_in_numbers_are_one_reason() -> None:
    from mlevolve.report.data import failure_reasons

    def row(seq: int, reason: str) -> Row:
        return Row(seq, f"{seq:02d}" * 16, "p", None, {}, reason, "", "evaluated", None, "init", (), 0, 1, 0.0)

    rows = [row(0, "the loss is not finite"), row(1, "diverged: a prediction is off by 2.79e+10 (step 3 of 100)"),
            row(2, "diverged: a prediction is off by 312 (step 41 of 100)")]
    assert [(r["reason"], r["count"], r["total"], r["hash"][:2]) for r in failure_reasons(rows)] == [
        ("diverged: a prediction is off by 2.79e+10 (step 3 of 100)", 2, 3, "01"),
        ("the loss is not finite", 1, 3, "00")]
