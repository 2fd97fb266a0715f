"""A permutation null for the snapshot trend test under a bounded meta step (``[meta] max_step``).

Kendall's test of ``evidence.py --mode trend`` assumes the snapshots' gains are exchangeable when nothing
improves.  Under a trust region they are not: each snapshot is at most ``max_step`` total variation from
the last (:func:`mlevolve.meta.vary.bounded_step`), so consecutive snapshots are near one another by
construction and their true gains form a smoothed walk, which can look like a trend with no selection behind
it.  This script measures the trend test's distribution under a null that keeps everything but the order:

* the set of each meta-generation's best mixture (read from a run of the same configuration with
  ``max_step`` off, whose snapshots are exactly those mixtures, or from its ``history.json``);
* the step rule: a walk from the base grammar that moves toward each best in turn by at most ``max_step``;
* the smoothness that follows from it.

Only the order in which the meta level found the bests is broken: walk 0 takes them in their recorded order
(the identity permutation, which must reproduce the recorded snapshots, ``--history``: to float rounding, as runs
before stop 61 summed their step distances in a hash-seeded order), every other walk in a random order drawn from
``random.Random(--seed)``.  Each walk's
snapshots run on the meta-test tasks with the same snapshot seeds and statistic as ``--mode trend``
(paired AUC gains over the base grammar; Kendall's tau over the distinct snapshots' mean gains:
``evidence.snapshot_trend``), and the permutation p is ``(1 + #walks with tau >= the identity's) / (1 + #walks)``
over the random walks (Phipson and Smyth, 2010: a p of a Monte Carlo permutation test is never 0).

Run:  python benchmarks/meta/null_walks.py --config STEP.toml --bests BESTS.db|history.json --history H.json
      [--walks 12] [--seed 0] [--snapshot-seeds 8] [--workers 2] --out DIR
Writes ``bests.json`` (the bests' meta-generations, so the null reruns without the archive), ``rows.json`` (every
inner run's row, read back on a rerun into the same folder, so a stopped run resumes after its last finished
walk), ``null.json`` and ``null.md``.  Inner runs of one generator on one task and seed are run once and shared
by every walk that reaches it (``evidence._same_run``).
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
import tomllib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from mlevolve.dsl.errors import MlevError
from mlevolve.grammar.spec import GrammarSpec, load_grammar
from mlevolve.messages import counted
from mlevolve.meta import provenance, vary
from mlevolve.meta.config import MetaConfig, load_config
from mlevolve.script import ArgumentParser, at_least, output_folder, read_json

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evidence import _same_run, meta_record, run_jobs, slot_types, snapshot_trend

Job = tuple[str, str, str, int, str, dict[str, Any]]
ROUNDING = 1e-12  # walk 0 against the recorded snapshots: step_distance summed in a hash-seeded order before stop 61


def bests_history(source: str, cfg: MetaConfig) -> list[dict[str, Any]]:
    """The ``meta_generations`` of a run of ``cfg``'s configuration with ``max_step`` off, from its archive (checked
    to be a run of ``cfg``'s program, split and inner settings: ``evidence.made_by``) or from a ``history.json``
    of them.  Raises :class:`MlevError` where a meta-generation recorded a ``step``: its snapshots are bounded
    steps, not the bests' mixtures."""
    history: list[dict[str, Any]]
    if source.endswith(".json"):
        history = read_json(source, "a meta run's history.json (a list of its meta_generations)")
        if not isinstance(history, list) or not all(isinstance(h, dict) and "generator" in h for h in history):
            raise MlevError("not a meta run's history (a list of meta-generations, each with its generator)",
                            file=source, hint="pass --bests the archive or history.json of the run with max_step off")
    else:
        history = meta_record(source, cfg)["meta_generations"]
    if any(h.get("step") for h in history):
        raise MlevError("its snapshots are bounded steps (max_step was on), not each meta-generation's best",
                        file=source, hint="pass --bests a run of the same configuration with [meta] max_step = 0")
    return history


def permutations(n: int, walks: int, seed: int) -> list[list[int]]:
    """``walks`` orders of ``range(n)``: the first the identity (the recorded order), each other drawn uniformly
    by ``random.Random(seed)`` (so one seed gives the same walks)."""
    rng = random.Random(f"null_walks:{seed}")
    return [list(range(n))] + [rng.sample(range(n), n) for _ in range(walks - 1)]


