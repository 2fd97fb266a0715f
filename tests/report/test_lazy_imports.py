"""What the README main job's coordinator does not import: networkx, SciPy, SymPy, pandas, scikit-learn.

The search's summary imports :mod:`mlevolve.report.data`, whose lineage graph alone needs networkx (0.2-0.3 s
of the coordinator's start, stop 59): it is imported where a lineage is drawn.  Each check runs in a fresh
interpreter (a module imported by an earlier test would hide it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, environment, run_child

UNUSED = ("networkx", "scipy", "sympy", "pandas", "sklearn")


def _imported(code: str, cwd: Path) -> list[str]:
    """Run ``code`` in a fresh interpreter, then which of :data:`UNUSED` (and ``torch``) it had imported."""
    probe = f"import sys\n{code}\nprint('imported:', *[m for m in {(*UNUSED, 'torch')!r} if m in sys.modules])\n"
    done = run_child([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, cwd=cwd,
                     env=environment())
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1].split()[1:]


def test_the_summary_modules_import_no_networkx(tmp_path: Path) -> None:
    code = ("import mlevolve.cli, mlevolve.report.data, mlevolve.api.search\n"
            "from mlevolve.report.data import failure_reasons, common_draw_note, pruned_line, pruned_row")
    assert _imported(code, tmp_path) == []


@pytest.mark.e2e
def test_the_readme_main_job_imports_none_of_them(tmp_path: Path) -> None:
    code = ("from mlevolve.cli import main\n"
            f"code = main(['evolve', {str(ROOT / 'examples' / 'mlp_digits.mlev')!r}, '--evolve', 'act', '--task',"
            " 'digits', '--budget', '3', '--quiet', '--db', 'run.db'])\n"
            "assert code == 0, code")
    assert _imported(code, tmp_path) == []  # the coordinator: PyTorch is the workers' (the fork server's) alone
