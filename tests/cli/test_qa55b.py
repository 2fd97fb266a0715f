"""Regression tests for a QA pass (qa55b): a quoted task-spec value closes the whole value, an exported ``.mlev``
scores as its run did, the exported learner regressor's ``sample_weight``."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import mlevolve
from mlevolve.cli import main
from mlevolve.interpreter.standalone.spec import TaskError, split_spec
from tests.conftest import FORMULA_AB, Capsys, cli, component_module, run_child, usage_error


# ------------------------------------------------------------------ 2: a quote closes a whole value
def _colon_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In ``tmp_path`` (the working folder): ``d.csv``, with columns a, b and y:m, and ``f.mlev`` of a and b."""
    monkeypatch.chdir(tmp_path)
    rows = np.random.default_rng(0).uniform(1, 2, (40, 2)).tolist()
    (tmp_path / "d.csv").write_text("a,b,y:m\n" + "".join(f"{a!r},{b!r},{a * a / b!r}\n" for a, b in rows))
    (tmp_path / "f.mlev").write_text(FORMULA_AB)


AFTER = "hint: quote it all: {fix}"


@pytest.mark.parametrize(("spec", "column", "fix"), [
    ("d.csv:target='y:m'x", 19, "'d.csv:target=\"y:mx\"'"),  # was read as the column y:mx
    ('d.csv:target="y:m"x', 19, "'d.csv:target=\"y:mx\"'"),
    ("d.csv:target='y:m'x:problem=regression", 19, "'d.csv:target=\"y:mx\"'"),
    ("d.csv:problem=regression:target = 'y:m' x ", 40, "'d.csv:problem=regression:target=\"y:m x\"'"),
])
def test_text_after_a_closing_quote_is_refused_at_its_column(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys, spec: str, column: int, fix: str) -> None:
    _colon_data(tmp_path, monkeypatch)
    assert spec[column - 2] in "'\"" and spec[column - 1:].strip()[:1] == "x"  # the column is the text's, 1-based
    assert usage_error(capsys, "run", "f.mlev", "--task", spec).splitlines() == [
        f"mlevolve run: error: option 'target' has text after its closing quote (column {column}) in task spec "
        f"'{spec}'", AFTER.format(fix=fix)]


def test_text_after_a_closing_quote_in_a_task_line_is_refused_at_the_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    _colon_data(tmp_path, monkeypatch)
    (tmp_path / "g.mlev").write_text(FORMULA_AB.replace("\n", "\ntask \"d.csv:target='y:m'x\"\n", 1))
    assert usage_error(capsys, "check", "g.mlev").splitlines()[0] == (
        "g.mlev:2:13: error: option 'target' has text after its closing quote (column 19) in task spec "
        "'d.csv:target='y:m'x'")


@pytest.mark.parametrize(("spec", "words"), [
    ("d.csv:target='y:m", "opens a quote it does not close"),
    ("d.csv:target='y:m:problem='regression'", "opens a quote it does not close"),  # the next option's quote closed it
    ("d.csv:target=''", "has no value"),
    ('d.csv:target=""', "has no value"),
    ("d.csv:target='y' 'm'", "has text after its closing quote (column 17)"),
])
def test_every_malformed_quoted_value_is_refused_as_what_it_is(spec: str, words: str) -> None:
    with pytest.raises(TaskError) as caught:
        split_spec(spec)
    assert caught.value.message.startswith(f"option 'target' {words}")


@pytest.mark.parametrize(("spec", "read"), [
    ("d.csv:target='y:m'", ("d.csv", {"target": "y:m"})),
    ("d.csv:target = \"y:m\"  :problem=regression", ("d.csv", {"target": "y:m", "problem": "regression"})),
    ("it's.csv:target=y", ("it's.csv", {"target": "y"})),
    ("runs/a='x'/d.csv:target='y:m'", ("runs/a='x'/d.csv", {"target": "y:m"})),  # was runs/a=\0N\0/d.csv
    ("d.csv:target=o'neil", ("d.csv", {"target": "o'neil"})),  # a quote inside a value is the value's
])
def test_quotes_in_file_names_and_inside_values_are_kept_as_typed(spec: str, read: tuple[str, dict[str, str]]) -> None:
    assert split_spec(spec) == read


