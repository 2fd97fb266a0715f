"""Simplification and constant fitting on symbolic regression (issue 15, items 1, 2 and 4).

Two measurements, each one ``mlevolve evolve`` run per (problem, seed) through the Python API,
exactly ``mlevolve evolve examples/quartic.mlev --task PROBLEM --init random --budget B --seed S``
(``--no-fit`` for the unfitted arm):

* **size**: the size (IR nodes of the evolved formula's body) of each run's best program, as
  evaluated and archived (``candidates.program``) and simplified (``candidates.simplified``); the
  median ratio simplified / as evaluated is the issue's bloat measure (goal <= 0.5x).
* **recovery**: a run recovers its problem when its best program's test R^2, on fresh points from
  the same range (``nguyen*`` tasks), is at least 0.999; fitting on vs off, same seeds and budget.
  With fitting on each candidate also costs its ``fit_evaluations`` (the start, Levenberg-Marquardt
  trial steps and Jacobians, the final scaling: each counts one evaluation, a Jacobian by automatic
  differentiation too), reported as formula evaluations per candidate.

* **per fit** (``--per-fit N``): the cost of one fit alone, CPU microseconds and formula evaluations
  per call of ``fit_formula`` (compiled kernel; ``MLEVOLVE_NO_JIT=1`` for the NumPy reference),
  on the first N distinct formulas with at least one literal that an unfitted nguyen4 run
  (``--no-fit``, seed 0, budget 2,000) evaluated: real candidates, each fitted on its own run's
  training points; best of 3 passes.

Usage: ``python benchmarks/fitting.py [--size-seeds 0,1,2] [--problems nguyen1,...]
[--seeds 0,1,2] [--budget 1500] [--per-fit N]``; CPU time is reported (the machine may be shared).
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import mlevolve.api as api
from mlevolve.dsl.kinds import slots
from mlevolve.dsl.parse import parse
from mlevolve.gp.archive import Archive
from mlevolve.interpreter.tasks import FORMULAS
from mlevolve.script import ArgumentParser, at_least, int_list

QUARTIC = Path(__file__).parents[1] / "examples" / "quartic.mlev"


def body_size(text: str) -> int:
    return sum(s.body.size for s in slots(parse(text)) if s.body is not None)


def one_run(problem: str, seed: int, budget: int, fit: bool, folder: Path) -> dict[str, Any]:
    db = folder / f"{problem}-{seed}-{'fit' if fit else 'nofit'}.db"
    started = time.process_time()
    summary = api.evolve(QUARTIC, ["f"], problem, budget=budget, db=db, init="random", seed=seed, quiet=True,
                         fit=fit)
    with Archive.read(db) as archive:
        best = archive.get(api.found_hash(summary) or "")
    assert best is not None and best.simplified is not None
    return {"problem": problem, "seed": seed, "fit": fit, "test_r2": best.metrics["test_r2"],
            "size": body_size(best.program), "simplified": body_size(best.simplified),
            "evaluated": summary.get("evaluated", 0), "fit_evaluations": summary.get("fit_evaluations") or 0,
            "cpu": time.process_time() - started, "best": best.simplified}


def per_fit(n: int, folder: Path) -> str:
    """CPU microseconds and formula evaluations per ``fit_formula`` call on ``n`` real candidates (see
    the module docstring), best of 3 passes."""
    import numpy as np

    from mlevolve.dsl.simplify import constant_value
    from mlevolve.dsl.traverse import preorder
    from mlevolve.grammar.spec import load_grammar
    from mlevolve.interpreter.fit import fit_formula, formula_points
    from mlevolve.interpreter.tasks import arrays, load_task

    db = folder / "per-fit.db"
    api.evolve(QUARTIC, ["f"], "nguyen4", budget=2000, db=db, init="random", seed=0, quiet=True, fit=False)
    with Archive.read(db) as archive:
        texts = list(dict.fromkeys(r.program for r in archive.rows() if r.source == "evaluated"))
    programs = [p for p in map(parse, texts)
                if any(constant_value(node) is not None for s in slots(p) if s.body is not None
                       for node in preorder(s.body))][:n]
    x, y = formula_points(arrays(load_task("nguyen4", 0)))
    spec = load_grammar()
    with np.errstate(all="ignore"):
        for program in programs[:20]:  # compile (or load numba's cache) first
            fit_formula(program, spec, x, y)
        best, spent = math.inf, 0
        for _ in range(3):
            started = time.process_time()
            spent = sum(fit_formula(program, spec, x, y).evaluations for program in programs)
            best = min(best, time.process_time() - started)
    return (f"per fit, {len(programs)} candidates of an unfitted nguyen4 run: {1e6 * best / len(programs):.0f} us "
            f"CPU (best of 3), {spent / len(programs):.1f} formula evaluations")


def _problems(text: str) -> list[str]:
    """An argparse ``type``: comma-separated formula point sets, checked before any run starts."""
    names = [name for name in text.split(",") if name]
    unknown = [name for name in names if name not in FORMULAS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown point set {', '.join(map(repr, unknown)) or 'none given'}; "
                                         f"the point sets: {', '.join(sorted(FORMULAS))}")
    return names


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-seeds", type=int_list, default="0,1,2",
                        help="seeds of the nguyen4 size runs (budget 2000)")
    parser.add_argument("--problems", type=_problems, default="nguyen1,nguyen4,nguyen5,nguyen7",
                        help=f"comma-separated point sets, of: {', '.join(sorted(FORMULAS))}")
    parser.add_argument("--seeds", type=int_list, default="0,1,2",
                        help="comma-separated seeds of the recovery runs, one run per problem and seed (default 0,1,2)")
    parser.add_argument("--budget", type=at_least(1), default=1500, help="candidates per recovery run")
    parser.add_argument("--fit", default="on,off", choices=("on", "off", "on,off", "off,on"), metavar="ARMS",
                        help="recovery arms: on, off or both (on,off)")
    parser.add_argument("--per-fit", type=at_least(0), default=0, metavar="N",
                        help="only the cost of one fit, on N candidates of an unfitted run (0: not measured)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.per_fit:
            print(per_fit(args.per_fit, folder))
            return 0
        sizes = [one_run("nguyen4", s, 2000, True, folder) for s in args.size_seeds]
        for r in sizes:
            print(f"size nguyen4 seed {r['seed']}: as evaluated {r['size']}, simplified {r['simplified']} "
                  f"(ratio {r['simplified'] / r['size']:.2f}), test R^2 {r['test_r2']:.6f}  {r['best']!r}")
        if sizes:
            print(f"median size as evaluated {statistics.median(r['size'] for r in sizes)}, simplified "
                  f"{statistics.median(r['simplified'] for r in sizes)}, median ratio "
                  f"{statistics.median(r['simplified'] / r['size'] for r in sizes):.2f}")
        seeds = args.seeds
        for fit in [arm == "on" for arm in args.fit.split(",") if arm]:
            runs = [one_run(p, s, args.budget, fit, folder) for p in args.problems for s in seeds]
            for p in args.problems:
                mine = [r for r in runs if r["problem"] == p]
                print(f"recovery fit={'on' if fit else 'off'} {p}: {sum(r['test_r2'] >= 0.999 for r in mine)}/"
                      f"{len(mine)}  test R^2 {[round(r['test_r2'], 6) for r in mine]}  "
                      f"simplified sizes {[r['simplified'] for r in mine]}")
            evaluated = sum(r["evaluated"] for r in runs)
            print(f"total fit={'on' if fit else 'off'}: {sum(r['test_r2'] >= 0.999 for r in runs)}/{len(runs)} "
                  f"recovered; {evaluated} candidates evaluated, {sum(r['fit_evaluations'] for r in runs)} "
                  f"fitting evaluations ({sum(r['fit_evaluations'] for r in runs) / max(evaluated, 1):.1f} "
                  f"per evaluated candidate); CPU {sum(r['cpu'] for r in runs):.0f} s")
    return 0


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
