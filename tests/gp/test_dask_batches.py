"""Dask: batches of cheap candidates per future, with every guarantee the one-per-future path gives.

A cheap run's candidates go :data:`CHEAP_BATCH` a Dask task (the pool's rule, ``gp.backends.placed``); a failing
candidate is data and fails alone, a timeout is charged to the candidate that ran past it, a candidate that kills its
worker fails alone after its retry, one that runs out of memory has the rest of its batch scored by a fresh worker,
a one-thread cluster's run is a function of its seed, and a run killed outright resumes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlevolve.gp.backends import CHEAP_BATCH, Request, placed
from mlevolve.gp.dask_backend import DaskBackend
from mlevolve.results import Outcome
from tests.conftest import (
    ROOT,
    SRC,
    archive_rows,
    environment,
    run_child,
    sigint_default,
    spawn,
    wait_for_candidates,
    wait_until,
)
from tests.gp.test_parallel import (
    CRASH,
    PROGRAM,
    STUCK,
    BrokenByMemoryFactory,
    CheapEvaluator,
    CrashFactory,
    KeyEvaluator,
    SlowFactory,
    _drain,
    _engine_rows,
)

cluster = pytest.mark.slow  # each such test starts a Dask cluster: seconds

QUARTIC = ROOT / "examples" / "quartic.mlev"
BAD = "this is not a program"


@pytest.fixture(autouse=True)
def _distributed() -> None:
    pytest.importorskip("distributed")


def _four(backend: DaskBackend, second: str, limit: float = 120) -> dict[int, Any]:
    """Four candidates in one batch, the second ``second``: every answer, by job (the backend closed)."""
    try:
        for job, text in enumerate([PROGRAM.format(k=0), second, PROGRAM.format(k=2), PROGRAM.format(k=3)]):
            backend.submit(Request(job, "evaluate", text, f"key{job}"))
        return _drain(backend, 4, limit=limit)
    finally:
        backend.close()


def _fine(results: dict[int, Any]) -> bool:
    return all(isinstance(r, Outcome) and r.failure is None for r in results.values())


@cluster
def test_a_parallel_cheap_run_gets_batches_through_dask_and_a_full_one_goes_in_one_future() -> None:
    backend = DaskBackend(SlowFactory(0.0), "local:2", timeout=30)
    try:
        assert (backend.batch, backend.slots) == (1, 4)
        assert placed(backend, CheapEvaluator(0.0), parallel=True) is backend
        assert (backend.batch, backend.slots) == (CHEAP_BATCH, 2 * 2 * CHEAP_BATCH)  # the pool's rule, reused
        backend.set_batch(4)
        for job in range(3):
            backend.submit(Request(job, "evaluate", PROGRAM.format(k=job), f"key{job}"))
        assert not backend.futures  # a partial batch waits for results()
        backend.submit(Request(3, "evaluate", PROGRAM.format(k=3), "key3"))
        (task,) = backend.futures.values()  # a full one goes at once, in one future
        assert [r.job for r, _ in task.requests] == [0, 1, 2, 3]
        results = _drain(backend, 4)
    finally:
        backend.close()
    assert sorted(results) == [0, 1, 2, 3] and _fine(results)
    assert len({r.metrics["pid"] for r in results.values()}) == 1  # one task: one worker answered the four


@cluster
def test_a_failing_candidate_of_a_dask_batch_is_data_and_its_batch_mates_are_scored() -> None:
    backend = DaskBackend(SlowFactory(0.0), "local:1", timeout=30, batch=4)
    results = _four(backend, BAD)
    failed = results.pop(1)
    assert isinstance(failed, Outcome) and failed.failure is not None and "MlevError" in failed.failure.reason
    assert _fine(results) and backend.restarted == 0  # no retry, no worker restarted


@cluster
def test_a_timeout_in_a_dask_batch_is_charged_to_the_candidate_that_ran_past_it() -> None:
    """The second of four runs forever: it alone is failed, at its own allowance counted from when it began (not the
    first of the batch, whose clock the future's is), and the other three are answered."""
    backend = DaskBackend(SlowFactory(0.0), "local:1", timeout=3.0, batch=4)
    results = _four(backend, STUCK)
    assert sorted(results) == [0, 1, 2, 3] and backend.restarted == 1
    stuck = results.pop(1)
    assert isinstance(stuck, Outcome) and stuck.failure is not None
    assert stuck.failure.reason == "timed out after 3 s (--timeout 3)"
    assert _fine(results)


@cluster
def test_a_candidate_that_kills_its_dask_worker_fails_alone_and_its_batch_mates_are_scored() -> None:
    """A lost worker's batch is rerun (by Dask, then by the backend one candidate at a time, nothing else in flight:
    Dask fails every future a dying worker held): the one that kills every worker it runs on fails after its retry,
    the rest of its batch are answered."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):  # each death fails its future at once
        backend = DaskBackend(CrashFactory(0.0), "local:1", timeout=60, batch=4)
    results = _four(backend, CRASH, limit=240)
    assert sorted(results) == [0, 1, 2, 3]
    crashed = results.pop(1)
    assert isinstance(crashed, Outcome) and crashed.failure is not None
    assert crashed.failure.reason.startswith("the worker failed twice: ")
    assert _fine(results)


@cluster
def test_a_dask_batch_stops_at_a_candidate_out_of_memory_and_a_fresh_worker_scores_the_rest() -> None:
    big = "algorithm a\nformula f(x: Scalar) -> Scalar =\n  exp(x)\n"
    backend = DaskBackend(BrokenByMemoryFactory(0.0), "local:1", timeout=60, batch=4)
    results = _four(backend, big, limit=180)
    assert sorted(results) == [0, 1, 2, 3] and backend.restarted == 1
    failed = results.pop(1)
    assert isinstance(failed, Outcome) and failed.failure is not None and "out of memory" in failed.failure.reason
    assert _fine(results)  # none scored by the process the allocation broke


class KeyFactory:
    """Hashable by value, as a Dask worker's evaluator cache needs (``gp.dask_backend._dask_warm``)."""

    def __call__(self) -> KeyEvaluator:
        return KeyEvaluator()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KeyFactory)

    def __hash__(self) -> int:
        return 1


