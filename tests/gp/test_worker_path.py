"""The lean worker path (issue 14 item 5): one request scores a candidate where it runs.

The worker takes the engine's FEC and hurdle decisions from what the request carries: these tests
check the decisions against the engine's rules, the fingerprint deltas a backend sends each worker,
and that an engine scoring in process and one scoring through a backend write the same archive.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mlevolve import check, parse_file
from mlevolve.dsl.ir import Program
from mlevolve.gp.archive import Archive
from mlevolve.gp.backends import InProcess, Known, Policy, Request, outgoing, run_request, score
from mlevolve.gp.engine import Engine, EvolveConfig
from mlevolve.gp.search import mu_plus_lambda, regularized_evolution
from mlevolve.grammar.spec import load_grammar
from mlevolve.interpreter.factory import EvaluatorFactory
from mlevolve.interpreter.tasks import load_task
from mlevolve.results import Failure, Outcome
from tests.conftest import ROOT

QUARTIC = "algorithm q\ntask quartic\n\nformula f(x: Scalar) -> Scalar =\n  {body}\n"


class Scripted:
    """An evaluator whose probe and trainings answer from tables: a fingerprint per key, and the
    short and full runs' fitnesses; it records the steps it ran."""

    def __init__(self, fingerprint: str | None, quick: float, full: float, hurdle: bool = True) -> None:
        self.supports_hurdle = hurdle
        self.print, self.quick, self.full = fingerprint, quick, full
        self.steps: list[str] = []

    def fingerprint(self, program: Program, key: str) -> tuple[str | None, Failure | None]:
        self.steps.append("fingerprint")
        return self.print, None

    def evaluate(self, program: Program, key: str, quick: bool = False) -> Outcome:
        self.steps.append("quick" if quick else "evaluate")
        return Outcome({"fitness": self.quick if quick else self.full})


def test_a_known_fingerprint_is_fec_without_training() -> None:
    evaluator = Scripted("abc", 0.5, 0.9)
    assert score(evaluator, None, "k", {"abc"}, (), Policy()) == (None, "fec", "abc", None, None)  # type: ignore[arg-type]
    assert evaluator.steps == ["fingerprint"]


def test_a_probe_failure_stops_before_training() -> None:
    class Failing(Scripted):
        def fingerprint(self, program: Program, key: str) -> tuple[str | None, Failure | None]:
            return None, Failure("the formula is not finite on the probe inputs", "probe")

    outcome, source, fingerprint, _, _ = score(Failing("x", 0, 0), None, "k", set(), (), Policy())  # type: ignore[arg-type]
    assert source == "probe" and fingerprint is None and outcome is not None
    assert outcome.failure == Failure("the formula is not finite on the probe inputs", "probe")


@settings(max_examples=60, deadline=None)
@given(window=st.lists(st.floats(-10, 10), max_size=40), quick=st.floats(-10, 10), warmup=st.integers(1, 30))
def test_the_hurdle_is_the_quantile_of_the_window(window: list[float], quick: float, warmup: int) -> None:
    evaluator = Scripted("new", quick, 7.0)
    outcome, source, _, _, _ = score(evaluator, None, "k", set(), tuple(window), Policy(True, 0.75, warmup))  # type: ignore[arg-type]
    assert outcome is not None
    threshold = float(np.quantile(window, 0.75)) if len(window) >= warmup else -np.inf
    if quick < threshold:
        assert source == "hurdle" and evaluator.steps == ["fingerprint", "quick"]
        assert outcome.metrics == {"fitness": quick, "quick_fitness": quick, "hurdle": threshold}
    else:
        assert source == "evaluated" and evaluator.steps == ["fingerprint", "quick", "evaluate"]
        assert outcome.metrics == {"fitness": 7.0, "quick_fitness": quick}


def test_without_a_hurdle_one_full_training() -> None:
    for policy, supports in ((Policy(hurdle=False), True), (Policy(), False)):
        evaluator = Scripted("new", 0.1, 0.8, hurdle=supports)
        outcome, source, fingerprint, _, _ = score(evaluator, None, "k", {"old"}, (), policy)  # type: ignore[arg-type]
        assert (outcome, source, fingerprint) == (Outcome({"fitness": 0.8}), "evaluated", "new")
        assert evaluator.steps == ["fingerprint", "evaluate"]


@given(counts=st.lists(st.integers(0, 30), min_size=1, max_size=12))
def test_a_worker_copy_follows_the_deltas(counts: list[int]) -> None:
    """Whatever order of requests (a retried one may be older), a worker's copy holds every
    fingerprint a request counted, and never one the coordinator does not know."""
    table = [f"fp{i}" for i in range(30)]
    copy, synced = Known(), 0
    for count in counts:
        sent = outgoing(Request(0, "score", "", "k", table, count), synced)
        assert sent.known_from == copy.count  # always in step
        assert len(sent.known) == max(0, count - synced)  # only what the worker lacks travels
        copy.update(sent)
        synced = max(synced, count)
        assert set(table[:count]) <= copy.fingerprints == set(table[:synced])


