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
        "hint: drop the option (a regression's fitness is minus its validation MSE), choose squashed or relative, "
        "or state problem=classification"]
