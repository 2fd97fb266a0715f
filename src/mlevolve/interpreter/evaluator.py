"""The evaluator the GP engine calls: compile (cached), fingerprint for functional equivalence, and
train, for one task.

Functional-equivalence checking (FEC, AutoML-Zero; Co-Reyes et al. 2021): programs that compute
the same outputs on fixed probe inputs are taken to score the same, so only the first is trained.
The probes are cheap: elementwise components run on a fixed probe tensor (a loss also on its
gradient, an optimizer for five steps); a learner trains on ten examples and predicts ten (of the
run's own tasks, also under ``fresh=1``, and stops at the first diverging prediction; when it is
then trained on those tasks, the compiled interpreter starts from the probe's memory after its ten
steps, the same numbers); a formula is evaluated on the training points; an RL or generative objective on fixed probe
tensors, with its gradients.  An evolving model has no cheap probe (no FEC).  Probing also rejects
at once a component that is non-finite on the probes, an activation whose output is constant, or
an objective with no gradient.

Randomness: a probe runs under :func:`runtime.seeded` with the run's seed, so a component that
draws (``noise(...)``, dropout) sees the same draws in every process and for every candidate
(common random numbers: equivalent noisy programs still share a fingerprint); training is seeded
the same way (see ``evaluate_compiled``).  Formulas and learners (the fast path) draw only from the
generator the learner loop seeds, so they need neither torch nor the global generators.  Whatever a
probe raises is the candidate's failure (:func:`mlevolve.results.guarded`), as in training.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np

from mlevolve.dsl.ir import Program
from mlevolve.dsl.printer import format_program
from mlevolve.grammar.spec import GrammarSpec
from mlevolve.interpreter.codegen import Compiled, compile_program
from mlevolve.interpreter.evaluate import Settings, check_task_fits, evaluate_compiled, instantiate, namespace
from mlevolve.interpreter.factory import EvaluatorFactory
from mlevolve.interpreter.fastpath import PREFIX_OF, Interpreted, compiled_formula, interpret
from mlevolve.interpreter.fit import (
    FitOptions,
    FitPoints,
    LearnerTuning,
    fit_formula,
    fit_points,
    formula_points,
    has_literals,
    tune_learner,
)
from mlevolve.interpreter.formula_code import scalar_formula
from mlevolve.interpreter.regimes import Regime, regime_of_task
from mlevolve.interpreter.standalone.common import CandidateFailure
from mlevolve.interpreter.standalone.data_learner import FAMILIES, synthetic_arrays
from mlevolve.interpreter.standalone.learner import learner_predictions
from mlevolve.interpreter.tasks import Family, Task, arrays, load_task
from mlevolve.results import Failure, Outcome, guarded

__all__ = ["EvaluatorFactory", "ProgramEvaluator"]

def _digest(parts: Sequence[Any]) -> str:
    h = hashlib.blake2b(digest_size=12)
    for part in parts:
        array = np.asarray(part, dtype=np.float64)
        h.update(str(array.shape).encode())
        # Relative rounding (20 bits of mantissa): small outputs are not all merged into zero.  In place
        # (``np.round`` of a float array to 0 decimals is ``np.rint``), then + 0.0 (no negative zero).
        mantissa, exponent = np.frexp(array.reshape(-1))  # C order, as tobytes() writes them
        mantissa *= 2.0**20
        np.rint(mantissa, out=mantissa)
        mantissa += 0.0
        h.update(mantissa.tobytes())
        h.update(exponent.tobytes())
    return h.hexdigest()


def _all_finite(value: Any) -> bool:
    """Whether every number of ``value`` (NumPy) is finite: ``np.isfinite(value).all()`` without the
    Python wrapper of ``ndarray.all`` (about 1.5 of its 2.2 µs on a probe's outputs; once per candidate)."""
    finite = np.isfinite(value)
    return bool(np.count_nonzero(finite) == finite.size)


def _finite_outputs(value: Any, what: str) -> Any:
    """A formula's or learner's probe outputs (NumPy), rejected when not all finite."""
    if not _all_finite(value):
        raise CandidateFailure(f"{what} is not finite on the probe inputs", "probe")
    return value


DEFAULT_FIT = FitOptions()
_PROBES = {"points": "_probe_points", "learning": "_probe_learning", "components": "_probe_components"}


class ProgramEvaluator:
    """Scores programs on one task for the GP engine: ``fingerprint`` then ``evaluate``."""

    def __init__(self, task: Task, task_name: str, spec: GrammarSpec, settings: Settings,
                 evolving_kinds: frozenset[str], hurdle_epochs: int = 1, cache_size: int = 2048,
                 fit: FitOptions | None = None, tuning: LearnerTuning | None = None) -> None:
        self.task = task
        self.task_name = task_name
        self.spec = spec
        self.settings = settings
        self.evolving_kinds = evolving_kinds
        self.hurdle_epochs = hurdle_epochs
        self._compiled: OrderedDict[str, tuple[Program, Compiled | Interpreted]] = OrderedDict()
        self._cache_size = cache_size
        self._data = arrays(task)
        self.fit = fit  # formulas: constant fitting before scoring (None, the default: score as written)
        self.tuning = tuning  # learners: literal tuning of the evolved methods (None: score as written)

    @property
    def supports_hurdle(self) -> bool:
        """A short training (fewer epochs: fewer episodes or steps) makes a hurdle for classifiers and
        for RL and generative programs, when they train several epochs."""
        return self.settings.epochs > self.hurdle_epochs and regime_of_task(self.task).hurdle

    @property
    def cheap(self) -> bool:
        """Whether this run's programs take the fast path (:mod:`mlevolve.interpreter.fastpath`): a
        formula point set or a learner family.  Then no generated code runs (the IR is interpreted
        over primitive tables), memory is bounded by the task's data, and a learner's loop checks its
        deadline every example, so a candidate can be scored in process."""
        return regime_of_task(self.task).cheap

    @property
    def regime(self) -> Regime:
        """The regime of this run's task: what a worker imports and warms before its first candidate
        (``gp.backends.worker_modules``, :meth:`Regime.warm`)."""
        return regime_of_task(self.task)

    def _build(self, program: Program) -> Compiled | Interpreted:
        """The fast path's interpreted IR for a cheap task (no code generated or compiled), else code."""
        return interpret(program, self.spec) if self.cheap else compile_program(program, self.spec)

    def compile(self, program: Program, key: str) -> Compiled | Interpreted:
        """The program ready to run, cached by key: interpreted from the IR when :attr:`cheap`, else
        generated code; raises :class:`MlevError` when it cannot run or does not fit the task.  A cached
        entry serves only the program it was built from: a cache key rounds literals to 12 digits, so two
        programs may share one (``1e12 + 0.37`` and ``1e12``)."""
        entry = self._compiled.get(key)
        if entry is not None and (entry[0] is program or entry[0] == program):
            return entry[1]
        compiled = self._build(program)
        check_task_fits(compiled, self.task, self.task_name)
        self._compiled[key] = (program, compiled)
        if len(self._compiled) > self._cache_size:
            self._compiled.popitem(last=False)
        return compiled

    def fingerprint(self, program: Program, key: str) -> tuple[str | None, Failure | None]:
        """(fingerprint, None), (None, None) when there is no cheap probe, or (None, failure)."""

        def probe() -> list[Any] | None:
            compiled = self.compile(program, key)
            if isinstance(compiled, Interpreted):  # no torch, and draws only from the runtime's own generators
                if compiled.regime.probe == "learning":  # the learner loop (or kernel) keeps its own errstate
                    return self._probe(program, compiled)
                with np.errstate(all="ignore"):
                    return self._probe(program, compiled)
            import torch

            from mlevolve.interpreter.runtime import seeded

            with torch.no_grad() if compiled.regime.probe != "components" else torch.enable_grad(), \
                    np.errstate(all="ignore"), seeded(self.settings.seed):
                return self._probe(program, compiled)

        parts, failure = guarded(probe, "probe")
        if failure is not None:
            return None, Failure(failure.reason, "probe")
        return (None if parts is None else _digest(parts)), None

    def _probe(self, program: Program, compiled: Compiled | Interpreted) -> list[Any] | None:
        """What the program computes on the probe inputs of its regime (``Regime.probe``)."""
        probe: Any = getattr(self, _PROBES[compiled.regime.probe])
        return probe(program, compiled)  # type: ignore[no-any-return]

    def _probe_points(self, program: Program, compiled: Compiled | Interpreted) -> list[Any] | None:
        """A formula's outputs on the training points; None (no fingerprint) when they are not finite
        but its literals are to be fitted: the fit restarts them (``fit.restarts``, counted there)."""
        x = np.asarray(self._data["x_train"], np.float64)
        formula = compiled_formula(compiled) or instantiate(compiled)  # compiled when it can be (numba)
        out = formula(*x.T)
        if getattr(out, "shape", None) != x.shape[:1]:  # a constant (a formula of the points has their shape)
            out = np.broadcast_to(out, x.shape[:1])
        if self.fit is not None and self.fit.tune and not _all_finite(out) and has_literals(program):
            return None
        return [_finite_outputs(out, "the formula")]

    def _probe_learning(self, program: Program, compiled: Compiled | Interpreted) -> list[Any]:
        """A learner's predictions on 10 validation examples after 10 training examples of each task:
        the predictions themselves, as AutoML-Zero hashes them (a fitness alone collides)."""
        small = self._probe_data
        if isinstance(compiled, Interpreted):  # the compiled learner interpreter when available
            predictions = compiled.learner_predictions(small, seed=self.settings.seed)
        else:
            predictions = learner_predictions(small, instantiate(compiled, int(self._data["x_train"].shape[-1])),
                                              seed=self.settings.seed)
        return [_finite_outputs(predictions, "the learner's predictions")]

    @cached_property
    def _probe_data(self) -> dict[str, Any]:
        """The learner probe's data: the first 10 training and validation examples of each task, made
        once (C-ordered ``float64``, as the compiled interpreter takes them, with the same values),
        marked as the first training examples of the run's tasks (``fastpath.PREFIX_OF``): a compiled
        learner's training on them then starts from the probe's memory (the same numbers)."""
        data = self._data
        small = {key: np.ascontiguousarray(data[key][:, :10], dtype=np.float64)
                 for key in ("x_train", "y_train", "x_val", "y_val")}
        return {**data, **small, PREFIX_OF: data}

    def _probe_components(self, program: Program, compiled: Compiled | Interpreted) -> list[Any] | None:
        """Each component on fixed probe tensors (:mod:`~mlevolve.interpreter.probes`); None (no cheap
        probe) when a model evolves."""
        if "model" in self.evolving_kinds or isinstance(compiled, Interpreted):
            return None
        from mlevolve.interpreter.probes import component_parts  # torch: not imported by cheap runs

        return component_parts(program, namespace(compiled), getattr(self.task, "problem", None) == "regression")

    def evaluate(self, program: Program, key: str, quick: bool = False) -> Outcome:
        """Train and score (``quick``: only ``hurdle_epochs`` epochs, for the hurdle)."""
        settings = self.settings
        if quick:
            settings = Settings(settings.seed, self.hurdle_epochs, settings.batch_size, settings.threads,
                                settings.budget)
        compiled, failure = guarded(lambda: self.compile(program, key), "compile")
        if failure is not None or compiled is None:
            return Outcome({}, failure)
        if compiled.regime.fits and self.fit is not None:
            return self._evaluate_fitted(program, compiled, settings)
        if compiled.regime.probe == "learning" and self.tuning is not None:
            return self._evaluate_tuned(program, compiled, key, settings)
        if isinstance(compiled, Interpreted) and self._fresh_synthetic is not None:  # fresh tasks' arrays, drawn
            return evaluate_compiled(compiled, self.task, settings, self.scoring_data(key))
        task = self.scoring_task(key)
        held = self._data if task is self.task and isinstance(compiled, Interpreted) else None  # read only there
        return evaluate_compiled(compiled, task, settings, held)

    def _evaluate_tuned(self, program: Program, compiled: Compiled | Interpreted, key: str,
                        settings: Settings) -> Outcome:
        """A learner: score it, then tune its literals (``interpreter.fit.tune_learner``) on the same
        tasks; the best-scoring program comes back as ``Outcome.program`` with ``fit_evaluations``."""
        assert self.tuning is not None
        task = self.scoring_task(key)
        data = self._data if task is self.task else arrays(task)  # once for every variant (read only)

        def run(c: Compiled | Interpreted) -> Outcome:
            return evaluate_compiled(c, task, settings, data if isinstance(c, Interpreted) else None)

        outcomes: dict[Program, Outcome] = {program: run(compiled)}

        def score(variant: Program) -> float | None:
            compiled_variant, failure = guarded(lambda: self._build(variant), "compile")
            outcome = Outcome({}, failure) if failure is not None or compiled_variant is None \
                else run(compiled_variant)
            outcomes[variant] = outcome
            return None if outcome.failure is not None else float(outcome.metrics["fitness"])

        first = outcomes[program]
        start = None if first.failure is not None else float(first.metrics["fitness"])
        best, _, spent = tune_learner(program, score, self.tuning, start)
        outcome = outcomes[best]
        seconds = sum(o.seconds for o in outcomes.values())
        if outcome.failure is not None:  # its tuning's training runs were spent all the same: counted
            return Outcome({"fit_evaluations": spent}, outcome.failure, seconds)
        return Outcome({**outcome.metrics, "fit_evaluations": spent}, None, seconds, format_program(best), best)

    def _evaluate_fitted(self, program: Program, compiled: Compiled | Interpreted, settings: Settings) -> Outcome:
        """A formula: fit its constants (``interpreter.fit``), then score the fitted program, which
        comes back as ``Outcome.program``; ``fit_evaluations`` counts the formula evaluations spent (a failure's
        metrics hold only that count)."""
        assert self.fit is not None
        x, y, w = formula_points(self._data)
        fit, points = self.fit, self._fit_points
        fitted, failure = guarded(lambda: fit_formula(program, self.spec, x, y, fit, w, points), "fitting")
        if failure is not None or fitted is None:
            return Outcome({}, failure)
        if fitted.program is not program:  # the fitted formula's Body when the fit made it, else linearised
            body = fitted.body
            if body is None and isinstance(compiled, Interpreted):  # a new body, seen once: kept in no table
                body = scalar_formula(fitted.program.definitions[0], memo=False)
            compiled = Interpreted(compiled.regime, compiled.n_inputs, formula=body) \
                if body is not None and isinstance(compiled, Interpreted) else self._build(fitted.program)
        # (the run's arrays, read only on the fast path, as ``evaluate`` passes them: not made anew a candidate)
        held = self._data if isinstance(compiled, Interpreted) else None
        outcome = evaluate_compiled(compiled, self.task, settings, held)
        if outcome.failure is not None:  # its fitting's evaluations were spent all the same: counted
            return Outcome({"fit_evaluations": fitted.evaluations}, outcome.failure, outcome.seconds)
        # Always the program as scored (changed or not), so a cache hit and a replayed run agree on it.
        return Outcome({**outcome.metrics, "fit_evaluations": fitted.evaluations}, None, outcome.seconds,
                       format_program(fitted.program), fitted.program, fitted.simple)

    @cached_property
    def _fit_points(self) -> FitPoints:
        """The task's training points as every formula fit takes them (``fit.fit_points``), made once: the run's
        data is read only."""
        return fit_points(*formula_points(self._data))

    def scoring_task(self, key: str) -> Task:
        """The task a candidate is scored on: the run's task, or for a learner family with ``fresh=1``
        tasks drawn anew from the family, seeded by the run's seed and the candidate's key
        (:func:`fresh_seed`): deterministic, hence resumable and cacheable, yet no program can gain
        by fitting the particular tasks of the run (a memoriser's luck does not pass to its children)."""
        if self.fresh_tasks:
            return load_task(self.task_name, fresh_seed(self.settings.seed, key))
        return self.task

    @property
    def fresh_tasks(self) -> bool:
        """Whether each candidate is scored on tasks of its own (:meth:`scoring_task`, ``fresh=1``): two programs'
        scores then differ by their draws as well as by the programs, so neither tells the other apart."""
        return isinstance(self.task, Family) and bool(self.task.fresh)

    def common_draw(self, factor: int, key: str) -> ProgramEvaluator:
        """For tasks drawn per candidate (:attr:`fresh_tasks`): an evaluator scoring every program as written
        (no fit, no tuning) on ONE draw of ``factor`` times the run's tasks from the family, seeded by the run's
        seed and ``key`` (:func:`fresh_seed`), so that two programs are compared on the same tasks (the prune of
        a run's best, :mod:`mlevolve.gp.prune_best`)."""
        assert isinstance(self.task, Family) and self.fresh_tasks
        task = load_task(self.task_name, fresh_seed(self.settings.seed, key), n_tasks=self.common_tasks(factor),
                         fresh=0)
        return ProgramEvaluator(task, self.task_name, self.spec, self.settings, self.evolving_kinds,
                                self.hurdle_epochs)

    def common_tasks(self, factor: int) -> int:
        """The tasks of :meth:`common_draw`: ``factor`` times the run's, within what a family may hold (the
        ``n_tasks`` option's range and :data:`data_learner.MAX_FAMILY_VALUES`), and never fewer than the run's."""
        from mlevolve.interpreter.standalone.data_learner import MAX_FAMILY_VALUES
        from mlevolve.interpreter.standalone.spec import OPTION_RANGES

        assert isinstance(self.task, Family)
        tasks, train, dim = (int(n) for n in self.task.x_train.shape)
        values = (train + int(self.task.x_val.shape[1])) * dim  # a task's
        return max(tasks, min(tasks * factor, OPTION_RANGES["n_tasks"][1], MAX_FAMILY_VALUES // values))

    @cached_property
    def _fresh_synthetic(self) -> Family | None:
        """For fresh tasks of a synthetic family (``linear``, ...), one draw of the candidates' family
        (its shapes and options, as :meth:`scoring_task` loads it), else None."""
        if not self.fresh_tasks:
            return None
        drawn = load_task(self.task_name, 0)
        return drawn if isinstance(drawn, Family) and drawn.name in FAMILIES else None

    def scoring_data(self, key: str) -> dict[str, Any]:
        """``arrays(self.scoring_task(key))`` for fresh tasks of a synthetic family: the same draw and
        values, its arrays ``float64`` and C-ordered as the compiled interpreter takes them
        (:func:`data_learner.synthetic_arrays`), with no task record made and converted per candidate."""
        family = self._fresh_synthetic
        assert family is not None
        n_tasks, n_train, dim = family.x_train.shape
        rng = np.random.default_rng(fresh_seed(self.settings.seed, key))
        drawn = synthetic_arrays(family.name, rng, n_tasks, dim, n_train, family.x_val.shape[1])
        return {"name": family.name, "problem": family.problem, **drawn, "fitness": family.fitness,
                "fresh": family.fresh, "classification": family.problem == "classification"}


def fresh_seed(seed: int, key: str) -> int:
    """The seed of a candidate's fresh tasks: 63 bits of BLAKE2b over the run's seed and its key."""
    digest = hashlib.blake2b(f"{seed}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1
