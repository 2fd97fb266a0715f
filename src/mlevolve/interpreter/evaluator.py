"""The evaluator the GP engine calls: compile (cached), fingerprint for functional equivalence, and
train, for one task.

Functional-equivalence checking (FEC, AutoML-Zero; Co-Reyes et al. 2021): programs that compute
the same outputs on fixed probe inputs are taken to score the same, so only the first is trained.
The probes are cheap: elementwise components run on a fixed probe tensor (a loss also on its
gradient, an optimizer for five steps); a learner trains on ten examples and predicts ten (of the
run's own tasks, also under ``fresh=1``, and stops at the first diverging prediction); a
formula is evaluated on the training points; an RL or generative objective on fixed probe
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
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from mlevolve.dsl.ir import Program, Ref
from mlevolve.dsl.printer import format_program
from mlevolve.dsl.traverse import walk
from mlevolve.grammar.spec import GrammarSpec
from mlevolve.interpreter import runtime
from mlevolve.interpreter.codegen import Compiled, compile_program, py_name
from mlevolve.interpreter.evaluate import Settings, check_task_fits, evaluate_compiled, instantiate, namespace
from mlevolve.interpreter.factory import EvaluatorFactory
from mlevolve.interpreter.fastpath import Interpreted, interpret
from mlevolve.interpreter.fit import FitOptions, fit_formula, formula_points
from mlevolve.interpreter.regimes import regime_of_task
from mlevolve.interpreter.tasks import Family, Task, arrays, load_task
from mlevolve.results import Failure, Outcome, guarded

__all__ = ["EvaluatorFactory", "ProgramEvaluator"]

_PROBE_GEN = torch.Generator().manual_seed(12345)
_PROBE_X = torch.cat([torch.linspace(-4.0, 4.0, 33), torch.randn(31, generator=_PROBE_GEN)])
_PROBE_LOGITS = torch.randn(8, 4, generator=_PROBE_GEN)
_PROBE_Y = torch.nn.functional.one_hot(torch.arange(8) % 4, 4).float()
_PROBE_W = torch.randn(16, generator=_PROBE_GEN)
_PROBE_G = torch.randn(5, 16, generator=_PROBE_GEN)
_PROBE_LOGP = torch.log_softmax(torch.randn(16, 3, generator=_PROBE_GEN), 1)[:, 0]


def _randn(*shape: int, scale: float = 1.0) -> torch.Tensor:
    return scale * torch.randn(*shape, generator=_PROBE_GEN)


# Objectives' probe inputs, in parameter order: (tensor, whether the runtime differentiates through it).
_OBJECTIVE_INPUTS: dict[str, tuple[tuple[torch.Tensor, bool], ...]] = {
    "pg_loss": ((_PROBE_LOGP, True), (_randn(16, scale=5.0).abs(), False), (_randn(16), False),
                (_randn(16, scale=3.0), True), (-(_PROBE_LOGP.exp() * _PROBE_LOGP), False)),
    "td_loss": ((_randn(16), True), (_randn(16), False), ((_randn(16) > 0.5).float(), False),
                (0.9 * (_randn(16) > -1.0).float(), False)),
    "vae_loss": ((_randn(8, 2), False), (_randn(8, 2), True), (_randn(8, 2), True), (_randn(8, 2, scale=0.5), True)),
    "flow_loss": ((_randn(8, 2), True), (_randn(8, 2, scale=0.3), True)),
}


def _digest(parts: Sequence[Any]) -> str:
    h = hashlib.blake2b(digest_size=12)
    for part in parts:
        array = np.asarray(part, dtype=np.float64)
        h.update(str(array.shape).encode())
        # Relative rounding (20 bits of mantissa): small outputs are not all merged into zero.
        mantissa, exponent = np.frexp(array)
        h.update((np.round(mantissa * 2.0**20) + 0.0).tobytes())
        h.update(exponent.tobytes())
    return h.hexdigest()


def _probe_failure(reason: str) -> runtime.CandidateFailure:
    """A component failed on the probe inputs: the candidate is rejected before training."""
    return runtime.CandidateFailure(reason, "probe")


def _finite(value: Any, what: str) -> Any:
    if isinstance(value, torch.Tensor):
        if not torch.isfinite(value).all():
            raise _probe_failure(f"{what} is not finite on the probe inputs")
        return value.detach().numpy()
    if not np.all(np.isfinite(value)):
        raise _probe_failure(f"{what} is not finite on the probe inputs")
    return value


def _unused_activations(program: Program) -> frozenset[str]:
    """Activations no model refers to: they never run in training, so they are not probed (a constant
    helper that nothing uses must not reject the program).  With no model, the runtime's default model
    uses the activation, so none is unused."""
    models = [d for d in program.definitions if d.kind == "model" and d.body is not None]
    if not models:
        return frozenset()
    used = {node.name for d in models for node in walk(d.body) if isinstance(node, Ref)}  # type: ignore[arg-type]
    return frozenset(d.name for d in program.definitions if d.kind == "activation" and d.name not in used)


def _probe_activation(fn: Callable[..., Any]) -> list[Any]:
    out = _finite(torch.broadcast_to(torch.as_tensor(fn(_PROBE_X)), _PROBE_X.shape), "the activation")
    if np.ptp(out) == 0:
        raise _probe_failure("the activation is constant")
    return [out]


def _probe_loss(fn: Callable[..., Any]) -> list[Any]:
    p = torch.softmax(_PROBE_LOGITS, dim=1).requires_grad_(True)
    value = fn(p, _PROBE_Y).sum()
    grad = torch.autograd.grad(value, p, allow_unused=True)[0] if value.requires_grad else None
    return [_finite(value, "the loss"), _finite(grad if grad is not None else torch.zeros(()), "the loss gradient")]


def _probe_optimizer(fn: Callable[..., Any]) -> list[Any]:
    inputs, n_state = runtime._optimizer_signature(fn)
    w, state = _PROBE_W.clone(), [torch.zeros(16) for _ in range(n_state)]
    for step, g in enumerate(_PROBE_G, 1):
        extra = {"lr": torch.tensor(0.01), "t": torch.tensor(float(step))}
        result = fn(w, g, *(extra[k] for k in inputs), *state)
        w, state = (result[0], list(result[1:])) if isinstance(result, tuple) else (result, [])
        w = torch.broadcast_to(torch.as_tensor(w), (16,))
    return [_finite(w, "the update rule")]


def _probe_schedule(fn: Callable[..., Any]) -> list[Any]:
    return [_finite(torch.as_tensor(fn(torch.tensor(t))), "the schedule") for t in np.linspace(0, 1, 11)]


def _probe_augment(fn: Callable[..., Any]) -> list[Any]:
    return [_finite(torch.broadcast_to(torch.as_tensor(fn(_PROBE_X)), _PROBE_X.shape), "the augmentation")]


def _probe_objective(kind: str) -> Callable[[Callable[..., Any]], list[Any]]:
    """The probe of an RL or generative objective: its value and gradients on ``_OBJECTIVE_INPUTS``."""

    def probe(fn: Callable[..., Any]) -> list[Any]:
        inputs = [t.clone().requires_grad_(grad) for t, grad in _OBJECTIVE_INPUTS[kind]]
        value = torch.broadcast_to(torch.as_tensor(fn(*inputs)), inputs[0].shape).sum()
        wrt = [t for t in inputs if t.requires_grad]
        if not value.requires_grad:
            raise _probe_failure("the objective does not depend on the model")
        grads = torch.autograd.grad(value, wrt, allow_unused=True)
        return [_finite(value, "the objective"),
                *(_finite(g if g is not None else torch.zeros_like(t), "the objective's gradient")
                  for g, t in zip(grads, wrt, strict=True))]

    return probe


_PROBES = {"activation": _probe_activation, "loss": _probe_loss, "optimizer": _probe_optimizer,
           "schedule": _probe_schedule, "augment": _probe_augment,
           **{kind: _probe_objective(kind) for kind in _OBJECTIVE_INPUTS}}


DEFAULT_FIT = FitOptions()


class ProgramEvaluator:
    """Scores programs on one task for the GP engine: ``fingerprint`` then ``evaluate``."""

    def __init__(self, task: Task, task_name: str, spec: GrammarSpec, settings: Settings,
                 evolving_kinds: frozenset[str], hurdle_epochs: int = 1, cache_size: int = 2048,
                 fit: FitOptions | None = None) -> None:
        self.task = task
        self.task_name = task_name
        self.spec = spec
        self.settings = settings
        self.evolving_kinds = evolving_kinds
        self.hurdle_epochs = hurdle_epochs
        self._compiled: OrderedDict[str, Compiled | Interpreted] = OrderedDict()
        self._cache_size = cache_size
        self._data = arrays(task)
        self.fit = fit  # formulas: constant fitting before scoring (None, the default: score as written)

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

    def _build(self, program: Program) -> Compiled | Interpreted:
        """The fast path's interpreted IR for a cheap task (no code generated or compiled), else code."""
        return interpret(program, self.spec) if self.cheap else compile_program(program, self.spec)

    def compile(self, program: Program, key: str) -> Compiled | Interpreted:
        """The program ready to run, cached by key: interpreted from the IR when :attr:`cheap`, else
        generated code; raises :class:`MlevError` when it cannot run or does not fit the task."""
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._build(program)
            check_task_fits(compiled, self.task, self.task_name)
            self._compiled[key] = compiled
            if len(self._compiled) > self._cache_size:
                self._compiled.popitem(last=False)
        return compiled

    def fingerprint(self, program: Program, key: str) -> tuple[str | None, Failure | None]:
        """(fingerprint, None), (None, None) when there is no cheap probe, or (None, failure)."""

        def probe() -> list[Any] | None:
            compiled = self.compile(program, key)
            if isinstance(compiled, Interpreted):  # no torch, and draws only from the runtime's own generators
                with np.errstate(all="ignore"):
                    return self._probe(program, compiled)
            with torch.no_grad() if compiled.regime.probe != "components" else torch.enable_grad(), \
                    np.errstate(all="ignore"), runtime.seeded(self.settings.seed):
                return self._probe(program, compiled)

        parts, failure = guarded(probe, "probe")
        if failure is not None:
            return None, Failure(failure.reason, "probe")
        return (None if parts is None else _digest(parts)), None

    def _probe(self, program: Program, compiled: Compiled | Interpreted) -> list[Any] | None:
        """What the program computes on the probe inputs of its regime (``Regime.probe``)."""
        probes = {"points": self._probe_points, "learning": self._probe_learning,
                  "components": self._probe_components}
        return probes[compiled.regime.probe](program, compiled)

    def _probe_points(self, program: Program, compiled: Compiled | Interpreted) -> list[Any]:
        """A formula's outputs on the training points."""
        x = np.asarray(self._data["x_train"], np.float64)
        return [_finite(np.broadcast_to(instantiate(compiled)(*x.T), x.shape[:1]), "the formula")]

    def _probe_learning(self, program: Program, compiled: Compiled | Interpreted) -> list[Any]:
        """A learner's predictions on 10 validation examples after 10 training examples of each task:
        the predictions themselves, as AutoML-Zero hashes them (a fitness alone collides)."""
        small = {**self._data, "x_train": self._data["x_train"][:, :10], "y_train": self._data["y_train"][:, :10],
                 "x_val": self._data["x_val"][:, :10], "y_val": self._data["y_val"][:, :10]}
        learner = instantiate(compiled, int(self._data["x_train"].shape[-1]))
        return [_finite(runtime.learner_predictions(small, learner, seed=self.settings.seed),
                        "the learner's predictions")]

    def _probe_components(self, program: Program, compiled: Compiled | Interpreted) -> list[Any] | None:
        """Each component on fixed probe tensors; None (no cheap probe) when a model evolves."""
        if "model" in self.evolving_kinds or isinstance(compiled, Interpreted):
            return None
        names = namespace(compiled)
        parts: list[Any] = []
        unused = _unused_activations(program)
        for d in program.definitions:
            probe = _PROBES.get(d.kind)
            if probe is not None and d.name not in unused:
                parts.extend(probe(names[py_name(d.name)]))
        return parts

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
        return evaluate_compiled(compiled, self.scoring_task(key), settings)

    def _evaluate_fitted(self, program: Program, compiled: Compiled | Interpreted, settings: Settings) -> Outcome:
        """A formula: fit its constants (``interpreter.fit``), then score the fitted program, which
        comes back as ``Outcome.program``; ``fit_evaluations`` counts the formula evaluations spent."""
        assert self.fit is not None
        x, y = formula_points(self._data)
        fit = self.fit
        fitted, failure = guarded(lambda: fit_formula(program, self.spec, x, y, fit), "fitting")
        if failure is not None or fitted is None:
            return Outcome({}, failure)
        if fitted.program is not program:
            compiled = self._build(fitted.program)
        outcome = evaluate_compiled(compiled, self.task, settings)
        if outcome.failure is not None:
            return outcome
        # Always the program as scored (changed or not), so a cache hit and a replayed run agree on it.
        return Outcome({**outcome.metrics, "fit_evaluations": fitted.evaluations}, None, outcome.seconds,
                       format_program(fitted.program), fitted.program)

    def scoring_task(self, key: str) -> Task:
        """The task a candidate is scored on: the run's task, or for a learner family with ``fresh=1``
        tasks drawn anew from the family, seeded by the run's seed and the candidate's key
        (:func:`fresh_seed`): deterministic, hence resumable and cacheable, yet no program can gain
        by fitting the particular tasks of the run (a memoriser's luck does not pass to its children)."""
        if isinstance(self.task, Family) and self.task.fresh:
            return load_task(self.task_name, fresh_seed(self.settings.seed, key))
        return self.task


def fresh_seed(seed: int, key: str) -> int:
    """The seed of a candidate's fresh tasks: 63 bits of BLAKE2b over the run's seed and its key."""
    digest = hashlib.blake2b(f"{seed}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1
