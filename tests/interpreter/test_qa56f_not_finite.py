"""qa56f: a training that meets a value that is not finite names the first stage where it was not: the augmented
batch, then the model's outputs (an activation's NaN), then the loss; in ``mlevolve run``, in a search's failure
rows (the same loops) and in an exported script alike.  RL and generative steps name the model's outputs too."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

import mlevolve
from mlevolve.interpreter.standalone.common import CandidateFailure
from mlevolve.interpreter.standalone.rl import _step
from tests.conftest import run_child

CASES = {
    "the augmentation's output is not finite":
        "augment a(x: Tensor) -> Tensor =\n  log(x - 100.0)\n",
    "the model's outputs are not finite":
        "activation act(x: Tensor) -> Tensor =\n  log(x - 100.0)\n",
    "the loss is not finite":  # finite in float64, where the library checks a loss, not in float32's training
        "loss l(p: Tensor, y: Tensor) -> Tensor =\n  (p * 1e30) * (p * 1e30)\n",
}


def _program(body: str) -> str:
    return f"algorithm nan\ntask iris\n{body}"


@pytest.mark.parametrize("reason", list(CASES))
def test_a_supervised_run_names_the_first_value_not_finite(reason: str) -> None:
    result = mlevolve.run(mlevolve.parse(_program(CASES[reason])), epochs=1)
    assert result["failure"] == {"reason": reason, "where": "epoch 1, step 1"}


def test_an_exported_script_names_it_as_the_run_does(tmp_path: Path) -> None:
    script = tmp_path / "nan.py"
    script.write_text(mlevolve.export(mlevolve.parse(_program(CASES["the model's outputs are not finite"])), epochs=1))
    done = run_child([sys.executable, str(script), "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["failure"] == {"reason": "the model's outputs are not finite",
                                                  "where": "epoch 1, step 1"}


@pytest.mark.parametrize(("outputs", "reason"), [
    ((torch.tensor([1.0, float("nan")]),), "the model's outputs are not finite"),
    ((torch.tensor([1.0, float("inf")]), torch.ones(2)), "the model's outputs are not finite"),
    ((torch.ones(2),), "the objective is not finite"),
    ((), "the objective is not finite"),
])
def test_an_rl_or_generative_step_names_the_models_outputs_first(outputs: tuple[torch.Tensor, ...],
                                                                  reason: str) -> None:
    w = torch.ones(2, requires_grad=True)
    loss = (w * torch.tensor([1.0, float("nan")])).sum()
    with pytest.raises(CandidateFailure) as err:
        _step(loss, torch.optim.SGD([w], lr=0.1), [w], "step 1", True, outputs)
    assert (err.value.reason, err.value.where) == (reason, "step 1")
