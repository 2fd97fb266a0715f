"""What a ``linear_regression_both.py`` search converged to, read from its kept archives (``--keep-db DIR``).

For each archive ``DIR/sSEED.db`` (one JSON line per seed):

- the best-so-far trajectory by search fitness (minus the MSE on the run's tasks): how many times it
  improved, the candidate of its last improvement and how many candidates came after it (a plateau);
- every best-so-far program tested on 100 unseen tasks (``linear:n_tasks=100``, seed 10,000 + seed, as the
  benchmark's success test): the first candidate whose best passes (unseen MSE <= 1e-3), and the best at
  ``--at`` candidates (default 20,000: the recorded runs' budget) and at the end, each with its shown form,
  search MSE, unseen MSE or unseen failure and its kind: ``solved``, ``diverges on unseen`` (fails there),
  ``memoriser`` (beats the starting program, ``predict = 0.0``, on the run's tasks and does no better than it on
  the unseen ones) or ``plateau`` (better than the start on unseen tasks too, not good enough); the starting
  program's MSEs come with them (``start``);
- the last ``--window`` candidates (default 1,000; the population of aging evolution is the last 100): the
  share that failed, the median search MSE of the rest, the share whose ``predict`` reads ``w`` and whose
  ``learn`` reads ``y`` and ``p`` (in the simplified program), and the ``--top`` (default 5) best distinct
  programs among them tested on the unseen tasks (how many pass, how many diverge).

Run: python benchmarks/discovery/diagnose_both.py DIR [--seed-list 0,4,5] [--at 20000] [--window 1000]
[--top 5] [--out FILE]
"""

from __future__ import annotations

import json
import math
import re
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from linear_regression_both import PROGRAM, THRESHOLD

from mlevolve import api
from mlevolve.gp.archive import Archive, Row
from mlevolve.results import SHOWN_DIGITS, shown_program
from mlevolve.script import ArgumentParser, at_least, int_list

UNSEEN = "linear:n_tasks=100"
METHOD = re.compile(r"^\s*(predict|learn)\(.*=\s*$")


def unseen(program: str, seed: int) -> tuple[float | None, str | None]:
    """The unseen-task MSE of ``program`` (None and the failure's reason where it fails there)."""
    out = api.run(api.parse(program), UNSEEN, seed=10_000 + seed)
    return (None, out["failure"]["reason"]) if out["failure"] is not None else (float(out["val_mse"]), None)


def reads(row: Row) -> dict[str, set[str]]:
    """The names each method's body reads, by word in the simplified program (``w - w`` is gone there)."""
    names: dict[str, set[str]] = {"predict": set(), "learn": set()}
    method = None
    for line in (row.simplified or row.program).splitlines():
        if (head := METHOD.match(line)) is not None:
            method = head.group(1)
        elif method is not None:
            names[method] |= set(re.findall(r"\b[wxyp]\b", line))
    return names


def start(task: str, seed: int) -> dict[str, float]:
    """The starting program's (``predict = 0.0``: the mean square of the targets) MSE on the run's tasks and on
    the unseen ones."""
    program = api.parse(PROGRAM)
    return {"search_mse": float(api.run(program, task, seed=seed)["val_mse"]), "unseen_mse": unseen(PROGRAM, seed)[0]
            or math.nan}


def judged(row: Row, seed: int, base: dict[str, float]) -> dict[str, Any]:
    """``row``'s search MSE (on the run's tasks, whatever its fitness), unseen MSE (or failure), kind (against the
    starting program's MSEs ``base``) and shown form."""
    mse, failure = unseen(row.program, seed)
    search = row.metrics.get("val_mse")
    kind = ("solved" if mse is not None and mse <= THRESHOLD else "diverges on unseen" if mse is None
            else "memoriser" if mse >= base["unseen_mse"] else "plateau")
    return {"seq": row.seq, "search_mse": search, "unseen_mse": mse, "unseen_failure": failure, "kind": kind,
            "shown": shown_program(row.program, only=["linreg"], digits=SHOWN_DIGITS)}


