"""A task line's data file, read from its .mlev file's folder, is shown tidied: ``task "../data/h.csv:target=y"`` in
``bad/d.mlev`` read ``task: bad/../data/h.csv:target=y`` (os.path.normpath; qfix98); a --task typed is shown as typed,
and a folder that is a link keeps the joined path, which is what is read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlevolve.cli import main
from mlevolve.interpreter.tasks import spec_beside, tidy_path
from tests.conftest import Capsys

PROGRAM = 'algorithm h\ntask "{task}"\n\nformula f(x: Scalar) -> Scalar =\n  x + 1.0\n'


def _project(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "h.csv").write_text("x,y\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(20)))
    (tmp_path / "bad").mkdir()
    program = tmp_path / "bad" / "d.mlev"
    program.write_text(PROGRAM.format(task="../data/h.csv:target=y"))
    return program


def test_a_task_lines_data_file_is_shown_tidied(tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "bad/d.mlev"]) == 0
    shown = [line.strip() for line in capsys.readouterr().out.splitlines() if line.strip().startswith("task:")]
    assert shown == ["task: data/h.csv:target=y"], shown


def test_a_typed_task_is_shown_as_typed(tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "bad/d.mlev", "--task", "bad/../data/h.csv:target=y"]) == 0
    shown = [line.strip() for line in capsys.readouterr().out.splitlines() if line.strip().startswith("task:")]
    assert shown == ["task: bad/../data/h.csv:target=y"], shown


def test_a_folder_that_is_a_link_keeps_the_joined_path(tmp_path: Path) -> None:
    _project(tmp_path)
    (tmp_path / "far" / "deep").mkdir(parents=True)
    os.symlink(tmp_path / "far" / "deep", tmp_path / "link")  # link/.. is far, not tmp_path
    assert spec_beside("../data/h.csv:target=y", tmp_path / "link") == f"{tmp_path}/link/../data/h.csv:target=y"
    assert spec_beside("../data/h.csv:target=y", tmp_path / "bad") == f"{tmp_path}/data/h.csv:target=y"
    assert tidy_path("a/./b//c") == "a/b/c"
