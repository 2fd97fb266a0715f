"""Parser: ``.mlev`` text to the IR.

The Lark LALR(1) parser (syntax in ``mlev.lark``) calls the callbacks below at each reduction, so
the IR is built bottom-up as the parser goes: no parse tree, no recursion, any nesting depth.
Syntax errors become :class:`MlevError` with the position and the expected tokens in user words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import replace
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from mlevolve.dsl.errors import (
    LOOKALIKES,
    OPERATOR_HINTS,
    POWER,
    PYTHON_OPERATORS,
    MlevError,
    closest,
    did_you_mean,
    normalize_newlines,
    python_operator,
    source_lines,
)
from mlevolve.dsl.ir import Call, Definition, Expr, Let, Num, Param, Program, Ref, Span, Tup
from mlevolve.dsl.lalr_cache import cached_lark
from mlevolve.dsl.traverse import walk
from mlevolve.dsl.types import TupleType, Type
from mlevolve.interpreter.standalone.common import DSL_KEYWORDS, comma_fix

# The language's keywords, reserved (no name may be one): owned by the code exported scripts carry, which
# names a data file's column that no formula parameter can take (standalone/data_formula.py).
KEYWORDS = DSL_KEYWORDS

# Terminals in user words, for "expected one of ..." messages.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a quoted string",
    "METHOD": "'setup', 'predict' or 'learn'",
    "STATE": "'state'",
    "$END": "end of file",
}


def _span(tok: Token) -> Span:
    return Span(tok.line or 0, tok.column or 0, tok.end_line or 0, max((tok.end_column or 1) - 1, 1))


def _abbrev(text: str, width: int = 24) -> str:
    return text if len(text) <= width else f"{text[:10]}...{text[-10:]} ({len(text):,} characters)"


def _def_span(kind: Token, name: Token) -> Span:
    """A definition is located at its name, or at its kind when that is no kind: the checker's
    "unknown component kind" caret then sits under the misspelt word."""
    from mlevolve.dsl.kinds import KINDS  # here, not above: kinds imports this module

    return _span(name) if str(kind) in KINDS else _span(kind)


def _join(a: Expr, b: Expr) -> Span | None:
    return a.span.join(b.span) if a.span is not None else b.span


@v_args(inline=True)
class _Build(Transformer[Token, Any]):
    """Reduction callbacks: each returns an IR node (or a piece of one)."""

    def num(self, tok: Token) -> Num:
        text = str(tok)
        is_int = text.isdigit()
        if not is_int and float(text) == 0 and any(c in "123456789" for c in text.lower().partition("e")[0]):
            raise MlevError(f"number {_abbrev(text)} is below the smallest float, 5e-324, and would read as 0",
                            _span(tok), "write 0 if 0 is meant, else a number from 5e-324 up")  # as TOML files
        try:
            return Num(int(text) if is_int else float(text), is_int, _span(tok))
        except ValueError:
            raise MlevError(f"number {_abbrev(text)} is out of range", _span(tok),
                            "a literal must be a finite double, at most about 1.8e308") from None

    def ref(self, tok: Token) -> Ref:
        return Ref(str(tok), _span(tok))

    def call(self, tok: Token, args: list[Expr] | None, close: Token) -> Call:
        return Call(str(tok), tuple(args or ()), _span(tok).join(_span(close)))

    def args(self, *items: Expr) -> list[Expr]:
        return list(items)

    def tup(self, *items: Expr) -> Tup:
        return Tup(items, _join(items[0], items[-1]))

    def neg(self, x: Expr) -> Call:
        return Call("neg", (x,), x.span)

    def add(self, a: Expr, b: Expr) -> Call:
        return Call("add", (a, b), _join(a, b))

    def sub(self, a: Expr, b: Expr) -> Call:
        return Call("sub", (a, b), _join(a, b))

    def mul(self, a: Expr, b: Expr) -> Call:
        return Call("mul", (a, b), _join(a, b))

    def div(self, a: Expr, b: Expr) -> Call:
        return Call("div", (a, b), _join(a, b))

    def let(self, name: Token, value: Expr, body: Expr) -> Let:
        return Let(str(name), value, body, _span(name))

    def __init__(self) -> None:
        super().__init__()
        self.type_spans: list[Span] = []  # of the type names read since the last parameter

    def base_type(self, tok: Token) -> str:
        self.type_spans.append(_span(tok))
        return str(tok)

    def tuple_type(self, *items: Type) -> TupleType:
        return TupleType(tuple(items))

    def param(self, state: Token | None, name: Token, type_: Type) -> Param:
        at = _span(name)
        mine = [t for t in self.type_spans if (t.line, t.column) > (at.line, at.column)]  # this one's type
        self.type_spans.clear()
        return Param(str(name), type_, state is not None, at, mine[0].join(mine[-1]) if mine else None)

    def params(self, *items: Param) -> tuple[Param, ...]:
        return items

    def method(self, kind: Token, params: tuple[Param, ...] | None, result: Type, body: Expr) -> Definition:
        return Definition(str(kind), str(kind), params or (), result, body, (), _span(kind))

    def simple_def(
        self, kind: Token, name: Token, params: tuple[Param, ...] | None, result: Type, body: Expr
    ) -> Definition:
        return Definition(str(kind), str(name), params or (), result, body, (), _def_span(kind, name))

    def learner_def(
        self, kind: Token, name: Token, params: tuple[Param, ...] | None, *methods: Definition
    ) -> Definition:
        return Definition(str(kind), str(name), params or (), None, None, methods, _def_span(kind, name))

    def task(self, tok: Token) -> str:
        self.task_span: Span | None = _span(tok)
        text = str(tok)
        return text[1:-1] if tok.type == "STRING" else text

    def start(self, name: Token, *rest: Any) -> Program:
        task = rest[0] if rest and isinstance(rest[0], str) else None
        defs = tuple(d for d in rest if isinstance(d, Definition))
        where = getattr(self, "task_span", None) if task is not None else None
        return Program(str(name), defs, task, _span(name), task_span=where)


def syntax() -> str:
    """The Lark grammar of ``.mlev`` (``mlev.lark``, its keywords filled in)."""
    text = resources.files("mlevolve.dsl").joinpath("mlev.lark").read_text()
    return text.replace("@KEYWORDS@", "|".join(KEYWORDS))  # reserved: no NAME is a keyword


@cache
def _parser() -> Lark:
    """The ``.mlev`` parser, once a process; its LALR(1) tables from this user's cache where another process
    built them (:mod:`mlevolve.dsl.lalr_cache`: building them is on every command's path, loading is 5x less)."""
    return cached_lark(syntax(), start=["start", "expr"], transformer=_Build(), maybe_placeholders=True)


def _describe(parser: Lark, names: set[str]) -> str:
    words = set()
    for name in names:
        if name in _TERMINAL_WORDS:
            words.add(_TERMINAL_WORDS[name])
            continue
        try:
            words.add(repr(parser.get_terminal(name).pattern.value))
        except KeyError:
            words.add(name.lower())
    return ", ".join(sorted(words))


_FORMS = {  # the form expected at a header or keyword position, for the hint of a syntax error there
    "algorithm": "a program starts with `algorithm NAME`, then `task NAME` (optional), then its definitions",
    "task": 'the task line is `task NAME` or `task "data.csv:target=y"`',
    "let": "a binding is `let NAME = EXPR in EXPR`",
    "definition": "a definition is `KIND NAME(NAME: Type, ...) -> Type = EXPR`; a learner's is "
                  "`learner NAME(state NAME: Type) predict(NAME: Type) -> Type = EXPR learn(...) -> Type = EXPR`",
}


def _form(names: set[str], before: str) -> str | None:
    """The :data:`_FORMS` entry for a syntax error whose parser expected the terminals ``names``, after the
    text ``before``; None at an expression's operand or operator (no header or keyword expected there)."""
    from mlevolve.dsl.kinds import KINDS  # here, not above: kinds imports this module

    last = re.search(r"([A-Za-z_]\w*)\s*$", before)
    word = last[1] if last else ""
    if "ALGORITHM" in names or (word == "algorithm" and names == {"NAME"}):
        return _FORMS["algorithm"]
    if word == "task" and "STRING" in names:
        return _FORMS["task"]
    if "IN" in names or word == "let" or ("EQUAL" in names and re.search(r"\blet\s+[A-Za-z_]\w*\s*$", before)):
        return _FORMS["let"]
    if (names & {"LPAR", "COLON", "EQUAL", "METHOD", "__ANON_0"} and not names & {"NUMBER", "MINUS"}) \
            or "$END" in names or (word in KINDS and names == {"NAME"}):
        return _FORMS["definition"]
    return None


_HEADER_WORD = re.compile(r'"[^"\n]*"|#|[^\s#"]+|"')  # a quoted string, a comment's start, or a word


def _header_error(source: str) -> MlevError | None:
    """The header lines checked as lines: ``algorithm NAME``, then (optional) ``task NAME`` or
    ``task "FILE:target=COL"``, each one name on a line of its own.  A missing name or an extra word (the
    task header on the algorithm's line too) is the error at its place, not where the parser would first
    notice (the next line's keyword taken as the name, or the extra word taken as the next definition's
    kind); so are an unquoted data file or task with options (``task x.csv:target=y``) and a task line
    after the definitions began (a second one, or one out of place).  None where the headers are fine,
    or where what is wrong is no line's shape (a keyword or number as the name: the parser reports it)."""
    expected, task_line = "algorithm", None
    for number, text in enumerate(source_lines(source), 1):
        if expected == "body" and not text.lstrip().startswith("task"):
            continue  # a definition's line (the cheap test first: this runs on every line of a file)
        words: list[re.Match[str]] = []
        for word in _HEADER_WORD.finditer(text):
            if word[0] == "#":
                break
            words.append(word)
        if not words:
            continue
        if expected == "body":
            if words[0][0] == "task" and len(words) <= 2 and re.match(r'["\w]', words[-1][0]):  # `task NAME`
                return _late_task(number, words[0], task_line)
            continue  # `task * b` is no task line: the keyword used as a name, which the parser reports where named
        elif words[0][0] != expected:
            if expected == "algorithm":
                return None
            found = _misspelt_task(number, words)
            if found is not None:
                return found
            expected = "body"
        elif expected == "algorithm" and len(words) > 2 and words[2][0] == "task":  # both headers on one line
            return MlevError("the task header is a line of its own, not part of the algorithm line",
                             Span(number, words[2].start() + 1, number, words[2].end()),
                             f"a header is one line: `algorithm {words[1][0]}`, then `task NAME` on the next line")
        else:
            found = _header_shape(number, words) or (_unquoted_task(number, words[1]) if expected == "task" else None)
            if found is not None:
                return found
            task_line = number if expected == "task" else None
            expected = "body" if expected == "task" else "task"
    return None


def _late_task(number: int, word: re.Match[str], first: int | None) -> MlevError:
    """The error of a ``task`` line (its keyword ``word``, on line ``number``) after the headers: a second one
    (``first``: the line of the first), or one below the definitions."""
    span = Span(number, word.start() + 1, number, word.end())
    if first is not None:
        return MlevError(f"the task is given twice (first at line {first})", span,
                         "a program has one task line, right after `algorithm NAME`: keep one")
    return MlevError("the task line comes right after `algorithm NAME`, before the definitions", span,
                     "move it up to the line after the algorithm line")


def whole(spec: str) -> str:
    """Task ``spec`` as a hint proposes it: a CSV file's without ``target=`` with ``:target=COLUMN`` added (the quotes
    alone lead to the next error, which column is the target; ``api.programs`` names the column, reading the file
    from the .mlev file's folder)."""
    return f"{spec}:target=COLUMN" if spec.split(":")[0].lower().endswith(".csv") and "target=" not in spec else spec


def _unquoted_task(number: int, word: re.Match[str]) -> MlevError | None:
    """The error of a task line's name ``word`` (on line ``number``) that is a data file's name or a task with
    options written without quotes (``x.csv:target=y``: the parser would stop at its ``.``), or None (as for a
    name in typographic quotes: the parser's error at the quote names the ASCII one, :data:`LOOKALIKES`)."""
    name = word[0]
    quoted = name.startswith('"') or LOOKALIKES.get(name[:1]) == '"'
    if quoted or re.fullmatch(r"[A-Za-z_]\w*", name) or not re.search(r"[.:/=\\]", name):
        return None
    what = "a data file's name" if re.search(r"[./\\]", name.split(":")[0]) else "a task with options"
    err = MlevError(f"{what} is written in quotes on the task line", Span(number, word.start() + 1, number,
                                                                          word.end()), f'write task "{whole(name)}"')
    err.unquoted = name
    return err


def _misspelt_task(number: int, words: list[re.Match[str]]) -> MlevError | None:
    """A misspelt ``task`` header (``tsk digits``: two words, the first close to ``task``) on line
    ``number``: the error at the misspelt word (the parser would read it as a definition's kind and
    report the next line), else None."""
    word = words[0]
    if len(words) != 2 or closest(word[0], ["task"]) is None:
        return None
    return MlevError(f"unknown header '{word[0]}'", Span(number, word.start() + 1, number, word.end()),
                     f"did you mean 'task'? the header line is `task {words[1][0]}`")


def _header_shape(number: int, words: list[re.Match[str]]) -> MlevError | None:
    """The error of header ``words`` (its keyword first) on line ``number`` that is not one name, or None."""
    keyword = words[0][0]
    form = "`algorithm NAME`" if keyword == "algorithm" else '`task NAME` or `task "data.csv:target=y"`'
    if len(words) == 1:
        column = words[0].end() + 1
        return MlevError(f"the {keyword} line is `{keyword} NAME`: its name is missing",
                         Span(number, column, number, column),
                         f"a header is one line: {form}, with the name on the same line")
    quote = next((w for w in words[1:] if w[0] == '"'), None)  # a lone quote: the other is missing
    if keyword == "task" and quote is not None:
        name = " ".join(w[0] for w in words[1:] if w is not quote)
        where = Span(number, quote.start() + 1, number, quote.end())
        if quote is words[1]:
            return MlevError(f"the task name's quote at column {quote.start() + 1} is not closed", where,
                             f'close it on the same line: task "{whole(name) if name else "data.csv:target=y"}"')
        return MlevError(f"the quote at column {quote.start() + 1} closes no opened quote", where,
                         "a quoted task name ends at its next quote (a backslash escapes nothing): give the file "
                         "a name without quotes" if '"' in name else
                         f'write task "{whole(name)}"' + (f", or task {name} for a built-in task"
                                                           if not re.search(r"[./\\]", name.split(":")[0]) else ""))
    if len(words) > 2:
        extra = words[2]
        return MlevError(f"the {keyword} line is `{keyword} NAME`: one name; found {extra[0]!r}",
                         Span(number, extra.start() + 1, number, extra.end()),
                         f"a header is one line: {form}; what follows starts on the next line")
    return None


def _character_hint(char: str) -> str:
    """The hint of an unexpected character ``char``: the ASCII one it looks like (:data:`LOOKALIKES`), the power's
    spelling for ``^``, else what names and numbers are made of."""
    if char in LOOKALIKES:
        ascii_ = LOOKALIKES[char]
        return (f"{char!r} is {unicodedata.name(char, f'U+{ord(char):04X}')} (U+{ord(char):04X}), not ASCII: write "
                + ("a plain space" if ascii_ == " " else repr(ascii_)) + " (a paste from a PDF or word processor?)")
    if char == "^":
        return f".mlev has no power operator: write {POWER}"
    if char in OPERATOR_HINTS:  # Python's %, @, [ ...
        return OPERATOR_HINTS[char]
    return "names are ASCII letters, digits and '_'; numbers are like 3, 0.5 or 1e-3" + (
        ", in the ASCII digits 0-9" if char.isdigit() else "")


def _syntax_error(err: UnexpectedInput, parser: Lark, source: str) -> MlevError:
    line, column = err.line or 1, err.column or 1
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream or 0
        char = source[pos] if 0 <= pos < len(source) else "?"
        if (operator := _python_operator(source, pos)) is not None:  # `x <= y`, `x != y`: the operator whole
            return operator
        return MlevError(f"unexpected character {char!r}", Span(line, column, line, column), _character_hint(char))
    names = set(getattr(err, "accepts", None) or getattr(err, "expected", None) or ())
    token = getattr(err, "token", None)
    start = None if isinstance(err, UnexpectedEOF) or token is None or token.type == "$END" else token.start_pos
    bracket = _bracket_error(parser, source, token if start is not None else None, names)
    if bracket is not None and (token is None or start is None or bracket.span is None
                                or bracket.span.line < (token.line or 1)):
        return bracket  # left open lines above (or at the end of the file): said before any guess at the token
    stray = _stray(parser, source, len(source) if start is None else start, names)
    if stray is not None:
        return stray
    expected = _describe(parser, names)
    if isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken) and err.token.type == "$END"):
        line_no = source.count("\n") + 1
        last = source.rstrip("\n").split("\n")[-1] if source.strip() else ""
        if not source.strip():
            return MlevError("empty file", Span(1, 1, 1, 1), "a program starts with `algorithm NAME`")
        col = len(last) + 1
        form = _form(names, source)
        return MlevError("unexpected end of file", Span(min(line_no, source.rstrip("\n").count("\n") + 1),
                         col, 0, 0), f"expected one of: {expected}" + (f"; {form}" if form else ""))
    assert isinstance(err, UnexpectedToken)
    tok = err.token
    if (operator := _python_operator(source, tok.start_pos or 0)) is not None or (
            (before := re.search(r"(?<![\w.])not\s+$", source[: tok.start_pos or 0])) is not None and
            (operator := _python_operator(source, before.start())) is not None):  # `x == 2`, `(a and b)`, `(not a)`
        return operator
    if (glued := _glued(source, tok)) is not None:  # `sin(2x)`: a name against a number
        return glued
    if bracket is not None:  # left open on the token's line: `(x == 2`, `sin(2x` said as above, else the bracket
        return bracket
    what = f"keyword {str(tok)!r}" if str(tok) in KEYWORDS else repr(str(tok))
    hint = f"expected one of: {expected}" if expected else None
    meant = _keyword_meant(parser, names, str(tok)) if tok.type == "NAME" else None
    if meant is None and tok.type == "NAME" and (word := re.search(r"([A-Za-z_]\w*)\s*$", source[:tok.start_pos or 0])):
        meant = _closest_keyword(word[1], ("state",)) if "COLON" in names else None  # `l(stat w: Vector)`
        if meant is not None and "\n" not in source[word.start():tok.start_pos or 0]:
            column = (tok.column or 1) - ((tok.start_pos or 0) - word.start())
            return MlevError(f"unexpected {what} after {word[1]!r}", Span(tok.line or 1, column, tok.line or 1,
                                                                          column + len(word[1]) - 1),
                             f"did you mean '{meant}'? a learner's memory is declared `state NAME: Type`")
    if hint and meant is not None:
        hint = f"did you mean '{meant}'? {hint}"
    if str(tok) == "*" and source[: tok.start_pos or 0].rstrip().endswith("*"):  # x ** 2, Python's power
        return MlevError("unexpected '*': .mlev has no power operator", _span(tok), f"write {POWER}")
    if str(tok) == "," and (number := _comma_number(source, tok.start_pos or 0)) is not None:  # 1,5 where no , goes
        return number
    if hint and "a name" in expected:
        # The keyword is this token (`let in = ...`) or the word `state` before it, taken as the marker of
        # a state parameter (`f(state: T)`); never another keyword before it (`let = x`, `task 3`), which is
        # in its place: the unexpected token is what is wrong there.
        before = re.search(r"([A-Za-z_]\w*)\s*$", source[: tok.start_pos or 0])
        keyword = str(tok) if str(tok) in KEYWORDS else "state" if before and before[1] == "state" else None
        if str(tok) == "let" and "a number" in expected:  # an operand (`x + let y = ...`): a let is an expr, no atom
            hint += " (a let as an operand or a negation's is written in parentheses: x + (let NAME = EXPR in EXPR))"
        elif keyword is not None:
            hint += f" ('{keyword}' is a keyword and cannot be used as a name)"
    form = _form(names, source[: tok.start_pos or 0])
    if hint and form:
        hint += f"; {form}"
    return MlevError(f"unexpected {what}", _span(tok), hint)


