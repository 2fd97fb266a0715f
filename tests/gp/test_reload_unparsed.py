"""A parallel run's reload keeps its archived programs as text, parsed when the search reads one (``Reloaded``).

The resumed run must be the run the reload that parsed every program made (row for row, on a deterministic
several-slot backend), and the reload itself must not call the parser per candidate."""

from __future__ import annotations

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
from mlevolve.results import Outcome
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
        return parse(text, *args, **kw)

    monkeypatch.setattr(record, "parse", counted)
    lazy, at_reload, parsed = _resume(first, replace(config, budget=150), calls)
    assert at_reload == 0  # the reload itself parses nothing
    assert parsed < 90  # the search read some of the 90 reloaded programs, not all
    # the reload as it was: every archived program parsed as it is read back
    monkeypatch.setattr(Reloaded, "unread", classmethod(lambda cls, text, *fields: Candidate(parse(text), *fields)))
    eager, _, _ = _resume(second, replace(config, budget=150), [])
    assert lazy == eager and len(lazy) == 150


def test_a_reloaded_candidate_reads_its_program_once() -> None:
    text = "algorithm a\nformula f(x: Scalar) -> Scalar =\n  x * 2.0\n"
    candidate = Reloaded.unread(text, "h", Outcome({"fitness": 1.0}), 0, 3, 0, "evaluated", None)
    assert "program" not in vars(candidate)
    assert candidate.program == parse(text) and candidate.program is candidate.program
    with pytest.raises(AttributeError):
        candidate.missing  # noqa: B018  # only the program is read lazily
