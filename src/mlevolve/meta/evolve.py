"""The meta-level GP: evolve generators (weights, learned rules, operators) on short inner runs.

The AUC of a generator on a (task, seed) pair is the normalised area under the best-so-far curve
of one short inner evolution run with it (:func:`inner_run`).  Its meta-fitness in a
meta-generation (``[meta] fitness``) is, by default (``"paired"``), the mean over the pairs it was
run on of its AUC minus the base grammar's AUC on the same pair: a paired gain, comparable across
meta-generations although each draws other tasks (``"auc"``: the mean AUC itself).  Every inner run
samples from the generator mixed with the base grammar (``[meta] base_mix`` = λ,
:func:`mlevolve.meta.vary.mix_base`), so no base production falls below λ times its base
probability; the written generator is that mixture.  Per meta-generation:

1. sample training tasks and inner seeds, the same for every individual and for the base grammar
   (common random numbers), new ones each meta-generation (resampling, so no generator is selected
   on a lucky draw twice);
2. successive halving: every individual runs on the first pairs, the better half on the next, and
   so on; the ranking is by rung reached, then meta-fitness (``[meta] ranking = "pooled"``: by the
   paired gains of every meta-generation the generator ran in, shrunk toward 0, :meth:`MetaRun.pool_evidence`;
   ``"validated"``: the same, then the elites ordered by the mean of that and their validation score,
   :meth:`MetaRun.validated`;
   ``"race"``: the draw's best meets the champion on the same pairs, :meth:`MetaRun.race`);
3. mine rules from the elites of all inner runs (``mine.py``), reused across at least two training
   tasks, into the pool that *rule addition* draws from;
4. score the generation's best on the validation tasks (fixed seeds; paired with the base grammar
   like the fitness), per task; ``[meta] selection`` combines the tasks (mean, worst task, or the
   average of both, the default), and the output is the best generator by it (when paired, only
   if it beats the base grammar's score of 0; else the base grammar), so meta-test tasks never
   influence anything; each generation's best (its snapshot, the mixture) is recorded;
5. credit every operator (trials, successes, share of the mutations in the runs that offered it),
   evolved ones by their program;
6. the next population: the best ``elitism`` individuals, the best individual carrying an operator
   added less than ``[meta] protect`` meta-generations ago that no elite carries (so a new operator
   is judged on more than one draw), and children by tournament, crossover and one of weight
   perturbation, rule addition, rule deletion or operator mutation; no generator twice (by its
   :attr:`~mlevolve.grammar.spec.GrammarSpec.digest`: weights, rules, operators), :func:`distinct`.

Resume: every inner run is stored in the meta archive (an ordinary archive whose candidates are the
inner runs' best programs, plus a table of their details) as soon as it finishes.  The meta loop is
a deterministic function of its seed and the inner results, so re-running the same command replays
the stored runs instantly and continues where the killed run stopped.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import socket
import statistics
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlevolve.dsl.errors import ConfigWarning, portable_errors
from mlevolve.dsl.ir import Expr, Program
from mlevolve.dsl.kinds import slots
from mlevolve.dsl.parse import parse_expr
from mlevolve.dsl.printer import format_expr, format_program
from mlevolve.dsl.traverse import program_hash
from mlevolve.gp.archive import Archive, Row
from mlevolve.grammar.spec import GrammarSpec, Production, load_grammar
from mlevolve.messages import counted
from mlevolve.meta import provenance, vary
from mlevolve.meta.config import InnerConfig, MetaConfig, config_error, config_text
from mlevolve.meta.mine import Elite, mine, rewrite
from mlevolve.meta.stats import normalised_auc, normalised_curve
from mlevolve.report.summary import environment_note
from mlevolve.results import shown_metric, tied

if TYPE_CHECKING:  # the engine loads lazily (torch): only its type here
    from mlevolve.gp.engine import EvolveConfig

META_FORMAT = 3  # the layout of the stored inner-run details; part of a meta archive's identity
_DETAILS = "CREATE TABLE IF NOT EXISTS inner_runs (hash TEXT PRIMARY KEY, detail TEXT NOT NULL)"


@dataclass(frozen=True)
class InnerResult:
    """What one inner run tells the meta level."""

    auc: float  # normalised area under the best-so-far curve
    best: float  # the best raw fitness
    evals_to_target: int | None  # candidates until the normalised best reached the target
    elites: tuple[tuple[str, str], ...]  # (slot, body text): the best distinct bodies of each evolved slot
    operators: dict[str, dict[str, int]]  # trials and successes (child beat parent) per operator
    rule_usage: dict[str, int]  # folds of each learned rule over the elites
    program: str  # the best program
    seconds: float


def inner_config(inner: InnerConfig, kinds: Collection[str], seed: int = 0, bandit: bool = False) -> EvolveConfig:
    """The :class:`~mlevolve.gp.engine.EvolveConfig` an inner run of ``inner`` evolving programs of ``kinds`` searches
    with (the one place it is built: :func:`inner_run`'s, and what the ``evolve`` command a meta run suggests must
    reproduce, :func:`mlevolve.api.metarun.meta_next`): the rest at the engine's defaults, never restarting."""
    from mlevolve.gp.engine import EvolveConfig

    return EvolveConfig(algorithm=inner.algorithm, budget=inner.budget, population=inner.population,
                        tournament=inner.tournament, init=inner.init, seed=seed, bandit=bandit,
                        fit=EvolveConfig.fitting(inner.fit, kinds))


