"""Evidence for the self-evolving generator: does a learned generator beat the base one on held-out tasks?

Reads the meta configuration (its committed task split) and the meta archive a run of
``mlevolve meta benchmarks/meta/train.toml`` wrote, then runs, on every meta-test task, with the same
inner budget and the same seeds for every arm (common random numbers):

* learned      the generator the meta run chose on validation (weights + rules + operators)
* base         the base grammar with the default mutations
* bandit       the base grammar with the adaptive operator bandit alone
* random       random search over the base grammar
* random_rules the base grammar plus as many random rules as the learned one has (a new random
               library per seed, same weights as the learned rules): the random-rule control
* shuffled     the learned generator with its production weights shuffled among the productions
               the slot can use: the shuffled-weight control
* weights      ablation: the learned weights only (productions and variables)
* variables    ablation: the learned variable weight only (how often a leaf is a variable)
* rules        ablation: the learned rules only (base weights)
* operators    ablation: the learned operators only (base weights, no rules)

Reported per task and arm: mean normalised AUC, success rate at the target with a Wilson interval,
expected running time (ERT) to the target; learned vs each other arm: Vargha-Delaney A12 and a
two-sided Mann-Whitney U p-value, Holm-corrected across tasks; and a Kendall trend test of each
meta-generation's best generator on the meta-test tasks ("the generator improves itself").

The trend: every meta-generation's snapshot (the best generator of that generation, as the meta
archive's ``meta_generations`` entries record it) runs on every meta-test task with the first
``--snapshot-seeds`` seeds, and so does the base grammar; a snapshot's value on a task is its mean
paired AUC gain over the base grammar on the same seeds.  Kendall's tau (one-sided, tau > 0) is taken
over the *distinct* snapshots (consecutive meta-generations whose snapshot is the same generator, by
digest, count once: a champion held for ten meta-generations is one observation, not ten ties), over
their means and over their per-task values; the same over every meta-generation is kept beside it for
comparison (``every_generation``).  Every output records its host (CPU model and vector flags, NumPy
and PyTorch versions: ``environment``, ``host``).

Run:  python benchmarks/meta/evidence.py [--config benchmarks/meta/train.toml] [--db runs/meta-train.db]
      [--seeds 30] [--snapshot-seeds 8] [--workers 2] [--out benchmarks/meta] [--mode full|trend|plot|retrend]
``--mode full`` (default) writes results.json, results.md and growth.png to --out; ``--mode trend``
runs only the snapshots and the base grammar and writes trend.json, trend.md and trend.png;
``--mode plot`` redraws growth.png from the archive and an existing results.json; ``--mode retrend``
recomputes the trend tests of --out's trend.json and results.json from the gains they hold (no inner
run, no archive) and rewrites them and their .md (and trend.png).
"""

from __future__ import annotations

import json
import math
import os
import platform
import random
import statistics
import sys
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, replace
from pathlib import Path
from typing import IO, Any

from mlevolve import api
from mlevolve.dsl.errors import MlevError
from mlevolve.gp.archive import Archive
from mlevolve.grammar.spec import GrammarSpec, load_grammar
from mlevolve.messages import counted
from mlevolve.meta import provenance, stats, vary
from mlevolve.meta.config import MetaConfig, load_config
from mlevolve.meta.evolve import BoundsCheck, inner_run
from mlevolve.script import ArgumentParser, at_least, output_folder, read_json

ROOT = Path(__file__).resolve().parents[2]
ARMS = ("learned", "base", "bandit", "random", "random_rules", "shuffled", "weights", "variables", "rules",
        "operators")


def controls(learned: GrammarSpec, seed: int, types: frozenset[str]) -> dict[str, tuple[GrammarSpec, bool, str]]:
    """Every arm's (generator, bandit on, algorithm) for one seed."""
    base = load_grammar()
    learned_rules = [p for p in learned.productions if p.rule is not None]
    rng = random.Random(f"controls:{seed}")
    randoms = base
    for p in learned_rules:
        randoms = randoms.add(replace(vary.random_rule(randoms, rng, types), weight=p.weight))
    ids = [p.id for p in vary.relevant(learned, types)]
    weight_of = {p.id: p.weight for p in learned.productions}
    values = [weight_of[i] for i in ids]
    rng.shuffle(values)
    shuffled = learned.with_weights(dict(zip(ids, values, strict=True)))
    weights = base.with_weights({p.id: p.weight for p in learned.base_productions})
    weights = replace(weights, variable_weight=learned.variable_weight)
    variables = replace(base, variable_weight=learned.variable_weight)
    rules = base.add(*learned_rules)
    operators = replace(base, operators=learned.operators, floor=learned.floor)
    return {"learned": (learned, False, "regularized"), "base": (base, False, "regularized"),
            "bandit": (base, True, "regularized"), "random": (base, False, "random"),
            "random_rules": (randoms, False, "regularized"), "shuffled": (shuffled, False, "regularized"),
            "weights": (weights, False, "regularized"), "variables": (variables, False, "regularized"),
            "rules": (rules, False, "regularized"),
            "operators": (operators, False, "regularized")}


