"""End-to-end behaviour of the interpreter: `mlevolve.run` on the examples, determinism, candidate
failures recorded as data within budget, user errors raised, user CSV data, default components,
and a smoke run of both benchmarks."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mlevolve
from mlevolve import cli
from mlevolve.dsl.errors import MlevError
from mlevolve.grammar.spec import load_grammar
from mlevolve.interpreter import runtime
from mlevolve.interpreter.codegen import compile_program
from mlevolve.interpreter.evaluate import Settings, evaluate, instantiate
from mlevolve.interpreter.tasks import load_task
from tests.conftest import EXAMPLES, ROOT, run_child

SPEC = load_grammar()


def program(source: str) -> mlevolve.Program:
    return mlevolve.check("algorithm t\n" + source)


def without_time(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if k != "train_seconds"}


# ------------------------------------------------------------------------------------------ examples
@pytest.mark.parametrize("name", ["mlp_digits", "adam", "augment_digits", "cosine_digits"])
def test_supervised_examples_learn_the_digits(name: str) -> None:
    result = mlevolve.run(EXAMPLES / f"{name}.mlev")
    assert result["failure"] is None
    assert result["task"] == "digits" and result["seed"] == 0
    assert result["val_accuracy"] > 0.9 and result["test_accuracy"] > 0.9
    assert result["fitness"] == result["val_accuracy"]
    assert result["steps"] == 10 * 17  # 1,078 training digits in batches of 64, 10 epochs
    assert 0 < result["val_loss"] < 1.0


def test_mlp_digits_has_the_expected_size() -> None:
    result = mlevolve.run(EXAMPLES / "mlp_digits.mlev")
    assert result["params"] == (64 * 64 + 64) + (64 * 64 + 64) + (64 * 10 + 10)
    assert result["val_accuracy"] > 0.9


def test_linear_regression_learner_reaches_near_zero_validation_error() -> None:
    result = mlevolve.run(EXAMPLES / "linear_regression.mlev")
    assert result["failure"] is None and result["task"] == "linear"
    assert result["val_mse"] < 1e-3
    assert result["fitness"] == -result["val_mse"]


def test_quartic_formula_is_exact() -> None:
    result = mlevolve.run(EXAMPLES / "quartic.mlev")
    assert result["failure"] is None and result["task"] == "koza_quartic"
    assert result["train_mse"] < 1e-12 and result["test_mse"] < 1e-12
    assert result["train_r2"] == result["fitness"] and result["train_r2"] > 1 - 1e-12 and result["test_r2"] > 1 - 1e-12


def test_written_adam_matches_the_default_adam() -> None:
    """examples/adam.mlev spells out Adam and the default model; the built-in defaults train alike."""
    written = mlevolve.run(EXAMPLES / "adam.mlev")
    default = mlevolve.run(program("task digits\nschedule s(t: Scalar) -> Scalar =\n  0.001\n"))
    assert written["params"] == default["params"]
    assert written["val_accuracy"] == pytest.approx(default["val_accuracy"], abs=0.02)
    assert written["val_loss"] == pytest.approx(default["val_loss"], rel=0.05)


def test_step_functions_train_with_a_zero_gradient() -> None:
    """x * heaviside(x) is relu; torch's own heaviside has no derivative and used to fail every candidate."""
    result = mlevolve.run(program("task digits\nactivation a(x: Tensor) -> Tensor =\n  x * heaviside(x)\n"))
    relu = mlevolve.run(program("task digits\nactivation a(x: Tensor) -> Tensor =\n  relu(x)\n"))
    assert result["failure"] is None
    assert result["val_accuracy"] == relu["val_accuracy"]


