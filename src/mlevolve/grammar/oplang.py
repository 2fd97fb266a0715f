"""The language of evolved mutation operators: small programs over type-safe edit steps.

An operator is written in ``.mlev`` expression syntax, so the IR parser reads it and the IR holds it:

    seq(regrow(deep, 2), tweak())        choice(wrap(Scalar), macro(any))        repeat(2, point(leaf))

* combinators: ``seq(a, b, ...)`` applies each in turn, ``repeat(n, a)`` applies ``a`` n times (1..4),
  ``choice(a, b, ...)`` applies one at random;
* actions: ``regrow(SEL, depth)``, ``point``, ``wrap``, ``unwrap``, ``hoist``, ``shrink``, ``swap``,
  ``graft`` (a subtree of an elite), ``macro`` (inline a learned rule around the node), ``fold`` (at an
  instance of a learned rule, keep it and grow its arguments anew), each ``(SEL)``; ``tweak()``;
* selectors ``SEL``: ``any``, ``leaf``, ``internal``, ``deep``, ``shallow``, ``root``, or a type name.

This module only checks and describes programs; ``gp/portfolio.py`` runs them.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Call, Expr, Num, Ref
from mlevolve.dsl.parse import parse_expr
from mlevolve.dsl.traverse import fold

COMBINATORS = ("seq", "repeat", "choice")
ACTIONS = ("regrow", "point", "wrap", "unwrap", "hoist", "shrink", "swap", "graft", "macro", "fold", "tweak")
SELECTORS = ("any", "leaf", "internal", "deep", "shallow", "root")
MAX_REPEAT = 4
MAX_DEPTH = 3  # a regrow's depth: 1..MAX_DEPTH
MAX_STEPS = 8  # edit steps in one operator


class OperatorError(MlevError):
    """An operator program that is not in the language above."""


def parse_operator(text: str, types: Sequence[str], name: str = "operator") -> Expr:
    """Parse and check an operator program; errors name the operator."""
    try:
        expr = parse_expr(text)
    except MlevError as err:
        raise OperatorError(f"operator {name}: {err.message}", hint="e.g. seq(regrow(deep, 2), tweak())") from None
    check_operator(expr, types, name)
    return expr


def check_operator(expr: Expr, types: Sequence[str], name: str = "operator") -> None:
    """Raise :class:`OperatorError` unless ``expr`` is an operator program over ``types``."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if not isinstance(node, Call) or node.op not in (*COMBINATORS, *ACTIONS):
            raise OperatorError(f"operator {name}: {_show(node)} is not a step",
                                hint=f"steps: {', '.join(COMBINATORS + ACTIONS)}")
        args = node.args
        if node.op in ("seq", "choice"):
            if not args:
                raise OperatorError(f"operator {name}: {node.op}() needs at least one step",
                                    hint=f"e.g. {node.op}(regrow(deep, 2), tweak())")
            stack.extend(args)
        elif node.op == "repeat":
            if len(args) != 2 or not (isinstance(args[0], Num) and args[0].is_int
                                      and 1 <= args[0].value <= MAX_REPEAT):
                raise OperatorError(f"operator {name}: write repeat(N, STEP) with N in 1..{MAX_REPEAT}",
                                    hint="e.g. repeat(2, point(leaf)); more edits: seq(repeat(4, ...), ...)")
            stack.append(args[1])
        elif node.op == "tweak":
            if args:
                raise OperatorError(f"operator {name}: tweak() takes no arguments", hint="write tweak()")
        else:
            want = 2 if node.op == "regrow" else 1
            if len(args) != want or not (isinstance(args[0], Ref) and args[0].name in (*SELECTORS, *types)):
                raise OperatorError(f"operator {name}: write {node.op}(SELECTOR{', DEPTH' if want == 2 else ''})",
                                    hint=f"selectors: {', '.join(SELECTORS)} or a type ({', '.join(types)})")
            if want == 2 and not (isinstance(args[1], Num) and args[1].is_int and 1 <= args[1].value <= MAX_DEPTH):
                raise OperatorError(f"operator {name}: a regrow depth is an integer in 1..{MAX_DEPTH}",
                                    hint=f"e.g. regrow(deep, 2): a subtree regrown {MAX_DEPTH} levels deep at most")
    if (steps := count_steps(expr)) > MAX_STEPS:
        raise OperatorError(f"operator {name} makes up to {steps:,} edits, more than {MAX_STEPS:,}",
                            hint="use fewer steps or a smaller repeat")


def count_steps(expr: Expr) -> int:
    """The most edit steps one application can make (``choice`` counts its longest branch)."""
    def combine(node: Expr, parts: list[int]) -> int:
        if not isinstance(node, Call):
            return 0
        if node.op == "seq":
            return sum(parts)
        if node.op == "choice":
            return max(parts)
        if node.op == "repeat":
            assert isinstance(node.args[0], Num)
            return int(node.args[0].value) * parts[1]
        return 1
    return fold(expr, combine)


def _show(node: Expr) -> str:
    from mlevolve.dsl.printer import format_expr

    text = format_expr(node)
    return repr(text if len(text) <= 30 else text[:27] + "...")