_BRACKET = re.compile(r'#[^\n]*|"[^"\n]*"|[()]')  # a comment or a quoted string holds no bracket


def _place(source: str, at: int) -> tuple[int, int]:
    """The (line, column) of offset ``at`` of ``source``, both from 1."""
    return source.count("\n", 0, at) + 1, at - (source.rfind("\n", 0, at) + 1) + 1


def _bracket_error(parser: Lark, source: str, token: Token | None, names: set[str]) -> MlevError | None:
    """The error of a syntax error (at ``token``; None: at the end of the file; ``names``: the terminals the parser
    expected there) that a bracket explains, at the bracket: a '(' still open there that no ')' closes before the
    parse broke where a ')' goes (at the end of the file; never in the file; or not before a definition starts:
    ``relu(x`` then ``loss xent(...)``, the parser breaks at the next line's words), or a ')' that closes no '('.
    None for any other mistake (``f(x y)``, ``add(x,`` then ``x x)``: the token is the mistake).
    '(' and ')' are .mlev's only brackets (``[`` and ``{`` are unexpected characters, with their hint)."""
    end = len(source) if token is None else token.start_pos or 0
    opened: list[int] = []
    for found in _BRACKET.finditer(source, 0, end):
        if found[0] == "(":
            opened.append(found.start())
        elif found[0] == ")" and opened:
            opened.pop()
    if token is not None and str(token) == ")" and not opened:
        return MlevError("')' closes no open '('", _span(token),
                         "remove it, or add the '(' it closes (every '(' before it is closed already)")
    if not opened:
        return None
    line, column = _place(source, opened[-1])
    more = len(opened) - 1
    also = (f"; {more} more '(' before it {'is' if more == 1 else 'are'} open too"
            + (", at {}:{}" if more == 1 else ", the nearest at {}:{}").format(*_place(source, opened[-2]))) \
        if more else ""
    where = Span(line, column, line, column)
    if token is None:
        return MlevError("'(' is never closed: the file ends first", where,
                         f"close it with ')' before the end of the file{also}")
    if not any(_terminal_text(parser, name) == ")" for name in names):
        return None  # the parse broke where no ')' goes: some other mistake inside the brackets
    depth = closed = 0  # how many of the open brackets a ')' after the token closes, innermost first
    for found in _BRACKET.finditer(source, end):
        depth += {"(": 1, ")": -1}.get(found[0], 0)
        closed = max(closed, -depth)
        if closed == len(opened):
            break
    what = f"keyword {str(token)!r}" if str(token) in KEYWORDS else repr(str(token))
    before = f"line {token.line}" if token.line != line else \
        f"{what}, or mend what is before it (expected there one of: {_describe(parser, names)})"
    if closed == 0:
        return MlevError(f"'(' is never closed: found {what} at {token.line}:{token.column}", where,
                         f"close it with ')' before {before}{also}")
    if closed < len(opened):  # closed further on, but an outer one never is: one ')' is missing, here or before
        return MlevError(f"'(' is not closed before {what} at {token.line}:{token.column}", where,
                         f"close it with ')' before {before}{also}")
    from mlevolve.dsl.kinds import KINDS  # (kinds reads this module's keywords)

    # Closed further on: the bracket is the mistake only where a definition starts before the token (`relu(x`,
    # then `loss xent(...) -> ... = f(p))`); `f(x,` then `y z)` is a mistake at the token.
    upto = source.find("\n", end)
    header = re.compile(rf"^[ \t]*(?:{'|'.join(KINDS)})[ \t]+[A-Za-z_]\w*[ \t]*\(", re.MULTILINE)
    if header.search(source, opened[-1], len(source) if upto < 0 else upto) is None:
        return None
    return MlevError(f"'(' is not closed before {what} at {token.line}:{token.column}", where,
                     f"close it with ')' before {before}{also}")


