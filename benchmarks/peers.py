"""mlevolve against gplearn, Operon (pyoperon) and DEAP at symbolic regression (issue 15, item 5).

Same data, same number of fitness evaluations, same seeds for every engine.

**Problems** (data generated here from the published formulas and ranges; ``U[a, b, n]``: ``n``
points uniform in ``[a, b]`` per variable, ``E[a, b, s]``: the grid ``a, a + s, ..., b``):

=============  ===========================================================  ==============  ===============
problem        formula                                                      training        test
=============  ===========================================================  ==============  ===============
Nguyen-1       x^3 + x^2 + x                                                U[-1, 1, 20]    U[-1, 1, 1000]
Nguyen-2       x^4 + x^3 + x^2 + x                                          U[-1, 1, 20]    U[-1, 1, 1000]
Nguyen-3       x^5 + x^4 + x^3 + x^2 + x                                    U[-1, 1, 20]    U[-1, 1, 1000]
Nguyen-4       x^6 + x^5 + x^4 + x^3 + x^2 + x                              U[-1, 1, 20]    U[-1, 1, 1000]
Nguyen-5       sin(x^2) cos(x) - 1                                          U[-1, 1, 20]    U[-1, 1, 1000]
Nguyen-6       sin(x) + sin(x + x^2)                                        U[-1, 1, 20]    U[-1, 1, 1000]
Nguyen-7       log(x + 1) + log(x^2 + 1)                                    U[0, 2, 20]     U[0, 2, 1000]
Nguyen-8       sqrt(x)                                                      U[0, 4, 20]     U[0, 4, 1000]
Keijzer-4      x^3 e^-x cos(x) sin(x) (sin(x)^2 cos(x) - 1)                 E[0, 10, 0.05]  U[0, 10, 1000]
Keijzer-6      sum_{i=1..x} 1/i  (x integer)                                E[1, 50, 1]     E[1, 120, 1]
Keijzer-11     x y + sin((x - 1)(y - 1))                                    U[-3, 3, 20]    U[-3, 3, 1000]
Feynman I.6.2a   exp(-theta^2 / 2) / sqrt(2 pi)                             U[1, 3, 100]    U[1, 3, 1000]
Feynman I.12.1   mu N                                                       U[1, 5, 100]    U[1, 5, 1000]
Feynman I.14.4   k x^2 / 2                                                  U[1, 5, 100]    U[1, 5, 1000]
Feynman I.25.13  q / C                                                      U[1, 5, 100]    U[1, 5, 1000]
Feynman I.34.27  h / (2 pi) omega                                           U[1, 5, 100]    U[1, 5, 1000]
Feynman II.38.3  Y A x / d                                                  U[1, 5, 100]    U[1, 5, 1000]
=============  ===========================================================  ==============  ===============

Nguyen: Uy et al. 2011; Keijzer: Keijzer 2003 (Keijzer-6 is tested on its published extrapolation
grid, every other problem on fresh points from the training range); Feynman: Udrescu & Tegmark 2020
as used by SRBench (La Cava et al. 2021), ranges of the AI Feynman table.  No noise.

**Engines and budgets.**  Each run gets ``--evaluations N`` fitness evaluations (one evaluation: one
candidate model scored on the training points):

* mlevolve: ``evolve`` of ``formula f(x0, ..., xk) = x0`` from random programs (``--init random``),
  its defaults otherwise (regularized evolution, population 100, base grammar, constant fitting on),
  ``--budget N`` on the training points written to an ``.npz`` (its user-data path holds out a
  fifth of the rows as its own split, so it fits on 80% of the training points).  ``--budget``
  counts candidates; the formula evaluations its constant fitting spends come on top, counted as
  Operon counts its own: each residual evaluation (the start, each Levenberg-Marquardt trial step,
  the final scaling) 1 and each Jacobian 1 (forward-mode automatic differentiation, one pass; a
  column it cannot give, replaced by a finite difference, 1 more, within the same cap), at
  most 22 per candidate with the default 10 iterations (about 15 on these problems; 35-65 with the
  finite-difference Jacobians before, one evaluation per literal).  So this arm spends about 15x N
  formula evaluations.  The arms at an equal number of formula evaluations:
  ``mlevolve-equal``: the same, fitting on, its search stopped once ``evaluated + fit_evaluations``
  reaches N less the cap of the end-of-run prune (``gp.prune.cap``: 1,000 evaluations up to 20,000
  candidates), which then spends the rest, so that search and prune use N together (the run resumed
  with larger budgets, at most doubling, sized by the last chunk's cost per candidate; it overshoots
  by a few candidates' fitting; before stop 54 the prune came on top of N, a median 11,020 used at
  N = 10,000); ``mlevolve-nofit``: ``--no-fit``, ``--budget N``: at most N
  formula evaluations (candidates answered by the cache or by functional-equivalence probes on a
  few points are not evaluated on the training points, so it uses fewer than N).  Neither count
  includes the FEC probes (a candidate evaluated on a handful of probe points).
  ``mlevolve-peerset``: ``mlevolve-equal`` searching the peers' function set rather than the base
  grammar (``benchmarks/sr_peers.toml``: Operon's symbols below, and ``neg``, which writes a
  negative constant), so that it searches the space the others search.
* gplearn ``SymbolicRegressor``: population P, ``N / P`` generations, MSE metric, functions
  add, sub, mul, div, sin, cos, log, sqrt, exp (gplearn's protected versions; exp clipped).
* Operon (pyoperon ``SymbolicRegressor``): population P, ``max_evaluations=N``, symbols add, sub,
  mul, div, sin, cos, exp, log, sqrt, square, constant, variable; Levenberg-Marquardt on the
  coefficients, 10 iterations (like mlevolve's).  Operon's ``max_evaluations`` counts its
  local-search evaluations (residuals and Jacobians, a Jacobian one evaluation, as mlevolve's
  ``fit_evaluations`` counts them): at N = 2,000 it scores only ~340 individuals in one generation.
  So at the same N the ``mlevolve`` arm spends far more formula evaluations than Operon: compare
  ``evals used``, not N.  One thread.  ``operon-matched``: the same, with
  ``max_evaluations`` set to the formula evaluations mlevolve used on that problem and seed (so
  listed after mlevolve, it compares at equal formula evaluations, local search included).
* DEAP: the symbolic-regression example loop (``eaSimple`` operators: half-and-half init, one-point
  crossover 0.5, uniform mutation 0.1, tournament 3, height limit 17, protected div/log/sqrt/exp,
  ephemeral constants in [-1, 1]), MSE; stopped when N evaluations are spent.  P = population.

P is ``min(1000, N // 10)``.

**Measures** per (engine, problem): exact recovery, test R^2 >= 0.999 on the test points; median
test R^2; median model size (expression-tree nodes as each engine counts them: mlevolve's IR nodes
of the simplified formula, gplearn's ``length_``, Operon's ``Length``, DEAP's ``len``); median wall
and CPU seconds per run (the machine may be shared; CPU time is the fairer number); median
formula evaluations used per run, local search included (gplearn P * generations; DEAP the
evaluations made; Operon residual plus Jacobian evaluations; mlevolve evaluated candidates plus
``fit_evaluations``, which counts residuals and Jacobians alike, plus ``prune_evaluations``: the end-of-run
prune of the best, ``mlevolve.gp.prune``, run once at the end of a run, within N in the equal arms; each
mlevolve row also gives the same run's best unpruned, ``unpruned_r2`` and ``unpruned_size``).

Usage: ``python benchmarks/peers.py --quick`` (4 problems, 1 seed, 2,000 evaluations) or
``python benchmarks/peers.py --evaluations 10000 --seeds 10`` (the issue's setting; hours).  Runs can be
split over processes (``--engines``, ``--problems``, ``--first-seed``), each appending one JSON line
per run to ``--out FILE``; ``--summarise FILE[=TAG]...`` prints the totals, per problem, mlevolve's
simplified / as-evaluated size of the best and each pair of engines' exact McNemar test paired by
problem and seed (``=TAG`` names that file's engines ``engine@TAG``, to set two versions side by
side); ``--matched FILE`` gives ``operon-matched`` the evaluations of the ``mlevolve`` runs in FILE.
``--throughput R``: formula candidates per second on the quartic, population 300 x 40 generations,
mlevolve (fitting on and off), gplearn and Operon in one process, R interleaved repeats.
Peers: ``pip install -e .[bench]`` (gplearn, pyoperon); a missing peer is reported and skipped.
"""

