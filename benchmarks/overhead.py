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
no cache effects of NumPy work between candidates).  ``--cold BYTES`` also runs it with each
evaluation first sweeping BYTES of memory (one write a 64-byte line; its CPU time counted as the
evaluation's, so subtracted): the same engine work with the CPU caches as a real evaluation, or other
processes sharing the last-level cache, leave them (RESULTS.md, "Stop 66").
``--stages`` also splits the overhead by the engine's stages (:data:`STAGES`, each function's CPU time
where it is called, per candidate: median and mean; "other" is the overhead less them) and prints the
cyclic collector's CPU per candidate and its passes by generation (``gc.callbacks``; a pass may fall in
an evaluation, whose time it then is, so it is not one of the stages).
Run: python benchmarks/overhead.py [--budget N] [--profile] [--instant] [--cold BYTES] [--stages]
"""

from __future__ import annotations

import contextlib
import cProfile
import gc
import importlib
import itertools
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

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


# The engine's stages outside evaluation (label, module, attribute; ``Class.method`` patched on the class, a
# function where the engine calls it from): what ``--stages`` times.  ``simplified_program`` and ``cache_key``
# are the engine's own names (``Engine.start``; bloat control's ``Engine.size`` too), so the archive row's
# simplification (``memo.stored_program``) stays in its stage.
STAGES = (
    ("variation: selection and operators (Engine.offspring)", "mlevolve.gp.engine", "Engine.offspring"),
    ("simplified program (memo.simplified_program)", "mlevolve.gp.engine", "simplified_program"),
    ("cache key (memo.cache_key)", "mlevolve.gp.engine", "cache_key"),
    ("simplified text of the scored program (backends._with_simplified)", "mlevolve.gp.backends", "_with_simplified"),
    ("archive row, its texts and statistics (RunRecord.add)", "mlevolve.gp.record", "RunRecord.add"),
)


class Stages:
    """The CPU seconds (``time.thread_time``) spent in each of :data:`STAGES` (``spent``, by label) while
    :meth:`timing`, and the cyclic collector's (``collector``, and ``passes`` by generation)."""

    def __init__(self) -> None:
        self.spent = dict.fromkeys([label for label, _, _ in STAGES], 0.0)
        self.collector, self.passes, self._began = 0.0, [0, 0, 0], 0.0

    def _timed(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        spent, clock = self.spent, time.thread_time

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] += clock() - began
        return timed

    def _collected(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.thread_time()
        else:
            self.collector += time.thread_time() - self._began
            self.passes[info["generation"]] += 1

    @contextlib.contextmanager
    def timing(self) -> Iterator[None]:
        """Each stage's function replaced by a timed one, and the collector's passes timed; restored after."""
        restore = []
        for label, module, attribute in STAGES:
            owner: Any = importlib.import_module(module)
            name = attribute
            if "." in attribute:
                cls, name = attribute.split(".")
                owner = getattr(owner, cls)
            restore.append((owner, name, getattr(owner, name)))
            setattr(owner, name, self._timed(label, getattr(owner, name)))
        gc.callbacks.append(self._collected)
        try:
            yield
        finally:
            gc.callbacks.remove(self._collected)
            for owner, name, fn in restore:
                setattr(owner, name, fn)


class Instant:
    """An evaluator that answers at once: the fingerprint and fitness are read off the key, so
    candidates differ (and repeat where their keys repeat, as cache and FEC hits).  ``sweep``: bytes of
    memory each evaluation first writes to (CPU caches left cold, as after a real evaluation)."""

    supports_hurdle = False

    def __init__(self, sweep: int = 0) -> None:
        self.spent = 0.0  # the sweeps' CPU seconds (counted as evaluation, so not as overhead)
        self._lines = np.ones(sweep // 8) if sweep else None  # float64s: every 8th is one 64-byte line

    def fingerprint(self, program: Any, key: str) -> tuple[str, None]:
        return key[:6], None

    def evaluate(self, program: Any, key: str, quick: bool = False) -> Outcome:
        """The key's fitness; with a sweep, after writing once to every cache line of ``sweep`` bytes."""
        if self._lines is not None:
            began = time.thread_time()
            self._lines[::8] += 1.0
            self.spent += time.thread_time() - began
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
            instant: bool = False, stages: bool = False, sweep: int = 0) -> dict[str, Any]:
    """Median and mean per-candidate overhead and evaluation CPU (µs) of one in-process run
    (``instant``: with the :class:`Instant` evaluator, so all of it is overhead; ``sweep``: its bytes swept
    a candidate, whose CPU is the evaluation's).  ``stages``: also
    ``"stages"``, each of :data:`STAGES`' label (and "other": the overhead less them) to its median and
    mean µs per candidate, and ``"collector"``: the cyclic collector's mean µs per candidate and its
    passes by generation (a list of three counts)."""
    name, evolve, task, kinds, fit = WORKLOADS[kind]
    spec = load_grammar()
    program = check(parse_file(ROOT / "examples" / name))
    timed: Timed | Instant
    if instant:
        timed = Instant(sweep)
    else:
        factory = EvaluatorFactory(task, 0, 10, kinds, timeout=Resources.timeout, fit=fit)
        timed = Timed(factory.build(load_task(task, 0), spec))
    marks: list[tuple[float, float]] = []
    staged = Stages()
    split: list[tuple[float, ...]] = []  # each stage's seconds so far, at each mark

    def progress(engine: Engine, candidate: Any, stored: bool) -> None:
        marks.append((time.thread_time(), timed.spent))
        if stages:
            split.append(tuple(staged.spent.values()))

    config = EvolveConfig(algorithm=algorithm, budget=budget, population=50, init="random", seed=1,
                          fit=EvolveConfig.fitting(fit, kinds))
    profiler = cProfile.Profile() if profile else None
    with tempfile.TemporaryDirectory() as tmp, Archive.for_run(Path(tmp) / "run.db", {"run": kind}) as archive:
        engine = Engine(program, evolve, spec, timed, archive, config, progress)
        marks.append((time.thread_time(), 0.0))
        split.append(tuple(staged.spent.values()))
        with search_collector(), staged.timing() if stages else contextlib.nullcontext():
            if profiler is not None:
                profiler.enable()
            ALGORITHMS[algorithm](engine)
            if profiler is not None:
                profiler.disable()
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    overhead = [(b[0] - a[0]) - (b[1] - a[1]) for a, b in itertools.pairwise(marks)]
    evaluation = [b[1] - a[1] for a, b in itertools.pairwise(marks)]
    out: dict[str, Any] = {"median": statistics.median(overhead) * 1e6, "mean": statistics.fmean(overhead) * 1e6,
                           "evaluation_mean": statistics.fmean(evaluation) * 1e6, "candidates": len(overhead)}
    if stages:
        parts = [[b - a for a, b in zip(x, y, strict=True)] for x, y in itertools.pairwise(split)]
        columns = {label: [p[i] for p in parts] for i, label in enumerate(staged.spent)}
        columns["other"] = [o - sum(p) for o, p in zip(overhead, parts, strict=True)]
        out["stages"] = {label: (statistics.median(v) * 1e6, statistics.fmean(v) * 1e6) for label, v in columns.items()}
        out["collector"] = (staged.collector / len(overhead) * 1e6, staged.passes)
    return out


def main() -> None:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=at_least(1), default=2000, help="candidates per measured run (default 2,000)")
    parser.add_argument("--profile", action="store_true", help="print the hot spots (cProfile) too")
    parser.add_argument("--instant", action="store_true", help="also the engine alone, with instant evaluations")
    parser.add_argument("--cold", type=at_least(1), default=None, metavar="BYTES",
                        help="also the engine alone (as --instant, which it implies) with each evaluation first "
                             "sweeping BYTES of memory (CPU caches cold; 64000000 empties a 32 MiB last-level cache)")
    parser.add_argument("--stages", action="store_true",
                        help="also the overhead by the engine's stages, and the cyclic collector's CPU")
    args = parser.parse_args()
    for kind in WORKLOADS:
        r = measure(kind, args.budget, profile=args.profile, stages=args.stages)
        print(f"{kind:8s} {r['candidates']:5.0f} candidates: overhead outside evaluation median {r['median']:7.0f} µs, "
              f"mean {r['mean']:7.0f} µs; evaluation mean {r['evaluation_mean']:7.0f} µs  (goal: median <= 100 µs)")
        for label, (median, mean) in r.get("stages", {}).items():
            print(f"    {label:70s} median {median:6.1f} µs, mean {mean:6.1f} µs")
        if "collector" in r:
            collector, passes = r["collector"]
            print(f"    cyclic collector, in overhead or evaluation: mean {collector:6.1f} µs a candidate; passes by "
                  f"generation {passes[0]}, {passes[1]}, {passes[2]}")
    for kind in WORKLOADS if args.instant or args.cold else ():
        for sweep in (0, args.cold) if args.cold else (0,):
            r = measure(kind, args.budget, profile=args.profile, instant=True, stages=args.stages, sweep=sweep)
            how = f"instant evaluations sweeping {sweep:,} bytes" if sweep else "instant evaluations"
            print(f"{kind:8s} {r['candidates']:5.0f} candidates, {how}: engine CPU per candidate median "
                  f"{r['median']:7.0f} µs, mean {r['mean']:7.0f} µs")
            for label, (median, mean) in r.get("stages", {}).items():
                print(f"    {label:70s} median {median:6.1f} µs, mean {mean:6.1f} µs")


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
