"""Diversity in the inner search: the island model and MAP-Elites against regularized evolution.

Each algorithm evolves ``f`` of ``examples/quartic.mlev`` from random programs (``--init random``)
on the meta-test formula tasks (nguyen4, nguyen6, nguyen7, nguyen8) with the CLI's default
settings (population 100, tournament 10; islands: 4 islands of 25, 2 migrants every 100
candidates; MAP-Elites: 12 size bins x 8 fingerprint bins), ``--budget`` candidates, seeds
0..n-1, in process (each run deterministic).

Reported per task and algorithm: successes (training R^2 >= 0.99, i.e. best fitness = -MSE >=
-0.01 Var(y_train), the meta level's target) with a Wilson 95% interval, the median best R^2, ERT
(candidates spent by all runs / successes), and the Vargha-Delaney A12 of the best fitness against
regularized evolution with a Holm-corrected two-sided Mann-Whitney p over all comparisons.
Writes ``benchmarks/diversity.json`` and prints a Markdown table.

Run: python benchmarks/diversity.py [--budget 2000] [--seeds 5]; ``--table benchmarks/diversity.json``
prints the table of a finished run again.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from mlevolve.api import evolve
from mlevolve.gp.archive import Archive
from mlevolve.meta import stats
from mlevolve.script import ArgumentParser, at_least, read_json

ROOT = Path(__file__).resolve().parent.parent
TASKS = ("nguyen4", "nguyen6", "nguyen7", "nguyen8")
ALGORITHMS = ("regularized", "islands", "map-elites")
TARGET = 0.99  # R^2 on the training points


def one_run(task: str, algorithm: str, seed: int, budget: int, folder: Path) -> dict[str, Any]:
    """One run; its best fitness and R^2, and the candidates it took to reach the target (None: never)."""
    db = folder / f"{task}-{algorithm}-{seed}.db"
    started = time.perf_counter()
    result = evolve(ROOT / "examples" / "quartic.mlev", ["f"], task, budget=budget, db=db, algorithm=algorithm,
                    seed=seed, init="random", quiet=True)
    seconds = time.perf_counter() - started
    archive = Archive.read(db)
    try:
        reached = next((r.seq + 1 for r in archive.rows()
                        if r.fitness is not None and r.fitness >= TARGET), None)
    finally:
        archive.close()
    best = float(result["best_fitness"])
    return {"task": task, "algorithm": algorithm, "seed": seed, "best_fitness": best, "r2": best,
            "to_target": reached, "seconds": round(seconds, 2), "evaluated": result.get("evaluated", 0)}


def summarise(runs: list[dict[str, Any]], budget: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for task in TASKS:
        base = [r["best_fitness"] for r in runs if r["task"] == task and r["algorithm"] == "regularized"]
        for algorithm in ALGORITHMS:
            mine = [r for r in runs if r["task"] == task and r["algorithm"] == algorithm]
            wins = sum(r["to_target"] is not None for r in mine)
            fitness = [r["best_fitness"] for r in mine]
            rows.append({"task": task, "algorithm": algorithm, "n": len(mine), "success": wins,
                         "wilson": stats.wilson(wins, len(mine)),
                         "median_r2": statistics.median(r["r2"] for r in mine),
                         "median_best_fitness": statistics.median(fitness),
                         "ert": stats.ert([r["to_target"] for r in mine], budget),
                         "seconds": statistics.mean(r["seconds"] for r in mine),
                         "a12": None if algorithm == "regularized" else stats.a12(fitness, base),
                         "p": None if algorithm == "regularized" else stats.mann_whitney(fitness, base)})
    compared = [r for r in rows if r["p"] is not None]
    for r, p in zip(compared, stats.holm([r["p"] for r in compared]), strict=True):
        r["p_holm"] = p
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| task | algorithm | success (Wilson 95%) | median best R² | median best fitness | ERT | "
             "A12 vs regularized (Holm p) | s/run |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lo, hi = r["wilson"]
        ert = "∞" if r["ert"] == float("inf") else f"{r['ert']:,.0f}"
        versus = "—" if r["a12"] is None else f"{r['a12']:.2f} ({r['p_holm']:.2g})"
        lines.append(f"| {r['task']} | {r['algorithm']} | {r['success']}/{r['n']} ({lo:.2f}–{hi:.2f}) | "
                     f"{r['median_r2'] + 0.0:.4f} | {r['median_best_fitness'] + 0.0:.3g} | {ert} | {versus} | "
                     f"{r['seconds']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=at_least(1), default=2000, help="candidates per run (default 2,000)")
    parser.add_argument("--seeds", type=at_least(1), default=5,
                        help="runs per task and algorithm, seeds 0 to N - 1 (default 5)")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "diversity.json"),
                        help="the results file written (default benchmarks/diversity.json)")
    parser.add_argument("--table", metavar="JSON", help="only print the table of a results file this script wrote")
    args = parser.parse_args()
    if args.table:
        done = read_json(args.table, "a results file this script wrote",
                         ("budget", "seeds", "seconds", "summary"))
        print(f"budget {done['budget']}, seeds 0..{done['seeds'] - 1}, {done['seconds']:.0f} s in all\n")
        print(table(done["summary"]))
        return
    started = time.perf_counter()
    runs = []
    with tempfile.TemporaryDirectory(prefix="mlevolve-diversity-") as tmp:
        for task in TASKS:
            for algorithm in ALGORITHMS:
                for seed in range(args.seeds):
                    runs.append(one_run(task, algorithm, seed, args.budget, Path(tmp)))
    rows = summarise(runs, args.budget)
    total = time.perf_counter() - started
    Path(args.output).write_text(json.dumps({"budget": args.budget, "seeds": args.seeds, "target_r2": TARGET,
                                             "seconds": round(total, 1), "summary": rows, "runs": runs},
                                            indent=1) + "\n")
    print(f"budget {args.budget}, seeds 0..{args.seeds - 1}, {total:.0f} s in all\n")
    print(table(rows))


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
