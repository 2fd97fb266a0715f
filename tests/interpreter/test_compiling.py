"""numba's first compile of a kernel says so in one line on stderr, once per process; a cache load says nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mlevolve.interpreter.compiling import NOTE

ROOT = Path(__file__).resolve().parents[2]
KERNELS = """
def twice(x):
    return 2 * x


def thrice(x):
    return 3 * x
"""
PROBE = """
import numba

from mlevolve.interpreter import compiling

compiling.MODULES = ("kernels",)  # these stand for mlevolve's kernels; other (this file's, __main__) for a user's
import kernels


def other(x):
    return 4 * x


print(numba.njit(other)(1), numba.njit(cache=True)(kernels.twice)(1), numba.njit(cache=True)(kernels.thrice)(1))
"""


def test_a_compile_says_so_once_and_a_cache_load_says_nothing(tmp_path: Path) -> None:
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    (tmp_path / "kernels.py").write_text(KERNELS)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT / "src")}
    runs = [subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
            for _ in range(2)]
    assert [(r.returncode, r.stdout) for r in runs] == [(0, "4 2 3\n")] * 2
    assert runs[0].stderr == NOTE + "\n"  # two compiles of mlevolve's, one line; the user's function: none
    assert runs[1].stderr == ""  # both loaded from the cache