from __future__ import annotations

import dataclasses
import json
import math
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mlevolve.dsl.errors import MlevError
from mlevolve.script import ArgumentParser, at_least, read_json_lines

F64 = npt.NDArray[np.float64]
PEERSET = Path(__file__).parent / "sr_peers.toml"  # the peers' function set as an mlevolve grammar
Target = Callable[[F64], F64]  # columns (n, k) -> values (n,)


@dataclass(frozen=True)
class Problem:
    name: str
    target: Target
    train: Callable[[np.random.Generator], F64]  # the training inputs (n, k)
    test: Callable[[np.random.Generator], F64]  # the test inputs (m, k)


def _uniform(lo: float, hi: float, n: int, k: int = 1) -> Callable[[np.random.Generator], F64]:
    return lambda rng: rng.uniform(lo, hi, (n, k))


def _grid(lo: float, hi: float, step: float) -> Callable[[np.random.Generator], F64]:
    return lambda rng: np.arange(lo, hi + step / 2, step)[:, None]


def _harmonic(x: F64) -> F64:
    return np.array([sum(1.0 / i for i in range(1, round(float(v)) + 1)) for v in x[:, 0]])


def _nguyen(name: str, fn: Target, lo: float = -1.0, hi: float = 1.0) -> Problem:
    return Problem(name, fn, _uniform(lo, hi, 20), _uniform(lo, hi, 1000))