def slot_types(cfg: MetaConfig) -> frozenset[str]:
    """The types the evolved slots compute with (Scalar for a formula; Scalar and Vector for a learner)."""
    from mlevolve.dsl.kinds import slots

    by_name = {s.name: s for s in slots(api.programs._program(cfg.program, load_grammar()))}
    return frozenset().union(*(by_name[n].types for n in cfg.evolve if n in by_name)) or frozenset({"Scalar"})


def _job(args: tuple[str, str, str, int, str, dict[str, Any]]) -> dict[str, Any]:
    """One inner run in a worker: (arm, generator TOML, task, seed, config path, extra)."""
    arm, toml_text, task, seed, config_path, extra = args
    cfg = load_config(config_path)
    program = api.programs._program(cfg.program, load_grammar())
    spec = GrammarSpec.from_dict(tomllib.loads(toml_text), name=arm)
    inner = replace(cfg.inner, algorithm=extra.get("algorithm", "regularized"))
    r = inner_run(program, list(cfg.evolve), spec, task, seed, inner, cfg.bounds[task],
                  bandit=extra.get("bandit", False))
    return {"arm": arm, "task": task, "seed": seed, "auc": r.auc, "best": r.best, "evals": r.evals_to_target,
            "seconds": r.seconds, **{k: v for k, v in extra.items() if k == "snapshot"}}


def _same_run(job: tuple[str, str, str, int, str, dict[str, Any]]) -> tuple[Any, ...]:
    """What an inner run is a deterministic function of: the generator's digest (not its arm's name or
    its file's header), task, seed, configuration and the run's settings."""
    _, toml_text, task, seed, config_path, extra = job
    return (GrammarSpec.from_dict(tomllib.loads(toml_text), name="job").digest, task, seed, config_path,
            extra.get("algorithm", "regularized"), extra.get("bandit", False))


def distinct_runs(jobs: list[tuple[str, str, str, int, str, dict[str, Any]]]) -> int:
    """How many inner runs ``jobs`` make: the same run (:func:`_same_run`) under several jobs runs once."""
    return len({_same_run(j) for j in jobs})


def progress_line(done: int, total: int, seconds: float) -> str:
    """The line said as inner run ``done`` of ``total`` finishes, ``seconds`` after the first began."""
    return f"[{done:>6,}/{total:,}] inner runs finished  ({seconds:.1f} s)"


def run_jobs(jobs: list[tuple[str, str, str, int, str, dict[str, Any]]], workers: int,
             cfg: MetaConfig | None = None, stream: IO[str] | None = None) -> list[dict[str, Any]]:
    """The rows of ``jobs``, in order.  Jobs that are the same run (:func:`_same_run`) run once: a
    generator that stays a meta run's best is the snapshot of several meta-generations, and the chosen
    one is also the ``learned`` arm, so each row of a repeat is the first one's, under its own arm.  A line on
    ``stream`` (None: stderr) as each inner run finishes (:func:`progress_line`: a full evidence run is 45 minutes
    of them).  With ``cfg`` (the jobs' configuration), a task whose written ``[bounds]`` every run's best fitness
    misses is one warning on stderr (:class:`mlevolve.meta.evolve.BoundsCheck`)."""
    keys = [_same_run(j) for j in jobs]
    unique: dict[tuple[Any, ...], tuple[str, str, str, int, str, dict[str, Any]]] = {}
    for key, job in zip(keys, jobs, strict=True):
        unique.setdefault(key, job)
    total, started = len(unique), time.monotonic()

    def finished(done: int) -> None:
        print(progress_line(done, total, time.monotonic() - started), file=stream or sys.stderr, flush=True)

    rows: list[dict[str, Any]] = []
    if workers <= 1:
        for job in unique.values():
            rows.append(_job(job))
            finished(len(rows))
    else:
        with ProcessPoolExecutor(workers) as pool:
            futures = [pool.submit(_job, job) for job in unique.values()]
            try:
                for done, future in enumerate(as_completed(futures), 1):
                    future.result()  # a failed run stops the rest, as before
                    finished(done)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
            rows = [future.result() for future in futures]
    if cfg is not None:  # bounds that miss every run of a task are said, as mlevolve meta says them
        check = BoundsCheck.of(cfg)
        for (_, _, task, _, _, _), row in zip(unique.values(), rows, strict=True):
            check.add(task, row["best"])
        for warning in check.missed():
            print(warning, file=sys.stderr)
    ran = dict(zip(unique, rows, strict=True))
    return [{**{k: v for k, v in ran[key].items() if k not in ("arm", "snapshot")}, "arm": arm,
             **{k: v for k, v in extra.items() if k == "snapshot"}}
            for key, (arm, _, _, _, _, extra) in zip(keys, jobs, strict=True)]


