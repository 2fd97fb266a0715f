"""A package a task imports on first use (gymnasium for a control task, scikit-learn for a data set an exported
script draws) that is missing: one line naming what to install, status 2, no traceback, in the command and in an
exported script alike (standalone ``spec.package``).  Found on a fresh user's pass: ``mlevolve run`` on cartpole
without gymnasium said "failed: ModuleNotFoundError ... (training)" with status 1, as if the program had failed,
and the exported script ended in a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mlevolve.cli import main
from tests.conftest import EXAMPLES, Capsys, run_child, usage_error

CARTPOLE = EXAMPLES / "reinforce_cartpole.mlev"
GOLDEN = (f"{CARTPOLE}:5:6: error: task 'cartpole' needs the package gymnasium\n"
          "    task cartpole\n"
          "         ^^^^^^^^\n"
          "hint: pip install gymnasium\n")

# Runs a script as __main__ with the module argv[1] unimportable (a None entry in sys.modules blocks its import).
_WITHOUT = "import runpy, sys; sys.modules[sys.argv[1]] = None; sys.argv = sys.argv[2:]; " \
           "runpy.run_path(sys.argv[0], run_name='__main__')"


@pytest.mark.parametrize("command", ["run", "evolve", "export"])
def test_a_command_on_a_control_task_without_gymnasium_says_what_to_install(
        command: str, capsys: Capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "gymnasium", None)
    out = {"evolve": ["--budget", "2", "--db", str(tmp_path / "r.db")], "export": ["-o", str(tmp_path / "r.py")]}
    assert usage_error(capsys, command, str(CARTPOLE), *out.get(command, [])) == GOLDEN


@pytest.mark.e2e
@pytest.mark.parametrize(("name", "module", "message", "hint"), [
    ("linear_regression", "sklearn", "task 'projected_digits' needs the package sklearn", "pip install scikit-learn"),
    ("reinforce_cartpole", "gymnasium", "task 'cartpole' needs the package gymnasium", "pip install gymnasium"),
    ("vae_moons", "sklearn", "this task needs the package sklearn", "pip install scikit-learn"),
    ("augment_digits", "sklearn", "this task needs the package sklearn", "pip install scikit-learn"),
])
def test_an_exported_script_whose_task_needs_a_missing_package_says_what_to_install(
        name: str, module: str, message: str, hint: str, tmp_path: Path) -> None:
    script = tmp_path / f"{name}.py"
    task = ["--task", "projected_digits"] if name == "linear_regression" else []  # a learner family of its own
    assert main(["export", str(EXAMPLES / f"{name}.mlev"), "-o", str(script), *task]) == 0
    done = run_child([sys.executable, "-c", _WITHOUT, module, str(script), "--json"], capture_output=True,
                     text=True, timeout=120)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"{script.name}: error: {message}\nhint: {hint}\n"  # as its other mistakes
