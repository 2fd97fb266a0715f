"""Dask: a progress query that cannot hold the coordinator, and workers' compile notes said by the coordinator as a
pool's are."""

from __future__ import annotations

import math
import sys
import time
from types import SimpleNamespace
from typing import Any

import pytest

from mlevolve.gp import dask_backend
from mlevolve.gp.backends import ProcessPool, Request
from mlevolve.gp.dask_backend import DaskBackend, _Task
from mlevolve.interpreter import compiling
from mlevolve.results import Outcome
from tests.conftest import wait_until
from tests.gp.test_parallel import PROGRAM, SlowEvaluator, SlowFactory, _drain

cluster = pytest.mark.slow  # each such test starts a Dask cluster: seconds


@pytest.fixture(autouse=True)
def _distributed() -> None:
    pytest.importorskip("distributed")


# ------------------------------------------------------------------------------------------------ the progress query
def _batch_backend(run: Any) -> tuple[DaskBackend, Any, list[str]]:
    """A backend (no cluster) holding one batch of three requests begun long ago on worker ``tcp://w1``, whose
    client's ``run`` is ``run``; the calls its worker restarts make."""
    calls: list[str] = []

    class Future:
        key = "f"

        def cancel(self) -> None:
            calls.append("cancelled")

    backend = DaskBackend.__new__(DaskBackend)
    backend.timeout, backend.queue, backend.suspects, backend._finished_early = 1.0, [], [], {}
    backend.restarted, backend._looked = 0, -math.inf
    future = Future()
    backend.client = SimpleNamespace(
        processing=lambda: {"tcp://w1": ["f"]}, run=run,
        restart_workers=lambda addresses, **kwargs: calls.append("restarted " + ",".join(addresses)))
    backend._warm = lambda restarted=None: None  # type: ignore[method-assign]
    requests = [(Request(job, "evaluate", PROGRAM.format(k=job), f"key{job}"), False) for job in range(3)]
    backend.futures = {future: _Task(requests, "t-1", started=0.0, look=0.0)}
    return backend, future, calls


def test_a_worker_that_does_not_say_what_it_runs_cannot_hold_the_coordinator(monkeypatch: pytest.MonkeyPatch) -> None:
    """The progress query (``Client.run``) had no timeout: a worker whose event loop is held (a candidate in C code
    that keeps the GIL) held the coordinator with it.  It is asked for at most PROGRESS_TIMEOUT seconds; its batch is
    then cut and each request sent again alone, where its own clock charges the one that runs past."""
    monkeypatch.setattr(dask_backend, "PROGRESS_TIMEOUT", 0.3)
    asked: list[dict[str, Any]] = []

    def run(function: Any, idents: list[str], **kwargs: Any) -> dict[str, Any]:
        asked.append({"idents": idents, **kwargs})
        time.sleep(kwargs["callback_timeout"])  # as distributed's sync() does at its callback_timeout
        raise TimeoutError

    backend, _, calls = _batch_backend(run)
    done: list[tuple[int, Any]] = []
    started = time.monotonic()
    backend._timeouts(done)
    assert time.monotonic() - started < 5
    assert asked == [{"idents": ["t-1"], "workers": ["tcp://w1"], "on_error": "return", "callback_timeout": 0.3}]
    assert done == [] and not backend.futures and calls == ["cancelled", "restarted tcp://w1"]
    assert [(request.job, retried) for request, retried in backend.suspects] == [(0, False), (1, False), (2, False)]


def test_a_worker_that_says_what_it_runs_has_that_request_charged() -> None:
    """The same query answered: the request past its allowance is failed, the rest of its batch sent again."""
    backend, _, calls = _batch_backend(lambda function, idents, **kwargs: {"tcp://w1": {"t-1": (1, 5.0)}})
    done: list[tuple[int, Any]] = []
    backend._timeouts(done)
    assert [job for job, _ in done] == [1] and calls == ["cancelled", "restarted tcp://w1"]
    assert [request.job for request, _ in backend.queue] == [0, 2] and backend.suspects == []


def test_a_worker_gone_meanwhile_says_nothing_and_is_asked_again_later() -> None:
    backend, future, calls = _batch_backend(lambda function, idents, **kwargs: {"tcp://w1": OSError("gone")})
    done: list[tuple[int, Any]] = []
    backend._timeouts(done)
    assert done == [] and calls == [] and future in backend.futures and backend.futures[future].look > 0


