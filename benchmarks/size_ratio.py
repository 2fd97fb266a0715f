"""Issue 15's bloat measure in every regime the engine searches: the best program's size, simplified, against
the same run's best unsimplified.

For each regime and seed, two runs of ``mlevolve evolve`` through the Python API, same arguments and seed:

* **with** the simplifier (the product as it ships): the cache key, the size limit and parsimony read the
  simplified program, and (formula and learner regimes) the best pruned at the end (``mlevolve.gp.prune``):
  its shown best is the pruned one, the unpruned kept as ``unpruned``;
* **without** it (``ablations.simplifier_off``: the simplifier taken out of the search, as ``peers.py
  --engines mlevolve-unsimplified`` takes it out for formulas; what stays is the module's docstring).

Two comparisons, both printed per regime (median over seeds of the per-run ratio, and the ratio of the
medians):

(a) the *with* run's best as evaluated (the archive's ``program``) against its shown form
    (``mlevolve.results.simplified``: what ``best``, ``show``, the report and the summary print);
(b) the *with* run's best as shown against the *without* run's best as it would be shown with no
    simplifier (its program as evaluated): issue 15's row "median size of the best program,
    simplified, vs the same run unsimplified" (must reach <= 0.5x, goal <= 0.3x).

Size: IR nodes of the evolved slots' bodies (``Expr.size``: every call, literal, name, ``let`` and tuple
one node; ``-0.5`` is two, ``neg(0.5)``; a learner's evolved methods summed), the one definition every
row uses.  Also printed: the *without* run's best shown with the simplifier (how much the simplifier would
remove from an unsimplified search's best) and each arm's median best fitness (the switch must not wreck
the search).

Regimes (``--regimes``; budgets are candidates per run):

=============  ==============================================================================  ======
regime         run                                                                             budget
=============  ==============================================================================  ======
formula        ``evolve examples/quartic.mlev --task nguyen4 --init random`` (fitting on)        2,000
learner        the README showcase: ``evolve examples/linear_regression.mlev --evolve
               linreg.learn --init random``                                                      2,000
automl_zero    ``benchmarks/discovery/automl_zero_linear_search.toml``'s search (both methods,
               its grammar, fresh tasks, population 1,000, tournament 10)                        2,000
predict_learn  ``predict`` and ``learn`` both evolved from random bodies, base grammar
               (``benchmarks/discovery/linear_regression_both.py``'s program)                    2,000
optimizer      ``evolve examples/mlp_digits.mlev --evolve momentum`` (from the file), 5 epochs      60
activation     ``evolve examples/mlp_digits.mlev --evolve act --init random``, 5 epochs             60
loss           ``evolve examples/mlp_digits.mlev --evolve xent`` (from the file), 5 epochs          60
=============  ==============================================================================  ======

The neural regimes run with population 20, tournament 5, hurdle off; the others with the product's
defaults unless said.  ``--quick``: 2 seeds, budgets / 10 (at least 12), every regime: a smoke test.

Usage: ``python benchmarks/size_ratio.py [--quick] [--seeds N] [--regimes formula,learner,...]
[--scale F] [--out FILE.jsonl]``.  Deterministic for fixed seeds (sizes and fitnesses); CPU seconds are
printed per regime.
"""

from __future__ import annotations

import json
import math
import runpy
import statistics
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

import mlevolve.api as api
from ablations import simplifier_off
from mlevolve.dsl.errors import MlevError, did_you_mean
from mlevolve.dsl.ir import Call, Expr, Program, const, with_children
from mlevolve.dsl.kinds import replace_slot, slot_body, slots
from mlevolve.dsl.parse import parse
from mlevolve.gp.archive import Archive
from mlevolve.grammar.spec import load_grammar
from mlevolve.results import simplified
from mlevolve.script import ArgumentParser, at_least, read_json_lines

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

_AZ = tomllib.loads((HERE / "discovery" / "automl_zero_linear_search.toml").read_text())["search"]
# the predict + learn setting's start: linear_regression_both.py's program (run for its names, not its main)
_BOTH: str = runpy.run_path(str(HERE / "discovery" / "linear_regression_both.py"))["PROGRAM"]