# ------------------------------------------------------------------------------------- determinism
@pytest.mark.parametrize("name", ["mlp_digits", "augment_digits", "linear_regression", "quartic"])
def test_same_seed_same_metrics_other_seed_other_metrics(name: str) -> None:
    file = EXAMPLES / f"{name}.mlev"
    first, again = mlevolve.run(file, seed=0), mlevolve.run(file, seed=0)
    assert without_time(first) == without_time(again)
    other = mlevolve.run(file, seed=1)
    assert other["seed"] == 1
    assert without_time(other) != without_time(first)
    assert other["fitness"] != first["fitness"] or name == "quartic"  # the exact quartic has R^2 = 1 on any points


def test_a_random_learner_setup_is_seeded() -> None:
    source = ("task linear\nlearner l(state w: Vector)\n  setup() -> Vector =\n    gaussian_vector(0.0, 0.1)\n"
              "  predict(x: Vector) -> Scalar =\n    dot(w, x)\n"
              "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w + 0.05 * (y - p) * x\n")
    task = load_task("linear")
    runs = [evaluate(program(source), task, SPEC, Settings(seed=s)).metrics for s in (0, 0, 1)]
    assert without_time(runs[0]) == without_time(runs[1])
    assert runs[0]["val_mse"] != runs[2]["val_mse"]
    assert runs[0]["val_mse"] < 0.1


# ------------------------------------------------------------------------- failures are data, quickly
FAILING = {
    "nan activation": "task digits\nactivation act(x: Tensor) -> Tensor =\n  log(x - 100.0)\n",
    "exploding optimizer": "task digits\noptimizer o(w: Tensor, g: Tensor) -> Tensor =\n  w * 10.0 + g\n",
    "huge model": "task digits\nmodel net() -> Layer =\n  dense(60000)\n",  # 64 x 60,000 weights
    "huge residual": "task digits\nmodel net() -> Layer =\n  residual(seq(dense(60000), dense(60000)))\n",
    "loss ignores p": "task digits\nloss l(p: Tensor, y: Tensor) -> Tensor =\n  y * 2.0\n",
    "loss zeroes p": "task digits\nloss l(p: Tensor, y: Tensor) -> Tensor =\n  0.0 * p + y\n",  # no gradient from p
    "exploding learner": "task linear\nlearner l(state w: Vector)\n  predict(x: Vector) -> Scalar =\n    dot(w, x)\n"
                         "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w * 10.0 + x\n",
    "nan learner": "task linear\nlearner l(state w: Vector)\n  predict(x: Vector) -> Scalar =\n"
                   "    log(neg(dot(x, x)))\n  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w\n",
    "nan formula": "task koza_quartic\nformula f(x: Scalar) -> Scalar =\n  sqrt(x - 5.0)\n",
    "zero division formula": "task koza_quartic\nformula f(x: Scalar) -> Scalar =\n  x + 1.0 / (2.0 - 2.0)\n",
    "nan schedule": "task digits\nschedule s(t: Scalar) -> Scalar =\n  log(t - 2.0)\n",
    "nan augment": "task digits\naugment a(x: Tensor) -> Tensor =\n  x * log(full(0.0) - 1.0)\n",
}


def _early(where: str) -> bool:
    """Whether a failure's place is before training (the model's size, a formula's points) or within the first ten
    steps of the first epoch: found there, not after a whole run (what "quickly" means, without a clock)."""
    step = re.fullmatch(r"(?:epoch 1, step|training step) (\d+)(?: of \d+)?", where)
    return where in ("model", "train") or (step is not None and 1 <= int(step.group(1)) <= 10)


@pytest.mark.parametrize("name", list(FAILING))
def test_candidate_failures_are_returned_as_data_quickly(name: str) -> None:
    result = mlevolve.run(program(FAILING[name]))
    failure = result["failure"]
    assert isinstance(failure, dict), result
    assert isinstance(failure["reason"], str) and failure["reason"]
    assert isinstance(failure["where"], str) and _early(failure["where"]), failure
    assert "fitness" not in result
    json.dumps(result)  # the result is plain data


