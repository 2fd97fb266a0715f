"""Parallel and distributed evaluation: process pool, Dask, timeouts and worker faults."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from mlevolve.api import evolve
from mlevolve.gp.archive import Archive
from mlevolve.gp.backends import InProcess, ProcessPool, Request, placed
from mlevolve.gp.dask_backend import DaskBackend
from mlevolve.results import Outcome
from tests.conftest import ROOT, archive_rows, run_child, spawn, wait_until

QUARTIC = ROOT / "examples" / "quartic.mlev"


class SlowEvaluator:
    """Sleeps ``delay`` s per evaluation; a program containing ``sin`` sleeps forever."""

    supports_hurdle = False

    def __init__(self, delay: float) -> None:
        self.delay = delay

    def fingerprint(self, program: object, key: str) -> tuple[None, None]:
        return None, None

    def evaluate(self, program: object, key: str, quick: bool = False) -> Outcome:
        from mlevolve.dsl.printer import format_program

        if "sin(" in format_program(program):  # type: ignore[arg-type]
            time.sleep(10_000)
        time.sleep(self.delay)
        return Outcome({"fitness": float(len(key)), "pid": os.getpid()})


class SlowFactory:
    def __init__(self, delay: float) -> None:
        self.delay = delay

    def __call__(self) -> SlowEvaluator:
        return SlowEvaluator(self.delay)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SlowFactory) and other.delay == self.delay

    def __hash__(self) -> int:
        return hash(self.delay)


PROGRAM = "algorithm a\nformula f(x: Scalar) -> Scalar =\n  x * {k}.0\n"
STUCK = "algorithm a\nformula f(x: Scalar) -> Scalar =\n  sin(x)\n"


def _drain(backend: object, jobs: int, limit: float = 60.0) -> dict[int, object]:
    results: dict[int, object] = {}
    deadline = time.monotonic() + limit
    while len(results) < jobs and time.monotonic() < deadline:
        for job, result in backend.results(timeout=1.0):  # type: ignore[attr-defined]
            assert job not in results, "a job answered twice"
            results[job] = result
    return results


def test_in_process_backend_answers_at_once() -> None:
    backend = InProcess(SlowFactory(0.0))
    backend.submit(Request(1, "evaluate", PROGRAM.format(k=2), "k"))
    assert [job for job, _ in backend.results()] == [1]


def test_process_pool_runs_requests_on_all_workers() -> None:
    pool = ProcessPool(SlowFactory(0.2), workers=2, timeout=30)
    try:
        for job in range(6):
            pool.submit(Request(job, "evaluate", PROGRAM.format(k=job), f"key{job}"))
        results = _drain(pool, 6)
    finally:
        pool.close()
    assert sorted(results) == list(range(6))
    pids = {r.metrics["pid"] for r in results.values()}  # type: ignore[attr-defined]
    assert len(pids) == 2 and os.getpid() not in pids


def test_a_stuck_candidate_is_cut_at_its_timeout_and_the_pool_goes_on() -> None:
    pool = ProcessPool(SlowFactory(0.0), workers=1, timeout=2.0)
    try:
        pool.submit(Request(0, "evaluate", STUCK, "stuck"))
        pool.submit(Request(1, "evaluate", PROGRAM.format(k=1), "fine"))
        results = _drain(pool, 2, limit=90)
    finally:
        pool.close()
    stuck, fine = results[0], results[1]
    assert isinstance(stuck, Outcome) and stuck.failure is not None  # cut at its 2 s, not at the drain's 90 s
    assert stuck.failure.reason == "timed out after 2 s (--timeout 2)"
    assert isinstance(fine, Outcome) and fine.failure is None
    assert pool.replaced == 1


def test_a_killed_worker_is_replaced_and_its_candidate_retried() -> None:
    pool = ProcessPool(SlowFactory(1.0), workers=2, timeout=60)
    try:
        for job in range(4):
            pool.submit(Request(job, "evaluate", PROGRAM.format(k=job), f"key{job}"))
        # the serial number of the request the worker began: -1 before its first (which then takes a second)
        wait_until(lambda: pool.workers[0].progress[0] >= 0, limit=60)
        pool.workers[0].process.kill()  # dies mid-request (each takes a second: no answer came yet)
        results = _drain(pool, 4, limit=120)
    finally:
        pool.close()
    assert sorted(results) == [0, 1, 2, 3]
    assert all(isinstance(r, Outcome) and r.failure is None for r in results.values())
    assert pool.replaced >= 1


def _rows(db: Path) -> list[tuple[object, ...]]:
    return archive_rows(db, ("seq", "hash", "fitness", "source"))


def test_evolve_with_two_workers_accounts_for_every_candidate(tmp_path: Path) -> None:
    db = tmp_path / "par.db"
    result = evolve(QUARTIC, ["f"], budget=120, db=db, init="random", population=20, workers=2, quiet=True)
    rows = _rows(db)
    assert [r[0] for r in rows] == list(range(120))
    assert result["candidates"] == 120
    # resuming a parallel run reloads the archive and extends it
    more = evolve(QUARTIC, ["f"], budget=160, db=db, init="random", population=20, workers=2, quiet=True)
    assert more["replayed"] == 120 and [r[0] for r in _rows(db)] == list(range(160))
    assert _rows(db)[:120] == rows


def test_evolve_through_a_dask_local_cluster(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    db = tmp_path / "dask.db"
    result = evolve(QUARTIC, ["f"], budget=60, db=db, init="random", population=10, dask="local:2", quiet=True,
                    prune=False)  # the search's best, as found
    rows = _rows(db)
    assert [r[0] for r in rows] == list(range(60))
    # the best reported is the archive's shown best (results.shown_order): not always the fittest row,
    # since the smallest of a tie is shown, and a Dask run's arrival order decides which programs tie
    with Archive.read(db) as archive:
        (top,) = archive.best(1)
    assert (result["best_hash"], result["best_fitness"]) == (top.hash, top.fitness)


def test_dask_backend_fails_a_bad_request_without_retrying_it() -> None:
    pytest.importorskip("distributed")
    backend = DaskBackend(SlowFactory(0.0), "local:1", timeout=30)
    try:
        backend.submit(Request(0, "evaluate", "this is not a program", "bad"))
        results = _drain(backend, 1)
    finally:
        backend.close()
    outcome = results[0]
    assert isinstance(outcome, Outcome) and outcome.failure is not None
    assert outcome.failure.where == "worker" and "MlevError" in outcome.failure.reason  # one policy: no retry


def test_each_dask_worker_thread_holds_a_second_future_whose_clock_starts_when_it_runs() -> None:
    """Two futures per worker thread (the second waits on its worker while the first runs), and the second's
    timeout clock starts when its worker begins it: two 1 s evaluations in a row on each worker, under a 1.6 s
    timeout, all answered (charged from when each was sent, the second would pass 2 s)."""
    pytest.importorskip("distributed")
    backend = DaskBackend(SlowFactory(1.0), "local:2", timeout=1.6)
    try:
        assert (backend.depth, backend.slots) == (2, 4)
        for k in range(4):
            backend.submit(Request(k, "evaluate", PROGRAM.format(k=k + 2), f"k{k}"))
        wait_until(lambda: sorted(map(len, backend.client.processing().values())) == [2, 2], limit=20,
                   step=0.05)
        results = _drain(backend, 4)
    finally:
        backend.close()
    assert sorted(results) == [0, 1, 2, 3]
    assert all(isinstance(r, Outcome) and r.failure is None for r in results.values()), results
    assert len({r.metrics["pid"] for r in results.values()}) == 2  # type: ignore[union-attr]


def test_a_lone_dask_worker_thread_holds_one_future() -> None:
    pytest.importorskip("distributed")
    backend = DaskBackend(SlowFactory(0.0), "local:1", timeout=30)
    try:
        assert (backend.depth, backend.slots) == (1, 1)  # a run scored in order, as a lone pool worker's
    finally:
        backend.close()


# ------------------------------------------------------------- the in-process policy for cheap runs
class CheapEvaluator(SlowEvaluator):
    """An evaluator that says it is cheap (no generated code, bounded memory, cooperative deadline)."""

    cheap = True


def test_a_cheap_evaluator_scores_in_process_and_the_started_worker_is_stopped() -> None:
    pool = ProcessPool(SlowFactory(0.0), workers=1)
    backend = placed(pool, CheapEvaluator(0.0))
    assert isinstance(backend, InProcess) and backend.memory is None
    assert all(not w.process.is_alive() for w in pool.workers)  # the worker started early is gone
    backend.submit(Request(1, "evaluate", PROGRAM.format(k=2), "k"))
    (job, outcome), = backend.results()
    assert job == 1 and outcome.metrics["pid"] == os.getpid()


def test_other_evaluators_and_parallel_runs_keep_their_workers() -> None:
    pool = ProcessPool(SlowFactory(0.0), workers=1)
    try:
        assert placed(pool, SlowEvaluator(0.0), memory=2**30) is pool  # runs generated code: the worker
        assert placed(pool, CheapEvaluator(0.0), parallel=True) is pool  # --workers N asked for: the pool
    finally:
        pool.close()
    alone = placed(None, SlowEvaluator(0.0), memory=2**30)  # no worker could start: in process, limited
    assert isinstance(alone, InProcess) and alone.memory == 2**30


def test_a_cheap_run_scores_in_the_coordinator_and_writes_the_rows_of_a_worker_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlevolve.interpreter.evaluator import ProgramEvaluator

    def rows(db: Path) -> list[tuple[object, ...]]:
        conn = sqlite3.connect(db)
        try:
            return conn.execute("SELECT seq, hash, program, fitness, source, fingerprint FROM candidates").fetchall()
        finally:
            conn.close()

    kw = {"budget": 40, "population": 10, "init": "random", "quiet": True, "seed": 2}
    evolve(QUARTIC, ["f"], db=tmp_path / "worker.db", **kw)  # type: ignore[arg-type]
    pids: list[int] = []
    fingerprint = ProgramEvaluator.fingerprint

    def counted(self: ProgramEvaluator, program: object, key: str) -> object:
        pids.append(os.getpid())
        return fingerprint(self, program, key)  # type: ignore[arg-type]

    monkeypatch.setattr(ProgramEvaluator, "cheap", True, raising=False)
    monkeypatch.setattr(ProgramEvaluator, "fingerprint", counted)
    evolve(QUARTIC, ["f"], db=tmp_path / "here.db", **kw)  # type: ignore[arg-type]
    assert pids and set(pids) == {os.getpid()}
    assert rows(tmp_path / "here.db") == rows(tmp_path / "worker.db")


# ------------------------------------------------------- batches of cheap candidates per request
class CrashEvaluator(SlowEvaluator):
    """Kills its own process on a program containing ``cos``."""

    def evaluate(self, program: object, key: str, quick: bool = False) -> Outcome:
        from mlevolve.dsl.printer import format_program

        if "cos(" in format_program(program):  # type: ignore[arg-type]
            os._exit(3)
        return super().evaluate(program, key, quick)


class CrashFactory(SlowFactory):
    def __call__(self) -> CrashEvaluator:
        return CrashEvaluator(self.delay)


CRASH = "algorithm a\nformula f(x: Scalar) -> Scalar =\n  cos(x)\n"


class BrokenByMemoryEvaluator(SlowEvaluator):
    """Runs out of memory on a program containing ``exp``, and is broken after it, as a process whose allocation
    failed inside an import is: every later candidate it scores fails (a new user's pass: `AttributeError: module
    'sympy' has no attribute 'printing'` for every candidate after the first that ran out of memory)."""

    broken = False  # per process: a worker forked afresh starts whole

    def evaluate(self, program: object, key: str, quick: bool = False) -> Outcome:
        from mlevolve.dsl.printer import format_program

        if BrokenByMemoryEvaluator.broken:
            raise AttributeError("module 'sympy' has no attribute 'printing'")
        if "exp(" in format_program(program):  # type: ignore[arg-type]
            BrokenByMemoryEvaluator.broken = True
            raise MemoryError
        return super().evaluate(program, key, quick)


class BrokenByMemoryFactory(SlowFactory):
    def __call__(self) -> BrokenByMemoryEvaluator:
        return BrokenByMemoryEvaluator(self.delay)


@pytest.mark.parametrize("batch", [1, 3])
def test_a_worker_that_ran_out_of_memory_is_replaced_so_no_later_candidate_depends_on_it(batch: int) -> None:
    """The candidate that ran out of memory fails so; the others of its batch, and every later one, are scored by a
    worker forked afresh: a score never depends on what ran before it in a process."""
    pool = ProcessPool(BrokenByMemoryFactory(0.0), workers=1, timeout=30, batch=batch)
    big = "algorithm a\nformula f(x: Scalar) -> Scalar =\n  exp(x)\n"
    results = _batch_with_a_bad_second(pool, big, limit=120)
    assert sorted(results) == [0, 1, 2, 3] and pool.replaced == 1
    failed = results.pop(1)
    assert isinstance(failed, Outcome) and failed.failure is not None
    assert failed.failure.reason == "out of memory (over the memory limit)"  # the pool sets none: no limit to name
    assert all(isinstance(r, Outcome) and r.failure is None for r in results.values()), results


def test_a_batch_goes_to_one_worker_in_one_message_and_comes_back_in_order() -> None:
    pool = ProcessPool(SlowFactory(0.0), workers=1, timeout=30, batch=4)
    try:
        assert pool.slots == 8  # one batch running, one being filled
        for job in range(3):
            pool.submit(Request(job, "evaluate", PROGRAM.format(k=job), f"key{job}"))
        assert not pool.workers[0].batch  # a partial batch waits for results()
        pool.submit(Request(3, "evaluate", PROGRAM.format(k=3), "key3"))
        assert [r.job for r, _ in pool.workers[0].batch] == [0, 1, 2, 3]  # a full one goes at once
        assert [job for job, _ in pool.results()] == [0, 1, 2, 3]
    finally:
        pool.close()


def _batch_with_a_bad_second(pool: ProcessPool, bad: str, limit: float) -> dict[int, object]:
    """Four candidates through ``pool``, the second ``bad``: every answer, by job."""
    try:
        for job, text in enumerate([PROGRAM.format(k=0), bad, PROGRAM.format(k=2), PROGRAM.format(k=3)]):
            pool.submit(Request(job, "evaluate", text, f"key{job}"))
        return _drain(pool, 4, limit=limit)
    finally:
        pool.close()


def test_a_stuck_candidate_in_a_batch_is_cut_and_the_rest_of_its_batch_answered() -> None:
    pool = ProcessPool(SlowFactory(0.0), workers=1, timeout=2.0, batch=4)
    results = _batch_with_a_bad_second(pool, STUCK, limit=90)
    assert sorted(results) == [0, 1, 2, 3] and pool.replaced == 1
    stuck = results.pop(1)
    assert isinstance(stuck, Outcome) and stuck.failure is not None
    assert stuck.failure.reason == "timed out after 2 s (--timeout 2)"
    assert all(isinstance(r, Outcome) and r.failure is None for r in results.values())


def test_a_candidate_that_kills_its_worker_fails_as_data_and_its_batch_is_answered() -> None:
    pool = ProcessPool(CrashFactory(0.0), workers=1, timeout=30, batch=3)
    results = _batch_with_a_bad_second(pool, CRASH, limit=120)
    assert sorted(results) == [0, 1, 2, 3] and pool.replaced == 2  # the candidate was retried once
    crashed = results.pop(1)
    assert isinstance(crashed, Outcome) and crashed.failure is not None
    assert crashed.failure.reason == "the worker died twice on this candidate (status 3)"
    assert all(isinstance(r, Outcome) and r.failure is None for r in results.values())


def test_a_worker_killed_mid_batch_is_replaced_and_every_candidate_answered() -> None:
    pool = ProcessPool(SlowFactory(0.3), workers=2, timeout=60, batch=3)
    try:
        for job in range(6):
            pool.submit(Request(job, "evaluate", PROGRAM.format(k=job), f"key{job}"))
        deadline, early = time.monotonic() + 60, {}
        while pool.workers[0].running()[0] == 0 and time.monotonic() < deadline:  # into its second candidate
            early.update(pool.results(timeout=0.05))
        pool.workers[0].process.kill()
        results = {**early, **_drain(pool, 6 - len(early), limit=120)}
    finally:
        pool.close()
    assert sorted(results) == list(range(6)) and pool.replaced >= 1
    assert all(isinstance(r, Outcome) and r.failure is None for r in results.values())


class KeyEvaluator:
    """Answers at once from the key: a fingerprint shared by keys with the same first two digits
    (FEC hits) and a fitness read off the key."""

    supports_hurdle = False
    cheap = True

    def fingerprint(self, program: object, key: str) -> tuple[str, None]:
        return key[:2], None

    def evaluate(self, program: object, key: str, quick: bool = False) -> Outcome:
        return Outcome({"fitness": int(key[:6], 16) / 16**6})


class KeyFactory:
    def __call__(self) -> KeyEvaluator:
        return KeyEvaluator()


def _engine_rows(backend: object, algorithm: str, replay: bool = False) -> list[tuple[object, ...]]:
    from mlevolve import check, parse_file
    from mlevolve.gp.archive import Archive
    from mlevolve.gp.engine import Engine, EvolveConfig
    from mlevolve.gp.search import ALGORITHMS
    from mlevolve.grammar.spec import load_grammar

    program = check(parse_file(QUARTIC))
    config = EvolveConfig(algorithm=algorithm, budget=150, population=20, init="random", seed=5)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp, Archive.for_run(Path(tmp) / "r.db", {"run": "t"}) as archive:
        engine = Engine(program, ["f"], load_grammar(), KeyEvaluator(), archive, config, None,
                        backend, replay=replay)  # type: ignore[arg-type]
        try:
            ALGORITHMS[algorithm](engine)
        finally:
            backend.close()  # type: ignore[attr-defined]
        return [(r.seq, r.hash, r.program, r.fitness, r.source, r.fingerprint, r.operator, r.parents)
                for r in archive.rows()]


def test_a_batched_worker_writes_the_archive_of_the_same_batches_scored_in_process() -> None:
    """One worker answers batches in order, so a batched run is a function of its seed: the same
    rows as :class:`InProcess` with the same batch, and the batch's own decisions (FEC hits among
    its candidates) as the coordinator's tables make them."""
    for algorithm in ("regularized", "mu_plus_lambda"):
        here = _engine_rows(InProcess(KeyFactory(), batch=4), algorithm)
        pooled = _engine_rows(ProcessPool(KeyFactory(), workers=1, timeout=60, batch=4), algorithm)
        assert pooled == here
        assert {"evaluated", "cache", "fec"} <= {r[4] for r in here}
        assert here != _engine_rows(InProcess(KeyFactory()), algorithm) or algorithm == "mu_plus_lambda"


class Recording(KeyEvaluator):
    """A :class:`KeyEvaluator` that keeps the key of every candidate it is asked to score."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def fingerprint(self, program: object, key: str) -> tuple[str, None]:
        self.keys.append(key)
        return super().fingerprint(program, key)


def test_a_candidate_equal_to_one_in_flight_is_answered_with_it_not_scored_again() -> None:
    """With several candidates in flight (batches, a pool of workers), a child whose program equals
    one still being scored (the same cache key) waits for that one's answer, as a cache hit would once
    it is known: no key is sent to be scored twice, and the run still spends its whole budget."""
    evaluator = Recording()
    rows = _engine_rows(InProcess(lambda: evaluator, batch=4), "regularized")
    assert len(rows) == 150 and [r[0] for r in rows] == list(range(150))
    assert len(evaluator.keys) == len(set(evaluator.keys)) == sum(r[4] != "cache" for r in rows)
    first = {}
    for r in rows:
        first.setdefault(r[1], r)
    followed = [r for r in rows if r[4] == "cache" and first[r[1]][4] != "cache"]
    assert followed and all(r[3] == first[r[1]][3] for r in followed)  # the answer of the first with its key


def test_a_new_run_draws_as_in_process_whatever_its_backend() -> None:
    """A new run scored by workers (which reloads its archive rather than replaying it) starts from the
    seed's own draws, as the same run in process does: the same first population, so ``--workers 2``
    scores what ``--workers 1`` scores, in parallel (it drew from another stream, and at the README's
    budget of 24 scored half as many programs again)."""
    assert _engine_rows(InProcess(KeyFactory()), "regularized", replay=False) == \
        _engine_rows(InProcess(KeyFactory()), "regularized", replay=True)


def test_a_parallel_cheap_run_gets_batches() -> None:
    from mlevolve.gp.backends import CHEAP_BATCH

    pool = ProcessPool(SlowFactory(0.0), workers=2)
    try:
        assert placed(pool, CheapEvaluator(0.0), parallel=True) is pool
        assert pool.batch == CHEAP_BATCH and pool.slots == 2 * 2 * CHEAP_BATCH
    finally:
        pool.close()
    slow = ProcessPool(SlowFactory(0.0), workers=2)
    try:
        assert placed(slow, SlowEvaluator(0.0), parallel=True) is slow and slow.batch == 1
        assert slow.slots == 2 * 2  # two requests a worker: the next waits in its pipe
    finally:
        slow.close()


def test_each_of_several_workers_holds_a_second_request_while_it_runs_the_first() -> None:
    """With two workers, four requests go out at once, two to each (the second waits in the worker's pipe, so a
    worker does not wait for the coordinator between candidates), and each is answered once, the pair of a worker
    in order; a lone worker sent one request at a time holds one (its run is a function of its seed)."""
    pool = ProcessPool(SlowFactory(0.3), workers=2, timeout=30)
    try:
        for job in range(4):
            pool.submit(Request(job, "evaluate", PROGRAM.format(k=job), f"key{job}"))
        assert not pool.queue and sorted(len(w.batch) for w in pool.workers) == [2, 2]
        results = _drain(pool, 4)
        assert sorted(results) == [0, 1, 2, 3]
        assert len({r.metrics["pid"] for r in results.values()}) == 2  # type: ignore[attr-defined]
    finally:
        pool.close()
    lone = ProcessPool(SlowFactory(0.0), workers=1, timeout=30)
    try:
        assert lone.slots == 1 and lone.depth == 1
        for job in range(2):
            lone.submit(Request(job, "evaluate", PROGRAM.format(k=job), f"key{job}"))
        assert len(lone.queue) == 1 and len(lone.workers[0].batch) == 1
        assert sorted(_drain(lone, 2)) == [0, 1]
    finally:
        lone.close()


@pytest.mark.e2e
def test_workers_die_with_a_coordinator_killed_outright() -> None:
    """Workers fork from a fork server, whose death (it sees its coordinator's) takes them along,
    busy or not (``PR_SET_PDEATHSIG``)."""
    import signal
    import subprocess
    import sys

    script = ("import sys, time\n"
              "from mlevolve.gp.backends import ProcessPool\n"
              "from mlevolve.gp.backends import Request\n"
              "from tests.gp.test_parallel import STUCK, SlowFactory\n"
              "if __name__ == '__main__':\n"
              "    pool = ProcessPool(SlowFactory(0.0), workers=2)\n"
              "    for job in range(2): pool.submit(Request(job, 'evaluate', STUCK, f'k{job}'))\n"  # busy for ever
              "    print(*[w.process.pid for w in pool.workers], flush=True)\n"
              "    time.sleep(60)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    proc = spawn([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    try:
        assert proc.stdout is not None
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 2
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() and
                                                  "Z" not in Path(f"/proc/{p}/stat").read_text().split()[2]
                                                  for p in pids):
            time.sleep(0.1)
        alive = [p for p in pids if Path(f"/proc/{p}").exists() and
                 "Z" not in Path(f"/proc/{p}/stat").read_text().split()[2]]
        assert not alive, f"workers {alive} outlived their coordinator"
    finally:
        proc.kill()


def test_a_batched_run_keeps_no_more_in_flight_than_its_population(tmp_path: Path) -> None:
    from mlevolve import check, parse_file
    from mlevolve.gp.archive import Archive
    from mlevolve.gp.engine import Engine, EvolveConfig
    from mlevolve.grammar.spec import load_grammar

    program = check(parse_file(QUARTIC))
    for population, slots in ((6, 6), (50, 8)):  # two batches of 4, at most the population
        with Archive.for_run(tmp_path / f"{population}.db", {"run": "t"}) as archive:
            engine = Engine(program, ["f"], load_grammar(), KeyEvaluator(), archive,  # type: ignore[arg-type]
                            EvolveConfig(population=population), None, InProcess(KeyFactory(), batch=4))
            assert engine.scheduler.slots == slots


@pytest.mark.e2e
def test_a_script_without_the_main_guard_is_told_to_add_it(tmp_path: Path) -> None:
    """Each worker imports the script that started it again (spawn and fork-server start methods): a script
    whose evolve call is not under ``if __name__ == "__main__":`` makes its workers fail to start, and the
    error's hint names the guard first (it said only "check that the task loads in this process")."""
    import sys

    script = tmp_path / "noguard.py"
    script.write_text("import mlevolve\n"
                      f"mlevolve.api.evolve({str(ROOT / 'examples' / 'mlp_digits.mlev')!r}, ['act'], budget=2, "
                      f"db={str(tmp_path / 'ng.db')!r}, quiet=True)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = run_child([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, env=env,
                     timeout=300)
    assert done.returncode != 0
    assert ("hint: a script that calls mlevolve must do so under 'if __name__ == \"__main__\":' (each worker imports "
            "it again)") in done.stderr


def test_c_code_failing_without_an_exception_under_the_memory_limit_is_out_of_memory() -> None:
    """C code that returns an error without setting one raises ``SystemError: error return without exception set``:
    under the memory limit, an allocation it did not check (the first large candidate of a fresh worker failed so,
    where the next failed with MemoryError); without a limit, it is what it says."""
    from mlevolve.gp.backends import call, out_of_memory

    class Unchecked(SlowEvaluator):
        def evaluate(self, program: object, key: str, quick: bool = False) -> Outcome:
            raise SystemError("error return without exception set")

    limited = call(Unchecked(0.0), "evaluate", None, "k", limit=2**40)  # type: ignore[arg-type]
    assert limited.failure.reason == "out of memory (over --memory-limit 1024 GiB)" and out_of_memory(limited)
    free = call(Unchecked(0.0), "evaluate", None, "k")  # type: ignore[arg-type]
    assert free.failure.reason == "SystemError: error return without exception set" and not out_of_memory(free)


def test_out_of_memory_names_the_limit_wherever_the_evaluator_caught_it() -> None:
    """A candidate past the memory limit was recorded as "out of memory (over the memory limit)", which says
    neither the limit nor the flag that sets it, where a timeout says "(twice --timeout 0.3: ...)" (a new
    user's pass with --memory-limit 0.05).  It names both, whether the step raised or the evaluator caught the
    allocation and returned the failure (its training guard, a probe's), so the worker is replaced either way;
    without a limit (none set) the words stay."""
    from mlevolve.gp.backends import call, out_of_memory
    from mlevolve.results import OUT_OF_MEMORY, Failure

    class Caught(SlowEvaluator):
        def evaluate(self, program: object, key: str, quick: bool = False) -> Outcome:
            return Outcome({"val_mse": 1.0}, Failure(OUT_OF_MEMORY, "epoch 1, step 2"))

        def fingerprint(self, program: object, key: str) -> tuple[str | None, Failure | None]:
            return None, Failure(OUT_OF_MEMORY, "probe")

    for method in ("evaluate", "quick"):
        outcome = call(Caught(0.0), method, None, "k", limit=int(0.05 * 2**30))  # type: ignore[arg-type]
        assert outcome.failure == Failure("out of memory (over --memory-limit 0.05 GiB)", "epoch 1, step 2")
        assert outcome.metrics == {"val_mse": 1.0} and out_of_memory(outcome)
    fingerprint = call(Caught(0.0), "fingerprint", None, "k", limit=3 * 2**30)  # type: ignore[arg-type]
    assert fingerprint == (None, Failure("out of memory (over --memory-limit 3 GiB)", "probe"))
    free = call(Caught(0.0), "evaluate", None, "k")  # type: ignore[arg-type]
    assert free.failure.reason == OUT_OF_MEMORY and out_of_memory(free)


@pytest.mark.parametrize("error", [ImportError, OSError])
def test_a_library_the_loader_could_not_map_is_out_of_memory_and_retires_the_worker(error: type[Exception]) -> None:
    """A large model's first probe imports torch._dynamo lazily; under a tight memory limit the dynamic loader
    could not map a library it needs (``ImportError: .../_lsprof...so: failed to map segment from shared object``,
    ``OSError: libgomp.so.1: ...``), which was recorded as the ImportError, and the worker, left with modules half
    imported, failed later candidates with AttributeError and OSError (a new user's pass).  It is out of memory:
    said so, and the worker replaced."""
    from mlevolve.gp.backends import call, out_of_memory

    class Unmapped(SlowEvaluator):
        def evaluate(self, program: object, key: str, quick: bool = False) -> Outcome:
            raise error("/usr/lib/libx.so: failed to map segment from shared object")

    outcome = call(Unmapped(0.0), "evaluate", None, "k", limit=2**40)  # type: ignore[arg-type]
    assert outcome.failure.reason == "out of memory (over --memory-limit 1024 GiB)" and out_of_memory(outcome)


# ------------------------------------------------------------- evaluation seconds: the workers' own
def test_a_parallel_runs_evaluation_seconds_are_the_workers_own(tmp_path: Path) -> None:
    """With workers, each candidate's time from its making to its answer overlaps the others' and counts its waits
    (summed, 141 s in a 1.7 s two-worker run), so ``evaluation_seconds`` is what the workers spent scoring, at most
    workers x wall, and the waits are counted apart; one at a time in process, as before (no waits apart)."""
    parallel = evolve(QUARTIC, ["f"], budget=300, db=tmp_path / "w.db", init="random", population=40, workers=2,
                      quiet=True, prune=False)
    assert 0 < parallel["evaluation_seconds"] <= 2 * parallel["seconds"], parallel
    assert parallel["waiting_seconds"] > 0
    with Archive.read(tmp_path / "w.db") as archive:  # the rows' seconds are the workers' too, as the report sums them
        rows = list(archive.rows())
    rounding = 0.01 + 0.001 * len(rows)
    assert sum(row.seconds for row in rows) == pytest.approx(parallel["evaluation_seconds"], abs=rounding)
    alone = evolve(QUARTIC, ["f"], budget=100, db=tmp_path / "one.db", init="random", population=20, quiet=True,
                   prune=False)
    assert 0 < alone["evaluation_seconds"] <= alone["seconds"] and alone["waiting_seconds"] is None


class CompilingEvaluator(SlowEvaluator):
    """Says numba compiled for 2.5 s on each candidate it scores (the counter a real compile adds to)."""

    def evaluate(self, program: object, key: str, quick: bool = False) -> Outcome:
        from mlevolve.interpreter import compiling

        compiling._State.seconds += 2.5
        return super().evaluate(program, key, quick)


class CompilingFactory(SlowFactory):
    def __call__(self) -> CompilingEvaluator:
        return CompilingEvaluator(self.delay)


def test_a_pool_worker_says_what_it_compiled_on_its_candidates() -> None:
    """A worker that compiles numba kernels on its first candidates (not in its warm-up) says so with its reply, so
    the coordinator's progress clock leaves the compile out (ProcessPool.warmup), as it does for one in process."""
    pool = ProcessPool(CompilingFactory(0.0), workers=1)
    try:
        pool.submit(Request(0, "evaluate", PROGRAM.format(k=2), "k0"))
        _drain(pool, 1)
        assert pool.warmup == pytest.approx(2.5)
        pool.submit(Request(1, "evaluate", PROGRAM.format(k=3), "k1"))
        _drain(pool, 1)
        assert pool.warmup == pytest.approx(5.0)  # the worker's compiles so far
    finally:
        pool.close()


def test_a_dask_worker_says_what_it_compiled_on_its_candidates() -> None:
    pytest.importorskip("distributed")
    backend = DaskBackend(CompilingFactory(0.0), "local:1", timeout=30)
    try:
        backend.submit(Request(0, "evaluate", PROGRAM.format(k=2), "k0"))
        _drain(backend, 1)
        assert backend.warmup == pytest.approx(2.5)  # the worker process's compiles so far
    finally:
        backend.close()
