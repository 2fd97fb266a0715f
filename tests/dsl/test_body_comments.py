"""Comments inside a body's lines stay where they were written: ``fmt`` breaks a line of the ``let`` chain after
the token each comment follows (parentheses aside: the only tokens it adds or drops), and says so, one line with
the place, where it cannot keep one there.

Before (docs/language.md said so), the comments of a body's lines that ``fmt`` joined went above the joined line,
all but the last (stop 63's qa76).  Property-tested over random programs of every definition kind and learner
methods, with comments put between any two tokens of their bodies.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlevolve.cli import main
from mlevolve.dsl.ir import Definition
from mlevolve.dsl.parse import _TOKEN, _code_of, parse
from mlevolve.dsl.printer import format_program, moved_comments
from mlevolve.dsl.simplify import simplify_definition
from mlevolve.gp.wire import Decoder, encode
from tests.dsl.test_properties import programs


def _places(text: str) -> list[tuple[int, bool, str]]:
    """Each comment of ``text``: how many tokens (parentheses not counted) come before it, whether it is a whole
    line's, and its text."""
    found, count = [], 0
    for line in text.splitlines():
        code = _code_of(line)
        count += sum(m.group() not in "()" for m in _TOKEN.finditer(code))
        if len(code) < len(line) and line[len(code)] == "#":
            found.append((count, not code.strip(), line[len(code):]))
    return found


def _commented(text: str, rng: random.Random, p: float) -> str:
    """``text`` (a program as ``fmt`` prints it) with comments put between tokens of its bodies' lines (a line
    after one that ends with ``=`` or ``in``), each an end-of-line or a whole-line one, each with its own text."""
    out: list[str] = []
    body = False
    n = 0
    for line in text.splitlines():
        if not body or not line.startswith("  "):
            out.append(line)
            body = line.endswith((" =", " in"))
            continue
        body = line.endswith((" =", " in"))
        indent = line[:len(line) - len(line.lstrip())]
        gaps = [m.end() for m in _TOKEN.finditer(line)]
        pieces, start = [], 0
        for gap in gaps:
            if rng.random() < p:
                n += 1
                eol = rng.random() < 0.6
                comment = f"  # c{n}\n{indent}  " if eol else f"\n{indent}# c{n}\n{indent}  "
                pieces += [line[start:gap], comment]
                start = gap
        out.append("".join([*pieces, line[start:]]).rstrip())
    return "\n".join(out) + "\n"


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(program=programs(), seed=st.integers(0, 2**32 - 1), p=st.sampled_from([0.05, 0.2, 0.5]))
def test_comments_anywhere_in_a_body_stay_between_the_same_tokens(program: object, seed: int, p: float) -> None:
    source = _commented(format_program(program), random.Random(seed), p)  # type: ignore[arg-type]
    read = parse(source)
    printed = format_program(read)
    again = parse(printed)
    assert again == read == program and format_program(again) == printed  # fmt formats to itself
    assert not moved_comments(again)  # what fmt printed it can keep
    before, after = _places(source), _places(printed)
    assert sorted(c for *_, c in before) == sorted(c for *_, c in after)  # each kept, once
    moved = {source.splitlines()[line - 1][column - 1:] for line, column, _ in moved_comments(read)}
    kept = {c: (n, whole) for n, whole, c in after}
    for n, whole, comment in before:
        if comment not in moved:  # (two at one place: the second on a line of its own, and said so)
            assert kept[comment] == (n, whole), (comment, source, printed)


@pytest.mark.parametrize("kind", ["formula", "activation", "schedule", "loss", "optimizer", "learner"])
def test_a_body_with_comments_is_broken_where_they_were(kind: str) -> None:
    """A binding's value and the body's expression over several lines, comments after an operator, an argument and
    a call's opening parenthesis, and a whole-line one among them: each printed at its token, the line broken
    there, in every definition kind's body and a learner's method's."""
    body = ("let a = x *  # first factor\n      y in  # second\n  let b = sin(  # the sine\n      a) +\n"
            "      # a whole one\n      cos(a,  # after a\n      x) in\n  (a + b)  # inner\n      * 2.0  # done\n")
    if kind == "learner":
        source = ("algorithm a\n\nlearner l(state x: Scalar)\n  predict(v: Vector, y: Scalar) -> Scalar =\n    x\n"
                  "  learn(v: Vector, y: Scalar, p: Scalar) -> Scalar =\n    "
                  + body.replace("\n", "\n  ").rstrip(" "))  # two more spaces in
    else:
        source = f"algorithm a\n\n{kind} f(x: Scalar, y: Scalar) -> Scalar =\n  {body}"
    assert format_program(parse(source)) == source
    joined = source.replace("  # first factor\n      ", " ").replace("  # first factor\n        ", " ")
    assert _places(format_program(parse(joined)))[0][2] == "# second"  # without its comment: joined again