def inner_run(program: Program, names: Sequence[str], spec: GrammarSpec, task: str, seed: int,
              inner: InnerConfig, bounds: tuple[float, float], bandit: bool = False) -> InnerResult:
    """One short evolution run of ``names`` with generator ``spec``, scored in process (``bandit``:
    with the operator bandit even if ``spec`` has no evolved operators)."""
    from mlevolve.gp.backends import Resources
    from mlevolve.gp.engine import Engine
    from mlevolve.gp.search import ALGORITHMS
    from mlevolve.interpreter.factory import EvaluatorFactory, evolving_kinds, load_task_for, tuned_methods

    started = time.perf_counter()
    kinds = evolving_kinds(program, names)
    config = inner_config(inner, kinds, seed, bandit)
    factory = EvaluatorFactory(task, seed, inner.epochs, kinds, timeout=Resources.timeout,
                               fit=inner.fit, tune=tuned_methods(program, names) if inner.fit else ())
    evaluator = factory.build(load_task_for(program, task, seed), load_grammar())  # a formula's data file: its columns
    curve: list[float] = []

    def progress(engine: Any, candidate: Any, stored: bool) -> None:
        curve.append(engine.fittest.score if engine.fittest is not None else -math.inf)  # the search's measure

    identity = {"program_hash": program_hash(program), "task": task, "evolve": list(names)}
    with tempfile.TemporaryDirectory(prefix="mlevolve-inner-") as tmp, \
            Archive.for_run(Path(tmp) / "inner.db", identity) as archive:
        engine = Engine(program, names, spec, evaluator, archive, config, progress)
        ALGORITHMS[inner.algorithm](engine)
    curve += [curve[-1] if curve else -math.inf] * (inner.budget - len(curve))
    norm = normalised_curve(curve, *bounds)
    reached = next((k + 1 for k, v in enumerate(norm) if v >= inner.target), None)
    elites: list[tuple[str, Expr]] = []
    for slot in names:
        bodies: list[tuple[str, Expr]] = []
        for candidate in engine.hall_of_fame:
            body = (slot, {s.name: s.body for s in slots(candidate.program)}[slot])
            if body not in bodies and len(bodies) < inner.elites:
                bodies.append(body)
        elites += bodies
    best, fittest = engine.best, engine.fittest
    return InnerResult(
        auc=normalised_auc(curve, *bounds), best=fittest.score if fittest is not None else -math.inf,
        evals_to_target=reached, elites=tuple((slot, format_expr(body)) for slot, body in elites),
        operators=engine.summary().get("operators", {}),
        rule_usage=rule_usage(spec, elites, {s.name: s.env for s in slots(program)}),
        program=format_program(best.program) if best is not None else format_program(program),
        seconds=time.perf_counter() - started)


class BoundsCheck:
    """Says which tasks' ``[bounds]`` miss every inner run's best fitness (once per task).

    The AUC clips the best-so-far curve to ``[lo, hi]``: a run whose best stays below ``lo`` scores 0
    whatever the generator, and one past ``hi`` no more than a worse one that reaches ``hi``.  A run or two
    of that is the task being hard (a formula's R^2 below 0 on nguyen5) or easy; *every* run of a task past
    one bound is bounds that do not cover what its runs reach, and then the task tells generators apart by
    nothing, silently (``[bounds] moons2d = [-5, 0]`` where random VAE objectives' ``-val_nll`` is about -20: every
    AUC 0, every paired gain +0.0000).  :meth:`add` each run's best, then :meth:`missed` gives the new
    such tasks.  Only the bounds a configuration writes are checked: a formula's default [0, 1] is its R^2,
    whose 0 (no better than the mean) is a floor by design, and a small inner run's best often stays below
    it.  ``source`` is the configuration file, ``bounds`` its bounds per task."""

    def __init__(self, source: str, bounds: Mapping[str, tuple[float, float]],
                 keys: Mapping[str, str] | None = None) -> None:
        self.source = source
        self.bounds = bounds
        self.keys = keys or {}  # a task's [bounds] key as the file writes it: the warning quotes it and is placed there
        self.bests: dict[str, list[float]] = {}
        self.said: set[str] = set()

    @classmethod
    def of(cls, config: MetaConfig) -> BoundsCheck:
        """The check of the bounds ``config`` writes (not the defaults)."""
        return cls(config.source, {t: b for t, b in config.bounds.items() if t not in config.default_bounds},
                   config.bounds_keys)

    def add(self, task: str, best: float) -> None:
        """Note an inner run's best fitness on ``task`` (a task whose bounds are not checked: nothing)."""
        if task in self.bounds:
            self.bests.setdefault(task, []).append(best)

    def missed(self) -> list[ConfigWarning]:
        """A warning (an error at the task's ``[bounds]`` entry, else at its header, else the file, with the file's
        text to show the line) for each
        task not said before whose every noted best is below its ``lo`` or every one above its ``hi`` (a
        non-finite best, every candidate of the run failed, is no matter of bounds: such runs are left out)."""
        found = []
        for task, noted in self.bests.items():
            lo, hi = self.bounds[task]
            bests = [b for b in noted if math.isfinite(b)]
            side = "lo" if all(b < lo for b in bests) else "hi" if all(b > hi for b in bests) else None
            if not bests or side is None or task in self.said:
                continue
            self.said.add(task)
            effect = ("below lo: their AUCs are 0 whatever the generator" if side == "lo" else
                      "above hi: past it a better generator scores no more")
            runs = f"every inner run on it ({len(bests)} so far)" if len(bests) > 1 else "its one inner run"
            key = self.keys.get(task, task)
            found.append(ConfigWarning(config_error(
                self.source, f"[bounds] {key} = [{lo:g}, {hi:g}], but the best fitness of {runs} is {effect} "
                f"(best fitness {shown_metric(min(bests))} to {shown_metric(max(bests))}): the task tells generators "
                "apart by nothing",
                "bounds", key, hint="lo and hi are the worst and best fitness to tell generators apart by: set them "
                                     "to cover what the task's inner runs reach (other bounds are another run: pass "
                                     "another --db)"), config_text(self.source)))
        return found


