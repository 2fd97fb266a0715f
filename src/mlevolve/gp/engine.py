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
from collections.abc import Generator, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np
from deap import base, tools

from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Expr, Program, Tup
from mlevolve.dsl.kinds import replace_slot, slots
from mlevolve.dsl.parse import parse
from mlevolve.dsl.printer import format_program
from mlevolve.dsl.traverse import program_hash
from mlevolve.dsl.types import TupleType
from mlevolve.gp.archive import Archive, Row
from mlevolve.gp.backends import Backend, Request, call
from mlevolve.gp.diversity import DiversityConfig
from mlevolve.gp.generate import ramped_half_and_half
from mlevolve.gp.operators import CROSSOVERS, MUTATIONS, Site, choose_mutation
from mlevolve.gp.portfolio import Portfolio
from mlevolve.grammar.spec import GrammarSpec
from mlevolve.results import Failure, Outcome

FAILED = -1e30  # DEAP's fitness for a failure: finite, so crowding distances stay numbers


@dataclass(frozen=True)
class EvolveConfig:
    """Everything that shapes a run's trajectory; all but ``budget`` identify it in the archive."""

    algorithm: str = "regularized"
    budget: int = 500
    population: int = 100
    tournament: int = 10
    mutation_prob: float = 0.9
    offspring: int = 0  # lambda of (mu + lambda); 0 means the population size
    max_depth: int = 10
    max_size: int = 48
    init: str = "file"
    hurdle: bool = True
    hurdle_quantile: float = 0.75
    hurdle_warmup: int = 20
    seed: int = 0
    bandit: bool = False  # choose mutations with the portfolio's bandit (always, if the grammar has operators)
    diversity: DiversityConfig = field(default_factory=DiversityConfig)  # islands' and MAP-Elites' settings

    def identity(self) -> dict[str, Any]:
        values = asdict(self)
        del values["budget"]
        if not self.bandit:  # archives made before the bandit existed keep their identity
            del values["bandit"]
        del values["diversity"]  # only the algorithm's own settings: other archives keep their identity
        values.update(self.diversity.identity(self.algorithm))
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


class FitnessSize(base.Fitness):  # type: ignore[misc]
    """NSGA-II's objectives: fitness up, program size down."""

    weights = (1.0, -1.0)


@dataclass(eq=False)
class _Job:
    """A candidate being scored: what made it, and its scoring steps (a generator) once started."""

    program: Program
    key: str
    operator: str
    parents: tuple[str, ...]
    generation: int
    size: int
    created: float
    steps: Generator[str, Any, tuple[Outcome, str, str | None]] | None = None
    started_steps: bool = False


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
            self._finish(job, Outcome(dict(row.metrics), failure, row.seconds), row.source, row.fingerprint,
                         stored=True)
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
        bodies = {s.name: s.body for s in slots(program)}
        return sum(bodies[name].size for name in self.evolve)

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
        root = program_hash(self.program)
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
        return FitnessMax((score,))

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
        key = program_hash(program)
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
            self._finish(job, Outcome(dict(row.metrics), failure, row.seconds), row.source, row.fingerprint,
                         stored=True)
            return
        job.steps = self._score_steps(program, key)
        self._advance(job, None)

    def _advance(self, job: _Job, result: Any) -> None:
        """Run a job's scoring steps until it needs a worker, or is done."""
        assert job.steps is not None
        try:
            method = job.steps.send(result) if job.started_steps else next(job.steps)
        except StopIteration as done:
            outcome, source, fingerprint = done.value
            self._finish(job, outcome, source, fingerprint, stored=False)
            return
        job.started_steps = True
        if self.backend is None:  # in process: run the step now
            self._advance(job, self._call(method, job))
            return
        self._next_job += 1
        self._jobs[self._next_job] = job
        self.backend.submit(Request(self._next_job, method, format_program(job.program), job.key))

    def _call(self, method: str, job: _Job) -> Any:
        return call(self.evaluator, method, job.program, job.key)

    def collect(self) -> list[Candidate]:
        """The candidates finished since the last call; waits for one if none is and some are in flight."""
        while not self._done and self._jobs and self.backend is not None:
            for job_id, result in self.backend.results():
                job = self._jobs.pop(job_id)
                self._advance(job, result)
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
            outcome = Outcome(outcome.metrics, outcome.failure, elapsed)
            failure = outcome.failure
            self.archive.add(Row(seq, job.key, format_program(job.program),
                                 outcome.fitness if failure is None else None, outcome.metrics,
                                 failure.reason if failure else None, failure.where if failure else None, source,
                                 fingerprint, job.operator, job.parents, job.generation, job.size, outcome.seconds))
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
        if outcome.failure is not None:
            self.counts["failed"] += 1
        self.cache.setdefault(key, outcome)
        if fingerprint is not None:
            self.fec.setdefault(fingerprint, outcome)
        if source in ("evaluated", "hurdle") and "quick_fitness" in outcome.metrics:
            self.quick_history.append(float(outcome.metrics["quick_fitness"]))

    def _score_steps(self, program: Program, key: str) -> Generator[str, Any, tuple[Outcome, str, str | None]]:
        """Cache, probe, FEC, hurdle, full training: yields each step a worker must run, and receives
        its result (so the same logic serves in-process and parallel scoring)."""
        if key in self.cache:
            return self.cache[key], "cache", None
        fingerprint, failure = yield "fingerprint"
        if failure is not None:
            return Outcome({}, failure), "probe", None
        if fingerprint is not None and fingerprint in self.fec:
            return self.fec[fingerprint], "fec", fingerprint
        if not (self.config.hurdle and self.evaluator.supports_hurdle):
            return (yield "evaluate"), "evaluated", fingerprint
        quick: Outcome = yield "quick"
        if quick.failure is not None:
            return quick, "hurdle", fingerprint
        window = self.quick_history[-100:]
        threshold = float(np.quantile(window, self.config.hurdle_quantile)) \
            if len(window) >= self.config.hurdle_warmup else float("-inf")
        if quick.fitness < threshold:
            return Outcome({**quick.metrics, "quick_fitness": quick.fitness, "hurdle": threshold}), "hurdle", \
                fingerprint
        full: Outcome = yield "evaluate"
        return Outcome({**full.metrics, "quick_fitness": quick.fitness}, full.failure), "evaluated", fingerprint

    def summary(self) -> dict[str, Any]:
        """Counts, best fitness and time: what a person wants to see at the end of a run."""
        best = self.best
        return {
            "candidates": self.seq, "replayed": self.replayed, **dict(self.counts),
            "best_fitness": None if best is None else best.score, "best_hash": None if best is None else best.hash,
            "seconds": round(time.perf_counter() - self.started, 3),
            "evaluation_seconds": round(self.evaluation_seconds, 3),
            "operators": {op: {"trials": n, "successes": self.operator_successes[op]}
                          for op, n in sorted(self.operator_trials.items())},
        }
