"""A run warms only its own regime's compiled kernels (``Regime.kernels``), and its first progress line says how long
that took where it took long.  A worker (or a run scored in this process) warms the
kernels its candidates call before it takes one (``gp.backends._warm``); it warmed every kernel, the learners' and
the formulas' alike, so that a formula run in a fresh checkout paid ~40 s for learner kernels it never called.  It
warms them under any limit: a first candidate that loaded them was charged the load (tests/gp/test_fresh_worker.py)."""

from __future__ import annotations

import dataclasses
import importlib
import io
import os
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from mlevolve.gp.backends import TIGHT_MEMORY, ProcessPool, Request
from mlevolve.gp.progress import WARMUP_SHOWN, Progress
from mlevolve.interpreter.factory import EvaluatorFactory
from mlevolve.interpreter.regimes import REGIMES
from tests.conftest import run_child

# In a fresh process (the test session has warmed every kernel): which kernels hold a compiled signature after a
# worker built and warmed the evaluator of TASK for KIND under LIMIT (numba compiles or loads them on first call).
WARMED = """
import sys
from mlevolve.gp.backends import warmed
from mlevolve.interpreter import formula_kernel, kernel
from mlevolve.interpreter.factory import EvaluatorFactory
evaluator, seconds, failure = warmed(EvaluatorFactory({task!r}, 0, 1, frozenset({{{kind!r}}}), timeout=60), {limit})
assert failure is None, failure
print(*(bool(f.signatures) for f in (kernel.learner_kernel, kernel.regression_errors, formula_kernel.evaluate,
                                     formula_kernel.fit_numbers)), seconds > 0)
"""


pytest.importorskip("numba")


