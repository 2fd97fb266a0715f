"""A bracket left open or closing nothing is the error, at the bracket: not where the parse broke.

A fresh user's finding: ``relu(x`` on line 5, never closed, was reported as ``7:1: unexpected 'loss'``, the next
definition's first word.  The properties drop a closing (or add a stray) bracket from every example program."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.parse import parse

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = {path.name: path.read_text() for path in sorted(ROOT.glob("examples/*.mlev"))}
PROPS = settings(max_examples=200, derandomize=True, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow])
_BRACKET = re.compile(r'#[^\n]*|"[^"\n]*"|[()]')  # as the parser's scan: no bracket in a comment or string


def _offsets(text: str, char: str) -> list[int]:
    return [m.start() for m in _BRACKET.finditer(text) if m[0] == char]


def _offset(text: str, line: int, column: int) -> int:
    return sum(len(row) + 1 for row in text.split("\n")[: line - 1]) + column - 1


def test_the_examples_parse() -> None:
    assert PROGRAMS
    for name, text in PROGRAMS.items():
        parse(text, name)


@PROPS
@given(st.data())
def test_a_dropped_close_is_named_at_an_open_bracket_at_or_before_it(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(PROGRAMS)))
    text = PROGRAMS[name]
    at = data.draw(st.sampled_from(_offsets(text, ")")))
    broken = text[:at] + text[at + 1:]
    with pytest.raises(MlevError) as info:
        parse(broken, name)
    err = info.value
    assert re.fullmatch(r"'\(' is (never closed: .*|not closed before .*)", err.message), err.message
    assert err.span is not None
    opened = _offset(broken, err.span.line, err.span.column)
    assert broken[opened] == "(" and opened < at
    assert err.hint is not None and err.hint.startswith("close it with ')' before ")


@PROPS
@given(st.data())
def test_a_close_added_after_a_close_is_named_stray(data: st.DataObject) -> None:
    # after every '(' of the definition is closed: the added ')' closes nothing
    name = data.draw(st.sampled_from(sorted(PROGRAMS)))
    text = PROGRAMS[name]
    depth, ends = 0, []
    for found in _BRACKET.finditer(text):
        depth += {"(": 1, ")": -1}.get(found[0], 0)
        if found[0] == ")" and depth == 0:
            ends.append(found.end())
    at = data.draw(st.sampled_from(ends))
    broken = text[:at] + ")" + text[at:]
    with pytest.raises(MlevError) as info:
        parse(broken, name)
    err = info.value
    assert err.message == "')' closes no open '('"
    assert err.span is not None and _offset(broken, err.span.line, err.span.column) == at


def test_an_unclosed_bracket_of_a_tuple_type_and_of_a_group() -> None:
    head = "algorithm a\noptimizer o(w: Tensor, g: Tensor, m: Tensor) -> (Tensor, Tensor =\n  (w, m)\n"
    with pytest.raises(MlevError) as info:
        parse(head, "o.mlev")
    assert str(info.value).splitlines()[0] == "o.mlev:2:49: error: '(' is never closed: found '=' at 2:65"
    with pytest.raises(MlevError) as info:
        parse("algorithm a\nformula f(x: Scalar) -> Scalar =\n  (x + 1\n", "g.mlev")
    assert str(info.value).splitlines()[0] == "g.mlev:3:3: error: '(' is never closed: the file ends first"


def test_a_bracket_in_a_comment_or_the_task_string_is_no_bracket() -> None:
    text = ('algorithm a\ntask "x(.csv:target=y"\nformula f(x: Scalar) -> Scalar =\n'
            "  sin(x  # a comment's ) closes nothing\n")
    with pytest.raises(MlevError) as info:
        parse(text, "c.mlev")
    assert str(info.value).splitlines()[0] == "c.mlev:4:6: error: '(' is never closed: the file ends first"
