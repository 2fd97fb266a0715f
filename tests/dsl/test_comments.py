"""Comments through ``fmt``: each kept, a whole-line one before its line, an end-of-line one at the end of the
line it ends as printed (it was moved before it: a fresh-user pass; of several, the last), and the layout a
fixpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlevolve.cli import main
from mlevolve.dsl.parse import parse
from mlevolve.dsl.printer import format_program

_WORD = st.text(alphabet="abcxyz019_-", min_size=1, max_size=8).map(lambda t: "# " + t)


@settings(max_examples=150, deadline=None)
@given(lets=st.integers(0, 3), ends=st.lists(st.none() | _WORD, min_size=5, max_size=5),
       wholes=st.lists(st.none() | _WORD, min_size=5, max_size=5), split=st.booleans(),
       heads=st.lists(st.none() | _WORD, min_size=2, max_size=2))
def test_every_comment_is_kept_an_end_of_line_one_at_the_end_of_its_line(
        lets: int, ends: list[str | None], wholes: list[str | None], split: bool, heads: list[str | None]) -> None:
    """A formula whose header, bindings and body may each end with a comment and have one above (a binding's value
    over two lines where ``split``), after `algorithm` and `task` lines that may end with one: every comment is
    printed once, an end-of-line one after the code it ended, and ``fmt`` of ``fmt`` is ``fmt``."""
    code = ["formula f(x: Scalar) -> Scalar ="]
    code += [f"  let v{k} = x * {k + 2}.0" + ("\n    + x in" if split else " in") for k in range(lets)]
    code.append("  x + 1.0" if not lets else f"  v{lets - 1} + 1.0")
    lines = [line + (f"  {end}" if end else "") for line, end in zip(("algorithm a", "task nguyen1"), heads,
                                                                      strict=True)] + [""]
    for k, text in enumerate(code):
        if wholes[k] and k:  # a whole-line comment above the header goes with the definition
            lines.append("  " + wholes[k])
        lines.append(text + (f"  {ends[k]}" if ends[k] else ""))
    source = "\n".join(lines) + "\n"
    printed = format_program(parse(source))
    assert parse(printed) == parse(source) and format_program(parse(printed)) == printed
    out = printed.splitlines()
    assert out[0] == lines[0] and out[1] == lines[1]  # the `algorithm` and `task` lines' own comments stay there
    for k, text in enumerate(code):
        first = text.split("\n")[0].strip()
        line = next(line for line in out if line.strip().startswith(first))  # the printed line of this code
        if ends[k]:
            assert line.endswith("  " + ends[k]), (line, ends[k])
        if wholes[k] and k:
            assert out[out.index(line) - 1].strip() == wholes[k]

    def comments(text: str) -> list[str]:
        return sorted(line[line.index("#"):] for line in text.splitlines() if "#" in line)

    assert comments(printed) == comments(source)  # each kept, once


def test_a_learner_keeps_its_header_s_comments_on_it_and_a_method_s_above_it() -> None:
    """Comments ending the lines of a learner's header over several lines went to its first method's header, and a
    comment above a method into that method's body (a fresh-user pass)."""
    source = ("algorithm a\nlearner l( # c1\n  state w: Vector # c2\n) # c3\n  # above predict\n"
              "  predict(x: Vector) -> Scalar = # c4\n    # in predict\n    dot(w, x)\n  # above learn\n"
              "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w # c5\n")
    printed = format_program(parse(source))
    assert printed == ("algorithm a\n\nlearner l(  # c1\n    state w: Vector  # c2\n)  # c3\n  # above predict\n"
                       "  predict(x: Vector) -> Scalar =  # c4\n    # in predict\n    dot(w, x)\n  # above learn\n"
                       "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w  # c5\n")
    assert format_program(parse(printed)) == printed