def test_only_the_new_fingerprints_travel() -> None:
    table = ["a", "b", "c", "d"]
    assert outgoing(Request(0, "score", "", "k", table, 3), 0).known == ("a", "b", "c")
    assert outgoing(Request(0, "score", "", "k", table, 4), 3).known == ("d",)
    assert outgoing(Request(0, "score", "", "k", table, 2), 3).known == ()
    step = Request(0, "evaluate", "", "k", table, 4)
    assert outgoing(step, 0) is step


def test_a_score_request_parses_and_answers_in_one_call() -> None:
    evaluator = Scripted("fp", 0.2, 0.6, hurdle=False)
    backend = InProcess(lambda: evaluator)
    backend.submit(Request(7, "score", QUARTIC.format(body="x * x"), "k1", ["fp"], 1))
    backend.submit(Request(8, "score", QUARTIC.format(body="x + x"), "k2", ["fp"], 0))
    answers = backend.results()
    assert [(job, scored[:4]) for job, scored in answers] == [(7, (None, "fec", "fp", None)),
                                                              (8, (None, "fec", "fp", None))]  # the copy keeps "fp"
    assert all(scored.seconds >= 0.0 for _, scored in answers)  # timed where it ran (Scored.seconds)
    unparsable = run_request(evaluator, Request(9, "score", "not a program", "k3"))
    outcome, source, fingerprint, _, _ = unparsable
    assert source == "evaluated" and fingerprint is None and outcome.failure.where == "worker"


def _rows(backend: Any, algorithm: Any) -> list[tuple[Any, ...]]:
    spec = load_grammar()
    program = check(parse_file(ROOT / "examples" / "quartic.mlev"))
    factory = EvaluatorFactory("koza_quartic", 0, 1, frozenset({"formula"}), timeout=60.0)
    evaluator = factory.build(load_task("koza_quartic", 0), spec)
    config = EvolveConfig(budget=120, population=20, init="random", seed=3)
    with tempfile.TemporaryDirectory() as tmp, Archive.for_run(Path(tmp) / "r.db", {"run": "t"}) as archive:
        engine = Engine(program, ["f"], spec, evaluator, archive,
                        config, None, None if backend is None else backend(evaluator))
        algorithm(engine)
        return [(r.seq, r.hash, r.fitness, r.source, r.fingerprint, r.failure) for r in archive.rows()]


def test_in_process_and_backend_scoring_write_the_same_archive() -> None:
    for algorithm in (regularized_evolution, mu_plus_lambda):
        here = _rows(None, algorithm)
        through = _rows(lambda e: InProcess(lambda: e), algorithm)
        assert here == through
        sources = {r[3] for r in here}
        assert {"evaluated", "cache", "fec"} <= sources  # every decision the worker takes was exercised


def test_seeded_draws_what_torch_manual_seed_draws_and_restores_the_state() -> None:
    """The probe's and training's seeding (its cheap form, without torch's lazy accelerator seeding)."""
    import torch

    from mlevolve.interpreter.runtime import seeded

    torch.manual_seed(11)
    expected = torch.randn(5)
    state = torch.get_rng_state()
    with seeded(11):
        drawn = torch.randn(5)
    assert torch.equal(drawn, expected) and torch.equal(torch.get_rng_state(), state)


def test_a_fitted_formula_comes_back_with_the_simplified_text_of_the_program_as_scored() -> None:
    from mlevolve.dsl.parse import parse
    from mlevolve.dsl.printer import format_program
    from mlevolve.dsl.simplify import simplify_program

    factory = EvaluatorFactory("koza_quartic", 0, 1, frozenset({"formula"}), timeout=60, fit=True)
    evaluator = factory.build(load_task("koza_quartic", 0), load_grammar())
    program = check(parse(QUARTIC.format(body="(x + 0.5) * x * 1.0")))
    outcome, source, _, simplified, _ = score(evaluator, program, "k", set(), (), Policy())
    assert source == "evaluated" and outcome is not None and outcome.program is not None
    assert simplified == format_program(simplify_program(parse(outcome.program)))
    assert score(Scripted("new", 0.1, 0.8), None, "k", set(), (), Policy()).simplified is None  # type: ignore[arg-type]


def test_a_fingerprint_found_earlier_in_a_batch_makes_a_later_candidate_an_fec_hit() -> None:
    """A batch's requests were made before any of them was answered: the second does not carry the
    first's fingerprint, but the worker found it, and the coordinator will have recorded it by the
    time it resolves the second answer (answers are resolved in order)."""
    evaluator, known = Scripted("fp", 0.2, 0.6, hurdle=False), Known()
    first = run_request(evaluator, Request(1, "score", QUARTIC.format(body="x * x"), "k1"), None, None, known)
    second = run_request(evaluator, Request(2, "score", QUARTIC.format(body="x + x"), "k2"), None, None, known)
    assert (first.source, second.source) == ("evaluated", "fec") and second.fingerprint == "fp"
    assert evaluator.steps == ["fingerprint", "evaluate", "fingerprint"]
    alone = run_request(Scripted("fp", 0.2, 0.6, hurdle=False), Request(2, "score", QUARTIC.format(body="x"), "k2"))
    assert alone.source == "evaluated"  # without the worker's copy (Dask: every request carries all)
