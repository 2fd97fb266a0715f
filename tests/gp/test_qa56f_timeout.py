"""qa56f: a candidate's timeout clock times the candidate, not its worker's start.  A worker builds its evaluator
and imports what a first candidate would import lazily (PyTorch's compiler stack, about a second) before it takes
a candidate: with ``--timeout 1`` a fresh run's first candidates, which train in about 1.3 s on a loaded machine,
were cut at "timeout after 2 s".  Every backend: the process pool, Dask (the evaluator is built on each worker as
the backend starts) and in process (no hard timeout; the imports happen outside the memory limit)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from mlevolve.gp.backends import DaskBackend, ProcessPool, Request, worker_modules
from mlevolve.results import Outcome
from tests.gp.test_parallel import PROGRAM, STUCK, SlowEvaluator, _drain

START = 2.5  # seconds a worker takes to build its evaluator: past the 1 s timeout


class SlowStartEvaluator(SlowEvaluator):
    cheap = True  # nothing heavy to import: the start is the factory's sleep


class SlowStartFactory:
    """Builds a :class:`SlowStartEvaluator` (``delay`` s per candidate) after sleeping ``START`` s."""

    def __init__(self, delay: float) -> None:
        self.delay = delay

    def __call__(self) -> SlowStartEvaluator:
        time.sleep(START)
        return SlowStartEvaluator(self.delay)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SlowStartFactory) and other.delay == self.delay

    def __hash__(self) -> int:
        return hash(("slow start", self.delay))


def _backend(kind: str) -> object:
    if kind == "dask":
        pytest.importorskip("distributed")
        return DaskBackend(SlowStartFactory(0.2), "local:1", timeout=1.0)
    return ProcessPool(SlowStartFactory(0.2), workers=1, timeout=1.0)


@pytest.mark.parametrize("kind", ["pool", "dask"])
def test_a_workers_start_is_not_charged_to_its_first_candidates(kind: str) -> None:
    backend = _backend(kind)
    try:
        for job in range(2):
            backend.submit(Request(job, "evaluate", PROGRAM.format(k=job + 1), f"k{job}"))  # type: ignore[attr-defined]
        backend.submit(Request(2, "evaluate", STUCK, "stuck"))  # type: ignore[attr-defined]
        results = _drain(backend, 3, limit=120)
    finally:
        backend.close()  # type: ignore[attr-defined]
    for job in range(2):
        outcome = results[job]
        assert isinstance(outcome, Outcome) and outcome.failure is None, outcome
    stuck = results[2]  # a candidate that never ends is still cut at its own timeout
    assert isinstance(stuck, Outcome) and stuck.failure is not None
    assert stuck.failure.reason == "timed out after 1 s (--timeout 1)"


def test_a_network_runs_worker_imports_what_a_first_probe_would_before_it_is_ready() -> None:
    """What a model's first probe imported lazily (torch._dynamo) is among what a worker imports before it takes
    a candidate (the fork server's preload, and the worker's own warm-up where workers are spawned)."""
    assert "torch._dynamo" in worker_modules(False) and "torch" not in worker_modules(True)
    code = ("import sys\nfrom mlevolve.gp.backends import warmed\nclass E:\n    cheap = False\n"
            "evaluator, failure = warmed(E)\nassert failure is None and isinstance(evaluator, E)\n"
            "print('torch._dynamo' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.stdout.strip() == "True", done.stderr