@pytest.mark.e2e
def test_an_exported_script_refuses_text_after_a_closing_quote_in_the_same_words(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _colon_data(tmp_path, monkeypatch)
    assert main(["export", "f.mlev", "--task", "d.csv:target='y:m'", "-o", "f.py"]) == 0
    done = run_child([sys.executable, "f.py", "--task", "d.csv:target='y:m'x"], capture_output=True, text=True,
                     timeout=120)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "f.py: error: option 'target' has text after its closing quote (column 19) in task spec "
        "'d.csv:target='y:m'x'", AFTER.format(fix="'d.csv:target=\"y:mx\"'")]


# ------------------------------------------------------------------ 1: an exported .mlev scores as its run did
def _noisy_csv(path: Path) -> None:
    """``y = a * a / b`` plus noise: each seed's split of its rows gives other scores."""
    rng = np.random.default_rng(3)
    rows = [(a, b, a * a / b + 0.3 * rng.normal()) for a, b in rng.uniform(1, 2, (60, 2)).tolist()]
    path.write_text("a,b,y\n" + "".join(f"{a!r},{b!r},{y!r}\n" for a, b, y in rows))


@pytest.mark.e2e
def test_a_seed_7_runs_exports_score_as_its_archive_with_no_seed_given(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    """``mlevolve run best.mlev`` ran on seed 0 (the exported script on the run's seed 7): it reported other
    numbers than the archive and the script; now the file's first line gives ``run``, ``export`` and ``check`` the
    run's seed, unless ``--seed`` is given."""
    import json

    from mlevolve.gp.archive import Archive

    monkeypatch.chdir(tmp_path)
    _noisy_csv(tmp_path / "d.csv")
    (tmp_path / "f.mlev").write_text(FORMULA_AB)
    assert main(["evolve", "f.mlev", "--task", "d.csv:target=y", "--budget", "30", "--seed", "7", "--db", "r.db",
                 "--quiet"]) == 0
    assert main(["export", "r.db", "--best", "-o", "best.mlev"]) == 0
    assert main(["export", "r.db", "--best", "-o", "best.py"]) == 0
    assert main(["export", "best.mlev", "-o", "again.py"]) == 0  # the file exported again: the run's seed too
    with Archive.read("r.db") as archive:
        row = archive.best(1)[0].metrics
    capsys.readouterr()
    assert main(["run", "best.mlev", "--json"]) == 0
    ran = json.loads(capsys.readouterr().out)
    assert main(["run", "best.mlev", "--json", "--seed", "0"]) == 0
    seed_0 = json.loads(capsys.readouterr().out)
    scripts = [json.loads(run_child([sys.executable, script, "--json"], capture_output=True, text=True,
                                    check=True, timeout=120).stdout) for script in ("best.py", "again.py")]
    for metric in ("train_r2", "test_r2", "test_mse"):
        assert ran[metric] == pytest.approx(row[metric], rel=1e-9), metric
        assert [s[metric] for s in scripts] == pytest.approx([ran[metric]] * 2, rel=1e-9), metric
        assert seed_0[metric] != pytest.approx(ran[metric], rel=1e-3), metric  # the seed matters on this data
    assert ran["seed"] == scripts[0]["seed"] == scripts[1]["seed"] == 7 and seed_0["seed"] == 0
    assert main(["check", "best.mlev"]) == 0


@pytest.mark.parametrize(("line", "read"), [
    ("# Exported by mlevolve from runs/a (1).db (the run's settings: mlevolve run FILE --seed 7 --epochs 3)",
     {"seed": 7, "epochs": 3}),
    ("# Exported by mlevolve from r.db (the run's settings: mlevolve run FILE --task 'd.csv:target=y' --seed 2)",
     {"seed": 2}),
    ("# Exported by mlevolve from r.db", {}),  # a seed-0 run's: the defaults
    ("# my notes: mlevolve run FILE --seed 7", {}),  # a person's comment is no setting
])
def test_an_exported_programs_first_line_gives_its_runs_settings(line: str, read: dict[str, int]) -> None:
    from mlevolve import api

    assert api.exported_settings(api.parse(f"{line}\n{FORMULA_AB}")) == read


def test_a_seed_given_is_taken_over_the_files_and_each_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: Capsys) -> None:
    _colon_data(tmp_path, monkeypatch)
    header = "# Exported by mlevolve from r.db (the run's settings: mlevolve run FILE --seed {})\n"
    (tmp_path / "g.mlev").write_text(header.format(3) + FORMULA_AB)
    from mlevolve import api

    assert api.run("g.mlev", "d.csv:target='y:m'")["seed"] == 3
    assert api.run("g.mlev", "d.csv:target='y:m'", seed=4)["seed"] == 4
    (tmp_path / "g.mlev").write_text(header.format(2 ** 63) + FORMULA_AB)  # edited out of range: refused as a flag
    task = ["--task", "d.csv:target='y:m'"]
    for argv in (["run", *task], ["export", *task, "-o", "g.py"], ["check"]):
        code, _, err = cli(capsys, argv[0], "g.mlev", *argv[1:])
        lines = err.splitlines()
        assert code == 2, argv
        column = len(header.split("{}")[0]) + 1  # at the value, as a flag's value is said (warn89)
        assert [lines[0], lines[-1]] == [f"g.mlev:1:{column}: error: its first line names --seed {2 ** 63}: "
                                         f"--seed must be at least 0 and below 2**63, got {2 ** 63}",
                                         "hint: a seed is a whole number from 0 to 2**63 - 1; or export it again"], argv


