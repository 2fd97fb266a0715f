"""Do evolved mutation operators earn their place?  A screen of every operator a meta run proposed.

Issue 16, item 4: "report why evolved operators are rejected ... and ... at least one evolved operator
... beats the default mutations on meta-test in the ablation; or show with data that none can".

Reads a meta archive's ``meta_generations`` (each meta-generation's ``operator_credit``) and

1. pools each distinct evolved operator's credit over the meta-generations it was offered in:
   trials (children it made), successes (children better than their parent), its success rate with
   a Wilson interval, the meta-generations it lived and whether selection kept it; beside it the
   default mutations' pooled success rates, the bar an operator has to clear inside a run;
2. screens the ``--top`` operators with the most successes (ties: more trials) on the meta-test
   tasks: each as the one evolved operator of the base grammar (so the operator bandit offers it
   beside the default mutations, floor 0.25), against the same bandit with no evolved operator
   (``bandit``, the control that differs only by the operator) and the base grammar, on the same
   ``--seeds`` seeds (common random numbers); per task the Vargha-Delaney A12 and a two-sided
   Mann-Whitney p, Holm-corrected over every (operator, task) test.

An operator "beats the default mutations" when A12 >= 0.7 and Holm p < 0.05 against ``bandit`` on a
meta-test task.

Run:  python benchmarks/meta/operators.py --config CONFIG --db META_DB [--top 8] [--seeds 16]
      [--workers 1] [--out DIR]       (writes operators.json and operators.md to --out)
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from mlevolve.grammar.oplang import parse_operator
from mlevolve.grammar.spec import GrammarSpec, OperatorSpec, load_grammar
from mlevolve.messages import counted
from mlevolve.meta import provenance, stats
from mlevolve.meta.config import load_config
from mlevolve.script import ArgumentParser, at_least, output_folder

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evidence import host, meta_record, run_jobs, slot_types


def pooled_credit(history: list[dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Per evolved operator (by program text) and per default mutation: trials and successes summed
    over the meta-generations, the success rate and its Wilson interval; for evolved ones also the
    meta-generations they were offered in and those after which selection kept them."""
    evolved: dict[str, dict[str, Any]] = {}
    defaults: dict[str, dict[str, Any]] = {}
    for h in history:
        for key, c in h["operator_credit"].items():
            table = evolved if c["evolved"] else defaults
            entry = table.setdefault(key, {"trials": 0, "successes": 0, "generations": [], "kept_after": []})
            entry["trials"] += c["trials"]
            entry["successes"] += c["successes"]
            if c["evolved"]:
                entry["generations"].append(h["generation"])
                entry["names"] = c.get("names", [])
                if c["kept"]:
                    entry["kept_after"].append(h["generation"])
    for table in (evolved, defaults):
        for entry in table.values():
            n, s = entry["trials"], entry["successes"]
            entry["rate"] = s / n if n else 0.0
            entry["wilson"] = stats.wilson(s, n)
            if table is defaults:
                del entry["generations"], entry["kept_after"]
    return evolved, defaults


