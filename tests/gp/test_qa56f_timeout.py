"""qa56f: a candidate's timeout clock times the candidate, not its worker's start.  A worker builds its evaluator
and imports what a first candidate would import lazily (PyTorch's compiler stack, about a second) before it takes
a candidate: with ``--timeout 1`` a fresh run's first candidates, which train in about 1.3 s on a loaded machine,
were cut at "timeout after 2 s".  Every backend: the process pool, Dask (the evaluator is built on each worker as
the backend starts) and in process (no hard timeout; the imports happen outside the memory limit)."""

from __future__ import annotations

import sys
import time

import pytest

from mlevolve.gp.backends import ProcessPool, Request, worker_modules
from mlevolve.gp.dask_backend import DaskBackend
from mlevolve.interpreter.regimes import COMPILER_STACK, REGIMES
from mlevolve.results import Outcome
from tests.conftest import ROOT, run_child
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


WARMED = ("import sys\nfrom mlevolve.gp.backends import warmed\nfrom mlevolve.interpreter.regimes import REGIMES\n"
          "class Supervised:\n    regime = REGIMES['supervised']\n"
          "class Optimized:\n    regime = REGIMES['rl']\n"
          "class Unsaid:\n    pass\n"
          "evaluator, seconds, failure = warmed({kind}, {limit})\n"
          "assert failure is None and isinstance(evaluator, {kind}) and seconds == 0.0\n"
          "print('torch._dynamo' in sys.modules, 'torch' in sys.modules)")


@pytest.mark.parametrize(("kind", "limit", "imported"), [
    ("Supervised", None, "False True"), ("Supervised", 6 << 30, "False True"), ("Supervised", 256 << 20, "True True"),
    ("Optimized", None, "True True"), ("Unsaid", 256 << 20, "False False")])
def test_a_worker_imports_the_compiler_stack_first_where_its_candidates_need_it(kind: str, limit: int | None,
                                                                               imported: str) -> None:
    """PyTorch's compiler stack (torch._dynamo, about a second) is imported before a worker is ready where every
    candidate imports it (a loop that steps a torch.optim optimizer: RL and generative) or where the memory limit is
    tight enough that a large model's size check importing it could fail half way (``TIGHT_MEMORY``); not otherwise:
    the README's main job, a supervised run under the default limit, never imports it, and paid it at every start.
    An evaluator without a regime (the tests' and benchmarks' stand-ins) is warmed with nothing:
    each of their workers imported PyTorch, seconds a worker (the pool benchmark's rate fell 5x)."""
    done = run_child([sys.executable, "-c", WARMED.format(kind=kind, limit=limit)], capture_output=True,
                     text=True, timeout=300)
    assert done.stdout.strip() == imported, done.stderr


def test_the_regimes_that_step_a_torch_optimizer_say_so() -> None:
    assert {r.name for r in REGIMES.values() if COMPILER_STACK in r.imports} == {"rl", "generative"}
    assert "torch._dynamo" in worker_modules(REGIMES["rl"]) and "torch._dynamo" not in worker_modules(
        REGIMES["supervised"])
    assert "torch._dynamo" in worker_modules(REGIMES["supervised"], tight=True)
    assert worker_modules(REGIMES["rl"], tight=True).count("torch._dynamo") == 1
    assert all("torch" not in worker_modules(r, tight=True) for r in REGIMES.values() if r.cheap)


@pytest.mark.e2e
@pytest.mark.parametrize("example", ["mlp_digits", "adam", "reinforce_cartpole", "vae_moons"])
def test_what_a_regimes_programs_import_is_what_its_table_says(example: str) -> None:
    """A program's run imports the compiler stack exactly where its regime's ``imports`` says (the table is true)."""
    code = (f"import sys\nfrom mlevolve import api\nfrom mlevolve.interpreter.regimes import regime_of\n"
            f"program = api.check(api.parse_file('{ROOT}/examples/{example}.mlev'))\n"
            f"api.run(program, epochs=1)\n"
            f"print('torch._dynamo' in sys.modules, 'torch._dynamo' in regime_of(program).imports)")
    done = run_child([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    imported, listed = done.stdout.split()
    assert imported == listed, (example, done.stdout)