def test_after_a_restart_only_the_restarted_and_new_workers_are_warmed() -> None:
    """Warming asked every worker (``Client.run``, no timeout: a cold build compiles for minutes), so a worker holding
    its event loop beside the restarted one held the coordinator too; now the restarted address and workers not seen
    before are asked."""
    asked: list[Any] = []

    def run(function: Any, factory: Any, memory: Any, workers: list[str] | None = None) -> dict[str, float]:
        asked.append(workers)
        return dict.fromkeys(workers or ["tcp://held", "tcp://w1", "tcp://new"], 0.0)

    info = {"workers": {address: {"nthreads": 1} for address in ("tcp://held", "tcp://w1", "tcp://new")}}
    backend = DaskBackend.__new__(DaskBackend)
    backend.factory, backend.memory, backend.warmup = SlowFactory(0.0), None, 0.0
    backend.client = SimpleNamespace(run=run, scheduler_info=lambda: info)
    backend._warm()
    backend.threads = {"tcp://held": 1, "tcp://w1": 1}  # as before tcp://new joined
    backend._warm(["tcp://w1"])
    assert asked == [None, ["tcp://w1", "tcp://new"]]
    assert backend.threads == {"tcp://held": 1, "tcp://w1": 1, "tcp://new": 1}


class GilHoldingEvaluator(SlowEvaluator):
    """Holds the GIL for 60 s (``ctypes.PyDLL``: libc's sleep without releasing it) on a program with ``k = 7``: the
    worker's event loop cannot answer anything meanwhile."""

    def evaluate(self, program: object, key: str, quick: bool = False) -> Outcome:
        if key == "hold":
            import ctypes

            ctypes.PyDLL(None).sleep(60)
        return super().evaluate(program, key, quick)


class GilHoldingFactory(SlowFactory):
    def __call__(self) -> GilHoldingEvaluator:
        return GilHoldingEvaluator(self.delay)


@cluster
def test_a_candidate_that_holds_its_worker_s_gil_fails_alone_and_its_batch_mates_are_scored() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("libc's sleep through ctypes.PyDLL(None)")
    backend = DaskBackend(GilHoldingFactory(0.0), "local:1", timeout=2.0, batch=4)
    started = time.monotonic()
    try:
        for job, key in enumerate(["k0", "hold", "k2", "k3"]):
            backend.submit(Request(job, "evaluate", PROGRAM.format(k=job), key))
        results = _drain(backend, 4, limit=55)
    finally:
        backend.close()
    assert time.monotonic() - started < 55  # not the 60 s the candidate holds its worker, nor twice that
    assert sorted(results) == [0, 1, 2, 3]
    failure = results[1].failure  # type: ignore[attr-defined]
    assert failure is not None and "time" in failure.reason
    assert all(results[job].failure is None for job in (0, 2, 3))  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------------- compile notes
class NotingEvaluator(SlowEvaluator):
    """Says a compile note on each candidate (as numba's timing thread does where a kernel compiles)."""

    def evaluate(self, program: object, key: str, quick: bool = False) -> Outcome:
        compiling._line(compiling.note(f"cache-{key}"))
        return super().evaluate(program, key, quick)


class NotingFactory(SlowFactory):
    def __call__(self) -> NotingEvaluator:
        return NotingEvaluator(self.delay)


@cluster
@pytest.mark.parametrize("where", ["pool", "dask"])
def test_a_worker_s_compile_notes_are_said_by_its_coordinator_once_a_burst(
        where: str, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Dask workers' cold-cache compiles were silent where a pool worker's were said: each now says its note to the
    coordinator (a Dask event), which says it where it says its own, once a burst (``compiling.relay``)."""
    monkeypatch.setattr(compiling._State, "said", None)  # no line said yet in this process (the other case's)
    monkeypatch.setattr(compiling._State, "lines", 0)  # nor counted: this run's first burst, not "again"
    previous = compiling.announce(True)
    try:
        backend: Any = (ProcessPool(NotingFactory(0.0), workers=1, timeout=30) if where == "pool"
                        else DaskBackend(NotingFactory(0.0), "local:1", timeout=30))
        try:
            for job in range(2):
                backend.submit(Request(job, "evaluate", PROGRAM.format(k=job), f"k{job}"))
            assert sorted(_drain(backend, 2)) == [0, 1]
            said: list[str] = []
            wait_until(lambda: bool(said.extend(capfd.readouterr().err.splitlines()) or said), limit=10, step=0.1)
        finally:
            backend.close()
    finally:
        compiling.announce(previous)
    said += capfd.readouterr().err.splitlines()
    assert said == [compiling.note("cache-k0")]  # the second, within REPEAT_AFTER: the same burst


@cluster
def test_a_dask_worker_s_notes_are_not_said_where_its_coordinator_says_none(capfd: pytest.CaptureFixture[str]) -> None:
    previous = compiling.announce(False)
    try:
        backend = DaskBackend(NotingFactory(0.0), "local:1", timeout=30)
        try:
            backend.submit(Request(0, "evaluate", PROGRAM.format(k=0), "k0"))
            assert list(_drain(backend, 1)) == [0]
            time.sleep(1.0)  # room for an event to come
        finally:
            backend.close()
    finally:
        compiling.announce(previous)
    assert "compiling" not in capfd.readouterr().err
