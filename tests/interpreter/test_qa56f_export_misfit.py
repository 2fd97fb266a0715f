"""An exported script given a task of another kind says what ``mlevolve run`` says (qa56f): "a generative program
cannot run on task 'cartpole'" with its kind's tasks, not "unknown task" with a hint to export for it, which fails.
Every regime's script, a built-in task of another kind, a near name (did you mean) and, where the regime loads no
data files, a data file's name.  A script exported for a built-in task reads no data file, so its hint offers none
where ``run``'s does (qa86, stop 64: it offered one, then refused it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mlevolve import cli
from mlevolve.dsl.errors import MlevError
from mlevolve.interpreter.regimes import REGIMES
from mlevolve.interpreter.tasks import check_task_kind
from tests.conftest import run_child

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.mark.parametrize(("example", "regime", "tasks"), [
    ("quartic", "formula", ["cartpole", "moons"]),
    ("linear_regression", "learner", ["nguyen1", "digits"]),
    ("mlp_digits", "supervised", ["digits_density", "chain"]),
    ("reinforce_cartpole", "rl", ["digits", "data.csv", "moons2d"]),
    ("vae_moons", "generative", ["cartpole", "digits", "sub/data.csv:target=y"]),
])
def test_a_script_refuses_a_task_of_another_kind_in_mlevolves_words(
        example: str, regime: str, tasks: list[str], tmp_path: Path) -> None:
    script = tmp_path / f"{example}.py"
    assert cli.main(["export", str(EXAMPLES / f"{example}.mlev"), "-o", str(script)]) == 0
    for task in tasks:
        with pytest.raises(MlevError) as said:  # what mlevolve run and check say, read without data
            check_task_kind(REGIMES[regime], task)
        done = run_child([sys.executable, str(script), "--task", task], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
        assert done.returncode == 2 and "Traceback" not in done.stderr
        hint = (said.value.hint or "").replace(", or a data file: data.csv:target=y or data.npz", "")  # it reads none
        assert done.stderr.splitlines() == [f"{script.name}: error: {said.value.message}", f"hint: {hint}"], task
        assert "cannot run on task" in said.value.message and "unknown" not in done.stderr
