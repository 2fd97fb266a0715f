"""Per-candidate overhead outside evaluation: what the engine spends on a candidate besides scoring it.

Runs the engine in process (as a cheap run does, see ``gp/backends.placed``, and under the cyclic
collector's settings of every run, ``gp.engine.search_collector``) with regularized
evolution (steady state: each candidate's variation falls between two finishes) on a formula (the
quartic, constant fitting on) and a learner (``linear_regression.mlev``, evolving ``linreg.learn``).
The evaluator is wrapped so that the CPU time (``time.thread_time``) inside its ``fingerprint`` and
``evaluate`` calls is counted; a candidate's overhead is the CPU time between its finish and the
previous one, less that.  Printed: median and mean overhead per candidate in µs, and the evaluation's.
``--instant`` also runs the engine alone: an evaluator that answers at once (a fingerprint and a
fitness read off the candidate's key), so every CPU second is the engine's (no evaluation to subtract,
no cache effects of NumPy work between candidates).
Run: python benchmarks/overhead.py [--budget N] [--profile] [--instant]
"""

from __future__ import annotations

import cProfile
import itertools
import pstats
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from mlevolve import check, parse_file
from mlevolve.gp.archive import Archive
from mlevolve.gp.backends import Resources
from mlevolve.gp.engine import Engine, EvolveConfig, search_collector
from mlevolve.gp.search import ALGORITHMS
from mlevolve.grammar.spec import load_grammar
from mlevolve.interpreter.factory import EvaluatorFactory
from mlevolve.interpreter.tasks import load_task
from mlevolve.results import Outcome
from mlevolve.script import ArgumentParser, at_least

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = {"formula": ("quartic.mlev", ["f"], "koza_quartic", frozenset({"formula"}), True),
             "learner": ("linear_regression.mlev", ["linreg.learn"], "linear", frozenset({"learner"}), False)}


class Instant:
    """An evaluator that answers at once: the fingerprint and fitness are read off the key, so
    candidates differ (and repeat where their keys repeat, as cache and FEC hits)."""

    supports_hurdle = False
    spent = 0.0

    def fingerprint(self, program: Any, key: str) -> tuple[str, None]:
        return key[:6], None

    def evaluate(self, program: Any, key: str, quick: bool = False) -> Outcome:
        return Outcome({"fitness": int(key[:6], 16) / 2**24})


class Timed:
    """The evaluator, with the CPU time spent in its scoring calls counted in ``spent``."""

    def __init__(self, evaluator: Any) -> None:
        self.evaluator, self.spent = evaluator, 0.0
        self.supports_hurdle = evaluator.supports_hurdle

    def fingerprint(self, program: Any, key: str) -> Any:
        t = time.thread_time()
        try:
            return self.evaluator.fingerprint(program, key)
        finally:
            self.spent += time.thread_time() - t

    def evaluate(self, program: Any, key: str, quick: bool = False) -> Any:
        t = time.thread_time()
        try:
            return self.evaluator.evaluate(program, key, quick)
        finally:
            self.spent += time.thread_time() - t


def measure(kind: str, budget: int, algorithm: str = "regularized", profile: bool = False,
            instant: bool = False) -> dict[str, float]:
    """Median and mean per-candidate overhead and evaluation CPU (µs) of one in-process run
    (``instant``: with the :class:`Instant` evaluator, so all of it is overhead)."""
    name, evolve, task, kinds, fit = WORKLOADS[kind]
    spec = load_grammar()
    program = check(parse_file(ROOT / "examples" / name))
    timed: Timed | Instant
    if instant:
        timed = Instant()
    else:
        factory = EvaluatorFactory(task, 0, 10, kinds, timeout=Resources.timeout, fit=fit)
        timed = Timed(factory.build(load_task(task, 0), spec))
    marks: list[tuple[float, float]] = []

    def progress(engine: Engine, candidate: Any, stored: bool) -> None:
        marks.append((time.thread_time(), timed.spent))

    config = EvolveConfig(algorithm=algorithm, budget=budget, population=50, init="random", seed=1,
                          fit=EvolveConfig.fitting(fit, kinds))
    profiler = cProfile.Profile() if profile else None
    with tempfile.TemporaryDirectory() as tmp, Archive.for_run(Path(tmp) / "run.db", {"run": kind}) as archive:
        engine = Engine(program, evolve, spec, timed, archive, config, progress)
        marks.append((time.thread_time(), 0.0))
        with search_collector():  # the collector's settings of every run (``api.evolve``)
            if profiler is not None:
                profiler.enable()
            ALGORITHMS[algorithm](engine)
            if profiler is not None:
                profiler.disable()
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    overhead = [(b[0] - a[0]) - (b[1] - a[1]) for a, b in itertools.pairwise(marks)]
    evaluation = [b[1] - a[1] for a, b in itertools.pairwise(marks)]
    return {"median": statistics.median(overhead) * 1e6, "mean": statistics.fmean(overhead) * 1e6,
            "evaluation_mean": statistics.fmean(evaluation) * 1e6, "candidates": len(overhead)}


def main() -> None:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=at_least(1), default=2000, help="candidates per measured run (default 2,000)")
    parser.add_argument("--profile", action="store_true", help="print the hot spots (cProfile) too")
    parser.add_argument("--instant", action="store_true", help="also the engine alone, with instant evaluations")
    args = parser.parse_args()
    for kind in WORKLOADS:
        r = measure(kind, args.budget, profile=args.profile)
        print(f"{kind:8s} {r['candidates']:5.0f} candidates: overhead outside evaluation median {r['median']:7.0f} µs, "
              f"mean {r['mean']:7.0f} µs; evaluation mean {r['evaluation_mean']:7.0f} µs  (goal: median <= 100 µs)")
    for kind in WORKLOADS if args.instant else ():
        r = measure(kind, args.budget, profile=args.profile, instant=True)
        print(f"{kind:8s} {r['candidates']:5.0f} candidates, instant evaluations: engine CPU per candidate median "
              f"{r['median']:7.0f} µs, mean {r['mean']:7.0f} µs")


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