def _feynman(name: str, fn: Target, k: int, lo: float = 1.0, hi: float = 5.0) -> Problem:
    return Problem(name, fn, _uniform(lo, hi, 100, k), _uniform(lo, hi, 1000, k))


PROBLEMS: dict[str, Problem] = {p.name: p for p in (
    _nguyen("nguyen1", lambda x: x[:, 0] ** 3 + x[:, 0] ** 2 + x[:, 0]),
    _nguyen("nguyen2", lambda x: x[:, 0] ** 4 + x[:, 0] ** 3 + x[:, 0] ** 2 + x[:, 0]),
    _nguyen("nguyen3", lambda x: x[:, 0] ** 5 + x[:, 0] ** 4 + x[:, 0] ** 3 + x[:, 0] ** 2 + x[:, 0]),
    _nguyen("nguyen4", lambda x: sum(x[:, 0] ** i for i in range(1, 7))),
    _nguyen("nguyen5", lambda x: np.sin(x[:, 0] ** 2) * np.cos(x[:, 0]) - 1),
    _nguyen("nguyen6", lambda x: np.sin(x[:, 0]) + np.sin(x[:, 0] + x[:, 0] ** 2)),
    _nguyen("nguyen7", lambda x: np.log(x[:, 0] + 1) + np.log(x[:, 0] ** 2 + 1), 0.0, 2.0),
    _nguyen("nguyen8", lambda x: np.sqrt(x[:, 0]), 0.0, 4.0),
    Problem("keijzer4", lambda x: x[:, 0] ** 3 * np.exp(-x[:, 0]) * np.cos(x[:, 0]) * np.sin(x[:, 0])
            * (np.sin(x[:, 0]) ** 2 * np.cos(x[:, 0]) - 1), _grid(0.0, 10.0, 0.05), _uniform(0.0, 10.0, 1000)),
    Problem("keijzer6", _harmonic, _grid(1.0, 50.0, 1.0), _grid(1.0, 120.0, 1.0)),
    Problem("keijzer11", lambda x: x[:, 0] * x[:, 1] + np.sin((x[:, 0] - 1) * (x[:, 1] - 1)),
            _uniform(-3.0, 3.0, 20, 2), _uniform(-3.0, 3.0, 1000, 2)),
    _feynman("feynman_I_6_2a", lambda x: np.exp(-x[:, 0] ** 2 / 2) / np.sqrt(2 * np.pi), 1, 1.0, 3.0),
    _feynman("feynman_I_12_1", lambda x: x[:, 0] * x[:, 1], 2),
    _feynman("feynman_I_14_4", lambda x: x[:, 0] * x[:, 1] ** 2 / 2, 2),
    _feynman("feynman_I_25_13", lambda x: x[:, 0] / x[:, 1], 2),
    _feynman("feynman_I_34_27", lambda x: x[:, 0] / (2 * np.pi) * x[:, 1], 2),
    _feynman("feynman_II_38_3", lambda x: x[:, 0] * x[:, 1] * x[:, 2] / x[:, 3], 4),
)}
QUICK = ("nguyen1", "nguyen5", "nguyen7", "feynman_I_34_27")


@dataclass(frozen=True)
class Data:
    x: F64
    y: F64
    x_test: F64
    y_test: F64


def make_data(problem: Problem, seed: int) -> Data:
    rng = np.random.default_rng(seed)
    x, x_test = problem.train(rng), problem.test(rng)
    return Data(x, problem.target(x), x_test, problem.target(x_test))


def r2(y: F64, pred: F64) -> float:
    pred = np.broadcast_to(np.asarray(pred, np.float64), y.shape)
    if not np.all(np.isfinite(pred)):
        return -math.inf
    return float(1.0 - np.mean((pred - y) ** 2) / np.var(y))


@dataclass
class Result:
    test_r2: float
    size: int
    used: int  # formula evaluations spent in all, local search (constant fitting) included
    raw_size: int | None = None  # mlevolve: IR nodes of the best as evaluated (before simplification)
    model: str = ""  # the best model's text (mlevolve: simplified)
    candidates: int | None = None  # mlevolve: candidates handled (its --budget), evaluated or answered by cache/FEC
    unpruned_r2: float | None = None  # mlevolve: the test R² of the run's best before its prune (gp.prune)
    unpruned_size: int | None = None  # mlevolve: its simplified size