def _terminal_text(parser: Lark, name: str) -> str | None:
    """The text of terminal ``name`` where it is a fixed string (``CLOSE``: ')'), else None."""
    try:
        return str(parser.get_terminal(name).pattern.value)
    except KeyError:
        return None


def _comma_number(source: str, at: int) -> MlevError | None:
    """The error of a number written with a decimal comma or thousands separators (``1,5``, ``1,000``: a data file's
    cell says it alike, :func:`~mlevolve.interpreter.standalone.common.comma_fix`) whose unexpected comma is at offset
    ``at`` of ``source``, at the number whole; None where no such number is there (``f(1, 5)``: a space after)."""
    before = re.search(r"(?<![\w.])[0-9]*$", source[:at])
    after = re.match(r",[0-9][0-9,]*(\.[0-9]*)?([eE][+-]?[0-9]+)?(?![\w.])", source[at:])
    if before is None or after is None or (fix := comma_fix(text := before[0] + after[0])) is None:
        return None
    line, column = _place(source, before.start())
    return MlevError(f"unexpected ',' in {text!r}: a number's decimal point is '.', and it has no thousands separator",
                     Span(line, column, line, column + len(text) - 1), f"write {fix}")


_KEYWORD_TERMINALS = {"METHOD": ("setup", "predict", "learn"), "STATE": ("state",)}


