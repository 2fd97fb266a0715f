"""The evolutionary engine: one run, between the search algorithm and its parts.

A search algorithm (``search.py``, ``diversity.py``) asks the engine for initial programs and
children (variation: the run's explicit RNG, the evolvable slots and their typed sites, the operator
portfolio) and starts them; the engine hands each candidate to its parts, each in a module of its own:

- ``scorer.py``: the scoring policy, cache → probe → FEC → hurdle → full training; the cache and FEC
  tables and the hurdle's window;
- ``scheduler.py``: the jobs in flight on the run's backend (always a backend: in process, the
  :class:`~mlevolve.gp.backends.InProcess` one), and their slots;
- ``record.py``: the run record: archive, replay on resume, hall of fame, statistics, best,
  operator credit.

Each candidate's canonical facts (the simplified program, its key, size and text) are made once,
when it starts (``memo.py`` keeps the simplified bodies).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import random
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from deap import tools

from mlevolve import stop
from mlevolve.dsl.ir import Expr, Program, Tup
from mlevolve.dsl.kinds import replace_slot, slot_body, slots
from mlevolve.dsl.parse import parse
from mlevolve.dsl.simplify import fold_fitted
from mlevolve.dsl.types import TupleType
from mlevolve.gp.archive import LEFT_OUT_AT, Archive
from mlevolve.gp.backends import Backend, InProcess, Policy, Scored
from mlevolve.gp.diversity import DiversityConfig
from mlevolve.gp.generate import ramped_half_and_half
from mlevolve.gp.memo import cache_key, simplified_program
from mlevolve.gp.operators import CROSSOVERS, MUTATIONS, Site, choose_mutation
from mlevolve.gp.portfolio import Portfolio
from mlevolve.gp.record import FAILED, Candidate, FitnessLex, FitnessSize, RunRecord, stored_outcome
from mlevolve.gp.scheduler import Job, Scheduler
from mlevolve.gp.scorer import Scorer
from mlevolve.grammar.spec import GrammarSpec
from mlevolve.results import Failure, Outcome

INITS = ("file", "random")  # EvolveConfig.init: start from the file's definitions, or from random programs
__all__ = ["FAILED", "INITS", "RESTART_POPULATIONS", "Candidate", "Engine", "Evaluator", "EvolveConfig", "FitnessLex",
           "FitnessSize"]


# A learner search's default restarts (regularized evolution, :meth:`EvolveConfig.restarts`): every this many
# populations of finished candidates, 2,000 at the default population of 100.
RESTART_POPULATIONS = 20


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
    # Formulas and learners: fit constants (interpreter.fit) before scoring, or not (False); None where
    # no formula or learner is evolved, so there is nothing to fit (:func:`fitting`).
    fit: bool | None = True
    # Regularized evolution only: every this many finished candidates the population is dropped and re-seeded
    # from the initial programs (``init``), budget, archive, cache and FEC tables continuing; 0: never.  Why
    # (benchmarks/RESULTS.md, "Restarts"): the showcase's failing seeds are a run's luck, not the seed's.  The
    # value the run uses: ``mlevolve evolve`` resolves its default per run (:meth:`restarts`); 0 for a config
    # built without it (a meta level's inner runs keep their configured settings).
    restart_every: int = field(default=0, metadata={"algorithm": "regularized"})
    # Formulas and learners: once the run ends, prune its best by value-changing edits rescored by the run's own
    # scoring (:mod:`mlevolve.gp.prune`), kept in the archive's meta ``pruned`` and shown in its place.  Not part
    # of the run's identity (like ``budget``): it does not change the search, only what is shown after it.
    prune: bool = True
    # A wall-clock limit on the search, in seconds (None: none; PySR's timeout_in_seconds, Operon's time_limit):
    # once it has passed, no new candidate starts, those in flight finish and the run ends as one at its budget
    # does (:meth:`Engine.budget_left`).  Not part of the run's identity (like ``budget``): the same command resumes.
    max_time: float | None = None

    @staticmethod
    def fitting(fit: bool | None, kinds: Collection[str]) -> bool | None:
        """The ``fit`` of a run evolving programs of ``kinds`` (``evolving_kinds``): ``fit`` (None: the
        default, on) where a formula or learner is evolved, else None (nothing to fit; such a run folds
        the chains of literals of the candidates it makes instead: :meth:`Engine._folded`)."""
        return (EvolveConfig.fit if fit is None else fit) if {"formula", "learner"} & set(kinds) else None

    @staticmethod
    def restarts(every: int | None, algorithm: str, population: int, kinds: Collection[str]) -> int:
        """The ``restart_every`` of a run of ``algorithm`` evolving programs of ``kinds`` (``evolving_kinds``):
        ``every`` where given (0: never), else the default for this run: a learner search by regularized
        evolution restarts every :data:`RESTART_POPULATIONS` populations of finished candidates (2,000 at
        population 100), any other run never.  Why a multiple of the population (benchmarks/RESULTS.md, "Fresh tasks
        and restarts together"): a flat 2,000 is two generations of the AutoML-Zero setting's 1,000 and cost it 6 of
        10 seeds."""
        if every is not None:
            return every
        return RESTART_POPULATIONS * population if algorithm == "regularized" and "learner" in kinds else 0

    def identity(self) -> dict[str, Any]:
        values = asdict(self)
        del values["budget"], values["prune"], values["max_time"]
        for name, off in LEFT_OUT_AT.items():  # off (bandit, restarts): archives made before them keep their identity
            if values[name] == off:
                del values[name]
        del values["diversity"]  # only the algorithm's own settings: other archives keep their identity
        values.update(self.diversity.identity(self.algorithm))
        if self.fit is None:  # no formula evolved: such archives made before fitting existed keep their identity
            del values["fit"]
        if self.algorithm == "random":  # it reads no init: an archive made with either resumes with the default
            del values["init"]
        return values


class Evaluator(Protocol):
    """What the engine needs of an evaluator (the interpreter's ``ProgramEvaluator``)."""

    @property
    def supports_hurdle(self) -> bool: ...
    def fingerprint(self, program: Program, key: str) -> tuple[str | None, Failure | None]: ...
    def evaluate(self, program: Program, key: str, quick: bool = False) -> Outcome: ...


# Python's cyclic collector during a search: a generation-0 pass every 50,000 net allocations, not 700.  A
# search allocates IR nodes, rows and numbers by the million and frees almost all of them by reference count,
# so the default's frequent passes found nothing and took 17-21% of a fitted formula run's CPU (measured).
SEARCH_GC_THRESHOLD = (50_000, 50, 100)


@contextlib.contextmanager
def search_collector() -> Iterator[None]:
    """The cyclic garbage collector tuned for a search while it runs (:data:`SEARCH_GC_THRESHOLD`), the objects
    made before it (modules, grammar, tasks) frozen out of its passes (``gc.freeze``); restored after."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*SEARCH_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def evolved_size(simple: Program, names: Sequence[str]) -> int:
    """The nodes of the evolved definitions ``names`` of ``simple`` (a program simplified, ``simplified_program``):
    a candidate's ``size`` in its archive (:meth:`Engine.size`), which bloat control and parsimony read, and an
    inner run's best's in a meta archive."""
    return sum(slot_body(simple, name).size for name in names)


class Engine:
    """One run: see the module docstring.  ``progress`` is called after every candidate.

    ``backend``: where candidates are scored (None: in this process, :class:`InProcess` on
    ``evaluator``).  ``replay``: resume by replaying the archive (a run scored in order); else a
    resumed run reloads what the archive holds (:mod:`mlevolve.gp.record`).  ``clock``: the seconds the time
    limit (``config.max_time``) is measured in, read only where one is set (a test's stub clock).
    """

    def __init__(self, program: Program, evolve: Sequence[str], spec: GrammarSpec, evaluator: Evaluator,
                 archive: Archive, config: EvolveConfig, progress: Any = None, backend: Backend | None = None,
                 replay: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        self.program = program
        self.config = config
        self.evaluator = evaluator
        self.progress = progress
        self.rng = random.Random(config.seed)
        by_name = {s.name: s for s in slots(program)}
        self.sites = {name: Site(spec.restrict(by_name[name].types), by_name[name].env, by_name[name].result,
                                 config.max_depth, config.max_size) for name in evolve}
        self.evolve = list(evolve)
        # Learners whose literals are tuned carry the tuned program into the search (Lamarckian; see
        # :meth:`_carried`); formulas carry the program as proposed (Baldwinian, docs/evolve.md).
        methods = {f"{d.name}.{m.kind}" for d in program.definitions if d.kind == "learner" for m in d.methods}
        self._lamarckian = bool(config.fit) and set(self.evolve) <= methods
        self._parse_tuned = functools.lru_cache(maxsize=4096)(parse)  # an outcome's program text (replays, workers)
        self.portfolio = Portfolio(spec.operators, spec.floor) if config.bandit or spec.operators else None
        self.backend: Backend = backend if backend is not None else InProcess(lambda: evaluator)
        self.scheduler = Scheduler(self.backend)
        if getattr(self.backend, "batch", 1) > 1:  # batches: never more in flight than the population holds
            self.scheduler.slots = max(1, min(self.scheduler.slots, config.population))
        self.scorer = Scorer(Policy(config.hurdle, config.hurdle_quantile, config.hurdle_warmup))
        # Whether a hurdle can answer a candidate (a learner's or formula's cannot): its count is shown only then.
        self.hurdled = config.hurdle and getattr(evaluator, "supports_hurdle", True)
        self.run = RunRecord(archive, nsga2=config.algorithm == "nsga2", portfolio=self.portfolio)
        self._done: list[Candidate] = []
        self.restarts = 0  # times the algorithm re-seeded its population (``restart_every``)
        self._replay = replay
        if not replay:
            self.run.reload(lambda job, outcome, source, fp, text: self._finish(job, outcome, source, fp, stored=True,
                                                                                text=text),
                            limit=config.budget)  # as a replay: the first budget candidates, never more
            self._done = []
            if self.run.seq:  # a resumed run's draws go on from where it stopped; a new one draws as in process
                self.rng = random.Random(f"{config.seed}:{self.run.seq}")
        # The time limit (``max_time``): its clock starts with the first candidate the archive does not answer
        # (:meth:`_clock_starts`), the run's start-up (data, workers) and a resumed run's replay or reload done alike: a
        # serial resume's replay was counted (a quartic run's 20,000 candidates: about 14 s on a loaded 2-core machine),
        # a limit shorter than it scoring one candidate a call (qa70).  A run goes at least one candidate past what its
        # archive held however short its limit, so every call makes progress, and on until one has succeeded or a
        # population's worth has failed (:meth:`out_of_time`).  A process pool starts its workers in the background (a
        # fork server's: the coordinator's own start meanwhile), so a limited run waits for them first: their start
        # (about a second, PyTorch's import and the warm-up) was counted, a 0.5 s limit with two workers ending after
        # 1.5 s with only what the first batches held.
        # Nor is that wait in the summary's ``seconds`` (the search's time, as the limit counts it): the fork server's
        # start was (2.8 s of a 4.2 s ``mlp_digits`` run at ``--max-time 3``, on a loaded 2-core machine, doc89).
        if config.max_time is not None:
            waiting = time.perf_counter()
            self.backend.wait_ready()
            self.run.started += time.perf_counter() - waiting
        self.clock = clock
        self._held = archive.count()
        self._deadline: float | None = None  # clock() + max_time, from the first candidate past the archive
        self.timed_out = False  # whether the time limit refused a candidate the budget allowed

    # -- the run record's state, as the algorithms and callers read it ------------------------------
    @property
    def archive(self) -> Archive:
        return self.run.archive

    @property
    def seq(self) -> int:
        return self.run.seq

    @property
    def counts(self) -> Counter[str]:
        return self.run.counts

    @property
    def hall_of_fame(self) -> tools.HallOfFame:
        return self.run.hall_of_fame

    @property
    def best(self) -> Candidate | None:
        """The run's best as shown to people (``RunRecord.best``: of the candidates tied with the fittest,
        the smallest); :attr:`fittest` is the search's own (fitness alone)."""
        return self.run.best

    @property
    def fittest(self) -> Candidate | None:
        return self.run.fittest

    @property
    def logbook(self) -> tools.Logbook:
        return self.run.logbook

    @property
    def resumed(self) -> list[Candidate]:
        return self.run.resumed

    @property
    def replayed(self) -> int:
        return self.run.replayed

    @property
    def cache(self) -> dict[str, Outcome]:
        return self.scorer.cache

    @property
    def fec(self) -> dict[str, Outcome]:
        return self.scorer.fec


    def record(self, generation: int, population: Sequence[Candidate]) -> None:
        """One Logbook row for a generation (or, steady state, every ``population`` candidates)."""
        self.run.record(generation, population)

    def summary(self) -> dict[str, Any]:
        """Counts, best fitness and time: what a person wants to see at the end of a run (:meth:`RunRecord.summary`),
        with ``restarts`` and the ``restart_every`` it used (None: a run that does not restart) and ``time_limit``:
        ``max_time`` and ``budget`` where its time limit stopped it short of its budget (else None)."""
        summary = self.run.summary(self.config.fit)
        stopped = self.timed_out and self.run.seq < self.config.budget  # by the clock, not the budget
        summary["time_limit"] = {"max_time": self.config.max_time, "budget": self.config.budget} if stopped else None
        every = self.config.restart_every or None
        summary.update(restarts=None if every is None else self.restarts, restart_every=every)
        return summary

    # -- canonical facts --------------------------------------------------------------------------
    def size(self, program: Program) -> int:
        """The evolved slots' size, simplified: what bloat control and parsimony read."""
        return self._size(simplified_program(program))

    def _size(self, simple: Program) -> int:
        return evolved_size(simple, self.evolve)

    @staticmethod
    def key(program: Program) -> str:
        """The cache key: the canonical hash of the simplified program, a float32 body's constants folded in
        float32 (``memo.cache_key``: programs that compute the same values score alike)."""
        return cache_key(program)

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
            program = replace_slot(program, name, self._folded(self._random_body(self.sites[name])))
        return program

    def _folded(self, body: Expr) -> Expr:
        """A made body (random or a variation's child) with its chains of literals folded into one
        (:func:`~mlevolve.dsl.simplify.fold_fitted`: ``0.695 - x - 1.09`` is ``-0.395 - x``) in a run
        that evolves no formula or learner (``config.fit`` None: an activation, loss, optimizer...); the
        folded program is the candidate, scored and shown as it is.  Folding is exact in real arithmetic
        only, so it is part of making a candidate, never of the cache key's simplifier.  A formula's or
        learner's constants are folded by the fit, after fitting (which scores the result); with
        ``--no-fit`` (the meta level's inner runs) they are left as made: folding them there took the
        meta smoke run's elites below anything to mine (seeds 0-4: no rule, against 3 unfolded)."""
        return fold_fitted(body) if self.config.fit is None else body

    def vary(self, parent: Program, other: Program | None = None) -> tuple[Program, str]:
        """A child of ``parent`` (crossed with ``other`` if given) and the operator that made it."""
        name = self.rng.choice(self.evolve)
        site = self.sites[name]
        body = slot_body(parent, name)
        if other is not None:
            donor = slot_body(other, name)
            child = CROSSOVERS["crossover"](body, donor, site, self.rng)
            if child is not None:
                return replace_slot(parent, name, self._folded(child)), "crossover"
        portfolio = self.portfolio
        for _ in range(8):
            if portfolio is None:
                op = choose_mutation(self.rng)
                child = MUTATIONS[op](body, site, self.rng)
            else:
                op = portfolio.choose(self.rng)
                child = portfolio.apply(op, body, site, self.rng, lambda: self._elite_bodies(name))
            if child is not None:
                return replace_slot(parent, name, self._folded(child)), op
        return parent, "copy"

    def offspring(self, pick: Callable[[], Candidate],
                  mutation_prob: float) -> tuple[Program, str, tuple[str, ...], int]:
        """A steady-state search's next child as ``start`` takes it: a parent chosen by ``pick`` (a tournament, a
        MAP-Elites cell) mutated with probability ``mutation_prob``, else crossed with a second one; its generation
        one more than its latest parent's (its depth in the ancestry)."""
        parent = pick()
        if self.rng.random() < mutation_prob:
            program, op = self.vary(parent.program)
            return program, op, (parent.hash,), parent.generation + 1
        other = pick()
        program, op = self.vary(parent.program, other.program)
        return program, op, (parent.hash, other.hash), max(parent.generation, other.generation) + 1

    def _elite_bodies(self, name: str) -> list[Expr]:
        """The hall of fame's bodies of slot ``name``: the donors of an operator's graft step."""
        return [slot_body(c.program, name) for c in self.hall_of_fame]

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
    def budget_left(self) -> bool:
        """Whether another candidate may be started: the budget allows it (those in flight count against it) and
        the time limit has not passed (:meth:`out_of_time`)."""
        return self.run.seq + self.scheduler.in_flight < self.config.budget and not self.out_of_time()

    def out_of_time(self) -> bool:
        """Whether ``max_time`` seconds have passed since the run started its first candidate beyond those its archive
        held (:meth:`_clock_starts`: replayed or reloaded ones are start-up) and it has a result: a candidate that
        succeeded (a finite score, its archive's included), or, where every one so far failed, a population's worth
        (``config.population``) begun past its archive, as PySR and Operon always score a first population.  A short
        limit thus never ends a run with nothing to show where one more candidate could have given it something, and a
        run on data every formula fails still stops.  The first such answer sets :attr:`timed_out`, and the clock is no
        longer read."""
        if self._deadline is None or self.timed_out:  # no limit, or no candidate yet past the archive
            return self.timed_out
        started = self.run.seq + self.scheduler.in_flight - self._held  # candidates begun by this call
        if started > 0 and (self.run.fittest is not None or started >= self.config.population) \
                and self.clock() >= self._deadline:
            self.timed_out = True
        return self.timed_out

    def _clock_starts(self) -> None:
        """Start the time limit's clock (``max_time``, where one is set) as the first candidate that the archive
        does not answer begins: a resumed run's replay (a run scored in order) or reload (a parallel one) of its
        archive is over, so neither counts, as the start-up before it does not."""
        if self._deadline is None and self.config.max_time is not None:
            self._deadline = self.clock() + self.config.max_time

    def can_start(self) -> bool:
        """Whether a slot is free: nothing in flight or finished-but-uncollected fills it."""
        return self.budget_left() and self.scheduler.busy + len(self._done) < self.scheduler.slots

    @property
    def in_flight(self) -> int:
        return self.scheduler.in_flight

    def start(self, program: Program, operator: str, parents: Sequence[str], generation: int) -> None:
        """Begin scoring a candidate; it comes back from :meth:`collect` (at once if it needs no work)."""
        stop.check()  # a Ctrl-C whose KeyboardInterrupt Python dropped (in a callback from C) stops the run here
        simple = simplified_program(program)
        key = cache_key(program, simple)
        job = Job(program, key, operator, tuple(parents), generation, self._size(simple), simple,
                  time.perf_counter())
        row = self.run.stored(key) if self._replay else None
        if row is not None:  # replaying an archived candidate (runs scored in order)
            self._finish(job, stored_outcome(row), row.source, row.fingerprint, stored=True)
            return
        self._clock_starts()
        cached = self.scorer.cached(key)
        if cached is not None:
            self._finish(job, cached, "cache", None, stored=False)
            return
        if self.scheduler.follow(job):  # an equal program is in flight: its answer is this one's, as a cache hit
            return
        # A run that fits constants scores the simplified program: the fit then tunes no literal that
        # simplification would fold away, and what the archive keeps, the program with its constants
        # fitted, is already simple (the search varies the program as proposed either way).
        scored = simple if self.config.fit else program
        job.scored = scored  # its text is made by the run record, where the archive keeps it
        self.scheduler.submit(job, self.scorer.request(self.scheduler.next_id(), key, scored))

    def _collect(self) -> None:
        # Several candidates in flight (or a worker's): a candidate's time from its making to its answer overlaps
        # others' and counts waits for a worker, so the run counts the seconds its scorer spent on it (Scored.seconds)
        # as its evaluation time; one at a time in this process, that time from its making to its answer, as always.
        apart = self.scheduler.slots > 1 or not isinstance(self.backend, InProcess)
        for job, result in self.scheduler.finished():
            scored = self.scorer.resolve(Scored(*result))
            assert scored.outcome is not None
            self._finish(job, scored.outcome, scored.source, scored.fingerprint, stored=False,
                         simplified=scored.simplified, worked=(scored.seconds or 0.0) if apart else None)
            for twin in self.scheduler.followers(job.key):  # answered as a cache hit is: the key's first outcome
                self._finish(twin, self.scorer.cache[twin.key], "cache", None, stored=False,
                             worked=0.0 if apart else None)

    def _carried(self, outcome: Outcome) -> Program | None:
        """The program a learner candidate carries into the search: the program its outcome scored,
        literals tuned (``Outcome.program``), in a run that tunes learner literals; None (the program
        as proposed) otherwise.  So a child starts from its parent's tuned literals, and a child that
        behaves like its parent on the FEC probe (a neutral child: same fingerprint as the parent as
        tuned, not as the parent was proposed) is scored and tuned again from there: a rule whose bias
        was tuned while its step was still small has its bias tuned again once the step is right,
        where a population carrying proposed programs answered every neutral child with the parent's
        old outcome, untuned (the README showcase's seed 4 stalled 9,500 candidates so, fit31).  A
        cache or FEC hit carries the program its outcome scored, which earned that score.  The
        re-tuning decays by itself: once a tuning moves nothing, the tuned program's fingerprint is
        known and its neutral children are FEC hits."""
        if not self._lamarckian or outcome.failure is not None or outcome.program is None:
            return None
        if outcome.parsed is not None:
            return outcome.parsed
        return self._parse_tuned(outcome.program)

    def collect(self) -> list[Candidate]:
        """The candidates finished since the last call; waits for one if none is and some are in flight."""
        if not self._done:
            self._collect()
        done, self._done = self._done, []
        return done

    def submit(self, program: Program, operator: str, parents: Sequence[str], generation: int) -> Candidate:
        """Score one candidate to completion (sequentially) and return it."""
        self.start(program, operator, parents, generation)
        while True:
            done = self.collect()
            if done:
                return done[0]

    def _finish(self, job: Job, outcome: Outcome, source: str, fingerprint: str | None, stored: bool,
                simplified: str | None = None, text: str | None = None, worked: float | None = None) -> Candidate:
        """Record a finished candidate (``RunRecord.add``); ``text``: a reloaded one's archived program, which is
        also what it carries (its fitted or tuned program is the archived one); ``worked``: the seconds its scorer
        spent on it, where they are counted apart from its time since it was made (``RunRecord.add``)."""
        if not stored:  # dataclasses.replace(outcome, seconds=..., size=...), built directly (once per candidate)
            outcome = Outcome(outcome.metrics, outcome.failure, time.perf_counter() - job.created, outcome.program,
                              outcome.parsed, size=job.size if source == "evaluated" else outcome.size)
        parent = self.scorer.cached(job.parents[0]) if job.parents else None
        carried = None if text is not None else self._carried(outcome)
        candidate = self.run.add(job, outcome, source, fingerprint, stored, parent, simplified, carried, text, worked)
        self.scorer.remember(job.key, outcome, source, fingerprint)
        if self.progress is not None:
            self.progress(self, candidate, stored)
        self._done.append(candidate)
        return candidate
