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
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlevolve.cli import main
from mlevolve.dsl.ir import Definition
from mlevolve.dsl.parse import _SHARED_PLACE, _TOKEN, _code_of, parse
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
    body = ("let a = x *  # first factor\n    y in  # second\n  let b = sin(  # the sine\n    a) +\n"
            "    # a whole one\n    cos(a,  # after a\n    x) in\n  (a + b)  # inner\n    * 2.0  # done\n")
    if kind == "learner":
        source = ("algorithm a\n\nlearner l(state x: Scalar)\n  predict(v: Vector, y: Scalar) -> Scalar =\n    x\n"
                  "  learn(v: Vector, y: Scalar, p: Scalar) -> Scalar =\n    "
                  + body.replace("\n", "\n  ").rstrip(" "))  # two more spaces in
    else:
        source = f"algorithm a\n\n{kind} f(x: Scalar, y: Scalar) -> Scalar =\n  {body}"
    assert format_program(parse(source)) == source
    joined = source.replace("  # first factor\n    ", " ").replace("  # first factor\n      ", " ")
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
                                             "  let a = x *  # first factor\n    y in  # second\n  a + 1.0\n"
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
    assert out == ("algorithm c\n\nformula f(x: Scalar) -> Scalar =\n  let a = sin(  # one\n    # two\n"
                   "    x) in\n  # three\n  a + x  # four\n\nformula g(x: Scalar) -> Scalar =\n"
                   "  (x +  # five\n    x) * 2.0\n")
    assert err == (
        "c.mlev:5:8: warning: fmt cannot keep this comment in place: another comment comes first at the same place: "
        "this one goes on a line of its own\n"
        "c.mlev:7:11: warning: fmt cannot keep this comment in place: a later comment ends the same line as printed: "
        "this one goes above that line\n")
    Path("c.mlev").write_text(out)
    assert main(["fmt", "--check", "c.mlev"]) == 0 and capsys.readouterr().err == ""


def test_every_rebuilt_definition_keeps_its_comments() -> None:
    """A definition rebuilt field by field (the engine's replace_body and with_methods, a simplify that changes no
    body, a worker's wire form) kept only the comment fields it named: qa76 found simplify and the wire dropping
    param_comments.  Every comment field, compared by name, so that a field added later is checked too (stop 64:
    header_comments)."""
    source = ("algorithm c\n\nlearner l(\n    state w: Scalar  # weights\n)\n  predict(x: Vector)  # p\n"
              "      -> Scalar =\n    w\n  learn(x: Vector, y: Scalar, p: Scalar) -> Scalar =\n    w +  # step\n"
              "      0.1 * (y - p)  # end\n\n# f\nformula f(\n    x: Scalar  # input\n)  # closed\n    -> Scalar =\n"
              "  # top\n  let a = x *  # op\n    x in  # a\n  a\n")
    program = parse(source)
    fields = [f.name for f in dataclasses.fields(Definition) if f.name.endswith(("comments", "trailing"))
              and f.name != "moved_comments"]  # moved_comments: the source's places, as a span is
    assert len(fields) == 6

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


_HEADER = re.compile(r"->|[(),:=]|[^\s(),:=#-]+|-")  # a header's tokens, as the parser's _HEADER_TOKEN


def _header_commented(text: str, rng: random.Random, p: float) -> tuple[str, list[str]]:
    """``text`` (a program as ``fmt`` prints it) with comments put after tokens of its headers (a definition's,
    a learner's, a method's): after the opening parenthesis, a parameter, a comma, the closing one, the
    ``->``, the result type and the ``=``; each an end-of-line or a whole-line one; and those put after the
    closing parenthesis or later, each with how many header tokens come before it ("after:N")."""
    out: list[str] = []
    after: list[str] = []
    learner = False
    n = 0
    for line in text.splitlines():
        learner = line.startswith("learner ") or (learner and line.startswith("  "))
        method = learner and re.match(r"  (setup|predict|learn)\(", line) is not None
        if not (line and line[0].isalpha() and "(" in line and not line.startswith(("algorithm", "task"))) \
                and not method:
            out.append(line)
            continue
        indent = line[:len(line) - len(line.lstrip())]
        tokens = list(_HEADER.finditer(line))
        opening = next(i for i, m in enumerate(tokens) if m.group() == "(")
        depth, close = 0, opening
        for close in range(opening, len(tokens)):
            depth += (tokens[close].group() == "(") - (tokens[close].group() == ")")
            if depth == 0:
                break
        commas = [i for i in range(opening, close) if tokens[i].group() == ","]
        gaps = [opening, close, *commas, *(i - 1 for i in [*commas, close] if i - 1 > opening)]  # (a parameter's end)
        if line.endswith(" ="):  # not a learner's header: after `)`, `->`, the type's last token and `=`
            gaps += [close + 1, len(tokens) - 2, len(tokens) - 1]
        pieces, start = [], 0
        for i in sorted(set(gaps)):
            if rng.random() < p:
                n += 1
                eol = rng.random() < 0.6
                comment = f"  # h{n}\n{indent}    " if eol else f"\n# h{n}\n{indent}    "
                pieces += [line[start:tokens[i].end()], comment]
                start = tokens[i].end()
                if i > close:
                    after.append(f"# h{n}")
        out.append("".join([*pieces, line[start:]]).rstrip())
    return "\n".join(out) + "\n", after