# ------------------------------------------------------------------------------------------ engines
def run_mlevolve(data: Data, seed: int, evaluations: int, folder: Path, fit: bool = True,
                 equal: bool = False, grammar: Path | None = None) -> Result:
    import mlevolve.api as api
    from mlevolve.dsl.kinds import slots
    from mlevolve.dsl.parse import parse
    from mlevolve.dsl.simplify import simplify_program
    from mlevolve.gp.archive import Archive
    from mlevolve.gp.prune import cap as prune_cap
    from mlevolve.grammar.spec import load_grammar
    from mlevolve.interpreter.codegen import compile_program
    from mlevolve.interpreter.evaluate import instantiate

    k = data.x.shape[1]
    params = ", ".join(f"x{j}: Scalar" for j in range(k))
    program = folder / f"f{k}.mlev"
    program.write_text(f"algorithm sr\n\nformula f({params}) -> Scalar =\n  x0\n")
    npz = folder / f"data-{seed}.npz"
    np.savez(npz, X=data.x, y=data.y)
    db = folder / f"run-{seed}.db"
    db.unlink(missing_ok=True)

    def used(summary: dict[str, Any]) -> int:  # the prune's scorings (and their fits) count too
        return int(summary.get("evaluated", 0) + (summary.get("fit_evaluations") or 0)
                   + (summary.get("prune_evaluations") or 0))

    def run(budget: int, prune: bool = False) -> dict[str, Any]:  # again with a larger budget: resumes, extends
        return api.evolve(program, ["f"], str(npz), budget=budget, db=db, init="random", seed=seed, quiet=True, fit=fit,
                          grammar=None if grammar is None else load_grammar(grammar), prune=prune)

    if not equal:
        summary = run(evaluations, prune=True)
    else:  # candidates in chunks, each sized by the formula evaluations per candidate so far, until N are used
        # (the rate of the last chunk, the run at most doubled each time: later candidates are larger and
        # cost more to fit; the last chunk may overshoot by a few candidates' fitting).  The end-of-run prune
        # of the best comes out of N: the search stops at N less the prune's cap (``gp.prune.cap`` of the
        # run's candidates), so search and prune together use N, give or take a few candidates' fitting.
        summary, before = run(max(10, evaluations // 100)), (0, 0)
        while used(summary) < (search := evaluations - prune_cap(summary["candidates"])):
            rate = max((used(summary) - before[0]) / max(summary["candidates"] - before[1], 1), 1.0)
            before = (used(summary), summary["candidates"])
            step = min(summary["candidates"], int(0.8 * (search - used(summary)) / rate))  # at most doubling
            summary = run(summary["candidates"] + max(5, step))
        summary = run(summary["candidates"], prune=True)  # the whole run's best pruned once: its cost counted
    with Archive.read(db) as archive:
        best = archive.get(found) if (found := api.found_hash(summary)) else None  # the search's, unpruned
    if best is None:
        return Result(-math.inf, 0, used(summary))

    def scored(text: str) -> tuple[float, int, int]:  # test R², simplified and evaluated size
        fitted = parse(text)
        fn = instantiate(compile_program(fitted, load_grammar()))
        with np.errstate(all="ignore"):
            pred = np.asarray(fn(*data.x_test.T), np.float64)
        return (r2(data.y_test, pred), sum(s.body.size for s in slots(simplify_program(fitted)) if s.body is not None),
                sum(s.body.size for s in slots(fitted) if s.body is not None))

    shown = summary["best_program"]  # the best as shown: pruned where the prune kept an edit
    test, size, raw = scored(shown)
    before, before_size, _ = scored(best.program)
    return Result(test, size, used(summary), raw, shown if shown != best.program else best.simplified or shown,
                  int(summary["candidates"]), before, before_size)


def run_mlevolve_nofit(data: Data, seed: int, evaluations: int, folder: Path) -> Result:
    """mlevolve with constant fitting off: one formula evaluation per evaluated candidate."""
    return run_mlevolve(data, seed, evaluations, folder, fit=False)


def run_mlevolve_equal(data: Data, seed: int, evaluations: int, folder: Path) -> Result:
    """mlevolve with constant fitting on, stopped once N formula evaluations (fitting's included) are used."""
    return run_mlevolve(data, seed, evaluations, folder, equal=True)


def run_mlevolve_peerset(data: Data, seed: int, evaluations: int, folder: Path) -> Result:
    """``mlevolve-equal`` searching the peers' function set (:data:`PEERSET`) instead of the base grammar."""
    return run_mlevolve(data, seed, evaluations, folder, equal=True, grammar=PEERSET)


def run_mlevolve_unsimplified(data: Data, seed: int, evaluations: int, folder: Path) -> Result:
    """``mlevolve-equal`` with the simplifier taken out of the search (an ablation, issue 15's bloat measure):
    the cache key, the size bloat control and parsimony read and the archive's shown form are the program as
    evaluated.  Its ``raw_size`` is what a user would be shown without the simplifier.  The switch:
    ``ablations.simplifier_off`` (the size limit in the operators too, since this branch)."""
    from ablations import simplifier_off

    with simplifier_off():
        return run_mlevolve(data, seed, evaluations, folder, equal=True)


def _population(evaluations: int) -> int:
    return max(10, min(1000, evaluations // 10))


def run_gplearn(data: Data, seed: int, evaluations: int, folder: Path) -> Result:
    from gplearn.functions import make_function
    from gplearn.genetic import SymbolicRegressor

    def _exp(x: F64) -> F64:
        with np.errstate(all="ignore"):
            return np.exp(np.clip(x, -50.0, 50.0))

    exp = make_function(function=_exp, name="exp", arity=1, wrap=False)
    p = _population(evaluations)
    model = SymbolicRegressor(population_size=p, generations=max(1, evaluations // p), metric="mse",
                              function_set=("add", "sub", "mul", "div", "sin", "cos", "log", "sqrt", exp),
                              random_state=seed, n_jobs=1)
    model.fit(data.x, data.y)
    return Result(r2(data.y_test, model.predict(data.x_test)), int(model._program.length_),
                  model.population_size * model.generations, model=str(model._program))


def run_operon(data: Data, seed: int, evaluations: int, folder: Path) -> Result:
    from pyoperon.sklearn import SymbolicRegressor

    model = SymbolicRegressor(allowed_symbols="add,sub,mul,div,sin,cos,exp,log,sqrt,square,constant,variable",
                              population_size=_population(evaluations), generations=10**6,
                              max_evaluations=evaluations, optimizer_iterations=10, n_threads=1,
                              random_state=seed)
    model.fit(data.x, data.y)
    stats = model.stats_
    return Result(r2(data.y_test, model.predict(data.x_test)), int(model.model_.Length),
                  int(stats["residual_evaluations"] + stats["jacobian_evaluations"]))


def run_deap(data: Data, seed: int, evaluations: int, folder: Path) -> Result:
    import functools
    import operator
    import random

    from deap import algorithms, base, creator, gp, tools

    from deap_tutorial import register_tutorial_operators

    def div(a: float, b: float) -> float:
        return a / b if abs(b) > 1e-9 else 1.0

    def log(a: float) -> float:
        return math.log(abs(a)) if abs(a) > 1e-9 else 0.0

    def sqrt(a: float) -> float:
        return math.sqrt(abs(a))

    def exp(a: float) -> float:
        return math.exp(min(a, 50.0))

    k = data.x.shape[1]
    pset = gp.PrimitiveSet("MAIN", k)
    for fn, arity in ((operator.add, 2), (operator.sub, 2), (operator.mul, 2), (div, 2), (math.sin, 1),
                      (math.cos, 1), (log, 1), (sqrt, 1), (exp, 1), (operator.neg, 1)):
        pset.addPrimitive(fn, arity)
    pset.addEphemeralConstant("const", functools.partial(random.uniform, -1.0, 1.0))  # seeded below
    if not hasattr(creator, "PeersFitness"):
        creator.create("PeersFitness", base.Fitness, weights=(-1.0,))
        creator.create("PeersTree", gp.PrimitiveTree, fitness=creator.PeersFitness)
    toolbox = base.Toolbox()
    toolbox.register("expr", gp.genHalfAndHalf, pset=pset, min_=1, max_=2)
    toolbox.register("individual", tools.initIterate, creator.PeersTree, toolbox.expr)
    toolbox.register("population", tools.initRepeat, list, toolbox.individual)
    rows = [tuple(r) for r in data.x]

    def evaluate(ind: Any) -> tuple[float]:
        fn = gp.compile(ind, pset)
        try:
            err = math.fsum((fn(*r) - t) ** 2 for r, t in zip(rows, data.y, strict=True)) / len(rows)
        except (OverflowError, ValueError, ZeroDivisionError):
            err = math.inf
        return (err if math.isfinite(err) else math.inf,)

    toolbox.register("evaluate", evaluate)
    register_tutorial_operators(toolbox, pset)
    random.seed(seed)  # DEAP's operators draw from the global generator
    pop = toolbox.population(n=_population(evaluations))
    hof = tools.HallOfFame(1)
    spent = 0
    while spent < evaluations:
        todo = [ind for ind in pop if not ind.fitness.valid][:evaluations - spent]
        for ind in todo:
            ind.fitness.values = toolbox.evaluate(ind)
        spent += len(todo)
        pop = [ind for ind in pop if ind.fitness.valid]
        hof.update(pop)
        offspring = toolbox.select(pop, len(pop))
        pop = algorithms.varAnd(offspring, toolbox, cxpb=0.5, mutpb=0.1)
    best = hof[0]
    fn = gp.compile(best, pset)

    def safe(r: tuple[float, ...]) -> float:
        try:
            return float(fn(*r))
        except (OverflowError, ValueError, ZeroDivisionError):
            return math.nan

    pred = np.array([safe(tuple(r)) for r in data.x_test])
    return Result(r2(data.y_test, pred), len(best), spent, model=str(best))


ENGINES: dict[str, Callable[[Data, int, int, Path], Result]] = {
    "mlevolve": run_mlevolve, "mlevolve-nofit": run_mlevolve_nofit, "mlevolve-equal": run_mlevolve_equal,
    "mlevolve-unsimplified": run_mlevolve_unsimplified, "mlevolve-peerset": run_mlevolve_peerset,
    "gplearn": run_gplearn, "operon": run_operon,
    "operon-matched": run_operon, "deap": run_deap}
_MODULES = {"mlevolve": "mlevolve", "mlevolve-nofit": "mlevolve", "mlevolve-equal": "mlevolve",
            "mlevolve-unsimplified": "mlevolve", "mlevolve-peerset": "mlevolve",
            "gplearn": "gplearn", "operon": "pyoperon", "operon-matched": "pyoperon",
            "deap": "deap"}


def throughput(repeats: int, pop: int = 300, generations: int = 40) -> None:
    """Formula candidates per second on Koza's quartic (20 points in [-1, 1)), population ``pop`` x
    ``generations``, each engine in this process, interleaved ``repeats`` times (issue 14's row).

    Candidates: individuals scored (mlevolve: candidates handled, archived, cache and FEC hits
    included, and separately those evaluated; gplearn: population x generations; Operon: its
    ``evaluation_count``).  mlevolve runs (mu + lambda) on ``examples/quartic.mlev`` with constant
    fitting on (its default) and off; Operon with 10 Levenberg-Marquardt iterations, one thread.
    Wall and CPU seconds of this process are both printed; the ratios use CPU seconds (the machine
    may be shared)."""
    from gplearn.genetic import SymbolicRegressor as GpRegressor
    from pyoperon.sklearn import SymbolicRegressor as OpRegressor

    from mlevolve.api import evolve

    x = np.arange(-10, 10, dtype=np.float64)[:, None] / 10.0
    y = x[:, 0] ** 4 + x[:, 0] ** 3 + x[:, 0] ** 2 + x[:, 0]
    quartic = Path(__file__).resolve().parent.parent / "examples" / "quartic.mlev"

    def mlevolve_run(seed: int, fit: bool) -> tuple[int, int]:
        with tempfile.TemporaryDirectory() as tmp:
            out = evolve(quartic, ["f"], budget=pop * (generations + 1), db=Path(tmp) / "run.db",
                         algorithm="mu_plus_lambda", population=pop, init="random", seed=seed, quiet=True, fit=fit,
                         prune=False)  # candidates per second: the end-of-run prune is no candidate
        return int(out["candidates"]), int(out.get("evaluated", 0))

    def gplearn_run(seed: int) -> tuple[int, int]:
        model = GpRegressor(population_size=pop, generations=generations, metric="mse", random_state=seed,
                            function_set=("add", "sub", "mul", "div", "sin", "cos"), n_jobs=1)
        model.fit(x, y)
        return pop * generations, pop * generations

    def operon_run(seed: int) -> tuple[int, int]:
        model = OpRegressor(population_size=pop, generations=generations, max_evaluations=10**9, n_threads=1,
                            optimizer_iterations=10, random_state=seed,
                            allowed_symbols="add,sub,mul,div,sin,cos,constant,variable")
        model.fit(x, y)
        return int(model.stats_["evaluation_count"]), int(model.stats_["evaluation_count"])

    runs: dict[str, Callable[[int], tuple[int, int]]] = {
        "mlevolve": lambda s: mlevolve_run(s, True), "mlevolve-nofit": lambda s: mlevolve_run(s, False),
        "gplearn": gplearn_run, "operon": operon_run}
    mlevolve_run(99, True)  # warm-up: imports, first-call costs
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    print(f"quartic, 20 points, population {pop} x {generations} generations, {repeats} interleaved repeats")
    for seed in range(repeats):
        for name, run in runs.items():
            wall, cpu = time.perf_counter(), time.process_time()
            handled, scored = run(seed)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            rates[name].append((handled / wall, handled / cpu))
            print(f"repeat {seed} {name:15} {handled:6d} candidates ({scored} scored) in {wall:6.2f} s wall, "
                  f"{cpu:6.2f} s CPU", flush=True)
    cpu_rate = {name: statistics.median(r[1] for r in rs) for name, rs in rates.items()}
    for name, rs in rates.items():
        print(f"{name:15} {statistics.median(r[0] for r in rs):9.0f} candidates/s wall, "
              f"{cpu_rate[name]:9.0f} per CPU s")
    for ours in ("mlevolve", "mlevolve-nofit"):
        print(f"{ours} / gplearn = {cpu_rate[ours] / cpu_rate['gplearn']:.2f}, "
              f"{ours} / operon = {cpu_rate[ours] / cpu_rate['operon']:.3f} (CPU-second rates)")


RUN_FIELDS = ("engine", "problem", "seed", "test_r2", "size", "used", "wall", "cpu")  # what summarise reads


def _engine_order(engine: str) -> tuple[int, str]:
    base, _, tag = engine.partition("@")
    return list(ENGINES).index(base), tag


def mcnemar(a: dict[tuple[str, int], bool], b: dict[tuple[str, int], bool]) -> tuple[int, int, int, float]:
    """Exact McNemar test of two engines' recoveries paired by (problem, seed): ``(pairs, a only, b only,
    two-sided p)``, p the binomial test of the discordant pairs at 1/2 (``scipy.stats.binomtest``)."""
    from scipy.stats import binomtest

    common = sorted(set(a) & set(b))
    only_a = sum(a[k] and not b[k] for k in common)
    only_b = sum(b[k] and not a[k] for k in common)
    p = binomtest(only_a, only_a + only_b, 0.5).pvalue if only_a + only_b else 1.0
    return len(common), only_a, only_b, float(p)


def summarise(files: list[str]) -> None:
    """Totals per engine over the runs in ``--out`` files: runs, problems, exact recoveries, median test
    R^2, size, formula evaluations used, wall and CPU seconds; for mlevolve also the median size of
    the best as evaluated and the median ratio simplified / as evaluated (issue 15's bloat measure)
    and its candidates; then each pair of engines' exact McNemar test over their common (problem,
    seed) runs.  ``FILE=TAG`` names the engines of that file's runs ``engine@TAG`` (to set one
    version's runs beside another's)."""
    runs = []
    for spec in files:
        name, _, tag = spec.partition("=")
        for row in read_json_lines(name, "a --out file of an earlier run", RUN_FIELDS,
                                   {"engine": ENGINES, "problem": PROBLEMS}, RUN_FIELDS[2:]):
            row["engine"] += f"@{tag}" if tag else ""
            runs.append(row)
    if not runs:
        raise MlevError(f"no runs in {', '.join(files)}", hint="give a --out file of an earlier run")
    engines = sorted({r["engine"] for r in runs}, key=_engine_order)
    print(f"{'engine':15} {'runs':>4} {'problems':>8} {'recovered':>11} {'med R2':>9} {'med size':>8} "
          f"{'med used':>9} {'med wall':>8} {'med cpu':>8}")
    for engine in engines:
        mine = [r for r in runs if r["engine"] == engine]
        hits = sum(r["test_r2"] >= 0.999 for r in mine)
        print(f"{engine:15} {len(mine):>4} {len({r['problem'] for r in mine}):>8} "
              f"{hits:>4}/{len(mine):<3}{100 * hits / len(mine):3.0f}% "
              f"{statistics.median(r['test_r2'] for r in mine):9.4f} "
              f"{statistics.median(r['size'] for r in mine):8g} {statistics.median(r['used'] for r in mine):9g} "
              f"{statistics.median(r['wall'] for r in mine):8.1f} {statistics.median(r['cpu'] for r in mine):8.1f}")
        raw = [r for r in mine if r.get("raw_size")]
        if raw:
            print(f"{'':15} best's size as evaluated: median {statistics.median(r['raw_size'] for r in raw):g}; "
                  f"simplified / as evaluated: median of ratios "
                  f"{statistics.median(r['size'] / r['raw_size'] for r in raw):.2f}")
        counted = [r["candidates"] for r in mine if r.get("candidates")]
        if counted:
            print(f"{'':15} candidates per run: median {statistics.median(counted):g}")
    problems = sorted({r["problem"] for r in runs}, key=lambda p: list(PROBLEMS).index(p))
    print("recovered per problem: " + ", ".join(engines))
    for name in problems:
        cells = []
        for engine in engines:
            mine = [r for r in runs if r["engine"] == engine and r["problem"] == name]
            cells.append(f"{sum(r['test_r2'] >= 0.999 for r in mine)}/{len(mine)}" if mine else "-")
        print(f"  {name:17} " + " ".join(f"{c:>6}" for c in cells))
    hit = {e: {(r["problem"], r["seed"]): r["test_r2"] >= 0.999 for r in runs if r["engine"] == e} for e in engines}
    print("paired by (problem, seed), exact McNemar: A only / B only, p")
    for i, first in enumerate(engines):
        for second in engines[i + 1:]:
            pairs, only_a, only_b, p = mcnemar(hit[first], hit[second])
            if pairs:
                print(f"  {first} vs {second}: {pairs} pairs, {only_a} / {only_b}, p {p:.2g}")


def available(engine: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(_MODULES[engine]) is not None


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(description="mlevolve vs gplearn, Operon and DEAP at symbolic regression")
    parser.add_argument("--quick", action="store_true",
                        help=f"{len(QUICK)} problems ({', '.join(QUICK)}), 1 seed, 2,000 evaluations")
    parser.add_argument("--throughput", type=at_least(1), metavar="REPEATS",
                        help="only the throughput comparison on the quartic (pop 300 x 40), REPEATS interleaved")
    parser.add_argument("--summarise", nargs="+", metavar="FILE[=TAG]",
                        help="only print the totals of the runs in these --out files, and exact McNemar tests "
                             "paired by problem and seed (FILE=TAG: that file's engines named engine@TAG)")
    parser.add_argument("--evaluations", type=at_least(1), default=10_000, help="fitness evaluations per run (10000)")
    parser.add_argument("--seeds", type=at_least(1), default=10, help="seeds 0..N-1 per problem (10)")
    parser.add_argument("--first-seed", type=at_least(0), default=0, help="first seed (0): seeds F..F+N-1")
    parser.add_argument("--out", type=Path, help="append one JSON line per run to this file")
    parser.add_argument("--matched", type=Path,
                        help="a --out file of mlevolve runs: operon-matched takes its evaluations used from it")
    parser.add_argument("--problems", help=f"comma-separated subset of: {', '.join(PROBLEMS)}")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated subset (all)")
    args = parser.parse_args(argv)
    for name in [spec.partition("=")[0] for spec in args.summarise or []] + [args.matched] * bool(args.matched):
        if not Path(name).is_file():
            parser.error(f"{name}: no such file (a --out file of an earlier run)")
    if args.summarise:
        summarise(args.summarise)
        return 0
    if args.throughput:
        throughput(args.throughput)
        return 0
    names = args.problems.split(",") if args.problems else list(QUICK if args.quick else PROBLEMS)
    if args.quick:  # --problems, when given, chooses the problems of a quick run too
        args.evaluations, args.seeds = 2000, 1
    for option, given, known in (("--problems", names, PROBLEMS), ("--engines", args.engines.split(","), ENGINES)):
        unknown = [n for n in given if n not in known]
        if unknown:
            raise MlevError(f"{option}: unknown {', '.join(map(repr, unknown))}",
                            hint=f"choose from {', '.join(known)}")
    engines = []
    for engine in args.engines.split(","):
        if available(engine):
            engines.append(engine)
        else:
            print(f"{engine}: not installed, skipped (pip install -e .[bench])")
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    print(f"{args.evaluations} evaluations each (what each engine used differs: compare evals used), seeds "
          f"{seeds.start}..{seeds.stop - 1}, problems {', '.join(names)}")
    header = (f"{'engine':14} {'problem':17} {'recovered':>9} {'med R2':>10} {'med size':>8} {'wall s':>7} "
              f"{'cpu s':>7} {'evals used':>10}")
    print(header)
    totals: dict[str, list[int]] = {e: [0, 0, 0] for e in engines}  # recovered, runs, evaluations used
    matched: dict[tuple[str, int], int] = {}  # mlevolve's evaluations used, for operon-matched
    if args.matched is not None:
        for run in read_json_lines(args.matched, "a --out file of an earlier run",
                                  ("engine", "problem", "seed", "used")):
            if run["engine"] == "mlevolve":
                matched[(run["problem"], run["seed"])] = run["used"]
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            for engine in engines:
                results, walls, cpus = [], [], []
                for seed in seeds:
                    data = make_data(PROBLEMS[name], seed)
                    budget = matched.get((name, seed), args.evaluations) if engine == "operon-matched" \
                        else args.evaluations
                    wall, cpu = time.perf_counter(), time.process_time()
                    results.append(ENGINES[engine](data, seed, budget, Path(tmp)))
                    if engine == "mlevolve":
                        matched[(name, seed)] = results[-1].used
                    walls.append(time.perf_counter() - wall)
                    cpus.append(time.process_time() - cpu)
                    if args.out is not None:
                        with args.out.open("a") as out:
                            out.write(json.dumps({"engine": engine, "problem": name, "seed": seed,
                                                  "budget": budget, **dataclasses.asdict(results[-1]),
                                                  "wall": walls[-1], "cpu": cpus[-1]}) + "\n")
                hits = sum(r.test_r2 >= 0.999 for r in results)
                totals[engine][0] += hits
                totals[engine][1] += len(results)
                totals[engine][2] += sum(r.used for r in results)
                print(f"{engine:14} {name:17} {hits:>4}/{len(results):<4} "
                      f"{statistics.median(r.test_r2 for r in results):>10.5g} "
                      f"{statistics.median(r.size for r in results):>8g} {statistics.median(walls):>7.1f} "
                      f"{statistics.median(cpus):>7.1f} {statistics.median(r.used for r in results):>10g}",
                      flush=True)
    for engine, (hits, runs, used) in totals.items():  # the evaluations beside it: the mlevolve arm fits, ~15x N
        print(f"total {engine}: {hits}/{runs} recovered ({100 * hits / max(runs, 1):.0f}%), "
              f"{used / max(runs, 1):,.0f} evaluations used a run")
    return 0


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
