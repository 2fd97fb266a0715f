"""The evolutionary engine: the state of one run, between the search algorithm and the archive.

The engine owns the run's explicit RNG, the evolvable slots and their typed sites, the evaluation
savings and their counters, DEAP's bookkeeping (HallOfFame, Statistics, Logbook), and the archive.
A search algorithm (``search.py``) asks it for initial programs and children and submits them;
``submit`` scores each candidate, in order of cost:

1. cache: a program whose canonical hash was seen before gets the earlier outcome;
2. probe: a component that is non-finite (or a constant activation) on fixed probe inputs fails;
3. FEC: a program whose probe fingerprint was seen before gets that program's outcome;
4. hurdle: a supervised program first trains briefly; below the rolling 75th percentile of earlier
   short runs it stops there (AutoML-Zero's hurdles);
5. full evaluation.

Steps 2-5 run where the candidate runs, in one request (:func:`mlevolve.gp.backends.score`): the
request carries the FEC fingerprints and the hurdle's window as the engine holds them when it sends
it, and the engine keeps the cache and the FEC table's outcomes.

Resume by replay: the run is a deterministic function of its seed and its candidates' outcomes.
On resume the algorithm runs again from the start; candidate number k, if the archive holds it,
takes its stored outcome instead of being scored (its hash must match), so a run killed at any
moment and resumed ends exactly as an uninterrupted one, and nothing evaluated is evaluated again.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np
from deap import base, tools

from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Expr, Program, Tup
from mlevolve.dsl.kinds import replace_slot, slots
from mlevolve.dsl.parse import parse
from mlevolve.dsl.printer import format_program
from mlevolve.dsl.simplify import simplify_program
from mlevolve.dsl.traverse import program_hash
from mlevolve.dsl.types import TupleType
from mlevolve.gp.archive import Archive, Row
from mlevolve.gp.backends import Backend, Policy, Request, score
from mlevolve.gp.diversity import DiversityConfig
from mlevolve.gp.generate import ramped_half_and_half
from mlevolve.gp.operators import CROSSOVERS, MUTATIONS, Site, choose_mutation
from mlevolve.gp.portfolio import Portfolio
from mlevolve.grammar.spec import GrammarSpec
from mlevolve.results import Failure, Outcome

FAILED = -1e30  # DEAP's fitness for a failure: finite, so crowding distances stay numbers
INITS = ("file", "random")  # EvolveConfig.init: start from the file's definitions, or from random programs


@dataclass(frozen=True)
class EvolveConfig:
    """Everything that shapes a run's trajectory; all but ``budget`` identify it in the archive."""

    algorithm: str = "regularized"
    budget: int = 500
    population: int = 100
    tournament: int = 10
    mutation_prob: float = 0.9
    offspring: int = 0  # lambda of (mu + lambda); 0 means the population size
    max_depth: int = Site.max_depth  # bloat control: the operators' limits
    max_size: int = Site.max_size
    init: str = "file"  # one of INITS
    hurdle: bool = Policy.hurdle  # the hurdle's settings: the scoring policy's
    hurdle_quantile: float = Policy.quantile
    hurdle_warmup: int = Policy.warmup
    seed: int = 0
    bandit: bool = False  # choose mutations with the portfolio's bandit (always, if the grammar has operators)
    diversity: DiversityConfig = field(default_factory=DiversityConfig)  # islands' and MAP-Elites' settings
    # Formulas: fit constants (linear scaling and literal tuning, interpreter.fit) before scoring, or
    # not (False); None where no formula is evolved, so there is nothing to fit (the api decides).
    fit: bool | None = True

    def identity(self) -> dict[str, Any]:
        values = asdict(self)
        del values["budget"]
        if not self.bandit:  # archives made before the bandit existed keep their identity
            del values["bandit"]
        del values["diversity"]  # only the algorithm's own settings: other archives keep their identity
        values.update(self.diversity.identity(self.algorithm))
        if self.fit is None:  # no formula evolved: such archives made before fitting existed keep their identity
            del values["fit"]
        return values


