"""Counted nouns read as English in both numbers: every count a command or the report writes goes through
``mlevolve.messages.counted`` / ``listed`` (no hand-written plural), golden here in the singular and the plural
for the lines that had no test of one of them."""

from __future__ import annotations

from pathlib import Path

import pytest

import mlevolve.api as api
from mlevolve.cli import main
from mlevolve.messages import counted, listed
from mlevolve.report.data import pruned_line
from tests.conftest import ROOT, Capsys


@pytest.mark.parametrize(("got", "want"), [
    (counted(1, "candidate"), "1 candidate"), (counted(0, "candidate"), "0 candidates"),
    (counted(1_204, "more program"), "1,204 more programs"), (counted(1, "hash", "hashes"), "1 hash"),
    (counted(3, "hash", "hashes"), "3 hashes"), (listed("column", ["a"]), "column a"),
    (listed("column", ["a", "b"]), "columns a, b"), (listed("hash", ["0a"], "hashes"), "hash 0a"),
    (listed("hash", ["0a", "0b", "..."], "hashes"), "hashes 0a, 0b, ...")])
def test_counted_and_listed_in_both_numbers(got: str, want: str) -> None:
    assert got == want


FAILED = {"from": "0123456789abcdef", "from_seq": 12, "from_size": 5, "failure": "not finite", "program": None}


@pytest.mark.parametrize(("tasks", "evaluations", "want"), [
    (1, 1, "not pruned: the best fails on the 1 common task (not finite; 1 evaluation)"),
    (100, 2, "not pruned: the best fails on the 100 common tasks (not finite; 2 evaluations)")])
def test_a_failed_prunes_line_counts_its_tasks_and_evaluations(tasks: int, evaluations: int, want: str) -> None:
    assert pruned_line({**FAILED, "tasks": tasks, "evaluations": evaluations}) == want


def test_a_front_of_one_program_says_so(tmp_path: Path, capsys: Capsys) -> None:
    """The start alone (budget 1) is a front of one program (tests/report/test_front.py has the plural)."""
    api.evolve(ROOT / "examples" / "quartic.mlev", ["f"], budget=1, population=2, db=tmp_path / "q.db", quiet=True)
    capsys.readouterr()
    assert main(["best", str(tmp_path / "q.db"), "--front"]) == 0
    assert capsys.readouterr().out.startswith("Pareto front: 1 program, each fitter than every smaller one (size: ")
