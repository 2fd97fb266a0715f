"""Activation search on the digits, then transfer: does an evolved activation beat relu?

For each search seed, regularized evolution rewrites the `act` body of examples/mlp_digits.mlev
(``init='file'``: the first population is relu and mutants of it), 10 epochs per candidate, with
the hurdle on; fitness is validation accuracy on the digits split of that seed.  Each seed's best
activation (the archive's best row, taken as the whole program text) is then trained with
``mlevolve.api.run`` on 5 training seeds that the search never used, next to relu (the file as
written), and compared on TEST accuracy -- on the digits, and transferred unchanged (same model,
loss, optimizer and schedule: SGD with momentum 0.9 at a constant learning rate 0.05) to `wine` and
`spirals`.  The data split of a task depends on the seed, so each training seed also re-splits.

Run: python benchmarks/discovery/activation_search.py [--quick] [--out-dir DIR]
"""

from __future__ import annotations

import dataclasses
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    ROOT,
    accuracies,
    fmt_ms,
    machine,
    mean_std,
    print_machine,
    results_shown,
    search_settings,
    table,
    train,
    write_json,
)

import mlevolve
from mlevolve.api import evolve
from mlevolve.dsl.printer import format_definition
from mlevolve.gp.archive import Archive

PROGRAM = ROOT / "examples" / "mlp_digits.mlev"
SLOT = "act"
SEARCH_TASK = "digits"
TASKS = ("digits", "wine", "spirals")


def definition_text(program_text: str, name: str) -> str:
    """The definition ``name``, without the comments the file had around it."""
    d = mlevolve.parse(program_text).get(name)
    assert d is not None
    return format_definition(dataclasses.replace(d, comments=(), body_comments=()))


def body_text(program_text: str, name: str) -> str:
    d = mlevolve.parse(program_text).get(name)
    assert d is not None and d.body is not None
    return mlevolve.format_expr(d.body)


def paired_diff(a: list[float], b: list[float]) -> list[float]:
    return [x - y for x, y in zip(a, b, strict=True) if not (math.isnan(x) or math.isnan(y))]


def main() -> None:
    quick, search_seeds, budget, population, tournament, train_seeds, out_dir = search_settings(
        __doc__.split("\n")[0])
    epochs = 10
    info = machine()
    print_machine(info)
    print(f"search: evolve `{SLOT}` of examples/mlp_digits.mlev on {SEARCH_TASK}, regularized evolution, init file, "
          f"budget {budget}, population {population}, tournament {tournament}, epochs {epochs}, hurdle on; "
          f"search seeds {search_seeds}")
    print(f"comparison: test accuracy over training seeds {train_seeds} on {', '.join(TASKS)}, epochs {epochs}; "
          f"model seq(dense(64), act, dense(64), act) + linear head, xent loss, SGD momentum 0.9, constant lr 0.05\n")

    started = time.perf_counter()
    relu_text = PROGRAM.read_text()
    searches = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in search_seeds:
            t0 = time.perf_counter()
            summary = evolve(PROGRAM, [SLOT], SEARCH_TASK, budget=budget, db=Path(tmp) / f"act-{seed}.db",
                             algorithm="regularized", seed=seed, init="file", population=population,
                             tournament=tournament, epochs=epochs, hurdle=True, quiet=True)
            wall = time.perf_counter() - t0
            archive = Archive.read(Path(tmp) / f"act-{seed}.db")
            try:
                best = archive.best(1)[0]
                init = next(archive.rows())  # candidate 0 is the file as written (relu)
            finally:
                archive.close()
            searches.append({
                "seed": seed, "wall_s": round(wall, 1), "best_program": best.program, "best_seq": best.seq,
                "best_hash": best.hash, "is_relu": best.hash == init.hash,
                "act": body_text(best.program, SLOT), "search_val_accuracy": best.fitness,
                "relu_search_val_accuracy": init.fitness,
                "counts": {k: summary.get(k, 0) for k in ("evaluated", "hurdle", "cache", "fec", "probe", "failed")}})
            print(f"  search seed {seed}: best act = {searches[-1]['act']}  (val acc {best.fitness:.4f} vs relu "
                  f"{init.fitness:.4f}, found at candidate {best.seq}; {wall:.1f} s; {searches[-1]['counts']})",
                  flush=True)
    search_wall = time.perf_counter() - started

    t1 = time.perf_counter()
    results: dict[str, Any] = {"relu": {task: train(relu_text, task, train_seeds, epochs) for task in TASKS}}
    for s in searches:
        results[f"seed{s['seed']}"] = {task: train(s["best_program"], task, train_seeds, epochs) for task in TASKS}
    compare_wall = time.perf_counter() - t1

    print("\n== evolved activations (the `act` definition each search seed found)")
    for s in searches:
        print(f"-- search seed {s['seed']}{' (relu itself: nothing better found)' if s['is_relu'] else ''}:")
        print(definition_text(s["best_program"], SLOT))
    print(f"\n== test accuracy, mean ± std over training seeds {train_seeds}; diff = paired mean difference "
          f"evolved - relu (± std); failed trainings are left out and counted")
    relu_acc = {task: accuracies(results["relu"][task]) for task in TASKS}
    rows = [["relu", "relu(x)", *(fmt_ms(relu_acc[t], 4) for t in TASKS)]]
    diffs: dict[str, dict[str, list[float]]] = {}
    for s in searches:
        key = f"seed{s['seed']}"
        cells, diffs[key] = [], {}
        for task in TASKS:
            acc = accuracies(results[key][task])
            d = paired_diff(acc, relu_acc[task])
            diffs[key][task] = d
            failed = sum(math.isnan(a) for a in acc)
            dm, ds = mean_std(d)
            cells.append(f"{fmt_ms(acc, 4)} ({'+' if round(dm, 4) >= 0 else ''}{round(dm, 4) + 0.0:.4f} ± {ds:.4f})"
                         + (f" [{failed} failed]" if failed else ""))
        rows.append([f"evolved, search seed {s['seed']}", s["act"], *cells])
    print(table(["activation", "act body", *(f"{t} test acc (diff)" for t in TASKS)], rows))

    print("\n== summary: per task, how many evolved activations beat relu on mean test accuracy")
    summary_rows = []
    for task in TASKS:
        wins = sum(1 for key in diffs if diffs[key][task] and mean_std(diffs[key][task])[0] > 1e-6)  # not float32 noise
        all_d = [x for key in diffs for x in diffs[key][task]]
        summary_rows.append([task, fmt_ms(relu_acc[task], 4), f"{wins}/{len(diffs)}", fmt_ms(all_d, 4)])
    print(table(["task", "relu test acc", "evolved > relu", "diff pooled over seeds (mean ± std)"], summary_rows))
    total = time.perf_counter() - started
    print(f"\nwall time: search {search_wall:.0f} s, comparison {compare_wall:.0f} s, total {total:.0f} s")
    path = write_json("activation_search", {
        "benchmark": "activation_search", "machine": info, "quick": quick, "program": "examples/mlp_digits.mlev",
        "slot": SLOT, "search_task": SEARCH_TASK, "search_seeds": search_seeds, "budget": budget,
        "population": population, "tournament": tournament, "epochs": epochs, "hurdle": True,
        "train_seeds": train_seeds, "tasks": list(TASKS), "searches": searches, "results": results,
        "diffs": diffs, "wall_s": {"search": round(search_wall, 1), "compare": round(compare_wall, 1),
                                   "total": round(total, 1)}}, quick=quick, folder=out_dir)
    print(f"raw results: {results_shown(path)}")


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