def _comment_texts(text: str) -> list[str]:
    return [line[len(_code_of(line)):] for line in text.splitlines() if len(_code_of(line)) < len(line)]


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(program=programs(), seed=st.integers(0, 2**32 - 1), p=st.sampled_from([0.1, 0.3, 0.7]))
def test_comments_after_any_header_token_are_kept_in_order(program: object, seed: int, p: float) -> None:
    """Comments after any token of a header (a definition's of every kind, a learner's, a method's), from its
    opening parenthesis to its ``=``: fmt keeps each (same texts, same order, none moved), the program is the same,
    fmt formats its output to itself, and one after the ``)``, the ``->``, the result type or the ``=`` follows
    the same header token as printed (c1.mlev of stop 64: those went above the definition or to the header's end)."""
    source, after = _header_commented(format_program(program), random.Random(seed), p)  # type: ignore[arg-type]
    read = parse(source)
    printed = format_program(read)
    again = parse(printed)
    assert again == read == program and format_program(again) == printed, (source, printed)
    assert not moved_comments(again)  # (a whole-line comment between a parameter and its comma, then one ending
    assert {why for *_, why in moved_comments(read)} <= {_SHARED_PLACE}  # the comma's line: on a line of its own)
    assert _comment_texts(printed) == _comment_texts(source), (source, printed)

    def tokens_before(text: str) -> dict[str, int]:
        count, found = 0, {}
        for line in text.splitlines():
            code = _code_of(line)
            count += len(_HEADER.findall(code))
            if len(code) < len(line):
                found[line[len(code):]] = count
        return found

    source_at, printed_at = tokens_before(source), tokens_before(printed)
    for comment in after:
        assert printed_at[comment] == source_at[comment], (comment, source, printed)


