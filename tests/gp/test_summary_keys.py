"""The run summary (``evolve --json``, the API's result, the archive's ``summary``) has one key set in every run:
a value that does not apply is None, never a missing key (``waiting_seconds`` was absent in process, present with
workers; ``time_limit``, ``restarts``, ``hurdle``, ``fit_evaluations``, the prune's keys, likewise; ``failures``, the
reasons no candidate scored, was [] in a run whose best scored, read as no candidate failed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlevolve.api import evolve
from mlevolve.gp.record import SUMMARY_KEYS, RunRecord

ROOT = Path(__file__).resolve().parents[2]
QUARTIC, LEARNER = ROOT / "examples" / "quartic.mlev", ROOT / "examples" / "linear_regression.mlev"
NONE_WHERE_NOT_APPLYING = {"waiting_seconds", "time_limit", "restarts", "restart_every", "hurdle", "fit_evaluations",
                           "prune_evaluations", "prune_cost", "answer_prune_evaluations", "answer_prune_cost",
                           "pruned_from", "failures"}


def _run(tmp_path: Path, name: str, program: Path, **settings: Any) -> dict[str, Any]:
    return evolve(program, budget=40, db=tmp_path / f"{name}.db", init="random", population=10, quiet=True,
                  **settings)


def test_every_run_gives_the_same_keys_with_none_where_a_value_does_not_apply(tmp_path: Path) -> None:
    """Runs that differ in every optional part (fitting or not, pruning or not, restarts or not) give one key set."""
    runs = {"formula, fitted, pruned": _run(tmp_path, "a", QUARTIC, task="nguyen1"),
            "formula, no fit, no prune": _run(tmp_path, "b", QUARTIC, task="nguyen1", fit=False, prune=False),
            "learner, restarts": _run(tmp_path, "c", LEARNER, restart_every=20),
            "formula, two workers": _run(tmp_path, "d", QUARTIC, task="nguyen1", workers=2)}
    keys = {name: frozenset(result) for name, result in runs.items()}
    assert len(set(keys.values())) == 1, keys
    assert next(iter(keys.values())) >= SUMMARY_KEYS | NONE_WHERE_NOT_APPLYING
    plain = runs["formula, no fit, no prune"]
    assert all(plain[k] is None for k in NONE_WHERE_NOT_APPLYING), {k: plain[k] for k in NONE_WHERE_NOT_APPLYING}
    assert runs["learner, restarts"]["restart_every"] == 20 and runs["learner, restarts"]["restarts"] >= 1
    assert runs["formula, fitted, pruned"]["fit_evaluations"] > 0
    assert runs["formula, two workers"]["waiting_seconds"] >= 0 and plain["evaluated"] > 0


def test_the_records_summary_keys_are_its_documented_set(tmp_path: Path) -> None:
    """:data:`SUMMARY_KEYS` is what :meth:`RunRecord.summary` gives, a count for every source (0: none came)."""
    from mlevolve.gp.archive import Archive

    with Archive.for_run(tmp_path / "r.db", {"run": "t"}) as archive:
        summary = RunRecord(archive).summary(fit=True)
    assert frozenset(summary) == SUMMARY_KEYS
    assert summary["waiting_seconds"] is None and summary["fit_evaluations"] == 0 == summary["hurdle"]
