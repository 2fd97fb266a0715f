"""Progress of a run: a tqdm bar on a terminal, plain periodic lines otherwise, optional JSON lines.

Called by the engine after every candidate.  ``--quiet`` prints nothing; ``--json-log FILE``
appends one JSON object per candidate whatever else is shown.  The first line shown says how long the run's
kernels took numba to compile before its first candidate where that took over :data:`WARMUP_SHOWN` seconds
(a fresh checkout compiles them: tens of seconds; a load from numba's cache, about 1.5 s, compiles nothing and is
not said).  A resumed run's candidates replayed or reloaded from its archive (``stored``) show no periodic line
but the last: its first line counts past what the archive holds (a resume of 3,000 candidates under a budget of
30,000 began ``[ 1,500/30,000]``).  The lines' clock and the bar's rate leave out every compile the run waited on
after it started (a fresh checkout's first run read 105 s and under 1 candidate/s for a search of 40 a second), and
the note says so.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from mlevolve.gp.record import shown_size
from mlevolve.results import SOURCES, dumps, fitness_metric, shown_metric

# The fields of each ``--json-log`` line, in order: what makes a file an mlevolve JSON log (api.check_json_log).
LOG_FIELDS = ("seq", "hash", "source", "fitness", "failure", "generation", "size")
WARMUP_SHOWN = 1.0  # seconds numba spent compiling the run's kernels before it, past which the first line says it


def warmup_note(seconds: float) -> str:
    """What the first progress line adds where numba spent ``seconds`` compiling the run's kernels before it (none at
    or under :data:`WARMUP_SHOWN`: a load from numba's cache compiles nothing)."""
    return f"; kernels compiled first in {seconds:.1f} s, not counted" if seconds > WARMUP_SHOWN else ""


def shown_best(best: Any) -> str:
    """The fittest candidate so far as the progress line's ``fittest`` shows it: the metric its fitness is and its
    value, as the summary shows them (:func:`mlevolve.results.fitness_metric`, :func:`shown_metric`): ``val_mse
    1.5612e-06``, not the fitness ``-1.5612e-06`` (higher is better) that ranks it; its fitness where no metric
    names it; "-" for none yet.  The search's fittest candidate, not the run's answer: ``--select`` may pick a
    smaller formula, and the prune runs after the search."""
    score = float("nan") if best is None else best.score
    if not math.isfinite(score):
        return "-"
    metrics = getattr(getattr(best, "outcome", None), "metrics", None) or {}
    name = fitness_metric(metrics).name
    return f"{name} {shown_metric(metrics[name])}" if name != "fitness" else shown_metric(score)


def shown_counts(hurdled: bool) -> tuple[str, ...]:
    """The counts a progress line shows after ``fittest``: every saving the summary counts, in its order
    (:data:`mlevolve.results.SOURCES` but ``evaluated``: ``cache``, ``fec``, ``hurdle``, ``probe``), then ``failed``;
    no ``hurdle`` where no hurdle can answer a candidate (``hurdled`` false), as the summary shows none."""
    return tuple(k for k in SOURCES if k != "evaluated" and (hurdled or k != "hurdle"))


class Progress:
    """Shows evaluations, the fittest candidate's metric, each saving's count (:func:`shown_counts`), and failures."""

    def __init__(self, total: int, *, quiet: bool = False, json_log: str | Path | None = None,
                 stream: IO[str] | None = None, warmup: Callable[[], float] = lambda: 0.0) -> None:
        """``warmup``: the seconds numba has spent compiling the run's kernels so far (before the search or during
        it, in this process or the longest a worker took), read when the first line is shown; what it grows by
        after this progress starts is left out of the clock and the rate shown (:meth:`_leave_out`)."""
        self.total = total
        self.warmup = warmup
        self._first = True
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.log = open(json_log, "a") if json_log else None  # noqa: SIM115 - closed in close()
        self.bar = None
        if not quiet and self.stream.isatty():
            self.bar = tqdm(total=total, file=self.stream, unit="cand", dynamic_ncols=True, mininterval=0.2)
        self.every = max(1, total // 20)
        self.started = time.perf_counter()
        self._compiled = warmup()  # the compile seconds already spent when the clock started: not in it
        self._shown = -1.0  # when the bar's status was last set (perf_counter): at most every 0.2 s

    def _status(self, engine: Any) -> dict[str, Any]:
        best = engine.hall_of_fame[0] if len(engine.hall_of_fame) else None
        c = engine.counts  # no scored candidate yet (all failed so far): fittest "-", the failures counted beside
        return {"fittest": shown_best(best), **{k: f"{c[k]:,}" for k in shown_counts(getattr(engine, "hurdled", True))}}

    def __call__(self, engine: Any, candidate: Any, stored: bool = False) -> None:
        """Show one candidate; ``stored`` ones (replayed from the archive) are not logged again."""
        if self.log is not None and not stored:
            self.log.write(dumps(dict(zip(LOG_FIELDS, (
                candidate.seq, candidate.hash, candidate.source,
                None if candidate.outcome.failure else candidate.score,
                str(candidate.outcome.failure) if candidate.outcome.failure else None,
                candidate.generation, shown_size(candidate.size, candidate.outcome)), strict=True))) + "\n")
            self.log.flush()
        if self.quiet:
            return
        self._leave_out()
        if self.bar is not None:
            if self._first and (note := warmup_note(self.warmup())):
                self.bar.write(note[2:], file=self.stream)
            self._first = False
            now = time.perf_counter()
            if now - self._shown >= 0.2 or engine.seq == self.total:  # the bar's own refresh interval
                self._shown = now
                self.bar.set_postfix(self._status(engine), refresh=False)
            self.bar.update(1)
        elif (not stored and engine.seq % self.every == 0) or engine.seq == self.total:
            status = "  ".join(f"{k} {v}" for k, v in self._status(engine).items())
            note = warmup_note(self.warmup()) if self._first else ""
            self._first = False
            print(f"[{engine.seq:>6,}/{self.total:,}] {status}  ({time.perf_counter() - self.started:.1f} s{note})",
                  file=self.stream, flush=True)

    def _leave_out(self) -> None:
        """Move the clock's start (and the bar's, and its last update's: tqdm's rate) later by the seconds numba
        compiled since the last call: a candidate that waited on a compile is shown at the rate it ran at."""
        compiled = self.warmup()
        if (late := compiled - self._compiled) > 0:
            self._compiled = compiled
            self.started += late
            if self.bar is not None:
                self.bar.start_t += late
                self.bar.last_print_t += late

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.log is not None:
            self.log.close()
