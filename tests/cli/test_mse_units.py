"""A learner's or network's MSE on a user's data file is of the standardised target (docs/data.md), and every surface
that names the metric says so: a fresh user read ``val_mse 1.8e-07`` on prices near 50,000 as in dollars².  A
formula's data file is scored in its own units, and a built-in task's MSE needs no note."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mlevolve import api
from mlevolve.cli import main
from mlevolve.results import STANDARDISED, Metric, mse_reads

ROOT = Path(__file__).resolve().parents[2]
LEARNER = ROOT / "examples" / "linear_regression.mlev"
FORMULA = "algorithm f2\n\nformula f(a: Scalar, b: Scalar) -> Scalar =\n  a * b\n"


def _prices(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(120, 3))
    path = tmp_path / "prices.csv"
    np.savetxt(path, np.c_[x, 50_000 + 1_000 * x @ [1.0, 2.0, -1.0]], delimiter=",", header="a,b,c,price",
               comments="")
    return path


@pytest.mark.parametrize(("metric", "task", "program", "reads"), [
    ("val_mse", "h.csv:target=y", LEARNER.read_text(), STANDARDISED),
    ("test_mse", "data/h.NPZ", "algorithm m\n\nmodel net(x: Tensor) -> Tensor =\n  x\n", STANDARDISED),
    ("val_mse", "h.csv:target=y", FORMULA, None),  # a formula's file keeps its units
    ("val_mse", "linear", LEARNER.read_text(), None),  # a built-in task's
    ("val_accuracy", "h.csv:target=y", LEARNER.read_text(), None),
    ("val_mse", "h.csv:target=y", None, None),
])
def test_an_mse_reads_standardised_only_for_a_learners_or_networks_data_file(
        metric: str, task: str, program: str | None, reads: str | None) -> None:
    assert mse_reads(Metric(metric), task, program) == reads
    if program is not None:
        assert mse_reads(Metric(metric), task, api.parse(program)) == reads  # its IR alike


def test_run_evolve_best_and_the_report_name_the_units(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    task = f"{_prices(tmp_path)}:target=price"
    assert main(["run", str(LEARNER), "--task", task]) == 0
    assert f"           units: MSE {STANDARDISED}\n" in capsys.readouterr().out
    db = tmp_path / "r.db"
    result = api.evolve(LEARNER, ["linreg.learn"], task, budget=4, db=db, quiet=True)
    described = f"val_mse on the validation split: {STANDARDISED} (lower is better)"
    assert result["answer"]["metric"]["description"] == described
    assert api.answer(db)["metric"]["description"] == described  # the archive's answer, which the report shows
    [shown] = api.show(db, result["best_hash"][:12], confirm=1)
    assert shown["answer"]["metric"]["description"] == described


def test_a_formulas_data_file_and_a_built_in_task_say_nothing_of_units(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(1.0, 2.0, size=(60, 2))
    data = tmp_path / "f.csv"
    np.savetxt(data, np.c_[x, 1_000 * x[:, 0] * x[:, 1]], delimiter=",", header="a,b,F", comments="")
    program = tmp_path / "f.mlev"
    program.write_text(FORMULA)
    assert main(["run", str(program), "--task", f"{data}:target=F"]) == 0
    assert main(["run", str(LEARNER), "--task", "linear"]) == 0
    assert "units" not in capsys.readouterr().out


@pytest.mark.parametrize("fitness", ["squashed", "relative"])
def test_run_says_what_a_fitness_option_score_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    fitness: str) -> None:
    """A fresh user's pass: `run --task FILE:target=y:fitness=squashed` printed "fitness: 0.97319" without saying
    what a squashed fitness is, which evolve's summary says (results.fitness_reads): run now says it, after the
    units, on a data file and on a built-in learner task alike; a plain fitness (minus the MSE) needs no line."""
    from mlevolve.results import FITNESS_READS, ONE_FILE

    for task, said in [(f"{_prices(tmp_path)}:target=price:fitness={fitness}", FITNESS_READS[fitness] + ONE_FILE),
                       (f"linear:fitness={fitness}", FITNESS_READS[fitness])]:  # a data file: one task, standardised
        assert main(["run", str(LEARNER), "--task", task]) == 0
        assert capsys.readouterr().out.splitlines()[-1] == f"   fitness reads: {said}"
    assert main(["run", str(LEARNER), "--task", "linear"]) == 0
    assert "fitness reads" not in capsys.readouterr().out