@pytest.mark.parametrize(("task", "kind", "limit", "compiled"), [
    # (the last: whether numba compiled anything; the test session filled its cache, so these are loads)
    ("koza_quartic", "formula", TIGHT_MEMORY // 4, "False False True True False"),
    ("linear", "learner", TIGHT_MEMORY // 4, "True True False False False"),
    ("koza_quartic", "formula", None, "False False True True False"),
    ("linear", "learner", 2 * TIGHT_MEMORY, "True True False False False")])
def test_an_evaluator_warms_its_own_regimes_kernels_only(task: str, kind: str, limit: int | None,
                                                          compiled: str) -> None:
    """A formula evaluator warms the formula kernels, a learner evaluator the learner kernel, under any memory limit
    (warmed only under a tight one, they were loaded by a worker's first candidate, inside its timeout:
    tests/gp/test_fresh_worker.py)."""
    env = {k: v for k, v in os.environ.items() if k != "MLEVOLVE_NO_JIT"}  # the compiled path on
    done = run_child([sys.executable, "-c", WARMED.format(task=task, kind=kind, limit=limit)],
                     capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == compiled.split(), done.stderr


def test_a_pool_says_no_warm_up_where_its_workers_loaded_the_kernels_from_numbas_cache() -> None:
    """A worker says with its "ready" how long numba spent compiling its kernels (what the first progress line
    shows); loaded from numba's cache (the test session filled it), about 1.5 s on a loaded host, that is nothing:
    the note showed on most runs under a tight limit, for a load."""
    factory = EvaluatorFactory("koza_quartic", 0, 1, frozenset({"formula"}), timeout=60)
    pool = ProcessPool(factory, workers=1, timeout=60, memory=TIGHT_MEMORY // 4)
    try:
        pool.submit(Request(0, "evaluate", "algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  x * x\n", "k"))
        done: list[object] = []
        for _ in range(3):  # each wait returns at an answer or after 120 s: never a wait without end
            done = list(pool.results(timeout=120))
            if done:
                break
        assert done, "no answer from the worker in 360 s"
    finally:
        pool.close()
    assert pool.warmup == 0.0
    fresh = ProcessPool(factory, workers=1, timeout=60)
    fresh.close()
    assert fresh.warmup == 0.0  # no worker ready: nothing warmed yet


def test_the_regime_table_names_each_cheap_regimes_kernels_and_no_other() -> None:
    """Every cheap regime (scored by the fast path, whose kernels these are) names kernels that warm; a PyTorch
    regime names none; no kernel module is named by two regimes (each run warms its own)."""
    named = [name for r in REGIMES.values() for name in r.kernels]
    assert len(named) == len(set(named))
    for regime in REGIMES.values():
        assert bool(regime.kernels) == regime.cheap, regime.name
        for name in regime.kernels:
            assert callable(importlib.import_module(f"mlevolve.interpreter.{name}").warm)


def _engine(seq: int) -> SimpleNamespace:
    return SimpleNamespace(hall_of_fame=[SimpleNamespace(score=0.5)], seq=seq, hurdled=False,
                           counts={"cache": 1, "fec": 2, "hurdle": 0, "probe": 4, "failed": 3})


def test_a_regime_counts_the_seconds_numba_compiled_not_those_it_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Regime.warm`` is the seconds numba spent compiling (its ``numba:compile`` events, which a cache load does
    not fire): a kernel whose warm-up compiles for 0.2 s counts 0.2 s, one loaded counts nothing, however long."""
    import time

    from numba.core import event

    def compiles() -> None:
        with event.trigger_event("numba:compile", data={"dispatcher": None}):  # type: ignore[no-untyped-call]
            time.sleep(0.2)

    modules = {"compiles": SimpleNamespace(warm=compiles), "loads": SimpleNamespace(warm=lambda: time.sleep(0.2))}
    regimes = importlib.import_module("mlevolve.interpreter.regimes")
    monkeypatch.setattr(regimes, "importlib", SimpleNamespace(import_module=lambda name: modules[name.split(".")[-1]]))
    formula = REGIMES["formula"]
    assert 0.2 <= dataclasses.replace(formula, kernels=("compiles",)).warm() < 5.0
    assert dataclasses.replace(formula, kernels=("loads",)).warm() == 0.0


@pytest.mark.parametrize(("seconds", "note"), [
    (41.23, "; kernels compiled first in 41.2 s, not counted"), (WARMUP_SHOWN, ""), (0.0, "")])
def test_the_first_progress_line_says_how_long_the_kernels_took_to_warm(seconds: float, note: str) -> None:
    """Golden lines: the first line shown carries the warm-up where it passed ``WARMUP_SHOWN`` s; later lines do
    not."""
    stream = io.StringIO()
    progress = Progress(2, stream=stream, warmup=lambda: seconds)
    progress(_engine(1), None)
    progress(_engine(2), None)
    first, second = stream.getvalue().splitlines()
    counts = "fittest 0.5  cache 1  fec 2  probe 4  failed 3  ("
    assert first.startswith(f"[     1/2] {counts}") and first.endswith(f" s{note})")
    assert second.startswith(f"[     2/2] {counts}") and second.endswith(" s)")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [False, True], ids=["lines", "bar"])
def test_the_progress_clock_and_rate_leave_out_a_compile_during_the_run(terminal: bool) -> None:
    """A fresh checkout's first run compiled its kernels as its first candidate called them: the clock read 105 s
    and the bar's rate under 1 candidate/s.  The seconds compiled after the progress started are left out of both,
    and the first line says how long they took."""
    import time

    compiled = [0.0]
    stream = _Terminal() if terminal else io.StringIO()
    progress = Progress(2, stream=stream, warmup=lambda: compiled[0])
    time.sleep(1.6)
    compiled[0] = 1.6  # the first candidate waited 1.6 s on numba
    progress(_engine(1), None)
    progress(_engine(2), None)
    if terminal:
        assert progress.bar is not None and progress.bar.format_dict["elapsed"] < 1.0
        assert "kernels compiled first in 1.6 s, not counted" in stream.getvalue()
    else:
        first = stream.getvalue().splitlines()[0]
        seconds = float(first.rpartition("(")[2].split(" s")[0])
        assert seconds < 1.0 and first.endswith(" s; kernels compiled first in 1.6 s, not counted)")
    progress.close()


WARM_SECONDS = 1.25  # what the stand-in regime's kernels "took" to warm


class _WarmRegime:
    """A cheap regime whose kernels take :data:`WARM_SECONDS` to warm (nothing compiled: a stand-in)."""

    cheap = True

    def warm(self) -> float:
        return WARM_SECONDS


class _WarmFactory:
    """Builds a stand-in evaluator of :class:`_WarmRegime` (built on the worker: nothing of it is pickled)."""

    def __call__(self) -> object:
        from tests.gp.test_parallel import SlowEvaluator

        evaluator = SlowEvaluator(0.0)
        evaluator.regime = _WarmRegime()  # type: ignore[attr-defined]
        return evaluator

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _WarmFactory)

    def __hash__(self) -> int:
        return hash("warm factory")


@pytest.mark.parametrize("kind", ["pool", "dask"])
def test_every_backend_keeps_the_warm_up_its_workers_took(kind: str) -> None:
    """``--dask`` dropped the seconds a worker's kernels took to warm (``_dask_warm``), so its first progress line
    never carried the note the pool's and an in-process run's do: each backend keeps the longest in ``warmup``."""
    from tests.gp.test_parallel import PROGRAM, _drain

    memory = TIGHT_MEMORY - 1  # tight: a cheap regime's kernels are warmed before a candidate
    if kind == "dask":
        pytest.importorskip("distributed")
        from mlevolve.gp.dask_backend import DaskBackend

        backend: Any = DaskBackend(_WarmFactory(), "local:1", timeout=60, memory=memory)
    else:
        backend = ProcessPool(_WarmFactory(), workers=1, timeout=60, memory=memory)
    try:
        backend.submit(Request(0, "evaluate", PROGRAM.format(k=1), "k0"))
        assert len(_drain(backend, 1, limit=120)) == 1
    finally:
        backend.close()
    assert backend.warmup == WARM_SECONDS
