"""Regression tests for a QA pass (qa55b): a quoted task-spec value closes the whole value, an exported ``.mlev``
scores as its run did, the exported learner regressor's ``sample_weight``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mlevolve.cli import main
from mlevolve.interpreter.standalone.spec import TaskError, split_spec
from tests.conftest import FORMULA_AB, Capsys, usage_error


# ------------------------------------------------------------------ 2: a quote closes a whole value
def _colon_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In ``tmp_path`` (the working folder): ``d.csv``, with columns a, b and y:m, and ``f.mlev`` of a and b."""
    monkeypatch.chdir(tmp_path)
    rows = np.random.default_rng(0).uniform(1, 2, (40, 2)).tolist()
    (tmp_path / "d.csv").write_text("a,b,y:m\n" + "".join(f"{a!r},{b!r},{a * a / b!r}\n" for a, b in rows))
    (tmp_path / "f.mlev").write_text(FORMULA_AB)


AFTER = "hint: quote it all: {fix}"


@pytest.mark.parametrize(("spec", "column", "fix"), [
    ("d.csv:target='y:m'x", 19, "'d.csv:target=\"y:mx\"'"),  # was read as the column y:mx
    ('d.csv:target="y:m"x', 19, "'d.csv:target=\"y:mx\"'"),
    ("d.csv:target='y:m'x:problem=regression", 19, "'d.csv:target=\"y:mx\"'"),
    ("d.csv:problem=regression:target = 'y:m' x ", 40, "'d.csv:problem=regression:target=\"y:m x\"'"),
])
def test_text_after_a_closing_quote_is_refused_at_its_column(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys, spec: str, column: int, fix: str) -> None:
    _colon_data(tmp_path, monkeypatch)
    assert spec[column - 2] in "'\"" and spec[column - 1:].strip()[:1] == "x"  # the column is the text's, 1-based
    assert usage_error(capsys, "run", "f.mlev", "--task", spec).splitlines() == [
        f"mlevolve run: error: option 'target' has text after its closing quote (column {column}) in task spec "
        f"'{spec}'", AFTER.format(fix=fix)]


def test_text_after_a_closing_quote_in_a_task_line_is_refused_at_the_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    _colon_data(tmp_path, monkeypatch)
    (tmp_path / "g.mlev").write_text(FORMULA_AB.replace("\n", "\ntask \"d.csv:target='y:m'x\"\n", 1))
    assert usage_error(capsys, "check", "g.mlev").splitlines()[0] == (
        "g.mlev:2:6: error: option 'target' has text after its closing quote (column 19) in task spec "
        "'d.csv:target='y:m'x'")


@pytest.mark.parametrize(("spec", "words"), [
    ("d.csv:target='y:m", "opens a quote it does not close"),
    ("d.csv:target='y:m:problem='regression'", "opens a quote it does not close"),  # the next option's quote closed it
    ("d.csv:target=''", "has no value"),
    ('d.csv:target=""', "has no value"),
    ("d.csv:target='y' 'm'", "has text after its closing quote (column 17)"),
])
def test_every_malformed_quoted_value_is_refused_as_what_it_is(spec: str, words: str) -> None:
    with pytest.raises(TaskError) as caught:
        split_spec(spec)
    assert caught.value.message.startswith(f"option 'target' {words}")


@pytest.mark.parametrize(("spec", "read"), [
    ("d.csv:target='y:m'", ("d.csv", {"target": "y:m"})),
    ("d.csv:target = \"y:m\"  :problem=regression", ("d.csv", {"target": "y:m", "problem": "regression"})),
    ("it's.csv:target=y", ("it's.csv", {"target": "y"})),
    ("runs/a='x'/d.csv:target='y:m'", ("runs/a='x'/d.csv", {"target": "y:m"})),  # was runs/a=\0N\0/d.csv
    ("d.csv:target=o'neil", ("d.csv", {"target": "o'neil"})),  # a quote inside a value is the value's
])
def test_quotes_in_file_names_and_inside_values_are_kept_as_typed(spec: str, read: tuple[str, dict[str, str]]) -> None:
    assert split_spec(spec) == read


@pytest.mark.e2e
def test_an_exported_script_refuses_text_after_a_closing_quote_in_the_same_words(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _colon_data(tmp_path, monkeypatch)
    assert main(["export", "f.mlev", "--task", "d.csv:target='y:m'", "-o", "f.py"]) == 0
    done = subprocess.run([sys.executable, "f.py", "--task", "d.csv:target='y:m'x"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "f.py: error: option 'target' has text after its closing quote (column 19) in task spec "
        "'d.csv:target='y:m'x'", AFTER.format(fix="'d.csv:target=\"y:mx\"'")]

