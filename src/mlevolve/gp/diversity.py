"""Search that keeps diversity: the island model and MAP-Elites, over an :class:`~mlevolve.gp.engine.Engine`.

Both drive the engine like the algorithms of ``search.py`` (``start``, ``collect``, ``vary``,
``budget_left``, ``can_start``): asynchronous steady state, a new child started as soon as a slot is
free, every random choice drawn from ``engine.rng``, so an in-process run is a deterministic function
of its seed and resumes by replay.  Their settings (:class:`DiversityConfig`) are part of the
run's :class:`~mlevolve.gp.engine.EvolveConfig`; the CLI builds its flags from this class.

* **Island model** (Whitley, Rana & Heckendorn 1998, "The island model genetic algorithm";
  the islands of AlphaEvolve, Novikov et al. 2025, and OpenEvolve): the population is split into
  ``islands`` sub-populations, each running regularized (aging) evolution (Real et al. 2019) on its
  own: children are made in turn by island 0, 1, ..., k-1, from tournament winners of that island,
  and join it when they finish (its oldest member leaves).  Every ``migration_interval`` finished
  candidates, each island sends copies of its ``migrants`` fittest members to the next island of a
  ring (i -> i+1 mod k), where they replace the oldest members.
* **MAP-Elites** (Mouret & Clune 2015, "Illuminating search spaces by mapping elites"; the program
  database of OpenEvolve): an archive of at most one elite per cell of a grid over two program
  features; a parent is the elite of a uniformly drawn occupied cell; a child replaces the elite of
  its cell when it is strictly fitter (so a cell's elite is the earliest of the fittest it saw).
  The features, see :meth:`MapElites.cell`: the program size (nodes of the evolved bodies) in
  ``size_bins`` equal bins of [1, max_size x evolved slots], and a behaviour descriptor: the FEC
  fingerprint (the BLAKE2b digest of the candidate's rounded outputs on the probe inputs, see
  ``interpreter/evaluator.py``) read as a number, modulo ``behaviour_bins``.  Functionally
  equivalent programs therefore share a column, and distinct behaviours are spread uniformly over
  the columns (a hash partition: columns are not ordered by any behavioural distance).
"""

from __future__ import annotations

import bisect
import functools
import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from mlevolve.dsl.errors import SettingError

if TYPE_CHECKING:
    from mlevolve.dsl.ir import Program
    from mlevolve.gp.engine import Candidate, Engine

ISLANDS = "islands"
MAP_ELITES = "map-elites"


@dataclass(frozen=True)
class DiversityConfig:
    """The settings of the island model and MAP-Elites (the one place their defaults live).

    Each field's metadata names the algorithm it belongs to and the help text of its CLI flag
    (``--islands``, ``--migration-interval``, ...).  OpenEvolve's defaults are 5 islands with the
    top 10% migrating every 50 island generations; here 4 islands with 2 of 25 (8%) migrating every
    100 candidates (one island generation), since a run has a few thousand candidates, not a few
    thousand generations.  MAP-Elites gets 12 x 8 = 96 cells.
    """

    islands: int = field(default=4, metadata={"algorithm": ISLANDS, "min": 2, "help": "islands: how many "
                                              "sub-populations (the population is split among them)"})
    migration_interval: int = field(default=100, metadata={"algorithm": ISLANDS, "min": 1, "help": "islands: "
                                                           "finished candidates (all islands) between migrations"})
    migrants: int = field(default=2, metadata={"algorithm": ISLANDS, "min": 1, "help": "islands: each island's "
                                               "fittest members copied to the next island of the ring"})
    size_bins: int = field(default=12, metadata={"algorithm": MAP_ELITES, "min": 1, "help": "map-elites: bins "
                                                 "of program size (nodes of the evolved bodies)"})
    behaviour_bins: int = field(default=8, metadata={"algorithm": MAP_ELITES, "min": 1, "help": "map-elites: "
                                                     "bins of the FEC fingerprint (behaviour descriptor)"})

    def identity(self, algorithm: str) -> dict[str, int]:
        """The settings that shape a run of ``algorithm`` (none for other algorithms: archives of
        those keep the identity they had before these settings existed)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.metadata["algorithm"] == algorithm}

    def check(self, algorithm: str, population: int) -> None:
        """Raise :class:`SettingError` (naming the setting) if a setting of ``algorithm`` is out of range."""
        for f in fields(self):
            value = getattr(self, f.name)
            if f.metadata["algorithm"] == algorithm and value < f.metadata["min"]:
                raise SettingError(f"{{{f.name}}} must be at least {{low}}, got {{got}}", low=f.metadata["min"],
                                   got=value)
        if algorithm == ISLANDS:  # an island holds at least 2 members, and more than the migrants it sends
            size, least = population // self.islands, max(2, self.migrants + 1)
            if size < least:
                raise SettingError("{population} {got} is too small for {islands} {k} with {migrants} {m}: each "
                                   "island needs at least {least:,} members ({n:,} // {k:,} = {size:,})",
                                   hint="pass {population} {enough} or more, or fewer {islands} or {migrants}",
                                   got=population, k=self.islands, m=self.migrants, least=least, n=population,
                                   size=size, enough=least * self.islands)


def _fit(c: Candidate) -> float:
    """A candidate's fitness for ranking: failures and non-finite scores rank last."""
    return c.score if c.outcome.failure is None and math.isfinite(c.score) else -math.inf


