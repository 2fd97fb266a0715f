"""An RL or generative objective's probe differentiates exactly the inputs its training loop differentiates.

The probe (``interpreter/probes.py``) refuses an objective with no gradient from the model as "does not depend on
the model" before any training; the loops (``standalone/rl.py``, ``standalone/generative.py``) refuse one the same
way.  Where the two disagreed on an input, ``evolve`` rejected a program that ``mlevolve run`` (and an exported
script) trained: a ``pg_loss`` of ``-entropy``, the policy's entropy bonus alone, failed at the probe though the
loop differentiates the entropy (a fresh-user pass, qa56n).  Here each input's gradient is read from the loop
itself, on its first call of the objective, and the probe must agree on every input of every objective kind.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

import mlevolve
from mlevolve.dsl.kinds import KINDS
from mlevolve.grammar.spec import load_grammar
from mlevolve.interpreter.evaluate import Settings
from mlevolve.interpreter.evaluator import ProgramEvaluator
from mlevolve.interpreter.standalone.generative import GenerativeProgram, train_generative
from mlevolve.interpreter.standalone.rl import RLProgram, train_rl
from mlevolve.interpreter.tasks import arrays, load_task

TASKS = {"pg_loss": "chain", "td_loss": "chain", "vae_loss": "moons2d", "flow_loss": "moons2d"}


class _Seen(Exception):
    """Raised by the recording objective once it has seen the loop's inputs."""


def _loop_gradients(kind: str) -> list[bool]:
    """Whether the training loop of ``kind`` passes each of the objective's inputs with a gradient (its first call)."""
    seen: list[bool] = []

    def record(*inputs: torch.Tensor) -> torch.Tensor:
        seen.extend(bool(t.requires_grad) for t in inputs)
        raise _Seen

    data = arrays(load_task(TASKS[kind]))
    with pytest.raises(_Seen):
        if kind in ("pg_loss", "td_loss"):
            train_rl(data, RLProgram(kind, record), epochs=1)
        else:
            train_generative(data, GenerativeProgram(kind, record), epochs=1)
    return seen


def _params(kind: str) -> list[str]:
    return list(KINDS[kind].names)


def _probe_failure(kind: str, body: str) -> Any:
    names = _params(kind)
    source = (f"algorithm t\n{kind} l({', '.join(f'{n}: Tensor' for n in names)}) -> Tensor =\n  {body}\n")
    evaluator = ProgramEvaluator(load_task(TASKS[kind]), TASKS[kind], load_grammar(), Settings(epochs=1),
                                 frozenset({kind}))
    return evaluator.fingerprint(mlevolve.check(source), body)[1]


@pytest.mark.parametrize("kind", sorted(TASKS))
def test_the_probe_differentiates_what_the_loop_differentiates(kind: str) -> None:
    names = _params(kind)
    grads = _loop_gradients(kind)
    assert len(grads) == len(names)
    assert any(grads)
    for name, grad in zip(names, grads, strict=True):
        failure = _probe_failure(kind, f"square({name}) + 0.5 * {name}")
        if grad:
            assert failure is None, (kind, name, failure)
        else:
            assert failure is not None and failure.reason == "the objective does not depend on the model", (kind, name)
            assert failure.where == "probe"


def test_an_entropy_bonus_alone_is_scored_in_a_search_as_run_trains_it(tmp_path: Any) -> None:
    source = (f"algorithm bonus\ntask chain\npg_loss r({', '.join(f'{n}: Tensor' for n in _params('pg_loss'))}) "
              "-> Tensor =\n  -entropy\n")
    path = tmp_path / "bonus.mlev"
    path.write_text(source)
    ran = mlevolve.run(mlevolve.check(source), epochs=1)
    assert ran["failure"] is None
    result = mlevolve.api.evolve(path, ["r"], budget=1, population=2, tournament=2, epochs=1,
                                 db=tmp_path / "run.db", quiet=True)
    assert result["best_fitness"] == ran["fitness"]