class Evaluator(Protocol):
    """What the engine needs of an evaluator (the interpreter's ``ProgramEvaluator``)."""

    @property
    def supports_hurdle(self) -> bool: ...
    def fingerprint(self, program: Program, key: str) -> tuple[str | None, Failure | None]: ...
    def evaluate(self, program: Program, key: str, quick: bool = False) -> Outcome: ...


class FitnessMax(base.Fitness):  # type: ignore[misc]
    """Single-objective fitness: higher is better."""

    weights = (1.0,)


class FitnessLex(base.Fitness):  # type: ignore[misc]
    """Fitness up, then (lexicographically: DEAP compares weighted values as tuples) size down:
    parsimony as a tie-breaker for the single-objective algorithms."""

    weights = (1.0, -1.0)


class FitnessSize(base.Fitness):  # type: ignore[misc]
    """NSGA-II's objectives: fitness up, program size down."""

    weights = (1.0, -1.0)


@dataclass(eq=False)
class _Job:
    """A candidate being scored: what made it."""

    program: Program
    key: str
    operator: str
    parents: tuple[str, ...]
    generation: int
    size: int
    created: float
    text: str | None = None  # the canonical text, once made (sent to the worker, then archived)


@dataclass(eq=False)
class Candidate:
    """A scored program: the unit the search algorithms select from."""

    program: Program
    hash: str
    outcome: Outcome
    seq: int
    size: int
    generation: int
    source: str
    fitness: base.Fitness = field(repr=False)
    fingerprint: str | None = None  # the FEC fingerprint it was scored with (None: cache hit, probe failure)

    @property
    def score(self) -> float:
        return self.outcome.fitness


def _checked(outcome: Outcome) -> Outcome:
    """A candidate's outcome as the archive may hold it: a finite fitness, or a failure with a reason
    (whatever the evaluator or backend that produced it)."""
    if outcome.failure is not None:
        return outcome
    value = outcome.metrics.get("fitness")
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return Outcome({}, Failure(f"the fitness is not a finite number ({value!r})", "validation"), outcome.seconds)
    return outcome


