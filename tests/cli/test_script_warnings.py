"""Every entry point a user runs shows a program's warning as the ``mlevolve`` command does (misc69): one
``FILE:LINE:COL: warning:`` line, the source line, a caret, the hint; a benchmark script (``mlevolve.script.run``)
showed Python's ``FILE:LINE: ProgramWarning: ...`` with the library's own source line that warned."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mlevolve import api
from mlevolve.script import run
from tests.conftest import ROOT, Capsys, cli

UNUSED = "algorithm t\ntask nguyen4\n\nformula f(x: Scalar) -> Scalar =\n  let y = x * x in x + 1.0\n"
SHOWN = ["w.mlev:5:7: warning: in formula 'f': let 'y' is never used: its value is dropped",
         "      let y = x * x in x + 1.0", "          ^"]


def test_a_script_shows_a_program_s_warning_as_the_command_does(
        tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("w.mlev").write_text(UNUSED)
    code, _, command = cli(capsys, "check", "w.mlev")
    assert code == 0 and command.splitlines()[:3] == SHOWN
    with pytest.raises(SystemExit) as stopped:
        run(lambda: api.check("w.mlev") and 0)
    assert stopped.value.code == 0
    err = capsys.readouterr().err
    assert "ProgramWarning" not in err and ".py:" not in err
    assert err.splitlines() == command.splitlines()


def _scripts() -> list[Path]:
    """The benchmark scripts a user runs: every file under benchmarks/ with a ``__main__`` block."""
    return sorted(p for p in (ROOT / "benchmarks").rglob("*.py") if '__name__ == "__main__"' in p.read_text())


@pytest.mark.parametrize("script", _scripts(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_benchmark_script_runs_its_main_through_mlevolve_script_run(script: Path) -> None:
    """Its ``__main__`` block calls ``run(main)`` (or ``mlevolve.script.run(main)``), which shows a warning and a
    mistake as the command line does; ``main()`` alone or ``sys.exit(main())`` showed neither so."""
    tree = ast.parse(script.read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If) and "__main__" in ast.unparse(n.test))
    calls = {ast.unparse(n.func) for n in ast.walk(block) if isinstance(n, ast.Call)}
    imported = any(isinstance(n, ast.ImportFrom) and n.module == "mlevolve.script"
                   and "run" in {a.name for a in n.names} for n in tree.body)
    assert "mlevolve.script.run" in calls or ("run" in calls and imported), (script, calls)
