"""A grammar whose changes fall outside the evolved slots' types is said to change nothing they draw (dask83)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mlevolve.dsl.kinds import KINDS
from mlevolve.grammar.spec import load_grammar
from mlevolve.grammar.touch import changed_types, untouched_note
from tests.conftest import ROOT, Capsys, cli

QUARTIC = str(ROOT / "examples" / "quartic.mlev")
SCALAR_WEIGHTS = 'version = 1\nextends = "base"\n\n[weights]\n"sqrt(Scalar)" = 0.2\n"mul(Scalar,Scalar)" = 1.1\n'
TENSOR_WEIGHTS = 'version = 1\nextends = "base"\n\n[weights]\n"add(Tensor,Tensor)" = 2.5\n"mul(Scalar,Tensor)" = 0.25\n'


def _grammar(tmp_path: Path, text: str, name: str = "g.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_an_update_rule_grammar_changes_nothing_a_formula_draws(tmp_path: Path) -> None:
    base, spec = load_grammar(), load_grammar(_grammar(tmp_path, TENSOR_WEIGHTS))
    assert changed_types(spec, base) == ["Tensor"]
    assert untouched_note(spec, base, [("f", KINDS["formula"].types)], "g.toml") == (
        "grammar g.toml changes nothing the evolved slot 'f' draws (its changes are to Tensor productions): this run "
        "searches as the base grammar does")
    assert untouched_note(spec, base, [("adam", KINDS["optimizer"].types)], "g.toml") is None


def test_scalar_weights_are_drawn_by_an_update_rule_too(tmp_path: Path) -> None:
    """A formula generator's Scalar weights are drawn in an update rule's Scalar subterms (``t * log(0.9)``, reached
    through ``mul(Scalar,Tensor)``): no note there, only where no slot computes with Scalar."""
    base, spec = load_grammar(), load_grammar(_grammar(tmp_path, SCALAR_WEIGHTS))
    assert changed_types(spec, base) == ["Scalar"]
    for kind in ("optimizer", "formula", "learner", "model"):
        assert untouched_note(spec, base, [("x", KINDS[kind].types)], "g") is None
    assert untouched_note(base, base, [("f", KINDS["formula"].types)], "base") is None  # nothing changed at all


def test_a_slot_that_draws_a_change_keeps_the_run_unnoted(tmp_path: Path) -> None:
    base, spec = load_grammar(), load_grammar(_grammar(tmp_path, TENSOR_WEIGHTS))
    both = [("f", KINDS["formula"].types), ("act", KINDS["activation"].types)]
    assert untouched_note(spec, base, both, "g") is None
    two = [("f", KINDS["formula"].types), ("g", KINDS["formula"].types)]
    assert "the evolved slots 'f', 'g' draws" in (untouched_note(spec, base, two, "g") or "")


def _rows(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT hash, fitness FROM candidates ORDER BY rowid").fetchall()


@pytest.mark.parametrize(("text", "noted"), [(TENSOR_WEIGHTS, True), (SCALAR_WEIGHTS, False)])
def test_evolve_notes_a_grammar_its_slot_never_draws(tmp_path: Path, capsys: Capsys, text: str,
                                                     noted: bool) -> None:
    """An update-rule grammar given to a formula's run ran as the base grammar, silently: a one-line note says so
    (the run goes on: status 0), and the archive is the base grammar's."""
    grammar = _grammar(tmp_path, text)
    code, _, err = cli(capsys, "evolve", QUARTIC, "--task", "nguyen1", "--grammar", str(grammar), "--budget", "8",
                       "--seed", "1", "--db", str(tmp_path / "g.db"), "--quiet")
    assert code == 0, err
    notes = [line for line in err.splitlines() if line.startswith("note: grammar")]
    assert notes == ([f"note: grammar {grammar.resolve()} changes nothing the evolved slot 'f' draws (its changes "
                      "are to Tensor productions): this run searches as the base grammar does"] if noted else [])
    if noted:
        assert cli(capsys, "evolve", QUARTIC, "--task", "nguyen1", "--budget", "8", "--seed", "1", "--db",
                   str(tmp_path / "b.db"), "--quiet")[0] == 0
        assert _rows(tmp_path / "g.db") == _rows(tmp_path / "b.db") != []