def summarise(rows: list[dict[str, Any]], cfg: MetaConfig) -> dict[str, Any]:
    budget = cfg.inner.budget
    out: dict[str, Any] = {"per_task": {}, "comparisons": {}}
    for task in cfg.test:
        per: dict[str, Any] = {}
        for arm in ARMS:
            mine = [r for r in rows if r["task"] == task and r["arm"] == arm]
            aucs = [r["auc"] for r in mine]
            wins = sum(r["evals"] is not None for r in mine)
            per[arm] = {"auc_mean": statistics.fmean(aucs), "auc_sd": statistics.pstdev(aucs), "n": len(aucs),
                        "success": wins, "wilson": stats.wilson(wins, len(mine)),
                        "ert": stats.ert([r["evals"] for r in mine], budget), "aucs": aucs}
        out["per_task"][task] = per
    for other in ARMS[1:]:
        a12s, ps = [], []
        for task in cfg.test:
            x, y = out["per_task"][task]["learned"]["aucs"], out["per_task"][task][other]["aucs"]
            a12s.append(stats.a12(x, y))
            ps.append(stats.mann_whitney(x, y))
        out["comparisons"][other] = {"a12": a12s, "p": ps, "p_holm": stats.holm(ps)}
    return out


def snapshot_trend(snap_rows: list[dict[str, Any]], base_rows: list[dict[str, Any]], cfg: MetaConfig,
                   digests: list[str]) -> dict[str, Any]:
    """Each snapshot's mean paired AUC gain over the base grammar per meta-test task (same task and
    seed), per seed (mean over the tasks) and per task and seed (``gain_per_task_seed``, from stop 34: which
    tasks resolve snapshots), its mean AUC, and Kendall trend tests over the generations (rows of :func:`_job`;
    ``digests``: each meta-generation's snapshot, which says which ones repeat: :func:`trend_tests`)."""
    base = {(r["task"], r["seed"]): r["auc"] for r in base_rows}
    gain = [[statistics.fmean([r["auc"] - base[r["task"], r["seed"]] for r in snap_rows
                               if r["snapshot"] == g and r["task"] == t]) for t in cfg.test]
            for g in range(len(digests))]
    auc = [[statistics.fmean([r["auc"] for r in snap_rows if r["snapshot"] == g and r["task"] == t])
            for t in cfg.test] for g in range(len(digests))]
    seeds = sorted({seed for _, seed in base})
    per_seed = [[statistics.fmean([r["auc"] - base[r["task"], s] for r in snap_rows
                                   if r["snapshot"] == g and r["seed"] == s]) for s in seeds]
                for g in range(len(digests))]
    per_task_seed = [[[statistics.fmean([r["auc"] - base[t, s] for r in snap_rows
                                         if r["snapshot"] == g and r["task"] == t and r["seed"] == s]) for s in seeds]
                      for t in cfg.test] for g in range(len(digests))]
    return {"mean_auc_by_generation": [statistics.fmean(v) for v in auc], "per_task": auc,
            "mean_gain_by_generation": [statistics.fmean(v) for v in gain], "gain_per_task": gain,
            "gain_per_seed": per_seed, "gain_per_task_seed": per_task_seed, "snapshot_digests": digests,
            **trend_tests(gain, digests, per_seed)}


def trend_tests(gain: list[list[float]], keys: list[Any], per_seed: list[list[float]] | None = None) -> dict[str, Any]:
    """The trend tests over snapshots' per-task gains ``gain`` (one list per meta-generation): Kendall's
    tau, one-sided, over the *distinct* snapshots (consecutive meta-generations with equal ``keys``, the
    same generator, counted once: :func:`mlevolve.meta.stats.distinct_trend`), of their mean gains
    (``kendall_tau_means``, ``p_means``: the test stated) and of their per-task gains; the first
    meta-generation of each run of repeats (``distinct_generations``); and the same two taus over every
    meta-generation, repeats counted as ties (``every_generation``, the rule before stop 30).  With each
    meta-generation's mean gain per seed (``per_seed``, seeds in one order), also the second statistic,
    not the test stated: :func:`last_vs_first`.  Beside them (``from_start``, from stop 34): the same two
    taus with the base grammar, the starting generator (gain 0), as the first point
    (:func:`mlevolve.meta.stats.from_start_trend`), and with per-seed gains the last distinct snapshot
    against the base grammar (``last_vs_base``: its mean gain and the one-sided Wilcoxon p that it is above 0)."""
    means = [[statistics.fmean(v)] for v in gain]
    tau, p = stats.distinct_trend(means, keys) if gain else (0.0, 1.0)
    tau_tasks, p_tasks = stats.distinct_trend(gain, keys) if gain else (0.0, 1.0)
    start, start_tasks = stats.from_start_trend(means, keys), stats.from_start_trend(gain, keys)
    every = stats.trend(means) if gain else (0.0, 1.0)
    every_tasks = stats.trend(gain) if gain else (0.0, 1.0)
    return {"distinct_generations": stats.run_starts(keys), "kendall_tau_means": tau, "p_means": p,
            "kendall_tau_per_task_values": tau_tasks, "p_per_task_values": p_tasks,
            "every_generation": {"kendall_tau_means": every[0], "p_means": every[1],
                                 "kendall_tau_per_task_values": every_tasks[0], "p_per_task_values": every_tasks[1]},
            "from_start": {"kendall_tau_means": start[0], "p_means": start[1],
                           "kendall_tau_per_task_values": start_tasks[0], "p_per_task_values": start_tasks[1]},
            **({"last_vs_first": last_vs_first(per_seed, keys), "last_vs_base": last_vs_base(per_seed, keys)}
               if per_seed else {})}