def test_failure_reasons_say_what_happened() -> None:
    def reason(name: str) -> str:
        return str(mlevolve.run(program(FAILING[name]))["failure"]["reason"])

    assert "parameters exceed" in reason("huge model")
    assert "not finite" in reason("nan activation")
    assert "not finite" in reason("exploding optimizer")
    assert reason("exploding learner").startswith("diverged: a prediction is")  # stopped in training
    assert "not finite" in reason("nan formula")
    assert reason("loss zeroes p") == "the loss does not depend on the prediction"
    assert reason("nan augment") == "the augmentation's output is not finite"  # not "the loss", which it made so


def test_a_failure_has_minus_infinite_fitness() -> None:
    outcome = evaluate(program(FAILING["huge model"]), load_task("digits"), SPEC)
    assert outcome.failure is not None and outcome.fitness == float("-inf")
    assert outcome.failure.where == "model"


@pytest.mark.parametrize("body", [
    "seq(dense(1500), dense(8))",  # the quick bound exceeds the limit: counted exactly on the meta device
    "seq(dense(32), residual(dense(48)), batchnorm(), dense(8))",  # settled by the quick bound
])
def test_the_parameter_limit_is_exact(body: str) -> None:
    source = program(f"task digits\nmodel net() -> Layer =\n  {body}\n")
    task = load_task("digits")
    size = evaluate(source, task, SPEC, Settings(epochs=1)).metrics["params"]
    fits = evaluate(source, task, SPEC, Settings(epochs=1, budget=runtime.Budget(max_params=size)))
    assert fits.failure is None and fits.metrics["params"] == size
    over = evaluate(source, task, SPEC, Settings(epochs=1, budget=runtime.Budget(max_params=size - 1)))
    assert over.failure is not None and over.failure.where == "model"
    assert over.failure.reason == f"{size:,} parameters exceed the limit of {size - 1:,}"


def test_a_negative_learning_rate_fails_the_candidate_where_the_rule_takes_it() -> None:
    """A schedule negative from half-way trained by ascent without a word (a fresh-user pass); torch's optimizers
    refuse a negative rate.  A rule without ``lr`` never reads the schedule's rate, so it is not failed for it."""
    head = ("task digits\nmodel net() -> Layer =\n  dense(16)\n"
            "schedule s(t: Scalar) -> Scalar =\n  0.01 * (1.0 - 4.0 * t)\n")
    settings = Settings(epochs=2)
    outcome = evaluate(program(head), load_task("digits"), SPEC, settings)
    assert outcome.failure is not None and outcome.failure.where == "epoch 1, step 10"  # 34 steps: t = 9/34
    assert outcome.failure.reason == "the schedule's learning rate is -0.000588 at progress t = 0.265: a rate is " \
                                     "a number of at least 0"
    nan = evaluate(program(head.replace("0.01 * (1.0 - 4.0 * t)", "sqrt(t - 2.0)")), load_task("digits"), SPEC)
    assert nan.failure is not None and nan.failure.reason == "the schedule's learning rate is nan at progress t = 0: " \
                                                             "a rate is a number of at least 0"
    without_lr = head + "optimizer o(w: Tensor, g: Tensor) -> Tensor =\n  w - 0.01 * g\n"
    with pytest.raises(mlevolve.MlevError, match="schedule 's' has no effect: optimizer 'o' takes no lr"):
        program(without_lr)  # check refuses the schedule (tests/cli/test_idle_definitions.py); the runtime ignores it
    unrefused = mlevolve.check("algorithm t\n" + without_lr, whole=False)
    assert evaluate(unrefused, load_task("digits"), SPEC, settings).failure is None


def test_time_budget_is_a_failure_not_an_error() -> None:
    settings = Settings(budget=runtime.Budget(max_seconds=0.0))
    outcome = evaluate(mlevolve.parse_file(EXAMPLES / "mlp_digits.mlev"), load_task("digits"), SPEC, settings)
    assert outcome.failure is not None and "time budget" in outcome.failure.reason
    assert outcome.failure.where == "epoch 1, step 1"


