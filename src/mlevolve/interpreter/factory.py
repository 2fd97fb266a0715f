"""The picklable recipe of a run's evaluator, light to import.

A worker process (or a Dask worker) receives an :class:`EvaluatorFactory` and builds the run's
:class:`~mlevolve.interpreter.evaluator.ProgramEvaluator` from it.  This module imports neither
torch nor the tasks, so the coordinator can start its workers before it imports them itself: the
workers' start-up overlaps the coordinator's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
    timeout: float = 300.0

    def __call__(self) -> ProgramEvaluator:
        from mlevolve.grammar.spec import load_grammar
        from mlevolve.interpreter.tasks import load_task

        return self.build(load_task(self.task, self.seed), load_grammar(self.grammar))

    def build(self, task: Any, spec: GrammarSpec) -> ProgramEvaluator:
        """The evaluator over an already loaded ``task`` and grammar ``spec``."""
        from mlevolve.interpreter import runtime
        from mlevolve.interpreter.evaluate import Settings
        from mlevolve.interpreter.evaluator import ProgramEvaluator

        settings = Settings(seed=self.seed, epochs=self.epochs, budget=runtime.Budget(max_seconds=self.timeout))
        return ProgramEvaluator(task, self.task, spec, settings, self.kinds)
