"""A program's header lines (`algorithm NAME`, `task NAME`) are checked as lines: a missing or extra
word, an unquoted data file, an unclosed quote, a task line out of place, each an error at its place with the
header's form; a syntax error at a header or keyword position gives the form expected there.

Moved from the QA rounds' files (tests/cli/test_qa_round*.py), named for the behaviour they test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Capsys, cli

_DEF = "formula f(x: Scalar) -> Scalar =\n  x * x\n"

_TASK_FORM = '`task NAME` or `task "data.csv:target=y"`'

_FORMULA = "formula f(x: Scalar) -> Scalar =\n  x * x\n"

_QUOTED = 'hint: write task "{}"'


@pytest.mark.parametrize(("text", "expected"), [
    ("algorithm q\ntask\n" + _DEF,
     ["p.mlev:2:5: error: the task line is `task NAME`: its name is missing", "    task", "        ^",
      f"hint: a header is one line: {_TASK_FORM}, with the name on the same line"]),
    ("algorithm q\ntask koza_quartic extra\n" + _DEF,
     ["p.mlev:2:19: error: the task line is `task NAME`: one name; found 'extra'", "    task koza_quartic extra",
      "                      ^^^^^",
      f"hint: a header is one line: {_TASK_FORM}; what follows starts on the next line"]),
    ("algorithm q\ntask koza quartic # the quartic\n" + _DEF,
     ["p.mlev:2:11: error: the task line is `task NAME`: one name; found 'quartic'",
      "    task koza quartic # the quartic", "              ^^^^^^^",
      f"hint: a header is one line: {_TASK_FORM}; what follows starts on the next line"]),
    ("# head\n\nalgorithm q r\ntask koza_quartic\n" + _DEF,
     ["p.mlev:3:13: error: the algorithm line is `algorithm NAME`: one name; found 'r'", "    algorithm q r",
      "                ^", "hint: a header is one line: `algorithm NAME`; what follows starts on the next line"]),
    ('algorithm q\ntask "nguyen4\n' + _DEF,  # said "one name; found 'nguyen4'" (a new user's pass)
     ["p.mlev:2:6: error: the task name's quote at column 6 is not closed", '    task "nguyen4', "         ^",
      'hint: close it on the same line: task "nguyen4"']),
    ('algorithm q\ntask nguyen4"  # c\n' + _DEF,
     ["p.mlev:2:13: error: the quote at column 13 closes no opened quote", '    task nguyen4"  # c',
      "                ^", 'hint: write task "nguyen4", or task nguyen4 for a built-in task']),
    ('algorithm q\ntask "d.csv:target=y\\"x"\n' + _DEF,  # hinted `task ""d.csv:target=y\" x"` (a fresh-user pass)
     ["p.mlev:2:24: error: the quote at column 24 closes no opened quote", '    task "d.csv:target=y\\"x"',
      "                           ^", "hint: a quoted task name ends at its next quote (a backslash escapes nothing): "
      "give the file a name without quotes"]),
    ('algorithm q\ntask "\n' + _DEF,
     ["p.mlev:2:6: error: the task name's quote at column 6 is not closed", '    task "', "         ^",
      'hint: close it on the same line: task "data.csv:target=y"']),
    ("algorithm\nq\n" + _DEF,
     ["p.mlev:1:10: error: the algorithm line is `algorithm NAME`: its name is missing", "    algorithm",
      "             ^", "hint: a header is one line: `algorithm NAME`, with the name on the same line"]),
])
def test_a_header_line_is_checked_as_a_line(capsys: Capsys, tmp_path: Path, text: str,
                                             expected: list[str]) -> None:
    (tmp_path / "p.mlev").write_text(text)
    code, out, err = cli(capsys, "check", str(tmp_path / "p.mlev"))
    assert code == 2 and out == ""
    assert err.replace(str(tmp_path) + "/", "").splitlines() == expected


@pytest.mark.parametrize("task", ['"a#b.csv:target=y"  # quoted, with a # inside', "koza_quartic # comment"])
def test_a_well_formed_header_line_passes(capsys: Capsys, tmp_path: Path, task: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # check reads a task line's data file, from the current folder as run does
    (tmp_path / "a#b.csv").write_text("x,y\n" + "".join(f"{i},{i * i}\n" for i in range(12)))
    (tmp_path / "p.mlev").write_text(f"# head\nalgorithm q  # c\n\ntask {task}\n" + _DEF)
    code, out, _ = cli(capsys, "check", str(tmp_path / "p.mlev"))
    assert code == 0 and out.endswith("ok (formula f)\n")


@pytest.mark.parametrize(("text", "hint"), [
    ("algorithm q\ntask 3\n" + _DEF,
     f"hint: expected one of: a name, a quoted string; the task line is {_TASK_FORM}"),
    ("algorithm q\nformula f(x: Scalar) -> Scalar =\n  let = x in x\n",
     "hint: expected one of: a name; a binding is `let NAME = EXPR in EXPR`"),
    ("algorithm q\nformula f(x: Scalar) -> Scalar =\n  let in = x in x\n",
     "hint: expected one of: a name ('in' is a keyword and cannot be used as a name); "
     "a binding is `let NAME = EXPR in EXPR`"),
])
def test_the_keyword_note_is_about_the_unexpected_token(capsys: Capsys, tmp_path: Path, text: str,
                                                        hint: str) -> None:
    (tmp_path / "p.mlev").write_text(text)
    code, _, err = cli(capsys, "check", str(tmp_path / "p.mlev"))
    assert code == 2 and err.splitlines()[-1] == hint


@pytest.mark.parametrize(("text", "first"), [  # round 28: each header is a line of its own, as docs/language.md says
    ('algorithm q task "my task" extra\n' + _DEF, "p.mlev:1:13: error: the task header is a line of its own, not "
                                                  "part of the algorithm line"),
    ("algorithm q task\n" + _DEF, "p.mlev:1:13: error: the task header is a line of its own, not part of the "
                                   "algorithm line"),
    ("algorithm q " + _DEF, "p.mlev:1:13: error: the algorithm line is `algorithm NAME`: one name; found 'formula'"),
])
def test_both_headers_on_the_algorithm_line_are_checked_alike(capsys: Capsys, tmp_path: Path, text: str,
                                                              first: str) -> None:
    (tmp_path / "p.mlev").write_text(text)
    code, _, err = cli(capsys, "check", str(tmp_path / "p.mlev"))
    assert code == 2 and err.replace(str(tmp_path) + "/", "").splitlines()[0] == first


@pytest.mark.parametrize(("text", "expected"), [
    ("algorithm q\ntask x.csv:target=y\n" + _FORMULA,
     ["p.mlev:2:6: error: a data file's name is written in quotes on the task line", "    task x.csv:target=y",
      "         ^^^^^^^^^^^^^^", _QUOTED.format("x.csv:target=y")]),
    ("algorithm q\ntask ../data/x.npz\n" + _FORMULA,
     ["p.mlev:2:6: error: a data file's name is written in quotes on the task line", "    task ../data/x.npz",
      "         ^^^^^^^^^^^^^", _QUOTED.format("../data/x.npz")]),
    ("algorithm q\ntask koza_quartic:n_train=5\n" + _FORMULA,
     ["p.mlev:2:6: error: a task with options is written in quotes on the task line",
      "    task koza_quartic:n_train=5", "         ^^^^^^^^^^^^^^^^^^^^^^", _QUOTED.format("koza_quartic:n_train=5")]),
    ("algorithm q\ntask koza_quartic\ntask nguyen1\n" + _FORMULA,
     ["p.mlev:3:1: error: the task is given twice (first at line 2)", "    task nguyen1", "    ^^^^",
      "hint: a program has one task line, right after `algorithm NAME`: keep one"]),
    ("algorithm q\ntask koza_quartic\n" + _FORMULA + "\n  task nguyen1  # again\n",
     ["p.mlev:6:3: error: the task is given twice (first at line 2)", "      task nguyen1  # again", "      ^^^^",
      "hint: a program has one task line, right after `algorithm NAME`: keep one"]),
    ("algorithm q\n" + _FORMULA + "task nguyen1\n",
     ["p.mlev:4:1: error: the task line comes right after `algorithm NAME`, before the definitions",
      "    task nguyen1", "    ^^^^", "hint: move it up to the line after the algorithm line"]),
    # the keyword as a parameter's name, used in the body: the parser's error at the parameter (the body's line
    # `task * b` read as a task line out of place; a fresh-user pass)
    ("algorithm q\nformula f(task: Scalar, b: Scalar) -> Scalar =\n  task * b\n",
     ["p.mlev:2:11: error: unexpected keyword 'task'", "    formula f(task: Scalar, b: Scalar) -> Scalar =",
      "              ^^^^", "hint: expected one of: ')', 'state', a name ('task' is a keyword and cannot be used as "
      "a name)"]),
    ("algorithm q task koza_quartic\n" + _FORMULA,
     ["p.mlev:1:13: error: the task header is a line of its own, not part of the algorithm line",
      "    algorithm q task koza_quartic", "                ^^^^",
      "hint: a header is one line: `algorithm q`, then `task NAME` on the next line"]),
])
def test_a_task_line_mistake_is_named_at_its_place(capsys: Capsys, tmp_path: Path, text: str,
                                                   expected: list[str]) -> None:
    (tmp_path / "p.mlev").write_text(text)
    code, out, err = cli(capsys, "check", str(tmp_path / "p.mlev"))
    assert (code, out) == (2, "")
    assert err.replace(str(tmp_path) + "/", "").splitlines() == expected


_AND_QUOTE = "; and write the spec in quotes on the task line: task \"{}:...\""


@pytest.mark.parametrize(("line", "expected"), [  # a fresh-user pass: the quotes' error, then the option's
    ("task x.csv:traget=y",  # an unknown key
     ["p.mlev:2:12: error: unknown option 'traget' for task 'x.csv', a data file for a formula",
      "    task x.csv:traget=y", "               ^^^^^^^^",
      "hint: did you mean 'target'? options of a data file for a formula: target, problem, n_train, weight"
      + _AND_QUOTE.format("x.csv")]),
    ("task x.csv:target",  # a missing value
     ["p.mlev:2:12: error: option 'target' has no value in task spec 'x.csv:target'", "    task x.csv:target",
      "               ^^^^^^",
      "hint: write it as NAME:key=value, or leave the option out" + _AND_QUOTE.format("x.csv")]),
    ("task x.csv:target=y:problem=regresion",  # a bad value
     ["p.mlev:2:21: error: option problem=regresion of task 'x.csv', a data file for a formula, must be regression",
      "    task x.csv:target=y:problem=regresion", "                        ^^^^^^^^^^^^^^^^^",
      "hint: did you mean 'regression'? write e.g. x.csv:target=y:problem=regression" + _AND_QUOTE.format("x.csv")]),
    ("task x.csv:target=y:target=z",  # given twice
     ["p.mlev:2:21: error: option 'target' is given twice in task spec 'x.csv:target=y:target=z'",
      "    task x.csv:target=y:target=z", "                        ^^^^^^^^",
      "hint: give each option once" + _AND_QUOTE.format("x.csv")]),
    ("task koza_quartic:n_trian=5",  # a built-in task's
     ["p.mlev:2:19: error: unknown option 'n_trian' for task 'koza_quartic', a formula task",
      "    task koza_quartic:n_trian=5", "                      ^^^^^^^^^",
      "hint: did you mean 'n_train'? options of a formula task: n_train, n_test" + _AND_QUOTE.format("koza_quartic")]),
])
def test_an_unquoted_task_line_s_option_mistake_is_said_with_the_quotes_in_one_error(
        capsys: Capsys, tmp_path: Path, line: str, expected: list[str]) -> None:
    """An unquoted task line whose option is wrong was two tries: the quotes' error, then, quoted, the option's.
    One error now says the option's mistake at the option and the quotes in its hint (its file need not exist)."""
    (tmp_path / "p.mlev").write_text(f"algorithm q\n{line}\n" + _FORMULA)
    for command in ("check", "run"):
        code, out, err = cli(capsys, command, str(tmp_path / "p.mlev"))
        assert (code, out) == (2, "")
        assert err.replace(str(tmp_path) + "/", "").splitlines() == expected
    from mlevolve import api
    from mlevolve.dsl.errors import MlevError

    with pytest.raises(MlevError) as raised:
        api.parse(f"algorithm q\n{line}\n" + _FORMULA)
    assert raised.value.message == expected[0].split("error: ", 1)[1]


