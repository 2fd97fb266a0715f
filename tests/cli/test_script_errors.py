"""The benchmark scripts end a user's mistake as the command line does (``mlevolve.script.run``): one
error line naming the file, a hint, exit status 2, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mlevolve.dsl.errors import MlevError
from mlevolve.script import run
from tests.conftest import ROOT


@pytest.mark.e2e
@pytest.mark.parametrize(("script", "args", "first"), [
    ("benchmarks/diversity.py", ["--table", "nope.json"], "diversity.py: error: nope.json: no such file"),
    ("benchmarks/peers.py", ["--summarise", "nope.jsonl"], "usage:"),
    ("benchmarks/meta/evidence.py", ["--config", "nope.toml", "--db", "nope.db", "--out", "x"],
     "nope.toml: error: no such file"),
])
def test_a_script_given_a_missing_file_says_so_in_one_line(tmp_path: object, script: str, args: list[str],
                                                            first: str) -> None:
    done = subprocess.run([sys.executable, str(ROOT / script), *args], capture_output=True, text=True,
                          cwd=str(tmp_path), timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[0].startswith(first)
    assert "nope" in done.stderr


def test_run_prints_the_error_and_its_hint_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    def main() -> int:
        raise MlevError("no such task 'x'", hint="tasks: linear, digits")

    with pytest.raises(SystemExit) as stopped:
        run(main)
    assert stopped.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith(": error: no such task 'x'") and err[1] == "hint: tasks: linear, digits"


def test_run_exits_with_main_s_status() -> None:
    for status, expected in ((None, 0), (0, 0), (3, 3)):
        with pytest.raises(SystemExit) as stopped:
            run(lambda status=status: status)
        assert stopped.value.code == expected