_NEURAL = {"population": 20, "tournament": 5, "epochs": 5, "hurdle": False}


@dataclass(frozen=True)
class Regime:
    """One kind of search: the program (a path, or text written to a file), the slots evolved, the task,
    the budget in candidates, and ``evolve``'s other arguments."""

    program: Path | str
    evolve: tuple[str, ...]
    task: str | None
    budget: int
    options: dict[str, Any] = field(default_factory=dict)
    grammar: Path | None = None


REGIMES: dict[str, Regime] = {
    "formula": Regime(ROOT / "examples" / "quartic.mlev", ("f",), "nguyen4", 2000, {"init": "random"}),
    "learner": Regime(ROOT / "examples" / "linear_regression.mlev", ("linreg.learn",), "linear", 2000,
                      {"init": "random"}),
    "automl_zero": Regime(_AZ["program"].strip() + "\n", tuple(_AZ["evolve"]), _AZ["task"], 2000,
                          {"init": _AZ["init"], "population": _AZ["population"], "tournament": _AZ["tournament"]},
                          HERE / "discovery" / _AZ["grammar"]),
    "predict_learn": Regime(_BOTH, ("linreg",), "linear", 2000, {"init": "random"}),
    "optimizer": Regime(ROOT / "examples" / "mlp_digits.mlev", ("momentum",), "digits", 60, _NEURAL),
    "activation": Regime(ROOT / "examples" / "mlp_digits.mlev", ("act",), "digits", 60, {**_NEURAL, "init": "random"}),
    "loss": Regime(ROOT / "examples" / "mlp_digits.mlev", ("xent",), "digits", 60, _NEURAL),
}


def evolved_size(program: Program, evolve: Sequence[str]) -> int:
    """IR nodes of the evolved slots' bodies (a learner named whole: all its methods)."""
    return sum(s.body.size for s in slots(program)
               if any(s.name == n or s.name.startswith(n + ".") for n in evolve))


def one_run(regime: Regime, seed: int, budget: int, folder: Path, arm: str) -> dict[str, Any]:
    """One search of ``regime`` (``arm``: ``with`` or ``without`` the simplifier) and its best's sizes."""
    source = regime.program if isinstance(regime.program, Path) else folder / "program.mlev"
    if isinstance(regime.program, str):
        source.write_text(regime.program)
    db = folder / f"{arm}-{seed}.db"
    db.unlink(missing_ok=True)
    grammar = load_grammar(regime.grammar) if regime.grammar is not None else None
    started, clock = time.process_time(), time.perf_counter()

    def search() -> dict[str, Any]:  # the product's best as shown: pruned (gp.prune) in the cheap regimes
        return api.evolve(source, list(regime.evolve), regime.task, budget=budget, db=db, seed=seed, quiet=True,
                          grammar=grammar, prune=arm == "with" and name_of(regime) in _CHEAP, **regime.options)

    if arm == "without":
        with simplifier_off():
            summary = search()
    else:
        summary = search()
    cpu, wall = time.process_time() - started, time.perf_counter() - clock
    with Archive.read(db) as archive:
        best = archive.get(found) if (found := api.found_hash(summary)) else None  # the search's, unpruned
    if best is None:
        return {"arm": arm, "seed": seed, "cpu": round(cpu, 2), "wall": round(wall, 2), "evaluated": None}
    shown = summary["best_program"]  # pruned where the prune kept an edit (its fitness then the pruned one's)
    return {"arm": arm, "seed": seed, "cpu": round(cpu, 2), "wall": round(wall, 2),
            "fitness": summary["best_metrics"]["fitness"], **sizes(shown, regime.evolve), "program": shown,
            "unpruned": best.program, "unpruned_fitness": best.fitness,
            "prune_evaluations": summary.get("prune_evaluations") or 0}


def name_of(regime: Regime) -> str:
    """The name of ``regime`` in :data:`REGIMES`."""
    return next(name for name, r in REGIMES.items() if r is regime)


