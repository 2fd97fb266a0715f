"""Canonical pretty-printer: IR to ``.mlev`` text.

Laws (property-tested): ``parse(format(p)) == p`` and ``format(parse(format(p))) == format(p)``.
Parentheses appear exactly where the tree needs them: the operators are left-associative, so a
right operand of the same precedence is always parenthesised.  Printing is iterative (post-order
over an explicit stack), so depth is no limit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal

from mlevolve.dsl.ir import Call, Definition, Expr, Let, Num, Program, Ref, Tup
from mlevolve.dsl.parse import KEYWORDS, cut_after
from mlevolve.dsl.traverse import NodeMemo, fold, param_texts
from mlevolve.dsl.types import type_str

# Precedence levels, loosest first.  Binary operators: (symbol, level); the parser's rules agree.
LET, SUM, PRODUCT, UNARY, ATOM = range(5)
INFIX = {"add": ("+", SUM), "sub": ("-", SUM), "mul": ("*", PRODUCT), "div": ("/", PRODUCT)}
INDENT = "  "


def format_number(node: Num) -> str:
    if node.is_int:
        return str(int(node.value))
    # Shortest round-trip digits, exponent without padding: 1e-07 -> 1e-7, 1e+16 -> 1e16.
    text = repr(float(node.value))
    if "e" not in text:  # most literals: nothing for the substitution to change
        return text
    return re.sub(r"e([+-])0*(\d)", lambda m: "e" + m[1].replace("+", "") + m[2], text)


def shown_number(node: Num) -> str:
    """A literal as a program shown to people writes it (:func:`format_shown_expr`): :func:`format_number`, but a
    float of 10^6 or more written in scientific notation where that is shorter (``8.922e10``, not ``89220000000.0``;
    ``1234567.0`` stays), as the canonical text does from 10^16 up and below 10^-4 already.  The shortest digits
    that read back as the same float, so that the shown text parses to the same literal."""
    text = format_number(node)
    value = float(node.value)
    if node.is_int or "e" in text or not math.isfinite(value) or abs(value) < 1e6:
        return text
    _, digits, exponent = Decimal(repr(value)).normalize().as_tuple()  # (a literal is never negative)
    assert isinstance(exponent, int)  # a finite value's
    mantissa = "".join(map(str, digits))
    scientific = f"{mantissa[0]}{'.' if mantissa[1:] else ''}{mantissa[1:]}e{exponent + len(mantissa) - 1}"
    return scientific if len(scientific) < len(text) else text


SIMPLE_DENOMINATORS = range(2, 13)
"""The denominators q of the simple fractions p/q a literal may stand for: a fitted ``0.33333333333333326`` is
snapped by a prune to the float of 1/3 (``mlevolve.gp.prune``), which SymPy then reads as 1/3
(:func:`simple_fraction`)."""


def simple_fraction(value: float) -> tuple[int, int] | None:
    """``(p, q)`` where ``value`` is the float nearest to the fraction p/q of the least denominator q of
    :data:`SIMPLE_DENOMINATORS` and its shortest decimal needs more than 6 significant digits (``0.3333333333333333``:
    ``(1, 3)``; ``0.25`` reads exactly as a decimal already: None); else None."""
    digits = len(repr(abs(value)).split("e")[0].replace(".", "").strip("0"))
    if digits <= 6 or not abs(value) < 1e6:
        return None
    return next(((p, q) for q in SIMPLE_DENOMINATORS if (p := round(value * q)) / q == value), None)


def _wrap(text: str, level: int, need: int) -> str:
    return text if level >= need else f"({text})"


Formatted = tuple[str, int]  # a node's text and its precedence level


def format_expr(expr: Expr, memo: NodeMemo[Formatted] | None = None) -> str:
    """One expression on one line, canonically parenthesised.  ``memo``: per-node results kept
    across calls (a node's text depends on that node alone; ``gp.memo`` keeps one)."""
    return fold(expr, _format_node, memo)[0]


def format_shown_expr(expr: Expr) -> str:
    """:func:`format_expr` as a program shown to people writes it (``results.shown_program``): its large literals
    in scientific notation where that is shorter (:func:`shown_number`).  Display only: the canonical text (archive,
    hashes, cache keys) is :func:`format_expr`'s."""
    return fold(expr, lambda node, parts: _format_node(node, parts, shown_number))[0]


def _format_node(node: Expr, parts: list[tuple[str, int]],
                 number: Callable[[Num], str] = format_number) -> tuple[str, int]:
    if isinstance(node, Call):  # most nodes
        op = node.op
        if op in INFIX and len(parts) == 2:
            symbol, level = INFIX[op]
            (left, llevel), (right, rlevel) = parts
            return f"{_wrap(left, llevel, level)} {symbol} {_wrap(right, rlevel, level + 1)}", level
        if op == "neg" and len(parts) == 1:
            text, level = parts[0]
            return f"-{_wrap(text, level, UNARY)}", UNARY
        return f"{op}(" + ", ".join(t for t, _ in parts) + ")", ATOM
    if isinstance(node, Num):
        return number(node), ATOM
    if isinstance(node, Ref):
        return node.name, ATOM
    if isinstance(node, Tup):
        return "(" + ", ".join(t for t, _ in parts) + ")", ATOM
    if isinstance(node, Let):
        (value, vlevel), (body, _) = parts
        return f"let {node.name} = {_wrap(value, vlevel, SUM)} in {body}", LET
    raise TypeError(f"not an expression node: {node!r}")


def _ended(trailing: tuple[tuple[int, str], ...], k: int, line: str) -> str:
    """``line`` with the end-of-line comment ``trailing`` places at ``k`` (a definition's: -1 its header, k the k-th
    line of its body; a program's: 0 its ``algorithm`` line, 1 its ``task`` line) at its end.  Where lines joined
    into one had several, all but the last are whole-line comments above it (they read as one comment run on)."""
    if not trailing:  # an evolved program's: on the hot path of every candidate's canonical text
        return line
    texts = [text for at, text in trailing if at == k]
    indent = line[:len(line) - len(line.lstrip())]
    return "\n".join([*(indent + text for text in texts[:-1]), "  ".join([line, *texts[-1:]])])


def _broken(d: Definition, k: int, indent: str, text: str) -> list[str]:
    """Line ``k`` of ``d``'s ``let`` chain (``text``, at ``indent``) with the comments inside it
    (:attr:`Definition.inline_comments`): broken after the token each follows (:func:`~mlevolve.dsl.parse.cut_after`),
    the first at a place ending its piece, any others there on lines of their own, the pieces after the first one
    level further in, but a binding's closing ``in`` alone back at ``indent`` (as a closing bracket); its
    end-of-line comments end its last piece."""
    marks = [(n, whole, comment) for at, n, whole, comment in d.inline_comments if at == k] \
        if d.inline_comments else []
    if not marks:
        return [_ended(d.trailing, k, indent + text)]
    inner = indent + INDENT
    lines: list[str] = []
    start, piece = 0, indent
    for cut in sorted({cut_after(text, n) for n, _, _ in marks}):
        here = [(whole, comment) for n, whole, comment in marks if cut_after(text, n) == cut]
        piece += text[start:cut].strip()
        if not here[0][0]:  # an end-of-line comment ends the piece
            piece, here = f"{piece}  {here[0][1]}", here[1:]
        lines += [piece, *(inner + comment for _, comment in here)]
        start, piece = cut, inner
    rest = text[start:].strip()
    if rest:
        ended = _ended(d.trailing, k, piece + rest).split("\n")  # (any it moves above it: at the pieces' indent)
        lines += [*ended[:-1], indent + ended[-1].lstrip() if rest == "in" else ended[-1]]
    else:  # a comment past the line's last token (an evolved body's): the line's own end-of-line comments follow
        lines += [inner + comment for at, comment in d.trailing if at == k]
    return lines


def _body_lines(d: Definition, indent: str, fmt: Callable[[Expr], str] = format_expr) -> list[str]:
    """A body, its leading ``let`` chain one binding per line, with its comments in place (a whole-line one
    before its line, an end-of-line one at its end, one inside a line where that line breaks: :func:`_broken`);
    ``fmt`` prints one expression (:func:`format_expr`, or a memoised one)."""
    assert d.body is not None
    lines: list[str] = []
    body, k = d.body, 0
    while True:
        lines += [indent + text for at, text in d.body_comments if at == k]
        if not isinstance(body, Let):
            break
        value = fmt(body.value)
        value = f"({value})" if isinstance(body.value, Let) else value
        line = f"let {body.name} = {value} in"
        lines += _broken(d, k, indent, line)
        body, k = body.body, k + 1
    lines += _broken(d, k, indent, fmt(body))
    lines += [indent + text for at, text in d.body_comments if at > k]
    return lines


def params_text(d: Definition, indent: str) -> str:
    """The text between a header's parentheses: its parameters on one line, or, where comments sit among them
    (:attr:`Definition.param_comments`), one parameter a line, ``indent`` (the header's) and two more levels in, each
    comment where it was written (a whole-line one above its parameter, an end-of-line one ending its line), and
    the closing parenthesis on a line of its own."""
    if not d.param_comments:
        return param_texts(d.params)[1]
    inner = indent + INDENT * 2
    texts = [f"{'state ' if p.state else ''}{p.name}: {type_str(p.type)}" for p in d.params]
    ends = tuple((k, text) for k, whole, text in d.param_comments if not whole)
    opening = [text for k, text in ends if k == -1]  # ending the opening parenthesis's line: the last there, any
    lines = [f"  {opening[-1]}" if opening else "", *(inner + c for c in opening[:-1])]  # others above the first
    for k, text in enumerate([*texts, None]):
        lines += [inner + c for at, whole, c in d.param_comments if whole and at == k]
        if text is not None:
            lines.append(_ended(ends, k, f"{inner}{text}{',' if k < len(texts) - 1 else ''}"))
    return "\n".join(lines) + "\n" + indent


def header_lines(d: Definition, indent: str, head: str) -> list[str]:
    """The header of ``d`` (a definition with a result, or a learner's method; ``head``: its kind and name, or the
    method's kind) at ``indent``: one line, or, where comments follow its ``)``, ``->`` or result type
    (:attr:`Definition.header_comments`), broken after each such token, the rest two levels further in (as
    parameters one a line), the first comment there ending its piece where it is an end-of-line one and any others
    on lines of their own, in source order; its end-of-line comments end the last line."""
    assert d.result is not None
    pieces = [f"{head}({params_text(d, indent)})", "->", type_str(d.result), "="]
    if not d.header_comments:
        return [_ended(d.trailing, -1, indent + " ".join(pieces))]
    inner = indent + INDENT * 2
    lines: list[str] = []
    line = indent + pieces[0]
    for k, piece in enumerate(pieces[1:]):
        here = [(whole, text) for at, whole, text in d.header_comments if at == k]
        if not here:
            line += " " + piece
            continue
        first = here[0][1] if not here[0][0] else None  # an end-of-line comment first there ends the line
        rest = here[first is not None:]
        lines += [line if first is None else f"{line}  {first}", *(inner + text for _, text in rest)]
        line = inner + piece
    return [*lines, _ended(d.trailing, -1, line)]


def method_lines(m: Definition, fmt: Callable[[Expr], str] = format_expr) -> list[str]:
    """One learner method's lines: the comments above it, its signature and body (indented within its learner)."""
    assert m.body is not None and m.result is not None
    return [*(INDENT + text for text in m.comments),
            *header_lines(m, INDENT, m.kind),
            *_body_lines(m, INDENT * 2, fmt)]


def format_definition(d: Definition, fmt: Callable[[Expr], str] = format_expr,
                      method: Callable[[Definition], list[str]] | None = None) -> str:
    """One definition's text; ``fmt`` prints one expression and ``method`` a learner method's lines
    (:func:`method_lines`, or memoised ones: ``gp.memo.program_text``)."""
    lines = list(d.comments)
    head = f"{d.kind} {d.name}({params_text(d, '')})"
    if d.methods:
        lines.append(_ended(d.trailing, -1, head))
        for m in d.methods:
            lines.extend(method(m) if method is not None else method_lines(m, fmt))
    else:
        assert d.body is not None and d.result is not None
        lines += header_lines(d, "", f"{d.kind} {d.name}")
        lines.extend(_body_lines(d, INDENT, fmt))
    return "\n".join(lines)


def format_program(program: Program, fmt: Callable[[Expr], str] = format_expr,
                   definition: Callable[[Definition], str] | None = None) -> str:
    """The whole program in canonical layout, comments kept, ending with one newline.  ``fmt``
    prints one expression: :func:`format_expr` (default) or a memoised one (``gp.memo.program_text``);
    ``definition``, one definition (:func:`format_definition` with ``fmt``, or a memoised one)."""
    head = [*program.comments, _ended(program.trailing, 0, f"algorithm {program.name}")]
    if program.task is not None:
        task = program.task
        head += program.task_comments
        bare = task.isidentifier() and task.isascii() and task not in KEYWORDS  # a name the parser reads: 'é' is not
        head.append(_ended(program.trailing, 1, f"task {task}" if bare else f'task "{task}"'))
    blocks = ["\n".join(head),
              *(definition(d) if definition is not None else format_definition(d, fmt) for d in program.definitions)]
    if program.footer:
        blocks.append("\n".join(program.footer))
    return "\n\n".join(blocks) + "\n"


def moved_comments(program: Program) -> list[tuple[int, int, str]]:
    """The comments :func:`format_program` cannot print where they were written, in source order: (line, column,
    why), 1-based (:attr:`Definition.moved_comments` of every definition and learner method)."""
    return sorted(moved for d in program.definitions for owner in (d, *d.methods) for moved in owner.moved_comments)
