"""A loss must fit its task's targets, and a regression target must vary: a classification loss on a
regression file, or a loss not finite on the task's targets, is refused at its definition before anything
is made (without PyTorch); a target constant to float64 precision is refused, one that varies at any scale
is taken.

Moved from the QA rounds' files (tests/cli/test_qa_round*.py), named for the behaviour they test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mlevolve import api
from mlevolve.cli import main
from mlevolve.dsl.errors import MlevError
from mlevolve.interpreter.loss_fit import check_loss_fits
from mlevolve.interpreter.tasks import load_task
from tests.conftest import FORMULA_AB, ROOT, Capsys, csv_rows, light_cli, regression_csv

MLP = ROOT / "examples" / "mlp_digits.mlev"

# ------------------------------------------------------------------ 1: a loss that cannot fit its task's targets
XENT_ON_REGRESSION = (
    "{mlp}:10:6: error: loss 'xent' is not finite on task 'reg.csv:target=y', a regression: p is the model's "
    "output (any real number) and y the standardised target: e.g. xent(p=-2.53, y={y}) = nan\n"
    "    loss xent(p: Tensor, y: Tensor) -> Tensor =\n"
    "         ^^^^\n"
    "hint: this loss expects class probabilities: run it on a classification task, or write a loss finite for "
    "every real p and y, e.g. square(p - y)")

REGRESSION_LOSSES = ["square(p - y)", "abs(p - y)", "log(1.0 + square(p - y))", "sqrt(square(p - y) + 1e-6)",
                     "let d = p - y in max(d, -d) * softplus(d)", "square(p - y) * (1.0 + 0.1 * noise(p))"]

def _loss_program(body: str) -> str:
    return f"algorithm l\nloss l(p: Tensor, y: Tensor) -> Tensor =\n  {body}\n"


@pytest.mark.parametrize("command", [["run"], ["export", "-o", "out.py"],
                                     ["evolve", "--evolve", "act", "--db", "r.db"]])
def test_a_classification_loss_on_a_regression_file_is_refused_before_anything_is_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys, command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    regression_csv(tmp_path / "reg.csv")
    y = float(load_task("reg.csv:target=y").y_train[0])
    assert main([command[0], str(MLP), "--task", "reg.csv:target=y", *command[1:]]) == 2
    assert capsys.readouterr().err.strip() == XENT_ON_REGRESSION.format(mlp=MLP, y=format(y, ".3g"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reg.csv"]  # no archive, no script, no runs/


@pytest.mark.e2e
def test_the_loss_misfit_is_found_without_pytorch(tmp_path: Path) -> None:
    regression_csv(tmp_path / "reg.csv")
    code, err, heavy = light_cli(["evolve", str(MLP), "--evolve", "act", "--task", "reg.csv:target=y", "--db",
                                  "r.db"], tmp_path)
    assert code == 2 and "loss 'xent' is not finite" in err and heavy == []


@pytest.mark.parametrize("body", REGRESSION_LOSSES)
def test_a_loss_finite_for_every_real_prediction_fits_regression_and_classification(tmp_path: Path,
                                                                                     body: str) -> None:
    program = api.check(api.parse(_loss_program(body)))
    for spec in (str(regression_csv(tmp_path / "reg.csv")) + ":target=y", "iris"):
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
    task = str(regression_csv(tmp_path / "reg.csv")) + ":target=y" if spec == "reg" else spec
    with pytest.raises(MlevError) as caught:
        check_loss_fits(program, load_task(task), task, "l.mlev")
    err = caught.value
    assert err.message.startswith(f"loss 'l' is not finite on task '{task}', {problem}: ")
    assert (err.file, err.span and err.span.line, err.hint is not None) == ("l.mlev", 2, True)
    check_loss_fits(program, load_task(task), task, skip=frozenset({"l"}))  # an evolved loss is not checked


# ------------------------------------------------------------------ 2: a target constant to float64 precision
@pytest.mark.parametrize(("program", "where"), [("f.mlev", "every fitting row"),
                                                (str(ROOT / "examples" / "linear_regression.mlev"), "every row"),
                                                (str(MLP), "every row")])
def test_a_nearly_constant_regression_target_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: Capsys, program: str, where: str) -> None:
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    csv_rows(tmp_path / "c.csv", [(float(a), float(b), 5.0 + 1e-15 * float(e)) for a, b, e in rng.normal(size=(30, 3))])
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
    path = csv_rows(tmp_path / "v.csv", [(float(a), float(b), scale * (1.0 + 1e-9 * float(e)))
                                     for a, b, e in rng.normal(size=(30, 3))])
    assert load_task(f"{path}:target=y:problem=regression").problem == "regression"
