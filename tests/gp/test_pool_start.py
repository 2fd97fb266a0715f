"""The process pool's start: it does not hold the coordinator while its fork server imports, and a run's first
requests go to the workers that have started, not to a fixed one (stop 58, the README main job's worker ratio)."""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

import pytest

from mlevolve.dsl.errors import MlevError
from mlevolve.gp.backends import ProcessPool, _Worker
from tests.conftest import ROOT, run_child

_EARLY = """
import pathlib, sys, time
from mlevolve.gp import backends
from tests.gp.test_parallel import PROGRAM, SlowFactory

here = pathlib.Path(sys.argv[1])
if __name__ == "__main__":
    pool = backends.ProcessPool(SlowFactory(0.0), workers=2, preload=("slowpre",))
    print("constructed before the server imported:", not (here / "imported").exists())
    for job in range(2):
        pool.submit(backends.Request(job, "evaluate", PROGRAM.format(k=job), f"k{job}"))
    done = []
    while len(done) < 2:
        done += pool.results(timeout=60)
    print("answered after it imported:", sorted(j for j, _ in done), (here / "imported").exists())
    pool.close()
"""


def test_a_pool_returns_before_its_fork_server_has_imported_and_scores_after(tmp_path: Path) -> None:
    """Constructing a pool whose fork server imports a slow module (as it would PyTorch) returns before that
    import ends: the coordinator builds its evaluator and opens its archive meanwhile; its workers start as soon
    as the server forks them and answer every request."""
    (tmp_path / "slowpre.py").write_text("import pathlib, time\ntime.sleep(1.5)\n"
                                         "(pathlib.Path(__file__).parent / 'imported').touch()\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT / "src"), str(ROOT)])}
    proc = run_child([sys.executable, "-c", _EARLY, str(tmp_path)], capture_output=True, text=True,
                     timeout=300, env=env, cwd=ROOT)
    assert proc.stdout.splitlines() == ["constructed before the server imported: True",
                                        "answered after it imported: [0, 1] True"], proc.stderr


def _unstarted_pool(count: int) -> tuple[ProcessPool, list[mp.connection.Connection]]:
    """A pool of ``count`` stand-in workers (pipes, no processes), none of them started yet; the workers' ends."""
    pool = ProcessPool.__new__(ProcessPool)
    pool._booting, pool._workers = None, []
    ends = []
    for _ in range(count):
        parent, child = mp.Pipe()
        pool._workers.append(_Worker(process=None, conn=parent, progress=[-1.0, 0.0]))
        ends.append(child)
    pool.warmup = 0.0
    return pool, ends


def test_the_first_request_goes_to_the_first_worker_that_starts() -> None:
    """While no worker has started, a request waits for the first to be ready, whichever it is: with the second
    one ready and the first still starting, it goes to the second at once (before: it waited for the first)."""
    pool, ends = _unstarted_pool(2)
    ends[1].send(("ready", 0.0))
    began = time.monotonic()
    chosen = pool._free(depth=1)
    assert chosen is pool.workers[1] and chosen.ready and not pool.workers[0].ready
    assert time.monotonic() - began < 5
    chosen.sizes.append(1)  # it now holds a request: the next goes to the one still starting, once it is ready
    ends[0].send(("ready", 0.0))
    assert pool._free(depth=1) is pool.workers[0]
    pool.workers[0].sizes.append(1)
    assert pool._free(depth=1) is None  # both hold one: the request waits


def test_a_started_worker_is_preferred_to_one_still_starting() -> None:
    """Of the workers with the fewest requests in flight, one that has started takes the request, without waiting
    for another's start."""
    pool, ends = _unstarted_pool(3)
    ends[2].send(("ready", 0.0))
    assert pool._free(depth=1) is pool.workers[2]
    assert pool._free(depth=1) is pool.workers[2]  # it holds nothing yet: still the started one



def test_wait_ready_waits_for_every_worker_and_says_which_failed() -> None:
    """:meth:`ProcessPool.wait_ready` returns once every worker has sent "ready" (each marked ready, the slowest's
    warm-up kept), and a worker that answers "failed" ends it with the start error, as a run's first request does."""
    pool, ends = _unstarted_pool(2)
    ends[0].send(("ready", 0.25))
    ends[1].send(("ready", 0.5))
    pool.wait_ready()
    assert [w.ready for w in pool.workers] == [True, True] and pool.warmup == 0.5
    pool, ends = _unstarted_pool(2)
    ends[0].send(("ready", 0.0))
    ends[1].send(("failed", "the task did not load"))
    pool.workers[1].process = type("Gone", (), {"kill": lambda self: None, "exitcode": 1})()
    with pytest.raises(MlevError, match="a worker process failed to start: the task did not load"):
        pool.wait_ready()
