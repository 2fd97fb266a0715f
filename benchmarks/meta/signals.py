"""Which meta-level signal predicts a snapshot's meta-test gain? (issue 16 item 2; no new runs).

Reads every committed meta run that kept its per-meta-generation history beside its trend
(``benchmarks/meta/**/history.json`` + ``trend.json``: the meta archive's ``meta_generations`` and
``evidence.py --mode trend``'s file) and, for each *distinct* snapshot (a generator digest; a digest
seen in several runs of one kind is one snapshot, its meta-test gain being the same inner runs),
takes these candidate signals, all paired AUC gains over the base grammar (0 = the base grammar):

``draw``
    its mean paired gain on the draw of the meta-generation that first made it the snapshot
    (``best_fitness``: the ranking of ``ranking = "draw"``);
``ranked``
    the value the run's own ranking gave it then (``pooled_fitness``: pooled and shrunk under
    ``"pooled"``, raced under ``"race"``);
``pooled``
    the same ranking value at the last meta-generation it was the snapshot (the most pairs);
``validation``
    its gain on the meta-validation task (``validation_score``; every committed split has one
    validation task, so the worst-task and mean-task validation gains are this same number);
``validation+pooled``
    the mean of ``validation`` and ``pooled``.

Worst-*training*-task gain and per-task normalised ranks need each inner run's task, which the
history does not keep (only the meta archives do, and they are not committed): not computed.

For each kind (the runs' ``[split] test``) and signal: Kendall's tau between the signal and the
meta-test gain (``mean_gain_by_generation``) over the distinct snapshots, n, and the one-sided p for
tau > 0 (SciPy's); over every kind, the tau of the pairs within a kind and its permutation p
(:func:`stratified`).  Prints a Markdown table; ``--json`` writes the numbers.

    PYTHONPATH=src python benchmarks/meta/signals.py [--json OUT]
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

import mlevolve.script
from mlevolve.script import ArgumentParser, output_file

HERE = Path(__file__).resolve().parent
SIGNALS = ("draw", "ranked", "pooled", "validation", "validation+pooled")


def snapshots(history: list[dict[str, Any]], trend: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per distinct snapshot digest of one run: its signals and its meta-test gain (``test``)."""
    gains = trend["snapshots"]["mean_gain_by_generation"]
    out: dict[str, dict[str, float]] = {}
    for record, gain in zip(history, gains, strict=True):
        pooled = record.get("pooled_fitness", record["best_fitness"])
        first = out.setdefault(record["digest"], {"draw": record["best_fitness"], "ranked": pooled,
                                                  "validation": record["validation_score"], "test": gain})
        first["pooled"] = pooled  # overwritten until its last meta-generation as the snapshot
        first["validation+pooled"] = (first["validation"] + pooled) / 2
    return out


def collect(root: Path = HERE) -> dict[str, dict[str, dict[str, float]]]:
    """kind (its meta-test tasks) -> digest -> signals, over every run with a history and a trend."""
    kinds: dict[str, dict[str, dict[str, float]]] = {}
    for path in sorted(root.rglob("history.json")):
        trend = json.loads((path.parent / "trend.json").read_text())
        kind = ",".join(trend["test"])
        for digest, row in snapshots(json.loads(path.read_text()), trend).items():
            row["runs"] = kinds.get(kind, {}).get(digest, {}).get("runs", 0) + 1
            kinds.setdefault(kind, {}).setdefault(digest, row)["runs"] = row["runs"]
    return kinds


def correlations(rows: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Per signal: Kendall tau with the meta-test gain, its one-sided p (tau > 0) and n."""
    out = {}
    for name in SIGNALS:
        xs, ys = [r[name] for r in rows], [r["test"] for r in rows]
        if len(rows) < 3 or len(set(xs)) < 2 or len(set(ys)) < 2:
            out[name] = {"tau": math.nan, "p": math.nan, "n": len(rows)}
            continue
        res = stats.kendalltau(xs, ys, alternative="greater")
        out[name] = {"tau": float(res.statistic), "p": float(res.pvalue), "n": len(rows)}
    return out


def stratified(kinds: list[list[dict[str, float]]], permutations: int = 20_000,
               seed: int = 0) -> dict[str, dict[str, float]]:
    """Per signal: Kendall's tau over pairs of snapshots *of one kind* only (pairs across kinds compare
    different meta-test tasks), (concordant - discordant) / pairs, and its one-sided p by permuting the
    meta-test gains within each kind (``permutations`` times, a seeded RNG; the observed order counted)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in SIGNALS:
        groups = [(np.array([r[name] for r in rows]), np.array([r["test"] for r in rows])) for rows in kinds]

        def tau(ys: list[np.ndarray], groups: list[tuple[np.ndarray, np.ndarray]] = groups) -> float:
            num = den = 0.0
            for (x, _), y in zip(groups, ys, strict=True):
                i, j = np.triu_indices(len(x), 1)
                num += float(np.sum(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j])))
                den += len(i)
            return num / den
        observed = tau([y for _, y in groups])
        hits = sum(tau([rng.permutation(y) for _, y in groups]) >= observed - 1e-12 for _ in range(permutations))
        out[name] = {"tau": observed, "p": (hits + 1) / (permutations + 1), "n": sum(len(x) for x, _ in groups)}
    return out


def main() -> None:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the correlations and rows here")
    args = parser.parse_args()
    if args.json:  # a folder or a missing one: said before the tables, not after them
        output_file(args.json, "--json")
    kinds = collect()
    table = {kind: correlations(list(rows.values())) for kind, rows in kinds.items()}
    table["every kind, pairs within a kind"] = stratified([list(rows.values()) for rows in kinds.values()])
    print("| meta-test tasks | n | " + " | ".join(SIGNALS) + " |")
    print("| --- | --- |" + " --- |" * len(SIGNALS))
    for kind, cells in table.items():
        n = next(iter(cells.values()))["n"]
        print(f"| {kind} | {n} | " + " | ".join(f"{c['tau']:+.2f} (p {c['p']:.3f})" for c in cells.values()) + " |")
    for kind, rows in kinds.items():
        print(f"\n{kind}:")
        for digest, r in sorted(rows.items(), key=lambda kv: kv[1]["test"]):
            print(f"  {digest[:8]} test {r['test']:+.4f}  " +
                  "  ".join(f"{s} {r[s]:+.3f}" for s in SIGNALS) + f"  runs {int(r['runs'])}")
    if args.json:
        args.json.write_text(json.dumps({"correlations": table, "snapshots": kinds}, indent=1) + "\n")


if __name__ == "__main__":
    mlevolve.script.run(main)