class IslandModel:
    """The island model's state: ``islands`` (each a deque, oldest first), ``home`` (the island
    each candidate was born on, by sequence number) and ``migrations`` (one entry per move: the
    candidate count when it happened, source island, destination island, the hashes moved)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        cfg = engine.config
        cfg.diversity.check(ISLANDS, cfg.population)
        self.k = cfg.diversity.islands
        self.size = cfg.population // self.k
        self.islands: list[deque[Candidate]] = [deque() for _ in range(self.k)]
        self.home: dict[int, int] = {}
        self.migrations: list[tuple[int, int, int, tuple[str, ...]]] = []
        self._owner: dict[str, deque[int]] = {}  # program hash -> islands waiting for it, in start order
        self._turn = 0
        # A parallel run resumed without replay: the last members, dealt round robin (the islands of
        # archived candidates are not stored).
        for i, c in enumerate(engine.resumed[-self.k * self.size:]):
            self.islands[i % self.k].append(c)
            self.home[c.seq] = i % self.k

    def _start(self, island: int, program: Program, op: str, parents: tuple[str, ...], generation: int) -> None:
        self._owner.setdefault(self.engine.key(program), deque()).append(island)
        self.engine.start(program, op, parents, generation)

    def _next_island(self) -> int | None:
        """The island whose turn it is to make a child (skipping empty ones), or None."""
        for step in range(self.k):
            island = (self._turn + step) % self.k
            if self.islands[island]:
                self._turn = island + 1
                return island
        return None

    def run(self) -> None:
        from mlevolve.gp.search import tournament

        engine, cfg = self.engine, self.engine.config
        initial: Iterator[tuple[Program, str, tuple[str, ...]]] = engine.initial_programs(self.k * self.size)
        for _ in range(len(engine.resumed)):  # those already made
            next(initial, None)
        seeding = len(engine.resumed) < self.k * self.size
        seeded = len(engine.resumed)
        since_migration = since_record = 0
        while engine.budget_left() or engine.in_flight:
            while engine.can_start():
                if seeding:
                    made = next(initial, None)
                    if made is not None:
                        self._start(seeded % self.k, *made, 0)
                        seeded += 1
                        continue
                    seeding = False
                island = self._next_island()
                if island is None:
                    break
                pick = functools.partial(tournament, engine.rng, self.islands[island], cfg.tournament)
                self._start(island, *engine.offspring(pick, cfg.mutation_prob))
            finished = engine.collect()
            if not finished and not engine.in_flight:
                break
            for child in finished:
                waiting = self._owner[child.hash]
                island = waiting.popleft()
                if not waiting:
                    del self._owner[child.hash]
                self.home[child.seq] = island
                self.islands[island].append(child)
                if len(self.islands[island]) > self.size:
                    self.islands[island].popleft()
                since_migration += 1
                if since_migration == cfg.diversity.migration_interval:
                    self.migrate()
                    since_migration = 0
                since_record += 1
                if since_record == cfg.population:
                    engine.record(child.generation, [c for isl in self.islands for c in isl])
                    since_record = 0

    def migrate(self) -> None:
        """Ring migration: copies of each island's ``migrants`` fittest (earliest first on ties)
        replace the oldest members of the next island; a program the destination already holds
        is not sent again."""
        m = self.engine.config.diversity.migrants
        emigrants = [sorted((c for c in isl if _fit(c) > -math.inf), key=lambda c: (-_fit(c), c.seq))[:m]
                     for isl in self.islands]
        for source, group in enumerate(emigrants):
            dest = (source + 1) % self.k
            there = {c.hash for c in self.islands[dest]}
            moved = tuple(c.hash for c in group if c.hash not in there)
            for c in group:
                if c.hash in there:
                    continue
                if len(self.islands[dest]) >= self.size:
                    self.islands[dest].popleft()
                self.islands[dest].append(c)
            if moved:
                self.migrations.append((self.engine.seq, source, dest, moved))


class MapElites:
    """MAP-Elites' state: ``grid`` (cell -> elite) and ``cells`` (the occupied cells, sorted)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        cfg = engine.config
        cfg.diversity.check(MAP_ELITES, cfg.population)
        self.grid: dict[tuple[int, int], Candidate] = {}
        self.cells: list[tuple[int, int]] = []
        self._largest = cfg.max_size * len(engine.evolve)
        self._behaviour: dict[str, str] = {}  # program hash -> its fingerprint (a cache hit carries none)
        for c in engine.resumed:  # a parallel run resumed without replay: the grid of what it holds
            self.place(c)

    def cell(self, c: Candidate) -> tuple[int, int]:
        """(size bin, behaviour bin) of a candidate.

        Size bin: ``min(size_bins - 1, (size - 1) * size_bins // (max_size * evolved slots))``.
        Behaviour bin: the first 32 bits of the FEC fingerprint (hex), modulo ``behaviour_bins``; a
        candidate with none of its own (a cache hit) takes its program's first fingerprint, one with
        no probe at all (an evolving model) its program hash.
        """
        d = self.engine.config.diversity
        if c.fingerprint is not None:
            self._behaviour.setdefault(c.hash, c.fingerprint)
        descriptor = self._behaviour.get(c.hash, c.hash)
        size_bin = min(d.size_bins - 1, max(0, c.size - 1) * d.size_bins // max(1, self._largest))
        return size_bin, int(descriptor[:8], 16) % d.behaviour_bins

    def place(self, c: Candidate) -> bool:
        """Put ``c`` in its cell if the cell is empty or ``c`` is strictly fitter than its elite;
        failures and non-finite scores never enter."""
        key = self.cell(c)
        if _fit(c) == -math.inf:
            return False
        elite = self.grid.get(key)
        if elite is None:
            bisect.insort(self.cells, key)
        elif _fit(c) <= _fit(elite):
            return False
        self.grid[key] = c
        return True

    def run(self) -> None:
        engine, cfg = self.engine, self.engine.config
        initial = engine.initial_programs(cfg.population)
        for _ in range(len(engine.resumed)):  # those already made
            next(initial, None)
        seeding = len(engine.resumed) < cfg.population
        since_record = 0
        while engine.budget_left() or engine.in_flight:
            while engine.can_start():
                if seeding:
                    made = next(initial, None)
                    if made is not None:
                        engine.start(*made, 0)
                        continue
                    seeding = False
                if not self.cells:  # every candidate so far failed: draw afresh
                    if engine.in_flight:
                        break
                    engine.start(engine.random_program(), "random", (), 0)
                    continue
                engine.start(*engine.offspring(lambda: self.grid[engine.rng.choice(self.cells)], cfg.mutation_prob))
            finished = engine.collect()
            if not finished and not engine.in_flight:
                break
            for child in finished:
                self.place(child)
                since_record += 1
                if since_record == cfg.population:
                    engine.record(child.generation, list(self.grid.values()))
                    since_record = 0


def island_model(engine: Engine) -> None:
    """The island model (see the module docstring): ``--algorithm islands``."""
    IslandModel(engine).run()


def map_elites(engine: Engine) -> None:
    """MAP-Elites (see the module docstring): ``--algorithm map-elites``."""
    MapElites(engine).run()