@portable_errors  # its error crosses to the coordinator, pickled (as Dask pickles it, on --dask)
def _inner_job(args: tuple[str, tuple[str, ...], str, str, int, dict[str, Any], tuple[float, float]]
               ) -> tuple[InnerResult, str, float]:
    """:func:`inner_run` in a worker process, from picklable arguments: program text, slots, generator
    TOML, task, seed, inner settings, bounds (both texts round-trip exactly); with the worker's name and the
    seconds numba spent compiling kernels in it during the run (:attr:`MetaRun.worker_compiles`)."""
    import tomllib

    from mlevolve.dsl.parse import parse
    from mlevolve.interpreter.compiling import compile_seconds

    program, names, generator, task, seed, inner, bounds = args
    spec = GrammarSpec.from_dict(tomllib.loads(generator), name="generator")
    before = compile_seconds()
    result = inner_run(parse(program), names, spec, task, seed, InnerConfig(**inner), bounds)
    return result, f"{socket.gethostname()}:{os.getpid()}", compile_seconds() - before


def _result(stored: dict[str, Any]) -> InnerResult:
    """An inner result read back from its JSON (lists become tuples again)."""
    return InnerResult(**{**stored, "elites": tuple((slot, text) for slot, text in stored["elites"])})


def rule_usage(spec: GrammarSpec, bodies: Sequence[tuple[str, Expr]], envs: Mapping[str, Any]) -> dict[str, int]:
    """How often each learned rule of ``spec`` folds into ``bodies`` ((slot, body) pairs; ``envs``
    maps each slot to its names in scope), rules in library order."""
    counts: Counter[str] = Counter()
    rules = [p for p in spec.productions if p.rule is not None]
    for slot, expr in bodies:
        for p in rules:
            expr, n = rewrite(expr, envs[slot], spec, p)
            counts[p.op] += n
    return {p.op: counts[p.op] for p in rules}


@dataclass
class Scored:
    """A meta-individual and its inner results this meta-generation."""

    spec: GrammarSpec
    results: list[InnerResult]
    baseline: Sequence[float] = ()  # the base grammar's AUC on each pair, in order (paired fitness); () for raw AUC

    @property
    def gains(self) -> list[float]:
        """Per pair run: its AUC, minus the base grammar's on the same pair when paired."""
        return [r.auc - (self.baseline[k] if self.baseline else 0.0) for k, r in enumerate(self.results)]

    @property
    def fitness(self) -> float:
        """Mean AUC over the pairs run, minus the base grammar's on the same pairs when paired."""
        gains = self.gains
        return sum(gains) / len(gains) if gains else -math.inf

    def rank_key(self) -> tuple[int, float]:
        return len(self.results), self.fitness


def paired_se(differences: Sequence[float]) -> float | None:
    """The standard error of the mean of paired ``differences`` (sample standard deviation over the
    square root of their number; :func:`statistics.stdev` sums exactly, so equal differences give 0);
    None for fewer than two, where no spread can be estimated."""
    return statistics.stdev(differences) / math.sqrt(len(differences)) if len(differences) > 1 else None


def displaces(difference: float, se: float | None, margin: float) -> bool:
    """Whether a challenger whose mean paired gain over the shared pairs exceeds the champion's by
    ``difference`` (its standard error ``se``, from :func:`paired_se`) displaces the champion under
    ``[meta] race_margin`` = ``margin`` (in standard errors): the difference must be positive, not
    :func:`tied` with 0 (at the scale of an AUC, 1), and at least ``margin * se``.  A margin of 0 is
    the plain rule (higher and not tied); with a margin above 0, one pair (``se`` None: no spread to
    measure) never displaces, and pairs that all differ alike (``se`` 0) displace when the difference
    is positive.  The margin is a one-sided z-bound: over many pairs, 1 displaces on a difference a
    champion no better than the challenger would show by chance about 16% of the time, 2 about 2%; over
    n pairs the chance is Student's t with n - 1 degrees of freedom, heavier (2 pairs at 1 SE: 25%;
    ``tests/meta/test_race_boundary.py`` holds the t-quantile rule as a known failure)."""
    if difference <= 0 or tied(difference, 0.0, scale=1.0):
        return False
    if margin == 0:
        return True
    return se is not None and difference >= margin * se


def generation_line(generation: int, paired: bool, best: float, tasks: Sequence[str], selection: str,
                    validation: float, validation_auc: float, counts: tuple[int, int, int, int]) -> str:
    """The log line of one meta-generation: its best generator's fitness on the training ``tasks``, its validation
    score (by ``selection``: the mean of the validation tasks' AUCs, the worst one's, or the two averaged) and mean
    AUC, and ``counts``: the best generator's learned rules and evolved operators, the rules mined from the
    generation's elites, and how many of those are new to the pool that rule addition draws from.  ``paired``
    (``[meta] fitness = "paired"``): the fitness and the validation score are AUC gains over the base grammar,
    written with their sign (``+0.0889``); else they are AUCs, values, written without one (``0.8759``)."""
    kind, sign = ("AUC gain over base", "+") if paired else ("AUC", "")
    rules, operators, mined, fresh = counts
    return (f"meta-generation {generation}: best {kind} {best:{sign}.4f} on {', '.join(tasks)}; validation "
            f"{selection} {validation:{sign}.4f} (AUC {validation_auc:.4f}); the best has "
            f"{counted(rules, 'rule')}, {counted(operators, 'operator')}; mined {counted(mined, 'rule')} from the "
            f"elites ({fresh:,} new to the pool)")


REDRAWS = 100  # draws in a row that all repeat a generator before :func:`distinct` keeps a repeat


def unique(specs: Sequence[GrammarSpec]) -> list[GrammarSpec]:
    """``specs`` in order, each generator (by :attr:`GrammarSpec.digest`) at its first place only."""
    first: dict[str, GrammarSpec] = {}
    for spec in specs:
        first.setdefault(spec.digest, spec)
    return list(first.values())


def distinct(first: Sequence[GrammarSpec], size: int, make: Callable[[], GrammarSpec]) -> list[GrammarSpec]:
    """A population of ``size`` generators without repeats by :attr:`GrammarSpec.digest` (weights,
    rules, operators: the content an inner run depends on, not the name): ``first`` (the elites, in
    order) with later copies dropped, then ``make()``'s children, a child whose digest is already
    there dropped and another drawn.  A repeat would run on the same pairs with the same results,
    spend a slot of the population and could make both elites one generator.  Where no repeat is
    drawn this is ``[*first, make(), ...]`` with the same calls of ``make`` (so the same random
    draws); after :data:`REDRAWS` repeats in a row the repeat is kept, so a population that cannot
    be filled with distinct generators still fills."""
    out = unique(first)
    seen = {spec.digest for spec in out}
    repeats = 0
    while len(out) < size:
        child = make()
        if child.digest in seen and repeats < REDRAWS:
            repeats += 1
            continue
        out.append(child)
        seen.add(child.digest)
        repeats = 0
    return out


