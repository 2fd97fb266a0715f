"""Scaling: parallel speed-up, coordinator capacity, and the modelled curve to 256 workers.

Evaluations here are synthetic and CPU-bound (a busy loop of a fixed length), so that what is
measured is the engine: regularized evolution of the quartic formula's body, real operators,
hashing and SQLite archiving, with scoring on 1 or 2 worker processes.

Printed: wall time and speed-up of 2 workers over 1 for 20 ms and 200 ms evaluations (goal >= 1.8), from
the moment every worker is ready (the pool's start, which a run overlaps with its first candidates, is
timed apart and printed beside it: its cost is measured by ``worker_path.py``'s README main job);
the share of wall time not spent evaluating at 20 ms (goal <= 5%); coordinator capacity with
instant evaluations, in process and through the pool, one candidate per request and in batches
(goal >= 1,000 candidates/s); and the modelled
throughput for 1..256 workers, throughput(n) = min(n / t_eval, 1 / t_coordinator), saved as a plot.
``--dask``: the 20 ms share and the instant rate through a ``--dask local:2`` cluster too (two one-thread workers),
one candidate per future and in batches of ``CHEAP_BATCH`` (a cheap run's, ``gp.backends.placed``).
Run: python benchmarks/scale.py [--quick] [--dask]
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlevolve.dsl.ir import Program
from mlevolve.gp.archive import Archive
from mlevolve.gp.backends import CHEAP_BATCH, Backend, ProcessPool
from mlevolve.gp.dask_backend import DaskBackend
from mlevolve.gp.engine import Engine, EvolveConfig
from mlevolve.gp.search import regularized_evolution
from mlevolve.grammar.spec import load_grammar
from mlevolve.results import Outcome
from mlevolve.script import ArgumentParser

ROOT = Path(__file__).resolve().parent.parent


class BusyEvaluator:
    """Scores a program after ``seconds`` of CPU work; fitness from its hash (deterministic)."""

    supports_hurdle = False

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def fingerprint(self, program: Program, key: str) -> tuple[None, None]:
        return None, None

    def evaluate(self, program: Program, key: str, quick: bool = False) -> Outcome:
        end = time.perf_counter() + self.seconds
        x = 0
        while time.perf_counter() < end:
            x += 1
        return Outcome({"fitness": int(key[:6], 16) / 16**6})


@dataclass(frozen=True)
class BusyFactory:
    """Hashable by value, as a Dask worker's evaluator cache needs (``gp.dask_backend._dask_warm``)."""

    seconds: float

    def __call__(self) -> BusyEvaluator:
        return BusyEvaluator(self.seconds)


def run(budget: int, seconds: float, workers: int, batch: int = 1, dask: bool = False) -> dict[str, Any]:
    """One regularized evolution; ``workers`` 0 scores in process (the coordinator alone); ``batch``:
    candidates per worker request or Dask future (``ProcessPool.batch``, ``DaskBackend.batch``); ``dask``: on a
    ``local:workers`` Dask cluster instead."""
    from mlevolve import check, parse_file

    spec = load_grammar()
    program = check(parse_file(ROOT / "examples" / "quartic.mlev"))
    config = EvolveConfig(budget=budget, population=50, init="random", hurdle=False)
    backend: Backend | None = None
    if dask:
        backend = DaskBackend(BusyFactory(seconds), f"local:{workers}", timeout=60, batch=batch)
    elif workers:
        backend = ProcessPool(BusyFactory(seconds), workers, timeout=60, batch=batch)
    with tempfile.TemporaryDirectory() as tmp, Archive.for_run(Path(tmp) / "s.db", {"run": "scale"}) as archive:
        engine = Engine(program, ["f"], spec, BusyEvaluator(seconds), archive, config, None, backend,
                        replay=backend is None)
        started = time.perf_counter()
        try:
            if backend is not None:  # the steady state: the workers' start timed apart
                backend.wait_ready()
            ready = time.perf_counter()
            regularized_evolution(engine)
            wall = time.perf_counter() - ready
        finally:
            if backend is not None:
                backend.close()
    return {"wall": wall, "start": ready - started, "rate": budget / wall, "candidates": engine.seq,
            "evaluated": engine.counts["evaluated"]}


def main() -> None:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small budgets (a smoke test)")
    parser.add_argument("--dask", action="store_true", help="also through a Dask local:2 cluster")
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    budgets = {0.02: 40 if args.quick else 300, 0.2: 8 if args.quick else 40}
    for seconds, budget in budgets.items():
        one, two = run(budget, seconds, 1), run(budget, seconds, 2)
        print(f"{seconds * 1000:.0f} ms evaluations, {budget} candidates: 1 worker {one['wall']:.2f} s, "
              f"2 workers {two['wall']:.2f} s, speed-up {one['wall'] / two['wall']:.2f} (goal >= 1.8); "
              f"the pools' start before it, timed apart: {one['start']:.2f} s and {two['start']:.2f} s")
        if seconds == 0.02:  # the busy loops' time, spread over 2 workers, against the wall time
            outside = 1 - two["evaluated"] * seconds / 2 / two["wall"]
            print(f"  share of wall time not spent evaluating with 2 workers: {outside:.1%} (goal <= 5%; "
                  f"{two['evaluated']} of {budget} candidates needed an evaluation, the rest were cache hits)")
    instant = 300 if args.quick else 3000
    local = run(instant, 0.0, 0)
    pooled = run(instant // 3, 0.0, 2)
    batched = run(instant, 0.0, 2, CHEAP_BATCH)
    print(f"coordinator capacity, instant evaluations: {local['rate']:.0f} candidates/s in process, "
          f"{pooled['rate']:.0f}/s through a 2-worker pool one per request, {batched['rate']:.0f}/s in batches of "
          f"{CHEAP_BATCH} (goal >= 1,000)")
    if args.dask:
        for batch in (1, CHEAP_BATCH):
            twenty = run(budgets[0.02], 0.02, 2, batch, dask=True)
            outside = 1 - twenty["evaluated"] * 0.02 / 2 / twenty["wall"]
            fast = run(instant // 3 if batch == 1 else instant, 0.0, 2, batch, dask=True)
            print(f"Dask local:2, {batch} a future: share of wall time not spent evaluating at 20 ms {outside:.1%} "
                  f"({twenty['evaluated']} of {budgets[0.02]} evaluated, {twenty['wall']:.2f} s); instant evaluations "
                  f"{fast['rate']:.0f}/s")
    t_coord = 1 / local["rate"]
    print("modelled throughput, candidates/s = min(n / t_eval, 1 / t_coordinator):")
    workers = [1, 2, 4, 8, 16, 32, 64, 128, 256]
    curves = {}
    for t_eval in (0.02, 0.2, 2.0):
        curves[t_eval] = [min(n / t_eval, 1 / t_coord) for n in workers]
        print(f"  t_eval {t_eval:>5} s: " + ", ".join(f"{n}:{r:.0f}" for n, r in zip(workers, curves[t_eval],
                                                                                       strict=True)))
    if not args.quick:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 4))
        ax = fig.subplots()
        for t_eval, rates in curves.items():
            ax.plot(workers, rates, marker="o", label=f"{t_eval * 1000:.0f} ms per evaluation")
        ax.set(xscale="log", yscale="log", xlabel="workers", ylabel="candidates / s",
               title=f"modelled scaling (coordinator {t_coord * 1e3:.2f} ms per candidate)")
        ax.legend()
        out = ROOT / "benchmarks" / "scale.png"
        fig.savefig(out, dpi=100)
        print(f"plot: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