def last_vs_first(per_seed: list[list[float]], keys: list[Any]) -> dict[str, Any]:
    """The last distinct snapshot against the first (:func:`mlevolve.meta.stats.run_starts` of ``keys``),
    paired over seeds: ``per_seed`` holds each meta-generation's mean gain over the meta-test tasks per
    seed; the result has the two meta-generations (``first``, ``last``), the ``seeds``, the mean
    difference last - first (``difference``) and the one-sided Wilcoxon signed-rank p that it is above 0
    (``p``; 1.0 with one distinct snapshot)."""
    starts = stats.run_starts(keys)
    first, last = per_seed[starts[0]], per_seed[starts[-1]]
    differences = [b - a for a, b in zip(first, last, strict=True)]
    return {"first": starts[0], "last": starts[-1], "seeds": len(differences),
            "difference": statistics.fmean(differences), "p": stats.signed_rank_greater(differences)}


def last_vs_base(per_seed: list[list[float]], keys: list[Any]) -> dict[str, Any]:
    """The last distinct snapshot against the base grammar, paired over seeds: ``per_seed`` as for
    :func:`last_vs_first` (gains over the base grammar, so the differences are the gains themselves); the
    meta-generation (``last``), the ``seeds``, the mean gain (``difference``) and the one-sided Wilcoxon
    signed-rank p that it is above 0 (``p``)."""
    last = stats.run_starts(keys)[-1]
    return {"last": last, "seeds": len(per_seed[last]), "difference": statistics.fmean(per_seed[last]),
            "p": stats.signed_rank_greater(per_seed[last])}


def snapshot_keys(snapshots: dict[str, Any], history: list[dict[str, Any]] | None = None) -> list[Any]:
    """Which generator each meta-generation's snapshot was, for :func:`trend_tests`: the digests
    ``snapshots`` records (from stop 30 on), else those of ``history`` (a meta run's ``meta_generations``,
    as ``history.json`` beside some committed results keeps them), else the per-task gains themselves:
    one generator gives the same gains bit for bit (its inner runs are run once and shared, :func:`run_jobs`),
    and two generators giving the same gains to the last bit on every task are counted as one."""
    if snapshots.get("snapshot_digests"):
        return list(snapshots["snapshot_digests"])
    if history and len(history) == len(snapshots["gain_per_task"]) and all("digest" in h for h in history):
        return [h["digest"] for h in history]
    return [tuple(v) for v in snapshots["gain_per_task"]]


def trend_line(s: dict[str, Any]) -> str:
    """The trend tests of ``s`` (:func:`trend_tests`) in a sentence."""
    starts, every = s["distinct_generations"], s["every_generation"]
    return (f"Kendall tau over the {len(starts)} distinct snapshots' mean gains (meta-generations "
            f"{', '.join(map(str, starts))}; a snapshot repeated by the next meta-generations counted once) "
            f"{s['kendall_tau_means']:.2f} (one-sided p {s['p_means']:.3g}); over their per-task gains "
            f"{s['kendall_tau_per_task_values']:.2f} (p {s['p_per_task_values']:.3g}).  Counting every "
            f"meta-generation, repeats as ties: {every['kendall_tau_means']:.2f} (p {every['p_means']:.3g}); "
            f"per task {every['kendall_tau_per_task_values']:.2f} (p {every['p_per_task_values']:.3g})."
            + (f"  Second statistic (not the test): the last distinct snapshot (meta-generation {lf['last']}) "
               f"against the first ({lf['first']}), paired over {lf['seeds']} seeds, {lf['difference']:+.4f} "
               f"(one-sided Wilcoxon signed-rank p {lf['p']:.3g})." if (lf := s.get("last_vs_first")) else "")
            + (f"  With the base grammar (the starting generator, gain 0) as the first point: tau "
               f"{fs['kendall_tau_means']:.2f} (p {fs['p_means']:.3g}); per task "
               f"{fs['kendall_tau_per_task_values']:.2f} (p {fs['p_per_task_values']:.3g})."
               if (fs := s.get("from_start")) else "")
            + (f"  The last distinct snapshot against the base grammar, paired over {lb['seeds']} seeds, "
               f"{lb['difference']:+.4f} (p {lb['p']:.3g})." if (lb := s.get("last_vs_base")) else ""))


