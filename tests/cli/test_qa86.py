"""A fresh user's export session (stop 64, qa86): the README's `-o runs/...` examples on a fresh clone, archive
flags given with a FILE's --component, a component asked for as .mlev text, and an exported script's hint for a task
of another kind offering data files that it refuses."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mlevolve import cli
from tests.conftest import ROOT, run_child

ADAM = str(ROOT / "examples" / "adam.mlev")
MLP = str(ROOT / "examples" / "mlp_digits.mlev")


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with no runs/ in it, as a fresh clone is, the current one."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLEVOLVE_RUNS", raising=False)
    return tmp_path


def test_a_path_given_in_runs_makes_runs_as_a_default_path_does_and_a_typo_s_folder_is_refused(
        fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["export", ADAM, "--component", "adam", "-o", "rnus/my_adam.py"]) == 2
    assert "cannot write rnus/my_adam.py: no folder 'rnus'" in capsys.readouterr().err
    assert not (fresh / "rnus").exists() and not (fresh / "runs").exists()
    assert cli.main(["export", ADAM, "--component", "adam", "-o", "runs/my_adam.py"]) == 0  # README's example
    assert (fresh / "runs" / "my_adam.py").is_file()


@pytest.mark.parametrize("flag", [["--best"], ["--hash", "abc"]])
def test_archive_flags_with_a_file_s_component_are_refused_as_without_it(
        fresh: Path, flag: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["export", MLP, "--component", "act", *flag, "-o", "a.py"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mlevolve export: error: {flag[0]} chooses a program of a run's archive: it goes with DB, "
                          "not with FILE\n") and not (fresh / "a.py").exists()


def test_a_component_asked_for_as_mlev_text_is_told_it_is_a_module(fresh: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (fresh / "run.db").write_bytes(b"")
    assert cli.main(["export", "run.db", "--component", "act", "-o", "act.mlev"]) == 2
    assert capsys.readouterr().err == ("mlevolve export: error: --component writes a Python module, not .mlev text: "
                                       "-o act.mlev\nhint: -o act.py for the module, or drop --component for the "
                                       "program as .mlev\n")


def test_a_script_for_a_built_in_task_offers_no_data_file_for_a_task_of_another_kind(fresh: Path) -> None:
    assert cli.main(["export", MLP, "-o", "mlp.py"]) == 0
    done = run_child([sys.executable, "mlp.py", "--task", "nguyen1"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == ("mlp.py: error: a supervised program cannot run on task 'nguyen1'\nhint: supervised tasks: "
                           "digits, iris, wine, breast_cancer, moons, circles, spirals\n")
