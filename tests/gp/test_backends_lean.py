"""The lean pool path (issue 14 item 5): programs as tokens, two batches held per worker, bare answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve import check, parse_file
from mlevolve.dsl.parse import parse
from mlevolve.gp.backends import ProcessPool, Request, Scored, outgoing, shipped
from mlevolve.interpreter.factory import EvaluatorFactory
from mlevolve.results import Outcome
from tests.conftest import ROOT
from tests.gp.test_parallel import CRASH, PROGRAM, STUCK, CrashFactory, SlowFactory, _drain


def test_a_worker_gets_the_program_as_tokens_and_no_text() -> None:
    program = check(parse_file(ROOT / "examples" / "quartic.mlev"))
    request = Request(1, "score", "the text", "k", parsed=program)
    sent = outgoing(request, 0)
    assert sent.parsed is None and sent.program == "" and sent.wire is not None
    here = outgoing(request, 0, parsed=True)
    assert here.parsed is program and here.program == "the text" and here.wire is None


def test_an_answer_leaves_the_worker_without_the_rewritten_programs_ir() -> None:
    program = parse(PROGRAM.format(k=2))
    outcome = Outcome({"fitness": 1.0}, None, 0.5, "text", program)
    bare = shipped(Scored(outcome, "evaluated", "fp", "simple"))
    assert bare == Scored(Outcome({"fitness": 1.0}, None, 0.5, "text"), "evaluated", "fp", "simple")
    assert bare.outcome is not None and bare.outcome.parsed is None
    assert shipped(outcome).parsed is None and shipped(outcome) == outcome
    plain = Scored(Outcome({"fitness": 1.0}), "evaluated", None)
    assert shipped(plain) is plain and shipped((None, None)) == (None, None)


def test_a_worker_holds_a_second_batch_while_it_runs_the_first() -> None:
    pool = ProcessPool(SlowFactory(0.2), workers=1, timeout=30, batch=2)
    try:
        for job in range(4):
            pool.submit(Request(job, "evaluate", PROGRAM.format(k=job), f"key{job}"))
        worker = pool.workers[0]
        assert [r.job for r, _ in worker.batch] == [0, 1, 2, 3] and worker.sizes == [2, 2]
        pool.submit(Request(4, "evaluate", PROGRAM.format(k=4), "key4"))
        pool.submit(Request(5, "evaluate", PROGRAM.format(k=5), "key5"))
        assert len(pool.queue) == 2  # a third batch waits in the coordinator
        assert [job for job, _ in pool.results()] == [0, 1]  # one reply per batch, in order
        assert [job for job, _ in pool.results()] == [2, 3]
        assert [job for job, _ in pool.results()] == [4, 5]
    finally:
        pool.close()


def test_a_stuck_candidate_in_the_second_batch_held_is_cut_and_the_rest_answered() -> None:
    pool = ProcessPool(SlowFactory(0.0), workers=1, timeout=2.0, batch=2)
    try:
        texts = [PROGRAM.format(k=0), PROGRAM.format(k=1), STUCK, PROGRAM.format(k=3), PROGRAM.format(k=4)]
        for job, text in enumerate(texts):
            pool.submit(Request(job, "evaluate", text, f"key{job}"))
        results = _drain(pool, 5, limit=90)
    finally:
        pool.close()
    assert sorted(results) == [0, 1, 2, 3, 4] and pool.replaced == 1
    stuck = results.pop(2)
    assert isinstance(stuck, Outcome) and stuck.failure is not None
    assert stuck.failure.reason == "timed out after 2 s (--timeout 2)"
    assert all(isinstance(r, Outcome) and r.failure is None for r in results.values())


def test_a_candidate_that_kills_its_worker_while_it_holds_two_batches_is_charged_alone() -> None:
    pool = ProcessPool(CrashFactory(0.05), workers=1, timeout=30, batch=2)
    try:
        texts = [PROGRAM.format(k=0), PROGRAM.format(k=1), PROGRAM.format(k=2), CRASH, PROGRAM.format(k=4)]
        for job, text in enumerate(texts):
            pool.submit(Request(job, "evaluate", text, f"key{job}"))
        results = _drain(pool, 5, limit=120)
    finally:
        pool.close()
    assert sorted(results) == [0, 1, 2, 3, 4] and pool.replaced == 2  # the candidate was retried once
    crashed = results.pop(3)
    assert isinstance(crashed, Outcome) and crashed.failure is not None
    assert crashed.failure.reason == "the worker died twice on this candidate (status 3)"
    assert all(isinstance(r, Outcome) and r.failure is None for r in results.values())


def test_workers_share_the_batches_fewest_held_first() -> None:
    pool = ProcessPool(SlowFactory(0.3), workers=2, timeout=30, batch=2)
    try:
        for job in range(6):
            pool.submit(Request(job, "evaluate", PROGRAM.format(k=job), f"key{job}"))
        assert [w.sizes for w in pool.workers] == [[2, 2], [2]]
        results = _drain(pool, 6, limit=60)
    finally:
        pool.close()
    assert sorted(results) == list(range(6))
    assert all(isinstance(r, Outcome) and r.failure is None for r in results.values()), results
    pids = {r.metrics["pid"] for r in results.values() if isinstance(r, Outcome)}
    assert len(pids) == 2


class _Reversed:
    """A backend that answers everything submitted so far, newest first, one job per call."""

    slots = 8

    def __init__(self) -> None:
        self.pending: list[Request] = []

    def submit(self, request: Request) -> None:
        self.pending.append(request)

    def results(self, timeout: float | None = None) -> list[tuple[int, object]]:
        return [(self.pending.pop().job, None)] if self.pending else []

    def close(self, interrupted: bool = False) -> None:
        """Nothing to release."""


def test_the_first_job_is_handed_back_first_and_those_held_for_it_in_job_order() -> None:
    from mlevolve.gp.scheduler import Job, Scheduler

    scheduler = Scheduler(_Reversed())  # type: ignore[arg-type]
    program = parse(PROGRAM.format(k=1))
    for _ in range(4):
        job = scheduler.next_id()
        scheduler.submit(Job(program, f"k{job}", "init", (), 0, 1, program, 0.0), Request(job, "score", "", f"k{job}"))
    for busy in (3, 2, 1):  # k4, k3, k2 come first: held, their slots free again, still in flight
        assert list(scheduler.finished()) == [] and (scheduler.busy, scheduler.in_flight) == (busy, 4)
    assert [job.key for job, _ in scheduler.finished()] == ["k1", "k2", "k3", "k4"]
    for _ in range(2):  # later jobs: as they come
        job = scheduler.next_id()
        scheduler.submit(Job(program, f"k{job}", "init", (), 0, 1, program, 0.0), Request(job, "score", "", f"k{job}"))
    assert [job.key for job, _ in scheduler.finished()] == ["k6"]
    assert [job.key for job, _ in scheduler.finished()] == ["k5"]


def test_the_files_program_is_candidate_zero_with_two_workers(tmp_path: Path) -> None:
    from mlevolve.api import evolve
    from tests.conftest import archive_rows

    evolve(ROOT / "examples" / "quartic.mlev", ["f"], budget=40, population=20, workers=2, quiet=True,
           db=tmp_path / "two.db")
    seq, operator, parents = archive_rows(tmp_path / "two.db", ("seq", "operator", "parents"))[0]
    assert (seq, operator, parents) == (0, "init", "[]")


def _fitted_rows(backend: object) -> list[tuple[object, ...]]:
    import tempfile

    from mlevolve.gp.archive import Archive
    from mlevolve.gp.engine import Engine, EvolveConfig
    from mlevolve.gp.search import regularized_evolution
    from mlevolve.grammar.spec import load_grammar
    from mlevolve.interpreter.tasks import load_task
    from tests.conftest import archive_rows

    spec = load_grammar()
    program = check(parse_file(ROOT / "examples" / "quartic.mlev"))
    evaluator = _FACTORY.build(load_task("koza_quartic", 0), spec)
    made = backend(evaluator) if callable(backend) else backend
    with tempfile.TemporaryDirectory() as tmp:
        with Archive.for_run(Path(tmp) / "r.db", {"run": "t"}) as archive:
            engine = Engine(program, ["f"], spec, evaluator, archive, EvolveConfig(budget=150, population=30, seed=4),
                            None, made, replay=False)
            try:
                regularized_evolution(engine)
            finally:
                made.close()
        return archive_rows(Path(tmp) / "r.db", ("seq", "hash", "program", "simplified", "fitness", "source",
                                                 "fingerprint", "failure", "metrics"))


_FACTORY = EvaluatorFactory("koza_quartic", 0, 1, frozenset({"formula"}), timeout=60.0, fit=True)


@pytest.mark.slow
def test_fitted_formulas_through_a_batched_worker_write_the_rows_scored_in_process() -> None:
    """Programs rebuilt from tokens score as the coordinator's own: a one-worker batched pool of the
    real formula evaluator (constants fitted, the fitted program's text and simplified text sent
    back without its IR) writes the rows of :class:`InProcess` with the same batch."""
    from mlevolve.gp.backends import CHEAP_BATCH, InProcess, worker_modules
    from mlevolve.interpreter.regimes import REGIMES

    here = _fitted_rows(lambda e: InProcess(lambda: e, batch=CHEAP_BATCH))
    pooled = _fitted_rows(ProcessPool(_FACTORY, 1, 60, batch=CHEAP_BATCH, preload=worker_modules(REGIMES["formula"])))
    assert pooled == here
    assert any(r[2] != r[3] for r in here)  # some fitted programs simplify to other text


@pytest.mark.parametrize("population", [3, 6, 20])
def test_a_batched_worker_writes_the_rows_scored_in_process_whatever_the_population(population: int) -> None:
    """Below two batches of slots (``population`` < 2 x batch) the pool sends partial batches; the
    in-process backend makes the same batches, so the rows are the same."""
    import tempfile

    from mlevolve.gp.archive import Archive
    from mlevolve.gp.backends import InProcess
    from mlevolve.gp.engine import Engine, EvolveConfig
    from mlevolve.gp.search import regularized_evolution
    from mlevolve.grammar.spec import load_grammar
    from tests.conftest import archive_rows
    from tests.gp.test_parallel import KeyEvaluator, KeyFactory

    def rows(backend: object) -> list[tuple[object, ...]]:
        program = check(parse_file(ROOT / "examples" / "quartic.mlev"))
        config = EvolveConfig(budget=80, population=population, init="random", seed=5)
        with tempfile.TemporaryDirectory() as tmp:
            with Archive.for_run(Path(tmp) / "r.db", {"run": "t"}) as archive:
                engine = Engine(program, ["f"], load_grammar(), KeyEvaluator(), archive,  # type: ignore[arg-type]
                                config, None, backend, replay=False)  # type: ignore[arg-type]
                try:
                    regularized_evolution(engine)
                finally:
                    backend.close()  # type: ignore[attr-defined]
            return archive_rows(Path(tmp) / "r.db", ("seq", "hash", "fitness", "source", "operator", "parents"))

    here = rows(InProcess(KeyFactory(), batch=4))
    assert rows(ProcessPool(KeyFactory(), workers=1, timeout=60, batch=4)) == here
    assert len(here) == 80