def test_the_fresh_users_header_and_let_chain_comments_stay_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Stop 64's c1.mlev: comments after ``)``, ``->`` and the result type went above the whole definition, with a
    warning naming "above that line"; one after a header's ``)`` ended its ``-> T =`` (it read as the type's); a
    let chain's ``in`` was at a continuation indent of 6.  Now each follows its token, no warning; a broken header
    continues two levels in, a broken body line one level in, a binding's lone ``in`` back at the binding's."""
    monkeypatch.chdir(tmp_path)
    Path("c1.mlev").write_text(
        "algorithm c1\n\nformula f(x: Scalar) # after paren\n  -> # after arrow\n  Scalar # after type\n"
        "  = x * x\nloss l(p: Tensor, y: Tensor) # after y\n  -> Scalar = mean((p - y) * (p - y))\n"
        "formula g(x: Scalar) -> Scalar =\n  let a = # c1\n    x * 2.0 # c2\n  in # c3\n  let b = a + # c4\n"
        "    1.0 in # c5\n  a * b\n")
    assert main(["fmt", "c1.mlev"]) == 0
    out, err = capsys.readouterr()
    assert out == (
        "algorithm c1\n\nformula f(x: Scalar)  # after paren\n    ->  # after arrow\n    Scalar  # after type\n"
        "    =\n  x * x\n\nloss l(p: Tensor, y: Tensor)  # after y\n    -> Scalar =\n  mean((p - y) * (p - y))\n\n"
        "formula g(x: Scalar) -> Scalar =\n  let a =  # c1\n    x * 2.0  # c2\n  in  # c3\n  let b = a +  # c4\n"
        "    1.0 in  # c5\n  a * b\n")
    assert err == ""
    Path("c1.mlev").write_text(out)
    assert main(["fmt", "--check", "c1.mlev"]) == 0 and capsys.readouterr().err == ""


def test_header_comments_fmt_cannot_keep_say_where_they_go(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A comment after a header's kind or name (before its ``(``) goes above its definition or method, one inside a
    tuple result type after that type, and a second ending the same place on a line of its own: each warning names
    where it went (before, "above that line" for one that went above the whole definition).  A learner's method
    header keeps a whole-line comment after its ``)`` there."""
    monkeypatch.chdir(tmp_path)
    Path("c.mlev").write_text(
        "algorithm c\ntask digits\noptimizer # kind\n  mom(w: Tensor, g: Tensor, m: Tensor) -> (Tensor, # in\n"
        "     Tensor) # type\n  = let m2 = 0.9 * m + g in (w - 0.05 * m2, m2)\nlearner lin(state w: Vector)\n"
        "  predict # name\n  (x: Vector)\n    # whole\n    -> Scalar = dot(w, x)\n"
        "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = w + 0.01 * (y - p) * x\n")
    assert main(["fmt", "c.mlev"]) == 0
    out, err = capsys.readouterr()
    assert out == (
        "algorithm c\ntask digits\n\n# kind\noptimizer mom(w: Tensor, g: Tensor, m: Tensor) -> (Tensor, Tensor)  # in\n"
        "    # type\n    =\n  let m2 = 0.9 * m + g in\n  (w - 0.05 * m2, m2)\n\nlearner lin(state w: Vector)\n"
        "  # name\n  predict(x: Vector)\n      # whole\n      -> Scalar =\n    dot(w, x)\n"
        "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w + 0.01 * (y - p) * x\n")
    warning = "warning: fmt cannot keep this comment in place: "
    assert err == (
        f"c.mlev:3:11: {warning}it sits before the header's opening parenthesis: it goes above the definition 'mom'\n"
        f"c.mlev:4:52: {warning}it sits inside the result type: it goes after the result type of the definition "
        "'mom'\n"
        f"c.mlev:5:14: {warning}another comment comes first at the same place: this one goes on a line of its own\n"
        f"c.mlev:8:11: {warning}it sits before the header's opening parenthesis: it goes above the method 'predict' "
        "of 'lin'\n")
    Path("c.mlev").write_text(out)
    assert main(["fmt", "--check", "c.mlev"]) == 0 and capsys.readouterr().err == ""


def test_a_comment_inside_a_parameter_goes_above_that_parameter_and_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A whole-line comment between a parameter's name and its ``:`` (or its ``:`` and type) went below the
    parameter, above the next one (which it does not describe), silently: it now goes above the parameter it
    interrupts, and the warning says so; one after a whole parameter stays where it was (above the next)."""
    monkeypatch.chdir(tmp_path)
    Path("c.mlev").write_text(
        "algorithm c\nloss l(p\n  # p: probabilities\n  : Tensor,\n  y:\n  # y: one-hot\n  Tensor\n  # after y\n"
        "  ) -> Tensor =\n  -(y * log(p + 1e-7))\nlearner lin(state w: Vector)\n  predict(x\n    # x\n    : Vector)"
        " -> Scalar = dot(w, x)\n  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = w + 0.01 * (y - p) * x\n")
    assert main(["fmt", "c.mlev"]) == 0
    out, err = capsys.readouterr()
    assert out == (
        "algorithm c\n\nloss l(\n    # p: probabilities\n    p: Tensor,\n    # y: one-hot\n    y: Tensor\n"
        "    # after y\n) -> Tensor =\n  -(y * log(p + 1e-7))\n\nlearner lin(state w: Vector)\n  predict(\n"
        "      # x\n      x: Vector\n  ) -> Scalar =\n    dot(w, x)\n"
        "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w + 0.01 * (y - p) * x\n")
    warning = "warning: fmt cannot keep this comment in place: it sits inside the parameter"
    assert err == (f"c.mlev:3:3: {warning} 'p': it goes above that parameter, in the definition 'l'\n"
                   f"c.mlev:6:3: {warning} 'y': it goes above that parameter, in the definition 'l'\n"
                   f"c.mlev:13:5: {warning} 'x': it goes above that parameter, in the method 'predict' of 'lin'\n")
    Path("c.mlev").write_text(out)
    assert main(["fmt", "--check", "c.mlev"]) == 0 and capsys.readouterr().err == ""


def test_two_comments_ending_one_header_say_which_line_the_first_goes_above(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One after the ``=`` and one after the body's opening parenthesis both end the header as printed: the first
    goes above the header's last line (here a broken header's), and the warning says so, not "above that line"."""
    monkeypatch.chdir(tmp_path)
    Path("c.mlev").write_text("algorithm c\nformula f(x: Scalar)  # t\n  -> Scalar = # a\n  ( # b\n  x)\n")
    assert main(["fmt", "c.mlev"]) == 0
    out, err = capsys.readouterr()
    assert out == "algorithm c\n\nformula f(x: Scalar)  # t\n    # a\n    -> Scalar =  # b\n  x\n"
    assert err == ("c.mlev:3:15: warning: fmt cannot keep this comment in place: a later comment ends the same "
                   "header as printed: this one goes above the header's last line, in the definition 'f'\n")


