"""A found program's task line names a data file by its absolute path wherever the program is shown or saved.

Since a task line's relative path is read from its ``.mlev`` file's folder, ``show DB`` printing the path relative
to the folder the run was made in gave a text that, pasted into a file elsewhere, read another file (or none);
``export DB -o x.mlev`` wrote the absolute path. ``show``, ``best``, the report, ``export`` and ``evolve --json``
now write it one way (:func:`mlevolve.results.saved_task`, docs/data.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlevolve import api
from tests.conftest import Capsys, cli

PROGRAM = "algorithm a\n\nformula f(x: Scalar) -> Scalar =\n  x\n"


def test_every_shown_or_saved_program_names_the_data_file_by_its_absolute_path(
        tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    made = tmp_path / "made"
    made.mkdir()
    data = made / "xy.csv"
    data.write_text("x,y\n" + "".join(f"{i / 10},{(i / 10) ** 2 + 1}\n" for i in range(-15, 15)))
    (made / "f.mlev").write_text(PROGRAM)
    monkeypatch.chdir(made)
    code, out, _ = cli(capsys, "evolve", "f.mlev", "--task", "xy.csv:target=y", "--budget", "12", "--db",
                       str(tmp_path / "r.db"), "--json")
    line = f'task "{data}:target=y"'
    assert code == 0 and line in json.loads(out)["best_program"].splitlines()  # was task "xy.csv:target=y"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, _ = cli(capsys, "show", "../r.db")
    assert code == 0 and f"    {line}" in out.splitlines()
    assert line in api.best(tmp_path / "r.db")[0]["program"].splitlines()
    assert api.archived_program(tmp_path / "r.db").task == f"{data}:target=y"
    code, _, _ = cli(capsys, "export", "../r.db", "-o", "x.mlev")
    assert code == 0 and line in Path("x.mlev").read_text().splitlines()
    code, _, _ = cli(capsys, "report", "../r.db", "-o", "r.html")
    html = Path("r.html").read_text()
    assert code == 0 and f"&quot;{data}:target=y&quot;" in html and "&quot;xy.csv:target=y&quot;" not in html
    Path("p.mlev").write_text(api.best(tmp_path / "r.db")[0]["program"])  # shown, saved in another folder: it
    code, _, err = cli(capsys, "check", "p.mlev")  # reads the run's file
    assert code == 0, err


@pytest.mark.parametrize(("task", "path", "saved"), [
    ("xy.csv:target=y", "/d/xy.csv", "/d/xy.csv:target=y"),
    ("xy.csv", "/d/xy.csv", "/d/xy.csv"),
    ("runs/12:00/xy.csv:target=y", "/d/runs/12:00/xy.csv", "/d/runs/12:00/xy.csv:target=y"),  # a folder's ':'
    ("runs/12:00/xy.npz", "/d/runs/12:00/xy.npz", "/d/runs/12:00/xy.npz"),
    ("nguyen1:n_train=5", None, "nguyen1:n_train=5"),
])
def test_saved_task_keeps_the_options_after_the_data_file_s_name_as_the_reader_splits_it(
        task: str, path: str | None, saved: str) -> None:
    """A data file whose folder's name holds ':' (a timestamped folder) kept ``:00/xy.csv:target=y`` after the
    absolute path, split at the first ':'; the options follow the name the reader reads (``split_spec``)."""
    from mlevolve.results import saved_task

    assert saved_task(task, path) == saved