def diagnose(db: Path, seed: int, at: int, window: int, top: int) -> dict[str, Any]:
    with Archive.read(db) as archive:
        rows = list(archive.rows())
        base = start(str(archive.meta()["task"]), seed)
    improvements: list[Row] = []
    for row in rows:
        if row.fitness is not None and (not improvements or row.fitness > (improvements[-1].fitness or 0.0)):
            improvements.append(row)
    first_solved = next((r.seq for r in improvements if (m := unseen(r.program, seed)[0]) is not None
                         and m <= THRESHOLD), None)
    best_at = [r for r in improvements if r.seq <= at]
    last = rows[-window:]
    scored = [r for r in last if r.fitness is not None]
    methods = [reads(r) for r in last]
    seen: set[str] = set()
    distinct = []
    for r in sorted(scored, key=lambda r: -(r.fitness or 0.0)):
        if r.hash not in seen:
            seen.add(r.hash)
            distinct.append(r)
    tops = [judged(r, seed, base) for r in distinct[:top]]
    return {
        "seed": seed, "candidates": len(rows), "start": base, "improvements": len(improvements),
        "last_improvement": improvements[-1].seq if improvements else None,
        "since_last_improvement": len(rows) - improvements[-1].seq if improvements else len(rows),
        "first_solved": first_solved,
        f"best_at_{at}": judged(best_at[-1], seed, base) if best_at and len(rows) >= at else None,  # None: not reached
        "best": judged(improvements[-1], seed, base) if improvements else None,
        "window": len(last), "window_failed": round(1 - len(scored) / len(last), 3),
        "window_median_search_mse": statistics.median(r.metrics["val_mse"] for r in scored) if scored else None,
        "window_predict_reads_w": round(sum("w" in m["predict"] for m in methods) / len(last), 3),
        "window_learn_reads_y_and_p": round(sum({"y", "p"} <= m["learn"] for m in methods) / len(last), 3),
        "window_top": [{k: t[k] for k in ("seq", "search_mse", "unseen_mse", "kind")} for t in tops],
    }


def main() -> None:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", help="the --keep-db folder of linear_regression_both.py")
    parser.add_argument("--seed-list", type=int_list, metavar="S,S,...",
                        help="these seeds' archives (default every sSEED.db in the folder)")
    parser.add_argument("--at", type=at_least(1), default=20_000, help="also the best at this candidate (20,000)")
    parser.add_argument("--window", type=at_least(1), default=1000, help="the last candidates looked at (1,000)")
    parser.add_argument("--top", type=at_least(1), default=5, help="their best distinct programs tested (5)")
    parser.add_argument("--out", help="also write the JSON lines to this file")
    args = parser.parse_args()
    folder = Path(args.folder)
    if not folder.is_dir():
        parser.error(f"{folder}: {'a file, not a folder' if folder.exists() else 'no such folder'}",
                     hint="give the folder linear_regression_both.py --keep-db wrote")
    if args.out and not Path(args.out).parent.is_dir():  # before the diagnosis, not after it
        parser.error(f"--out {args.out}: no folder {Path(args.out).parent}", hint="make the folder, or write elsewhere")
    kept = sorted(int(p.stem[1:]) for p in folder.glob("s*.db") if p.stem[1:].isdigit())
    seeds = args.seed_list if args.seed_list is not None else kept
    if not kept:
        parser.error(f"{folder}: no archive sSEED.db", hint="give the folder linear_regression_both.py --keep-db "
                     "wrote")
    if len(set(seeds)) < len(seeds) or set(seeds) - set(kept):
        odd = next(s for s in seeds if seeds.count(s) > 1 or s not in kept)
        parser.error(f"--seed-list: seed {odd} {'is named twice' if odd in kept else f'has no archive s{odd}.db'}",
                     hint=f"the seeds with archives in {folder}: {', '.join(map(str, kept))}")
    lines = []
    for seed in seeds:
        lines.append(json.dumps(diagnose(folder / f"s{seed}.db", seed, args.at, args.window, args.top)))
        print(lines[-1], flush=True)
    if args.out:
        Path(args.out).write_text("".join(line + "\n" for line in lines))


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
