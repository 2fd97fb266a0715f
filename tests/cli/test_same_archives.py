"""benchmarks/same_archives.py, the check that a change left fixed-seed runs as they were: two runs of one seed
are the same but for timings (exit 0), two seeds are told apart column by column (exit 1)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mlevolve import api
from tests.conftest import ROOT, environment, run_child

SCRIPT = ROOT / "benchmarks" / "same_archives.py"


def _compare(*argv: str) -> subprocess.CompletedProcess[str]:
    return run_child([sys.executable, str(SCRIPT), *argv], capture_output=True, text=True, timeout=120,
                     env=environment())


def test_runs_of_one_seed_are_the_same_and_of_two_seeds_differ(tmp_path: Path) -> None:
    quartic = str(ROOT / "examples" / "quartic.mlev")
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        api.evolve(quartic, budget=40, seed=seed, fit=False, db=tmp_path / f"{name}.db", quiet=True)
    same = _compare(str(tmp_path / "a.db"), str(tmp_path / "b.db"), "--meta")
    assert (same.returncode, same.stdout, same.stderr) == (0, "identical: 40 candidates, and their meta (timings "
                                                              "aside)\n", "")
    apart = _compare(str(tmp_path / "a.db"), str(tmp_path / "c.db"))
    assert apart.returncode == 1
    assert any(line.startswith("program: ") and " rows differ, first at seq " in line
               for line in apart.stdout.splitlines())
    missing = _compare(str(tmp_path / "a.db"), str(tmp_path / "none.db"))
    assert missing.returncode == 2 and missing.stderr.startswith(f"{tmp_path / 'none.db'}: error: no such archive")
