"""Search algorithms over an :class:`~mlevolve.gp.engine.Engine`.

Each is a function of the engine alone, drawing every random choice from ``engine.rng``.  DEAP
supplies survivor selection (``selBest``, ``selNSGA2``); tournaments are written here because
DEAP's draw from Python's global ``random`` module, which would break one-seed reproducibility.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Sequence

from deap import tools

from mlevolve.gp.engine import Candidate, Engine


def tournament(rng: random.Random, population: Sequence[Candidate], size: int) -> Candidate:
    """The fittest of ``size`` distinct candidates drawn at random (ties: the first drawn)."""
    return max(rng.sample(list(population), min(size, len(population))), key=lambda c: c.score)


def regularized_evolution(engine: Engine) -> None:
    """Regularized (aging) evolution (Real et al. 2019; AutoML-Zero 2020): a tournament picks a
    parent, its child joins the population and the oldest member leaves.  Steady state: with
    probability ``mutation_prob`` the child is a mutant, else a crossover of two tournament winners."""
    cfg = engine.config
    population = deque(engine.initial(cfg.population))
    since_record = 0
    while engine.budget_left() and population:
        parent = tournament(engine.rng, population, cfg.tournament)
        parents: tuple[str, ...]
        if engine.rng.random() < cfg.mutation_prob:
            program, op = engine.vary(parent)
            parents = (parent.hash,)
        else:
            other = tournament(engine.rng, population, cfg.tournament)
            program, op = engine.vary(parent, other)
            parents = (parent.hash, other.hash)
        population.append(engine.submit(program, op, parents, parent.generation + 1))
        if len(population) > cfg.population:
            population.popleft()
        since_record += 1
        if since_record == cfg.population:
            engine.record(population[-1].generation, list(population))
            since_record = 0


def mu_plus_lambda(engine: Engine, select: Callable[[list[Candidate], int], list[Candidate]] | None = None) -> None:
    """Generational (mu + lambda) evolution (Beyer & Schwefel 2002): lambda children from uniformly
    chosen parents (crossover with probability 1 - ``mutation_prob``), then the best mu of parents
    and children survive (DEAP's ``selBest``, or ``select``)."""
    cfg = engine.config
    mu = cfg.population
    lam = cfg.offspring or mu
    choose = select or tools.selBest
    population = engine.initial(mu)
    generation = 0
    engine.record(generation, population)
    while engine.budget_left() and population:
        generation += 1
        offspring = []
        for _ in range(lam):
            if not engine.budget_left():
                break
            parents: tuple[str, ...]
            if len(population) > 1 and engine.rng.random() >= cfg.mutation_prob:
                a, b = engine.rng.sample(population, 2)
                program, op = engine.vary(a, b)
                parents = (a.hash, b.hash)
            else:
                a = engine.rng.choice(population)
                program, op = engine.vary(a)
                parents = (a.hash,)
            offspring.append(engine.submit(program, op, parents, generation))
        population = list(choose(population + offspring, mu))
        engine.record(generation, population)


def nsga2(engine: Engine) -> None:
    """NSGA-II (Deb et al. 2002) on (fitness, program size): (mu + lambda) with DEAP's ``selNSGA2``,
    so the population keeps the trade-off front between accuracy and size (bloat control)."""
    mu_plus_lambda(engine, select=tools.selNSGA2)


def random_search(engine: Engine) -> None:
    """Random search: every candidate drawn afresh from the grammar (ramped half-and-half).  The
    baseline every result is compared with."""
    while engine.budget_left():
        engine.submit(engine.random_program(), "random", (), 0)


ALGORITHMS: dict[str, Callable[[Engine], None]] = {
    "regularized": regularized_evolution,
    "mu_plus_lambda": mu_plus_lambda,
    "nsga2": nsga2,
    "random": random_search,
}
