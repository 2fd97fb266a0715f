"""A parallel run's reload keeps its archived programs as text, parsed when the search reads one (``Reloaded``).

The resumed run must be the run the reload that parsed every program made (row for row, on a deterministic
several-slot backend), and the reload itself must not call the parser per candidate."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mlevolve.dsl.parse import parse
from mlevolve.gp import record
from mlevolve.gp.engine import EvolveConfig
from mlevolve.gp.record import Candidate, Reloaded
from mlevolve.gp.search import ALGORITHMS
from mlevolve.results import Outcome, parse_archived
from tests.gp.test_diversity import quartic_engine


def _resume(tmp: Path, config: EvolveConfig, calls: list[int]) -> tuple[list[tuple[Any, ...]], int, int]:
    """Resume the archive in ``tmp`` to ``config.budget`` on 3 slots: its rows, and the parser's calls during the
    reload and in all (counted into ``calls`` by the patched parser)."""
    with quartic_engine(tmp, config, slots=3, replay=False) as engine:
        at_reload = len(calls)
        assert len(engine.resumed) == 90
        ALGORITHMS[config.algorithm](engine)
        rows = [(r.seq, r.hash, r.program, r.fitness, r.source, r.operator, r.parents) for r in engine.archive.rows()]
    return rows, at_reload, len(calls)


@pytest.mark.parametrize("algorithm", ["regularized", "mu_plus_lambda", "islands", "map-elites"])
def test_a_reload_parses_only_what_the_search_reads_and_resumes_as_a_full_parse(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, algorithm: str) -> None:
    config = EvolveConfig(budget=90, population=20, init="random", seed=3, algorithm=algorithm)
    first, second = tmp_path / "lazy", tmp_path / "eager"
    first.mkdir()
    with quartic_engine(first, config, slots=3) as engine:
        ALGORITHMS[algorithm](engine)
    shutil.copytree(first, second, dirs_exist_ok=True)
    calls: list[int] = []

    def counted(text: str, *args: Any, **kw: Any) -> Any:
        calls.append(1)
        return parse_archived(text, *args, **kw)

    monkeypatch.setattr(record, "parse_archived", counted)
    lazy, at_reload, parsed = _resume(first, replace(config, budget=150), calls)
    assert at_reload == 0  # the reload itself parses nothing
    assert parsed < 90  # the search read some of the 90 reloaded programs, not all
    # the reload as it was: every archived program parsed as it is read back
    monkeypatch.setattr(Reloaded, "unread",
                        classmethod(lambda cls, text, archive, *fields: Candidate(parse(text), *fields)))
    eager, _, _ = _resume(second, replace(config, budget=150), [])
    assert lazy == eager and len(lazy) == 150


def test_a_reloaded_candidate_reads_its_program_once() -> None:
    text = "algorithm a\nformula f(x: Scalar) -> Scalar =\n  x * 2.0\n"
    candidate = Reloaded.unread(text, "r.db", "h", Outcome({"fitness": 1.0}), 0, 3, 0, "evaluated", None)
    assert "program" not in vars(candidate)
    assert candidate.program == parse(text) and candidate.program is candidate.program
    with pytest.raises(AttributeError):
        candidate.missing  # noqa: B018  # only the program is read lazily


@pytest.mark.e2e
@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_archived_program_that_does_not_parse_names_the_archive_and_candidate(tmp_path: Path, workers: str) -> None:
    """An archive edited (or damaged) where a reloaded program's text no longer parses: the resumed run ends in one
    line naming the archive (and the candidate, where its row is read: a parallel run's reload; a replay meets the
    text as a cached outcome's), with a hint, where it said ``<input>:5:11: error: unexpected 'f'``.  In process
    (a formula's replay) and on two workers (the reload)."""
    import sqlite3
    import sys

    from tests.conftest import ROOT, environment, run_child

    db = tmp_path / "r.db"
    argv = [sys.executable, "-m", "mlevolve", "evolve", str(ROOT / "examples" / "quartic.mlev"), "--task", "nguyen1",
            "--init", "random", "--seed", "1", "--population", "10", "--db", str(db), "--quiet", "--workers", workers]
    assert run_child([*argv, "--budget", "30"], env=environment(), capture_output=True, timeout=300).returncode == 0
    with sqlite3.connect(db) as connection:
        connection.execute("update candidates set program = replace(program, 'formula f', 'formula f f')")
    done = run_child([*argv, "--budget", "60"], env=environment(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    first, hint = done.stderr.splitlines()[-2:]
    assert re.fullmatch(rf"{re.escape(str(db))}: error: (candidate #\d+'s program|a program it holds) does not parse "
                        r"\(line 5, column 11: unexpected 'f'\)", first), done.stderr
    assert hint.startswith("hint: the archive was changed outside mlevolve, or is damaged")