_PYTHON_OPERATOR = re.compile("|".join(
    rf"{re.escape(op)}\b" if op.isalpha() else re.escape(op) for op in sorted(PYTHON_OPERATORS, key=len, reverse=True)))


def _python_operator(source: str, at: int) -> MlevError | None:
    """The error of Python's comparison or logical operator (or conditional expression) written at offset ``at`` of
    ``source`` (:data:`~mlevolve.dsl.errors.PYTHON_OPERATORS`: `==`, `<=`, `and`, `not`, `if`...), at the operator
    whole, with how .mlev writes it; None where none starts there (a word only where a name does not go on)."""
    found = _PYTHON_OPERATOR.match(source, at)
    if found is None or (at > 0 and found[0].isalpha() and (source[at - 1].isalnum() or source[at - 1] == "_")):
        return None
    message, hint = python_operator(found[0])
    line, column = _place(source, at)
    return MlevError(f"unexpected {found[0]!r}: {message}", Span(line, column, line, column + len(found[0]) - 1),
                     hint)


def _keyword_meant(parser: Lark, names: set[str], word: str) -> str | None:
    """The keyword the parser expected (``names``, its terminals) that ``word``, a name in its place, misspells
    (``predcit``: predict; ``Let``: let), or None.  Keywords are lower case, so case is ignored."""
    expected: list[str] = []
    for name in names:
        if name in _KEYWORD_TERMINALS:
            expected += _KEYWORD_TERMINALS[name]
            continue
        try:
            value = parser.get_terminal(name).pattern.value
        except KeyError:
            continue
        if value in KEYWORDS:
            expected.append(value)
    return _closest_keyword(word, expected)


def _closest_keyword(word: str, keywords: Collection[str]) -> str | None:
    """The one of ``keywords`` that ``word`` (not itself one) misspells, ignoring case; None where none is close."""
    return None if word in KEYWORDS else closest(word, keywords, cutoff=0.75)


