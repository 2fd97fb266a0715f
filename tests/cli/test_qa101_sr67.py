"""What a fresh gplearn/PySR user (qa101) read wrong: a clamp the data never reaches kept by the prune, the progress
line's ``best`` that was not the run's answer, and hints that proposed a form that fails again when followed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlevolve.cli import main
from mlevolve.gp.archive import Archive
from tests.conftest import Capsys, cli, usage_error

FORMULA = "algorithm f\n  task \"{task}\"\n\n  formula f(a: Scalar, b: Scalar, c: Scalar) -> Scalar =\n    {body}\n"


def _data(folder: Path, header: bool = True) -> Path:
    """The user's data: y = 2.5 a b - 1.3 c + noise, 200 rows, columns uniform in [-2, 2] (seed 0)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-2.0, 2.0, (200, 3))
    y = 2.5 * x[:, 0] * x[:, 1] - 1.3 * x[:, 2] + rng.normal(0.0, 0.1, 200)
    path = folder / ("d.csv" if header else "nh.csv")
    path.write_text("a,b,c,y\n" * header + "".join(f"{r[0]:.6f},{r[1]:.6f},{r[2]:.6f},{t:.6f}\n"
                                                   for r, t in zip(x, y, strict=True)))
    return path


def _meta(db: Path) -> dict[str, Any]:
    with Archive.read(db) as archive:
        return archive.meta()


# ------------------------------------------------------------------ 1: a clamp the data never reaches is pruned
@pytest.mark.parametrize(("body", "gone"), [
    ("0.05738 - 1.983 * ((max(a, -8.757) + c / 6364.0) * (c / a - b))", ("max", "6364")),  # the user's best
    ("max(a, -8.757) * b - 1.3 * c", ("max",)),
    ("min(9.5, a) * b - 1.3 * c", ("min",)),
    ("abs(b + 2.5) * a - 1.3 * c", ("abs",)),  # abs of a range that is positive on the data
])
def test_a_clamp_the_data_never_reaches_and_a_near_zero_term_are_pruned(
        tmp_path: Path, capsys: Capsys, body: str, gone: tuple[str, ...]) -> None:
    """``max(a, -8.757)`` is ``a`` on every training point (the columns lie in [-2, 2]) and ``c / 6364.0`` a near-zero
    term: the prune (a node replaced by its child, a removal refitted) drops both, at no loss of fitness."""
    _data(tmp_path)
    (tmp_path / "f.mlev").write_text(FORMULA.format(task="d.csv:target=y", body=body))
    db = tmp_path / "r.db"
    code, _, _ = cli(capsys, "evolve", str(tmp_path / "f.mlev"), "--evolve", "f", "--budget", "1", "--workers", "1",
                     "--seed", "0", "--db", str(db), "--quiet")
    record = _meta(db)["pruned"]
    assert code == 0 and record["program"] is not None, record
    assert not any(word in record["program"].split("=", 1)[1] for word in gone), record["program"]
    assert record["size"] < record["from_size"] and record["fitness"] >= record["from_fitness"] - 1e-6


