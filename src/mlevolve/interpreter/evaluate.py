"""Evaluation: one program on one task, to metrics or to a recorded failure.

``evaluate`` is what `mlevolve run` and every GP evaluation call.  A program that does not fit its
task is the user's mistake (:class:`MlevError`); a program that fits but cannot be trained or
scored (NaN, explosion, too big, too slow, a runtime error in generated code) is a candidate
failure, returned as data with a reason and where it happened, never raised.
"""

from __future__ import annotations

import time
from typing import Any

from mlevolve.dsl.ir import Program
from mlevolve.grammar.spec import GrammarSpec
from mlevolve.interpreter.codegen import Compiled, compile_program
from mlevolve.interpreter.fastpath import Interpreted
from mlevolve.interpreter.settings import Settings as Settings  # torch-free: the API reads its defaults
from mlevolve.interpreter.standalone.common import check_finite
from mlevolve.interpreter.tasks import Task, arrays
from mlevolve.interpreter.tasks import check_task_fits as check_task_fits  # moved to the torch-free tasks module
from mlevolve.results import Failure, Outcome, guarded


def namespace(compiled: Compiled, dim: int = 0) -> dict[str, Any]:
    """Execute the generated source in a fresh namespace over the runtime; return the namespace.  A NumPy regime's
    code (a formula's, a learner's) runs over the NumPy modules its exported script carries, without PyTorch."""
    if compiled.regime.backend == "numpy":
        from mlevolve.interpreter.standalone import common, formula, learner

        names = {k: v for module in (common, formula, learner) for k, v in vars(module).items()
                 if not k.startswith("__")}
    else:
        from mlevolve.interpreter import runtime  # torch: only generated code runs over it

        names = dict(vars(runtime))
    names["DIM"] = dim
    assert compiled.code is not None
    exec(compiled.code, names)
    return names


def instantiate(compiled: Compiled | Interpreted, dim: int = 0) -> Any:
    """The ``PROGRAM`` object the generated source builds, ready for its runtime loop (or the same
    object from the fast path's interpreted IR, with no generated code)."""
    if isinstance(compiled, Interpreted):
        return compiled.instantiate(dim)
    return namespace(compiled, dim)["PROGRAM"]


def evaluate_compiled(compiled: Compiled | Interpreted, task: Task, settings: Settings,
                      data: dict[str, Any] | None = None) -> Outcome:
    """Train and score; every failure of the candidate is caught (:func:`guarded`) and returned as data.
    ``data``: ``arrays(task)`` when the caller holds it already (a run's evaluator makes it once).

    Every random draw of the training comes from generators seeded by ``settings.seed``
    (:func:`runtime.seeded`), so a candidate scores the same in any process, after anything.  The
    fitness and every other metric must be finite numbers, or the outcome is a failure.
    """
    started = time.perf_counter()
    task_data = arrays(task) if data is None else data

    def train() -> dict[str, Any]:
        if isinstance(compiled, Interpreted) or compiled.regime.backend == "numpy":
            # The fast path, or a NumPy regime's generated code (`mlevolve run` of a formula or learner, as its
            # exported script runs it): NumPy only, drawing only from the generators the loops make (no global
            # state to seed), so PyTorch is never imported by a formula or learner run (it was, about 1.7 s, to
            # seed its generator for code that never draws from it: a fresh-user pass).
            return check_finite(_train(compiled, task_data, settings), "validation")
        import torch

        from mlevolve.interpreter.runtime import seeded

        torch.set_num_threads(settings.threads)
        with seeded(settings.seed):
            return check_finite(_train(compiled, task_data, settings), "validation")

    metrics, failure = guarded(train, "training")
    if failure is None and metrics is not None and not isinstance(metrics.get("fitness"), int | float):
        failure = Failure("the program produced no fitness", "validation")
    if failure is not None or metrics is None:
        return Outcome({}, failure, time.perf_counter() - started)
    return Outcome(metrics, None, time.perf_counter() - started)


def _train(compiled: Compiled | Interpreted, data: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The compiled program trained and scored by its regime's loop."""
    regime = compiled.regime
    if isinstance(compiled, Interpreted) and compiled.methods is not None:  # a learner: maybe the compiled kernel
        return compiled.run_learner(data, seed=settings.seed, budget=settings.budget)
    program = instantiate(compiled, int(data["x_train"].shape[-1]) if regime.dim else 0)
    return regime.train(data, program, settings)


def evaluate(program: Program, task: Task, spec: GrammarSpec, settings: Settings | None = None,
             task_name: str = "") -> Outcome:
    """Compile ``program`` (already checked), check it fits ``task``, train and score it."""
    compiled = compile_program(program, spec)
    check_task_fits(compiled, task, task_name or getattr(task, "name", "?"))
    return evaluate_compiled(compiled, task, settings or Settings())
