"""An archive whose stored program text no longer parses (edited outside mlevolve, or damaged), read by ``best``,
``show``, ``report`` and ``export``: one line naming the archive and the program, with a hint, as a resume says it
(:func:`mlevolve.results.parse_archived`), where each said ``r.db#HASH:5:11: error: unexpected 'f'``."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from mlevolve import api
from mlevolve.dsl.errors import MlevError
from mlevolve.gp.record import RESUMED_ANEW
from mlevolve.results import SHOWN_ANEW, parse_archived
from tests.conftest import ROOT, Capsys, usage_error

BROKEN = "algorithm q\nformula f f(x: Scalar) -> Scalar =\n  x\n"
WHY = "does not parse (line 2, column 11: unexpected 'f')"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("unparsed") / "run.db"
    api.evolve(str(ROOT / "examples" / "quartic.mlev"), ["f"], task="nguyen1", budget=20, population=10, db=db,
               init="random", seed=1, quiet=True, prune=False)  # the best a candidate row
    return db


def _damaged(archive: Path, tmp_path: Path, where: str) -> tuple[Path, int, str]:
    """A copy of ``archive`` with the text of the best candidate (``where="best"``), of every candidate but the
    best (``"others"``) or of the starting program in its meta (``"start"``) damaged; its best's seq and hash."""
    db = tmp_path / "t3.db"
    shutil.copy(archive, db)
    best = api.best(db)[0]
    with sqlite3.connect(db) as connection:
        seq = connection.execute("select seq from candidates where hash = ?", (best["hash"],)).fetchone()[0]
        if where == "start":
            connection.execute("update meta set value = ? where key = 'program'", (json.dumps(BROKEN),))
        else:
            connection.execute(f"update candidates set program = ? where hash {'=' if where == 'best' else '!='} ?",
                               (BROKEN, best["hash"]))
    connection.close()
    return db, seq, best["hash"][:12]


def test_parse_archived_names_the_archive_and_the_program_with_the_hint() -> None:
    for whose, named in [(3488, "candidate #3488's program"), ("the starting program", "the starting program"),
                         (None, "a program it holds")]:
        with pytest.raises(MlevError) as caught:
            parse_archived(BROKEN, "cr6.db", whose, RESUMED_ANEW)
        assert caught.value.render().splitlines() == [
            f"cr6.db: error: {named} {WHY}",
            "hint: the archive was changed outside mlevolve, or is damaged: pass a new --db path to start again"]
    with pytest.raises(MlevError) as caught:
        parse_archived(BROKEN, "t3.db")
    assert caught.value.hint == SHOWN_ANEW


READ_HINT = ("hint: the archive was changed outside mlevolve, or is damaged: restore it from a copy, or run the "
             "search again with a new {}")


@pytest.mark.parametrize("command", [["best", "{db}"], ["show", "{db}"], ["show", "{db}", "{hash}"],
                                     ["show", "{db}", "--sympy"], ["report", "{db}", "-o", "{out}"],
                                     ["export", "{db}", "{hash}", "-o", "{out}"]],
                         ids=lambda c: " ".join(c[:1] + c[2:3]))
def test_a_read_command_names_the_candidate_whose_archived_text_does_not_parse(
        archive: Path, tmp_path: Path, capsys: Capsys, command: list[str]) -> None:
    db, seq, key = _damaged(archive, tmp_path, "best")
    out = tmp_path / ("out.html" if command[0] == "report" else "out.mlev")
    err = usage_error(capsys, *(a.format(db=db, hash=key, out=out) for a in command))
    flag = "--db" if command[0] == "export" else "DB"  # (best, show and report take the archive as DB)
    assert err.splitlines() == [f"{db}: error: candidate #{seq}'s program {WHY}", READ_HINT.format(flag)]
    assert not out.exists()


@pytest.mark.parametrize("where, named", [("start", "the starting program"), ("others", "candidate #{}'s program")])
def test_the_report_names_the_starting_program_or_a_candidate_it_sizes(
        archive: Path, tmp_path: Path, where: str, named: str) -> None:
    """The report reads more than the best: the run's starting program (its section) and the candidates it sizes."""
    db, _, _ = _damaged(archive, tmp_path, where)
    with pytest.raises(MlevError) as caught:
        api.report(db, tmp_path / "out.html")
    first = caught.value.render().splitlines()[0]
    seqs = [str(s) for s in range(20)]
    assert any(first == f"{db}: error: {named.format(s)} {WHY}" for s in seqs), first
    assert caught.value.hint == SHOWN_ANEW


@pytest.fixture(scope="module")
def pruned_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run whose shown best is pruned (seed 1 keeps an edit): its text is the archive's ``pruned`` record."""
    db = tmp_path_factory.mktemp("unparsed_pruned") / "run.db"
    result = api.evolve(str(ROOT / "examples" / "quartic.mlev"), ["f"], task="nguyen1", budget=60, population=10,
                        db=db, init="random", seed=1, quiet=True)
    assert result["pruned_from"] is not None  # the premise: a best pruned
    return db


@pytest.mark.parametrize("command", [["best", "{db}"], ["show", "{db}"], ["show", "{db}", "{hash}"],
                                     ["report", "{db}", "-o", "{out}"], ["export", "{db}", "{hash}", "-o", "{out}"]],
                         ids=lambda c: " ".join(c[:1] + c[2:3]))
def test_a_read_command_names_the_pruned_record_whose_text_does_not_parse(
        pruned_archive: Path, tmp_path: Path, capsys: Capsys, command: list[str]) -> None:
    """A pruned best's text is the archive's ``pruned`` record, not its candidate's row: the error names the record
    (it named ``candidate #N's program``, whose text parses)."""
    db = tmp_path / "pruned.db"
    shutil.copy(pruned_archive, db)
    with sqlite3.connect(db) as connection:
        record = json.loads(connection.execute("select value from meta where key = 'pruned'").fetchone()[0])
        connection.execute("update meta set value = ? where key = 'pruned'",
                           (json.dumps({**record, "program": BROKEN}),))
    connection.close()
    out = tmp_path / ("out.html" if command[0] == "report" else "out.mlev")
    err = usage_error(capsys, *(a.format(db=db, hash=record["hash"][:12], out=out) for a in command))
    flag = "--db" if command[0] == "export" else "DB"
    assert err.splitlines() == [
        f"{db}: error: the pruned program of candidate #{record['from_seq']} (the archive's pruned record) {WHY}",
        READ_HINT.format(flag)]
    assert not out.exists()
