"""Recording alone: ``RunRecord.add`` on the candidates a formula run finishes, timed without the rest.

A regularized-evolution run of the quartic (``overhead.py``'s formula workload, its evaluator unless
``--instant``) records every ``RunRecord.add`` call: the job (and its canonical text as it was then), the
outcome, source, fingerprint, parent's outcome and simplified text.  Those calls are replayed ``--repeats``
times into a fresh record over a fresh archive (its rows committed in batches, as in a run), the first
``--skip`` untimed.  Printed: the least CPU time (``time.thread_time``) per call in µs, the final commit
included, and a digest of the archive's rows (all but the wall-clock ``created``) and of the record's counts,
credit, hall of fame and best, which two codes that record alike print the same.  ``--without`` times the
same calls with the archive's write (``Archive.store``) or its SQLite part (the batch's insert and commit)
made a no-op, to tell the shares apart (its digest then differs).
Run: python benchmarks/record_speed.py [--budget N] [--repeats R] [--instant] [--without store|sqlite]
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import overhead
from mlevolve.gp.archive import Archive
from mlevolve.gp.record import RunRecord
from mlevolve.script import ArgumentParser, at_least, run

Call = tuple[Any, str | None, tuple[Any, ...], dict[str, Any]]
_ROWS = ("SELECT seq, hash, program, fitness, metrics, failure, failure_where, source, fingerprint, operator, "
         "parents, generation, size, seconds, simplified FROM candidates ORDER BY seq")


def record(budget: int, instant: bool) -> list[Call]:
    """The ``RunRecord.add`` calls of a formula run of ``budget`` candidates, each job's text as it was."""
    calls: list[Call] = []
    plain = RunRecord.add

    def add(self: RunRecord, job: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append((job, job.text, args, kwargs))
        return plain(self, job, *args, **kwargs)

    RunRecord.add = add  # type: ignore[method-assign]
    try:
        overhead.measure("formula", budget, instant=instant)
    finally:
        RunRecord.add = plain  # type: ignore[method-assign]
    return calls


def replay(calls: list[Call], skip: int) -> tuple[float, str]:
    """CPU seconds per timed call, and the digest of the rows and the record's state."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "run.db"
        with Archive.for_run(path, {"run": "formula"}) as archive:
            run = RunRecord(archive)
            cpu = 0.0
            for i, (job, text, args, kwargs) in enumerate(calls):
                job.text = text  # (the record makes it where it was None: made again each replay)
                c = time.thread_time()
                run.add(job, *args, **kwargs)
                if i >= skip:
                    cpu += time.thread_time() - c
            c = time.thread_time()
            archive.flush()
            cpu += time.thread_time() - c
        with sqlite3.connect(path) as conn:
            rows = conn.execute(_ROWS).fetchall()
    state = (sorted(run.counts.items()), sorted(run.operator_trials.items()), sorted(run.operator_successes.items()),
             [c.hash for c in run.hall_of_fame], run.best and run.best.hash, run.fit_evaluations)
    digest = hashlib.sha256(repr((rows, state)).encode()).hexdigest()[:16]
    return cpu / max(1, len(calls) - skip), digest


def main() -> None:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=at_least(2), default=2300, help="the run's candidates (default 2,300)")
    parser.add_argument("--skip", type=at_least(0), default=300, help="calls not timed, the first (default 300)")
    parser.add_argument("--repeats", type=at_least(1), default=7, help="replays; the least is printed (default 7)")
    parser.add_argument("--instant", action="store_true", help="record a run with instant evaluations")
    parser.add_argument("--without", choices=("store", "sqlite"), help="time with the archive's write, or its "
                        "SQLite part, a no-op")
    args = parser.parse_args()
    calls = record(args.budget, args.instant)
    if args.without == "store":
        Archive.store = lambda self, *a: None  # type: ignore[method-assign, assignment]
    elif args.without == "sqlite":
        Archive._insert_pending = lambda self: setattr(self, "_pending", [])  # type: ignore[method-assign]
        Archive.flush = lambda self: setattr(self, "_batch", 0)  # type: ignore[method-assign]
    runs = [replay(calls, args.skip) for _ in range(args.repeats)]
    assert len({d for _, d in runs}) == 1, "a replay recorded otherwise"
    print(f"RunRecord.add, {len(calls) - args.skip} calls: least CPU {min(c for c, _ in runs) * 1e6:.1f} µs a call "
          f"(of {args.repeats}: {', '.join(f'{c * 1e6:.1f}' for c, _ in runs)}); recorded {runs[0][1]}")


if __name__ == "__main__":
    run(main)
