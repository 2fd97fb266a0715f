"""A task of another kind than the program's regime is refused before any data is read, by every command
that takes ``--task`` (``api.taskdata._task_name``) and for a meta configuration's split: an RL or generative program
given a data file (present or missing) was told about the file's rows or its absence, not that it takes none."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, Capsys, usage_error

RL = "hint: RL tasks: cartpole, acrobot, mountaincar, chain"
GENERATIVE = "hint: generative tasks: moons2d, circles2d, gaussians8, spirals2d, digits_density"


@pytest.mark.parametrize("command", [["run"], ["export", "-o", "-"], ["evolve", "--budget", "2"]])
@pytest.mark.parametrize("example, data, hint", [
    ("dqn_chain", "rows.csv:target=y", RL), ("dqn_chain", "missing.csv", RL), ("vae_moons", "rows.csv:target=y",
                                                                              GENERATIVE)])
def test_a_data_file_for_a_program_that_takes_none_is_refused_before_it_is_read(
        tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch, command: list[str], example: str, data: str,
        hint: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rows.csv").write_text("a,y\n1,2\n")  # too few rows: reading it would fail first
    kind = "an RL" if hint == RL else "a generative"
    err = usage_error(capsys, command[0], str(EXAMPLES / f"{example}.mlev"), "--task", data, *command[1:],
                      *(["--db", str(tmp_path / "r.db")] if command[0] == "evolve" else []))
    assert err.splitlines() == [f"mlevolve {command[0]}: error: {kind} program cannot run on task '{data}'", hint]
    assert not (tmp_path / "r.db").exists()