# ------------------------------------------------------------------ 3: the exported learner's sample_weight
SGD = """algorithm sgd
learner sgd(state w: Vector)
  predict(x: Vector) -> Scalar =
    dot(w, x)
  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =
    w + 0.05 * (y - p) * x
"""


def _learner_class(tmp_path: Path) -> type:
    return component_module(tmp_path, mlevolve.parse(SGD), "sgd", "sgd_mod").Sgd  # type: ignore[no-any-return]


def test_the_exported_learner_takes_sample_weight_as_the_estimator_does(tmp_path: Path) -> None:
    """The module's ``fit(X, y)`` had no ``sample_weight`` (a TypeError in a pipeline that passes one), where
    ``mlevolve.SymbolicRegressor`` takes it: equal weights are the unweighted fit, zeros leave their rows out (the
    learner trained on the rest, in order); weights that differ are refused (its online updates are unweighted)."""
    from mlevolve.estimator import SymbolicRegressor

    cls = _learner_class(tmp_path)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 3)), rng.normal(size=50)
    plain = cls().fit(X, y).predict(X)
    assert np.array_equal(cls().fit(X, y, sample_weight=np.full(50, 2.5)).predict(X), plain)
    zeros = np.ones(50)
    zeros[[3, 17, 40]] = 0
    kept = zeros > 0
    assert np.array_equal(cls().fit(X, y, sample_weight=zeros).predict(X), cls().fit(X[kept], y[kept]).predict(X))
    assert not np.array_equal(cls().fit(X, y, sample_weight=zeros).predict(X), plain)  # the rows did count
    words = ("sample_weight with weights that differ (from 1 to 2) is not supported: the learner's online updates are "
             "unweighted; equal weights, and zeros (which leave their rows out), are honoured exactly")
    with pytest.raises(ValueError) as caught:  # (SymbolicRegressor's search is weighted: test_weights_estimator.py)
        cls().fit(X, y, sample_weight=np.linspace(1, 2, 50))
    assert str(caught.value) == words
    for fit in (cls().fit, SymbolicRegressor(budget=2).fit):  # scikit-learn's words, the same for both
        with pytest.raises(ValueError) as caught:
            fit(X, y, sample_weight=np.zeros(50))
        assert str(caught.value) == "Sample weights must contain at least one non-zero number."
    with pytest.raises(ValueError, match=r"Negative values in data passed to .sample_weight."):
        cls().fit(X, y, sample_weight=-np.ones(50))