def test_two_comments_ending_a_header_say_where_the_first_goes_on_each_shape_of_header(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """small85: with its parameters one a line, a header's moved comment lands above its first line (the kind and
    name), yet the warning said "above the header's last line"; on a one-line header the two are one line.  The
    warning names the line the printer puts it above, and is about the comment that moves (the first: their order
    kept), for a definition and a learner's method alike."""
    monkeypatch.chdir(tmp_path)
    Path("d.mlev").write_text("algorithm d\n\nformula f  # after name\n(x: Scalar, y  # after y name\n: Scalar) -> "
                              "Scalar =\n(  # after paren1\n(  # after paren2\nx + y))\n\n"
                              "formula g(x: Scalar) -> Scalar =  # after eq\n(  # after paren\nx)\n\n"
                              "learner lin(state w: Vector)\n  predict(x: Vector  # the input\n  ) -> Scalar =  # a\n"
                              "    (  # b\n    dot(w, x))\n  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = w\n")
    assert main(["fmt", "d.mlev"]) == 0
    out, err = capsys.readouterr()
    assert out == ("algorithm d\n\n# after name\n# after paren1\nformula f(\n    x: Scalar,\n"
                   "    y: Scalar  # after y name\n) -> Scalar =  # after paren2\n  x + y\n\n"
                   "# after eq\nformula g(x: Scalar) -> Scalar =  # after paren\n  x\n\n"
                   "learner lin(state w: Vector)\n  # a\n  predict(\n      x: Vector  # the input\n"
                   "  ) -> Scalar =  # b\n"
                   "    dot(w, x)\n  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w\n")
    warning = "warning: fmt cannot keep this comment in place: "
    shared = "a later comment ends the same header as printed: this one goes above "
    assert err == (
        f"d.mlev:3:12: {warning}it sits before the header's opening parenthesis: it goes above the definition 'f'\n"
        f"d.mlev:6:4: {warning}{shared}the header's first line, in the definition 'f'\n"
        f"d.mlev:10:35: {warning}{shared}the header, in the definition 'g'\n"
        f"d.mlev:16:18: {warning}{shared}the header's first line, in the method 'predict' of 'lin'\n")
    Path("d.mlev").write_text(out)
    assert main(["fmt", "--check", "d.mlev"]) == 0 and capsys.readouterr().err == ""


def test_a_new_body_keeps_none_of_the_old_body_s_comments(tmp_path: Path) -> None:
    """fmt80 saw an evolved candidate's archived text end an unrelated line with its seed's comment: replace_body
    kept the comments placed by the old body's lines and tokens on any body.  A different body drops them (the
    header's stay); the same body keeps them (test above).  Through the engine: no archived program but the seed
    itself carries the seed's body comments."""
    import sqlite3

    from mlevolve import api
    from mlevolve.dsl.ir import Call, Ref

    source = ("algorithm c\n\nformula f(x: Scalar) -> Scalar =  # the header's\n  # the square\n  let a = x *  # op\n"
              "    x in  # a\n  a + 1.0  # end\n")
    program = parse(source)
    d = program.definitions[0]
    new = d.replace_body(Call("add", (Ref("x"), Ref("x"))))
    assert (new.body_comments, new.inline_comments, new.trailing) == ((), (), ((-1, "# the header's"),))
    assert format_program(program.replace(new)) == ("algorithm c\n\nformula f(x: Scalar) -> Scalar =  # the header's\n"
                                                    "  x + x\n")
    db = tmp_path / "c.db"
    api.evolve(program, ["f"], "nguyen1", budget=40, seed=0, db=db, quiet=True)
    with sqlite3.connect(db) as con:
        texts = [t for (t,) in con.execute("SELECT program FROM candidates")]
    assert len(texts) == 40 and sum("# op" in t or "# end" in t for t in texts) <= 1