def test_a_comment_ending_a_method_s_closing_line_stays_with_that_method() -> None:
    """``    )  # c``, closing a learner method's body on a line of its own, went to the next method's header."""
    source = ("algorithm a\nlearner l(state s: Scalar)\n  setup() -> Scalar =\n    (s\n    )  # c\n"
              "  predict(x: Vector) -> Scalar =\n    s\n  learn(x: Vector, y: Scalar, p: Scalar) -> Scalar =\n    s\n")
    assert format_program(parse(source)) == ("algorithm a\n\nlearner l(state s: Scalar)\n  setup() -> Scalar =\n"
                                             "    s  # c\n  predict(x: Vector) -> Scalar =\n    s\n"
                                             "  learn(x: Vector, y: Scalar, p: Scalar) -> Scalar =\n    s\n")


def test_the_old_layout_is_read_back_to_the_new_one() -> None:
    """The example qa76 found: a comment after an operator went above the joined binding."""
    source = "algorithm c\n\nformula f(x: Scalar, y: Scalar) -> Scalar =\n  let a = x *   # first factor\n" \
             "          y in  # second\n  (a + 1.0\n  # the end\n  )\n"
    assert format_program(parse(source)) == ("algorithm c\n\nformula f(x: Scalar, y: Scalar) -> Scalar =\n"
                                             "  let a = x *  # first factor\n      y in  # second\n  a + 1.0\n"
                                             "\n# the end\n")  # after the body's last token: as it reads back


def test_fmt_says_which_comments_it_cannot_keep_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Two comments at one place (nothing but a parenthesis between them) and two ending one printed line: each
    a one-line warning with its place, the file still formatted.  An operator spelled as a call (``add(x, x)``,
    printed ``x + x``) keeps its comment after the argument, at the operator."""
    monkeypatch.chdir(tmp_path)
    Path("c.mlev").write_text("algorithm c\n\nformula f(x: Scalar) -> Scalar =\n  let a = sin(  # one\n"
                              "    (  # two\n    x)) in\n  (a + x  # three\n  )  # four\n\n"
                              "formula g(x: Scalar) -> Scalar =\n  mul(add(x,  # five\n    x), 2.0)\n")
    assert main(["fmt", "c.mlev"]) == 0
    out, err = capsys.readouterr()
    assert out == ("algorithm c\n\nformula f(x: Scalar) -> Scalar =\n  let a = sin(  # one\n      # two\n"
                   "      x) in\n  # three\n  a + x  # four\n\nformula g(x: Scalar) -> Scalar =\n"
                   "  (x +  # five\n      x) * 2.0\n")
    assert err == (
        "c.mlev:5:8: warning: fmt cannot keep this comment in place: another comment comes first at the same place: "
        "this one goes on a line of its own\n"
        "c.mlev:7:11: warning: fmt cannot keep this comment in place: another comment ends the same line as printed: "
        "this one goes above that line\n")
    Path("c.mlev").write_text(out)
    assert main(["fmt", "--check", "c.mlev"]) == 0 and capsys.readouterr().err == ""


def test_every_rebuilt_definition_keeps_its_comments() -> None:
    """A definition rebuilt field by field (the engine's replace_body and with_methods, a simplify that changes no
    body, a worker's wire form) kept only the comment fields it named: qa76 found simplify and the wire dropping
    param_comments.  Every comment field, compared by name, so that a field added later is checked too."""
    source = ("algorithm c\n\nlearner l(\n    state w: Scalar  # weights\n)\n  predict(x: Vector) -> Scalar =\n"
              "    w\n  learn(x: Vector, y: Scalar, p: Scalar) -> Scalar =\n    w +  # step\n        0.1 * (y - p)"
              "  # end\n\n# f\nformula f(\n    x: Scalar  # input\n) -> Scalar =\n  # top\n  let a = x *  # op\n"
              "      x in  # a\n  a\n")
    program = parse(source)
    fields = [f.name for f in dataclasses.fields(Definition) if f.name.endswith(("comments", "trailing"))
              and f.name != "moved_comments"]  # moved_comments: the source's places, as a span is
    assert len(fields) == 5

    def same(a: Definition, b: Definition) -> None:
        assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]
        for m, n in zip(a.methods, b.methods, strict=True):
            same(m, n)

    decoded = Decoder().program(encode(program))
    for d, e in zip(program.definitions, decoded.definitions, strict=True):
        same(d, e)
        same(d, simplify_definition(d, lambda body: body.__class__.__new__(body.__class__) and body))
        if d.body is not None:
            same(d, d.replace_body(d.body))
        same(d, d.with_methods(d.methods))
    assert format_program(decoded) == format_program(program) == source
