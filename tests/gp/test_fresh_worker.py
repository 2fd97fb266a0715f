"""No backend charges a candidate with its process's one-time start (``gp.backends._warm``): a fresh worker loaded
numba and read its kernels from numba's cache on its first candidate (0.56 s on an idle host, 1.5 s on a loaded one),
inside that candidate's timeout clock and recorded seconds, so that ``--timeout 0.3`` (a score's allowance: 0.6 s)
failed every fresh worker's first candidate, and every worker started in a timed-out one's place its next one: 45 of
50 quartic candidates failed as "timed out after 0.6 s".  Each backend is tried cold, in a fresh interpreter (the test
session has warmed every kernel in its own process): a fresh pool worker, a fresh Dask worker, and a run scored in
process."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_child

pytest.importorskip("numba")

TIMEOUT = 0.25  # a score's allowance is twice this: 0.5 s, below a fresh worker's start, far above a candidate's work
FORMULAS = ("x * x + 1.5 * x", "sin(x) * x + x", "x * x * x - 0.5 * x", "cos(x) + x * x")
PROGRAM = "algorithm a\ntask koza_quartic\nformula f(x: Scalar) -> Scalar =\n  {body}\n"

# A run's backend in a fresh interpreter, as a user's starts (a Dask cluster started under pytest scored its workers'
# first candidates fast before the fix too): each candidate's job, whether it scored, and its recorded seconds.
FRESH = """
from mlevolve.gp.backends import InProcess, ProcessPool, Request
from mlevolve.gp.dask_backend import DaskBackend
from mlevolve.interpreter.factory import EvaluatorFactory
from tests.gp.test_parallel import _drain

if __name__ == "__main__":
    factory = EvaluatorFactory("koza_quartic", 0, 1, frozenset({{"formula"}}), timeout={timeout}, fit=True)
    backend = {make}
    try:
        for job, program in enumerate({programs!r}):
            backend.submit(Request(job, "score", program, f"k{{job}}"))
        results = _drain(backend, {count}, limit=300)  # a start waits for its worker, not a candidate
    finally:
        backend.close()
    for job, scored in sorted(results.items()):
        print(job, scored.outcome.failure is None, scored.seconds, flush=True)
"""
BACKENDS = {"pool": "ProcessPool(factory, workers=1, timeout={timeout})",
            "dask": "DaskBackend(factory, 'local:1', timeout={timeout})",
            "in process": "InProcess(factory)"}


@pytest.mark.parametrize("kind", list(BACKENDS))
def test_a_fresh_workers_first_candidate_is_not_charged_its_start(kind: str, tmp_path: Path) -> None:
    """A fresh worker (of a fresh pool, or of a fresh Dask cluster) warms its regime's kernels before it takes a
    candidate, and a run scored in process as its :class:`InProcess` is made: the first candidates score within a
    timeout far below that start, and record their own seconds (in process the first recorded 1.0 s of 0.02)."""
    if kind == "dask":
        pytest.importorskip("distributed")
    programs = [PROGRAM.format(body=body) for body in FORMULAS]
    script = tmp_path / "fresh.py"  # a file, not -c: a spawned Dask worker imports its parent's main module again
    script.write_text(FRESH.format(timeout=TIMEOUT, make=BACKENDS[kind].format(timeout=TIMEOUT), programs=programs,
                                   count=len(programs)))
    env = {k: v for k, v in os.environ.items() if k != "MLEVOLVE_NO_JIT"}  # the compiled path on
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    done = run_child([sys.executable, str(script)], capture_output=True, text=True, timeout=400, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split() for line in done.stdout.splitlines()]
    assert [int(job) for job, _, _ in rows] == list(range(len(programs))), done.stdout
    for job, scored, seconds in rows:
        assert scored == "True", f"candidate {job} failed: {done.stdout}"
        assert float(seconds) < TIMEOUT, f"candidate {job} took {seconds} s: {done.stdout}"
