"""How noisy is a generator's meta-validation gain, and how many seeds resolve two snapshots? (issue 16 item 2).

The meta level scores a generator on validation by its paired gain: the mean, over ``validation_seeds``
seeds (0, 1, ...) of each validation task, of its inner run's normalised AUC minus the base grammar's on
the same task and seed (``MetaRun.validate``).  This script runs the base grammar and a few committed
generators (``--generators``, generator files) on the validation tasks of ``--config`` with seeds
0..``--seeds``-1, and writes for each generator and each pair of generators the per-seed paired gains,
their standard deviation ``sd``, and the standard error of the mean at 2, 4, 8 and 16 seeds: ``sd /
sqrt(n)`` and, beside it, the spread of the mean over the disjoint seed blocks of that size (an estimate
that does not assume independent seeds).  The smallest number of seeds at which a difference ``d``
between two snapshots is resolved at 2 SE is ``(2 sd / d)^2``.  ``--split test`` runs the meta-test tasks
instead (which of them tell generators apart; stop 34), and with more than one task the same numbers are
written per task too (``per_task``).

    PYTHONPATH=src python benchmarks/meta/noise.py --config benchmarks/meta/update_rules.toml \\
        --generators A.toml B.toml ... --seeds 16 --workers 2 --out benchmarks/meta/noise.json
"""

from __future__ import annotations

import itertools
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import mlevolve.script
from mlevolve.grammar.spec import load_grammar
from mlevolve.meta.config import load_config
from mlevolve.script import ArgumentParser, at_least, output_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evidence import distinct_runs, run_jobs

SIZES = (2, 4, 8, 16)


def spread(per_seed: list[float]) -> dict[str, Any]:
    """The mean, sd and standard error at each size in :data:`SIZES` (up to the seeds run) of per-seed
    paired gains: ``se`` is sd / sqrt(n); ``blocks`` is the sd of the means of the disjoint blocks of n
    consecutive seeds (None for fewer than two blocks)."""
    sd = statistics.stdev(per_seed)
    out: dict[str, Any] = {"mean": statistics.fmean(per_seed), "sd": sd, "per_seed": per_seed, "se": {}}
    for n in SIZES:
        if n > len(per_seed):
            break
        means = [statistics.fmean(per_seed[k:k + n]) for k in range(0, len(per_seed) - n + 1, n)]
        out["se"][n] = {"sd/sqrt(n)": sd / math.sqrt(n),
                        "blocks": statistics.stdev(means) if len(means) > 1 else None, "block_means": means}
    return out


def main() -> None:
    parser = ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="the meta configuration whose validation tasks to use")
    parser.add_argument("--generators", nargs="+", required=True, help="generator files (as `meta -o` writes)")
    parser.add_argument("--seeds", type=at_least(2), default=16, help="seeds 0..N-1 per validation task")
    parser.add_argument("--workers", type=at_least(1), default=2, help="processes running inner runs")
    parser.add_argument("--split", choices=("validation", "test"), default="validation",
                        help="whose tasks to run: the meta-validation tasks (default) or the meta-test tasks")
    parser.add_argument("--out", required=True, help="the JSON file to write")
    args = parser.parse_args()
    cfg = load_config(args.config)
    tasks = list(cfg.validation if args.split == "validation" else cfg.test)
    out = output_file(args.out)  # before the runs, not after them
    arms = {"base": load_grammar().to_toml()}
    paths: dict[str, str] = {}
    for path in args.generators:  # a missing or malformed file: one error line at its place
        spec = load_grammar(path)
        name = spec.digest[:8]
        if name in paths:  # one arm per generator: the result names arms by digest (it ended in a ValueError
            # after every run: two meta seeds' outputs that are both the base grammar, stop 63)
            parser.error(f"--generators: {paths[name]} and {path} are the same generator (digest {name})",
                         "give each generator once; its paired gains against the base grammar are run once")
        paths[name] = path
        arms[name] = spec.to_toml()
    jobs = [(arm, text, task, seed, args.config, {}) for arm, text in arms.items()
            for task in tasks for seed in range(args.seeds)]
    start, cpu = time.time(), sum(os.times()[:4])  # this process's and its ended workers' (the pool is joined)
    rows = run_jobs(jobs, args.workers, cfg)
    auc = {(r["arm"], r["task"], r["seed"]): r["auc"] for r in rows}
    # a seed's paired gain on a task: (generator - base) on that task and seed; over the tasks, their mean
    per_task = {t: {arm: [auc[arm, t, s] - auc["base", t, s] for s in range(args.seeds)] for arm in arms
                    if arm != "base"} for t in tasks}
    gains = {arm: [statistics.fmean(per_task[t][arm][s] for t in tasks) for s in range(args.seeds)]
             for arm in arms if arm != "base"}
    result: dict[str, Any] = {
        "config": args.config, "split": args.split, args.split: tasks, "seeds": args.seeds,
        "generators": paths,
        "base_auc": [statistics.fmean(auc["base", t, s] for t in tasks) for s in range(args.seeds)],
        "gain": {arm: spread(g) for arm, g in gains.items()},
        "difference": {f"{a}-{b}": spread([x - y for x, y in zip(gains[a], gains[b], strict=True)])
                       for a, b in itertools.combinations(gains, 2)},
        "per_task": {t: {"base_auc": [auc["base", t, s] for s in range(args.seeds)],
                         "gain": {arm: spread(g) for arm, g in per_task[t].items()},
                         "difference": {f"{a}-{b}": spread([x - y for x, y in zip(per_task[t][a], per_task[t][b],
                                                                                   strict=True)])
                                        for a, b in itertools.combinations(per_task[t], 2)}}
                     for t in tasks} if len(tasks) > 1 else {},
        # the inner runs made (a generator that is the base grammar's twin is run once for both) and the rows
        # answered: inner_runs counted the rows, repeats included
        "wall_s": time.time() - start, "inner_runs": distinct_runs(jobs), "rows": len(rows)}
    named = [*result["gain"].items(), *result["difference"].items()]
    named += [(f"{t}: {name}", s) for t, v in result["per_task"].items()
              for name, s in [*v["gain"].items(), *v["difference"].items()]]
    for name, s in named:
        d = abs(s["mean"])
        need = math.ceil((2 * s["sd"] / d) ** 2) if d > 0 else None
        print(f"{name}: mean {s['mean']:+.4f}, sd {s['sd']:.4f}; SE at n = "
              + ", ".join(f"{n}: {v['sd/sqrt(n)']:.4f}" + (f" (blocks {v['blocks']:.4f})" if v["blocks"] else "")
                          for n, v in s["se"].items())
              + f"; seeds to resolve its mean at 2 SE: {need}")
    repeats = len(rows) - result["inner_runs"]
    print(f"{result['inner_runs']:,} inner runs" + (f" ({repeats:,} more rows repeat one of them)" if repeats else "")
          + f", {result['wall_s']:.0f} s wall, {sum(os.times()[:4]) - cpu:.0f} CPU s (this process and its workers)")
    out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    mlevolve.script.run(main)
