"""Evaluation: one program on one task, to metrics or to a recorded failure.

``evaluate`` is what `mlevolve run` and every GP evaluation call.  A program that does not fit its
task is the user's mistake (:class:`MlevError`); a program that fits but cannot be trained or
scored (NaN, explosion, too big, too slow, a runtime error in generated code) is a candidate
failure, returned as data with a reason and where it happened, never raised.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import torch

from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Program
from mlevolve.grammar.spec import GrammarSpec
from mlevolve.interpreter import runtime
from mlevolve.interpreter.codegen import Category, Compiled, compile_program
from mlevolve.interpreter.tasks import (
    Control,
    Density,
    Family,
    Points,
    Supervised,
    Task,
    arrays,
    is_data_file,
    list_tasks,
    load_points,
    load_task,
)
from mlevolve.results import Failure, Outcome

_KIND_OF: dict[Category, type] = {"supervised": Supervised, "learner": Family, "formula": Points, "rl": Control,
                                  "generative": Density}
_TASK_KIND = {"supervised": "supervised", "learner": "learner", "formula": "formula", "rl": "control",
              "generative": "density"}


@dataclass(frozen=True)
class Settings:
    """How to train: ``epochs`` for supervised, RL and generative programs (see their loops);
    ``threads`` for torch; the budget."""

    seed: int = 0
    epochs: int = 10
    batch_size: int = 64
    threads: int = 1
    budget: runtime.Budget = field(default_factory=runtime.Budget)


def check_task_fits(compiled: Compiled, task: Task, task_name: str) -> None:
    """A program of one category needs a task of the matching kind (and, for formulas, arity)."""
    wanted = _KIND_OF[compiled.category]
    if not isinstance(task, wanted):
        kind = _TASK_KIND[compiled.category]
        names = ", ".join(t.name for t in list_tasks() if t.kind == kind)
        raise MlevError(f"a {compiled.category} program cannot run on task '{task_name}'",
                        hint=f"{kind} tasks: {names}")
    if isinstance(task, Points) and task.n_vars != compiled.n_inputs:
        raise MlevError(f"the formula takes {compiled.n_inputs} input(s) but task '{task_name}' has {task.n_vars}",
                        hint="give the formula one Scalar parameter per input variable")


def formula_inputs(program: Program, task_name: str) -> tuple[str, ...]:
    """The parameter names of ``program``'s formula when it runs on a data file (its columns map to
    them by name), else ``()``."""
    formula = next((d for d in program.definitions if d.kind == "formula"), None)
    if formula is None or not is_data_file(task_name):
        return ()
    return tuple(p.name for p in formula.params)


def load_task_for(program: Program, task_name: str, seed: int = 0) -> Task:
    """The task as ``program`` needs it: a formula on a CSV/NPZ file gets the file's columns as its
    parameters (:func:`~mlevolve.interpreter.tasks.load_points`); anything else :func:`load_task`."""
    inputs = formula_inputs(program, task_name)
    return load_points(task_name, inputs, seed) if inputs else load_task(task_name, seed)


def namespace(compiled: Compiled, dim: int = 0) -> dict[str, Any]:
    """Execute the generated source in a fresh namespace over the runtime; return the namespace."""
    names = dict(vars(runtime))
    names["DIM"] = dim
    assert compiled.code is not None
    exec(compiled.code, names)
    return names


def instantiate(compiled: Compiled, dim: int = 0) -> Any:
    """The ``PROGRAM`` object the generated source builds, ready for its runtime loop."""
    return namespace(compiled, dim)["PROGRAM"]


def evaluate_compiled(compiled: Compiled, task: Task, settings: Settings) -> Outcome:
    """Train and score; every failure of the candidate is caught and returned as data."""
    started = time.perf_counter()
    data = arrays(task)
    try:
        torch.set_num_threads(settings.threads)
        dim = int(data["x_train"].shape[-1]) if compiled.category == "learner" else 0
        program = instantiate(compiled, dim)
        if compiled.category == "supervised":
            metrics = runtime.train_supervised(data, program, epochs=settings.epochs,
                                               batch_size=settings.batch_size, seed=settings.seed,
                                               budget=settings.budget)
        elif compiled.category == "learner":
            metrics = runtime.run_learner(data, program, seed=settings.seed, budget=settings.budget)
        elif compiled.category == "rl":
            metrics = runtime.train_rl(data, program, epochs=settings.epochs, seed=settings.seed,
                                       budget=settings.budget)
        elif compiled.category == "generative":
            metrics = runtime.train_generative(data, program, epochs=settings.epochs, seed=settings.seed,
                                               budget=settings.budget)
        else:
            metrics = runtime.run_formula(data, program)
    except runtime.CandidateFailure as err:
        return Outcome({}, Failure(err.reason, err.where), time.perf_counter() - started)
    except Exception as err:  # whatever else the candidate's code raises is its failure, not the run's
        return Outcome({}, Failure(f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}",
                                   "training"), time.perf_counter() - started)
    return Outcome(metrics, None, time.perf_counter() - started)


def evaluate(program: Program, task: Task, spec: GrammarSpec, settings: Settings | None = None,
             task_name: str = "") -> Outcome:
    """Compile ``program`` (already checked), check it fits ``task``, train and score it."""
    compiled = compile_program(program, spec)
    check_task_fits(compiled, task, task_name or getattr(task, "name", "?"))
    return evaluate_compiled(compiled, task, settings or Settings())
