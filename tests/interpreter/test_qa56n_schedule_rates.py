"""A schedule's rate that no update rule can step with fails where it is read, naming the schedule, its rate and t.

``0.01 / t``, a 1/t decay, is infinite at the first step (t = 0).  ``mlevolve run`` (and the exported script, which
carries the same loop) ended in "the parameters are not finite" without naming the schedule, and an exported
schedule's ``lr_lambda`` gave LambdaLR an infinite factor, so the optimizer's parameters became NaN without a word
(a fresh-user pass, qa56n).  A negative or NaN rate was refused already; an infinite one now is too, everywhere the
rate is read: the training loop, the exported script, and ``lr_lambda``.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

import mlevolve
from tests.conftest import component_module, run_child

HEAD = "algorithm decay\ntask iris\nmodel net() -> Layer =\n  seq(dense(8), tanh_layer())\n"
SCHEDULE = "schedule s(t: Scalar) -> Scalar =\n  0.01 / t\n"
RULE = "optimizer sgd(w: Tensor, g: Tensor, lr: Scalar) -> Tensor =\n  w - lr * g\n"
INFINITE = ("the schedule's learning rate is inf at progress t = 0: a rate is a finite number", "epoch 1, step 1")


@pytest.mark.parametrize(("body", "reason"), [
    ("0.01 / t", INFINITE[0]),
    ("log(t)", "the schedule's learning rate is -inf at progress t = 0: a rate is a number of at least 0"),
    ("sqrt(t - 2.0)", "the schedule's learning rate is nan at progress t = 0: a rate is a number of at least 0"),
    ("0.0 - 0.01", "the schedule's learning rate is -0.01 at progress t = 0: a rate is a number of at least 0"),
    ("0.01 / (1.0 - t)", None),  # infinite at t = 1 only, which training never reads
    ("0.0 * t", None),  # a rate of 0 is one (the weights stay)
])
def test_a_rate_fails_unless_finite_and_not_negative(body: str, reason: str | None) -> None:
    failure = mlevolve.run(mlevolve.check(HEAD + RULE + SCHEDULE.replace("0.01 / t", body)), epochs=1)["failure"]
    assert (failure and failure["reason"]) == reason


@pytest.mark.parametrize("rule", ["", RULE], ids=["adam", "own rule"])
def test_an_infinite_rate_fails_the_run_naming_the_schedule(rule: str) -> None:
    failure = mlevolve.run(mlevolve.check(HEAD + rule + SCHEDULE), epochs=1)["failure"]
    assert (failure["reason"], failure["where"]) == INFINITE


def test_the_exported_script_fails_alike(tmp_path: Path) -> None:
    script = tmp_path / "decay.py"
    script.write_text(mlevolve.export(mlevolve.check(HEAD + SCHEDULE), epochs=1), encoding="utf-8")
    done = run_child([sys.executable, str(script), "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    failure = json.loads(done.stdout)["failure"]
    assert (failure["reason"], failure["where"]) == INFINITE


def test_an_exported_lr_lambda_refuses_an_infinite_rate(tmp_path: Path) -> None:
    mod = component_module(tmp_path, mlevolve.check(HEAD + RULE + SCHEDULE), "s")
    factor = mod.lr_lambda(10)
    assert math.isclose(factor(5) * mod.LR, 0.01 / 0.5, rel_tol=1e-6)
    with pytest.raises(ValueError, match=r"^the schedule's learning rate is inf at step 0 of 10: a rate is a finite "
                                         r"number$"):
        factor(0)
    with pytest.raises(ValueError, match=r"^the schedule's learning rate is -inf at step 0 of 10: a rate is a number "
                                         r"of at least 0$"):
        component_module(tmp_path, mlevolve.check(HEAD + RULE + SCHEDULE.replace("0.01 / t", "log(t)")), "s",
                         "log").lr_lambda(10, 0.01)(0)
