"""The picklable recipe of a run's evaluator, light to import.

A worker process (or a Dask worker) receives an :class:`EvaluatorFactory` and builds the run's
:class:`~mlevolve.interpreter.evaluator.ProgramEvaluator` from it.  This module imports neither
torch nor the tasks, so the coordinator can start its workers before it imports them itself: the
workers' start-up overlaps the coordinator's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlevolve.dsl.ir import Program
from mlevolve.interpreter.tasks import Task, is_data_file, load_learner_data, load_points, load_task

if TYPE_CHECKING:
    from mlevolve.grammar.spec import GrammarSpec
    from mlevolve.interpreter.evaluator import ProgramEvaluator


@dataclass(frozen=True)
class EvaluatorFactory:
    """Builds the evaluator of a run inside whichever process scores candidates (picklable, hashable).

    ``grammar`` is a grammar file path, or None for the base grammar; ``timeout`` bounds each
    training (the runtime loops check it between steps; the backends cut a candidate past it).
    """

    task: str
    seed: int
    epochs: int
    kinds: frozenset[str]
    grammar: str | None = None
    timeout: float = field(kw_only=True)  # seconds per candidate: the caller's (gp.backends.Resources owns the default)
    fit: bool = False  # formulas: constant fitting (linear scaling and literal tuning) before scoring
    inputs: tuple[str, ...] = ()  # a formula on a data file: its parameters, named after the file's columns
    tune: tuple[str, ...] = ()  # learners: the evolved methods whose literals are tuned (interpreter.fit)

    def __call__(self) -> ProgramEvaluator:
        import warnings

        from mlevolve.grammar.spec import GrammarWarning, load_grammar

        with warnings.catch_warnings():  # a stale digest: the parent process said so, not each worker again
            warnings.simplefilter("ignore", GrammarWarning)
            spec = load_grammar(self.grammar)
        return self.build(_load(self.task, self.seed, self.inputs, self.kinds), spec)

    def build(self, task: Any, spec: GrammarSpec) -> ProgramEvaluator:
        """The evaluator over an already loaded ``task`` and grammar ``spec``."""
        from mlevolve.interpreter.evaluator import DEFAULT_FIT, ProgramEvaluator
        from mlevolve.interpreter.fit import LearnerTuning
        from mlevolve.interpreter.settings import Settings
        from mlevolve.interpreter.standalone.common import Budget

        settings = Settings(seed=self.seed, epochs=self.epochs, budget=Budget(max_seconds=self.timeout))
        return ProgramEvaluator(task, self.task, spec, settings, self.kinds, fit=DEFAULT_FIT if self.fit else None,
                                tuning=LearnerTuning(self.tune) if self.tune else None)


def evolving_kinds(program: Program, names: Sequence[str]) -> frozenset[str]:
    """The kinds of the definitions ``names`` evolve (``linreg.learn`` evolves a method of ``linreg``)."""
    return frozenset(d.kind for d in program.definitions if any(n.split(".")[0] == d.name for n in names))


def tuned_methods(program: Program, names: Sequence[str]) -> tuple[str, ...]:
    """The ``names`` that evolve a learner or its methods: what literal tuning tunes (``tune``)."""
    learners = {d.name for d in program.definitions if d.kind == "learner"}
    return tuple(n for n in names if n.split(".")[0] in learners)


def formula_inputs(program: Program, task_name: str) -> tuple[str, ...]:
    """The parameter names of ``program``'s formula when it runs on a data file (its columns map to
    them by name), else ``()``."""
    formula = next((d for d in program.definitions if d.kind == "formula"), None)
    if formula is None or not is_data_file(task_name):
        return ()
    return tuple(p.name for p in formula.params)


def load_task_for(program: Program, task_name: str, seed: int = 0) -> Task:
    """The task as ``program`` needs it: on a CSV/NPZ file, a formula gets the file's columns as its
    parameters (:func:`~mlevolve.interpreter.tasks.load_points`) and a learner the file as one task
    (:func:`~mlevolve.interpreter.tasks.load_learner_data`); anything else :func:`load_task`."""
    kinds = frozenset(d.kind for d in program.definitions)
    return _load(task_name, seed, formula_inputs(program, task_name), kinds)


def _load(task_name: str, seed: int, inputs: tuple[str, ...], kinds: frozenset[str]) -> Task:
    if inputs:
        return load_points(task_name, inputs, seed)
    if "learner" in kinds and is_data_file(task_name):
        return load_learner_data(task_name, seed)
    return load_task(task_name, seed)
