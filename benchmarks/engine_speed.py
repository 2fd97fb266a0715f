"""Engine speed: mlevolve's evolution loop against DEAP's symbolic-regression tutorial, one process.

Task: Koza's quartic x^4 + x^3 + x^2 + x on 20 points, population 300, 40 generations (the DEAP
tutorial's settings: eaSimple, crossover 0.5, mutation 0.1, tournament 3).  mlevolve runs
(mu + lambda) with mu = lambda = 300 for 40 generations on `examples/quartic.mlev` (random init),
archiving every candidate to SQLite as a real run does.

Printed: candidates handled per second by each; DEAP's evaluations per second; mlevolve's cache and
FEC hit rates; with fitting on, the formula evaluations its fits spent (per evaluated candidate); the
share of mlevolve's wall time spent outside evaluation; the ratio to DEAP, by wall time and by CPU time
of the process (steadier on a shared machine).  ``--no-fit`` runs the same search with constant fitting
off (labelled so in the header): what the engine reaches against DEAP's loop, which fits nothing.
Run: python benchmarks/engine_speed.py [--quick] [--repeats N] [--no-fit]
"""

from __future__ import annotations

import functools
import math
import operator
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from deap import algorithms, base, creator, gp, tools

import mlevolve
from deap_tutorial import register_tutorial_operators
from mlevolve.api import evolve
from mlevolve.script import ArgumentParser, at_least

ROOT = Path(__file__).resolve().parent.parent


def deap_tutorial(pop_size: int, generations: int, seed: int) -> tuple[float, int, int]:
    """DEAP's symbreg tutorial loop; returns (seconds, evaluations, individuals handled)."""
    def protected_div(a: float, b: float) -> float:
        try:
            return a / b
        except ZeroDivisionError:
            return 1.0

    pset = gp.PrimitiveSet("MAIN", 1)
    for fn, arity in ((operator.add, 2), (operator.sub, 2), (operator.mul, 2), (protected_div, 2),
                      (operator.neg, 1), (math.cos, 1), (math.sin, 1)):
        pset.addPrimitive(fn, arity)
    pset.addEphemeralConstant(f"rand101_{seed}_{time.perf_counter_ns()}", functools.partial(random.randint, -1, 1))
    pset.renameArguments(ARG0="x")
    if not hasattr(creator, "FitnessMinBench"):
        creator.create("FitnessMinBench", base.Fitness, weights=(-1.0,))
        creator.create("IndividualBench", gp.PrimitiveTree, fitness=creator.FitnessMinBench)
    toolbox = base.Toolbox()
    toolbox.register("expr", gp.genHalfAndHalf, pset=pset, min_=1, max_=2)
    toolbox.register("individual", tools.initIterate, creator.IndividualBench, toolbox.expr)
    toolbox.register("population", tools.initRepeat, list, toolbox.individual)
    toolbox.register("compile", gp.compile, pset=pset)
    points = [x / 10.0 for x in range(-10, 10)]

    def evaluate(individual: gp.PrimitiveTree) -> tuple[float]:
        func = toolbox.compile(expr=individual)
        errors = ((func(x) - x**4 - x**3 - x**2 - x) ** 2 for x in points)
        return (math.fsum(errors) / len(points),)

    toolbox.register("evaluate", evaluate)
    register_tutorial_operators(toolbox, pset)
    random.seed(seed)
    started = time.perf_counter()
    pop = toolbox.population(n=pop_size)
    stats = tools.Statistics(lambda ind: ind.fitness.values)
    stats.register("min", min)
    _, logbook = algorithms.eaSimple(pop, toolbox, 0.5, 0.1, generations, stats=stats, verbose=False)
    seconds = time.perf_counter() - started
    evaluations = sum(logbook.select("nevals"))
    return seconds, evaluations, pop_size * (generations + 1)


def mlevolve_run(pop_size: int, generations: int, seed: int,
                 fit: bool = True) -> tuple[float, float, dict[str, object]]:
    """One mlevolve run; returns (wall seconds, CPU seconds of this process, the run's summary)."""
    budget = pop_size * (generations + 1)
    with tempfile.TemporaryDirectory() as tmp:
        started, cpu = time.perf_counter(), time.process_time()
        result = evolve(ROOT / "examples" / "quartic.mlev", ["f"], budget=budget, db=Path(tmp) / "run.db",
                        algorithm="mu_plus_lambda", population=pop_size, init="random", seed=seed, quiet=True,
                        fit=fit, prune=False)  # candidates per second: the end-of-run prune is no candidate
        return time.perf_counter() - started, time.process_time() - cpu, result