def test_comments_of_lines_joined_into_one_stay_apart_and_one_above_the_task_line_stays_there() -> None:
    """Lines joined into one printed line (a binding or a header over several) had their end-of-line comments run
    on as one (``let a = x * x in  # first  # second``); then all but the last went above it, and now the line breaks
    after the token each follows (tests/dsl/test_body_comments.py, cmt77).  A
    comment between the ``algorithm`` and ``task`` lines moved before the first definition (fresh-user passes).
    Comments among a header's parameters stay there, the header one parameter a line (qa76)."""
    source = ("algorithm c\n# about the task\ntask koza_quartic\n\nformula f(x: Scalar,  # the input\n"
              "          # about y: inside the header, it went into the body\n"
              "          y: Scalar)  # another\n    -> Scalar =\n  let a = x *   # first factor\n"
              "          y in  # second\n  a + 1.0  # done\n")
    printed = format_program(parse(source))
    assert printed == ("algorithm c\n# about the task\ntask koza_quartic\n\nformula f(\n    x: Scalar,  # the input\n"
                       "    # about y: inside the header, it went into the body\n    y: Scalar\n"
                       ")  # another\n    -> Scalar =\n"
                       "  let a = x *  # first factor\n    y in  # second\n  a + 1.0  # done\n")
    assert format_program(parse(printed)) == printed


def test_a_comment_ending_a_line_that_closes_a_body_stays_with_that_body() -> None:
    """``  ) # end of act``, a body's closing parenthesis on a line of its own, is past every node's span: its comment
    went above the next definition, or to the footer (a fresh-user pass); it ends the body's last line."""
    source = ("algorithm a\ntask digits\n\nactivation act(x: Tensor) -> Tensor =\n  (relu(x)\n  ) # end of act\n"
              "  # about s\nschedule s(t: Scalar) -> Scalar =\n  (0.05\n  ) # end of s\n"
              "learner l(state w: Vector)\n  predict(x: Vector) -> Scalar =\n    dot(w, x)\n"
              "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    (w\n    ) # end learn\n")
    printed = format_program(parse(source))
    assert printed == ("algorithm a\ntask digits\n\nactivation act(x: Tensor) -> Tensor =\n  relu(x)  # end of act\n\n"
                       "# about s\nschedule s(t: Scalar) -> Scalar =\n  0.05  # end of s\n\n"
                       "learner l(state w: Vector)\n  predict(x: Vector) -> Scalar =\n    dot(w, x)\n"
                       "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w  # end learn\n")
    assert format_program(parse(printed)) == printed


def test_comments_among_a_header_s_parameters_stay_where_they_were_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``mlevolve fmt`` moved ``# the prediction``, ending a parameter's line, above the definition and ``# the
    target`` to the end of the header, where it read as the header's (qa76): a header with comments among its
    parameters is printed one parameter a line, each comment where it was, in a definition, a learner's header and
    a learner's method alike; the output formats to itself."""
    monkeypatch.chdir(tmp_path)
    Path("c.mlev").write_text("algorithm s\nloss l(p: Tensor,  # the prediction\n       y: Tensor   # the target\n"
                              "      ) -> Tensor =\n  square(p - y)\n")
    assert main(["fmt", "c.mlev"]) == 0
    out = capsys.readouterr().out
    assert out == ("algorithm s\n\nloss l(\n    p: Tensor,  # the prediction\n    y: Tensor  # the target\n"
                   ") -> Tensor =\n  square(p - y)\n")
    Path("c.mlev").write_text(out)
    assert main(["fmt", "--check", "c.mlev"]) == 0
    source = ("algorithm a\nlearner l(state w: Vector,  # weights\n  state b: Scalar)\n"
              "  predict(x: Vector) -> Scalar = dot(w, x) + b\n"
              "  learn(x: Vector,  # the input\n    # the target\n    y: Scalar, p: Scalar\n"
              "    # no more\n  ) -> (Vector, Scalar) =\n    (w + 0.1 * (y - p) * x, b)\n")
    printed = format_program(parse(source))
    assert printed == ("algorithm a\n\nlearner l(\n    state w: Vector,  # weights\n    state b: Scalar\n)\n"
                       "  predict(x: Vector) -> Scalar =\n    dot(w, x) + b\n"
                       "  learn(\n      x: Vector,  # the input\n      # the target\n      y: Scalar,\n"
                       "      p: Scalar\n"
                       "      # no more\n  ) -> (Vector, Scalar) =\n    (w + 0.1 * (y - p) * x, b)\n")
    assert format_program(parse(printed)) == printed and parse(printed) == parse(source)
