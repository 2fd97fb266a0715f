"""Which formula of a run's Pareto front to hand out: the fittest (``model_selection="accuracy"``) or PySR's picks
(``"best"``, the estimator's default: the highest score within 1.5x the least train error; ``"score"``: the highest
score),
measured on fresh test points of the peers' problems (``benchmarks/peers.py``: Nguyen-1..8, Keijzer-4/6/11, six
Feynman equations), without noise and with Gaussian noise on the training targets.

One ``SymbolicRegressor`` run per problem, seed and noise level; the three picks are read from its ``front_`` and
scored by ``predict(X_test, index=i)`` against the noiseless target, so the comparison is paired (the same run).
Prints, per noise level and pick: exact recoveries (test R^2 >= 0.999), median test R^2 and median size (nodes of
the formula as the front counts them), and writes one JSON line per run and pick with ``--out``.

    python benchmarks/model_selection.py --seeds 2 --budget 2000 --noise 0,0.1
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from mlevolve.estimator import MODEL_SELECTIONS, SymbolicRegressor, selected
from mlevolve.script import ArgumentParser, at_least, run
from peers import PROBLEMS, make_data, r2


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=at_least(1), default=2, help="seeds per problem and noise level")
    parser.add_argument("--budget", type=at_least(1), default=2000, help="candidates per run")
    parser.add_argument("--noise", default="0,0.1", help="comma-separated noise levels: the standard deviation of "
                        "the Gaussian noise added to the training targets, as a fraction of theirs")
    parser.add_argument("--problems", help=f"comma-separated subset of: {', '.join(PROBLEMS)}")
    parser.add_argument("--out", help="append one JSON line per run and pick to this file")
    args = parser.parse_args(argv)
    names = args.problems.split(",") if args.problems else list(PROBLEMS)
    if unknown := [n for n in names if n not in PROBLEMS]:
        parser.error(f"unknown problem(s): {', '.join(unknown)}")
    try:
        levels = [float(v) for v in args.noise.split(",")]
    except ValueError:
        parser.error(f"--noise takes numbers separated by commas, e.g. 0,0.1; got {args.noise!r}")
    if not all(0 <= v < float("inf") for v in levels):
        parser.error(f"--noise levels are fractions of the targets' standard deviation, at least 0; got {args.noise!r}")
    rows: list[dict[str, object]] = []
    start = time.perf_counter()
    for level in levels:
        for name in names:
            for seed in range(args.seeds):
                data = make_data(PROBLEMS[name], seed)
                rng = np.random.default_rng([seed, 7])
                y = data.y + rng.normal(0.0, level * float(np.std(data.y)), data.y.shape) if level else data.y
                model = SymbolicRegressor(budget=args.budget, random_state=seed).fit(data.x, y)
                for how in MODEL_SELECTIONS:
                    i = selected(model.front_, how)
                    with np.errstate(all="ignore"):
                        score = r2(data.y_test, model.predict(data.x_test, index=i))
                    rows.append({"noise": level, "problem": name, "seed": seed, "pick": how, "index": i,
                                 "front": len(model.front_), "size": model.front_[i]["size"], "test_r2": score,
                                 "formula": model.front_[i]["expression"]})
                print(f"  noise {level:g} {name} seed {seed}: front of {len(model.front_)}; " + ", ".join(
                    f"{r['pick']} #{r['index']} R^2 {r['test_r2']:.4g}" for r in rows[-3:]), flush=True)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as f:
            f.writelines(json.dumps(r) + "\n" for r in rows)
    print(f"\n{len(rows) // 3} runs of {args.budget:,} candidates in {time.perf_counter() - start:.0f} s")
    print(f"{'noise':>6} {'pick':>9} {'recovered':>10} {'median R^2':>11} {'median size':>12} {'smaller':>8}")
    for level in levels:
        fittest = {(r["problem"], r["seed"]): r for r in rows if r["noise"] == level and r["pick"] == "accuracy"}
        for how in MODEL_SELECTIONS:
            mine = [r for r in rows if r["noise"] == level and r["pick"] == how]
            scores = [float(r["test_r2"]) for r in mine]  # type: ignore[arg-type]
            smaller = sum(r["index"] != fittest[(r["problem"], r["seed"])]["index"] for r in mine)
            print(f"{level:>6g} {how:>9} {sum(s >= 0.999 for s in scores):>4}/{len(mine):<5} "
                  f"{statistics.median(scores):>11.4g} {statistics.median(float(r['size']) for r in mine):>12g} "  # type: ignore[arg-type]
                  f"{smaller:>8}")
    return 0


if __name__ == "__main__":
    run(main)
