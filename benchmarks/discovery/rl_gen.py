"""Objective search beyond supervised learning: an RL loss on CartPole, a VAE objective on moons.

1. RL: regularized evolution rewrites the `reinforce` body of examples/reinforce_cartpole.mlev
   (``init='file'``: REINFORCE with a value baseline and its mutants) on `cartpole` with short
   trainings; fitness is the greedy validation return.  The best objective and the baseline are
   then trained on training seeds the search never used and compared on the TEST return on
   `cartpole` and, transferred unchanged, on `acrobot`.
2. Generative: the same for the `elbo` body of examples/vae_moons.mlev on `moons2d` (fitness: minus
   the importance-weighted held-out NLL), compared on test NLL on `moons2d`, `circles2d`,
   `gaussians8` and `spirals2d`.

Run: python benchmarks/discovery/rl_gen.py [--quick] [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT_DIR_HELP, ROOT, fmt_ms, machine, print_machine, table, write_json

import mlevolve
from mlevolve.script import ArgumentParser

# name: (example, slot, search task, transfer tasks, metric, higher is better)
STUDIES: dict[str, tuple[str, str, str, tuple[str, ...], str, bool]] = {
    "rl": ("reinforce_cartpole.mlev", "reinforce", "cartpole", ("cartpole", "acrobot"), "test_return", True),
    "vae": ("vae_moons.mlev", "elbo", "moons2d", ("moons2d", "circles2d", "gaussians8", "spirals2d"), "test_nll",
            False),
}


def score(program: str, task: str, seeds: list[int], epochs: int, metric: str) -> list[float | None]:
    """``metric`` for each training seed (None where the training failed)."""
    out: list[float | None] = []
    for seed in seeds:
        m = mlevolve.run(mlevolve.parse(program), task, seed=seed, epochs=epochs)
        out.append(None if m.get("failure") else float(m[metric]))
    return out


def study(name: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    example, slot, task, transfer, metric, higher = STUDIES[name]
    source = ROOT / "examples" / example
    started = time.perf_counter()
    result = mlevolve.api.evolve(source, [slot], task, budget=args.budget, population=args.population,
                                 tournament=max(2, args.population // 4), epochs=args.search_epochs,
                                 seed=args.search_seed, db=tmp / f"{name}.db", quiet=True, timeout=120)
    search_seconds = time.perf_counter() - started
    best = mlevolve.api.best(result["db"], n=1)[0]
    baseline = source.read_text()
    programs = {"baseline": baseline, "evolved": best["stored"]}  # the text that was scored
    seeds = list(range(100, 100 + args.seeds))
    scores = {p: {t: score(text, t, seeds, args.epochs, metric) for t in transfer} for p, text in programs.items()}
    rows = []
    for t in transfer:
        rows.append([t, *(fmt_ms([v for v in scores[p][t] if v is not None], 2) for p in programs),
                     *(sum(v is None for v in scores[p][t]) for p in programs)])
    print(f"\n== {name}: evolve `{slot}` on {task} ({args.budget} candidates, {args.search_epochs} epochs each, "
          f"search seed {args.search_seed}, {search_seconds:.0f} s)")
    print(f"search: {result['evaluated']} trained, {result.get('failed', 0)} failed, "
          f"best validation fitness {result['best_fitness']:.3f}")
    print(f"evolved {slot}: {best['evolved'].strip()}")
    print(f"{metric} ({'higher' if higher else 'lower'} is better), mean ± sd over training seeds {seeds}, "
          f"{args.epochs} epochs:")
    print(table(["task", "baseline", "evolved", "failed (baseline)", "failed (evolved)"], rows))
    return {"search": {k: v for k, v in result.items() if k != "best_program"}, "search_seconds": search_seconds,
            "evolved": best["evolved"], "evolved_program": best["program"], "metric": metric,
            "higher_is_better": higher, "seeds": seeds, "scores": scores}


def main() -> None:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: tiny budgets, one seed")
    parser.add_argument("--out-dir", default=None, metavar="DIR", help=OUT_DIR_HELP)
    args = parser.parse_args()
    out_dir = args.out_dir
    del args.out_dir  # where the results go is not a setting of the study (its settings are recorded)
    args.budget, args.population, args.search_epochs, args.epochs, args.seeds = \
        (4, 4, 1, 2, 1) if args.quick else (24, 8, 4, 10, 3)
    args.search_seed = 0
    info = machine()
    print_machine(info)
    with tempfile.TemporaryDirectory() as tmp:
        results = {name: study(name, args, Path(tmp)) for name in STUDIES}
    path = write_json("rl_gen", {"machine": info, "settings": vars(args),
                                 "results": results}, quick=args.quick, folder=out_dir)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
