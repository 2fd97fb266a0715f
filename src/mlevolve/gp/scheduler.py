"""The scheduler: a run's candidates in flight on its backend, one job per candidate.

Every candidate that needs scoring goes through a backend, in process too
(:class:`~mlevolve.gp.backends.InProcess` answers at once; a pool or Dask answers when a worker
finishes).  The scheduler numbers the jobs, keeps what made each one (:class:`Job`), counts the
slots in use, and hands back finished jobs with their answers.  It decides nothing about scoring
(``scorer.py``) or recording (``record.py``).

The run's first job is handed back first, whichever worker finishes first: answers that come before
it are held and then handed back with it in job order.  So a run's first candidate, the file's own
program unless it starts from random programs, is candidate 0 with every backend, as it is in
process.  A held answer frees its slot (:attr:`Scheduler.busy`) but still counts as in flight
(against the budget), so the other workers stay busy while the first job runs.

A candidate equal to one in flight (the same cache key) is not sent again: it follows that job
(:meth:`Scheduler.follow`) and is answered with it, as a cache hit is once a job has finished.  Only
a run with more than one slot has jobs in flight as the next starts (a pool of workers, or batches):
in process a candidate finishes before the next one starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mlevolve.dsl.ir import Program
from mlevolve.gp.backends import Backend, Request


@dataclass(eq=False)
class Job:
    """A candidate being scored: what made it, its canonical facts, and when its scoring began."""

    program: Program
    key: str  # the cache key: the canonical hash of the simplified program
    operator: str
    parents: tuple[str, ...]
    generation: int
    size: int  # the evolved slots' simplified size
    simplified: Program
    created: float  # time.perf_counter() when the candidate was made
    # The program sent to be scored (the simplified one where constants are fitted); None: not scored
    # here (a cache hit, a replayed or reloaded row).
    scored: Program | None = None
    # The canonical text of ``scored`` (else of ``program``), made when the archive needs it
    # (``record.RunRecord``): a backend takes the program itself (a worker gets it as tokens), and a
    # formula whose constants were fitted is archived with its fitted text instead.
    text: str | None = None


class Scheduler:
    """Jobs in flight on ``backend``: at most ``backend.slots`` at once (the search algorithms ask
    :meth:`free` before starting one)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.slots = backend.slots
        self._jobs: dict[int, Job] = {}
        self._next = 0
        self._first: int | None = None  # the first job submitted, until it is handed back
        self._held: list[tuple[int, Any]] = []  # answers that came before the first job's
        self._keys: dict[str, int] = {}  # the cache key of each job in flight: its number
        self._following: dict[str, list[Job]] = {}  # by key: candidates waiting for the job in flight with it
        self._followers = 0

    @property
    def in_flight(self) -> int:
        """Candidates started and not yet handed back: jobs (held answers included) and their followers."""
        return len(self._jobs) + self._followers

    @property
    def busy(self) -> int:
        """Slots in use: jobs the backend has not answered yet."""
        return len(self._jobs) - len(self._held)

    def submit(self, job: Job, request: Request) -> None:
        """Send ``request`` (built by the caller for job number :meth:`next_id`) to the backend."""
        if request.job == 1:  # the run's first (next_id counts from 1)
            self._first = request.job
        self._jobs[request.job] = job
        self._keys.setdefault(job.key, request.job)
        self.backend.submit(request)

    def follow(self, job: Job) -> bool:
        """Whether ``job`` waits for a job in flight with its key (then :meth:`followers` hands it back
        after that one); it takes no slot."""
        if job.key not in self._keys:
            return False
        self._following.setdefault(job.key, []).append(job)
        self._followers += 1
        return True

    def followers(self, key: str) -> list[Job]:
        """The candidates that followed the job with ``key``, in the order they started (once, as
        that job is handed back)."""
        waiting = self._following.pop(key, [])
        self._followers -= len(waiting)
        return waiting

    def next_id(self) -> int:
        """The number of the next job."""
        self._next += 1
        return self._next

    def finished(self) -> Iterator[tuple[Job, Any]]:
        """Jobs whose answers have come back; waits for at least one answer if any job is busy (none
        handed back while answers are held for the first job: their slots are free again)."""
        while self.busy:
            results = self.backend.results()
            if self._first is not None:
                self._held += results
                if all(job_id != self._first for job_id, _ in self._held):
                    if results:
                        return
                    continue
                results, self._held, self._first = sorted(self._held, key=lambda r: r[0]), [], None
            for job_id, result in results:
                job = self._jobs.pop(job_id)
                if self._keys.get(job.key) == job_id:
                    del self._keys[job.key]
                yield job, result
            if results:
                return