def _glued(source: str, word: Token) -> MlevError | None:
    """The error of a name ``word`` written against the number before it (``1_000``, ``1e``, ``0x10``, ``2x``: the
    lexer reads the number, then a name), in the words of what was meant; None where no number touches it."""
    number = re.search(r"(?<![\w.])(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$", source[: word.start_pos or 0])
    if word.type != "NAME" or number is None:
        return None
    text, after = number[0], str(word)
    if re.fullmatch(r"(?:_\d+)+", after):
        hint = f"a number has no _ between its digits: write {text}{after.replace('_', '')}"
    elif re.fullmatch(r"[eE]", after):
        hint = f"an exponent is written with its digits, without spaces: {text}e3 or {text}e-3"
    elif text == "0" and re.fullmatch(r"[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+", after):
        hint = f"numbers are decimal: write {int(text + after, 0)}"
    else:
        hint = f"a product is written with *: {text} * {after}"
    return MlevError(f"unexpected {after!r} right after the number {text}", _span(word), hint)


def _stray(parser: Lark, source: str, end: int, names: set[str]) -> MlevError | None:
    """A word after a complete body that the parser read as the next definition's kind (``x * 0x10`` is ``x * 0``,
    then ``x10`` as a kind awaiting its name; ``x * 2 sin(x)``), so that the header it began broke further on
    (at the end of the file, at ``(``): the error at that word, which is no kind.  None for any other mistake."""
    from mlevolve.dsl.kinds import KINDS  # (kinds reads this module's keywords)

    back = {frozenset({"NAME"}): 1, frozenset({"LPAR"}): 2}.get(frozenset(names), 0)  # a kind read, or a kind and name
    try:
        tokens = list(parser.lex(source[:end])) if back else []
    except UnexpectedInput:
        return None
    if len(tokens) <= back or not any(t.type == "EQUAL" for t in tokens[:-back]):  # no body yet: a header's mistake
        return None
    kind, before = tokens[-back], tokens[-back - 1]
    for word in (before, kind):  # `a and b`, `a if c else b`: the word read as a kind; `not a`: the body before it
        if word.type == "NAME" and (operator := _python_operator(source, word.start_pos or 0)) is not None:
            return operator
    if kind.type != "NAME" or str(kind) in KINDS or before.type not in ("NAME", "NUMBER", "CLOSE"):
        return None
    if before.type == "NUMBER" and before.end_pos == kind.start_pos and (glued := _glued(source, kind)):
        return glued
    if before.type == "NAME" and (meant := _closest_keyword(str(before), ("let",))) is not None:  # `Let y = x`
        return MlevError(f"unexpected {str(kind)!r} after {str(before)!r}", _span(before),
                         f"did you mean '{meant}'? keywords are lower case: a binding is `let NAME = EXPR in EXPR`")
    in_learner = next((str(t) for t in reversed(tokens) if str(t) in KINDS), None) == "learner"
    words = (*KINDS, *_KEYWORD_TERMINALS["METHOD"]) if in_learner else tuple(KINDS)  # `lern(...)` after a method
    return MlevError(f"unexpected {str(kind)!r} after an expression", _span(kind),
                     f"{did_you_mean(str(kind), words)}join terms with an operator (+ - * /) and call a primitive as "
                     f"NAME(ARGS); a new definition starts with its kind ({', '.join(KINDS)})"
                     + ("; a learner's method with setup, predict or learn" if in_learner else ""))


def parse(source: str, file: str | None = None) -> Program:
    """Parse a whole ``.mlev`` program.  Raises :class:`MlevError` on a syntax error.

    Lines may end with LF, CRLF or CR (universal newlines); positions count lines as
    :func:`mlevolve.dsl.errors.source_lines` does.  A leading byte-order mark (U+FEFF, which some
    editors write) is not part of the program, in a string as in a file (:func:`mlevolve.api.read_source`)."""
    source = normalize_newlines(source.removeprefix("\ufeff"))
    header = _header_error(source)
    if header is not None:
        raise header.located(file or "<input>").with_source(source)
    program = _run("start", source, file)
    assert isinstance(program, Program)
    return replace(_attach_comments(program, source), file=file, source=source)


def _comments(source: str) -> list[tuple[int, bool, str]]:
    """(line, whole-line?, text) for each ``#`` comment; a ``#`` inside a quoted string is not one."""
    found = []
    for number, line in enumerate(source_lines(source), 1):
        quoted = False
        for col, ch in enumerate(line):
            if ch == '"':
                quoted = not quoted
            elif ch == "#" and not quoted:
                found.append((number, not line[:col].strip(), line[col:].rstrip()))
                break
    return found


def _last_line(d: Definition) -> int:
    bodies = [d.body] if d.body is not None else [m.body for m in d.methods if m.body is not None]
    lines = [n.span.end_line for body in bodies for n in walk(body) if n.span is not None]
    return max(lines, default=d.span.line if d.span else 0)


def _starts(body: Expr | None) -> list[tuple[int, bool]]:
    """Where the lines of ``body`` as printed start, and whether each is a binding: each binding of its leading
    ``let`` chain, then the body expression (as far as their spans go)."""
    starts = []
    while body is not None and body.span is not None:
        starts.append((body.span.line, isinstance(body, Let)))
        body = body.body if isinstance(body, Let) else None
    return starts


def _chain_position(body: Expr | None, line: int) -> int:
    """How many bindings of ``body``'s leading let chain start before ``line``."""
    return sum(binding and start < line for start, binding in _starts(body))


def _ended_line(body: Expr | None, line: int) -> int:
    """Which line of ``body``'s ``let`` chain as printed ``line`` ends: the last binding (k), or the body
    expression (the chain's length), starting on or before it; -1 where none does (the definition's header)."""
    return sum(start <= line for start, _ in _starts(body)) - 1


def _among_params(owner: Definition, line: int, whole: bool) -> int:
    """Where a comment on ``line`` inside the parameter list of ``owner`` (a definition or a learner's method) sits
    among its parameters: :attr:`Definition.param_comments`' k (a whole-line one: the parameter it is above, the
    count of parameters before the closing parenthesis; an end-of-line one: the parameter whose line it ends, -1
    that of the opening parenthesis)."""
    starts = [p.span.line if p.span else 0 for p in owner.params]
    return sum(start < line for start in starts) if whole else sum(start <= line for start in starts) - 1


_HEADER_TOKEN = re.compile(r"->|[(),:=]|[^\s(),:=#-]+|-")
"""One token of a definition's header: ``->``, a punctuation mark, or a word (a keyword, name or type)."""
BEFORE_PARAMS, AMONG_PARAMS = -2, -3
""":func:`_header_place`'s places of a comment before a header's opening parenthesis (after its kind or name), and
of one inside its parameter list (:func:`_among_params` places it there)."""


