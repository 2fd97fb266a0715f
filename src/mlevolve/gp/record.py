"""The run record: what a run has done, kept as it finishes candidates.

It numbers finished candidates (``seq``), writes each to the archive, and keeps the run's
statistics: the counts by source, the hall of fame, the best, DEAP's Logbook, operator credit,
the formula evaluations spent fitting constants, and the time spent scoring.

Resume: the run is a deterministic function of its seed and its candidates' outcomes.  With
``replay`` (a run scored in order, one slot), candidate number k, if the archive holds it, takes its
stored outcome instead of being scored (:meth:`RunRecord.stored`; its key must match), so a run
killed at any moment and resumed ends exactly as an uninterrupted one.  A run scored out of order
(several slots) is not a function of its seed, so it does not replay: it reloads every archived
candidate as already done (:meth:`RunRecord.reload`) and its algorithm continues from them.
"""

from __future__ import annotations

import bisect
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from deap import base, tools

from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Program
from mlevolve.gp.archive import Archive, Row
from mlevolve.gp.memo import Memo, program_text, stored_program, unseen_simplified_text
from mlevolve.gp.portfolio import Portfolio
from mlevolve.gp.scheduler import Job
from mlevolve.results import ARCHIVE_CHANGED, SOURCES, Failure, Outcome, ShownBest, parse_archived, shown_scale

SUMMARY_KEYS = frozenset({"candidates", "replayed", *SOURCES, "fit_evaluations", "replayed_counts", "best_fitness",
                          "best_hash", "seconds", "evaluation_seconds", "waiting_seconds", "operators"})
"""The keys of :meth:`RunRecord.summary`, in every run."""
FAILED = -1e30  # DEAP's fitness for a failure: finite, so crowding distances stay numbers


class FitnessLex(base.Fitness):  # type: ignore[misc]
    """Fitness up, then (lexicographically: DEAP compares weighted values as tuples) size down:
    parsimony as a tie-breaker for the single-objective algorithms."""

    weights = (1.0, -1.0)


class FitnessSize(base.Fitness):  # type: ignore[misc]
    """NSGA-II's objectives: fitness up, program size down."""

    weights = (1.0, -1.0)


class HallOfFame(tools.HallOfFame):  # type: ignore[misc]
    """DEAP's hall of fame, keeping the candidates themselves: DEAP's deep-copies each one it
    inserts (a whole program, its outcome and fitness), and nothing here changes a candidate."""

    def insert(self, item: Candidate) -> None:
        i = bisect.bisect_right(self.keys, item.fitness)
        self.items.insert(len(self) - i, item)
        self.keys.insert(i, item.fitness)


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
    # ``outcome.fitness`` (-inf for a failure), read once: tournaments read it again and again
    score: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.score = self.outcome.fitness


RESUMED_ANEW = f"{ARCHIVE_CHANGED}: pass a new --db path to start again"
"""The hint of a resume that meets an archived program whose text does not parse (:func:`parse_archived`)."""


class Reloaded(Candidate):
    """A candidate a parallel run reloaded from its archive (:meth:`RunRecord.reload`), its program kept as the
    archive's text (``text``) and parsed when first read (then kept): a resumed run reads the programs of the few
    it selects from (its last population, the hall of fame, its best), and parsing every stored one with Lark held
    a 17,000-candidate archive's resume about 10 s (benchmarks/RESULTS.md, "Stop 60").  The program read is
    ``parse(text)``, as the reload parsed before."""

    text: str
    archive: str  # the archive's path, for the error of a text that does not parse

    @classmethod
    def unread(cls, text: str, archive: str, *fields: Any) -> Reloaded:
        """A candidate of ``text``, stored in ``archive``, with the rest of :class:`Candidate`'s fields (``hash``
        onwards)."""
        candidate = cls(cast(Program, None), *fields)  # no program yet: __getattr__ parses it when read
        del candidate.program
        candidate.text = text
        candidate.archive = archive
        return candidate

    def __getattr__(self, name: str) -> Any:  # only for what the instance lacks: its program, until first read
        """The program, parsed from the archive's text when first read.

        Raises:
            MlevError: the text does not parse (:func:`parse_archived`)."""
        if name != "program" or "text" not in self.__dict__:
            raise AttributeError(name)
        self.program = parse_archived(self.text, self.archive, self.seq, RESUMED_ANEW)
        return self.program


