"""Regression tests for the misleading messages a fresh user found (pass qa106): a constant or one-row target
named as what it is in both readings (classes, measurement), and hints that offer only what this data would take."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from mlevolve.cli import main
from tests.conftest import ROOT, Capsys, run_child

PROGRAMS = ["linear_regression", "mlp_digits", "cosine_digits"]
ONE_ROW = ["too few rows (1), and the target is 3 on every row: read as classes, one class; read as a measurement "
           "(:problem=regression), no variation",
           "hint: give at least 4 rows (a 60/20/20 train/validation/test split), with a target that varies"]
CONSTANT = ["the target is 5 on every row (120 rows): read as classes, one class; read as a measurement "
            "(:problem=regression), no variation",
            "hint: give a target that varies (whole numbers with at most 20 values are read as classes: a classifier "
            "needs two or more, a regression a spread)"]


def _write(path: Path, ys: list[float]) -> Path:
    path.write_text("a,b,y\n" + "".join(f"{i},{i * 3 % 7},{y!r}\n" for i, y in enumerate(ys)))
    return path


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize(("ys", "said"), [([3], ONE_ROW), ([5.0] * 120, CONSTANT)])
def test_a_constant_whole_number_target_is_named_in_both_readings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: Capsys, program: str, ys: list[float],
                                                                  said: list[str]) -> None:
    """It was "the target has only one class (3.0)": pointing a regression user at classes."""
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "d.csv", ys)
    assert main(["run", str(ROOT / "examples" / f"{program}.mlev"), "--task", "d.csv:target=y"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"mlevolve run: error: d.csv: {said[0]}", said[1]]


@pytest.mark.parametrize("program", ["linear_regression", "mlp_digits"])
def test_an_exported_scripts_constant_target_is_named_as_the_library_names_it(tmp_path: Path, capsys: Capsys,
                                                                               program: str) -> None:
    data = _write(tmp_path / "d.csv", [float(i % 2) for i in range(120)])
    script = tmp_path / "s.py"
    assert main(["export", str(ROOT / "examples" / f"{program}.mlev"), "--task", f"{data}:target=y",
                 "-o", str(script)]) == 0
    capsys.readouterr()
    _write(data, [5.0] * 120)  # the data changed since: the script reads and checks it as the library does
    done = run_child([sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"s.py: error: {data}: {CONSTANT[0]}", CONSTANT[1]]


def test_a_stated_regression_still_names_its_own_fault(tmp_path: Path, capsys: Capsys) -> None:
    data = _write(tmp_path / "d.csv", [5.0] * 120)
    assert main(["run", str(ROOT / "examples" / "linear_regression.mlev"), "--task",
                 f"{data}:target=y:problem=regression"]) == 2
    said = capsys.readouterr().err.strip().splitlines()
    assert said[0] == f"mlevolve run: error: {data}: the target is 5 on every row"


@pytest.mark.parametrize(("ys", "hint"), [
    ([3, 4, 5], "hint: give at least 4 rows per class (4 rows as a measured target, problem=regression)"),
    ([0, 1, 2, 3, 4], "hint: give at least 4 rows per class, or state problem=regression for a measured target"),
])
def test_too_few_rows_per_class_offers_a_regression_only_where_it_would_split(tmp_path: Path, capsys: Capsys,
                                                                              ys: list[int], hint: str) -> None:
    data = _write(tmp_path / "d.csv", [float(y) for y in ys])
    assert main(["run", str(ROOT / "examples" / "mlp_digits.mlev"), "--task", f"{data}:target=y"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[1] == hint


def _labels(path: Path, ys: list[str]) -> str:
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(len(ys), 2)).tolist()
    path.write_text("a,b,y\n" + "".join(f"{a!r},{b!r},{y}\n" for (a, b), y in zip(xs, ys, strict=True)))
    return str(path)


@pytest.mark.parametrize(("ys", "options", "hint", "followed"), [
    # 200 measured prices: problem=classification would refuse them (not whole, not two): not offered
    ([f"{5e4 + 1000 * v:.2f}" for v in np.random.default_rng(1).normal(size=200)], "fitness=accuracy",
     "write fitness=mse, squashed or relative, or drop the option (a regression's default: minus its validation "
     "MSE)", ""),
    # two numbers, stated a regression: as classes they load
    (["1.5", "2.5"] * 30, "fitness=accuracy:problem=regression",
     "write fitness=mse, squashed or relative, or drop the option (a regression's default: minus its validation MSE), "
     "or state problem=classification", "fitness=accuracy:problem=classification"),
    # text labels: no regression; three classes: dropping the option alone is not enough
    (["a", "b", "c"] * 20, "fitness=squashed",
     "keep two classes (3 here: a learner classifies two) and drop the option", ""),
    (["0", "1", "2"] * 20, "fitness=squashed",
     "keep two classes (3 here: a learner classifies two) and drop the option, or state problem=regression",
     "fitness=squashed:problem=regression"),
    (["a", "b", "c"] * 20, "", "keep two classes", ""),
    (["0", "1", "2"] * 20, "", "keep two classes, or state problem=regression", "problem=regression"),
])
def test_a_learners_hints_offer_only_a_problem_this_data_would_load_as(tmp_path: Path, capsys: Capsys, ys: list[str],
                                                                       options: str, hint: str, followed: str) -> None:
    """It offered problem=classification for 200 prices, which the next command refused (not whole numbers)."""
    data = _labels(tmp_path / "d.csv", ys)
    task = f"{data}:target=y" + f":{options}" * bool(options)
    assert main(["run", str(ROOT / "examples" / "linear_regression.mlev"), "--task", task]) == 2
    assert capsys.readouterr().err.strip().splitlines()[1] == f"hint: {hint}"
    if followed:  # the problem= it offers loads this data
        assert main(["run", str(ROOT / "examples" / "linear_regression.mlev"), "--task",
                     f"{data}:target=y:{followed}"]) == 0, capsys.readouterr().err


def test_evolve_json_gives_the_best_metrics_run_json_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: Capsys) -> None:
    """evolve --json's best_metrics (and pruned_from's) lacked val_r2, which run --json of the same program gives."""
    import json

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    y = x @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=120)
    rows = zip(x.tolist(), y.tolist(), strict=True)
    (tmp_path / "lin.csv").write_text("a,b,c,y\n" + "".join(f"{a!r},{b!r},{c!r},{t!r}\n" for (a, b, c), t in rows))
    assert main(["evolve", str(ROOT / "examples" / "linear_regression.mlev"), "--evolve", "linreg.learn", "--task",
                 "lin.csv:target=y", "--budget", "40", "--db", "r.db", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert main(["export", "r.db", "--best", "-o", "best.mlev"]) == 0
    capsys.readouterr()
    assert main(["run", "best.mlev", "--json"]) == 0
    ran = json.loads(capsys.readouterr().out)
    shown = {k: v for k, v in found["best_metrics"].items() if k not in ("train_seconds", "fit_evaluations")}
    assert set(shown) == {k for k in ran if k.startswith(("val_", "test_", "train_")) and k != "train_seconds"} | \
        {"fitness"}
    assert shown["val_r2"] == pytest.approx(ran["val_r2"], rel=1e-5)
    if found["pruned_from"] is not None:
        assert "val_r2" in found["pruned_from"]["metrics"]


@pytest.mark.parametrize(("ys", "hint"), [
    (["1.5", "2.5", "oops"] * 20, "fix the cell, or add :problem=classification to read every cell as a class label"),
    ([repr(v) for v in np.random.default_rng(2).normal(size=59).tolist()] + ["oops"], "fix the cell"),
])
def test_a_text_cell_among_numbers_offers_classes_only_where_the_column_has_few_values(
        tmp_path: Path, capsys: Capsys, ys: list[str], hint: str) -> None:
    data = _labels(tmp_path / "d.csv", ys)
    assert main(["run", str(ROOT / "examples" / "mlp_digits.mlev"), "--task", f"{data}:target=y"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[1] == f"hint: {hint}"
    if "problem=classification" in hint:
        assert main(["run", str(ROOT / "examples" / "mlp_digits.mlev"), "--task",
                     f"{data}:target=y:problem=classification", "--epochs", "1"]) == 0, capsys.readouterr().err
