"""What evaluating a program gives, and how results are put to people.

:class:`Outcome` (metrics, or a failure recorded as data) is shared by the interpreter, which
produces outcomes, and the GP engine and archive, which consume and store them.  The rest reads
outcomes for people, from the metrics dict alone (no evaluator is imported): which metric the
fitness is (:func:`fitness_metric`), a scale-free companion (R²), a comparison of the best program
with the starting one, the spread of the gain over re-evaluation seeds, strict JSON, and the one
function through which every program shown to a person passes (:func:`shown_program`).  It depends
only on the language package (for :func:`shown_program`) and on the rule of a metric shown as text
(:mod:`mlevolve.interpreter.standalone.shown`, standard library only, which exported scripts carry), so
neither side needs the other's imports.

The one failure policy lives here: :func:`guarded` runs any step of scoring a candidate (a probe,
a training, a worker's request) and turns whatever the candidate raises into a :class:`Failure`;
only ``KeyboardInterrupt`` and ``SystemExit`` pass.  :func:`dumps` is the one JSON writer: strict
(no ``NaN``/``Infinity`` tokens), a non-finite number written as ``null`` and named under
``"non_finite"`` beside it.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Generic, TypeVar

from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Definition, Expr, Program
from mlevolve.interpreter.standalone.shown import METRIC_DIGITS as METRIC_DIGITS  # the rule of a metric as text
from mlevolve.interpreter.standalone.shown import shown_metric as shown_metric
from mlevolve.interpreter.standalone.spec import TaskError, split_spec

T = TypeVar("T")

SOURCES = ("evaluated", "cache", "fec", "hurdle", "probe", "failed")
"""Where a finished candidate's outcome came from (``failed``: any of them, failing), each counted in a run's summary
(:meth:`mlevolve.gp.record.RunRecord.summary`, :func:`mlevolve.report.summary.lines`)."""

TIE_RTOL = 1e-9
"""Two results closer than this, relative to the larger magnitude, are a tie, not a gain: float rounding
(another summation order, BLAS build or thread count) moves a metric in its last bits, 1e-16 relative
for one rounding and far below 1e-9 for the sums of a training.  The one tolerance of every verdict
(a meta-generation beating the base grammar, the evidence's ranks); a run's best against its start needs more,
:data:`GAIN_RTOL`."""

GAIN_RTOL = 1e-5
"""The least gain, relative to the larger magnitude (at the metric's tie scale, :meth:`Metric.tie_scale`), that a
verdict of a run's best against its start calls "better" (:meth:`Metric.gained`): a model trains in float32 (about
6e-8 relative per rounding, 1e-6 or more over a sum of thousands of terms) and a fit of constants stops at a
tolerance, so a gain of 2.9e-6 in train_r2 read "better than the start" for one within rounding.  Below it the
verdict says "no better than the start", with the gain and this threshold."""

NOISE_LEVEL = 0.05
NOISE_EXAMPLES = next(k for k in range(1, 64) if 2 * 0.5**k < NOISE_LEVEL)  # 6
"""The fewest examples an accuracy's gain must count for a verdict of a run's best against its start to call it
"better" (:func:`within_noise`), where the split's size is known: the verdict knows the two accuracies alone, and a
gain of k examples is at most k examples the best gets right and the start wrong with none the other way, which an
exact two-sided McNemar test (a binomial test of k successes in k trials at 1/2) gives p = 2 * 0.5**k: 0.0625 for 5,
0.031 for 6.  So a gain of fewer than 6 examples is within sampling noise at 95% (:data:`NOISE_LEVEL`) however
the examples split ("1 more of 359 validation examples right" read "better than the start", a fresh user's pass);
one of 6 or more may be noise too, where more examples changed sides: ``--confirm N`` gives its spread."""


ERROR_FLOOR = 1e-12
"""The least magnitude an unbounded metric (an error, a loss, a return) is compared at: below it two
values tie up to ``TIE_RTOL * ERROR_FLOOR`` (1e-21) absolute, so that an MSE of 1e-300 is no gain over
0 (both are exact fits, up to rounding; on targets of order 1 rounding leaves an MSE near 1e-32).
An MSE whose split's target variance is known is compared at that variance instead, the scale on
which its R² ties (:meth:`Metric.tie_scale`)."""

_BOUNDED = ("r2", "accuracy", "auc")  # at most 1, with differences of order 1: compared at scale 1
# A negative log-likelihood per example (nats): no natural zero (a density's is negative where it exceeds 1), so a
# ratio of two values means nothing; their difference d is the log of a likelihood ratio, exp(d) per example.
_LOG_LIKELIHOOD = ("nll",)


def _apart(x: float, other: float | None, digits: int = METRIC_DIGITS) -> str:
    """``x`` to ``digits`` significant digits, or as many more (up to 17) as tell it from ``other``."""
    while other is not None and other != x and digits < 17 and f"{x:.{digits}g}" == f"{other:.{digits}g}":
        digits += 1
    return shown_metric(x, digits)


def tied(a: float, b: float, scale: float = 0.0) -> bool:
    """Whether ``a`` and ``b`` are the same result up to :data:`TIE_RTOL`: ``|a - b| <= TIE_RTOL * max(|a|,
    |b|, scale)``.  ``scale``: the magnitude of what ``a`` and ``b`` were computed from where they are
    differences (a gain in AUC, whose AUCs are at most 1: ``scale=1``), so that a gain of 1e-15 over
    0 is a tie; 0 for plain values (relative only)."""
    return abs(a - b) <= TIE_RTOL * max(abs(a), abs(b), scale)


def shown_order(items: Sequence[T], fitness: Callable[[T], float], size: Callable[[T], int],
                scale: Callable[[T], float]) -> list[T]:
    """``items`` (ranked best first) in the order they are shown to people: a run of items each tied
    (:func:`tied`, at ``scale`` of the run's first item: :meth:`Metric.tie_scale`) with the first of the
    run is one rank, listed smallest first (ties to the earlier).  Display only: what a search selects
    and keeps (its hall of fame, its own best) is ranked by fitness alone."""
    out: list[T] = []
    i = 0
    while i < len(items):
        anchor = items[i]
        j = i + 1
        while j < len(items) and tied(fitness(items[j]), fitness(anchor), scale(anchor)):
            j += 1
        out += sorted(items[i:j], key=size)  # stable: equal sizes keep their rank
        i = j
    return out


def shown_scale(metrics: Mapping[str, Any]) -> float:
    """The ``scale`` of :func:`shown_order` for a program scored with ``metrics``: its fitness metric's
    :meth:`Metric.tie_scale` (without the targets' variances, which a search and an archive row lack)."""
    return fitness_metric(metrics).tie_scale()


class ShownBest(Generic[T]):
    """The first item of :func:`shown_order`, kept as items arrive one at a time (in the order of their
    rank's tie-breaker: a run's candidates by sequence number), so that a search names the program that
    ``best``, ``show --best``, the report and ``export --best`` name: among the items tied with the
    fittest (the earliest of the highest fitness, the anchor), the smallest, ties to the fitter, then to
    the earlier.  ``ident``: the key of an item that may arrive again (a program's hash: a cache hit),
    entered once.  O(items tied with the anchor) memory: a new anchor drops those no longer tied."""

    def __init__(self, fitness: Callable[[T], float], size: Callable[[T], int], scale: Callable[[T], float],
                 ident: Callable[[T], Any]) -> None:
        self.fitness, self.size, self.scale, self.ident = fitness, size, scale, ident
        self.anchor: T | None = None
        self.best: T | None = None
        self._near: dict[Any, T] = {}  # the items tied with the anchor, by ident, in arrival order
        self._scale = 0.0

    def _key(self, item: T) -> tuple[int, float]:
        return self.size(item), -self.fitness(item)

    def add(self, item: T) -> None:
        """Enter ``item`` (a finite fitness)."""
        f = self.fitness(item)
        anchor = self.anchor
        if anchor is None or f > self.fitness(anchor):
            self.anchor, self._scale = item, self.scale(item)
            near = {k: v for k, v in self._near.items() if tied(self.fitness(v), f, self._scale)}
            near.setdefault(self.ident(item), item)
            self._near = near
            self.best = min(near.values(), key=self._key)  # the first of the least: the earliest
        elif tied(f, self.fitness(anchor), self._scale) and self.ident(item) not in self._near:
            self._near[self.ident(item)] = item
            assert self.best is not None
            if self._key(item) < self._key(self.best):
                self.best = item


@dataclass(frozen=True)
class Failure:
    """Why a candidate could not be scored: ``reason`` (what) and ``where`` (when, in which phase)."""

    reason: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.reason} ({self.where})" if self.where else self.reason


@dataclass(frozen=True)
class Outcome:
    """Metrics of a run; ``fitness`` is higher-is-better, ``-inf`` for a failure."""

    metrics: dict[str, Any] = field(default_factory=dict)
    failure: Failure | None = None
    seconds: float = 0.0
    program: str | None = None  # the program as scored, when scoring rewrote it (a formula's fitted constants)
    # ``program`` as IR, where the scorer has it (so that no one parses the text back); never compared
    parsed: Program | None = field(default=None, compare=False, repr=False)
    # a body of ``parsed`` known to be a fixpoint of the simplifier (a fitted formula's folded one:
    # ``interpreter.fit.Fitted.simple``), which its simplified text need not walk again; never compared
    simple: Expr | None = field(default=None, compare=False, repr=False)
    # the evolved slots' simplified size of the candidate whose scoring wrote ``program`` (set by the engine): a
    # cache or FEC hit's archive row shows that program, so it gives that size; never compared
    size: int | None = field(default=None, compare=False, repr=False)

    @property
    def fitness(self) -> float:
        return float("-inf") if self.failure else float(self.metrics["fitness"])

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.metrics)
        out["failure"] = None if self.failure is None else {"reason": self.failure.reason,
                                                            "where": self.failure.where}
        return out


# An allocator's words, and the dynamic loader's for a library it could not map (an ImportError or OSError: a lazy
# import under the limit, as a large model's first probe imports torch._dynamo).
_OUT_OF_MEMORY = ("can't allocate memory", "cannot allocate memory", "out of memory",
                  "failed to map segment from shared object")
OUT_OF_MEMORY = "out of memory (over the memory limit)"
"""The reason of a candidate that ran past the memory limit (:func:`failure_of`); where the limit is known, it is
named (:func:`over_memory`)."""


def over_memory(limit: int) -> str:
    """The reason of a candidate that ran past a memory limit of ``limit`` bytes, with the flag that sets it (as a
    timeout's names ``--timeout``): ``out of memory (over --memory-limit 0.05 GiB)``."""
    return f"out of memory (over --memory-limit {limit / 2**30:.4g} GiB)"


def is_out_of_memory(reason: str) -> bool:
    """Whether ``reason`` is :data:`OUT_OF_MEMORY` or an :func:`over_memory`'s."""
    return reason == OUT_OF_MEMORY or reason.startswith("out of memory (over --memory-limit ")


def failure_of(err: BaseException, where: str) -> Failure:
    """The :class:`Failure` an exception raised while scoring a candidate stands for.

    A ``CandidateFailure`` of the runtime (anything with ``reason``) keeps its reason and place;
    running out of memory (``MemoryError``, or an allocator's error under the memory limit) says so;
    the library's error (:class:`~mlevolve.dsl.errors.MlevError`) is its type and message, without its place: a
    candidate scored in process is the coordinator's IR, whose nodes kept from the starting program carry places in
    that file's text (not the candidate's), and one a worker rebuilt from the wire (:mod:`mlevolve.gp.wire`) has
    none, so the reason is the same from every backend; any other exception is its type and the first line of its
    message.
    """
    reason = getattr(err, "reason", None)
    if isinstance(reason, str):
        return Failure(reason, getattr(err, "where", "") or where)
    said = err.message if isinstance(err, MlevError) else str(err)  # (an MlevError's str: its place, line, caret)
    text = said.splitlines()[0] if said else ""
    if isinstance(err, MemoryError) or any(m in text.lower() for m in _OUT_OF_MEMORY):
        return Failure(OUT_OF_MEMORY, where)
    return Failure(f"{type(err).__name__}: {text}", where)


def counted_source(source: str, failed: bool) -> str:
    """The step a candidate is counted under (the archive's ``source``, the run's counts): ``source``, the step that
    answered it, except that a candidate ``failed`` in the hurdle's short training (it raised, or its fitness is not
    finite) is a training's failure, counted as ``evaluated`` (and failed) as one in the full training is; ``hurdle``
    counts the candidates the hurdle's threshold stopped, each of which has a fitness.  A failure in the hurdle was
    counted as both a hurdle and a failure."""
    return "evaluated" if failed and source == "hurdle" else source


def guarded(step: Callable[[], T], where: str) -> tuple[T | None, Failure | None]:
    """``(step(), None)``, or ``(None, failure)`` when the step raises: the one guard around every
    step of scoring a candidate, in every process.  ``KeyboardInterrupt`` and ``SystemExit`` pass, also
    one that C code turned into another error (:func:`_interrupt_in`)."""
    try:
        return step(), None
    except Exception as err:  # whatever the candidate raises is its failure, not the run's
        stop = _interrupt_in(err)
        if stop is not None:  # Ctrl-C, which C code it landed in turned into another error: a stop still
            raise stop from None
        return None, failure_of(err, where)


def _interrupt_in(err: BaseException) -> BaseException | None:
    """The KeyboardInterrupt or SystemExit that ``err`` was raised from or while handling, if any: a C
    extension that calls Python code, where a signal handler's KeyboardInterrupt can be raised, may
    turn it into another error (numba boxing a result: ``SystemError: ... returned a result with an
    exception set``, the interrupt its ``__context__``)."""
    seen: set[int] = set()
    link: BaseException | None = err
    while link is not None and id(link) not in seen:
        if isinstance(link, (KeyboardInterrupt, SystemExit)):
            return link
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return None


def finite_or_none(value: Any) -> Any:
    """``value`` as JSON can hold it: a non-finite float becomes None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value: Any, **kwargs: Any) -> str:
    """Strict JSON text of ``value`` (``allow_nan=False``).  Each non-finite float becomes ``null``
    and, in a top-level object, its key path is listed under ``"non_finite"`` with its value's text
    (``"inf"``, ``"-inf"``, ``"nan"``) as the reason."""
    found: dict[str, str] = {}
    root: list[Any] = [None]
    stack: list[tuple[Any, list[Any] | dict[Any, Any], Any, str]] = [(value, root, 0, "")]
    while stack:  # iterative: nested lists and dicts of any depth
        item, parent, slot, path = stack.pop()
        if isinstance(item, dict):
            out: dict[Any, Any] = dict.fromkeys(item)  # keys in their order; values filled below
            parent[slot] = out
            stack.extend((v, out, k, f"{path}.{k}" if path else str(k)) for k, v in item.items())
        elif isinstance(item, list | tuple):
            seq: list[Any] = [None] * len(item)
            parent[slot] = seq
            stack.extend((v, seq, i, f"{path}[{i}]") for i, v in enumerate(item))
        elif isinstance(item, float) and not math.isfinite(item):
            parent[slot] = None
            found[path] = str(item)
        else:
            parent[slot] = item
    clean = root[0]
    if found and isinstance(clean, dict):
        clean["non_finite"] = dict(sorted(found.items()))
    return json.dumps(clean, allow_nan=False, **kwargs)


# -- what a person is shown about a run: the metric, the start, the gain -----------------------------------
# Keys of a metrics dict that are bookkeeping, not a measure of the program.
NOT_MEASURES = frozenset({"fitness", "quick_fitness", "hurdle", "train_seconds", "seconds", "params", "steps"})
SPLITS = {"train": "training", "val": "validation", "test": "test"}
_LOWER_IS_BETTER = ("mse", "rmse", "mae", "loss", "nll", "error", "regret")


@dataclass(frozen=True)
class Metric:
    """The measure behind a run's fitness: its key in the metrics dict, its direction and its split.

    ``split`` is ``training``, ``validation`` or ``test`` (from the key's ``train_``/``val_``/``test_``
    prefix), or None when the key names none.
    """

    name: str
    higher_is_better: bool = True
    split: str | None = None

    @property
    def stem(self) -> str:
        """The name without its split prefix: ``mse`` for ``val_mse``."""
        head, _, rest = self.name.partition("_")
        return rest if head in SPLITS and rest else self.name

    @property
    def bounded(self) -> bool:
        """Whether the metric is at most 1, perfect at 1 (an R², accuracy or AUC); else an error, perfect at 0."""
        return self.stem in _BOUNDED

    @property
    def direction(self) -> str:
        return "higher is better" if self.higher_is_better else "lower is better"

    def on(self, prefix: str) -> str:
        """The key of the same measure on another split: ``test_mse`` for ``val_mse`` and ``test``."""
        return f"{prefix}_{self.stem}"

    def better(self, a: float, b: float) -> bool:
        """Whether value ``a`` is strictly better than ``b``."""
        return a > b if self.higher_is_better else a < b

    def tie_scale(self, variances: Mapping[str, float] | None = None) -> float:
        """The magnitude below which two values of this metric are compared absolutely (``scale`` of
        :func:`tied`): 1 for an R², accuracy or AUC (values at most 1, so 0.0 and 2e-16 tie); for an
        MSE, the variance of its split's targets where ``variances`` (keyed by split prefix) has it
        (an MSE of ``TIE_RTOL * variance`` is an R² of ``TIE_RTOL``); else :data:`ERROR_FLOOR`."""
        if self.stem in _BOUNDED:
            return 1.0
        variance = (variances or {}).get(self.name.partition("_")[0]) if self.stem == "mse" else None
        return variance if variance is not None and variance > 0 and math.isfinite(variance) else ERROR_FLOOR

    def tied(self, a: float, b: float, variances: Mapping[str, float] | None = None) -> bool:
        """Whether values ``a`` and ``b`` of this metric are the same result (:func:`tied` at :meth:`tie_scale`)."""
        return tied(a, b, self.tie_scale(variances))

    def gained(self, a: float, b: float, variances: Mapping[str, float] | None = None) -> bool:
        """Whether value ``a`` (a best) is better than ``b`` (its start) by more than :data:`GAIN_RTOL` of the larger
        magnitude at :meth:`tie_scale`: the gain a verdict calls "better"."""
        return self.better(a, b) and abs(a - b) > GAIN_RTOL * max(abs(a), abs(b), self.tie_scale(variances))

    def describe(self, reads: str | None = None) -> str:
        """The metric for people: its name, split and direction; ``reads``: what it measures, where its name
        does not say (:func:`fitness_reads`)."""
        # an RL task has no split: its returns are of greedy episodes of their own seeds ("val_return on the
        # validation split" read as if the agent had been scored on held-out data)
        where = f" on the {self.split} {'episodes' if self.name.endswith('_return') else 'split'}" if self.split else ""
        return f"{self.name}{where}{f': {reads}' if reads else ''} ({self.direction})"


def fitness_metric(metrics: Mapping[str, Any]) -> Metric:
    """The metric a fitness is: the measure in ``metrics`` equal to ``fitness`` (higher is better) or to
    its negation (lower is better), preferring validation, then training, then unprefixed keys, test last.

    Read from the values alone, so whatever an evaluator reports (``val_accuracy``, ``val_mse``,
    ``train_mse``, ``val_return``...) is named as it is; ``Metric("fitness")`` when none matches.
    """
    fitness = metrics.get("fitness")
    if not isinstance(fitness, int | float) or isinstance(fitness, bool):
        return Metric("fitness")
    order = {"val": 0, "train": 1, "test": 3}
    keys = sorted((k for k, v in metrics.items() if k not in NOT_MEASURES and isinstance(v, int | float)
                   and not isinstance(v, bool)), key=lambda k: order.get(k.partition("_")[0], 2))
    for key in keys:
        value = float(metrics[key])
        up, down = value == fitness, value == -fitness
        if up or down:
            lower = down and (not up or any(key.endswith(s) for s in _LOWER_IS_BETTER))
            return Metric(key, not lower, SPLITS.get(key.partition("_")[0]) if "_" in key else None)
    return Metric("fitness")


def r_squared(mse: float, variance: float | None) -> float | None:
    """The coefficient of determination ``1 - MSE / Var(y)`` of a split (None without a variance)."""
    if variance is None or not variance > 0 or not math.isfinite(mse):
        return None
    return 1.0 - mse / variance


def r2_beside(metrics: Mapping[str, Any], variances: Mapping[str, float] | None) -> dict[str, Any]:
    """``metrics`` with ``SPLIT_r2`` (:func:`r_squared` of the split's target ``variances``, a run's archive's) after
    each ``SPLIT_mse`` that has none: an archived candidate's metrics as ``mlevolve run`` and its exported script
    report them (:func:`mlevolve.interpreter.standalone.common.with_r2`, the same R²), for ``best``, ``show`` and
    the report."""
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        out[key] = value
        split = key.removesuffix("_mse")
        if key.endswith("_mse") and f"{split}_r2" not in metrics and isinstance(value, int | float) \
                and (r2 := r_squared(float(value), (variances or {}).get(split))) is not None:
            out[f"{split}_r2"] = r2
    return out


def scale_free(metric: Metric, metrics: Mapping[str, Any], variances: Mapping[str, float] | None = None,
               prefix: str | None = None) -> tuple[str, float] | None:
    """A scale-free companion of an MSE metric: R² on the same split (``prefix``: another split).

    Taken from the metrics when the evaluator reports it (``val_r2`` or ``r2``), else computed from the
    MSE and the variance of the split's targets (``variances``, keyed by split prefix).  None for a
    metric that is not an MSE or a split without targets, and for an R² metric (already scale-free).
    """
    if metric.stem == "r2":
        return None
    head = prefix or metric.name.partition("_")[0]
    for key in (f"{head}_r2", "r2") if prefix is None else (f"{head}_r2",):
        value = metrics.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return key, float(value)
    if metric.stem != "mse":
        return None
    mse = metrics.get(metric.on(head) if head in SPLITS else metric.name)
    r2 = r_squared(float(mse), (variances or {}).get(head)) if isinstance(mse, int | float) else None
    return None if r2 is None else (f"{head}_r2" if head in SPLITS else "r2", r2)


def within_noise(metric: Metric, a: float, b: float, examples: int | None) -> bool:
    """Whether value ``a`` (a best) of an accuracy on ``examples`` examples (None: not known) is better than ``b``
    (its start) by fewer than :data:`NOISE_EXAMPLES` examples: a gain within sampling noise."""
    return bool(examples) and metric.stem == "accuracy" and metric.better(a, b) \
        and round(abs(a - b) * (examples or 0)) < NOISE_EXAMPLES


def beats(metric: Metric, a: float, b: float, examples: int | None = None,
          variances: Mapping[str, float] | None = None) -> bool:
    """Whether value ``a`` is better than ``b`` beyond noise: by more than :data:`GAIN_RTOL` (:meth:`Metric.gained`)
    and, for an accuracy on ``examples`` examples (None: not known), by :data:`NOISE_EXAMPLES` or more
    (:func:`within_noise`).  The one rule of a gain: an answer's ``better`` and each ``--confirm`` seed's count
    (:func:`spread`), either way round."""
    return metric.gained(a, b, variances) and not within_noise(metric, a, b, examples)


def difference(name: str, diff: float, digits: int = 4) -> str:
    """A difference of metric ``name`` (best minus start), worded as one, never as a value: ``fitness 0.4598 lower``,
    ``val_mse 0.01 higher`` (``diff`` to ``digits`` significant digits; whether that is better is the sentence's)."""
    return f"{name} {abs(diff):.{digits}g} {'higher' if diff > 0 else 'lower'}"


def _gain_scale(metric: Metric, best: float, start: float, variances: Mapping[str, float] | None) -> str:
    """What :data:`GAIN_RTOL` (:meth:`Metric.gained`) and :data:`TIE_RTOL` (:meth:`Metric.tied`) are relative to in a
    verdict: the larger of the two values, or the metric's scale where that is larger (1 for a score at most 1; an
    MSE's split's target variance)."""
    scale = metric.tie_scale(variances)
    if max(abs(best), abs(start)) >= scale:
        return "relative to the larger value"
    if metric.stem in _BOUNDED:
        return "relative to 1, the score's scale"
    if scale != ERROR_FLOOR:
        return f"relative to the {metric.split + ' ' if metric.split else ''}targets' variance, {scale:.3g}"
    return f"relative to {scale:g}"


def verdict(metric: Metric, start: float | None, best: float | None, same_program: bool = False,
            examples: int | None = None, variances: Mapping[str, float] | None = None, *,
            perfect: bool = False, of_best: bool = True, written: tuple[str, float | None] | None = None,
            rule: tuple[str, float | None] | None = None) -> str:
    """One plain sentence comparing the best program found with the starting one; for an accuracy on
    ``examples`` examples, the gain also as a count of examples (a gain of 3 of 359 is easily noise).
    Values tied up to :data:`TIE_RTOL` at the metric's scale (:meth:`Metric.tie_scale`, from the
    targets' ``variances`` for an MSE) are no gain, and a gain within :data:`GAIN_RTOL`, or an accuracy's of fewer
    than :data:`NOISE_EXAMPLES` examples (within sampling noise, :func:`within_noise`), is "no better".  A worse
    program's loss is weighed where the metric has a
    scale to take a factor on: an error by its factor (an MSE 3 times the start's), a score that is perfect at 1
    (an accuracy, R², AUC, or ``perfect``: a fitness that reads so, :func:`fitness_reads`) by its distance from 1
    (accuracy 0.952 against 0.976 is 2 times the start's ``1 - accuracy``), a negative log-likelihood per example
    by the likelihood ratio its difference is (``exp(d)`` for ``d`` nats: it has no natural zero, and can be
    negative, so a ratio of two values means nothing), anything else by its difference relative to the larger
    value; WORSE beyond 5% (and wherever the start was perfect), else slightly worse.
    ``of_best``: the program is the run's best, so that a worse one means the start beats everything the run
    found and a tie that nothing found beat it (else the sentence is of this program alone).
    ``written``: the start was scored with its literals tuned (or a formula's fitted), as every candidate is: what
    was done and the start's value as written (None: it fails so); a verdict that is not a gain then says what it
    compares with, both values (``no gain: nothing found beat the starting program with its literals tuned
    (val_mse 1.4414; as written 1.6315)``), since the best may be far better than the file's program as written.
    ``rule``: the program is the run's answer by a ``--select`` rule that passed over a fitter one: the rule's name
    and the fittest's value; the sentence then names the answer, not "the best found", and a verdict that is not a
    gain adds what the fittest beat the start by, which the rule does not count (``no gain: the answer (--select
    best) scores the same as the starting program; the fittest beat it by train_r2 1.2e-05, which --select best
    does not count``)."""
    if best is None:
        return "no candidate was scored"
    if start is None:
        return "the starting program could not be scored, so there is nothing to compare with"
    diff = best - start
    tuned = "" if written is None else f" with {written[0]} ({metric.name} {_apart(start, written[1])}; " + (
        "as written it fails)" if written[1] is None else f"as written {_apart(written[1], start)})")
    answer = f"the answer (--select {rule[0]})" if rule is not None else None
    passed = "" if rule is None or rule[1] is None or not metric.better(rule[1], start) or \
        metric.tied(rule[1], start, variances) else \
        f"; the fittest beat it by {metric.name} {abs(rule[1] - start):.4g}, which --select {rule[0]} does not count"
    of_best = of_best and rule is None  # an answer the rule chose over a fitter program is not the run's best
    if same_program or metric.tied(best, start, variances):
        gain = diff if metric.higher_is_better else -diff  # a gain by the metric's direction: a lower error is +
        rounding = f" (a gain of {gain:+.2g}, within float rounding: {TIE_RTOL:g} " \
            f"{_gain_scale(metric, best, start, variances)})" if diff else ""
        if same_program:
            return f"no gain: {answer + ' is' if answer else 'nothing found beat' if of_best else 'it is'} " \
                f"the starting program{tuned}{passed}"
        return f"no gain: {answer or ('the best found' if of_best else 'it')} scores the same as the starting " \
            f"program{tuned}{rounding}{passed}"
    size = difference(metric.name, diff)
    if examples and metric.stem == "accuracy":
        size += f", {abs(round(diff * examples)):,} {'more' if diff > 0 else 'fewer'} of {examples:,}" \
                f"{' ' + metric.split if metric.split else ''} examples right"
    if metric.gained(best, start, variances) and within_noise(metric, best, start, examples):
        return f"no better than the start{tuned} ({size}: fewer than {NOISE_EXAMPLES}, within sampling noise)" \
            f"{passed}"
    if metric.gained(best, start, variances):
        return f"better than the start ({size})"
    if metric.better(best, start):  # a gain within float32 rounding and fitting tolerance
        return f"no better than the start{tuned} ({size}, within the {GAIN_RTOL:g} relative a gain must exceed: " \
            f"{_gain_scale(metric, best, start, variances)}){passed}"
    at_one = metric.bounded or perfect  # a score perfect at 1: its error is 1 - it
    error = (start, best) if not metric.higher_is_better else (1.0 - start, 1.0 - best) if at_one else None
    factor, times = "", 1.0 + abs(diff) / max(abs(start), abs(best))
    if metric.stem in _LOG_LIKELIHOOD:  # nats: the start's likelihood over the best's, per example
        times = math.exp(abs(diff)) if abs(diff) <= 709.0 else math.inf  # (exp overflows past 709.78)
        ratio = f"{times:.3g}" if math.isfinite(times) else f"e^{abs(diff):.4g}"
        factor = f", the start's likelihood {ratio} times the best's per example"
    elif error is not None and error[0] > 0 and error[1] > 0:
        times = error[1] / error[0]
        shown = next(t for k in range(3, 18) if (t := f"{times:.{k}g}") != "1" or k == 17)  # never "1 times"
        factor = f", {shown} times the start's {'1 - ' if metric.higher_is_better else ''}{metric.name}"
    elif error is not None and error[0] == 0:  # the start was perfect
        times, factor = math.inf, f", where the start's {metric.name} was perfect"
    beaten = ": the starting program beats everything this run found" if of_best else ""
    return f"WORSE than the start{tuned} ({size}{factor}){beaten}{passed}" if times > 1.05 else \
        f"slightly worse than the start{tuned} ({size}{factor}){passed}"


def spread(metric: Metric, pairs: Sequence[tuple[float | None, float | None]],
           variances: Mapping[str, float] | None = None, examples: int | None = None) -> dict[str, Any]:
    """The gain (best minus start, in the metric's units) over re-evaluation seeds: mean, sample standard
    deviation, on how many seeds the best was better (:func:`beats`: beyond :data:`GAIN_RTOL` and, for an accuracy
    on ``examples`` examples, :data:`NOISE_EXAMPLES`) and on how many the two tied (neither beats the other: a
    difference within noise, either way, as a verdict's "no better").
    ``pairs``: (start, best) per seed, None for a failure (left out of the statistics, counted in ``failed``)."""
    both = [(s, b) for s, b in pairs if s is not None and b is not None]
    gains = [b - s for s, b in both]
    better = sum(beats(metric, b, s, examples, variances) for s, b in both)
    ties = sum(not beats(metric, b, s, examples, variances) and not beats(metric, s, b, examples, variances)
               for s, b in both)
    return {"seeds": len(pairs), "failed": len(pairs) - len(gains),
            "gain_mean": statistics.fmean(gains) if gains else None,
            "gain_sd": statistics.stdev(gains) if len(gains) > 1 else None, "better_on": better, "tied_on": ties}


def _number(metrics: Mapping[str, Any] | None, key: str) -> float | None:
    value = (metrics or {}).get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _side(metric: Metric, metrics: Mapping[str, Any] | None, variances: Mapping[str, float]) -> dict[str, Any]:
    """One program's numbers: the metric, its scale-free companion, and the same measure on the test split."""
    out: dict[str, Any] = {"value": _number(metrics, metric.name)}
    companion = scale_free(metric, metrics, variances) if metrics else None
    out["scale_free"] = None if companion is None else {"name": companion[0], "value": companion[1]}
    test_key = metric.on("test")
    if metric.split not in (None, "test") and test_key in (metrics or {}):
        test_r2 = scale_free(metric, metrics or {}, variances, "test")
        out["test"] = {"name": test_key, "value": _number(metrics, test_key),
                       "scale_free": None if test_r2 is None else {"name": test_r2[0], "value": test_r2[1]}}
    else:
        out["test"] = None
    return out


def held_out(metric: Metric, sides: Mapping[str, Mapping[str, Any]], variances: Mapping[str, float]) -> str:
    """What a verdict of "better" adds where the best, better on the fitness's split (training or validation), is
    worse on the held-out test split beyond float rounding: "; yet worse on the held-out test split (test_r2
    0.999999973 against the start's 0.999999975)", the sign of a gain that fits noise; else ""."""
    best, start = sides["best"]["test"], sides["start"]["test"]
    if not best or not start or best["value"] is None or start["value"] is None:
        return ""
    test, b, s = Metric(best["name"], metric.higher_is_better, "test"), best["value"], start["value"]
    if not test.better(s, b) or test.tied(b, s, variances):
        return ""
    digits = next((d for d in range(4, 17) if f"{b:.{d}g}" != f"{s:.{d}g}"), 17)  # enough to tell them apart
    return f"; yet worse on the held-out test split ({test.name} {b:.{digits}g} against the start's {s:.{digits}g})"


FITNESS_READS = {  # a learner task's ``fitness=`` (interpreter.tasks; run_learner), where no metric names the score
    "relative": "1 - (2/pi) arctan(RMSE / RMS of the targets) of each validation task, averaged over the tasks; "
                "1 is perfect, predicting 0 scores 0.5",
    "squashed": "1 - (2/pi) arctan(RMSE) of each validation task, averaged over the tasks (AutoML-Zero's squashed "
                "error); 1 is perfect",
}


APART = "; each scored on tasks drawn for it (`--confirm N` scores both on the same tasks)"
"""What a verdict adds where the start and the program were each scored on a draw of tasks of its own."""
APART_CONFIRMED = "; each scored on tasks drawn for it (the spread scores both on the same tasks)"
"""The same, where ``--confirm`` re-evaluated both (the spread says what the same tasks give)."""


def drawn_per_candidate(task: object) -> bool:
    """Whether task spec ``task`` (a run's one name: :func:`~mlevolve.interpreter.tasks.canonical_spec`) draws its
    tasks afresh per candidate (``fresh=1``), so that two candidates' scores are of different tasks."""
    return spec_options_typed(task).get("fresh") == "1"


ONE_FILE = " (here one task, the data file's, its target standardised)"
"""What :data:`FITNESS_READS` adds on a user's data file, which a learner reads as one task, standardised
(docs/data.md)."""


def fitness_reads(task: object) -> str | None:
    """What a run's unnamed ``fitness`` measures on task spec ``task`` (its ``fitness=`` option, as
    :data:`FITNESS_READS` says it, and :data:`ONE_FILE` on a data file); None for any other task (the fitness is then
    a named metric's)."""
    reads = FITNESS_READS.get(spec_options_typed(task).get("fitness", ""))
    return reads + ONE_FILE if reads is not None and names_data_file(task) else reads


def names_data_file(task: object) -> bool:
    """Whether ``task`` is a spec naming a user's data file (:func:`~mlevolve.interpreter.tasks.is_data_file`); False
    for no spec or a malformed one."""
    from mlevolve.interpreter.tasks import is_data_file

    try:
        return isinstance(task, str) and is_data_file(task)
    except MlevError:
        return False


STANDARDISED = "of the target standardised with the train rows' mean and standard deviation; R² is unit-free"
"""What a learner's or network's MSE on a user's data file is of (docs/data.md: its features and a regression's target
are standardised with the train rows' mean and standard deviation; a formula's file is scored in its own units)."""


def mse_reads(metric: Metric, task: object, program: str | Program | None) -> str | None:
    """:data:`STANDARDISED` where ``metric`` is an MSE of ``program`` (its text or IR) on task spec ``task`` naming a
    user's data file and ``program`` holds no formula (whose data file keeps its units:
    :func:`mlevolve.interpreter.factory.load_task_for`); else None."""
    if metric.stem != "mse" or program is None or not names_data_file(task):
        return None
    formula = any(d.kind == "formula" for d in program.definitions) if isinstance(program, Program) \
        else re.search(r"^formula\s", program, re.M) is not None
    return None if formula else STANDARDISED


def spec_options_typed(task: object) -> dict[str, str]:
    """The options typed in task spec ``task`` (``NAME[:key=value...]``, by the spec's one reader,
    :func:`~mlevolve.interpreter.standalone.spec.split_spec`); none for no spec or a malformed one."""
    from mlevolve.interpreter.standalone.spec import TaskError, split_spec

    try:
        return split_spec(task)[1] if isinstance(task, str) else {}
    except TaskError:
        return {}


def as_written(start: Mapping[str, Any] | None) -> tuple[str, Mapping[str, Any] | None] | None:
    """Where the run scored its ``start`` (``mlevolve.api.search._start``'s record) with its literals tuned (a formula's
    fitted), as every candidate's: what was done and its metrics as written (None: it fails so), for
    :func:`answer`'s ``written``; else None (a start as written, or an archive that kept no such score)."""
    if start is None or not isinstance(start.get("tuned"), str) or "written_metrics" not in start:
        return None
    return start["tuned"], start["written_metrics"]


def answer(best: Mapping[str, Any] | None, start: Mapping[str, Any] | None, *,
           variances: Mapping[str, float] | None = None, sizes: Mapping[str, int] | None = None,
           same_program: bool = False,
           confirm: Sequence[tuple[float | None, float | None]] | None = None,
           task: object = None, of_best: bool = True, apart: bool = False,
           written: tuple[str, Mapping[str, Any] | None] | None = None,
           rule: tuple[str, Mapping[str, Any]] | None = None,
           program: str | Program | None = None) -> dict[str, Any]:
    """What a run found, in the terms of its metric: the answer a summary or report leads with.

    ``best`` and ``start``: the metrics dicts of the best program and of the starting program (None:
    not scored); ``variances``: the variance of the targets per split prefix (``val``, ``test``...),
    for R²; ``sizes``: the number of examples per split prefix (an accuracy's gain is also given in
    examples); ``same_program``: the best is the starting program; ``confirm``: (start, best) metric
    values per re-evaluation seed; ``task``: the run's task spec, which says what an unnamed ``fitness`` measures
    (:func:`fitness_reads`); ``of_best``: ``best`` is the run's best (:func:`verdict`'s); ``apart``: the two were
    scored on different tasks (drawn per candidate), which the verdict then says; ``written``: the start was scored
    with its literals tuned, what was done and its metrics as written (:func:`as_written`), which a verdict that is
    not a gain then gives (:func:`verdict`'s), and the start's side ``tuned`` and ``as_written`` (its value so, None
    where it fails); ``rule``: ``best`` is the run's answer by a ``--select`` rule that passed over a fitter program,
    the rule's name and the fittest's metrics (:func:`verdict`'s ``rule``); ``program``: the run's program (text or IR),
    which says where an MSE is of a standardised target (:func:`mse_reads`).  Returns the metric
    (name, split, direction, description), each side's value,
    scale-free companion and test value, the gain (best minus start), ``better`` (a gain beyond :data:`GAIN_RTOL`,
    :meth:`Metric.gained`, and an accuracy's beyond sampling noise, :func:`within_noise`) and ``tied`` (equal up to
    :data:`TIE_RTOL` at the metric's scale, :meth:`Metric.tie_scale`: no gain, however the gain's sign; neither: a
    loss, or a gain within the threshold or the noise),
    a one-sentence ``verdict``, and the ``confirm`` spread (see :func:`spread`) or None.
    """
    metric = fitness_metric(best or start or {})
    perfect = fitness_reads(task) if metric.name == "fitness" else None
    reads = perfect or mse_reads(metric, task, program)
    v = variances or {}
    sides = {"best": _side(metric, best, v), "start": _side(metric, start, v)}
    if written is not None:  # the start scored with its literals tuned: what was done, and its value as written
        sides["start"].update(tuned=written[0], as_written=_number(written[1], metric.name))
    b, s = sides["best"]["value"], sides["start"]["value"]
    n = (sizes or {}).get(metric.name.partition("_")[0])
    better = None if b is None or s is None else beats(metric, b, s, n, v)
    return {"metric": {"name": metric.name, "split": metric.split, "higher_is_better": metric.higher_is_better,
                       "description": metric.describe(reads)},
            **sides, "gain": None if b is None or s is None else b - s,
            "better": better,
            "tied": None if b is None or s is None else metric.tied(b, s, v),
            "verdict": verdict(metric, s, b, same_program, n, v,
                               perfect=perfect is not None, of_best=of_best,
                               written=None if written is None else (written[0], sides["start"]["as_written"]),
                               rule=None if rule is None else (rule[0], _number(rule[1], metric.name)))
            + (held_out(metric, sides, v) if better else "")
            + ((APART_CONFIRMED if confirm else APART) if apart and not same_program and b is not None
               and s is not None else ""),
            "confirm": None if not confirm else spread(metric, confirm, v, n)}


# -- the one way programs are shown to people ----------------------------------------------------------------
MODEL_SELECTIONS = ("accuracy", "best", "score")
"""The rules of choosing a formula of a front, PySR's (``model_selection``): see
:func:`mlevolve.report.data.selected`."""

DEFAULT_SELECTION = "best"
"""The rule a run's answer is chosen by where none is given: PySR's default pick.  The one setting: the commands'
``--select`` default and the API's ``select`` (``best``, ``show``, ``answer``, ``report``, ``export``) read it."""

SHOWN_DIGITS = 4
"""The significant digits of a literal in a program shown to people (``best``, ``show``, the report and
``evolve``'s summary; as PySR's ``print_precision``): a fitted constant's 17 digits read as ``-0.3837``.
The one setting: the commands' ``--digits N`` overrides it, ``--digits 0`` shows every digit.  What is
kept and run is never rounded: the archive, ``--json``'s ``best_program``, and ``export`` (whose script
and ``.mlev`` reproduce the run bit for bit, but for a task drawn per candidate: a draw of their own)."""


def rounded(program: Program, digits: int | None) -> Program:
    """``program`` with each float literal rounded to ``digits`` significant digits, for display only (a
    rounded program computes other values); ``program`` itself for ``digits`` None or 0, or where no
    literal changes.  Integer literals (sizes) are kept.  Iterative (:func:`mlevolve.dsl.traverse.fold`)."""
    from mlevolve.dsl.ir import Num, with_children
    from mlevolve.dsl.simplify import simplify_program
    from mlevolve.dsl.traverse import fold

    if not digits:
        return program

    def node(n: Any, kids: list[Any]) -> Any:
        if isinstance(n, Num) and not n.is_int:
            value = float(f"{float(n.value):.{digits}g}")  # (1.5e308 to 1 digit is 2e308, past the largest float:
            return n if value == n.value or math.isinf(value) else Num(value)  # shown as it is)
        return with_children(n, tuple(kids)) if any(a is not b for a, b in zip(kids, n.children(), strict=True)) else n

    return simplify_program(program, lambda e: fold(e, node))  # (each body mapped: the rounding, not a simplifier)


def simplified(program: Program) -> Program:
    """The program as shown to people: :func:`mlevolve.dsl.simplify.simplify_shown` of it (the cache key's
    rules, the exact laws kept for the shown form, and a learner's dead memory updates removed: the same
    values on every input, never larger), the one place where what is shown departs from what was stored."""
    from mlevolve.dsl.simplify import simplify_shown

    return simplify_shown(program)


def _uncommented(program: Program) -> Program:
    """``program`` without a hand-written comment: every comment field of it, its definitions and their methods
    (found by name, so that a field added later is cleared too: the header's, the parameters', inside body lines
    were kept before, each shown or not as the simplifier happened to leave its body unchanged)."""
    cleared: dict[str, Any] = {f.name: () for f in fields(Definition) if f.name.endswith(("comments", "trailing"))}

    def clean(d: Definition) -> Definition:
        return replace(d, **cleared, methods=tuple(clean(m) for m in d.methods))

    return replace(program, definitions=tuple(clean(d) for d in program.definitions), comments=(), footer=(),
                   trailing=(), task_comments=())


def shown_algebra(text: str, digits: int | None = None) -> str | None:
    """A program's formula as SymPy's algebra writes it (:func:`~mlevolve.interpreter.algebra.sympy_display`,
    its decimals to ``digits`` significant digits), where that reads otherwise than the formula as
    :func:`shown_program` shows it (``1.7 + 2.5 * ((x0 - x1 / x0 / 7.5) * x0)`` is ``2.5*x0**2 - 0.3333*x1 + 1.7``);
    None for a program without a formula, where the two read alike but for spaces, or where SymPy cannot write it
    (too deep, or a comparison it cannot decide: :data:`~mlevolve.interpreter.algebra.UNDECIDABLE`).  Algebra, not
    float64: a step undefined at some point (``x1 / x0 * x0`` at x0 = 0) may be gone from it."""
    from mlevolve.dsl.errors import MlevError
    from mlevolve.dsl.parse import parse
    from mlevolve.dsl.printer import format_expr
    from mlevolve.interpreter.algebra import UNDECIDABLE, formula_display, sympy_of

    program = parse(text, "<archive>")
    formula = next((d for d in program.definitions if d.kind == "formula"), None)
    if formula is None:
        return None
    body = rounded(simplified(program), digits).definitions[program.definitions.index(formula)].body
    assert body is not None  # a formula has one
    shown = format_expr(body)
    try:
        algebra = formula_display(formula, sympy_of(formula), digits)[0]
    except MlevError:  # too deep for SymPy: the program alone is shown
        return None
    except UNDECIDABLE:  # what SymPy cannot decide (a comparison of zoo): the program alone is shown
        return None
    return None if algebra.replace(" ", "") == shown.replace(" ", "") else algebra


ARCHIVE_CHANGED = "the archive was changed outside mlevolve, or is damaged"
"""Why an archived program's text no longer parses: the start of each reader's hint (:func:`parse_archived`)."""

SHOWN_ANEW = f"{ARCHIVE_CHANGED}: restore it from a copy, or run the search again with a new --db"
"""The hint of a command that shows or exports an archive's program (``best``, ``show``, ``report``, ``export``)."""


def archived_whose(seq: int, source: str) -> int | str:
    """How :func:`parse_archived` names the archived text of a shown row of candidate ``seq`` from ``source``: the
    candidate's (its seq), or for a pruned best (``source`` ``pruned``, shown under its candidate's seq) the archive's
    ``pruned`` record, where its text is kept (the candidate's own text is another program)."""
    return f"the pruned program of candidate #{seq} (the archive's pruned record)" if source == "pruned" else seq


def parse_archived(text: str, archive: str, whose: int | str | None = None, hint: str = SHOWN_ANEW) -> Program:
    """A program an archive holds, parsed: ``whose`` is candidate ``seq``'s (an int), a program named so (a str,
    say "the starting program", or a pruned best's: :func:`archived_whose`), or not known (None).

    Raises:
        MlevError: the text does not parse (an archive edited outside mlevolve, or damaged), in one line naming
            the archive and the program (``r.db: error: candidate #3's program does not parse (line 5, column
            11: unexpected 'f')``) with ``hint`` (the command's way on: :data:`SHOWN_ANEW`, a resume's new
            ``--db``), where the parser's ``<input>:5:11: error: unexpected 'f'`` named neither."""
    from mlevolve.dsl.errors import MlevError
    from mlevolve.dsl.parse import parse

    try:
        return parse(text)
    except MlevError as err:
        at = f"line {err.span.line}, column {err.span.column}: " if err.span is not None else ""
        program = (f"candidate #{whose}'s program" if isinstance(whose, int) else whose) or "a program it holds"
        raise MlevError(f"{program} does not parse ({at}{err.message})", file=archive, hint=hint) from None


def shown_program(text: str, *, only: Collection[str] | None = None, task: str | None = None,
                  archive: str | None = None, whose: int | str | None = None, digits: int | None = None) -> str:
    """How a found program's text is shown to people (``best``, ``show``, the report, the summary).

    Hand-written comments are dropped (they described the file's program, not this one), the ``task``
    line is the run's ``task`` (or none, never the file's stale one; none where no line can name it:
    :func:`writable_task`), and the program is
    :func:`simplified`.  With ``only`` (definition names; ``learner.method`` counts as its learner),
    just those definitions are shown, without the ``algorithm`` and ``task`` lines; when it names none
    of them, the whole program.  Its large literals are written in scientific notation where that is shorter
    (:func:`~mlevolve.dsl.printer.format_shown_expr`: ``8.922e10``), the same floats.  ``archive`` (its path)
    and ``whose`` name an archived text in the error of a text that no longer parses (:func:`parse_archived`).
    ``digits``: literals :func:`rounded` to that many significant digits (people's commands pass
    :data:`SHOWN_DIGITS`); None (the default, for ``export`` and ``--json``): every digit, the program as it runs.
    """
    from mlevolve.dsl.parse import parse
    from mlevolve.dsl.printer import format_definition, format_program, format_shown_expr

    read = parse(text) if archive is None else parse_archived(text, archive, whose)
    program = rounded(simplified(_uncommented(read)), digits)
    owners = {name.split(".")[0] for name in only or ()}
    chosen = [d for d in program.definitions if d.name in owners]
    if chosen:
        return "\n\n".join(format_definition(d, format_shown_expr) for d in chosen) + "\n"
    return format_program(replace(program, task=writable_task(task)), format_shown_expr)


def saved_task(task: object, data_path: object) -> str | None:
    """A run's ``task`` (its archive's ``task``, :func:`mlevolve.api.evolve`'s) as a program's task line names it where
    the program is shown or saved (``show``, ``best``, the report, ``export``, ``evolve --json``): a data file by the
    absolute path the run read it at (``data_path``; a relative one would be read from the folder of the file the text
    is saved in, docs/data.md), its options as the run gave them; a built-in task (no ``data_path``) by its name;
    None where ``task`` is none."""
    if not isinstance(task, str):
        return None
    if not isinstance(data_path, str):
        return task
    try:  # the name as the reader splits it: a folder's name may hold ':' (runs/12:00/d.csv:target=y)
        name = split_spec(task)[0]
    except TaskError:
        name = task.split(":")[0]
    at = task.find(name)
    return data_path + (task[at + len(name):] if at >= 0 else task.partition(":")[1] + task.partition(":")[2])


def writable_task(task: str | None) -> str | None:
    """``task`` where a ``task`` line can name it, else None: a quoted name holds no quote or line break (a data
    file named so is run with ``--task``), so no program shown with it fails to parse back."""
    return task if task is not None and not any(c in task for c in '"\n\r') else None
