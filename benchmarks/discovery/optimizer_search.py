"""Optimizer search on the digits: an evolved update rule against SGD with momentum and Adam.

For each search seed, regularized evolution rewrites the `momentum` update rule of
examples/mlp_digits.mlev (``init='file'``: the first population is heavy-ball momentum and mutants
of it), 10 epochs per candidate, hurdle on; fitness is validation accuracy on the digits split of
that seed.  Each seed's best rule is then compared by TEST accuracy, with ``mlevolve.api.run`` over
5 training seeds the search never used, on the digits and on two tasks it never saw (wine,
breast_cancer), against:

* momentum: the file as written, ``m2 = 0.9 m + g; w - lr m2``, at the file's constant lr 0.05;
* adam: the file with its optimizer replaced by examples/adam.mlev's update rule and its schedule
  by adam.mlev's (a constant lr 0.001), everything else (relu MLP, xent loss) unchanged;
* adam.mlev: examples/adam.mlev exactly as written (its own relu_layer MLP, the built-in
  cross-entropy since it defines no loss, lr 0.001), for reference.

The evolved rule runs with the file's schedule (the `lr` it is passed is 0.05); it may use or
ignore `lr` and may carry its own constants.  The data split of a task depends on the seed, so
each training seed also re-splits.

Run: python benchmarks/discovery/optimizer_search.py [--quick] [--out-dir DIR]
"""

from __future__ import annotations

import dataclasses
import math
import sys
import tempfile
import time
from pathlib import Path

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
ADAM = ROOT / "examples" / "adam.mlev"
SLOT = "momentum"
SEARCH_TASK = "digits"
TASKS = ("digits", "wine", "breast_cancer")


def adam_in_mlp() -> str:
    """mlp_digits.mlev with adam.mlev's update rule and schedule in place of its own."""
    base, adam = mlevolve.parse_file(PROGRAM), mlevolve.parse_file(ADAM)
    rule, schedule = adam.get("adam"), adam.get("constant")
    assert rule is not None and schedule is not None
    defs = tuple(rule if d.name == SLOT else schedule if d.kind == "schedule" else d for d in base.definitions)
    program = dataclasses.replace(base, name="mlp_digits_adam", definitions=defs)
    return mlevolve.format(mlevolve.check(program))


def rule_text(program_text: str) -> str:
    """The update rule's definition, without the comments the file had around it."""
    d = next(d for d in mlevolve.parse(program_text).definitions if d.kind == "optimizer")
    return format_definition(dataclasses.replace(d, comments=(), body_comments=()))


