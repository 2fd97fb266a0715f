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

Usage: ``python benchmarks/fitting.py [--size-seeds 0,1,2] [--problems nguyen1,...]
[--seeds 0,1,2] [--budget 1500]``; CPU time is reported (the machine may be shared).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import mlevolve.api as api
from mlevolve.dsl.kinds import slots
from mlevolve.dsl.parse import parse
from mlevolve.gp.archive import Archive

QUARTIC = Path(__file__).parents[1] / "examples" / "quartic.mlev"


def body_size(text: str) -> int:
    return sum(s.body.size for s in slots(parse(text)) if s.body is not None)


def one_run(problem: str, seed: int, budget: int, fit: bool, folder: Path) -> dict[str, Any]:
    db = folder / f"{problem}-{seed}-{'fit' if fit else 'nofit'}.db"
    started = time.process_time()
    summary = api.evolve(QUARTIC, ["f"], problem, budget=budget, db=db, init="random", seed=seed, quiet=True,
                         fit=fit)
    with Archive.read(db) as archive:
        best = archive.get(summary["best_hash"])
    assert best is not None and best.simplified is not None
    return {"problem": problem, "seed": seed, "fit": fit, "test_r2": best.metrics["test_r2"],
            "size": body_size(best.program), "simplified": body_size(best.simplified),
            "evaluated": summary.get("evaluated", 0), "fit_evaluations": summary.get("fit_evaluations", 0),
            "cpu": time.process_time() - started, "best": best.simplified}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-seeds", default="0,1,2", help="seeds of the nguyen4 size runs (budget 2000)")
    parser.add_argument("--problems", default="nguyen1,nguyen4,nguyen5,nguyen7")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--budget", type=int, default=1500, help="candidates per recovery run")
    parser.add_argument("--fit", default="on,off", help="recovery arms: on, off or both (on,off)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sizes = [one_run("nguyen4", int(s), 2000, True, folder) for s in args.size_seeds.split(",") if s]
        for r in sizes:
            print(f"size nguyen4 seed {r['seed']}: as evaluated {r['size']}, simplified {r['simplified']} "
                  f"(ratio {r['simplified'] / r['size']:.2f}), test R^2 {r['test_r2']:.6f}  {r['best']!r}")
        if sizes:
            print(f"median size as evaluated {statistics.median(r['size'] for r in sizes)}, simplified "
                  f"{statistics.median(r['simplified'] for r in sizes)}, median ratio "
                  f"{statistics.median(r['simplified'] / r['size'] for r in sizes):.2f}")
        seeds = [int(s) for s in args.seeds.split(",") if s]
        for fit in [arm == "on" for arm in args.fit.split(",") if arm]:
            runs = [one_run(p, s, args.budget, fit, folder) for p in args.problems.split(",") for s in seeds]
            for p in args.problems.split(","):
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
    sys.exit(main())