def main() -> None:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="population 50, 5 generations, 1 repeat")
    parser.add_argument("--repeats", type=at_least(1), default=3, help="timed runs of each engine (default 3)")
    parser.add_argument("--no-fit", action="store_true",
                        help="mlevolve without constant fitting (DEAP's loop fits nothing either)")
    args = parser.parse_args()
    pop, gens, repeats = (50, 5, 1) if args.quick else (300, 40, args.repeats)
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"mlevolve {mlevolve.__version__}")
    print(f"quartic, 20 points, population {pop}, {gens} generations, {repeats} interleaved repeats, "
          f"constant fitting {'off' if args.no_fit else 'on'}\n")
    mlevolve_run(20, 1, seed=99, fit=not args.no_fit)  # warm-up: imports, first-call costs
    deap_rates, deap_eval_rates, deap_cpu_rates, ours, ours_cpu, ours_real, ours_outside = [], [], [], [], [], [], []
    last: dict[str, object] = {}
    for r in range(repeats):
        cpu = time.process_time()
        d_seconds, d_evals, d_handled = deap_tutorial(pop, gens, seed=r)
        deap_cpu_rates.append(d_evals / (time.process_time() - cpu))
        deap_rates.append(d_handled / d_seconds)
        deap_eval_rates.append(d_evals / d_seconds)
        m_seconds, m_cpu, last = mlevolve_run(pop, gens, seed=r, fit=not args.no_fit)
        candidates = int(last["candidates"])  # type: ignore[call-overload]
        ours.append(candidates / m_seconds)
        ours_cpu.append(candidates / m_cpu)
        ours_real.append(int(last.get("evaluated", 0)) / m_seconds)  # type: ignore[call-overload]
        ours_outside.append(1.0 - float(last["evaluation_seconds"]) / m_seconds)  # type: ignore[arg-type]
        print(f"repeat {r}: DEAP {d_seconds:.2f} s ({d_evals} evaluations), mlevolve {m_seconds:.2f} s, "
              f"{m_cpu:.2f} CPU s ({candidates} candidates)")
    total = int(last["candidates"])  # type: ignore[call-overload]
    cache, fec = int(last.get("cache", 0)), int(last.get("fec", 0))  # type: ignore[call-overload]
    print()
    print(f"DEAP tutorial:  {statistics.median(deap_eval_rates):8.0f} evaluations/s, "
          f"{statistics.median(deap_rates):8.0f} individuals handled/s")
    print(f"mlevolve:       {statistics.median(ours):8.0f} candidates/s (each archived), "
          f"{statistics.median(ours_real):8.0f} full evaluations/s")
    print(f"mlevolve savings: cache {cache / total:.1%}, FEC {fec / total:.1%} of candidates")
    evaluated, spent = int(last.get("evaluated", 0)), int(last.get("fit_evaluations") or 0)  # type: ignore[call-overload]
    if not args.no_fit and evaluated:  # what fitting adds: each fit's residual evaluations and Jacobians
        print(f"mlevolve constant fitting: {spent} formula evaluations fitting (residuals and Jacobians, each one), "
              f"{spent / evaluated:.1f} per evaluated candidate")
    print(f"mlevolve wall time outside evaluation: {statistics.median(ours_outside):.1%}")
    ratio = statistics.median(ours) / statistics.median(deap_eval_rates)
    print(f"ratio mlevolve candidates/s : DEAP evaluations/s = {ratio:.2f}  (must reach 1.0, goal >= 2.0)")
    cpu_ratio = statistics.median(ours_cpu) / statistics.median(deap_cpu_rates)
    print(f"the same per CPU second: mlevolve {statistics.median(ours_cpu):.0f} candidates, DEAP "
          f"{statistics.median(deap_cpu_rates):.0f} evaluations; ratio {cpu_ratio:.2f}")


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