@pytest.mark.parametrize(("example", "task", "unit"), [("mlp_digits", "digits", "steps"),
                                                      ("vae_moons", "moons2d", "steps"),
                                                      ("reinforce_cartpole", "cartpole", "episodes")])
def test_epochs_that_cannot_fit_the_time_budget_fail_at_their_pace_not_at_its_end(example: str, task: str,
                                                                                 unit: str) -> None:
    """``run --epochs 100000000`` trained for the whole 300 s budget before failing (a fresh-user pass): from a
    twentieth of the budget on (2 s at least), a pace that would take over twice the budget fails the candidate."""
    settings = Settings(epochs=10**8, budget=runtime.Budget(max_seconds=4.0))
    outcome = evaluate(mlevolve.parse_file(EXAMPLES / f"{example}.mlev"), load_task(task), SPEC, settings)
    assert outcome.failure is not None
    took = re.search(rf" {unit} took ([0-9.e+]+) s: all would take about ([0-9.e+]+) s", outcome.failure.reason)
    assert took is not None, outcome.failure.reason  # the pace's verdict, not the budget's end ("over the ...")
    assert float(took.group(1)) <= 4.0 <= float(took.group(2)) / 2 and "over the time budget of 4 s" in \
        outcome.failure.reason
    fits = Settings(epochs=1, budget=runtime.Budget(max_seconds=300.0))  # a pace that fits is never cut short
    assert evaluate(mlevolve.parse_file(EXAMPLES / f"{example}.mlev"), load_task(task), SPEC, fits).failure is None


