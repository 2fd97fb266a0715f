"""A time-out's failure says the limit it applied and, where that is not ``--timeout``, why: a ``score`` request
(probe, hurdle and training) is cut at twice ``--timeout`` and said to be; a single step at ``--timeout`` itself; in
process, where no backend cuts a request, the training loop's own check says its budget, ``--timeout``.  Golden
lines, on every backend the fast suite can run (Dask's is slow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve.api import evolve
from mlevolve.gp.backends import ProcessPool, Request, Scored, timed_out
from mlevolve.gp.dask_backend import DaskBackend
from mlevolve.results import Outcome
from tests.conftest import ROOT, archive_rows
from tests.gp.test_parallel import STUCK, SlowFactory, _drain

SCORE_WORDS = "timed out after 2 s (twice --timeout 1: a score runs the probe and the training)"


@pytest.mark.parametrize(("method", "reason"), [
    ("score", "timed out after 3 s (twice --timeout 1.5: a score runs the probe and the training)"),
    ("evaluate", "timed out after 1.5 s (--timeout 1.5)"),
    ("quick", "timed out after 1.5 s (--timeout 1.5)"),
    ("fingerprint", "timed out after 1.5 s (--timeout 1.5)")])
def test_each_requests_time_out_says_its_limit_and_why(method: str, reason: str) -> None:
    answer = timed_out(Request(0, method, "", "k"), 1.5)
    failure = answer.outcome.failure if method == "score" else answer[1] if method == "fingerprint" else answer.failure
    assert failure is not None and failure.reason == reason and failure.where == "worker"


def _stuck_score(backend: object) -> Outcome:
    try:
        backend.submit(Request(0, "score", STUCK, "stuck"))  # type: ignore[attr-defined]
        answer = _drain(backend, 1, limit=120)[0]
    finally:
        backend.close()  # type: ignore[attr-defined]
    assert isinstance(answer, Scored) and answer.outcome is not None
    return answer.outcome


def test_a_pools_score_past_twice_the_timeout_says_twice() -> None:
    outcome = _stuck_score(ProcessPool(SlowFactory(0.0), workers=1, timeout=1.0))
    assert outcome.failure is not None and outcome.failure.reason == SCORE_WORDS


@pytest.mark.slow
def test_a_dask_score_past_twice_the_timeout_says_twice() -> None:
    pytest.importorskip("distributed")
    outcome = _stuck_score(DaskBackend(SlowFactory(0.0), "local:1", timeout=1.0))
    assert outcome.failure is not None and outcome.failure.reason == SCORE_WORDS


def test_in_process_a_training_past_the_timeout_says_the_timeout(tmp_path: Path) -> None:
    """A learner run scores in process (a cheap evaluator): its training loop's check fails it at ``--timeout``."""
    evolve(ROOT / "examples" / "linear_regression.mlev", ["linreg"], budget=2, population=2, db=tmp_path / "l.db",
           quiet=True, timeout=1e-6)
    assert [row[5] for row in archive_rows(tmp_path / "l.db")] == ["over the time budget of 1e-06 s"] * 2