def sizes(text: str, evolve: Sequence[str]) -> dict[str, int]:
    """A best program's size as evaluated and as shown (:func:`mlevolve.results.simplified`)."""
    program = parse(text)
    return {"evaluated": evolved_size(program, evolve), "shown": evolved_size(simplified(program), evolve)}


# ------------------------------------------------------------------------------- removable by hand
_TOLERANCE = 1e-6  # a pruned best may score this much worse, relative, and still count as the same program
_CHEAP = ("formula", "learner", "automl_zero", "predict_learn")  # regimes whose one evaluation takes ms


def _with(node: Expr, path: tuple[int, ...], new: Expr) -> Expr:
    """``node`` with the subtree at ``path`` (child indices from it) replaced by ``new``."""
    if not path:
        return new
    kids = list(node.children())
    kids[path[0]] = _with(kids[path[0]], path[1:], new)
    return with_children(node, tuple(kids))


def _edits(body: Expr) -> list[tuple[tuple[int, ...], Expr]]:
    """Each smaller body to try, largest removal first: a node replaced by one of its children, or (a call)
    by the literal 0.0 or 1.0 (kept only where it type-checks)."""
    out: list[tuple[int, tuple[int, ...], Expr]] = []
    stack: list[tuple[tuple[int, ...], Expr]] = [((), body)]
    while stack:
        path, node = stack.pop()
        kids = node.children()
        for i, kid in enumerate(kids):
            out.append((node.size - kid.size, path, kid))
            stack.append(((*path, i), kid))
        if isinstance(node, Call):
            out.extend((node.size - 1, path, const(v)) for v in (0.0, 1.0))
    out.sort(key=lambda e: -e[0])
    return [(path, new) for _, path, new in out]