def _header_place(owner: Definition, line: int, column: int, codes: list[str]) -> tuple[int, bool] | None:
    """Where a comment at ``line`` and ``column`` (0-based, its ``#``) sits in the header of ``owner`` (a definition
    or a learner's method; ``codes``: the source's lines): ``(k, inside)``, k the token it follows between the
    closing parenthesis and the ``=`` (:attr:`Definition.header_comments`' k: 0 the ``)``, 1 the ``->``, 2 the result
    type; ``inside``: within a tuple result type, whose end it then follows), :data:`BEFORE_PARAMS` or
    :data:`AMONG_PARAMS`; None where it is after the ``=`` or a learner's ``)`` (the body's rules place those)."""
    if owner.span is None:
        return None
    found: list[tuple[tuple[int, int], str]] = []  # ((line, column), token), to the header's `=`
    depth, close, done = 0, -1, False
    for number in range(owner.span.line, len(codes) + 1):
        code = _code_of(codes[number - 1])
        for m in _HEADER_TOKEN.finditer(code, owner.span.column - 1 if number == owner.span.line else 0):
            found.append(((number, m.start()), m.group()))
            depth += (m.group() == "(") - (m.group() == ")")
            if close < 0 and m.group() == ")" and depth == 0:
                close = len(found) - 1
            done = close >= 0 and (owner.result is None or m.group() == "=")
            if done:
                break
        if done:
            break
    at = (line, column)
    opening = next((place for place, token in found if token == "("), None)
    if opening is None or at < opening:
        return (BEFORE_PARAMS, False)
    if close < 0 or at < found[close][0]:
        return (AMONG_PARAMS, False)
    if owner.result is None:
        return None
    after = found[close + 1:]
    eq = next((i for i, (_, token) in enumerate(after) if token == "="), len(after))
    if not after or at < after[0][0]:
        return (0, False)
    if eq < 2 or at < after[1][0]:
        return (1, False)
    if eq == len(after) or at < after[eq][0]:
        return (2, at < after[eq - 1][0])
    return None


_TOKEN = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[A-Za-z_][A-Za-z0-9_]*|[-+*/,=]|[()]")
"""One token of a body (the grammar's NUMBER and NAME, operators, parentheses): what places a comment within it."""
_INFIX = frozenset({"add", "sub", "mul", "div"})  # the operators the printer writes between their operands


def line_tokens(expr: Expr) -> int:
    """How many tokens ``expr`` prints as, parentheses not counted (the only ones the printer adds or drops):
    ``x * (y + 1.0)`` 5, ``f(a, b)`` 4, ``let a = x in a`` 6."""
    count = 0
    for node in walk(expr):
        if isinstance(node, Call):
            infix = (node.op in _INFIX and len(node.args) == 2) or (node.op == "neg" and len(node.args) == 1)
            count += 1 if infix else max(len(node.args), 1)  # its name, and a comma between arguments
        elif isinstance(node, Tup):
            count += len(node.items) - 1
        else:
            count += 4 if isinstance(node, Let) else 1  # `let NAME = ... in`
    return count


def cut_after(text: str, n: int) -> int:
    """Where printed ``text`` breaks for a comment after its ``n``-th token (parentheses not counted, ``n`` >= 1):
    past that token, the opening parenthesis of a call it names, and any closing ones after it; ``len(text)`` where
    it has no ``n``-th token."""
    tokens = [(m.group(), m.end()) for m in _TOKEN.finditer(text)]
    counted = [i for i, (t, _) in enumerate(tokens) if t not in "()"]
    if n > len(counted) or n < 1:
        return len(text)
    i = counted[n - 1]
    end = tokens[i][1]
    named = (tokens[i][0][0].isalpha() or tokens[i][0][0] == "_") and tokens[i][0] not in ("let", "in")
    if named and i + 1 < len(tokens) and tokens[i + 1][0] == "(":  # a call's name: its `(` goes with it
        i += 1
        end = tokens[i][1]
    while i + 1 < len(tokens) and tokens[i + 1][0] == ")":
        i += 1
        end = tokens[i][1]
    return end


def _source_tokens(codes: list[str]) -> list[tuple[int, int, int]]:
    """(line, column, weight) of each token of the source's lines (``codes``), comments and quoted strings left
    out; 1-based line, 0-based column; the weight is how many tokens it prints as: a parenthesis none, an operator
    spelled as a call of two arguments (``add(a, b)``, printed ``a + b``) none for its name and its comma one for
    the operator, any other token one."""
    found = [(number, m.start(), m.group()) for number, line in enumerate(codes, 1)
             for m in _TOKEN.finditer(_code_of(line))]
    weights = [int(t not in "()") for _, _, t in found]
    for i, (_, _, t) in enumerate(found):
        if t in _INFIX and i + 1 < len(found) and found[i + 1][2] == "(":
            depth, commas = 0, 0
            for _, _, u in found[i + 1:]:
                depth += (u == "(") - (u == ")")
                commas += u == "," and depth == 1
                if depth == 0:
                    break
            weights[i] = 0 if commas == 1 else 1
    return [(line, column, weight) for (line, column, _), weight in zip(found, weights, strict=True)]


def _code_of(line: str) -> str:
    """``line`` with its comment and quoted strings blanked (their columns kept)."""
    out, quoted = [], False
    for ch in line:
        if ch == '"':
            quoted = not quoted
            out.append(" ")
        elif ch == "#" and not quoted:
            break
        else:
            out.append(" " if quoted else ch)
    return "".join(out)


_UNALIGNED = ("this body's written tokens do not match its printed ones, so fmt prints its lines whole: the comment "
              "goes above its line or to its end")  # (a safeguard: _source_tokens weighs every known difference)
_SHARED_END = "a later comment ends the same line as printed: this one goes above that line"
_SHARED_PLACE = "another comment comes first at the same place: this one goes on a line of its own"
_SHARED_HEADER = "a later comment ends the same header as printed: this one goes above {}, in {}"
_HEADER_LINES = ("the header", "the header's first line", "the header's last line")  # one line; its parameters
# one a line (the comment lands above the definition's kind and name); broken after its `)`, `->` or result type
_BEFORE_PARAMS = "it sits before the header's opening parenthesis: it goes above {}"
_IN_RESULT = "it sits inside the result type: it goes after the result type of {}"
_IN_PARAM = "it sits inside the parameter '{}': it goes above that parameter, in {}"


def _in_param(owner: Definition, line: int, codes: list[str]) -> int | None:
    """The index of the parameter of ``owner`` whose text a whole-line comment on ``line`` interrupts (after its
    name, before its type ends: ``x`` then the comment then ``: T``, or ``x:`` then it then ``T``), else None."""
    named = [i for i, p in enumerate(owner.params) if p.span is not None and p.span.end_line < line]
    if not named or (span := owner.params[named[-1]].span) is None:
        return None
    between = [_code_of(codes[span.end_line - 1])[span.end_column:],
               *(_code_of(codes[n - 1]) for n in range(span.end_line + 1, line))]
    return named[-1] if "".join(between).strip() in ("", ":") else None