def host(r: dict[str, Any]) -> str:
    """Where the result ``r`` ran, for its .md: its ``host`` or one made from its ``environment``."""
    if "environment" not in r:
        return f"Host: {r.get('machine', 'not recorded')}."
    return f"Host: {r.get('host') or provenance.host_line(r['environment'])} ({r['machine']})."


def trend_markdown(r: dict[str, Any]) -> str:
    s = r["snapshots"]
    lines = [f"Each meta-generation's best on meta-test ({r['machine']}; {r['snapshot_seeds']} shared seeds per task; "
             f"inner budget {r['budget']}; {r['seconds']} s): AUC gain over the base grammar on the same seeds.", "",
             host(r), "",
             "| meta-generation | " + " | ".join(r["test"]) + " | mean gain | mean AUC |",
             "|---|" + "---|" * (len(r["test"]) + 2)]
    for g, (per, mean, auc) in enumerate(zip(s["gain_per_task"], s["mean_gain_by_generation"],
                                             s["mean_auc_by_generation"], strict=True)):
        lines.append(f"| {g} | " + " | ".join(f"{v:+.3f}" for v in per) + f" | {mean:+.3f} | {auc:.3f} |")
    lines += ["", trend_line(s)]
    return "\n".join(lines) + "\n"


def trend_plot(result: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = result["snapshots"]
    gens = list(range(len(s["mean_gain_by_generation"])))
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for k, task in enumerate(result["test"]):
        ax.plot(gens, [per[k] for per in s["gain_per_task"]], "o:", ms=3, alpha=0.6, label=task)
    ax.plot(gens, s["mean_gain_by_generation"], "d-", lw=2, color="black", label="mean")
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set_xticks(gens)
    title = (f"snapshots on meta-test: Kendall tau {s['kendall_tau_means']:.2f} (p {s['p_means']:.2g}) over "
             f"{len(s['distinct_generations'])} distinct")
    if fs := s.get("from_start"):  # the starting generator, the base grammar (gain 0), left of meta-generation 0
        ax.plot([-1, 0], [0.0, s["mean_gain_by_generation"][0]], "s--", lw=1, color="black")
        ax.set_xticks([-1, *gens], ["base", *map(str, gens)])
        title += f"; from base {fs['kendall_tau_means']:.2f} (p {fs['p_means']:.2g})"
    ax.set_title(title, fontsize=8)  # 10 pt ran past a 6-inch figure
    ax.set(xlabel="meta-generation", ylabel="AUC gain over base (paired)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "trend.png", dpi=90)
    plt.close(fig)


def snapshot_jobs(history: list[dict[str, Any]], seeds: list[int], cfg: MetaConfig,
                  config: str) -> list[tuple[str, str, str, int, str, dict[str, Any]]]:
    return [("snapshot", entry["generator"], task, seed, config, {"snapshot": g})
            for g, entry in enumerate(history) for seed in seeds for task in cfg.test]


def _resume(meta: dict[str, Any], db: str, cfg: MetaConfig | None) -> str:
    """The command that resumes the stopped meta run of archive ``db``, runnable as printed (its configuration as the
    run recorded it, else ``cfg``'s file; CONFIG where neither says)."""
    from mlevolve.report.data import meta_command, meta_resume

    return meta_resume(meta, db, cfg.source if cfg is not None else None) or meta_command("CONFIG", db)


def meta_record(db: str, cfg: MetaConfig | None = None) -> dict[str, Any]:
    """The run record of the meta archive ``db`` (``meta_generations``, ``generator``, ...).  Raises
    :class:`MlevError` where ``db`` is not a meta run's archive (an ``evolve`` run's has no meta-generations)
    or, given ``cfg``, where a run of another configuration wrote it (:func:`made_by`)."""
    archive = Archive.read(db)
    try:
        meta = archive.meta()
    finally:
        archive.close()
    if "meta_generations" not in meta and meta.get("kind") == "meta":  # stopped within its first meta-generation
        raise MlevError("the meta run was stopped before its first meta-generation finished: no snapshot yet",
                        file=db, hint=f"resume it with the command that started it ({_resume(meta, db, cfg)})")
    if "meta_generations" not in meta:
        raise MlevError("not the archive of a `mlevolve meta` run (it has no meta-generations)", file=db,
                        hint="pass --db the archive a `mlevolve meta CONFIG` run wrote")
    if cfg is not None:
        made_by(cfg, meta, db)
    return meta


def made_by(cfg: MetaConfig, meta: dict[str, Any], db: str) -> None:
    """Raise :class:`MlevError` where the meta archive ``db`` (its record ``meta``) was written by a run of another
    configuration than ``cfg``: its snapshots would be run with ``cfg``'s program, inner settings, meta-test tasks
    and bounds, and the evidence would silently be of neither run.  ``[meta]`` may differ (a longer run's archive
    holds a shorter one's meta-generations); the rest of the run's identity (:meth:`MetaConfig.identity`) may not."""
    from mlevolve.gp.archive import _setting_diff
    from mlevolve.interpreter.regimes import regime_of
    from mlevolve.interpreter.tasks import canonical_spec

    program = api.programs._program(cfg.program, load_grammar())
    kind = regime_of(program).name
    now = {"program_hash": api.program_hash(program), "evolve": api.evolvable(program, cfg.evolve, str(cfg.program)),
           **{part: [canonical_spec(t, kind) for t in getattr(cfg, part)] for part in ("train", "validation", "test")},
           "inner": asdict(cfg.inner)}
    was = {k: meta.get(k) for k in now}
    bounds = {canonical_spec(t, kind): list(v) for t, v in sorted(cfg.bounds.items())}
    shared = sorted(set(bounds) & set(meta.get("bounds") or {}))  # a task in one split only is said there
    was["bounds"], now["bounds"] = {t: meta["bounds"][t] for t in shared}, {t: bounds[t] for t in shared}
    differ = [k for k, v in now.items() if was[k] != v]
    if differ:
        detail = "; ".join(_setting_diff("program", meta.get("program"), api.format(program)) if k == "program_hash"
                           else _setting_diff(k, was[k], now[k]) for k in differ[:3])
        raise MlevError(f"the archive was written by a run of another configuration than {cfg.source} ({detail})",
                        file=db, hint="pass --config the configuration whose `mlevolve meta` run wrote --db")


def retrend(out: Path) -> list[str]:
    """Recompute the trend tests (:func:`trend_tests`) of ``out``'s trend.json and results.json from the
    per-task gains they hold, which snapshots repeat taken from :func:`snapshot_keys` (``out``'s
    history.json, where there is one), and rewrite each with its .md (and trend.png); the inner runs
    and every other number are kept.  Returns one line per file: the tau before and after.  Raises
    :class:`MlevError` where ``out`` is no folder, holds neither file, or a file is not one this script wrote."""
    what = "a trend.json or results.json this script wrote"
    if not out.is_dir():
        raise MlevError("no such folder", file=str(out), hint="pass --out a folder this script wrote "
                        "(it holds trend.json or results.json)")
    history = read_json(out / "history.json", "a meta run's history") if (out / "history.json").exists() else None
    lines = []
    for name, render in (("trend", trend_markdown), ("results", markdown)):
        path = out / f"{name}.json"
        if not path.exists():
            continue
        result = read_json(path, what, ("snapshots",))
        s = result["snapshots"]
        if not isinstance(s, dict) or "gain_per_task" not in s:
            raise MlevError(f"not {what}: its snapshots hold no gain_per_task", file=str(path), hint=f"give {what}")
        before = s.get("every_generation", s)
        tests = trend_tests(s["gain_per_task"], snapshot_keys(s, history), s.get("gain_per_seed"))
        lines.append(f"{path}: tau {before['kendall_tau_means']:.2f} (p {before['p_means']:.3g}) over every "
                     f"meta-generation -> {tests['kendall_tau_means']:.2f} (p {tests['p_means']:.3g}) over "
                     f"{len(tests['distinct_generations'])} distinct snapshots")
        s.update(tests)
        if "environment" in result:
            result["host"] = provenance.host_line(result["environment"])
        path.write_text(json.dumps(result, indent=1, default=float))
        (out / f"{name}.md").write_text(render(result))
        if name == "trend":
            trend_plot(result, out)
    if not lines:
        raise MlevError("holds neither trend.json nor results.json", file=str(out),
                        hint="pass --out a folder this script wrote with --mode full or trend")
    return lines


def replot(db: str, out: Path) -> None:
    """Redraw ``out/growth.png`` from the meta archive ``db`` and ``out/results.json`` (no inner runs)."""
    history = meta_record(db)["meta_generations"]
    if not (out / "results.json").is_file():  # was "results.json: no such file", "check the path given"
        raise MlevError("holds no results.json: --mode plot redraws growth.png beside the results of --mode full",
                        file=str(out), hint="pass --out the folder a --mode full run wrote, or run --mode full")
    plots(history, read_json(out / "results.json", "a results.json this script wrote", ("snapshots",)), out)


def main() -> None:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(ROOT / "benchmarks/meta/train.toml"),
                        help="the meta configuration: its meta-test tasks and inner settings "
                             "(default benchmarks/meta/train.toml)")
    parser.add_argument("--db", default=str(ROOT / "runs/meta-train.db"),
                        help="the meta archive a run of --config wrote: the learned generator and its "
                             "snapshots (default runs/meta-train.db)")
    parser.add_argument("--seeds", type=at_least(1), default=30,
                        help="inner runs per arm and task, seeds 10000 on, shared by every arm (default 30)")
    parser.add_argument("--snapshot-seeds", type=at_least(1), default=8,
                        help="the first N of those seeds each meta-generation's snapshot runs on, for the "
                             "trend (default 8)")
    parser.add_argument("--workers", type=at_least(1), default=2,
                        help="inner runs at once, in processes; the results do not depend on it (default 2)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/meta"),
                        help="the folder results.json, trend.json and the plots are written to "
                             "(default benchmarks/meta)")
    parser.add_argument("--mode", choices=("full", "trend", "plot", "retrend"), default="full",
                        help="full: every arm and the trend; trend: only the snapshots' trend (trend.*); "
                             "plot: redraw growth.png from the archive and results.json; retrend: recompute "
                             "the trend tests of --out's trend.json and results.json (no runs)")
    args = parser.parse_args()
    if args.mode == "plot":
        replot(args.db, Path(args.out))
        return
    if args.mode == "retrend":
        for line in retrend(Path(args.out)):
            print(line)
        return
    if args.snapshot_seeds > args.seeds:  # the snapshots run on the first N of --seeds: N more would be cut to it
        parser.error(f"--snapshot-seeds {args.snapshot_seeds} is more than --seeds {args.seeds}: the snapshots run on "
                     "the first --snapshot-seeds of those seeds",
                     hint=f"pass --seeds {args.snapshot_seeds} or more, or fewer --snapshot-seeds")
    cfg = load_config(args.config)
    meta = meta_record(args.db, cfg)
    history = meta["meta_generations"]  # trend reads only these: a run stopped by the clock has no generator yet
    started = time.time()
    seeds = [10_000 + k for k in range(args.seeds)]  # disjoint from the meta run's seeds in spirit: fixed, shared
    out = output_folder(args.out)  # before the runs, not after them
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    env = provenance.environment()
    digests = [h["digest"] for h in history]
    if args.mode == "trend":
        snap_seeds = seeds[:args.snapshot_seeds]
        base_toml = load_grammar().to_toml()
        jobs: list[tuple[str, str, str, int, str, dict[str, Any]]] = [
            ("base", base_toml, task, seed, args.config, {}) for seed in snap_seeds for task in cfg.test]
        jobs += snapshot_jobs(history, snap_seeds, cfg, args.config)
        print(f"{counted(len(jobs), 'inner run')} on {counted(args.workers, 'worker')} ...", file=sys.stderr)
        rows = run_jobs(jobs, args.workers, cfg)
        trend = snapshot_trend([r for r in rows if r["arm"] == "snapshot"], [r for r in rows if r["arm"] == "base"],
                               cfg, digests)
        result = {"machine": machine, "environment": env, "host": provenance.host_line(env),
                  "seconds": round(time.time() - started, 1), "config": Path(args.config).name,
                  "snapshot_seeds": len(snap_seeds), "budget": cfg.inner.budget, "test": list(cfg.test),
                  "fitness": [h.get("fitness", "auc") for h in history], "snapshots": trend}
        (out / "trend.json").write_text(json.dumps(result, indent=1, default=float))
        (out / "trend.md").write_text(trend_markdown(result))
        trend_plot(result, out)
        print(trend_markdown(result))
        return
    if "generator" not in meta:  # stopped: its meta-generations are recorded, its output not chosen yet
        raise MlevError(f"the meta run was stopped after {len(history)} of its {cfg.meta.generations} "
                        "meta-generations: it has chosen no generator yet", file=args.db,
                        hint=f"resume it with the command that started it ({_resume(meta, args.db, cfg)}), or pass "
                             "--mode trend, which runs the finished meta-generations' snapshots")
    learned = GrammarSpec.from_dict(tomllib.loads(meta["generator"]), name="learned")
    jobs = []
    for seed in seeds:
        for arm, (spec, bandit, algorithm) in controls(learned, seed, slot_types(cfg)).items():
            for task in cfg.test:
                jobs.append((arm, spec.to_toml(), task, seed, args.config, {"bandit": bandit, "algorithm": algorithm}))
    jobs += snapshot_jobs(history, seeds[:args.snapshot_seeds], cfg, args.config)
    print(f"{counted(len(jobs), 'inner run')} on {counted(args.workers, 'worker')} ...", file=sys.stderr)
    rows = run_jobs(jobs, args.workers, cfg)
    arm_rows = [r for r in rows if r["arm"] != "snapshot"]
    snap_rows = [r for r in rows if r["arm"] == "snapshot"]
    summary = summarise(arm_rows, cfg)
    chosen = set(seeds[:args.snapshot_seeds])
    trend = snapshot_trend(snap_rows, [r for r in arm_rows if r["arm"] == "base" and r["seed"] in chosen], cfg,
                           digests)
    result = {"machine": machine, "environment": env, "host": provenance.host_line(env),
              "seconds": round(time.time() - started, 1), "config": Path(args.config).name, "seeds": args.seeds,
              "budget": cfg.inner.budget, "target": cfg.inner.target, "test": list(cfg.test),
              "learned_digest": learned.digest, "learned_rules": len(learned.rules),
              "learned_operators": len(learned.operators), **summary,
              "snapshots": trend}
    for task in result["per_task"].values():
        for arm in task.values():
            arm.pop("aucs")
    (out / "results.json").write_text(json.dumps(result, indent=1, default=float))
    (out / "results.md").write_text(markdown(result))
    plots(history, result, out)
    print(markdown(result))