def walk(bests: Sequence[GrammarSpec], order: Sequence[int], max_step: float,
         types: frozenset[str]) -> list[GrammarSpec]:
    """The snapshots of a bounded walk: from the base grammar, toward ``bests[i]`` for each ``i`` of ``order`` in
    turn, each step at most ``max_step`` total variation from the last (:func:`mlevolve.meta.vary.bounded_step`, as
    the meta loop takes it: ``MetaEvolution.snapshot``)."""
    at = replace(load_grammar(), name="generator")
    out = []
    for i in order:
        at, _, _ = vary.bounded_step(at, bests[i], max_step, types)
        out.append(at)
    return out


def walk_jobs(snapshots: Sequence[GrammarSpec], seeds: Sequence[int], cfg: MetaConfig, config: str) -> list[Job]:
    """One inner run per snapshot, meta-test task and seed (as ``evidence.snapshot_jobs``)."""
    return [("snapshot", spec.to_toml(), task, seed, config, {"snapshot": g})
            for g, spec in enumerate(snapshots) for seed in seeds for task in cfg.test]


def permutation_p(observed: float, null: Sequence[float]) -> float:
    """``(1 + #null values >= observed) / (1 + #null values)``, the Monte Carlo permutation p (Phipson and
    Smyth, Stat. Appl. Genet. Mol. Biol. 9, 2010); ``observed`` compared up to float rounding."""
    return (1 + sum(v >= observed - 1e-12 for v in null)) / (1 + len(null))


def run_walk(jobs: list[Job], ran: dict[tuple[Any, ...], dict[str, Any]], workers: int,
             cfg: MetaConfig) -> list[dict[str, Any]]:
    """The rows of ``jobs``: those whose inner run (``evidence._same_run``) is in ``ran`` read from it, the others
    run (``evidence.run_jobs``) and added to it."""
    keys = [_same_run(j) for j in jobs]
    todo = {k: j for k, j in zip(keys, jobs, strict=True) if k not in ran}
    if todo:
        ran.update(zip(todo, run_jobs(list(todo.values()), workers, cfg), strict=True))
    return [{**ran[k], "arm": arm, **{f: v for f, v in extra.items() if f == "snapshot"}}
            for k, (arm, _, _, _, _, extra) in zip(keys, jobs, strict=True)]


