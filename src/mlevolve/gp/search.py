"""Search algorithms over an :class:`~mlevolve.gp.engine.Engine`.

Each is a function of the engine alone, drawing every random choice from ``engine.rng``, and keeps
every evaluation slot of the engine's backend busy: steady-state algorithms start a new child as
soon as one finishes (no generation barrier), generational ones start a whole generation at once.
In process there is one slot and each child finishes before the next starts, so a run is a
deterministic function of its seed.  DEAP supplies survivor selection (``selBest``, ``selNSGA2``);
tournaments are written here because DEAP's draw from Python's global ``random`` module, which would
break one-seed reproducibility.  Every algorithm starts a candidate only while the engine's
``budget_left`` (or ``can_start``) allows, which is where the budget and the time limit
(``max_time``) both end a run: no new candidate starts, those in flight finish.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Sequence
from operator import attrgetter

from deap import tools

from mlevolve.gp.diversity import island_model, map_elites
from mlevolve.gp.engine import Candidate, Engine

_SCORE = attrgetter("score")  # a candidate's fitness, read in C (a tournament reads ``size`` of them)


def tournament(rng: random.Random, population: Sequence[Candidate], size: int) -> Candidate:
    """The fittest of ``size`` distinct candidates drawn at random (ties: the first drawn).
    ``population`` is sampled where it is (a list or the steady-state deque: ``random.sample`` only
    indexes it), not copied."""
    return max(rng.sample(population, min(size, len(population))), key=_SCORE)


def regularized_evolution(engine: Engine) -> None:
    """Regularized (aging) evolution (Real et al. 2019; AutoML-Zero 2020), asynchronous steady
    state: a tournament picks a parent, its child joins the population when it finishes and the
    oldest member leaves.  With probability ``mutation_prob`` the child is a mutant, else a
    crossover of two tournament winners.

    With ``restart_every`` N > 0, after every N finished candidates the population is dropped and
    seeded again from the initial programs (the next draws of ``init``), as N-candidate independent
    runs in one: budget, archive, best, cache and FEC tables continue (a re-seeded program already
    scored is a cache answer).  A child of the old population still in flight joins the new one.
    The epoch is a function of the finished count alone, so a replayed run restarts where it did; a
    reloaded one (:meth:`~mlevolve.gp.record.RunRecord.reload`) resumes inside its last epoch."""
    cfg = engine.config
    every = cfg.restart_every
    done = len(engine.resumed)
    into = done % every if every else done  # candidates finished in the current epoch
    engine.restarts = max(0, -(-done // every) - 1) if every else 0  # epochs begun, less the first
    restart = every > 0 and done > 0 and into == 0  # a new epoch is due: counted when its first program starts
    population = deque(engine.resumed[len(engine.resumed) - min(into, cfg.population):])
    initial = engine.initial_programs(cfg.population)
    for _ in range(into):  # those already made
        next(initial, None)
    seeding = len(population) < cfg.population
    since_record = 0
    while engine.budget_left() or engine.in_flight:
        while engine.can_start():
            if seeding:
                made = next(initial, None)
                if made is not None:
                    engine.restarts += restart
                    restart = False
                    engine.start(*made, 0)
                    continue
                seeding = False
            if not population:
                break
            engine.start(*engine.offspring(lambda: tournament(engine.rng, population, cfg.tournament),
                                           cfg.mutation_prob))
        finished = engine.collect()
        if not finished and not engine.in_flight:
            break
        for child in finished:
            population.append(child)
            if len(population) > cfg.population:
                population.popleft()
            since_record += 1
            if since_record == cfg.population:
                engine.record(child.generation, list(population))
                since_record = 0
            into += 1
            if into == every:  # a new epoch: a fresh population from the initial programs
                population.clear()
                initial = engine.initial_programs(cfg.population)
                seeding, restart, into = True, True, 0


def _evaluate_all(engine: Engine, made: Sequence[tuple[object, ...]]) -> list[Candidate]:
    """Start every (program, op, parents, generation) as slots allow; those finished, in start order: all of them,
    unless the time limit passes (:meth:`Engine.budget_left`), which cuts the generation short: those not yet
    started are dropped, those in flight finish.  Why mid-generation rather than at its end: a generation can
    take a good part of the run (a population's candidates), a limit kept to within a candidate's time is one a
    user can plan with; and a resumed run loses nothing (a replay draws the same generation again, a reload
    selects from the archive as after a crash)."""
    pending = list(made)
    out: list[Candidate] = []
    while (pending and engine.budget_left()) or engine.in_flight:
        while pending and engine.can_start():
            engine.start(*pending.pop(0))  # type: ignore[arg-type]
        out += engine.collect()
    return sorted(out, key=lambda c: c.seq)


def mu_plus_lambda(engine: Engine, select: Callable[[list[Candidate], int], list[Candidate]] | None = None) -> None:
    """Generational (mu + lambda) evolution (Beyer & Schwefel 2002): lambda children from uniformly
    chosen parents (crossover with probability 1 - ``mutation_prob``), then the best mu of parents
    and children survive (DEAP's ``selBest``, or ``select``)."""
    cfg = engine.config
    mu = cfg.population
    lam = cfg.offspring or mu
    choose = select or tools.selBest
    population = list(choose(engine.resumed, mu)) if engine.resumed else []
    if len(population) < mu:
        budget = max(0, min(mu - len(population), cfg.budget - engine.seq))
        made = [(*m, 0) for m in engine.initial_programs(budget)]
        population += _evaluate_all(engine, made)
    generation = max((c.generation for c in population), default=0)
    engine.record(generation, population)
    while engine.budget_left() and population:
        generation += 1
        made = []
        for _ in range(min(lam, cfg.budget - engine.seq)):
            if len(population) > 1 and engine.rng.random() >= cfg.mutation_prob:
                a, b = engine.rng.sample(population, 2)
                program, op = engine.vary(a.program, b.program)
                made.append((program, op, (a.hash, b.hash), generation))
            else:
                a = engine.rng.choice(population)
                program, op = engine.vary(a.program)
                made.append((program, op, (a.hash,), generation))
        population = list(choose(population + _evaluate_all(engine, made), mu))
        engine.record(generation, population)


def nsga2(engine: Engine) -> None:
    """NSGA-II (Deb et al. 2002) on (fitness, program size): (mu + lambda) with DEAP's ``selNSGA2``,
    so the population keeps the trade-off front between accuracy and size (bloat control)."""
    mu_plus_lambda(engine, select=tools.selNSGA2)


def random_search(engine: Engine) -> None:
    """Random search: every candidate drawn afresh from the grammar (ramped half-and-half).  The
    baseline every result is compared with."""
    while engine.budget_left() or engine.in_flight:
        while engine.can_start():
            engine.start(engine.random_program(), "random", (), 0)
        if not engine.collect() and not engine.in_flight:
            break


ALGORITHMS: dict[str, Callable[[Engine], None]] = {
    "regularized": regularized_evolution,
    "mu_plus_lambda": mu_plus_lambda,
    "nsga2": nsga2,
    "random": random_search,
    "islands": island_model,
    "map-elites": map_elites,
}