def _fmt(x: float) -> str:
    return "∞" if math.isinf(x) else f"{x:.0f}"


def markdown(r: dict[str, Any]) -> str:
    lines = [f"Meta-test evidence ({r['machine']}; {r['seeds']} shared seeds per task and arm; inner budget "
             f"{r['budget']}; target: normalised fitness >= {r['target']}; {r['seconds']} s).", "",
             host(r), "",
             f"Environment: {provenance.environment_line(r['environment'])}." if "environment" in r else "", "",
             "| task | arm | mean AUC ± sd | success (Wilson 95%) | ERT |", "|---|---|---|---|---|"]
    for task, per in r["per_task"].items():
        for arm, a in per.items():
            lo, hi = a["wilson"]
            lines.append(f"| {task} | {arm} | {a['auc_mean']:.3f} ± {a['auc_sd']:.3f} | {a['success']}/{a['n']} "
                         f"({lo:.2f}–{hi:.2f}) | {_fmt(a['ert'])} |")
    lines += ["", "Learned vs each arm, per task (" + ", ".join(r["test"]) + "): A12 and Holm-corrected p.", "",
              "| vs | A12 per task | Holm p per task |", "|---|---|---|"]
    for other, c in r["comparisons"].items():
        lines.append(f"| {other} | {' '.join(f'{a:.2f}' for a in c['a12'])} | "
                     f"{' '.join(f'{p:.3g}' for p in c['p_holm'])} |")
    s = r["snapshots"]
    lines += ["", f"Trend of each meta-generation's best on meta-test: mean AUC gain over base (paired) by generation "
              f"{' '.join(f'{v:+.3f}' for v in s['mean_gain_by_generation'])} (mean AUC "
              f"{' '.join(f'{v:.3f}' for v in s['mean_auc_by_generation'])}).  " + trend_line(s)]
    return "\n".join(lines) + "\n"


