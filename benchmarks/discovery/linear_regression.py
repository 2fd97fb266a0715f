"""Rediscover linear regression from scratch: AutoML-Zero's first result (Real et al. 2020, §4.1).

A learner with one Vector of memory, `predict` and `learn` both evolved from random programs
(``init='random'``), on the ``linear`` task family (10 tasks, dim 4, 100 train + 100 validation
examples per task; the search's fitness is minus the validation MSE over those 10 tasks).

For each seed and each search -- regularized evolution (population 100, tournament 10) and random
search -- at the same budget of candidates, and for two grammars (the full base grammar and
``linear_ops.toml``, only add/sub/mul/neg/dot/fill over Scalar and Vector):

* best training fitness (validation MSE on the 10 search tasks);
* success: the best-by-training-fitness program of the run reaches MSE <= 1e-3 when re-run with
  ``mlevolve.api.run`` on 100 UNSEEN tasks (``linear:n_tasks=100``, seed 10_000 + seed);
* evaluations to success: the archive is scanned in sequence order and each new best-so-far
  program is re-tested on the unseen tasks; the first that passes gives seq + 1 candidates.

Printed per grammar and search: success rate with its Wilson 95% interval, median evaluations to
success, and the expected running time ERT = all candidates spent over all runs (a successful run
counts its evaluations to success, a failed one its whole budget) / number of successes, and the
ratio of random search's ERT to evolution's (AutoML-Zero reports evolution ~5x more efficient).

Run: python benchmarks/discovery/linear_regression.py [--quick] [--seeds N] [--budget N]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import HERE, ROOT, machine, print_machine, table, write_json

import mlevolve
from mlevolve.api import evolve
from mlevolve.gp.archive import Archive
from mlevolve.meta.stats import wilson

LEARNER = """\
algorithm linreg_search
task linear

learner l(state w: Vector)
  predict(x: Vector) -> Scalar =
    0.0
  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =
    w
"""
SEARCH_TASK = "linear"  # 10 tasks, dim 4, 100 + 100 (the family's defaults)
UNSEEN_TASK = "linear:n_tasks=100"
UNSEEN_SEED = 10_000  # + the run's seed: tasks never seen by the search
THRESHOLD = 1e-3
ALGORITHMS = ("regularized", "random")
AUTOML_ZERO_RATIO = 5.0
# A learner that ignores its training examples predicts about as well as a constant: train MSE ~ E[y^2]
# = dim = 4 (2.2-4.9 on the 10 search tasks of one seed).  Below 1 it must be learning from the data.
LEARNS_MSE = 1.0


def unseen_mse(program_text: str, seed: int, grammar: mlevolve.GrammarSpec | None,
               memo: dict[tuple[str, int], float]) -> float:
    """Validation MSE on 100 unseen tasks (inf for a failure), memoised by program text."""
    key = (program_text, seed)
    if key not in memo:
        metrics = mlevolve.run(mlevolve.parse(program_text), UNSEEN_TASK, seed=UNSEEN_SEED + seed, grammar=grammar)
        memo[key] = math.inf if metrics.get("failure") else float(metrics["val_mse"])
    return memo[key]


def evolved_text(program_text: str) -> str:
    """Just the learner's definition, as it would appear in a .mlev file."""
    return program_text.split("task linear", 1)[-1].strip()


