"""Evaluation backends: where candidates are scored, behind one small interface.

A backend runs *requests* — ``("fingerprint" | "evaluate" | "quick", program text, key)`` — on an
evaluator it builds itself from a picklable factory, and hands back results as they finish:

- :class:`InProcess` runs each request at once, in this process (deterministic; the default).
- :class:`ProcessPool` keeps one worker process per slot (default: one per core).  A request that
  outlives ``timeout`` is cut where it runs: its worker is killed and replaced, and the request
  fails as a timeout.  A worker that dies mid-request is replaced and the request retried once,
  then failed.
- :class:`DaskBackend` submits requests to a Dask cluster: a LocalCluster on loopback
  (``local:N``) or an existing scheduler (``tcp://HOST:PORT``).  Timeouts are enforced by the
  training loops' own time budget and, past a grace period, by restarting the worker.

Only the coordinator (the engine) writes the archive; backends return results, nothing else.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol

from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.parse import parse
from mlevolve.results import Failure, Outcome

Factory = Callable[[], Any]  # builds an evaluator (fingerprint/evaluate) inside a worker


@dataclass(frozen=True)
class Request:
    """One unit of work: ``method`` is fingerprint, evaluate or quick (the hurdle's short training)."""

    job: int
    method: str
    program: str
    key: str


def run_request(evaluator: Any, request: Request) -> Any:
    """Execute a request on an evaluator (in whichever process holds it)."""
    program = parse(request.program)
    if request.method == "fingerprint":
        return evaluator.fingerprint(program, request.key)
    return evaluator.evaluate(program, request.key, quick=request.method == "quick")


def _failed(request: Request, reason: str) -> Any:
    failure = Failure(reason, "worker")
    return (None, failure) if request.method == "fingerprint" else Outcome({}, failure)


class Backend(Protocol):
    slots: int

    def submit(self, request: Request) -> None: ...
    def results(self, timeout: float | None = None) -> list[tuple[int, Any]]: ...
    def close(self) -> None: ...


class InProcess:
    """Run each request immediately in this process."""

    slots = 1

    def __init__(self, factory: Factory) -> None:
        self.evaluator = factory()
        self._done: list[tuple[int, Any]] = []

    def submit(self, request: Request) -> None:
        self._done.append((request.job, run_request(self.evaluator, request)))

    def results(self, timeout: float | None = None) -> list[tuple[int, Any]]:
        done, self._done = self._done, []
        return done

    def close(self) -> None:
        """Nothing to release: the evaluator lives in this process."""


# ------------------------------------------------------------------------------------ process pool
def _worker_main(factory: Factory, conn: Connection) -> None:
    """A worker process: build the evaluator once, then answer requests until told to stop."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    evaluator = factory()
    conn.send(("ready", None))
    while True:
        request = conn.recv()
        if request is None:
            return
        conn.send((request.job, run_request(evaluator, request)))


@dataclass
class _Worker:
    process: Any
    conn: Connection
    request: Request | None = None
    started: float = 0.0
    retried: bool = False


class ProcessPool:
    """Worker processes with hard per-request timeouts and replacement of dead workers."""

    def __init__(self, factory: Factory, workers: int = 0, timeout: float = 300.0) -> None:
        self.factory = factory
        self.slots = workers or os.cpu_count() or 1
        self.timeout = timeout
        self.context = mp.get_context("spawn")
        self.workers = [self._start() for _ in range(self.slots)]
        self.queue: list[tuple[Request, bool]] = []  # (request, is a retry)
        self.done: list[tuple[int, Any]] = []
        self.replaced = 0

    def _start(self) -> _Worker:
        parent, child = self.context.Pipe()
        process = self.context.Process(target=_worker_main, args=(self.factory, child), daemon=True)
        process.start()
        child.close()
        if not parent.poll(120) or parent.recv()[0] != "ready":
            process.kill()
            raise MlevError("a worker process failed to start", hint="check that the task loads in this process")
        return _Worker(process, parent)

    def _replace(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(5)
        worker.conn.close()
        self.workers[self.workers.index(worker)] = self._start()
        self.replaced += 1

    def _dispatch(self) -> None:
        for worker in self.workers:
            if worker.request is None and self.queue:
                request, retried = self.queue.pop(0)
                try:
                    worker.conn.send(request)
                except (BrokenPipeError, OSError):
                    self.queue.insert(0, (request, retried))
                    self._replace(worker)
                    continue
                worker.request, worker.started, worker.retried = request, time.monotonic(), retried

    def submit(self, request: Request) -> None:
        self.queue.append((request, False))
        self._dispatch()

    def results(self, timeout: float | None = None) -> list[tuple[int, Any]]:
        """Wait (up to ``timeout`` s) for at least one result; also enforce timeouts and faults."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done:
            busy = [w for w in self.workers if w.request is not None]
            if not busy:
                break
            soonest = min(w.started + self.timeout for w in busy)
            wait_for = soonest - time.monotonic()
            if deadline is not None:
                wait_for = min(wait_for, deadline - time.monotonic())
            ready = wait([w.conn for w in busy], timeout=max(0.0, wait_for))
            for worker in busy:
                if worker.conn in ready:
                    self._collect(worker)
                elif time.monotonic() - worker.started > self.timeout:
                    assert worker.request is not None
                    self.done.append((worker.request.job, _failed(worker.request, f"timeout after {self.timeout:g} s")))
                    worker.request = None
                    self._replace(worker)
            self._dispatch()
            if deadline is not None and time.monotonic() >= deadline:
                break
        done, self.done = self.done, []
        return done

    def _collect(self, worker: _Worker) -> None:
        request = worker.request
        assert request is not None
        try:
            job, result = worker.conn.recv()
        except (EOFError, OSError):  # the worker died mid-request
            worker.request = None
            self._replace(worker)
            if worker.retried:
                self.done.append((request.job, _failed(request, "the worker died twice on this candidate")))
            else:
                self.queue.insert(0, (request, True))
            return
        worker.request = None
        self.done.append((job, result))

    def close(self) -> None:
        for worker in self.workers:
            with contextlib.suppress(BrokenPipeError, OSError):
                worker.conn.send(None)
        for worker in self.workers:
            worker.process.join(2)
            if worker.process.is_alive():
                worker.process.kill()


# ---------------------------------------------------------------------------------------------- dask
def _dask_run(factory: Factory, request: Request) -> Any:
    """Runs on a Dask worker: the evaluator is built once per worker and kept on it."""
    from distributed import get_worker

    worker = get_worker()
    cache: dict[Any, Any] = worker.__dict__.setdefault("_mlevolve_evaluators", {})
    if factory not in cache:  # factories are hashable by value (EvaluatorFactory)
        cache[factory] = factory()
    return run_request(cache[factory], request)


class DaskBackend:
    """Requests as Dask futures, on a LocalCluster (``local:N``) or an existing scheduler address."""

    def __init__(self, factory: Factory, address: str, timeout: float = 300.0) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise MlevError("--dask needs the distributed package",
                            hint="pip install 'dask[distributed]'") from None
        self.factory = factory
        self.timeout = timeout
        self.cluster = None
        if address.startswith("local:"):
            n = int(address.split(":", 1)[1] or 0) or os.cpu_count() or 1
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                        dashboard_address=None)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(address, timeout=30)
            except OSError as err:
                raise MlevError(f"cannot reach the Dask scheduler at {address}: {err}") from None
        self.slots = max(1, sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()))
        self.futures: dict[Any, tuple[Request, float, bool]] = {}

    def submit(self, request: Request, retried: bool = False) -> None:
        future = self.client.submit(_dask_run, self.factory, request, pure=False)
        self.futures[future] = (request, time.monotonic(), retried)

    def results(self, timeout: float | None = None) -> list[tuple[int, Any]]:
        from distributed import wait as dask_wait

        if not self.futures:
            return []
        step = 0.5 if timeout is None else min(timeout, 0.5)
        done: list[tuple[int, Any]] = []
        while not done:
            try:
                finished = dask_wait(list(self.futures), timeout=step, return_when="FIRST_COMPLETED").done
            except TimeoutError:  # distributed's wait raises when nothing finished in time
                finished = set()
            for future in finished:
                request, _, retried = self.futures.pop(future)
                if future.status == "finished":
                    done.append((request.job, future.result()))
                elif retried:
                    done.append((request.job, _failed(request, f"the worker failed twice: {future.exception()}")))
                else:
                    self.submit(request, retried=True)
            now = time.monotonic()
            for future, (request, started, _) in list(self.futures.items()):
                if now - started > self.timeout * 1.5:  # the loop's own budget should have ended it
                    self.futures.pop(future)
                    future.cancel()
                    done.append((request.job, _failed(request, f"timeout after {self.timeout:g} s")))
            if timeout is not None:
                break
        return done

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_backend(factory: Factory, workers: int = 1, dask: str | None = None, timeout: float = 300.0) -> Backend:
    """``dask`` (``local:N`` or ``tcp://...``) wins; else a process pool for ``workers`` > 1; else in process."""
    if dask:
        return DaskBackend(factory, dask, timeout)
    if workers > 1 or workers == 0:
        return ProcessPool(factory, workers, timeout)
    return InProcess(factory)