def _owner_name(d: Definition, j: int) -> str:
    """How a warning names the definition ``d`` (``j`` -1) or its ``j``-th method: "the definition 'f'", "the
    method 'learn' of 'lin'"."""
    return f"the definition '{d.name}'" if j < 0 else f"the method '{d.methods[j].kind}' of '{d.name}'"


class _BodyPlaces:
    """Where comments sit in one body (a definition's or a method's), by the tokens before them (parentheses not
    counted): the ``let`` chain's lines as printed, each ``sizes[k]`` tokens, starting after token ``first`` of the
    source's ``tokens``; ``aligned``: the source's body weighs as many tokens as it prints as (:func:`_source_tokens`;
    where not, its comments are placed by lines, with a warning)."""

    def __init__(self, body: Expr, tokens: list[tuple[int, int, int]], codes: list[str]) -> None:
        import bisect

        self.sizes: list[int] = []
        node: Expr = body
        while isinstance(node, Let):
            self.sizes.append(4 + line_tokens(node.value))
            node = node.body
        self.sizes.append(line_tokens(node))
        spans = [n.span for n in walk(body) if n.span is not None]
        self.keys = [(line, col) for line, col, _ in tokens]
        if not spans:
            self.first, self.aligned = 0, False
            return
        start = min((sp.line, sp.column - 1) for sp in spans)
        end = max((sp.end_line, sp.end_column) for sp in spans)
        e = bisect.bisect_left(self.keys, start)
        eq = next((i for i in range(e - 1, -1, -1) if codes[tokens[i][0] - 1][tokens[i][1]] == "="), -1)
        self.first = eq + 1
        written = sum(weight for _, _, weight in tokens[self.first:bisect.bisect_left(self.keys, end)])
        self.aligned = written == sum(self.sizes)
        self.tokens = tokens

    def place(self, line: int, column: int) -> tuple[int, int]:
        """``(k, n)``: a comment at ``line`` and ``column`` (0-based) follows the ``n``-th token of the chain's line
        ``k``, 0 < n <= sizes[k]; (-1, 0) before the body's first token."""
        import bisect

        i = bisect.bisect_left(self.keys, (line, column))
        m = sum(weight for _, _, weight in self.tokens[self.first:i]) if i > self.first else 0
        if m == 0:
            return -1, 0
        for k, size in enumerate(self.sizes):
            if m <= size:
                return k, m
            m -= size
        return len(self.sizes) - 1, self.sizes[-1]  # past the body's last token: it ends the last line