def pruned(text: str, regime: Regime, seed: int) -> int:
    """The size of the shown best after removing, greedily, every node whose removal (a node replaced by a
    child, or a call by 0.0 or 1.0) keeps its score on the run's task (``mlevolve run``, the run's seed)
    within ``_TOLERANCE`` relative, or better: how much of it a person could remove by hand, values
    aside (the shown form keeps every value).  An upper bound on what any exact rule could remove."""
    grammar = load_grammar(regime.grammar) if regime.grammar is not None else None

    def score(program: Program) -> float | None:
        try:
            checked = api.check(program, grammar)
        except MlevError:
            return None
        with np.errstate(all="ignore"):
            m = api.run(checked, regime.task, seed=seed, grammar=grammar)
        f = m.get("fitness")
        return None if m.get("failure") or f is None or not math.isfinite(f) else float(f)

    program = replace(simplified(parse(text)), written=False)  # a search's: a rate out of range runs clamped
    base = score(program)
    if base is None:
        return evolved_size(program, regime.evolve)
    floor = base - _TOLERANCE * max(1.0, abs(base))
    names = [s.name for s in slots(program) if any(s.name == n or s.name.startswith(n + ".") for n in regime.evolve)]
    changed = True
    while changed:
        changed = False
        for name in names:
            body = slot_body(program, name)
            for path, new in _edits(body):
                candidate = replace_slot(program, name, _with(body, path, new))
                got = score(candidate)
                if got is not None and got >= floor:
                    program, changed = simplified(candidate), True
                    break
            if changed:
                break
    return evolved_size(program, regime.evolve)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarise(name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The two comparisons of one regime over its seeds (runs that found nothing left out)."""
    by_seed: dict[int, dict[str, dict[str, Any]]] = {}
    for r in rows:
        by_seed.setdefault(r["seed"], {})[r["arm"]] = r
    pairs = [(s["with"], s["without"]) for s in by_seed.values()
             if s.get("with", {}).get("evaluated") and s.get("without", {}).get("evaluated")]
    w_eval = [w["evaluated"] for w, _ in pairs]
    w_shown = [w["shown"] for w, _ in pairs]
    o_eval = [o["evaluated"] for _, o in pairs]
    o_shown = [o["shown"] for _, o in pairs]
    return {
        "regime": name, "pairs": len(pairs),
        "with_evaluated": _median(w_eval), "with_shown": _median(w_shown),
        "without_evaluated": _median(o_eval), "without_shown": _median(o_shown),
        "a_median_ratio": _median([s / e for s, e in zip(w_shown, w_eval, strict=True)]),
        "a_ratio_of_medians": _median(w_shown) / _median(w_eval) if pairs else float("nan"),
        "b_median_ratio": _median([s / e for s, e in zip(w_shown, o_eval, strict=True)]),
        "b_ratio_of_medians": _median(w_shown) / _median(o_eval) if pairs else float("nan"),
        "fitness_with": _median([w["fitness"] for w, _ in pairs]),
        "fitness_without": _median([o["fitness"] for _, o in pairs]),
        "pruned": _median([w["pruned"] for w, _ in pairs if "pruned" in w]),
        "cpu": round(sum(r["cpu"] for r in rows), 1), "wall": round(sum(r.get("wall", 0.0) for r in rows), 1),
    }


def _pruned_text(s: dict[str, Any]) -> str:
    p = s["pruned"]
    return "—" if p != p else f"{p:g} ({p / s['with_shown']:.2f})"


def table(summaries: list[dict[str, Any]]) -> str:
    head = ("| regime | pairs | with: evaluated / shown | (a) shown / evaluated: median ratio (ratio of medians) "
            "| without: evaluated / shown | (b) with shown / without: median ratio (ratio of medians) "
            "| with: pruned by hand (÷ shown) | best fitness with / without | CPU s / wall s |")
    lines = [head, "| --- " * 9 + "|"]
    for s in summaries:
        lines.append(
            f"| {s['regime']} | {s['pairs']} | {s['with_evaluated']:g} / {s['with_shown']:g} "
            f"| **{s['a_median_ratio']:.2f}** ({s['a_ratio_of_medians']:.2f}) "
            f"| {s['without_evaluated']:g} / {s['without_shown']:g} "
            f"| **{s['b_median_ratio']:.2f}** ({s['b_ratio_of_medians']:.2f}) "
            f"| {_pruned_text(s)} "
            f"| {s['fitness_with']:.4g} / {s['fitness_without']:.4g} | {s['cpu']} / {s['wall']} |")
    return "\n".join(lines)


_OUT_FILE = "a size_ratio.py --out file"


def summarise_file(paths: Sequence[Path], prune: bool = False) -> list[dict[str, Any]]:
    """The tables of the runs recorded in ``paths`` (JSON lines of ``--out``), their bests shown again;
    with ``prune``, each *with* best of a cheap regime pruned by hand (:func:`pruned`) too."""
    by_regime: dict[str, list[dict[str, Any]]] = {}
    seen: dict[tuple[str, int, str], str] = {}  # each run once: (regime, seed, arm) -> where it was read
    if len(set(paths)) < len(paths):
        twice = next(p for p in paths if paths.count(p) > 1)
        raise MlevError(f"{twice} is given twice", hint="give each recorded file once")
    for path in paths:
        lines = read_json_lines(path, _OUT_FILE, ("regime", "arm", "seed"),
                                {"regime": REGIMES, "arm": ("with", "without")}, numbers=("seed",))
        if not lines:
            raise MlevError(f"not {_OUT_FILE}: no runs recorded", file=str(path), hint=f"give {_OUT_FILE}")
        for number, line in enumerate(lines, 1):
            run = (line["regime"], line["seed"], line["arm"])
            if run in seen:  # a second --out of the same seeds appended, or a file given twice
                raise MlevError(f"the {run[2]!r} run of {run[0]} seed {run[1]} is recorded twice ({seen[run]} and "
                                f"{path}, run {number})", file=str(path),
                                hint="keep one record of each run (--out appends): a rerun belongs in another file")
            seen[run] = f"{path}, run {number}"
            regime = REGIMES[line["regime"]]
            if line.get("evaluated") is not None:
                line = {**line, **sizes(line["program"], regime.evolve)}
                if prune and line["arm"] == "with" and line["regime"] in _CHEAP:
                    line["pruned"] = pruned(line["program"], regime, line["seed"])
            by_regime.setdefault(line["regime"], []).append(line)
    summaries = [summarise(name, rows) for name, rows in by_regime.items()]
    print(table(summaries))
    return summaries


def main(argv: Sequence[str] | None = None, run: Callable[..., dict[str, Any]] = one_run) -> list[dict[str, Any]]:
    parser = ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--quick", action="store_true", help="2 seeds, budgets / 10 (at least 12): a smoke test")
    parser.add_argument("--seeds", type=at_least(1), default=10, help="seeds 0..N-1 per regime (10)")
    parser.add_argument("--first-seed", type=at_least(0), default=0, help="first seed (0)")
    parser.add_argument("--regimes", default=",".join(REGIMES),
                        help=f"comma-separated, of {', '.join(REGIMES)} (default: all)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every budget by this (1.0)")
    parser.add_argument("--out", type=Path, help="append one JSON line per run to this file")
    parser.add_argument("--arms", default="with,without",
                        help="comma-separated, of with, without (default both): e.g. only the 'with' runs again, the "
                             "'without' ones read from an earlier --out file by --summarise")
    parser.add_argument("--summarise", type=Path, nargs="+", metavar="FILE",
                        help="no runs: the tables of the runs in FILE... (written by --out), each best shown again "
                             "by this checkout's simplifier")
    parser.add_argument("--prune", action="store_true",
                        help="with --summarise: also each 'with' best of the formula and learner regimes pruned by "
                             "hand (nodes whose removal keeps its score within 1e-6): the pruned column")
    args = parser.parse_args(argv)
    if args.summarise is not None:
        typed = [a.split("=")[0] for a in (sys.argv[1:] if argv is None else argv)]
        runs = [f for f in ("--quick", "--seeds", "--first-seed", "--regimes", "--scale", "--out", "--arms")
                if f in typed]
        if runs:
            parser.error(f"{runs[0]} makes runs; --summarise only reads recorded ones",
                         hint=f"drop {runs[0]}, or --summarise")
        return summarise_file(args.summarise, args.prune)
    if args.prune:
        parser.error("--prune reads the runs of --summarise FILE")
    names = [n.strip() for n in args.regimes.split(",") if n.strip()]
    if not names:
        parser.error("--regimes names no regime", hint=f"name some of: {', '.join(REGIMES)}")
    unknown = [n for n in names if n not in REGIMES]
    if unknown:
        parser.error(f"unknown regime {unknown[0]!r}; the regimes: {', '.join(REGIMES)}",
                     hint=did_you_mean(unknown[0], REGIMES) + f"run `{parser.prog} --help`")
    if len(set(names)) < len(names):
        parser.error(f"--regimes names {next(n for n in names if names.count(n) > 1)!r} twice")
    if not args.scale > 0:
        parser.error(f"--scale must be positive, not {args.scale}")
    if args.out is not None and not args.out.parent.is_dir():
        parser.error(f"--out {args.out}: no folder {args.out.parent}", hint="make the folder, or write elsewhere")
    seeds = range(args.first_seed, args.first_seed + (2 if args.quick else args.seeds))
    summaries = []
    for name in names:
        regime = REGIMES[name]
        budget = max(12, int(regime.budget * args.scale / (10 if args.quick else 1)))
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            for seed in seeds:
                for arm in [a for a in ("with", "without") if a in args.arms.split(",")]:
                    row = {"regime": name, "budget": budget, **run(regime, seed, budget, Path(tmp), arm)}
                    rows.append(row)
                    if args.out is not None:
                        with args.out.open("a") as f:
                            f.write(json.dumps(row) + "\n")
        summaries.append(summarise(name, rows))
        print(table(summaries[-1:]).splitlines()[-1], flush=True)
    print()
    print(table(summaries))
    return summaries


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(lambda: main() and None)  # the summaries are for callers; the status is 0