def main() -> None:
    quick, search_seeds, budget, population, tournament, train_seeds, out_dir = search_settings(
        __doc__.split("\n")[0])
    epochs = 10
    info = machine()
    print_machine(info)
    print(f"search: evolve `{SLOT}` of examples/mlp_digits.mlev on {SEARCH_TASK}, regularized evolution, init file, "
          f"budget {budget}, population {population}, tournament {tournament}, epochs {epochs}, hurdle on; "
          f"search seeds {search_seeds}")
    print(f"comparison: test accuracy over training seeds {train_seeds} on {', '.join(TASKS)}, epochs {epochs}")
    print("learning rates: momentum and every evolved rule get the file's constant schedule, lr = 0.05; "
          "adam (in the same MLP, xent loss) and adam.mlev (as written) get adam.mlev's constant lr = 0.001\n")

    started = time.perf_counter()
    searches = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in search_seeds:
            t0 = time.perf_counter()
            db = Path(tmp) / f"opt-{seed}.db"
            summary = evolve(PROGRAM, [SLOT], SEARCH_TASK, budget=budget, db=db, algorithm="regularized", seed=seed,
                             init="file", population=population, tournament=tournament, epochs=epochs, hurdle=True,
                             quiet=True)
            wall = time.perf_counter() - t0
            archive = Archive.read(db)
            try:
                best = archive.best(1)[0]
                init = next(archive.rows())  # candidate 0 is the file as written (momentum)
            finally:
                archive.close()
            searches.append({
                "seed": seed, "wall_s": round(wall, 1), "best_program": best.program, "best_seq": best.seq,
                "best_hash": best.hash, "is_momentum": best.hash == init.hash, "rule": rule_text(best.program),
                "search_val_accuracy": best.fitness, "momentum_search_val_accuracy": init.fitness,
                "counts": {k: summary.get(k, 0) for k in ("evaluated", "hurdle", "cache", "fec", "probe", "failed")}})
            print(f"  search seed {seed}: val acc {best.fitness:.4f} vs momentum {init.fitness:.4f}, found at "
                  f"candidate {best.seq}; {wall:.1f} s; {searches[-1]['counts']}", flush=True)
    search_wall = time.perf_counter() - started

    t1 = time.perf_counter()
    programs = {"momentum (lr 0.05)": PROGRAM.read_text(), "adam (lr 0.001)": adam_in_mlp(),
                "adam.mlev as written (lr 0.001)": ADAM.read_text()}
    for s in searches:
        programs[f"evolved, search seed {s['seed']} (lr 0.05)"] = s["best_program"]
    results = {name: {task: train(text, task, train_seeds, epochs) for task in TASKS}
               for name, text in programs.items()}
    compare_wall = time.perf_counter() - t1

    print("\n== the evolved update rules")
    for s in searches:
        print(f"-- search seed {s['seed']}{' (momentum itself: nothing better found)' if s['is_momentum'] else ''}:")
        print(s["rule"])
    print("-- adam (examples/adam.mlev):")
    print(rule_text(ADAM.read_text()))

    print(f"\n== test accuracy, mean ± std over training seeds {train_seeds}; (diff) = paired mean difference "
          f"to momentum; failed trainings are left out and counted")
    base = {task: accuracies(results["momentum (lr 0.05)"][task]) for task in TASKS}
    rows = []
    diffs: dict[str, dict[str, list[float]]] = {}
    for name in programs:
        cells, diffs[name] = [], {}
        for task in TASKS:
            acc = accuracies(results[name][task])
            d = [a - b for a, b in zip(acc, base[task], strict=True) if not (math.isnan(a) or math.isnan(b))]
            diffs[name][task] = d
            failed = sum(math.isnan(a) for a in acc)
            text = fmt_ms(acc, 4)
            if name != "momentum (lr 0.05)":
                dm, ds = mean_std(d)
                text += f" ({'+' if round(dm, 4) >= 0 else ''}{round(dm, 4) + 0.0:.4f} ± {ds:.4f})"
            cells.append(text + (f" [{failed} failed]" if failed else ""))
        rows.append([name, *cells])
    print(table(["update rule", *(f"{t} test acc (diff)" for t in TASKS)], rows))
    total = time.perf_counter() - started
    print(f"\nwall time: search {search_wall:.0f} s, comparison {compare_wall:.0f} s, total {total:.0f} s")
    path = write_json("optimizer_search", {
        "benchmark": "optimizer_search", "machine": info, "quick": quick, "program": "examples/mlp_digits.mlev",
        "slot": SLOT, "search_task": SEARCH_TASK, "search_seeds": search_seeds, "budget": budget,
        "population": population, "tournament": tournament, "epochs": epochs, "hurdle": True,
        "train_seeds": train_seeds, "tasks": list(TASKS),
        "learning_rates": {"momentum": 0.05, "evolved": 0.05, "adam": 0.001, "adam.mlev": 0.001},
        "programs": programs, "searches": searches, "results": results, "diffs_to_momentum": diffs,
        "wall_s": {"search": round(search_wall, 1), "compare": round(compare_wall, 1), "total": round(total, 1)}},
        quick=quick, folder=out_dir)
    print(f"raw results: {results_shown(path)}")


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
