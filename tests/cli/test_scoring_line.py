"""A run's first line on stderr says where its candidates are scored: in this process, in N worker processes, or
on Dask (a local cluster of N workers, or a scheduler's address); ``meta`` says the same of its inner runs.

Found by a new user's pass (stop 63): nothing said whether ``--workers`` or ``--dask`` took effect, nor that a cheap
task's candidates run in the coordinator's process.
"""

from __future__ import annotations

import os
from pathlib import Path

from mlevolve import api
from tests.conftest import EXAMPLES, Capsys, cli

QUARTIC = str(EXAMPLES / "quartic.mlev")


def test_an_evolve_run_starts_with_where_it_scores(tmp_path: Path, capsys: Capsys) -> None:
    code, _, err = cli(capsys, "evolve", QUARTIC, "--budget", "4", "--db", str(tmp_path / "a.db"))
    assert code == 0 and err.splitlines()[0] == "scoring: in process"  # a cheap task's candidates in one slot
    code, _, err = cli(capsys, "evolve", QUARTIC, "--budget", "4", "--db", str(tmp_path / "b.db"), "--workers", "2")
    assert code == 0 and err.splitlines()[0] == "scoring: 2 worker processes"
    code, _, err = cli(capsys, "evolve", QUARTIC, "--budget", "4", "--db", str(tmp_path / "c.db"), "--quiet")
    assert code == 0 and "scoring:" not in err  # --quiet drops it with the progress lines


def test_the_line_names_each_place() -> None:
    assert api.scoring_line(None, None) == "scoring: in process"
    assert api.scoring_line(None, 1) == "scoring: 1 worker process"
    assert api.scoring_line(None, 3) == "scoring: 3 worker processes"
    assert api.scoring_line("local:2", 2) == "scoring: Dask, 2 local workers"
    assert api.scoring_line("local:1", 1) == "scoring: Dask, 1 local worker"
    cores = os.cpu_count() or 1
    assert api.scoring_line("local:0", cores) == f"scoring: Dask, {cores:,} local worker{'s' if cores > 1 else ''}"
    assert api.scoring_line("tcp://10.0.0.1:8786", 1) == "scoring: Dask, scheduler tcp://10.0.0.1:8786"
    assert api.scoring_line(None, 2, "inner runs") == "inner runs: 2 worker processes"  # a meta run's


def test_the_library_is_silent_unless_asked(tmp_path: Path, capsys: Capsys) -> None:
    """``api.evolve`` printed the scoring line and every progress line by default (a fresh user's pass, ux81), while
    ``SymbolicRegressor`` is silent: a library function says nothing unless asked (``quiet=False``), ``api.meta``
    too; the command asks, so its output is unchanged (the test above)."""
    import inspect

    result = api.evolve(QUARTIC, ["f"], budget=4, db=tmp_path / "a.db")
    captured = capsys.readouterr()
    assert result["candidates"] == 4 and (captured.out, captured.err) == ("", "")
    api.evolve(QUARTIC, ["f"], budget=4, db=tmp_path / "b.db", quiet=False)
    assert capsys.readouterr().err.startswith("scoring: in process\n")
    assert inspect.signature(api.meta).parameters["quiet"].default is True