def analyse(db: Path, seed: int, budget: int, grammar: mlevolve.GrammarSpec | None) -> dict[str, Any]:
    """Scan the archive in seq order, re-testing each new best-so-far program on unseen tasks."""
    archive = Archive.read(db)
    try:
        rows = list(archive.rows())
    finally:
        archive.close()
    memo: dict[tuple[str, int], float] = {}
    best_fitness, best_row, first_pass, best_so_far = -math.inf, None, None, 0
    for row in rows:
        if row.fitness is None or not row.fitness > best_fitness:
            continue
        best_fitness, best_row, best_so_far = row.fitness, row, best_so_far + 1
        if first_pass is None and unseen_mse(row.program, seed, grammar, memo) <= THRESHOLD:
            first_pass = row.seq + 1
    if best_row is None:
        return {"best_train_mse": math.inf, "best_unseen_mse": math.inf, "success": False, "found_any": False,
                "evals_to_success": None, "spent": budget, "best_so_far_updates": 0, "best_program": None,
                "failed_candidates": sum(r.fitness is None for r in rows)}
    final_mse = unseen_mse(best_row.program, seed, grammar, memo)
    success = final_mse <= THRESHOLD
    return {
        "best_train_mse": -best_fitness,
        "best_seq": best_row.seq,
        "best_unseen_mse": final_mse,
        "success": success,
        "found_any": first_pass is not None,  # some best-so-far passed (the final best may not)
        "evals_to_success": first_pass if success else None,
        "spent": first_pass if success else budget,
        "best_so_far_updates": best_so_far,
        "failed_candidates": sum(r.fitness is None for r in rows),
        "best_program": evolved_text(best_row.program),
    }


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(runs)
    k = sum(r["success"] for r in runs)
    lo, hi = wilson(k, n)
    evals = [r["evals_to_success"] for r in runs if r["success"]]
    spent = sum(r["spent"] for r in runs)
    return {
        "runs": n, "successes": k, "rate": k / n if n else math.nan, "wilson95": [lo, hi],
        "median_evals_to_success": statistics.median(evals) if evals else None,
        "total_spent": spent, "ert": spent / k if k else math.inf,
        "median_best_train_mse": statistics.median(r["best_train_mse"] for r in runs),
        "runs_learning": sum(r["best_train_mse"] < LEARNS_MSE for r in runs),
        "median_wall_s": round(statistics.median(r["wall_s"] for r in runs), 1),
    }


def ert_text(s: dict[str, Any]) -> str:
    return f"{s['ert']:.0f}" if s["successes"] else f"inf (> {s['total_spent']})"