def test_a_comment_or_a_quoted_task_is_no_second_task_line(capsys: Capsys, tmp_path: Path) -> None:
    (tmp_path / "p.mlev").write_text('algorithm q\ntask "koza_quartic:n_train=30"\n# task nguyen1\n' + _FORMULA
                                     + "# task again\n")
    assert cli(capsys, "check", str(tmp_path / "p.mlev"))[0] == 0


@pytest.mark.parametrize(("text", "form"), [
    ("task quartic\nformula f(x: Scalar) -> Scalar = x\n", "a program starts with `algorithm NAME`"),
    ("algorithm a\ntask 3\n", 'the task line is `task NAME` or `task "data.csv:target=y"`'),
    ("algorithm a\nformula f(x: Scalar) -> Scalar = let y x\n", "a binding is `let NAME = EXPR in EXPR`"),
    ("algorithm a\nformula f(x: Scalar) -> Scalar = let y = x y\n", "a binding is `let NAME = EXPR in EXPR`"),
    ("algorithm a\nformula f(x Scalar) -> Scalar = x\n", "a definition is `KIND NAME(NAME: Type, ...) -> Type"),
    ("algorithm a\nformula f(x: Scalar) Scalar = x\n", "a definition is `KIND NAME(NAME: Type, ...) -> Type"),
    ("algorithm a\nformula f(x: Scalar) -> Scalar x\n", "a definition is `KIND NAME(NAME: Type, ...) -> Type")])
def test_a_syntax_error_at_a_header_or_keyword_gives_the_form(capsys: Capsys, tmp_path: Path, text: str,
                                                               form: str) -> None:
    (tmp_path / "p.mlev").write_text(text)
    code, _, err = cli(capsys, "check", str(tmp_path / "p.mlev"))
    assert code == 2
    hint = err.splitlines()[-1]
    assert hint.startswith("hint: expected one of: ") and form in hint


def test_an_expression_operand_gets_no_form(capsys: Capsys, tmp_path: Path) -> None:
    (tmp_path / "p.mlev").write_text("algorithm a\nformula f(x: Scalar) -> Scalar = x +\n")
    _, _, err = cli(capsys, "check", str(tmp_path / "p.mlev"))
    assert err.splitlines()[-1] == "hint: expected one of: '(', '-', a name, a number"
