"""Regression tests for the faults found trying mlevolve as a new user (pass qa52a)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mlevolve.cli import main
from tests.conftest import ROOT, Capsys

LINEAR = str(ROOT / "examples" / "linear_regression.mlev")


def _learner_csv(path: Path, classes: bool) -> None:
    rng = np.random.default_rng(1)
    rows = [(a, b, ("yes" if a > 0 else "no") if classes else repr(2 * a - b))
            for a, b in rng.normal(size=(60, 2)).tolist()]
    path.write_text("a,b,y\n" + "".join(f"{a!r},{b!r},{y}\n" for a, b, y in rows))


def test_a_learners_classification_data_file_takes_fitness_accuracy_as_projected_digits_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    monkeypatch.chdir(tmp_path)
    _learner_csv(tmp_path / "cls.csv", classes=True)
    assert main(["run", LINEAR, "--task", "cls.csv:target=y:fitness=accuracy", "--json"]) == 0
    named = json.loads(capsys.readouterr().out)
    assert main(["run", LINEAR, "--task", "cls.csv:target=y", "--json"]) == 0
    default = json.loads(capsys.readouterr().out)
    assert named["val_accuracy"] == named["fitness"] == default["val_accuracy"]


def test_fitness_accuracy_on_a_learners_regression_data_file_is_refused_in_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    monkeypatch.chdir(tmp_path)
    _learner_csv(tmp_path / "reg.csv", classes=False)
    assert main(["run", LINEAR, "--task", "reg.csv:target=y:fitness=accuracy"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "mlevolve run: error: reg.csv: fitness=accuracy is a classifier's; the target is a regression",
        "hint: write fitness=mse, squashed or relative, or drop the option (a regression's default: minus its "
        "validation MSE)"]
    # (no problem=classification: 60 distinct numbers, not two classes, would be refused by it: qa106)


FORMULA_AB = "algorithm ab\n\nformula f(a: Scalar, b: Scalar) -> Scalar =\n  a * a / b\n"


def test_a_column_of_numbers_with_one_text_cell_counts_its_cells_with_thousands_separators(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [f"{a!r},{b!r},{a * a / b!r}" for a, b in np.random.default_rng(0).uniform(1, 2, (3000, 2)).tolist()]
    rows[10] = rows[10].rsplit(",", 1)[0] + ",oops"
    (tmp_path / "mixed.csv").write_text("a,b,y\n" + "\n".join(rows) + "\n")
    assert main(["run", LINEAR, "--task", "mixed.csv:target=y"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "mixed.csv:12:3: error: target column 'y': 'oops' is not a number, unlike most of the column (2,999 numbers, "
        "1 text)", "hint: fix the cell"]  # 3,000 values are no classes: problem=classification is not offered (qa106)


def test_a_formula_target_constant_on_the_held_out_rows_counts_them_with_thousands_separators(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    from mlevolve.interpreter.standalone.data import _split

    monkeypatch.chdir(tmp_path)
    ab = np.random.default_rng(0).uniform(1, 2, (1500, 2))
    y = ab[:, 0] * ab[:, 0] / ab[:, 1]
    y[_split(None, len(y), np.random.default_rng(0), "c.csv")[2]] = 2.5  # the split `run --seed 0` makes
    (tmp_path / "c.csv").write_text("a,b,y\n" + "".join(f"{a!r},{b!r},{t!r}\n" for (a, b), t in
                                                          zip(ab.tolist(), y.tolist(), strict=True)))
    (tmp_path / "f.mlev").write_text(FORMULA_AB)
    assert main(["run", "f.mlev", "--task", "c.csv:target=y"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[0] == (
        "mlevolve run: error: c.csv: the target is 2.5 on every held-out row (300 of 1,500: the 20% test_r2 is "
        "measured on)")


@pytest.mark.parametrize(("name", "hint"), [
    ("LINREG", "hint: did you mean 'linreg'? definitions: linreg.predict, linreg.learn, linreg (all its methods), "
               "or all"),
    ("", "hint: name one or more of: linreg.predict, linreg.learn, linreg (all its methods), or all (the default)"),
])
def test_evolve_names_a_learner_itself_among_the_definitions_it_takes(tmp_path: Path, capsys: Capsys, name: str,
                                                                     hint: str) -> None:
    assert main(["evolve", LINEAR, "--evolve", name, "--db", str(tmp_path / "x.db")]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == hint
    assert not (tmp_path / "x.db").exists()


def _quoted_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In ``tmp_path`` (the working folder): ``d"q.csv``, a data file no task line can name, and ``f.mlev``."""
    monkeypatch.chdir(tmp_path)
    rows = np.random.default_rng(0).uniform(1, 2, (40, 2)).tolist()
    (tmp_path / 'd"q.csv').write_text("a,b,y\n" + "".join(f"{a!r},{b!r},{1.5 * a * a / b + 0.7!r}\n" for a, b in rows))
    (tmp_path / "f.mlev").write_text(FORMULA_AB)


def test_an_exported_mlev_whose_data_file_no_task_line_can_name_prints_a_command_that_runs_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    import shlex

    _quoted_data(tmp_path, monkeypatch)
    assert main(["evolve", "f.mlev", "--task", 'd"q.csv:target=y', "--budget", "3", "--db", "r.db", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["export", "r.db", "--best", "-o", "best.mlev"]) == 0
    out = capsys.readouterr().out.strip()
    command = out.split("score it as the run did with: ", 1)[1]
    data = str(tmp_path / 'd"q.csv')
    assert command == "mlevolve run best.mlev --task " + shlex.quote(data + ":target=y")
    assert "task" not in (tmp_path / "best.mlev").read_text().split("\n", 2)[1]  # no task line can hold the quote
    assert main(shlex.split(command)[1:]) == 0


def test_a_program_shown_for_a_data_file_no_task_line_can_name_parses_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    from mlevolve.dsl.parse import parse

    _quoted_data(tmp_path, monkeypatch)
    assert main(["evolve", "f.mlev", "--task", 'd"q.csv:target=y', "--budget", "3", "--db", "r.db", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)["best_program"]  # "ready to run": it had task "d"q.csv:target=y"
    assert "task" not in shown and parse(shown).task is None
    assert main(["show", "r.db", "--best"]) == 0
    assert "task" not in capsys.readouterr().out