def plots(history: list[dict[str, Any]], result: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    gens = [h["generation"] for h in history]
    fig, axes = plt.subplots(1, 4, figsize=(17, 3.6))
    paired = history and history[0].get("fitness", "auc") == "paired"
    kind = "AUC gain over base" if paired else "AUC"
    axes[0].plot(gens, [h["best_fitness"] for h in history], "o-", label=f"best, training pairs ({kind})")
    axes[0].plot(gens, [h["mean_fitness"] for h in history], "s--", label=f"population mean ({kind})")
    axes[0].plot(gens, [h["validation_auc"] for h in history], "^-", label="best on validation (AUC)")
    axes[0].plot(gens, result["snapshots"]["mean_auc_by_generation"], "d-", label="best on meta-test (AUC)")
    axes[0].set(title="meta-fitness and AUC (normalised)", xlabel="meta-generation")
    axes[0].legend(fontsize=7)
    axes[1].plot(gens, [h["grammar_size"] for h in history], "o-")
    axes[1].set(title="grammar size (productions the slot can use)", xlabel="meta-generation")
    axes[2].plot(gens, [h["rules"] for h in history], "o-", label="rules in the best")
    axes[2].plot(gens, [sum(h["rule_usage"].values()) for h in history], "s--", label="rule uses in its elites")
    axes[2].set(title="learned rules", xlabel="meta-generation")
    axes[2].legend(fontsize=7)
    arms = sorted({a for h in history for a in h["operator_success"]})
    for arm in arms:
        axes[3].plot(gens, [h["operator_success"].get(arm, math.nan) for h in history], "o-", ms=3, label=arm)
    axes[3].set(title="operator success rate (best's runs)", xlabel="meta-generation")
    axes[3].legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(out / "growth.png", dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