class MetaRun:
    """A meta run over an open meta archive: see the module docstring."""

    def __init__(self, config: MetaConfig, program: Program, archive: Archive,
                 log: Callable[[str], None] = lambda _: None, pool: Executor | None = None) -> None:
        self.config = config
        self.program = program
        self.names = list(config.evolve)
        by_name = {s.name: s for s in slots(program)}
        self.envs = {name: dict(s.env) for name, s in by_name.items()}
        self.types = frozenset().union(*(by_name[n].types for n in self.names)) or frozenset(load_grammar().types)
        self.archive = archive
        self.log = log
        with archive.guard("open"):
            archive.conn.execute(_DETAILS)
            self.details = dict(archive.conn.execute("SELECT hash, detail FROM inner_runs"))
        self.pool = pool  # runs inner runs in parallel when given (results do not depend on it)
        self.base = replace(load_grammar(), name="generator")
        self.born: dict[str, int] = {}  # evolved operator program -> the meta-generation it first appeared in
        self.chosen: int | None = None  # the meta-generation whose best is the output (None: the base grammar)
        self.evidence: dict[str, list[float]] = {}  # generator digest -> its paired gains, every meta-generation
        self.paired: dict[str, dict[tuple[str, int], float]] = {}  # race: digest -> its paired gain per (task, seed)
        self.champion: GrammarSpec | None = None  # race: the generator each meta-generation's challenger must beat
        self.last_race: dict[str, Any] = {}  # race: what the latest meta-generation's race compared
        self.last_validated: list[dict[str, Any]] = []  # validated: the elites' scores, in their new order
        self.base_validation_auc = math.nan  # the base grammar's mean AUC on the validation tasks
        self.incumbent = self.base  # [meta] max_step: the last snapshot, which the next moves from
        self.fresh = 0
        self.replayed = 0
        self.compiled_in: dict[str, float] = {}  # a worker (host:pid) -> seconds numba compiled in its inner runs
        self.bounds_check = BoundsCheck.of(config)

    # -- inner runs, stored ---------------------------------------------------------------------
    def _key(self, spec: GrammarSpec, task: str, seed: int) -> str:
        text = json.dumps([spec.digest, task, seed, asdict(self.config.inner)], sort_keys=True)
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()

    def evaluate(self, jobs: Sequence[tuple[GrammarSpec, str, int]], generation: int) -> list[InnerResult]:
        """The inner results of ``jobs`` (generator, task, seed): stored ones read back, the others
        run (in the worker pool, if any) and stored in the order of ``jobs``, so the archive and the
        meta loop do not depend on which worker finished first."""
        keys = [self._key(*job) for job in jobs]
        todo = {k: job for k, job in zip(keys, jobs, strict=True) if k not in self.details}
        self.replayed += len(keys) - len(todo)
        fresh = self._run(list(todo.values()))
        for (key, (spec, task, seed)), result in zip(todo.items(), fresh, strict=True):
            self._store(key, spec, task, seed, result, generation)
        self.fresh += len(todo)
        results = [_result(json.loads(self.details[k])) for k in keys]
        for (_, task, _), result in zip(jobs, results, strict=True):
            self.bounds_check.add(task, result.best)
        return results

    def _run(self, jobs: list[tuple[GrammarSpec, str, int]]) -> list[InnerResult]:
        """Run inner runs: here, one after another, or in the pool (each generator serialised once)."""
        inner = self.config.inner
        if self.pool is None:
            return [inner_run(self.program, self.names, spec, task, seed, inner, self.config.bounds[task])
                    for spec, task, seed in jobs]
        text = format_program(self.program)
        toml = {spec.digest: spec.to_toml() for spec, _, _ in jobs}
        done = list(self.pool.map(_inner_job, [(text, tuple(self.names), toml[spec.digest], task, seed, asdict(inner),
                                                self.config.bounds[task]) for spec, task, seed in jobs]))
        for _, worker, seconds in done:
            self.compiled_in[worker] = self.compiled_in.get(worker, 0.0) + seconds
        return [result for result, _, _ in done]

    @property
    def worker_compiles(self) -> float:
        """The seconds numba spent compiling kernels in the workers' inner runs (a pool's or Dask's): the most any
        one worker spent, as they compile side by side, which this process's own compile seconds leave out (as
        :func:`mlevolve.api.search._worker_compiles` is an evolve run's); 0.0 where inner runs ran in this process."""
        return max(self.compiled_in.values(), default=0.0)

    def _store(self, key: str, spec: GrammarSpec, task: str, seed: int, result: InnerResult, generation: int) -> None:
        """Archive one inner run: a row of its best program (``size``: the nodes of its evolved definitions, as an
        evolve run's archive counts them, :func:`mlevolve.gp.engine.evolved_size`) and its details."""
        from mlevolve.dsl.parse import parse
        from mlevolve.gp.engine import evolved_size
        from mlevolve.gp.memo import simplified_program

        size = evolved_size(simplified_program(parse(result.program)), self.names)
        row = Row(self.archive.count(), key, result.program, result.auc,
                  {"auc": result.auc, "best_fitness": result.best, "seed": seed,
                   "evals_to_target": result.evals_to_target}, None, None, task, None, spec.digest, (), generation,
                  size, result.seconds)
        detail = json.dumps(asdict(result))
        with self.archive.guard("write"), self.archive.conn:
            self.archive.conn.execute("BEGIN")
            self.archive.add(row)
            self.archive.conn.execute("INSERT OR REPLACE INTO inner_runs VALUES (?, ?)", (key, detail))
        self.details[key] = detail

    # -- one meta-generation ---------------------------------------------------------------------
    def effective(self, spec: GrammarSpec) -> GrammarSpec:
        """The generator an inner run samples from: ``spec`` mixed with the base grammar (λ = base_mix)."""
        return vary.mix_base(spec, self.base, self.config.meta.base_mix, self.types)

    def baseline(self, pairs: Sequence[tuple[str, int]], generation: int) -> list[float]:
        """The base grammar's AUC on each pair (stored and replayed like every inner run)."""
        return [r.auc for r in self.evaluate([(self.base, t, seed) for t, seed in pairs], generation)]

    def score(self, population: list[GrammarSpec], pairs: list[tuple[str, int]], generation: int) -> list[Scored]:
        """Successive halving over ``pairs``: rung k runs the survivors on the next chunk of pairs."""
        base = self.baseline(pairs, generation) if self.config.meta.fitness == "paired" else []
        scored = [Scored(spec, [], base) for spec in population]
        alive = list(scored)
        if self.config.meta.halving:
            rungs = max(1, min(len(pairs), math.ceil(math.log2(len(population)))))
            chunks = [pairs[len(pairs) * k // rungs:len(pairs) * (k + 1) // rungs] for k in range(rungs)]
        else:
            chunks = [pairs]
        for k, chunk in enumerate(chunks):
            results = iter(self.evaluate([(self.effective(s.spec), t, seed) for s in alive for t, seed in chunk],
                                         generation))
            for s in alive:
                s.results += [next(results) for _ in chunk]
            if k < len(chunks) - 1:
                alive.sort(key=Scored.rank_key, reverse=True)
                alive = alive[:max(self.config.meta.elitism, math.ceil(len(alive) / 2))]
        return sorted(scored, key=Scored.rank_key, reverse=True)

    def pool_evidence(self, ranked: list[Scored]) -> list[Scored]:
        """``[meta] ranking = "pooled"``: add each generator's paired gains of this meta-generation to
        its evidence (once per distinct generator) and rank by :meth:`pooled`, so an elite that keeps
        surviving is judged on every draw it ran on, not on the latest one (explicit averaging over
        re-evaluations, the standard remedy for selection under noisy fitness; Jin & Branke 2005,
        IEEE TEC 9(3))."""
        fresh: dict[str, list[float]] = {}
        for s in ranked:
            fresh.setdefault(s.spec.digest, s.gains)
        for digest, gains in fresh.items():
            self.evidence.setdefault(digest, []).extend(gains)
        return sorted(ranked, key=lambda s: self.pooled(s.spec), reverse=True)

    def pooled(self, spec: GrammarSpec) -> float:
        """The mean of ``spec``'s pooled paired gains shrunk toward the base grammar's 0 by
        ``[meta] shrinkage`` pairs of prior evidence (sum / (n + k)): a generator seen on few draws
        must show more to outrank one seen on many."""
        return self.shrunk(self.evidence.get(spec.digest, []))

    def shrunk(self, gains: Sequence[float]) -> float:
        """The sum of ``gains`` over (their number + ``[meta] shrinkage``); -inf for none (never ran)."""
        return sum(gains) / (len(gains) + self.config.meta.shrinkage) if gains else -math.inf

    def validated(self, ranked: list[Scored], generation: int) -> list[Scored]:
        """``[meta] ranking = "validated"``: ``ranked`` (by :meth:`pooled`) with its first ``elitism``
        generators reordered by the mean of their pooled training gain and their validation score
        (:meth:`validate`, the ``selection`` score; both paired gains, 0 = the base grammar), best first,
        the pooled order breaking ties; the rest keep the pooled order.  So the elites stay those of
        ``"pooled"`` and only which of them is the generation's best (its snapshot) and their order for
        selection change.  Why: over the committed runs' distinct snapshots this mean ranked the update
        rules' and learners' meta-test gains better than the pooled gain alone (Kendall tau 0.71 against
        0.52 over 7, 0.60 against 0.20 over 5; formulas 0.08 against 0.03 over 19; RESULTS "Which signal
        predicts meta-test"), and the validation gain alone did not (0.10 over 7, 0.06 over 19).
        Validation runs use fixed seeds and are stored, so an elite is validated once.  The validation
        tasks then help choose the snapshots, so the output's validation score (the output is still the
        snapshot best on it) is no longer an unbiased estimate; meta-test stays untouched.
        :attr:`last_validated` records each reordered elite's ``digest`` (the mixture's), ``pooled``,
        ``validation`` and ``score``."""
        k = max(1, self.config.meta.elitism)
        scores: list[dict[str, Any]] = []
        for s in ranked[:k]:
            val = self.validate(s.spec, generation)[0]
            pooled = self.pooled(s.spec)
            scores.append({"digest": self.effective(s.spec).digest, "pooled": pooled, "validation": val,
                           "score": (pooled + val) / 2})
        order = sorted(range(len(scores)), key=lambda i: -float(scores[i]["score"]))  # stable: pooled order breaks ties
        self.last_validated = [scores[i] for i in order]
        return [ranked[i] for i in order] + ranked[k:]

    def race(self, ranked: list[Scored], pairs: Sequence[tuple[str, int]], generation: int) -> list[Scored]:
        """``[meta] ranking = "race"``: the champion (the first draw's best, then each race's winner) meets
        the best of this draw that is not the champion (the challenger, by :meth:`Scored.rank_key`) on
        the same pairs: this draw's and the champion's latest earlier ones, ``race_pairs`` in all (at
        least this draw's); each runs on those it lacks (common random numbers: the base grammar's AUC
        on every pair is stored).  The challenger displaces the champion when its mean paired gain over
        the shared pairs is higher, not :func:`tied`, and at least ``race_margin`` standard errors of the
        paired difference above the champion's (:func:`displaces`); a generator that keeps winning therefore gains
        no edge from its pile of pairs (as under ``"pooled"``, where a challenger of one draw is shrunk
        by ``shrinkage`` against the champion's many), and a better one needs only to be better on
        equal evidence: a race, as in F-race (Birattari et al., GECCO 2002) with two entrants and a
        budget instead of a test.  The champion comes first; the others follow by their paired gains
        over every pair they ran on, shrunk toward 0 by ``shrinkage`` pairs (:meth:`raced`).  The raced
        :class:`Scored` are completed to every pair of this draw; :attr:`last_race` says what was
        compared (``pairs``, mean ``difference`` challenger minus champion, its standard error ``se``,
        ``displaced``).

        The first champion: with ``race_margin`` 0, the first draw's best, whatever its gain (the rule
        of the committed race runs); with a margin above 0, the base grammar, whose paired gain is 0 on
        every pair, so the first draw's best must win the same race against it (its own mean paired
        gain at least ``race_margin`` standard errors above 0, :func:`displaces`) to be crowned, and
        until a challenger does the base grammar stays champion (ranked first: the generation's best,
        its snapshot and the one validated).

        ``race_hold`` (with a margin above 0): the bound is held at every race, not only when crowned
        (:meth:`hold`).  A champion other than the base grammar whose mean paired gain over *every* pair
        it has run on is no longer ``race_margin`` standard errors above 0 is deposed before the race:
        the base grammar is champion again, and the best of the draw that is neither it nor the deposed
        champion races it as a first challenger does; if the base grammar keeps the crown and is not in
        this draw, it is run on the draw's pairs and ranked first with it (so kept as an elite).
        :attr:`last_race` then also holds ``hold``: the check (``champion``, its inner runs' digest,
        ``pairs``, ``gain``, ``se``, ``deposed``), or None when the base grammar was champion."""
        m = self.config.meta
        if self.champion is None and m.race_margin > 0:  # the first champion must beat the base grammar by the bound
            self.champion = self.base
        champion, hold, out = self.champion, None, None
        if m.race_hold and champion is not None and champion.digest != self.base.digest:
            hold = self.hold(champion, ranked, pairs, generation)
            if hold["deposed"]:  # the base grammar retakes the crown; the deposed champion does not challenge it
                out, champion = champion.digest, self.base
        challenger = next((s for s in ranked if champion is None
                           or s.spec.digest not in (champion.digest, out)), None)
        raced = {champion.digest, challenger.spec.digest} if champion is not None and challenger is not None else set()
        for s in ranked:
            self.note(s, pairs, generation, complete=s.spec.digest in raced)
        self.last_race = {}
        if champion is None or challenger is None:  # the first draw (its best), or nobody but the champion
            winner = champion or ranked[0].spec
        else:
            earlier = [p for p in reversed(self.paired.get(champion.digest, {})) if p not in pairs]
            shared = [*pairs, *earlier][:max(m.race_pairs, len(pairs))]
            self.complete(champion, shared, generation)  # no-op but for the base grammar outside the population
            self.complete(challenger.spec, shared, generation)
            ours, theirs = self.paired[challenger.spec.digest], self.paired[champion.digest]
            differences = [ours[p] - theirs[p] for p in shared]
            difference, se = sum(differences) / len(shared), paired_se(differences)
            displaced = displaces(difference, se, m.race_margin)
            winner = challenger.spec if displaced else champion
            self.last_race = {"challenger": self.effective(challenger.spec).digest, "pairs": len(shared),
                              "difference": difference, "se": se, "displaced": displaced}
        if m.race_hold:
            self.last_race["hold"] = hold
        if all(s.spec.digest != winner.digest for s in ranked):  # a deposed champion's heir outside the population
            ranked = [*ranked, Scored(winner, self.evaluate([(self.effective(winner), t, seed) for t, seed in pairs],
                                                            generation), self.baseline(pairs, generation))]
        self.champion = winner
        return sorted(ranked, key=lambda s: (s.spec.digest == winner.digest, self.raced(s.spec)), reverse=True)

    def note(self, scored: Scored, pairs: Sequence[tuple[str, int]], generation: int, complete: bool) -> None:
        """Record ``scored``'s paired gains on this draw's ``pairs`` for :meth:`race`, first running it on
        the rest of them when ``complete`` and halving stopped it early."""
        if complete and len(scored.results) < len(pairs):  # halving stopped it: the rest of the draw
            scored.results += self.evaluate([(self.effective(scored.spec), t, seed)
                                             for t, seed in pairs[len(scored.results):]], generation)
        known = self.paired.setdefault(scored.spec.digest, {})
        for pair, gain in zip(pairs, scored.gains, strict=False):  # results follow the pairs' order (halving)
            known.setdefault(pair, gain)

    def hold(self, champion: GrammarSpec, ranked: Sequence[Scored], pairs: Sequence[tuple[str, int]],
             generation: int) -> dict[str, Any]:
        """``[meta] race_hold``: run ``champion`` on those of this draw's ``pairs`` it lacks, then check that
        its mean paired gain over every pair it has run on is still at least ``race_margin`` standard errors
        above the base grammar's 0 (:func:`displaces`, the bound that crowned it).  The check: the
        champion's inner runs' digest, the ``pairs``, mean ``gain``, its ``se`` and ``deposed`` (the bound
        failed)."""
        mine = next((s for s in ranked if s.spec.digest == champion.digest), None)
        if mine is not None:
            self.note(mine, pairs, generation, complete=True)
        self.complete(champion, pairs, generation)  # no-op but for a champion outside the population
        gains = list(self.paired[champion.digest].values())
        gain, se = sum(gains) / len(gains), paired_se(gains)
        return {"champion": self.effective(champion).digest, "pairs": len(gains), "gain": gain, "se": se,
                "deposed": not displaces(gain, se, self.config.meta.race_margin)}

    def complete(self, spec: GrammarSpec, pairs: Sequence[tuple[str, int]], generation: int) -> None:
        """Run ``spec`` (and the base grammar, replayed when stored) on those of ``pairs`` it has no paired
        gain on yet, and record the gains for :meth:`race`."""
        known = self.paired.setdefault(spec.digest, {})
        missing = [p for p in pairs if p not in known]
        if not missing:
            return
        runs = self.evaluate([(self.effective(spec), t, seed) for t, seed in missing], generation)
        for pair, run, base in zip(missing, runs, self.baseline(missing, generation), strict=True):
            known[pair] = run.auc - base

    def raced(self, spec: GrammarSpec) -> float:
        """``spec``'s paired gains over every pair it ran on (raced pairs included), summed over (pairs +
        ``shrinkage``: :meth:`shrunk`)."""
        return self.shrunk(list(self.paired.get(spec.digest, {}).values()))

    def snapshot(self, best: GrammarSpec) -> tuple[GrammarSpec, dict[str, float]]:
        """The meta-generation's snapshot (what is validated, recorded and may be the output) and, under
        ``[meta] max_step``, its step: the mixture of ``best`` (the generation's best), or, with the trust region
        on, the last snapshot (at first the base grammar) moved toward it by at most ``max_step`` total variation
        of each type's production distribution (:func:`vary.bounded_step`; ``{"distance": d, "fraction": a}``,
        d the whole way to the best's mixture, a the fraction taken).  So improvement is spread over many
        meta-generations and each moved snapshot is a new point of the trend, where a best that jumps far once
        and then sits gives 2-3.  The population and its inner runs are those of the run without it."""
        mixture = self.effective(best)
        if not self.config.meta.max_step:
            return mixture, {}
        moved, distance, fraction = vary.bounded_step(self.incumbent, mixture, self.config.meta.max_step, self.types)
        self.incumbent = moved
        return moved, {"distance": distance, "fraction": fraction}

    def validate(self, spec: GrammarSpec, generation: int) -> tuple[float, float, dict[str, float]]:
        """``spec`` on the validation tasks (fixed seeds): (selection score, mean AUC, per-task score),
        a task's score being its mean AUC, minus the base grammar's on the same seeds when paired;
        NaN scores when there are no validation tasks."""
        return self.validate_mixture(self.effective(spec), generation)

    def validate_mixture(self, mixture: GrammarSpec, generation: int) -> tuple[float, float, dict[str, float]]:
        """:meth:`validate` of a generator inner runs sample from as it is (already mixed with the base grammar:
        a snapshot)."""
        m = self.config.meta
        pairs = [(t, seed) for t in self.config.validation for seed in range(m.validation_seeds)]
        runs = self.evaluate([(mixture, t, seed) for t, seed in pairs], generation)
        base = self.baseline(pairs, generation) if m.fitness == "paired" else [0.0] * len(pairs)
        if not runs:
            return math.nan, math.nan, {}
        per_task = {t: sum(r.auc - b for r, b, (u, _) in zip(runs, base, pairs, strict=True) if u == t)
                    / m.validation_seeds for t in self.config.validation}
        mean, worst = sum(per_task.values()) / len(per_task), min(per_task.values())
        score = {"mean": mean, "worst": worst, "mean+worst": (mean + worst) / 2}[m.selection]
        return score, sum(r.auc for r in runs) / len(runs), per_task

    def protected(self, ranked: list[Scored], generation: int) -> GrammarSpec | None:
        """The best individual past the elites carrying an operator that no elite carries and that
        appeared less than ``protect`` meta-generations ago (None if there is none)."""
        m = self.config.meta
        carried = {o.text for s in ranked[:m.elitism] for o in s.spec.operators}
        for s in ranked[m.elitism:]:
            if any(o.text not in carried and generation - self.born[o.text] < m.protect for o in s.spec.operators):
                return s.spec
        return None

    def offspring(self, ranked: list[Scored], pool: list[Production], rng: random.Random,
                  generation: int = 0) -> list[GrammarSpec]:
        m = self.config.meta

        def pick() -> GrammarSpec:
            entrants = rng.sample(range(len(ranked)), min(m.tournament, len(ranked)))
            return ranked[min(entrants)].spec  # ranked best first

        def child() -> GrammarSpec:
            parent = pick()
            if rng.random() < 0.3:
                parent = vary.crossover(parent, pick(), rng, self.types)
            roll = rng.random()
            changed: GrammarSpec | None
            if roll < 0.35:
                changed = vary.add_rule(parent, pool, rng, self.types)
            elif roll < 0.45:
                changed = vary.delete_rule(parent, rng)
            elif roll < 0.7:
                changed = vary.mutate_operators(parent, rng, self.types)
            else:
                changed = None
            return changed if changed is not None else vary.perturb_weights(parent, rng, self.types)

        elites = unique([s.spec for s in ranked])[:m.elitism]
        kept = self.protected(ranked, generation) if m.protect else None
        children = distinct([*elites, *([kept] if kept is not None else [])], m.population, child)
        return [replace(c, name="generator", origin=None) for c in children]

    def run(self) -> tuple[GrammarSpec, list[dict[str, Any]]]:
        """The whole meta run: the best generator on validation, and one record per meta-generation."""
        m, cfg = self.config.meta, self.config
        rng = random.Random(m.seed)
        base = self.base
        population = distinct([base], m.population, lambda: vary.perturb_weights(base, rng, self.types))
        pool: list[Production] = []
        history: list[dict[str, Any]] = []
        # paired: the base grammar scores 0 on validation by definition, so it stays the output unless a
        # generation's best beats it there (do no harm); raw AUC: the first generation's best is taken
        best_spec, best_val = base, 0.0 if m.fitness == "paired" else -math.inf
        self.record_environment()
        self.base_validation_auc = self.validate(base, 0)[1]
        held = self.archive.meta().get("meta_generations") or []  # a run resumed with fewer keeps the rest recorded
        for generation in range(m.generations):
            for spec in population:
                for o in spec.operators:
                    self.born.setdefault(o.text, generation)
            tasks = rng.sample(list(cfg.train), m.tasks)
            seeds = [rng.randrange(1 << 30) for _ in range(m.seeds)]
            pairs = [(t, s) for s in seeds for t in tasks]
            ranked = self.score(population, pairs, generation)
            if m.ranking == "pooled":
                ranked = self.pool_evidence(ranked)
            elif m.ranking == "validated":
                ranked = self.validated(self.pool_evidence(ranked), generation)
            elif m.ranking == "race":
                ranked = self.race(ranked, pairs, generation)
            texts = dict.fromkeys((t, slot, text) for s in ranked for r, (t, _) in zip(s.results, pairs, strict=False)
                                  for slot, text in r.elites)
            corpus = [Elite(t, parse_expr(text), self.envs[slot]) for t, slot, text in texts]
            found, _ = mine(corpus, base.restrict(self.types), max_rules=m.rules_per_generation,
                            min_tasks=m.min_tasks, generation=generation)
            names = {p.op for p in pool}
            fresh = [f.production for f in found if f.production.op not in names]
            pool = fresh + pool
            pool = pool[:4 * m.rules_per_generation]
            top = ranked[0]
            snapshot, step = self.snapshot(top.spec)
            val, val_auc, val_tasks = self.validate_mixture(snapshot, generation)
            if val > best_val and not tied(val, best_val, scale=1.0):  # a gain, not float rounding (AUCs <= 1)
                best_spec, best_val, self.chosen = snapshot, val, generation
            population = self.offspring(ranked, pool, rng, generation)
            record = self._record(generation, ranked, found, val_auc, population, snapshot)
            if step:
                record.update(step=step)
            record.update(validation_score=val, validation_tasks=val_tasks, fitness=m.fitness,
                          base_auc=sum(top.baseline) / len(top.baseline) if top.baseline else None)
            if m.ranking in ("pooled", "validated"):
                record.update(pooled_fitness=self.pooled(top.spec), pooled_pairs=len(self.evidence[top.spec.digest]))
            if m.ranking == "validated":
                record.update(validated=self.last_validated)
            elif m.ranking == "race":
                record.update(pooled_fitness=self.raced(top.spec), pooled_pairs=len(self.paired[top.spec.digest]),
                              race=self.last_race)
            history.append(record)
            for warning in self.bounds_check.missed():  # the meta-generation's tasks, its validation's and the base's
                warnings.warn(warning, stacklevel=2)
            self.log(generation_line(generation, m.fitness == "paired", top.fitness,
                                     [self.config.written_as(t) for t in tasks], m.selection, val, val_auc,
                                     (len(top.spec.rules), len(top.spec.operators), len(found), len(fresh))))
            self.archive.set_meta("meta_generations", history + held[len(history):])
        return best_spec, history

    def record_environment(self) -> None:
        """Add this process's :func:`provenance.environment` to the archive's ``environments`` (those its
        inner runs were computed in, in order), saying so when a resumed run's differs from the last run's."""
        if changed := provenance.record(self.archive, provenance.environment()):
            self.log(environment_note(changed, "its stored inner runs are kept"))

    def credit(self, ranked: list[Scored], generation: int,
               following: Sequence[GrammarSpec]) -> dict[str, dict[str, Any]]:
        """Credit of every operator used this meta-generation, over all its inner runs: evolved ones
        keyed by program text, default mutations by name.  ``trials``/``successes``: children made /
        children better than their parent; ``share``: its trials over all trials in the runs that
        offered it; ``carriers``: individuals holding it; ``best_rank``: the best rank among them
        (0: the generation's best); ``age``: meta-generations since it appeared; ``kept``: whether
        an individual of the next population (``following``) holds it."""
        out: dict[str, dict[str, Any]] = {}
        offered: Counter[str] = Counter()
        nxt = {o.text for spec in following for o in spec.operators}
        for rank, s in enumerate(ranked):
            texts = {o.name: o.text for o in s.spec.operators}
            for text in texts.values():
                entry = out.setdefault(text, {"evolved": True, "trials": 0, "successes": 0, "carriers": 0,
                                              "best_rank": rank, "age": generation - self.born[text],
                                              "kept": text in nxt})
                entry["carriers"] += 1
                entry["names"] = sorted({*entry.get("names", []), *(n for n, t in texts.items() if t == text)})
            for r in s.results:
                total = sum(st["trials"] for st in r.operators.values())
                offered.update(dict.fromkeys({*texts.values(), ""}, total))  # "": every run offers the defaults
                for arm, st in r.operators.items():
                    key = texts.get(arm, arm)
                    entry = out.setdefault(key, {"evolved": False, "trials": 0, "successes": 0})
                    entry["trials"] += st["trials"]
                    entry["successes"] += st["successes"]
        for key, entry in out.items():
            n = offered[key if entry["evolved"] else ""]
            entry["share"] = entry["trials"] / n if n else 0.0
        return dict(sorted(out.items(), key=lambda kv: (not kv[1]["evolved"], -kv[1]["trials"], kv[0])))

    def _record(self, generation: int, ranked: list[Scored], found: Sequence[Any], val: float,
                following: Sequence[GrammarSpec], snapshot: GrammarSpec) -> dict[str, Any]:
        top = ranked[0]
        usage: Counter[str] = Counter()
        arms: dict[str, list[int]] = {}
        for r in top.results:
            usage.update(r.rule_usage)
            for arm, st in r.operators.items():
                a = arms.setdefault(arm, [0, 0])
                a[0] += st["trials"]
                a[1] += st["successes"]
        total = sum(t for t, _ in arms.values()) or 1
        restricted = top.spec.restrict(self.types)
        return {
            "generation": generation, "best_fitness": top.fitness,
            "mean_fitness": sum(s.fitness for s in ranked) / len(ranked),
            "validation_auc": val, "grammar_size": len(restricted.productions), "rules": len(top.spec.rules),
            "rule_usage": dict(usage), "operators": {a: t / total for a, (t, _) in arms.items()},
            "operator_success": {a: s / t for a, (t, s) in arms.items() if t},
            "mined": [f.production.op for f in found],
            "inner_runs": sum(len(s.results) for s in ranked), "digest": snapshot.digest,
            "operator_credit": self.credit(ranked, generation, following),
            "generator": snapshot.to_toml(header=f"best of meta-generation {generation} "
                                                 "(its snapshot: the mixture inner runs sample)"),
        }