def main() -> None:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="the meta configuration the run of --db used")
    parser.add_argument("--db", required=True, help="the meta archive of a run of --config")
    parser.add_argument("--top", type=at_least(1), default=8, help="operators screened on meta-test (default 8)")
    parser.add_argument("--seeds", type=at_least(1), default=16,
                        help="inner runs per operator and task, seeds 10000 on as evidence.py's (default 16)")
    parser.add_argument("--workers", type=at_least(1), default=1,
                        help="inner runs at once, in processes; the results do not depend on it (default 1)")
    parser.add_argument("--out", required=True, help="the folder the screen's JSON is written to")
    args = parser.parse_args()
    cfg = load_config(args.config)
    history = meta_record(args.db, cfg)["meta_generations"]
    out = output_folder(args.out)  # before the runs, not after them
    started = time.time()
    evolved, defaults = pooled_credit(history)
    chosen = sorted(evolved, key=lambda t: (-evolved[t]["successes"], -evolved[t]["trials"], t))[:args.top]
    base = load_grammar()
    types = sorted(slot_types(cfg))
    arms: dict[str, GrammarSpec] = {"base": base, "bandit": base}
    for k, text in enumerate(chosen):
        operator = OperatorSpec(f"op{k}", parse_operator(text, types, f"op{k}"))
        arms[f"op{k}"] = replace(base, name=f"op{k}", operators=(operator,))
    seeds = [10_000 + k for k in range(args.seeds)]  # the seeds evidence.py's arms use
    jobs = [(arm, spec.to_toml(), task, seed, args.config, {"bandit": arm == "bandit"})
            for arm, spec in arms.items() for task in cfg.test for seed in seeds]
    print(f"{counted(len(jobs), 'inner run')} on {counted(args.workers, 'worker')} ...", file=sys.stderr)
    rows = run_jobs(jobs, args.workers, cfg)
    auc: dict[tuple[str, str], list[float]] = {(r["arm"], r["task"]): [] for r in rows}
    for r in rows:
        auc[r["arm"], r["task"]].append(r["auc"])
    tests = [(f"op{k}", task) for k in range(len(chosen)) for task in cfg.test]
    p_bandit = stats.holm([stats.mann_whitney(auc[t], auc["bandit", t[1]]) for t in tests])
    screen = [{"operator": chosen[int(arm[2:])], "arm": arm, "task": task,
               "auc_mean": statistics.fmean(auc[arm, task]), "bandit_auc_mean": statistics.fmean(auc["bandit", task]),
               "base_auc_mean": statistics.fmean(auc["base", task]),
               "a12_vs_bandit": stats.a12(auc[arm, task], auc["bandit", task]), "p_holm_vs_bandit": p,
               "a12_vs_base": stats.a12(auc[arm, task], auc["base", task])}
              for (arm, task), p in zip(tests, p_bandit, strict=True)]
    beats = [s for s in screen if s["a12_vs_bandit"] >= 0.7 and s["p_holm_vs_bandit"] < 0.05]
    env = provenance.environment()
    result = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
              "environment": env, "host": provenance.host_line(env),
              "config": Path(args.config).name, "seeds": args.seeds, "budget": cfg.inner.budget,
              "seconds": round(time.time() - started, 1), "evolved": evolved, "defaults": defaults,
              "screened": chosen, "screen": screen, "beats_defaults": beats}
    (out / "operators.json").write_text(json.dumps(result, indent=1, default=float))
    (out / "operators.md").write_text(markdown(result))
    print(markdown(result))


def markdown(r: dict[str, Any]) -> str:
    d = r["defaults"]
    lines = [f"Evolved operators of the meta run of {r['config']}: credit pooled over its meta-generations "
             "(children made, children better than their parent).", "", host(r), "",
             "Default mutations, the bar inside a run: " +
             ", ".join(f"{k} {v['rate']:.3f}" for k, v in sorted(d.items(), key=lambda kv: -kv[1]["rate"])) + ".",
             "", "| operator | trials | successes | rate (Wilson 95%) | offered in | kept after |",
             "|---|---|---|---|---|---|"]
    for text, e in sorted(r["evolved"].items(), key=lambda kv: (-kv[1]["successes"], -kv[1]["trials"], kv[0])):
        lo, hi = e["wilson"]
        lines.append(f"| `{text}` | {e['trials']} | {e['successes']} | {e['rate']:.3f} ({lo:.3f}–{hi:.3f}) | "
                     f"{', '.join(map(str, e['generations']))} | {', '.join(map(str, e['kept_after'])) or '—'} |")
    lines += ["", f"Screen on meta-test ({r['seeds']} shared seeds per task and arm, inner budget {r['budget']}, "
              f"{r['seconds']} s): each operator alone beside the default mutations (operator bandit) vs the same "
              "bandit without it, and vs the base grammar.", "",
              "| operator | task | mean AUC | bandit | base | A12 vs bandit | Holm p | A12 vs base |",
              "|---|---|---|---|---|---|---|---|"]
    for s in r["screen"]:
        lines.append(f"| {s['arm']} `{s['operator']}` | {s['task']} | {s['auc_mean']:.3f} | {s['bandit_auc_mean']:.3f}"
                     f" | {s['base_auc_mean']:.3f} | {s['a12_vs_bandit']:.2f} | {s['p_holm_vs_bandit']:.3g} | "
                     f"{s['a12_vs_base']:.2f} |")
    n = len(r["beats_defaults"])
    lines += ["", f"Operator-task pairs where the operator beats the default mutations (A12 >= 0.7, Holm p < 0.05 "
              f"vs bandit): {n} of {len(r['screen'])}."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
