"""The variation step alone: ``Engine.vary`` on the parents a formula run varies, timed without the rest.

A regularized-evolution run of the quartic (``overhead.py``'s formula workload, instant evaluations)
records every ``vary`` call after its first ``--skip``: the parent, the second parent of a crossover,
and the RNG state before it.  Those calls are then replayed ``--repeats`` times on the same engine with
fresh sites (empty view and option tables) and the RNG set to each recorded state, a parent that an
earlier replayed call made being that very object (as in a run, where a child's view is derived from
its parent's).  Printed: the least wall and CPU (``time.thread_time``) time per call in µs, and a digest
of the children and operators made, which two codes that draw alike print the same.
Run: python benchmarks/vary_speed.py [--budget N] [--repeats R]
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import overhead
from mlevolve.dsl.kinds import slot_body
from mlevolve.dsl.printer import format_program
from mlevolve.gp.engine import Engine
from mlevolve.gp.operators import Site
from mlevolve.script import ArgumentParser, at_least, run

Call = tuple[Any, Any, tuple[Any, ...]]


def record(budget: int, skip: int) -> tuple[Engine, list[Call]]:
    """The engine of a formula run of ``budget`` candidates and its ``vary`` calls after the first ``skip``."""
    calls: list[Call] = []
    engines: list[Engine] = []
    plain = Engine.vary

    def vary(self: Engine, parent: Any, other: Any = None) -> tuple[Any, str]:
        calls.append((parent, other, self.rng.getstate()))
        engines[:] = [self]
        return plain(self, parent, other)

    Engine.vary = vary  # type: ignore[method-assign]
    try:
        overhead.measure("formula", budget, instant=True)
    finally:
        Engine.vary = plain  # type: ignore[method-assign]
    return engines[0], calls[skip:]


def replay(engine: Engine, calls: list[Call]) -> tuple[float, float, str]:
    """Wall and CPU seconds of the ``vary`` calls alone, and the digest of what they made."""
    engine.sites = {n: Site(s.spec, s.env, s.result, s.max_depth, s.max_size, s.regrow_depth)
                    for n, s in engine.sites.items()}
    name = engine.evolve[0]
    made: dict[Any, Any] = {}
    digest = hashlib.sha256()
    wall = cpu = 0.0
    for parent, other, state in calls:
        engine.rng.setstate(state)
        parent = made.get(slot_body(parent, name), parent)
        other = None if other is None else made.get(slot_body(other, name), other)
        w, c = time.perf_counter(), time.thread_time()
        child, op = engine.vary(parent, other)
        wall += time.perf_counter() - w
        cpu += time.thread_time() - c
        made.setdefault(slot_body(child, name), child)
        digest.update(format_program(child).encode() + op.encode())
    return wall, cpu, digest.hexdigest()[:16]


def main() -> None:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=at_least(2), default=2300, help="the run's candidates (default 2,300)")
    parser.add_argument("--skip", type=at_least(0), default=300, help="calls not replayed, the first (default 300)")
    parser.add_argument("--repeats", type=at_least(1), default=7, help="replays; the least is printed (default 7)")
    args = parser.parse_args()
    engine, calls = record(args.budget, args.skip)
    runs = [replay(engine, calls) for _ in range(args.repeats)]
    assert len({d for _, _, d in runs}) == 1, "a replay made other children"
    n = len(calls)
    print(f"vary, {n} calls: least wall {min(w for w, _, _ in runs) / n * 1e6:.1f} µs, least CPU "
          f"{min(c for _, c, _ in runs) / n * 1e6:.1f} µs a call (of {args.repeats}); children {runs[0][2]}")


if __name__ == "__main__":
    run(main)