def test_the_cli_exits_1_on_a_candidate_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "nan.mlev"
    file.write_text("algorithm nan\n" + FAILING["nan activation"])
    assert cli.main(["run", str(file), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["failure"]["reason"] == "the model's outputs are not finite"


# -------------------------------------------------------------------------------------- user errors
def test_a_formula_on_a_supervised_task_is_a_user_error() -> None:
    with pytest.raises(MlevError, match="formula program cannot run on task 'digits'") as err:
        mlevolve.run(EXAMPLES / "quartic.mlev", task="digits")
    assert err.value.hint is not None and "koza_quartic" in err.value.hint


def test_a_learner_on_a_formula_task_is_a_user_error() -> None:
    with pytest.raises(MlevError, match="learner program cannot run"):
        mlevolve.run(EXAMPLES / "linear_regression.mlev", task="koza_quartic")


def test_a_formula_of_the_wrong_arity_is_a_user_error() -> None:
    with pytest.raises(MlevError, match="takes 2 input"):
        mlevolve.run(program("task koza_quartic\nformula f(x: Scalar, y: Scalar) -> Scalar =\n  x + y\n"))


def test_an_unknown_task_lists_the_tasks() -> None:
    with pytest.raises(MlevError, match="unknown task 'no_such_task'") as err:
        mlevolve.run(EXAMPLES / "mlp_digits.mlev", task="no_such_task")
    assert err.value.hint is not None
    for name in ("digits", "linear", "koza_quartic"):
        assert name in err.value.hint


def test_a_program_without_a_task_line_needs_one() -> None:
    with pytest.raises(MlevError, match="no task"):
        mlevolve.run(program("activation a(x: Tensor) -> Tensor =\n  x\n"))


@pytest.mark.parametrize("epochs", [0, -3])
def test_epochs_below_one_is_a_user_error(epochs: int, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(MlevError, match="epochs"):
        mlevolve.run(EXAMPLES / "mlp_digits.mlev", epochs=epochs)
    assert cli.main(["run", str(EXAMPLES / "mlp_digits.mlev"), "--epochs", str(epochs)]) == 2
    err = capsys.readouterr().err
    assert "epochs" in err and "Traceback" not in err


# ------------------------------------------------------------------------------------ user CSV data
def write_csv(path: Path, rows: int = 150, classes: bool = True, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3))
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5).astype(int) if classes else 2.0 * x[:, 0] - x[:, 2] + 0.5
    lines = ["a,b,y,c"] + [f"{r[0]:.6f},{r[1]:.6f},{t},{r[2]:.6f}" for r, t in zip(x, y, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_csv_task_runs_end_to_end_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_csv(tmp_path / "data.csv", rows=600)
    spec = f"{data}:target=y"
    assert cli.main(["run", str(EXAMPLES / "mlp_digits.mlev"), "--task", spec, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["failure"] is None and result["task"] == spec
    assert result["params"] == (3 * 64 + 64) + (64 * 64 + 64) + (64 * 3 + 3)  # 3 features, 3 classes
    assert result["val_accuracy"] > 0.7


def test_a_regression_csv_trains_with_the_default_loss(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_csv(tmp_path / "reg.csv", rows=300, classes=False)
    file = tmp_path / "act.mlev"
    file.write_text("algorithm act\nactivation act(x: Tensor) -> Tensor =\n  tanh(x)\n")
    assert cli.main(["run", str(file), "--task", f"{data}:target=y", "--json", "--epochs", "30"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["failure"] is None
    assert result["val_mse"] < 0.1  # targets are standardised: 1.0 is predicting the mean


def test_a_csv_without_the_target_column_is_one_error_line(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    data = write_csv(tmp_path / "data.csv")
    status = cli.main(["run", str(EXAMPLES / "mlp_digits.mlev"), "--task", f"{data}:target=label"])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert "Traceback" not in captured.err
    errors = [line for line in captured.err.splitlines() if "error" in line]
    assert len(errors) == 1 and "no column named 'label'" in errors[0]


# ------------------------------------------------------------------------------ default components
def test_an_activation_alone_trains_with_the_default_model_and_adam() -> None:
    act_only = program("task digits\nactivation act(x: Tensor) -> Tensor =\n  relu(x)\n")
    built = instantiate(compile_program(act_only, SPEC))
    assert built.optimizer is runtime.adam and built.loss is None and built.schedule is None
    assert built.augment is None
    assert built.learning_rate(0.5).item() == pytest.approx(0.001)
    result = mlevolve.run(act_only)
    assert result["failure"] is None and result["val_accuracy"] > 0.9
    assert result["params"] == 8970  # two hidden layers of 64 and the head
    # The default model uses relu, Adam and lr 0.001: spelling out relu changes nothing at all.
    defaults = mlevolve.run(program("task digits\nschedule s(t: Scalar) -> Scalar =\n  0.001\n"))
    assert without_time(result) == without_time(defaults)
    # ...and the activation is really used: another one gives other metrics.
    tanh = mlevolve.run(program("task digits\nactivation act(x: Tensor) -> Tensor =\n  tanh(x)\n"))
    assert tanh["val_loss"] != result["val_loss"]


def test_a_model_alone_gets_a_linear_head_and_adam() -> None:
    result = mlevolve.run(program("task digits\nmodel net() -> Layer =\n  dense(16)\n"), epochs=1)
    assert result["failure"] is None
    assert result["params"] == (64 * 16 + 16) + (16 * 10 + 10)
    built = instantiate(compile_program(program("model net() -> Layer =\n  dense(16)\n"), SPEC))
    assert built.optimizer is runtime.adam


def test_another_update_rule_defaults_to_a_learning_rate_of_0_01() -> None:
    sgd = program("optimizer sgd(w: Tensor, g: Tensor, lr: Scalar) -> Tensor =\n  w - lr * g\n")
    built = instantiate(compile_program(sgd, SPEC))
    assert built.learning_rate(0.0).item() == pytest.approx(0.01)


# ------------------------------------------------------------------------------------- benchmarks
@pytest.mark.e2e
@pytest.mark.parametrize("script", ["compile_overhead.py", "learner_throughput.py"])
def test_benchmark_quick_mode_runs(script: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = run_child([sys.executable, str(ROOT / "benchmarks" / script), "--quick"], cwd=ROOT, env=env,
                     capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "programs/s" in done.stdout or "ratio" in done.stdout