def markdown(r: dict[str, Any]) -> str:
    lines = [f"# A permutation null for the bounded-step trend ({r['config']})", "",
             f"Host: {r['host']}.  {r['snapshot_seeds']} snapshot seeds, max_step {r['max_step']}, "
             f"{len(r['walks'])} walks (walk 0: the recorded order), seed {r['seed']}, {r['seconds']:.0f} s.", "",
             "| walk | order of the bests (meta-generations) | distinct snapshots | Kendall tau | Kendall p |",
             "| --- | --- | --- | --- | --- |"]
    for w in r["walks"]:
        lines.append(f"| {w['walk']} | {' '.join(map(str, w['order']))} | {w['distinct']} | "
                     f"{w['tau']:+.2f} | {w['p']:.3f} |")
    lines += ["", f"Observed (walk 0) tau {r['observed_tau']:+.2f} (Kendall p {r['observed_p']:.3f}); "
              f"{r['at_least']} of {r['random_walks']} random walks have tau >= it: permutation p "
              f"**{r['permutation_p']:.3f}**; the random walks' tau: mean {r['null_mean']:+.2f}, "
              f"median {r['null_median']:+.2f}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="the bounded-step meta configuration ([meta] max_step > 0)")
    parser.add_argument("--bests", required=True,
                        help="the archive or history.json of a run of --config with max_step = 0: each "
                             "meta-generation's best mixture")
    parser.add_argument("--history", required=True,
                        help="the history.json of --config's own run: its snapshots, which walk 0 must reproduce")
    parser.add_argument("--walks", type=at_least(2), default=12, help="walks, the recorded order's included "
                                                                      "(default 12)")
    parser.add_argument("--seed", type=int, default=0, help="the permutations' seed (default 0)")
    parser.add_argument("--snapshot-seeds", type=at_least(1), default=8,
                        help="inner runs per snapshot and task, seeds 10000 on, as evidence.py's (default 8)")
    parser.add_argument("--workers", type=at_least(1), default=2, help="inner runs at once (default 2)")
    parser.add_argument("--out", required=True, help="the folder null.json, null.md and rows.json go to")
    args = parser.parse_args()
    cfg = load_config(args.config)
    if not cfg.meta.max_step:
        raise MlevError("[meta] max_step is 0: its snapshots are the bests themselves, with no walk to permute",
                        file=args.config, hint="pass --config the bounded-step configuration")
    history = bests_history(args.bests, cfg)
    recorded = read_json(args.history, "the bounded-step run's history.json")
    bests = [GrammarSpec.from_dict(tomllib.loads(h["generator"]), name="generator") for h in history]
    types = slot_types(cfg)
    orders = permutations(len(bests), args.walks, args.seed)
    walks = [walk(bests, order, cfg.meta.max_step, types) for order in orders]
    recorded_specs = [GrammarSpec.from_dict(tomllib.loads(h["generator"]), name="generator") for h in recorded]
    gaps = [vary.step_distance(a, b, types) for a, b in zip(walks[0], recorded_specs, strict=False)]
    if len(recorded) != len(bests) or max(gaps) > ROUNDING:
        raise MlevError("the recorded order's walk does not reproduce the run's snapshots: --bests is not the same "
                        "meta run with max_step off", file=args.history,
                        hint="pass --bests a run of --config's configuration with [meta] max_step = 0")
    out = output_folder(args.out)
    (out / "bests.json").write_text(json.dumps(history, indent=1, default=float))
    rows_file = out / "rows.json"
    ran: dict[tuple[Any, ...], dict[str, Any]] = {}
    if rows_file.exists():
        ran = {tuple(k): v for k, v in read_json(str(rows_file), "rows.json")}
    seeds = [10_000 + k for k in range(args.snapshot_seeds)]
    base_jobs: list[Job] = [("base", load_grammar().to_toml(), task, seed, args.config, {})
                            for seed in seeds for task in cfg.test]
    env, started = provenance.environment(), time.time()
    result: dict[str, Any] = {"config": Path(args.config).name, "host": provenance.host_line(env), "environment": env,
                              "snapshot_seeds": len(seeds), "max_step": cfg.meta.max_step, "seed": args.seed,
                              "walks": [], "recorded_digests_equal": sum(
                                  a.digest == b.digest for a, b in zip(walks[0], recorded_specs, strict=True)),
                              "recorded_largest_distance": max(gaps)}
    for w, (order, snapshots) in enumerate(zip(orders, walks, strict=True)):
        jobs = base_jobs + walk_jobs(snapshots, seeds, cfg, args.config)
        fresh = sum(_same_run(j) not in ran for j in jobs)
        print(f"walk {w} ({' '.join(map(str, order))}): {counted(fresh, 'new inner run')} ...", file=sys.stderr)
        rows = run_walk(jobs, ran, args.workers, cfg)
        rows_file.write_text(json.dumps([[list(k), v] for k, v in ran.items()]))
        digests = [s.digest for s in snapshots]
        trend = snapshot_trend([r for r in rows if r["arm"] == "snapshot"], [r for r in rows if r["arm"] == "base"],
                               cfg, digests)
        result["walks"].append({"walk": w, "order": order, "digests": digests,
                                "distinct": len(trend["distinct_generations"]), "tau": trend["kendall_tau_means"],
                                "p": trend["p_means"], "mean_gain": trend["mean_gain_by_generation"]})
        null = [x["tau"] for x in result["walks"][1:]]
        observed = result["walks"][0]["tau"]
        result.update(seconds=round(time.time() - started, 1), observed_tau=observed,
                      observed_p=result["walks"][0]["p"], random_walks=len(null),
                      at_least=sum(v >= observed - 1e-12 for v in null),
                      permutation_p=permutation_p(observed, null),
                      null_mean=statistics.fmean(null) if null else float("nan"),
                      null_median=statistics.median(null) if null else float("nan"))
        (out / "null.json").write_text(json.dumps(result, indent=1, default=float))  # after every walk: a stop
        (out / "null.md").write_text(markdown(result))  # keeps the walks finished
        print(f"walk {w}: {trend['kendall_tau_means']:+.3f} over {len(trend['distinct_generations'])} distinct "
              f"snapshots", file=sys.stderr)
    print(markdown(result))


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