@cluster
def test_a_one_thread_clusters_batched_run_is_a_function_of_its_seed() -> None:
    """Batches answered one at a time, in order (``DaskBackend.ordered``): two runs, the same rows, with the
    batches' own decisions (FEC hits, followers of a candidate in flight) in them."""
    runs = [_engine_rows(DaskBackend(KeyFactory(), "local:1", timeout=60, batch=4), "regularized") for _ in range(2)]
    assert runs[0] == runs[1] and len(runs[0]) == 150
    assert {"evaluated", "cache", "fec"} <= {r[4] for r in runs[0]}


@cluster
def test_a_one_thread_clusters_batches_come_back_one_a_call_and_one_already_finished_at_once() -> None:
    """Answers handed back one future at a time, in the order sent; a future that finished before its turn is
    handed back by the next call without a wait (it waited for another to finish: half a second)."""
    import time

    backend = DaskBackend(SlowFactory(0.0), "local:1", timeout=30, batch=2)
    try:
        for job in range(4):
            backend.submit(Request(job, "evaluate", PROGRAM.format(k=job), f"key{job}"))
        assert len(backend.futures) == 2
        wait_until(lambda: all(f.status == "finished" for f in backend.futures), limit=60, step=0.01)
        first = backend.results()
        began = time.monotonic()
        second = backend.results()
        took = time.monotonic() - began
    finally:
        backend.close()
    assert ([job for job, _ in first], [job for job, _ in second]) == ([0, 1], [2, 3])
    assert took < 0.3, took


def _dask_evolve(db: Path, budget: int) -> list[str]:
    return [sys.executable, "-m", "mlevolve", "evolve", str(QUARTIC), "--init", "random", "--budget", str(budget),
            "--population", "20", "--db", str(db), "--quiet", "--dask", "local:2"]