def ratio_text(evo: dict[str, Any], rnd: dict[str, Any]) -> str:
    """ERT(random) / ERT(evolution): how many times fewer candidates evolution needs."""
    if evo["successes"] and rnd["successes"]:
        return f"{rnd['ert'] / evo['ert']:.2f}x"
    if evo["successes"]:  # random search never succeeded: its ERT exceeds everything it spent
        return f"> {rnd['total_spent'] / evo['ert']:.2f}x (random search never succeeded)"
    if rnd["successes"]:
        return f"< {rnd['ert'] / evo['total_spent']:.2f}x (evolution never succeeded)"
    return "undefined (neither search succeeded)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, budget 150 (a smoke test, < 60 s)")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (default 10; quick 2)")
    parser.add_argument("--budget", type=int, default=None, help="candidates per run (default 6000; quick 150)")
    parser.add_argument("--db-dir", type=Path, default=None, help="keep the archives here (default: a temp dir)")
    args = parser.parse_args()
    n_seeds = args.seeds or (2 if args.quick else 10)
    budget = args.budget or (150 if args.quick else 6000)
    seeds = list(range(n_seeds))
    info = machine()
    print_machine(info)
    grammars = [("linear_ops", mlevolve.load_grammar(HERE / "linear_ops.toml")), ("base", None)]
    print(f"task: {SEARCH_TASK} (10 tasks, dim 4, 100 train + 100 val); success: val MSE <= {THRESHOLD:g} on "
          f"{UNSEEN_TASK} with seed {UNSEEN_SEED} + seed")
    print(f"seeds {seeds}; budget {budget} candidates per run; regularized: population 100, tournament 10; "
          f"init random; grammars: linear_ops.toml ({len(grammars[0][1].productions)} productions), base "
          f"({len(mlevolve.load_grammar().productions)} productions)")
    reference = mlevolve.run(ROOT / "examples" / "linear_regression.mlev", UNSEEN_TASK, seed=UNSEEN_SEED)
    print(f"reference: the hand-written learner of examples/linear_regression.mlev (w + 0.1 * (y - p) * x) "
          f"reaches val MSE {reference['val_mse']:.2e} on the unseen tasks (seed {UNSEEN_SEED})\n")

    started = time.perf_counter()
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        program_path = Path(tmp) / "linreg_search.mlev"
        program_path.write_text(LEARNER)
        db_dir = args.db_dir or Path(tmp)
        db_dir.mkdir(parents=True, exist_ok=True)
        for gname, grammar in grammars:
            results[gname] = {alg: [] for alg in ALGORITHMS}
            for seed in seeds:
                for alg in ALGORITHMS:
                    db = db_dir / f"linreg-{gname}-{alg}-{seed}-{budget}.db"
                    if db.exists() and args.db_dir is None:
                        db.unlink()
                    t0 = time.perf_counter()
                    summary = evolve(program_path, ["l"], SEARCH_TASK, budget=budget, db=db, algorithm=alg,
                                     seed=seed, init="random", population=100, tournament=10, grammar=grammar,
                                     quiet=True)
                    wall = time.perf_counter() - t0
                    run = {"grammar": gname, "algorithm": alg, "seed": seed, "budget": budget,
                           "wall_s": round(wall, 2),
                           "counts": {k: summary.get(k, 0) for k in ("evaluated", "cache", "fec", "probe", "failed")},
                           **analyse(db, seed, budget, grammar)}
                    results[gname][alg].append(run)
                    print(f"  {gname:10s} {alg:11s} seed {seed}: best train MSE {run['best_train_mse']:.3g}, "
                          f"unseen MSE {run['best_unseen_mse']:.3g}, success {run['success']}, "
                          f"{wall:.1f} s", flush=True)
    total_wall = time.perf_counter() - started

    summaries: dict[str, dict[str, Any]] = {}
    for gname, by_alg in results.items():
        print(f"\n== grammar {gname}: per run (budget {budget})")
        rows = []
        for alg in ALGORITHMS:
            for r in by_alg[alg]:
                rows.append([r["seed"], alg, f"{r['best_train_mse']:.3g}", f"{r['best_unseen_mse']:.3g}",
                             "yes" if r["success"] else "no", r["evals_to_success"] or "-", r["wall_s"]])
        print(table(["seed", "search", "best train MSE", "unseen MSE (100 tasks)", "success", "evals to success",
                     "wall s"], rows))
        summaries[gname] = {alg: summarise(by_alg[alg]) for alg in ALGORITHMS}

    print(f"\n== summary: {n_seeds} seeds x budget {budget}; success = unseen MSE <= {THRESHOLD:g}")
    rows = []
    for gname, s in summaries.items():
        for alg in ALGORITHMS:
            a = s[alg]
            rows.append([gname, alg, f"{a['successes']}/{a['runs']}",
                         f"{a['rate']:.2f} [{a['wilson95'][0]:.2f}, {a['wilson95'][1]:.2f}]",
                         a["median_evals_to_success"] if a["median_evals_to_success"] is not None else "-",
                         ert_text(a), f"{a['median_best_train_mse']:.3g}", f"{a['runs_learning']}/{a['runs']}",
                         a["median_wall_s"]])
    print(table(["grammar", "search", "successes", "rate [Wilson 95%]", "median evals to success", "ERT",
                 "median best train MSE", f"best train MSE < {LEARNS_MSE:g}", "median wall s"], rows))
    print()
    for gname, s in summaries.items():
        print(f"{gname}: ERT(random) / ERT(evolution) = {ratio_text(s['regularized'], s['random'])} "
              f"(AutoML-Zero: ~{AUTOML_ZERO_RATIO:g}x)")
    for gname, s in summaries.items():
        if not s["regularized"]["successes"] and not s["random"]["successes"]:
            print(f"note: with grammar {gname} no run succeeded within {budget} candidates: the budget is too "
                  f"small for this search space at this protocol")
    print(f"\ntotal wall time {total_wall:.0f} s")
    path = write_json("linear_regression", {
        "benchmark": "linear_regression", "machine": info, "quick": args.quick, "seeds": seeds, "budget": budget,
        "search_task": SEARCH_TASK, "unseen_task": UNSEEN_TASK, "unseen_seed": f"{UNSEEN_SEED} + seed",
        "threshold_mse": THRESHOLD, "population": 100, "tournament": 10, "init": "random",
        "reference_unseen_mse": reference["val_mse"], "summaries": summaries, "runs": results,
        "total_wall_s": round(total_wall, 1)}, quick=args.quick)
    print(f"raw results: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