def _of_scored(statistic: Callable[[Any], Any]) -> Callable[[Sequence[float]], float]:
    """``statistic`` of the fitnesses that are numbers (a failure's NaN left out), NaN where none is: as
    ``np.nanmax`` / ``np.nanmedian``, without their warning for a generation whose every member failed
    (a restarted population's first ones: NumPy's RuntimeWarning on the user's terminal), nor the overflow
    warning of a median of two fitnesses whose sum passes the largest float (inf, as NumPy's value is)."""
    def of_scored(values: Sequence[float]) -> float:
        scored = np.asarray(values, np.float64)
        scored = scored[~np.isnan(scored)]
        with np.errstate(over="ignore"):
            return float(statistic(scored)) if scored.size else math.nan
    return of_scored


def stored_outcome(row: Row) -> Outcome:
    """An archived candidate's outcome, as it was when scored."""
    failure = Failure(row.failure, row.failure_where or "") if row.failure else None
    # fitted: later cache hits store it (a failure's outcome carries no program, its fitting's count aside)
    scored = row.program if "fit_evaluations" in row.metrics and failure is None else None
    return Outcome(dict(row.metrics), failure, row.seconds, scored, size=row.size)


def shown_size(size: int, outcome: Outcome) -> int:
    """The size the archive row of a candidate of ``size`` gives it: the size of the program its outcome scored,
    where the row shows that program (a fitted formula's text; an FEC hit's is its twin's, another program's: a
    size-4 child of a 19-node twin listed as size 4 on the Pareto front), else its own."""
    return outcome.size if outcome.program is not None and outcome.size is not None else size