def _attach_comments(program: Program, source: str) -> Program:
    """Keep comments for the formatter.  A whole-line comment above ``algorithm`` is the header, one between it and
    the ``task`` line stays there; one inside a body stays at its place in the body's ``let`` chain; one above a
    learner's method, above it; any other goes with the definition after it (the footer if none).  An end-of-line
    comment ends the line it ends as printed: the ``algorithm`` or ``task`` line, a definition's header (a
    learner's too, over several lines), or a line of its ``let`` chain (:func:`_ended_line`; a line that closes a
    body, ``  ) # end``, past its nodes' spans, is its last)."""
    top = program.span.line if program.span else 1
    defs = list(program.definitions)
    ranges = [(d.span.line if d.span else 0, _last_line(d)) for d in defs]
    leading: list[list[str]] = [[] for _ in defs]
    inner: dict[tuple[int, int], list[tuple[int, str]]] = {}  # (definition, method or -1) -> comments
    ends: dict[tuple[int, int], list[tuple[int, str]]] = {}  # the same, of end-of-line comments
    above: dict[tuple[int, int], list[str]] = {}  # (definition, method) -> the comments above the method
    header: list[str] = []
    footer: list[str] = []
    heads = {top: 0, **({program.task_span.line: 1} if program.task_span and program.task is not None else {})}
    trailing: list[tuple[int, str]] = []  # of the `algorithm` (0) and `task` (1) lines
    task_line = program.task_span.line if program.task_span and program.task is not None else top
    above_task: list[str] = []
    among: dict[tuple[int, int], list[tuple[int, bool, str]]] = {}  # the same, of comments among the parameters
    past: dict[tuple[int, int], list[tuple[int, bool, str]]] = {}  # the same, after them (before the `=`)
    codes = source_lines(source)
    tokens: list[tuple[int, int, int]] = []  # the source's (:func:`_source_tokens`), made for a body's first comment
    places: dict[tuple[int, int], _BodyPlaces] = {}  # (definition, method or -1) -> its body's token places
    inline: dict[tuple[int, int], list[tuple[int, int, bool, str, int, int]]] = {}  # the same, comments in a line
    where: dict[tuple[int, int], list[tuple[int, int]]] = {}  # the line and column of each of ``ends``
    moved: dict[tuple[int, int], list[tuple[int, int, str]]] = {}  # the same, comments `fmt` cannot keep in place
    for line, whole, text in _comments(source):
        if line < top:
            header.append(text)
            continue
        if whole and line < task_line:  # between the `algorithm` and `task` lines: it stays there
            above_task.append(text)
            continue
        if not whole and line in heads and not any(start <= line for start, _ in ranges):
            trailing.append((heads[line], text))
            continue
        inside = [i for i, (start, end) in enumerate(ranges) if start <= line <= end]
        if inside:
            i = inside[0]
            d = defs[i]
            methods = [j for j, m in enumerate(d.methods) if m.span is not None and m.span.line <= line]
            j = methods[-1] if methods else -1  # the learner's own header before its first method
            owner = d.methods[j] if j >= 0 else d
            column = len(_code_of(codes[line - 1]))  # where its `#` is
            spot = _header_place(owner, line, column, codes)
            if spot is not None and spot[0] == BEFORE_PARAMS:  # after the kind or name: above its owner
                (above.setdefault((i, j), []) if j >= 0 else leading[i]).append(text)
                moved.setdefault((i, j), []).append((line, column + 1, _BEFORE_PARAMS.format(_owner_name(d, j))))
                continue
            if spot is not None and spot[0] == AMONG_PARAMS:
                k = _among_params(owner, line, whole)
                if whole and (cut := _in_param(owner, line, codes)) is not None:  # the printer keeps `x: T` whole
                    k = cut
                    moved.setdefault((i, j), []).append((line, column + 1, _IN_PARAM.format(
                        owner.params[cut].name, _owner_name(d, j))))
                if not whole and any(w and at > k for at, w, _ in among.get((i, j), ())):  # after a whole-line
                    k, whole = k + 1, True  # one below its parameter (`p: T\n# a\n,  # b`): on a line of its own
                    moved.setdefault((i, j), []).append((line, column + 1, _SHARED_PLACE))
                among.setdefault((i, j), []).append((k, whole, text))
                continue
            if spot is not None:  # after the `)`, the `->` or the result type
                if not whole and any(k == spot[0] for k, _, _ in past.get((i, j), ())):  # not first there
                    moved.setdefault((i, j), []).append((line, column + 1, _SHARED_PLACE))
                past.setdefault((i, j), []).append((spot[0], whole, text))
                if spot[1]:
                    moved.setdefault((i, j), []).append((line, column + 1, _IN_RESULT.format(_owner_name(d, j))))
                continue
            if d.methods and not methods and not whole:  # ending a line of the learner's header
                ends.setdefault((i, -1), []).append((-1, text))
                where.setdefault((i, -1), []).append((line, len(_code_of(codes[line - 1])) + 1))
                continue
            j = (methods[-1] if methods else 0) if d.methods else -1  # above the first method: with it
            if whole and 0 <= j < len(d.methods) - 1 and line > _last_line(d.methods[j]):
                j += 1  # between two methods: it belongs to the next one (one ending a line, `  )  # c`, to this)
            span = d.methods[j].span if j >= 0 else None
            if whole and span is not None and line < span.line:  # above a method: printed above it
                above.setdefault((i, j), []).append(text)
                continue
            body = d.methods[j].body if j >= 0 else d.body
            if body is not None and (i, j) not in places:
                tokens = tokens or _source_tokens(codes)
                places[(i, j)] = _BodyPlaces(body, tokens, codes)
            k, n = places[(i, j)].place(line, column) if body is not None else (-1, 0)
            size = places[(i, j)].sizes[k] if k >= 0 else 0
            if body is not None and not places[(i, j)].aligned:  # its lines' tokens are not the printed ones
                if 0 < n < size:
                    moved.setdefault((i, j), []).append((line, column + 1, _UNALIGNED))
                k, n, size = (_chain_position(body, line), 0, 0) if whole else (_ended_line(body, line), 0, 0)
            elif 0 < n < size:  # inside a line of the chain as printed: that line breaks there
                inline.setdefault((i, j), []).append((k, n, whole, text, line, column + 1))
                continue
            last = body is not None and k == len(places[(i, j)].sizes) - 1 and 0 < n == size
            if whole and last and j == len(d.methods) - 1:  # after the body's last token: the next definition's,
                (leading[i + 1] if i + 1 < len(defs) else footer).append(text)  # as it reads back when printed
            elif whole and last:  # after a method's: above the next method
                above.setdefault((i, j + 1), []).append(text)
            elif whole:  # before line k, or after it where it follows all of its tokens
                inner.setdefault((i, j), []).append((max(k, 0) + (0 < n == size), text))
            else:  # ending line k (-1: the header)
                ends.setdefault((i, j), []).append((k, text))
                where.setdefault((i, j), []).append((line, column + 1))
            continue
        after = [i for i, (start, _) in enumerate(ranges) if start > line]
        code = _code_of(codes[line - 1])
        if not whole and after and code.strip(") \t"):  # a definition's kind alone on its line: above it
            leading[after[0]].append(text)
            moved.setdefault((after[0], -1), []).append((line, len(code) + 1, _BEFORE_PARAMS.format(
                _owner_name(defs[after[0]], -1))))
            continue
        before = [i for i, (_, end) in enumerate(ranges) if end < line]
        if not whole and before:  # ending a line that closes the definition before it (`  ) # end`): its last line
            i = before[-1]
            j = len(defs[i].methods) - 1
            body = defs[i].methods[j].body if j >= 0 else defs[i].body
            ends.setdefault((i, j), []).append((_ended_line(body, line), text))
            where.setdefault((i, j), []).append((line, len(_code_of(codes[line - 1])) + 1))
            continue
        (leading[after[0]] if after else footer).append(text)
    for key, found in ends.items():  # several ending one printed line: all but the last go above it
        for index, ((k, _), (line, column)) in enumerate(zip(found, where[key], strict=True)):
            if any(at == k for at, _ in found[index + 1:]):
                shape = 2 if past.get(key) else 1 if among.get(key) else 0  # how the header prints (printer)
                moved.setdefault(key, []).append((line, column, _SHARED_END if k >= 0 else _SHARED_HEADER.format(
                    _HEADER_LINES[shape], _owner_name(defs[key[0]], key[1]))))
    for key, found_inline in inline.items():  # at one place, an end-of-line comment after another comment
        for index, (k, n, whole, _, line, column) in enumerate(found_inline):
            if not whole and any((a, b) == (k, n) for a, b, *_ in found_inline[:index]):
                moved.setdefault(key, []).append((line, column, _SHARED_PLACE))

    def kept_in(key: tuple[int, int]) -> dict[str, Any]:
        return {"body_comments": tuple(inner.get(key, ())), "trailing": tuple(ends.get(key, ())),
                "param_comments": tuple(among.get(key, ())), "header_comments": tuple(past.get(key, ())),
                "inline_comments": tuple((k, n, whole, text) for k, n, whole, text, _, _ in inline.get(key, ())),
                "moved_comments": tuple(sorted({(line, column): (line, column, why)  # one reason each: the first
                                                for line, column, why in reversed(moved.get(key, []))}.values()))}

    for i, d in enumerate(defs):
        kept = tuple(replace(m, comments=tuple(above.get((i, j), ())), **kept_in((i, j)))
                     for j, m in enumerate(d.methods))
        defs[i] = replace(d, comments=tuple(leading[i]), methods=kept, **kept_in((i, -1)))
    return replace(program, definitions=tuple(defs), comments=tuple(header), footer=tuple(footer),
                   trailing=tuple(trailing), task_comments=tuple(above_task))


def parse_expr(source: str, file: str | None = None) -> Expr:
    """Parse one expression, e.g. ``x * sigmoid(x)``."""
    expr = _run("expr", source, file)
    assert not isinstance(expr, Program)
    return expr  # type: ignore[no-any-return]


def _run(start: str, source: str, file: str | None) -> Any:
    parser = _parser()
    source = normalize_newlines(source)
    transformer = parser.options.transformer
    if isinstance(transformer, _Build):
        transformer.type_spans.clear()
        transformer.task_span = None
    # The error is raised after the handler, not in it: raised there, Lark's exception would be its
    # __context__ (``from None`` only hides it), and with it the interactive parser and this module's
    # transformer.  tblib, which Dask's distributed installs for every exception class as it is imported and
    # for a task's error with its causes, pickles the context: a worker's error could not cross
    # ("Can't pickle <function _Build.start>: it's not the same object"), nor an error in a process that
    # imported distributed.
    try:
        return parser.parse(source, start=start)
    except UnexpectedInput as err:
        error = _syntax_error(err, parser, source)
    except MlevError as err:  # raised by a reduction callback, with its span
        error = err
    except (ValueError, VisitError) as err:  # an IR invariant broken by the text
        error = MlevError(str(getattr(err, "orig_exc", err)))
    error.__context__ = None  # a callback's own error keeps none of the parse either
    raise error.located(file or "<input>").with_source(source)
