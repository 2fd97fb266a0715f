"""Linear regression with the base grammar and both learner methods evolved (issue 15, goal row 4).

The program is the AutoML-Zero learner with nothing given: ``predict = 0.0`` and ``learn = w`` as
written, both evolved from random programs (``--init random``) in the base grammar, on the program's
``linear`` task line, with the product's defaults (regularized evolution, population 100, tournament
10, learner literal tuning on, and a learner search's: tasks drawn afresh per candidate with the squashed
relative error, ``linear:fresh=1:fitness=relative``, and restarts every 20 x the population, 2,000).
Success, as in ``linear_regression.py``: the best program by search fitness reaches validation MSE <= 1e-3
on 100 unseen tasks (``linear:n_tasks=100``, seed 10,000 + seed).

Run: python benchmarks/discovery/linear_regression_both.py [--seeds 10 | --seed-list 0,4,5] [--budget 20000]
[--out FILE] [--keep-db DIR] [--task TASK] [--population N] [--restart-every N] (one JSON line per seed, then
the count; ``--keep-db`` keeps each run's archive, ``sSEED.db``, in DIR; ``--task`` and ``--population`` change
the search's tasks, e.g. ``linear:fresh=0`` for the 10 fixed tasks by their MSE, and population, never the unseen
test; ``--restart-every`` re-seeds the population from random programs every N candidates, as ``mlevolve
evolve``'s, 0: never).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import KEEP_DB_HELP, archive_folder, named_twice

from mlevolve import api
from mlevolve.script import ArgumentParser, at_least, int_list

PROGRAM = """algorithm linreg_both
task linear

learner linreg(state w: Vector)
  predict(x: Vector) -> Scalar =
    0.0
  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =
    w
"""
THRESHOLD = 1e-3


def one_run(seed: int, budget: int, folder: Path, task: str | None = None,
            population: int | None = None, restart_every: int | None = None) -> dict[str, object]:
    """One search and its best program's unseen-task MSE (None when it fails there).  ``task``,
    ``population`` and ``restart_every``: the search's (default the program's ``linear`` and the product's
    defaults: population 100, restarts every 20 x the population)."""
    source = folder / f"linreg_both_{seed}.mlev"
    source.write_text(PROGRAM)
    db = folder / f"s{seed}.db"
    db.unlink(missing_ok=True)  # a kept folder's archive of an earlier run is replaced, not extended
    started = time.process_time()
    chosen: dict[str, Any] = {"population": population} if population is not None else {}
    if restart_every is not None:
        chosen["restart_every"] = restart_every
    result = api.evolve(source, ["linreg"], task, budget=budget, seed=seed, init="random", db=db, quiet=True,
                        **chosen)
    unseen = api.run(api.parse(result["best_program"]), "linear:n_tasks=100", seed=10_000 + seed)
    mse = unseen.get("val_mse") if unseen["failure"] is None else None
    return {"seed": seed, "budget": budget, "task": result["task"], "population": population or 100,
            "restart_every": result.get("restart_every") or 0, "cpu_s": round(time.process_time() - started, 1),
            "best_fitness": result["best_metrics"]["fitness"], "unseen_mse": mse,
            "success": mse is not None and mse <= THRESHOLD,
            "unseen_failure": unseen["failure"], "program": result["best_program"],
            **({"restarts": result["restarts"]} if "restarts" in result else {})}


def main() -> None:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=at_least(1), default=10, help="runs, seeds 0 to N - 1 (default 10)")
    parser.add_argument("--seed-list", type=int_list, metavar="S,S,...",
                        help="run these seeds instead (comma-separated, e.g. the failing seeds of an earlier run)")
    parser.add_argument("--budget", type=at_least(1), default=20_000, help="candidates per run (default 20,000)")
    parser.add_argument("--out", help="also write the JSON lines to this file")
    parser.add_argument("--keep-db", default=None, metavar="DIR", help=KEEP_DB_HELP)
    parser.add_argument("--task", help="the search's tasks (default the program's 'linear', searched as "
                        "'linear:fresh=1:fitness=relative'; 'linear:fresh=0': its 10 fixed tasks); the unseen test "
                        "is always 'linear:n_tasks=100'")
    parser.add_argument("--population", type=at_least(2), help="the search's population (default 100)")
    parser.add_argument("--restart-every", type=at_least(0), default=None, metavar="N",
                        help="re-seed the population from random programs every N candidates (0: never; default "
                        "mlevolve evolve's, 20 x the population)")
    args = parser.parse_args()
    seeds = range(args.seeds) if args.seed_list is None else args.seed_list
    if not seeds:
        parser.error("--seed-list names no seed", hint="give comma-separated seeds, e.g. --seed-list 0,4,5")
    if (twice := named_twice(seeds)) is not None:
        parser.error(f"--seed-list: seed {twice} is named twice", hint="name each seed once")
    rows = []
    with contextlib.ExitStack() as stack:
        folder = archive_folder(stack, args.keep_db)
        for seed in seeds:
            rows.append(one_run(seed, args.budget, folder, args.task, args.population, args.restart_every))
            print(json.dumps(rows[-1]), flush=True)
    if args.out:
        Path(args.out).write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"{sum(bool(r['success']) for r in rows)}/{len(rows)} seeds reach unseen MSE <= {THRESHOLD:g} "
          f"within {args.budget:,} candidates")


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