class RunRecord:
    """See the module docstring.  ``nsga2``: fitness objectives (fitness, size) for NSGA-II rather
    than lexicographic parsimony."""

    def __init__(self, archive: Archive, nsga2: bool = False, portfolio: Portfolio | None = None) -> None:
        self.archive = archive
        self.nsga2 = nsga2
        self.portfolio = portfolio  # credited with each child's success, when the run has one
        self.seq = 0
        self.counts: Counter[str] = Counter()
        self.replayed_counts: Counter[str] = Counter()  # the part of counts (and fit_evaluations) replayed
        self.operator_trials: Counter[str] = Counter()
        self.operator_successes: Counter[str] = Counter()
        self.hall_of_fame = HallOfFame(10, similar=lambda a, b: a.hash == b.hash)
        # The run's best as every command shows it (results.ShownBest, the rule of Archive.best and
        # `mlevolve best`): among the candidates whose fitness ties with the highest, the smallest.  The
        # search itself selects by fitness alone (the hall of fame puts the latest of equal fitnesses
        # first, NSGA-II's also by size); ``fittest`` is its earliest candidate of the highest fitness.
        self._shown: ShownBest[Candidate] = ShownBest(lambda c: c.score, lambda c: shown_size(c.size, c.outcome),
                                                      lambda c: shown_scale(c.outcome.metrics), lambda c: c.hash)
        self.logbook = tools.Logbook()
        self.statistics = tools.Statistics(key=lambda c: c.score if c.outcome.failure is None else np.nan)
        for name, fn in (("best", np.max), ("median", np.median)):
            self.statistics.register(name, _of_scored(fn))
        self.replayed = 0
        # Formula evaluations spent fitting constants (interpreter.fit), reported in the summary beside the
        # candidates: a candidate with fitted constants cost 1 + its fit_evaluations evaluations of the formula.
        self.fit_evaluations = 0
        # Time spent scoring (probes, training; in process one at a time: each candidate's time from its making to its
        # answer, cache lookups included); with several in flight or on workers, the scorers' own seconds, and the
        # rest of each candidate's time from its making to its answer (waiting for a worker, in a pipe, for the
        # coordinator's turn: summed over candidates, so it overlaps) in ``waiting_seconds`` (None: not counted apart).
        self.evaluation_seconds = 0.0
        self.waiting_seconds: float | None = None
        self.started = time.perf_counter()
        self.resumed: list[Candidate] = []
        self._simplified: Memo[str, str] = Memo()  # a scored program's text -> its simplified text (recent ones)
        self._replay: Iterator[Row] = iter(archive.rows())
        self._pending: Row | None = next(self._replay, None)

    # -- resume -----------------------------------------------------------------------------------
    def stored(self, key: str) -> Row | None:
        """Replay: the archived row of candidate number ``seq`` (the next to finish), or None when
        the archive holds no more.  Raises :class:`MlevError` if its key is not ``key``."""
        row = self._pending
        if row is None or row.seq != self.seq:
            return None
        if row.hash != key:
            raise MlevError(f"the archive does not match this run at candidate #{row.seq}",
                            file=str(self.archive.path),
                            hint="it was made by another version of mlevolve or grammar; pass another --db")
        self._pending = next(self._replay, None)
        self.replayed += 1
        return row

    def reload(self, finish: Callable[[Job, Outcome, str, str | None, str], Candidate],
               limit: int | None = None) -> None:
        """Take every archived candidate (the first ``limit``: a run's budget) as done, in order (``finish``
        enters each, with its archived text: the candidate is a :class:`Reloaded`, its program parsed when first
        read, so its job has none), into ``resumed``."""
        rows = [self._pending, *self._replay][:limit] if self._pending is not None else []
        self._pending = None
        unread = cast(Program, None)
        for row in rows:
            assert row is not None
            job = Job(unread, row.hash, row.operator, row.parents, row.generation, row.size, unread, 0.0)
            self.resumed.append(finish(job, stored_outcome(row), row.source, row.fingerprint, row.program))
        self.replayed = len(self.resumed)

    # -- finishing candidates ---------------------------------------------------------------------
    def fitness(self, outcome: Outcome, size: int) -> base.Fitness:
        """DEAP's fitness of (score, size): its weighted values set directly, as ``Fitness.__init__``
        sets them (each value times its weight: the same floats), without DEAP's checks of the class
        and the values, made per candidate (0.4 µs instead of 2.5)."""
        score = outcome.fitness if outcome.failure is None else FAILED
        kind = FitnessSize if self.nsga2 else FitnessLex
        fitness: base.Fitness = kind.__new__(kind)
        weights = kind.weights
        fitness.wvalues = (score * weights[0], float(size) * weights[1])
        return fitness

    def add(self, job: Job, outcome: Outcome, source: str, fingerprint: str | None, stored: bool,
            parent: Outcome | None, simplified: str | None = None, carried: Program | None = None,
            text: str | None = None, worked: float | None = None) -> Candidate:
        """Number and record a finished candidate (written to the archive unless ``stored``: it came
        from there); ``parent``: the outcome of its first parent, for operator credit;
        ``simplified``: the simplified text of the program its outcome carries, if made already;
        ``carried``: the program the candidate carries into the search (None: the program as proposed);
        ``text``: a reloaded candidate's archived program (:meth:`reload`), parsed when first read; ``worked``: the
        seconds its scorer spent on it, counted as :attr:`evaluation_seconds` with the rest of ``outcome.seconds`` (its
        time since it was made) as :attr:`waiting_seconds` (None: ``outcome.seconds`` is its evaluation time)."""
        seq = self.seq
        self.seq += 1
        if simplified is not None and outcome.program is not None:
            self._simplified.put(outcome.program, simplified)
        if not stored:
            if worked is None:
                self.evaluation_seconds += outcome.seconds
            else:
                self.evaluation_seconds += worked
                self.waiting_seconds = (self.waiting_seconds or 0.0) + max(0.0, outcome.seconds - worked)
            self._store(seq, job, outcome, source, fingerprint, outcome.seconds if worked is None else worked)
        self.counts[source] += 1
        fitted = int(outcome.metrics.get("fit_evaluations", 0)) if source == "evaluated" else 0
        self.fit_evaluations += fitted
        if outcome.failure is not None:
            self.counts["failed"] += 1
        if stored:
            self.replayed_counts.update({source: 1, "failed": int(outcome.failure is not None),
                                        "fit_evaluations": fitted})  # an int: the first update stores it as given
        if job.parents and job.operator != "copy":  # operator credit: did the child beat its parent?
            better = self.better(outcome, parent)
            self.operator_trials[job.operator] += 1
            self.operator_successes[job.operator] += better
            if self.portfolio is not None:
                self.portfolio.credit(job.operator, better)
        # A carried program (a tuned learner's: Engine._carried) is the candidate, so its size is the
        # candidate's, for parsimony and MAP-Elites: an FEC hit carries its twin's program, of its twin's size.
        size = job.size if carried is None else shown_size(job.size, outcome)
        fields = (job.key, outcome, seq, size, job.generation, source, self.fitness(outcome, size), fingerprint)
        candidate = Reloaded.unread(text, str(self.archive.path), *fields) if text is not None \
            else Candidate(job.program if carried is None else carried, *fields)
        hof = self.hall_of_fame
        # DEAP's update enters a candidate only if the hall has room or it beats the hall's worst
        # (``Fitness.__gt__``: ``not wvalues <= worst's``): tested here first, so most skip the call.
        if outcome.failure is None:
            if len(hof) < hof.maxsize or not candidate.fitness.wvalues <= hof[-1].fitness.wvalues:
                hof.update([candidate])
            if math.isfinite(candidate.score):
                self._shown.add(candidate)
        return candidate

    @property
    def best(self) -> Candidate | None:
        """The best candidate as people are shown it: of those tied with the fittest, the smallest."""
        return self._shown.best

    @property
    def fittest(self) -> Candidate | None:
        """The earliest candidate of the highest finite fitness: the search's own measure of progress."""
        return self._shown.anchor

    @staticmethod
    def better(outcome: Outcome, parent: Outcome | None) -> bool:
        """Whether a child's outcome beats its parent's (any finite fitness beats a failure)."""
        return outcome.failure is None and math.isfinite(outcome.fitness) and (
            parent is None or parent.failure is not None or outcome.fitness > parent.fitness)

    def _store(self, seq: int, job: Job, outcome: Outcome, source: str, fingerprint: str | None,
               seconds: float) -> None:
        """Write the archive row (:meth:`Archive.store`, the fields of a :class:`Row`): the program as
        scored, with a formula's fitted constants written back (``Outcome.program``), so it
        reproduces its score; the search varies the program as proposed; ``seconds``: its scoring time (a
        worker's own, where it was scored in one: :meth:`add`'s ``worked``)."""
        failure = outcome.failure
        if outcome.program is None or self._scored_as(job, outcome.program, outcome.parsed):
            text = self._text(job)
            # the program scored, simplified with a float32 body's constants folded in float32 (what it computes)
            scored = job.scored if job.scored is not None else job.program
            stored = stored_program(scored, job.simplified if scored is job.program or scored is job.simplified
                                    else None)
            simple = text if stored is scored else program_text(stored)
        else:  # the program as scored, as its text came (canonical: made by format_program)
            text = outcome.program
            parsed = outcome.parsed
            simple = self._simplified.get(text, lambda: unseen_simplified_text(parsed, text, outcome.simple)
                                          if parsed is not None
                                          else unseen_simplified_text(parse_archived(text, str(self.archive.path),
                                                                                     hint=RESUMED_ANEW)))
        self.archive.store(seq, job.key, text, outcome.fitness if failure is None else None, outcome.metrics,
                           failure.reason if failure else None, failure.where if failure else None, source,
                           fingerprint, job.operator, job.parents, job.generation, shown_size(job.size, outcome),
                           seconds, time.time(), simple)

    @staticmethod
    def _text(job: Job) -> str:
        """The canonical text of the program ``job`` scored (of its program, where it scored none),
        made once."""
        if job.text is None:
            job.text = program_text(job.scored if job.scored is not None else job.program)
        return job.text

    def _scored_as(self, job: Job, text: str, parsed: Program | None) -> bool:
        """Whether an outcome's program (``text``; ``parsed``, its IR where the evaluator gave it) is the
        program ``job`` scored, as text (a candidate not scored here, a cache hit, never is).  Unequal
        programs print unequal texts (the printer's round trip: ``parse(format_program(p)) == p``), so
        a fitted formula, whose constants changed, is told apart without printing what was scored."""
        if job.scored is None:
            return False
        if parsed is not None and parsed is not job.scored and parsed != job.scored:
            return False
        return text == self._text(job)

    # -- statistics -------------------------------------------------------------------------------
    def record(self, generation: int, population: Sequence[Candidate]) -> None:
        """One Logbook row for a generation (or, steady state, every ``population`` candidates)."""
        with np.errstate(all="ignore"):
            stats = self.statistics.compile(population) if population else {}
        self.logbook.record(gen=generation, evals=self.seq, **stats, **self.counts)

    def summary(self, fit: bool | None) -> dict[str, Any]:
        """Counts, best fitness and time (``seconds``: the search's, since this record began, a resume's replay or
        reload included): what a person wants to see at the end of a run.  Its keys are the same in
        every run (:data:`SUMMARY_KEYS`): a count by every source (0 where none came from it), and None where a value
        does not apply (``fit_evaluations`` without constant fitting, ``waiting_seconds`` in a run scored in process,
        whose candidates wait for nothing counted apart)."""
        best = self.best
        return {
            "candidates": self.seq, "replayed": self.replayed, **{s: self.counts[s] for s in SOURCES},
            "fit_evaluations": self.fit_evaluations if fit else None,
            "replayed_counts": {k: v for k, v in self.replayed_counts.items() if v and (fit or k != "fit_evaluations")},
            "best_fitness": None if best is None else best.score, "best_hash": None if best is None else best.hash,
            "seconds": round(time.perf_counter() - self.started, 3),
            "evaluation_seconds": round(self.evaluation_seconds, 3),
            "waiting_seconds": None if self.waiting_seconds is None else round(self.waiting_seconds, 3),
            "operators": {op: {"trials": n, "successes": self.operator_successes[op]}
                          for op, n in sorted(self.operator_trials.items())},
        }