# ------------------------------------------------------------------ 2: the progress line names the fittest
def test_the_progress_names_the_fittest_as_the_summary_does_where_the_answer_is_another(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The progress read ``best train_r2 0.2069`` where the summary's answer (``--select best``) read 0.18034: the
    progress shows the fittest candidate, and says so, with the value the summary's ``fittest:`` line gives it."""
    _data(tmp_path)
    (tmp_path / "f.mlev").write_text(FORMULA.format(task="d.csv:target=y", body="a + b + c"))
    monkeypatch.chdir(tmp_path)
    assert main(["evolve", "f.mlev", "--evolve", "f", "--budget", "300", "--workers", "1", "--seed", "5",
                 "--no-prune", "--db", "r.db"]) == 0
    out, err = capsys.readouterr()
    last = [line for line in err.splitlines() if line.startswith("[")][-1]
    shown = re.search(r"\] fittest (train_r2 \S+)  ", last)
    fittest = re.search(r"^fittest: (train_r2 \S+)  ", out, re.MULTILINE)
    answer = re.search(r"^answer: +(train_r2 \S+)  ", out, re.MULTILINE)
    assert shown is not None and fittest is not None and answer is not None, (last, out)
    assert shown[1] == fittest[1] != answer[1]
    assert not re.search(r"\] best ", err)


# ------------------------------------------------------------------ 3: a hint's form works when followed
def test_a_headerless_csv_without_a_target_is_told_to_add_a_header_and_following_it_runs(
        tmp_path: Path, capsys: Capsys) -> None:
    """``--task nh.csv`` said ``write nh.csv:target=COLUMN``, which no column name satisfies: the file has no header."""
    nh = _data(tmp_path, header=False)
    (tmp_path / "f.mlev").write_text(FORMULA.format(task="d.csv:target=y", body="a + b + c"))
    program, db = str(tmp_path / "f.mlev"), str(tmp_path / "r.db")
    err = usage_error(capsys, "evolve", program, "--task", str(nh), "--budget", "2", "--db", db)
    assert err.splitlines() == [
        f"mlevolve evolve: error: {nh}: which column is the target?",
        "hint: the file has no header line (its first row holds numbers) and a target is named, not numbered: add the "
        f"columns' names as its first line (a,b,c,y), then write {nh}:target=y"]
    nh.write_text("a,b,c,y\n" + nh.read_text())  # the hint followed
    code, _, _ = cli(capsys, "evolve", program, "--task", f"{nh}:target=y", "--budget", "2", "--db", db, "--quiet")
    assert code == 0


@pytest.mark.parametrize("header", [True, False])
def test_an_unquoted_csv_task_line_is_told_the_whole_form_and_following_it_runs(
        tmp_path: Path, capsys: Capsys, header: bool) -> None:
    """``task d.csv`` hinted ``write task "d.csv"``, which failed next for its missing target: the hint gives the whole
    form with the file's column (read from the .mlev file's folder), or the header line it lacks."""
    csv = _data(tmp_path, header)
    program = tmp_path / "f.mlev"
    program.write_text(FORMULA.format(task=csv.name, body="a + b + c").replace(f'"{csv.name}"', csv.name))
    err = usage_error(capsys, "check", str(program))
    hint = err.splitlines()[-1]
    if header:
        assert hint == f'hint: write task "{csv.name}:target=y", or target= another of its columns: a, b, c, y'
    else:
        assert hint == ("hint: the file has no header line (its first row holds numbers) and a target is named, not "
                        f"numbered: add the columns' names as its first line (a,b,c,y), then write task "
                        f'"{csv.name}:target=y"')
        csv.write_text("a,b,c,y\n" + csv.read_text())
    program.write_text(FORMULA.format(task=f"{csv.name}:target=y", body="a + b + c"))  # the hint followed
    code, _, _ = cli(capsys, "evolve", str(program), "--budget", "2", "--db", str(tmp_path / "r.db"), "--quiet")
    assert code == 0


@pytest.mark.parametrize(("line", "hint"), [
    ('task "d.csv', 'hint: close it on the same line: task "d.csv:target=COLUMN"'),
    ('task d.csv"', 'hint: write task "d.csv:target=COLUMN"'),
])
def test_a_task_lines_quote_mistake_proposes_the_whole_form_of_a_csv(
        tmp_path: Path, capsys: Capsys, line: str, hint: str) -> None:
    """Each proposed ``task "d.csv"`` (which fails next for its target) and one ``or task d.csv for a built-in task``
    (no built-in task has a file's name)."""
    program = tmp_path / "f.mlev"
    program.write_text(FORMULA.format(task="X", body="a + b + c").replace('task "X"', line))
    assert usage_error(capsys, "check", str(program)).splitlines()[-1] == hint


def test_a_data_file_where_a_program_is_read_names_its_own_target_column(tmp_path: Path, capsys: Capsys) -> None:
    """``mlevolve run d.csv`` proposed ``--task d.csv:target=COLUMN``; the file's header names the column."""
    csv = _data(tmp_path)
    assert usage_error(capsys, "run", str(csv)).splitlines()[-1] == (
        f"hint: a data file is a task: mlevolve run PROGRAM.mlev --task {csv}:target=y (evolve and export take it so "
        "too)")