@cluster
@pytest.mark.e2e
def test_a_batched_dask_run_killed_outright_resumes_with_every_candidate_once(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    proc = spawn(_dask_evolve(db, 1_000_000), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                 env=environment(), start_new_session=True, preexec_fn=sigint_default)
    try:
        assert wait_for_candidates(proc, db, 100)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    stored = len(archive_rows(db))
    done = run_child(_dask_evolve(db, stored + 60), capture_output=True, text=True, timeout=300,
                     env=environment())
    assert done.returncode == 0, done.stderr
    assert [r[0] for r in archive_rows(db)] == list(range(stored + 60))


@cluster
@pytest.mark.e2e
def test_ctrl_c_of_a_batched_dask_run_leaves_no_process(tmp_path: Path) -> None:
    """Ctrl-C to the whole group (as a terminal sends it) of a cheap ``--dask local:2`` run, its candidates in
    batches: status 130, one line and the resume hint, and no process of its session left (scheduler, nannies,
    workers)."""
    import psutil  # distributed's own dependency

    db = tmp_path / "c.db"
    proc = spawn(_dask_evolve(db, 1_000_000), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                 env=environment(), start_new_session=True, preexec_fn=sigint_default)
    try:
        assert wait_for_candidates(proc, db, 100)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130 and len(err.splitlines()) == 2, err

    def left() -> list[int]:
        found = []
        for p in psutil.process_iter():
            try:
                if os.getsid(p.pid) == proc.pid and p.status() != psutil.STATUS_ZOMBIE:
                    found.append(p.pid)
            except (OSError, psutil.Error):
                continue
        return found

    wait_until(lambda: not left(), limit=20, step=0.1)
    assert not left()


def test_a_finished_future_held_for_its_turn_is_not_cut_as_a_timeout() -> None:
    """On a one-thread cluster a future that finished is held until the older ones are handed back; its clock, long
    past its allowance, does not fail it (its answer is there)."""
    from mlevolve.gp.dask_backend import _Task

    class Future:  # a stand-in: the backend reads its key, and keys its tables by it
        key = "f"

    backend = DaskBackend.__new__(DaskBackend)
    backend.timeout, backend.queue = 1.0, []
    request = Request(7, "evaluate", PROGRAM.format(k=7), "key7")
    future = Future()
    backend.futures = {future: _Task([(request, False)], "t-1", started=0.0, look=0.0)}  # began long ago
    backend._finished_early = {future: ([Outcome({"fitness": 1.0})], 0.0)}
    done: list[tuple[int, Any]] = []
    backend._timeouts(done)
    assert done == [] and future in backend.futures
    backend._finished_early = {}  # not finished: cut where it runs
    backend._stop = lambda f: None  # type: ignore[method-assign]
    backend._timeouts(done)
    assert [job for job, _ in done] == [7] and not backend.futures


def test_a_future_settled_but_never_reported_is_taken_not_left_to_time_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's event loop gathers each result as its future finishes; where the worker holding it died during
    the gather, ``as_completed`` dropped the future, and its good candidate was failed at its timeout.  A future
    settled and unreported is taken directly: a finished one's answers handed back, a failed one retried."""
    import math

    from mlevolve.gp import dask_backend
    from mlevolve.gp.dask_backend import _Task

    monkeypatch.setattr(dask_backend, "STRANDED", 0.0)

    class Future:
        def __init__(self, key: str, status: str) -> None:
            self.key, self.status = key, status

        def result(self, timeout: float | None = None) -> tuple[list[Any], float]:
            if self.status == "error":
                raise RuntimeError("lost")
            return [Outcome({"fitness": 1.0})], 0.0

    backend = DaskBackend.__new__(DaskBackend)
    backend.ordered, backend.warmup, backend._swept = False, 0.0, -math.inf
    backend._settled, backend._finished_early, backend.queue, backend.suspects = {}, {}, [], []
    finished, failed, running = Future("a", "finished"), Future("b", "error"), Future("c", "pending")
    backend.futures = {f: _Task([(Request(job, "evaluate", PROGRAM.format(k=job), f"key{job}"), False)], f"t-{job}")
                       for job, f in enumerate([finished, failed, running])}
    done: list[tuple[int, Any]] = []
    backend._stranded(done)
    assert [job for job, _ in done] == [0]  # the answer handed back
    assert [(r.job, retried) for r, retried in backend.suspects] == [(1, False)]  # the failed one sent again alone
    assert list(backend.futures) == [running]




SCHEDULER_ERROR = """
import logging
from mlevolve.gp.dask_backend import DaskBackend
from tests.gp.test_parallel import SlowFactory
backend = DaskBackend(SlowFactory(0.0), "local:1", timeout=3.0, batch=4)
try:
    logging.getLogger("distributed.scheduler").error("Waited for 1 worker(s) to reconnect after restarting")
    logging.getLogger("distributed.scheduler").critical("a critical line is still said")
finally:
    backend.close()
"""


@cluster
def test_a_local_clusters_scheduler_says_nothing_on_stderr_even_at_error() -> None:
    """The scheduler runs in the coordinator: its ERROR lines (a worker restarted past a timeout that is not back in
    60 s: "Waited for 1 worker(s) to reconnect after restarting") broke the command's one-line output; a candidate's
    failure is reported as its failure, so a cluster the coordinator made logs nothing below CRITICAL.  In a child
    process: pytest's own logging leaves distributed without its stderr handler."""
    child = run_child([sys.executable, "-c", SCHEDULER_ERROR], cwd=ROOT, env=environment(PYTHONPATH=f"{ROOT}:{SRC}"),
                      capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr
    assert "reconnect" not in child.stderr
    assert "a critical line is still said" in child.stderr  # the handler does write to stderr