class Engine:
    """One run: see the module docstring.  ``progress`` is called after every candidate."""

    def __init__(self, program: Program, evolve: Sequence[str], spec: GrammarSpec, evaluator: Evaluator,
                 archive: Archive, config: EvolveConfig, progress: Any = None, backend: Backend | None = None,
                 replay: bool = True) -> None:
        self.program = program
        self.config = config
        self.evaluator = evaluator
        self.archive = archive
        self.progress = progress
        self.rng = random.Random(config.seed)
        by_name = {s.name: s for s in slots(program)}
        self.sites = {name: Site(spec.restrict(by_name[name].types), by_name[name].env, by_name[name].result,
                                 config.max_depth, config.max_size) for name in evolve}
        self.evolve = list(evolve)
        self.portfolio = Portfolio(spec.operators, spec.floor) if config.bandit or spec.operators else None
        self.seq = 0
        self.counts: Counter[str] = Counter()
        self.operator_trials: Counter[str] = Counter()
        self.operator_successes: Counter[str] = Counter()
        self.cache: dict[str, Outcome] = {}
        self.fec: dict[str, Outcome] = {}
        self._fingerprints: list[str] = []  # the FEC table's keys in the order found: sent to workers as deltas
        self._policy = Policy(config.hurdle, config.hurdle_quantile, config.hurdle_warmup)
        self.quick_history: list[float] = []
        self.hall_of_fame = tools.HallOfFame(10, similar=lambda a, b: a.hash == b.hash)
        # The run's best: the earliest candidate of the highest finite fitness, as Archive.best ranks
        # them (the hall of fame puts the latest of equal fitnesses first, NSGA-II's also by size).
        self.best: Candidate | None = None
        self.logbook = tools.Logbook()
        self.statistics = tools.Statistics(key=lambda c: c.score if c.outcome.failure is None else np.nan)
        for name, fn in (("best", np.nanmax), ("median", np.nanmedian)):
            self.statistics.register(name, fn)
        self.replayed = 0
        # Formula evaluations spent fitting constants (interpreter.fit), reported in the summary beside the
        # candidates: a candidate with fitted constants cost 1 + its fit_evaluations evaluations of the formula.
        self.fit_evaluations = 0
        self.evaluation_seconds = 0.0  # time spent scoring (cache lookups, probes, training)
        self.started = time.perf_counter()
        self.backend = backend  # None: score in this process, in order (deterministic, replayable)
        self.backend_slots = backend.slots if backend is not None else 1
        self._jobs: dict[int, _Job] = {}
        self._next_job = 0
        self._done: list[Candidate] = []
        self._replay: Iterator[Row] = iter(archive.rows())
        self._pending: Row | None = next(self._replay, None)
        # With a parallel backend the order of completion is not reproducible, so a resumed run
        # does not replay: it reloads every archived candidate and continues from them.
        self.resumed: list[Candidate] = []
        if not replay and self._pending is not None:
            self._reload()

    def _reload(self) -> None:
        rows = [self._pending, *self._replay] if self._pending is not None else []
        self._pending = None
        for row in rows:
            assert row is not None
            failure = Failure(row.failure, row.failure_where or "") if row.failure else None
            job = _Job(parse(row.program), row.hash, row.operator, row.parents, row.generation, row.size, 0.0)
            scored = row.program if "fit_evaluations" in row.metrics else None
            self._finish(job, Outcome(dict(row.metrics), failure, row.seconds, scored), row.source,
                         row.fingerprint, stored=True)
        self.resumed, self._done = self._done, []
        self.replayed = len(self.resumed)
        self.rng = random.Random(f"{self.config.seed}:{self.seq}")

    # -- bookkeeping ------------------------------------------------------------------------------
    def record(self, generation: int, population: Sequence[Candidate]) -> None:
        """One Logbook row for a generation (or, steady state, every ``population`` candidates)."""
        with np.errstate(all="ignore"):
            stats = self.statistics.compile(population) if population else {}
        self.logbook.record(gen=generation, evals=self.seq, **stats, **self.counts)

    def size(self, program: Program) -> int:
        """The evolved slots' size, simplified: what bloat control and parsimony read."""
        bodies = {s.name: s.body for s in slots(simplify_program(program))}
        return sum(bodies[name].size for name in self.evolve)

    @staticmethod
    def key(program: Program) -> str:
        """The cache key: the canonical hash of the simplified program (equal programs score alike)."""
        return program_hash(simplify_program(program))

    # -- making programs --------------------------------------------------------------------------
    def _random_body(self, site: Site) -> Expr:
        def one(t: str) -> Expr:
            return ramped_half_and_half(site.spec, t, self.rng, env=site.env, min_depth_=2,
                                        max_depth=min(5, site.max_depth))
        if isinstance(site.result, TupleType):
            return Tup(tuple(one(str(t)) for t in site.result.items))
        return one(site.result)

    def random_program(self) -> Program:
        program = self.program
        for name in self.evolve:
            program = replace_slot(program, name, self._random_body(self.sites[name]))
        return program

    def vary(self, parent: Program, other: Program | None = None) -> tuple[Program, str]:
        """A child of ``parent`` (crossed with ``other`` if given) and the operator that made it."""
        name = self.rng.choice(self.evolve)
        site = self.sites[name]
        body = {s.name: s.body for s in slots(parent)}[name]
        if other is not None:
            donor = {s.name: s.body for s in slots(other)}[name]
            child = CROSSOVERS["crossover"](body, donor, site, self.rng)
            if child is not None:
                return replace_slot(parent, name, child), "crossover"
        portfolio = self.portfolio
        for _ in range(8):
            if portfolio is None:
                op = choose_mutation(self.rng)
                child = MUTATIONS[op](body, site, self.rng)
            else:
                op = portfolio.choose(self.rng)
                child = portfolio.apply(op, body, site, self.rng, lambda: self._elite_bodies(name))
            if child is not None:
                return replace_slot(parent, name, child), op
        return parent, "copy"

    def _elite_bodies(self, name: str) -> list[Expr]:
        """The hall of fame's bodies of slot ``name``: the donors of an operator's graft step."""
        return [{s.name: s.body for s in slots(c.program)}[name] for c in self.hall_of_fame]

    def initial_programs(self, n: int) -> Iterator[tuple[Program, str, tuple[str, ...]]]:
        """The first population, lazily: the file's program and mutants of it, or random programs."""
        root = self.key(self.program)
        for i in range(n):
            if self.config.init == "random":
                yield self.random_program(), "random", ()
            elif i == 0:
                yield self.program, "init", ()
            else:
                program, op = self.vary(self.program)
                yield program, op, (root,)

    # -- scoring: start a candidate, collect finished ones ----------------------------------------
    def _fitness(self, outcome: Outcome, size: int) -> base.Fitness:
        score = outcome.fitness if outcome.failure is None else FAILED
        if self.config.algorithm == "nsga2":
            return FitnessSize((score, float(size)))
        return FitnessLex((score, float(size)))

    def budget_left(self) -> bool:
        """Whether another candidate may be started (those in flight count against the budget)."""
        return self.seq + len(self._jobs) < self.config.budget

    def can_start(self) -> bool:
        """Whether a slot is free: nothing in flight or finished-but-uncollected fills it."""
        return self.budget_left() and len(self._jobs) + len(self._done) < self.backend_slots

    @property
    def in_flight(self) -> int:
        return len(self._jobs)

    def start(self, program: Program, operator: str, parents: Sequence[str], generation: int) -> None:
        """Begin scoring a candidate; it comes back from :meth:`collect` (at once if it needs no work)."""
        key = self.key(program)
        job = _Job(program, key, operator, tuple(parents), generation, self.size(program), time.perf_counter())
        row = self._pending if self._pending is not None and self._pending.seq == self.seq else None
        if row is not None:  # replaying an archived candidate (in-process runs only)
            if row.hash != key:
                raise MlevError(f"the archive does not match this run at candidate #{row.seq}",
                                file=str(self.archive.path),
                                hint="it was made by another version of mlevolve or grammar; pass another --db")
            failure = Failure(row.failure, row.failure_where or "") if row.failure else None
            self._pending = next(self._replay, None)
            self.replayed += 1
            scored = row.program if "fit_evaluations" in row.metrics else None  # fitted: later cache hits store it
            self._finish(job, Outcome(dict(row.metrics), failure, row.seconds, scored), row.source,
                         row.fingerprint, stored=True)
            return
        if key in self.cache:
            self._finish(job, self.cache[key], "cache", None, stored=False)
            return
        # One request per candidate: the worker runs probe, FEC check, hurdle and training, deciding
        # FEC and the hurdle from this moment's fingerprints and short-run window (with one slot, the
        # same as deciding step by step here).
        window = tuple(self.quick_history[-100:])
        if self.backend is None:  # in process: score now
            self._complete(job, score(self.evaluator, program, key, self.fec, window, self._policy))
            return
        self._next_job += 1
        self._jobs[self._next_job] = job
        job.text = format_program(program)
        self.backend.submit(Request(self._next_job, "score", job.text, key, self._fingerprints,
                                    len(self._fingerprints), 0, window, self._policy))

    def _complete(self, job: _Job, result: tuple[Outcome | None, str, str | None]) -> None:
        """Finish a job with its worker's answer; FEC: the outcome this run holds for the fingerprint."""
        outcome, source, fingerprint = result
        if source == "fec":
            assert fingerprint is not None
            outcome = self.fec[fingerprint]
        assert outcome is not None
        self._finish(job, outcome, source, fingerprint, stored=False)

    def collect(self) -> list[Candidate]:
        """The candidates finished since the last call; waits for one if none is and some are in flight."""
        while not self._done and self._jobs and self.backend is not None:
            for job_id, result in self.backend.results():
                self._complete(self._jobs.pop(job_id), result)
        done, self._done = self._done, []
        return done

    def submit(self, program: Program, operator: str, parents: Sequence[str], generation: int) -> Candidate:
        """Score one candidate to completion (sequentially) and return it."""
        self.start(program, operator, parents, generation)
        while True:
            done = self.collect()
            if done:
                return done[0]

    def _finish(self, job: _Job, outcome: Outcome, source: str, fingerprint: str | None, stored: bool) -> None:
        seq = self.seq
        self.seq += 1
        if not stored:
            outcome = _checked(outcome)
            elapsed = time.perf_counter() - job.created
            self.evaluation_seconds += elapsed
            outcome = Outcome(outcome.metrics, outcome.failure, elapsed, outcome.program)
            failure = outcome.failure
            # The archive keeps the program as scored: with a formula's fitted constants written back
            # (Outcome.program), so it reproduces its score; the search varies the program as proposed.
            scored = parse(outcome.program) if outcome.program is not None else job.program
            text = job.text if outcome.program is None and job.text is not None else format_program(scored)
            self.archive.add(Row(seq, job.key, text,
                                 outcome.fitness if failure is None else None, outcome.metrics,
                                 failure.reason if failure else None, failure.where if failure else None, source,
                                 fingerprint, job.operator, job.parents, job.generation, job.size, outcome.seconds,
                                 simplified=format_program(simplify_program(scored))))
        if job.parents and job.operator != "copy":  # operator credit: did the child beat its parent?
            parent = self.cache.get(job.parents[0])
            better = outcome.failure is None and math.isfinite(outcome.fitness) and (
                parent is None or parent.failure is not None or outcome.fitness > parent.fitness)
            self.operator_trials[job.operator] += 1
            self.operator_successes[job.operator] += better
            if self.portfolio is not None:
                self.portfolio.credit(job.operator, better)
        self._remember(job.key, outcome, source, fingerprint)
        candidate = Candidate(job.program, job.key, outcome, seq, job.size, job.generation, source,
                              self._fitness(outcome, job.size), fingerprint)
        if outcome.failure is None:
            self.hall_of_fame.update([candidate])
            if math.isfinite(candidate.score) and (self.best is None or candidate.score > self.best.score):
                self.best = candidate
        if self.progress is not None:
            self.progress(self, candidate, stored)
        self._done.append(candidate)

    def _remember(self, key: str, outcome: Outcome, source: str, fingerprint: str | None) -> None:
        self.counts[source] += 1
        if source == "evaluated":
            self.fit_evaluations += int(outcome.metrics.get("fit_evaluations", 0))
        if outcome.failure is not None:
            self.counts["failed"] += 1
        self.cache.setdefault(key, outcome)
        if fingerprint is not None and fingerprint not in self.fec:
            self.fec[fingerprint] = outcome
            self._fingerprints.append(fingerprint)
        if source in ("evaluated", "hurdle") and "quick_fitness" in outcome.metrics:
            self.quick_history.append(float(outcome.metrics["quick_fitness"]))

    def summary(self) -> dict[str, Any]:
        """Counts, best fitness and time: what a person wants to see at the end of a run."""
        best = self.best
        return {
            "candidates": self.seq, "replayed": self.replayed, **dict(self.counts),
            **({"fit_evaluations": self.fit_evaluations} if self.config.fit else {}),
            "best_fitness": None if best is None else best.score, "best_hash": None if best is None else best.hash,
            "seconds": round(time.perf_counter() - self.started, 3),
            "evaluation_seconds": round(self.evaluation_seconds, 3),
            "operators": {op: {"trials": n, "successes": self.operator_successes[op]}
                          for op, n in sorted(self.operator_trials.items())},
        }
