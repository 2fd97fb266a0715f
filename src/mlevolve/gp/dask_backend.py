"""The Dask evaluation backend: requests as Dask futures, on a ``local:N`` cluster or an existing scheduler.

:class:`DaskBackend` is one of the evaluation backends of :mod:`mlevolve.gp.backends` (the interface, the pool,
in-process scoring and the helpers every backend shares: a request's answer, :func:`~mlevolve.gp.backends.run_request`,
its timeout, its memory limit).  This module holds what only Dask needs: the backend, the functions its workers run
(:func:`_dask_run`, :func:`_dask_warm`, :func:`_dask_progress`) and the preload hook of a ``local:N`` cluster's
workers (:func:`dask_setup`).  ``distributed`` is imported only when a backend is made, so importing this module
needs no Dask.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import signal
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mlevolve.dsl.errors import SettingError, portable_errors
from mlevolve.gp.backends import (
    Factory,
    Known,
    Request,
    Resources,
    _as_result,
    _failed,
    allowed,
    compiled_here,
    out_of_memory,
    outgoing_batch,
    run_request,
    shipped,
    timed_out,
    warmed,
    worker_notes,
)
from mlevolve.gp.serverstart import sigint_blocked as _sigint_blocked
from mlevolve.gp.serverstart import sigint_held as _sigint_held
from mlevolve.gp.wire import Decoder
from mlevolve.interpreter import compiling
from mlevolve.results import Failure


def dask_setup(worker: Any) -> None:
    """Dask's preload hook (this module is a ``--dask local:N`` worker's preload): in the worker process
    as it starts, ignore SIGINT, then unblock it (it began blocked: :class:`DaskBackend`), which drops a
    Ctrl-C that came meanwhile.  The Ctrl-C a terminal sends to the whole group is the coordinator's to
    report; the worker printed a KeyboardInterrupt traceback.  Its ``distributed`` logs below CRITICAL are
    silenced too: a worker of a cluster this process made has nothing to tell the user that the run does not
    report (a candidate's error is its failure), and a Ctrl-C while the cluster warmed up left a worker logging
    the traceback of a heartbeat to the scheduler it had just closed, after the command's last line."""
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    worker_notes(None)
    with contextlib.suppress(ValueError):  # not the main thread: it stays blocked, as good as ignored
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


NOTES = "mlevolve-compile-notes"  # the Dask event topic of workers' compile notes, said by their coordinator


def _notes_to_coordinator(worker: Any) -> None:
    """On a Dask ``worker``: its numba compile notes (:func:`~mlevolve.interpreter.compiling.announce`) go to the
    scheduler as events on :data:`NOTES`, which it hands to the coordinator that subscribed (:class:`DaskBackend`),
    where they are said as a pool worker's are (:func:`~mlevolve.interpreter.compiling.relay`: once a burst, only where
    the coordinator says its own).  Sent as the compile goes on (numba's timing thread; ``log_event`` is
    thread-safe), not with the batch's answers, which come after it."""
    worker_notes(lambda line: worker.log_event(NOTES, line))


@portable_errors  # its error crosses to the coordinator pickled as Dask pickles it
def _dask_warm(factory: Factory, limit: int | None = None, dask_worker: Any = None) -> Failure | float:
    """Build (and :func:`_warm` for the memory ``limit``) the evaluator of ``factory`` on a Dask worker, once, and
    keep it there: run by
    ``Client.run`` on every worker as the backend starts and as one restarts, so that a candidate's clock (from when
    its worker takes it) does not time the evaluator's build; else by the worker's first candidate.  The seconds its
    compiled kernels took to warm (0.0 where it was built before: :attr:`DaskBackend.warmup`), or the failure."""
    _notes_to_coordinator(dask_worker)  # here, not in dask_setup: a remote cluster's workers have no preload of ours
    cache: dict[Any, Any] = dask_worker.__dict__.setdefault("_mlevolve_evaluators", {})
    if factory in cache:  # factories are hashable by value (EvaluatorFactory)
        return 0.0
    evaluator, seconds, failure = warmed(factory, limit)
    if failure is not None:
        return failure
    cache[factory] = evaluator
    return seconds


_PROGRESS = "_mlevolve_progress"  # a Dask worker's attribute: task ident -> (request index, time.monotonic() begun)
# A task's ident: its coordinator's prefix (random: a cluster may serve several) and its number.


@portable_errors  # its error crosses to the coordinator pickled as Dask pickles it
def _dask_run(factory: Factory, requests: list[Request], limit: int | None, ident: str) -> tuple[list[Any], float]:
    """Runs on a Dask worker: a task's requests (a batch of cheap candidates, or one), answered in order as a pool
    worker answers a batch (:func:`run_request`, a fresh copy of the fingerprints per task: its first request carries
    every one, each later its delta, :func:`outgoing_batch`), the evaluator built once per worker and kept on it
    (:func:`_dask_warm`).  Before each request the worker notes the request's index and when it began under the
    task's ``ident`` (:func:`_dask_progress` reads it), so that a timeout is charged to the request that ran past it,
    not to its batch.  After a request that ran out of memory it stops (the process may be broken): the rest go
    unanswered, for the coordinator to send again.  The answers, with the seconds numba has spent compiling in the
    worker's process so far (what the coordinator's progress clock leaves out, :attr:`DaskBackend.warmup`)."""
    from distributed import get_worker

    worker = get_worker()
    if isinstance(failure := _dask_warm(factory, limit, worker), Failure):
        return [_as_result(request.method, failure) for request in requests], compiled_here()
    evaluator = worker.__dict__["_mlevolve_evaluators"][factory]
    decoder = worker.__dict__.setdefault("_mlevolve_decoder", Decoder())
    progress: dict[str, tuple[int, float]] = worker.__dict__.setdefault(_PROGRESS, {})
    known, answers = Known(), []
    try:
        for index, request in enumerate(requests):
            progress[ident] = (index, time.monotonic())
            result = run_request(evaluator, request, limit, known=known, decoder=decoder)
            answers.append(shipped(result))
            if out_of_memory(result):
                break
    finally:
        progress.pop(ident, None)
    return answers, compiled_here()


@portable_errors  # its error crosses to the coordinator pickled as Dask pickles it
def _dask_progress(idents: Sequence[str], dask_worker: Any = None) -> dict[str, tuple[int, float]]:
    """Runs in a Dask worker's event loop (``Client.run``), beside the task thread: for each task of ``idents`` the
    worker is running, the index of the request it runs and the seconds since it began it (by the worker's clock)."""
    progress: dict[str, tuple[int, float]] = dask_worker.__dict__.get(_PROGRESS, {})
    now = time.monotonic()
    running = {ident: entry for ident in idents if (entry := progress.get(ident)) is not None}  # one read each: the
    return {ident: (index, now - began) for ident, (index, began) in running.items()}  # task thread may pop it


def _relay_note(event: tuple[float, Any]) -> None:
    """A worker's compile note (:func:`_notes_to_coordinator`), said here where this process says its own: the
    client's handler of :data:`NOTES` events, ``(timestamp, line)``, run on its event loop."""
    compiling.relay(str(event[1]))


def _unreached_hint(address: str) -> str:
    """How to start a scheduler at ``address`` (on its port, where it names one), or run without one: a hint
    template of :class:`SettingError` whose ``{got}`` is the address."""
    port = address.rsplit(":", 1)[1] if re.fullmatch(r".*://.*:[0-9]+", address) else ""
    start = f"dask scheduler --port {port}" if port and port != "8786" else "dask scheduler"
    return (f"start one on that host with `{start}` and its workers with `dask worker {{got}}`, "
            "or run a cluster on this machine with {dask} local:N (N workers, 0: one per core)")


CLOCK_LOOK = 0.2  # seconds between DaskBackend's looks at where its futures run (its timeout clocks' start)
PROGRESS_TIMEOUT = 5.0  # seconds a worker may take to say which request of a batch it runs (DaskBackend._progress)
STRANDED = 2.0  # seconds a Dask future may stay settled (finished or failed) unreported before it is taken directly


@dataclass
class _Task:
    """A Dask future's work: ``requests`` (a batch of cheap candidates, or one), each with whether it is a retry;
    ``ident``, under which its worker notes the request it runs (:func:`_dask_run`); ``started``, when a worker took
    it (``time.monotonic()``, None: still waiting); ``look``, when to ask its worker next which request it runs."""

    requests: list[tuple[Request, bool]]
    ident: str
    started: float | None = None
    look: float = 0.0
    alone: bool = False  # sent with nothing else in flight (a suspect: DaskBackend._failed_task)


class DaskBackend:
    """Requests as Dask futures, on a LocalCluster (``local:N``) or an existing scheduler address.

    ``batch`` (:meth:`set_batch`, as :class:`ProcessPool`'s): the most requests one future carries, answered in order
    by one task (:func:`_dask_run`): a cheap run's candidates go :data:`~mlevolve.gp.backends.CHEAP_BATCH` a task
    (:func:`~mlevolve.gp.backends.placed`), so the
    scheduler's round trip and a ``client.submit`` are paid per batch.  A full batch is submitted at once, a partial
    one at :meth:`results`.

    A future that fails (its worker died: a candidate raises nothing, since :func:`run_request` guards it; Dask has
    already rerun a lost worker's tasks elsewhere) has its requests sent again one at a time, each alone on the
    cluster (Dask fails every future a dying worker held), so that a candidate that kills its worker is told from its
    batch-mates and neighbours: retried once alone, then failed (:meth:`_failed_task`).  A future settled but never
    reported (its result lost with its worker during the gather) is taken directly (:meth:`_stranded`).

    A request past ``timeout`` is failed as a timeout, its future cancelled and the worker running it restarted
    (through its nanny), so a stuck candidate stops computing where it runs; the rest of its batch is sent again
    (scored afresh: the same answers).

    :attr:`slots`: two futures per worker thread (:attr:`depth`; one where the cluster has one thread and one request
    goes per future, whose run is then a function of its seed, as a lone pool worker's): the second waits on its worker
    while the first runs, so the worker does not wait for the coordinator's turn between them (a ``local:N`` scheduler
    sends a worker that many: its ``worker-saturation`` is set to the depth).  A one-thread cluster's batches are
    answered one at a time, in order, as a lone batched pool worker's, so its run is a function of its seed too (the
    rows of ``InProcess(..., batch=B)``).  A future's timeout clock starts when its worker begins it: of the futures a
    worker holds, the first ``nthreads`` in submission order (Dask's own order for a client's tasks) are taken as
    running, the rest as waiting; a batch's running request, and when it began, its worker says when asked
    (:func:`_dask_progress`), once the batch has run for a request's allowance.
    """

    depth = 2  # futures in flight per worker thread (1 where the cluster has one thread and batches of one)

    def __init__(self, factory: Factory, address: str, timeout: float = Resources.timeout,
                 memory: int | None = None, batch: int = 1) -> None:
        try:
            import dask
            from distributed import Client, LocalCluster, as_completed
        except ImportError:
            raise SettingError("{dask} needs the distributed package",
                               hint="pip install 'dask[distributed]'") from None
        self.factory = factory
        self.timeout = timeout
        self.memory = memory
        self.cluster: Any = None
        self.client: Any = None  # set below; None until then (close() may run before: Ctrl-C while starting)
        self.futures: dict[Any, _Task] = {}  # in flight, in submission order (a retry: last)
        self.queue: list[tuple[Request, bool]] = []  # (request, is a retry), waiting for a batch or a free future
        self.suspects: list[tuple[Request, bool]] = []  # of failed futures: each sent again alone (_failed_task)
        self._finished_early: dict[Any, tuple[list[Any], float]] = {}  # a one-thread cluster's, held for their turn
        self._idents, self._prefix = 0, os.urandom(6).hex()  # task idents (_dask_run): this coordinator's own
        self._settled: dict[Any, float] = {}  # futures seen settled but not reported: since when (time.monotonic())
        self._swept = -math.inf  # when _stranded last looked
        if address.startswith("local:"):
            n = int(address.split(":", 1)[1] or 0) or os.cpu_count() or 1
            # Ctrl-C goes to the whole process group; it is this process's to report.  The workers start
            # with SIGINT blocked (the cluster's threads, which start them, are started with it blocked),
            # and their preload (dask_setup) ignores it; this process keeps its own handler, and a Ctrl-C
            # while the cluster starts is held until it has started, then stops the run (and closes it).
            # No dashboard: a run has no use for one.  The scheduler's HTTP server (health and metrics
            # routes) starts anyway, on 8787 unless told: a free loopback port (a taken 8787 printed a warning).
            # Its logs below CRITICAL stay silent: on a loaded machine "event loop was unresponsive" warnings broke
            # the run's output (one line on Ctrl-C), and so did the scheduler's ERROR line when a worker restarted
            # past a candidate's timeout took over 60 s to come back; what fails a candidate is its failure.
            try:
                with _sigint_held():
                    saturation = {"distributed.scheduler.worker-saturation": self.depth}  # futures a worker holds
                    with _sigint_blocked(), dask.config.set(saturation):
                        self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                                    host="127.0.0.1", dashboard_address=None, preload=[__name__],
                                                    silence_logs=logging.CRITICAL,
                                                    scheduler_kwargs={"dashboard": False,
                                                                      "dashboard_address": "127.0.0.1:0"})
                    self.client = Client(self.cluster)
            except KeyboardInterrupt:
                self.close()
                raise
        else:
            try:
                self.client = Client(address, timeout=30)
            except Exception as err:  # a connect's failure, whatever its kind: a MemoryError is no run's memory
                why = str(err) if isinstance(err, OSError) else f"{type(err).__name__}: {err}"
                raise SettingError("{dask}: no Dask scheduler could be reached at {got} ({why})",
                                   hint=_unreached_hint(address), got=address, why=why) from None
        self.client.subscribe_topic(NOTES, _relay_note)  # before _warm: its compiles are the first said
        self.threads: dict[str, int] = {}  # worker address -> its threads (:meth:`_warm` reads them)
        self._completed = as_completed(loop=self.client.loop, with_results=True, raise_errors=False)
        self._looked = -math.inf  # when _clock last asked the scheduler where futures run (time.monotonic())
        self.restarted = 0
        self.warmup = 0.0  # the longest a worker took to warm its compiled kernels (:func:`_warm`), in seconds
        self._warm()
        self.set_batch(batch)

    def set_batch(self, batch: int) -> None:
        """Send up to ``batch`` requests per future (before the first request only); sets :attr:`depth` and
        :attr:`slots` (the requests in flight at most: futures per thread times the batch), as
        :meth:`ProcessPool.set_batch` does for a pool's workers."""
        threads = sum(self.threads.values())
        self.batch = max(1, batch)
        self.ordered = threads <= 1  # one thread: answers handed back one future at a time, in submission order
        self.depth = 1 if self.ordered and self.batch == 1 else DaskBackend.depth
        self.tasks = max(1, threads) * self.depth  # futures in flight at most
        self.slots = self.tasks * self.batch

    def _warm(self, restarted: Sequence[str] | None = None) -> None:
        """Build the run's evaluator on every worker that lacks it, before it takes a candidate (:func:`_dask_warm`);
        a worker that cannot is left to report it with its first candidate's failure.  Keeps the longest a worker took
        to warm its compiled kernels in :attr:`warmup`, as :class:`ProcessPool` does (the first progress line's note).
        Every worker is asked at the start; after a restart only the ``restarted`` addresses and workers not seen
        before (a restarted one may come back at another address): a worker that holds its event loop (a candidate
        that keeps the GIL) would hold this call, which has no timeout (a cold build compiles for minutes), and so
        the coordinator with it.
        """
        ask: list[str] | None = None
        if restarted is not None:
            with _sigint_held():
                ask = [address for address in self.client.scheduler_info()["workers"]
                       if address in restarted or address not in self.threads]
        if ask is None or ask:
            with _sigint_held(), contextlib.suppress(Exception):  # as in _restart: not inside distributed's sync()
                took = self.client.run(_dask_warm, self.factory, self.memory, workers=ask)
                self.warmup = max([self.warmup, *(t for t in took.values() if isinstance(t, float))])
        with _sigint_held():
            workers = self.client.scheduler_info()["workers"]
        self.threads = {address: max(1, int(w.get("nthreads", 1))) for address, w in workers.items()}

    def submit(self, request: Request) -> None:
        self.queue.append((request, False))
        if len(self.queue) >= self.batch:  # a full batch goes at once; a partial one at results()
            self._dispatch(partial=False)

    def _dispatch(self, partial: bool = True) -> None:
        """Submit queued requests, a batch per future, while fewer than :attr:`tasks` futures are in flight; a
        partial batch only if ``partial``.  While there are suspects (:meth:`_failed_task`), none: each suspect goes
        alone, once nothing else is in flight."""
        if self.suspects:
            if not self.futures:
                self._send([self.suspects.pop(0)], alone=True)
            return
        while self.queue and len(self.futures) < self.tasks and (partial or len(self.queue) >= self.batch):
            take, self.queue = self.queue[:self.batch], self.queue[self.batch:]
            self._send(take)

    def _send(self, take: list[tuple[Request, bool]], alone: bool = False) -> None:
        """Submit one future for the requests of ``take`` (``alone``: a suspect, nothing else in flight): each
        request's fingerprint delta follows the one before it (:func:`outgoing_batch`), the first's from none (a task
        may run on any worker)."""
        self._idents += 1
        ident = f"{self._prefix}-{self._idents}"
        messages, _ = outgoing_batch([request for request, _ in take], 0)
        future = self.client.submit(_dask_run, self.factory, messages, self.memory, ident, pure=False)
        self.futures[future] = _Task(take, ident, alone=alone)
        self._completed.add(future)  # its result comes back with it, gathered by the client's event loop

    def _finished(self, step: float) -> list[tuple[Any, Any]]:
        """The futures finished since the last call, each with its result (a failed one's: its exception's
        ``(type, value, traceback)``), waiting up to ``step`` seconds for one.  Results are gathered by the client's
        own event loop as futures finish (``as_completed(with_results=True)``), not one blocking call each from this
        thread (10 ms a call on a loaded 2-core machine: a third of the wall time of 20 ms evaluations)."""
        completed = self._completed
        with completed.thread_condition:  # notified as each finishes (checked under it: none is missed)
            if not completed.has_ready():
                completed.thread_condition.wait(timeout=step)
        return list(completed.next_batch(block=False))

    def _where(self) -> dict[Any, str]:
        """The worker address of every task a worker has taken."""
        with _sigint_held():  # as in results(): not inside distributed's sync()
            processing = self.client.processing()
        return {key: address for address, keys in processing.items() for key in keys}

    def _clock(self) -> None:
        """Start the timeout clock of futures a worker has begun since the last look: of those a worker holds, the
        first as many as it has threads, in submission order (time spent waiting for a worker, say one being
        restarted, or behind another future on its worker, does not count against a candidate).  The scheduler is
        asked at most every :data:`CLOCK_LOOK` seconds (a blocking round trip), so a clock may start that much late."""
        now = time.monotonic()
        if now - self._looked < CLOCK_LOOK or all(task.started is not None for task in self.futures.values()):
            return
        self._looked = now
        where = self._where()
        running: Counter[str] = Counter()
        for future, task in self.futures.items():  # in submission order (a retry: last)
            address = where.get(future.key)
            if address is None:
                continue
            running[address] += 1
            if task.started is None and running[address] <= self.threads.get(address, 1):
                task.started = now
                task.look = now + allowed(task.requests[0][0], self.timeout)

    def _stop(self, future: Any) -> None:
        """Cancel a running future and restart the worker computing it (cancelling alone leaves a
        running task computing until it returns)."""
        address = self._where().get(future.key)
        future.cancel()
        self._restart([address] if address is not None else [])

    def _restart(self, addresses: list[str]) -> None:
        """Restart the workers at ``addresses`` (through their nannies)."""
        if addresses:
            where = self._where()  # what else those workers held starts its clock again where it is run next
            for future, task in self.futures.items():
                if where.get(future.key) in addresses:
                    task.started = None
            # Ctrl-C is held to the end of the restart, as in results(): not inside distributed's sync()
            with _sigint_held(), contextlib.suppress(Exception):  # a worker without a nanny cannot be restarted
                self.client.restart_workers(addresses, timeout=60, raise_for_error=False)
                self.restarted += len(addresses)
            self._warm(addresses)

    def _answered(self, future: Any, task: _Task, answers: list[Any], done: list[tuple[int, Any]]) -> None:
        """Hand back a finished task's ``answers`` (in order); where it stopped short (a request ran out of memory),
        restart its worker, which may be left broken, and send the rest again."""
        done.extend((request.job, answer) for (request, _), answer in zip(task.requests, answers, strict=False))
        if answers and out_of_memory(answers[-1]):  # restarted, as past a timeout
            self.queue[:0] = task.requests[len(answers):]
            addresses = list(self.client.who_has([future]).get(future.key, ()))
            future.cancel()  # else the scheduler recomputes its result, lost with the worker, on the fresh one
            self._restart(addresses)

    def _failed_task(self, task: _Task, result: Any, done: list[tuple[int, Any]]) -> None:
        """A future that failed (its worker died on it, as often as Dask allows): its requests are suspects, each
        sent again alone (:meth:`_dispatch`), since Dask fails every future its dying worker held, a batch's
        candidates and a neighbour waiting behind it alike; one that fails alone is the one that killed its worker,
        retried once, then failed."""
        if not task.alone:
            self.suspects += task.requests
            return
        ((request, retried),) = task.requests
        if retried:
            why = result[1] if isinstance(result, tuple) and len(result) == 3 else result
            done.append((request.job, _failed(request, f"the worker failed twice: {why}")))
        else:
            self.suspects.insert(0, (request, True))

    def _timeouts(self, done: list[tuple[int, Any]]) -> None:
        """Fail the requests past their allowance (:func:`allowed`) where they run, each charged alone: a lone
        request's clock is its future's; a batch's worker is asked which request it runs and since when, once the
        batch has run for that request's allowance.  The rest of a cut batch is sent again.  A worker that does not
        answer within :data:`PROGRESS_TIMEOUT` (its event loop held: a candidate in C code that keeps the GIL) cannot
        say which request ran past: its batch is cut and each of its requests sent again alone (as a failed future's,
        :meth:`_failed_task`), where its own future's clock charges the one that runs past."""
        now = time.monotonic()
        due = [(future, task) for future, task in self.futures.items()
               if task.started is not None and now > task.look and future not in self._finished_early]
        if not due:
            return
        where = self._where() if any(len(task.requests) > 1 for _, task in due) else {}
        batches = {task.ident: where[future.key] for future, task in due
                   if len(task.requests) > 1 and future.key in where}
        progress, silent = self._progress(batches)
        for future, task in due:
            if batches.get(task.ident) in silent:
                self.futures.pop(future)
                self._stop(future)
                self.suspects += task.requests
                continue
            began = task.started if task.started is not None else now
            said = progress.get(task.ident) if len(task.requests) > 1 else (0, now - began)
            if said is None:  # not running where the scheduler said (finished meanwhile, or still waiting)
                task.look = now + CLOCK_LOOK
                continue
            index, spent = said
            request = task.requests[index][0]
            limit = allowed(request, self.timeout)
            if spent <= limit:  # the request it runs began since: looked at again when it may have run past
                task.look = now + max(limit - spent, CLOCK_LOOK)
                continue
            self.futures.pop(future)
            self._stop(future)
            done.append((request.job, timed_out(request, self.timeout)))
            self.queue[:0] = task.requests[:index] + task.requests[index + 1:]

    def _progress(self, batches: dict[str, str]) -> tuple[dict[str, tuple[int, float]], set[str]]:
        """What the workers say of the batches they run (``batches``: ident -> worker address), each worker asked
        apart (:func:`_dask_progress`) for at most :data:`PROGRESS_TIMEOUT` seconds, so that one that does not answer
        holds the coordinator no longer than that; and the addresses of the workers that did not answer in time.  A
        worker that answers with an error (gone meanwhile) says nothing: its batches are looked at again later."""
        progress: dict[str, tuple[int, float]] = {}
        silent: set[str] = set()
        for address in dict.fromkeys(batches.values()):
            idents = [ident for ident, at in batches.items() if at == address]
            with _sigint_held():  # as in _restart: not inside distributed's sync()
                try:
                    said = self.client.run(_dask_progress, idents, workers=[address], on_error="return",
                                           callback_timeout=PROGRESS_TIMEOUT)
                except TimeoutError:
                    silent.add(address)
                    continue
                except Exception:  # the scheduler's own trouble: no word this time
                    continue
            progress.update(entry for answer in said.values() if isinstance(answer, dict) for entry in answer.items())
        return progress, silent

    def results(self, timeout: float | None = None) -> list[tuple[int, Any]]:
        self._dispatch()
        if not self.futures:
            return []
        step = 0.5 if timeout is None else min(timeout, 0.5)
        done: list[tuple[int, Any]] = []
        while not done:
            # Ctrl-C is held to the end of the wait (half a second at most), and of what follows (who_has, submit):
            # one that landed inside distributed's sync() made it log a NameError traceback from its event loop.
            with _sigint_held():
                self._hand_back(done)  # one that finished before its turn (a one-thread cluster's): no wait for it
                for future, result in [] if done else self._finished(step):
                    self._settled.pop(future, None)
                    if future not in self.futures or future in self._finished_early:  # answered so already: cut past
                        continue  # its timeout here, or taken by _stranded
                    if future.status != "finished":
                        self._failed_task(self.futures.pop(future), result, done)
                    else:
                        self._finished_early[future] = result
                self._hand_back(done)
            self._clock()
            self._stranded(done)
            self._timeouts(done)
            self._dispatch()
            if timeout is not None:
                break
        return done

    def _stranded(self, done: list[tuple[int, Any]]) -> None:
        """Take the futures that settled (finished or failed) but were never reported, :data:`STRANDED` seconds on:
        the client's event loop gathers a result as a future finishes, and where the worker holding it died
        meanwhile the gather raised and ``as_completed`` dropped the future, which then stayed in flight until its
        timeout failed a good candidate (seen with a worker killed beside a batch's future)."""
        now = time.monotonic()
        if now - self._swept < CLOCK_LOOK:
            return
        self._swept = now
        for future in list(self.futures):
            if future.status not in ("finished", "error") or future in self._finished_early:
                self._settled.pop(future, None)
                continue
            if now - self._settled.setdefault(future, now) < STRANDED:
                continue
            del self._settled[future]
            with _sigint_held():  # as in results(): not inside distributed's sync()
                try:
                    self._finished_early[future] = future.result(timeout=STRANDED)
                except Exception as error:  # failed, or lost again: retried (_failed_task)
                    self._failed_task(self.futures.pop(future), error, done)
        self._hand_back(done)

    def _hand_back(self, done: list[tuple[int, Any]]) -> None:
        """Hand back the answers of finished futures: every one, or on a one-thread cluster (:attr:`ordered`) the
        oldest in flight's alone, once it has finished, and none where ``done`` holds answers already, as a lone pool
        worker's replies come (one a call)."""
        if self.ordered and done:
            return
        for future in list(self.futures) if not self.ordered else list(self.futures)[:1]:
            if future in self._finished_early:
                answers, compiled = self._finished_early.pop(future)  # _dask_run's
                self.warmup = max(self.warmup, compiled)
                self._answered(future, self.futures.pop(future), answers, done)

    def wait_ready(self) -> None:
        """Ready once made: the client has connected to its cluster, whose workers build their evaluators on their
        first request."""

    def close(self, interrupted: bool = False) -> None:
        for future in self.futures:
            future.cancel()
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
