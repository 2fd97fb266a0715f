"""The simplifier: rewrite rules over the IR, applied to a fixpoint.

``simplify_expr(e)`` and ``simplify_program(p)`` return an equivalent expression or program that is
never larger (every rule strictly shrinks the node it rewrites, but ``x + x -> 2.0 * x``, which keeps
its size and removes an ``add``) and that the checker accepts
wherever it accepted the input (every rule keeps the result type: see the laws below).  They serve
the engine's canonical cache key, bloat control (the size limit and parsimony read the simplified
size), the archive (which keeps both forms) and everything shown to a user.

The rules are data, in the style of tinygrad's ``symbolic.py``: ``RULES`` is a table of
(pattern, rewrite) pairs, each with the law that justifies it.  A pattern is a small tree of
:class:`Pat`; a rewrite takes the captured subtrees and returns the replacement, or None to decline.

Semantics and policy.  Values follow IEEE 754 double arithmetic as numpy computes it (the formula
and learner backend), and float32 as torch computes it.  A rule of :data:`RULES` must preserve every
value bit for bit, ``inf``, ``NaN`` and the sign of a zero included, for every input (a NaN's payload
aside): a zero's sign is a value (``1 / -0.0`` is ``-inf``), so ``x + 0.0 -> x`` is no rule (at
``x = -0.0`` it gives ``+0.0``) while ``x + -0.0 -> x`` is; laws that hold up to a zero's sign are kept
apart (:data:`SIGNED_ZERO`) for fitted formulas, which are scored again after folding.  Hence:

- ``x - x -> 0`` and ``x / x -> 1`` are *not* rules: they are false for ``x = inf`` or ``NaN``
  (and ``0/0``).  They happen only by constant folding, where ``x`` is a known finite constant.
- ``x * 0 -> 0`` is not a rule (``inf * 0`` is ``NaN``).
- Constant folding evaluates an op over constant arguments with numpy (float64) and replaces it
  by the literal only when the result is finite; an overflow or a ``NaN`` stays in the program, so
  the program still fails (or saturates) exactly where it did.  In torch components (float32) the
  literal so folded can differ from the run-time value in the last bits of a float32: the cache key's
  simplifier folds so (one key for ``log(0.9) * x`` and ``-0.10536051565782628 * x``), but what is shown
  (:func:`simplify_shown`, the archive's simplified text) folds a float32 body's constants in float32,
  and only where the generated code computes that literal bit for bit (:func:`float32_value`).
- A ``let`` whose name is unused is removed, unless its value draws random numbers (removing the
  draw would shift the random stream of everything after it).

Traversals are iterative: a 1,000-deep program simplifies without touching the recursion limit.
Only patterns (a few nodes deep) are matched recursively.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np

from mlevolve.dsl.ir import Call, Definition, Expr, Let, Num, Program, Ref, Tup, const, with_children
from mlevolve.dsl.traverse import NodeMemo, fold, walk

Bindings = Mapping[str, Expr]


@dataclass(frozen=True)
class Pat:
    """A pattern: ``op`` matches a Call of that op (with ``args`` as its argument patterns), ``value``
    a literal equal to it (``1`` and ``1.0`` alike), ``name`` alone any node (captured under that name; a name
    used twice must capture equal subtrees).  ``commute`` also tries the two arguments swapped."""

    op: str | None = None
    args: tuple[Pat, ...] = ()
    name: str | None = None
    value: float | None = None
    commute: bool = False


def V(name: str) -> Pat:
    """Any subtree, captured as ``name``."""
    return Pat(name=name)


def C(value: float) -> Pat:
    """A literal of this value (``-1`` matches ``neg(1)``, ``-0.0`` only ``neg(0)``: a ``Num`` is never -0.0)."""
    negative = value < 0 or (value == 0 and math.copysign(1.0, value) < 0)
    return Pat(op="neg", args=(Pat(value=-value),)) if negative else Pat(value=value)


def P(op: str, *args: Pat, commute: bool = False) -> Pat:
    """A call of ``op`` on arguments matching ``args``."""
    return Pat(op=op, args=args, commute=commute)


def match(pat: Pat, node: Expr, bound: dict[str, Expr] | None = None) -> dict[str, Expr] | None:
    """The captures if ``node`` matches ``pat``, else None (patterns are shallow: recursion is fine)."""
    bound = {} if bound is None else bound
    if pat.value is not None:
        ok = isinstance(node, Num) and node.value == pat.value
        return bound if ok else None
    if pat.op is None:
        assert pat.name is not None
        seen = bound.get(pat.name)
        if seen is not None:
            return bound if seen == node else None
        return {**bound, pat.name: node}
    if not (isinstance(node, Call) and node.op == pat.op and len(node.args) == len(pat.args)):
        return None
    orders = [node.args, node.args[::-1]] if pat.commute and len(node.args) == 2 else [node.args]
    for args in orders:
        got: dict[str, Expr] | None = bound
        for sub, arg in zip(pat.args, args, strict=True):
            got = match(sub, arg, got)
            if got is None:
                break
        if got is not None:
            return {**got, **({pat.name: node} if pat.name else {})}
    return None


@dataclass(frozen=True)
class Rule:
    """One rewrite: ``pattern`` to ``rewrite(captures)``; ``law`` is the identity that justifies it."""

    name: str
    pattern: Pat
    rewrite: Callable[[Bindings], Expr | None]
    law: str
    # True for a rewrite that keeps the node's size but removes an ``add`` call (``x + x -> 2.0 * x``), or
    # (fitted formulas only) makes a lone literal of a tree of ``*`` or ``+`` the root's first argument
    # (``x * c * y -> c * (x * y)``), where every rule puts the literals it makes and none moves one
    # away: every other rewrite shrinks, so (size, add calls, literals not so placed) falls at each step.
    keeps_size: bool = False
    # Captures of the root's own arguments (bare names in ``pattern.args``) that must each be a literal
    # (a ``Num`` or ``neg`` of one: :func:`constant_value`) for ``rewrite`` to give anything: it declines
    # (None) otherwise.  The dispatch reads them as a necessary condition (:func:`_fits`); a test holds
    # each rule's ``rewrite`` to declining where one is not a literal.
    literals: tuple[str, ...] = ()
    # A necessary condition on the root's arguments' heads (:func:`_head`, one per argument) for
    # ``rewrite`` to give anything, or None; the dispatch reads it too (:meth:`_Dispatch.shape`), and
    # the same test holds ``rewrite`` to declining where it is false.
    admits: Callable[[tuple[object, ...]], bool] | None = None
    # A necessary condition on the root's arguments' heads and, per argument, its own arguments' heads
    # (``below``: one tuple per argument, empty for an argument that is no call) for ``rewrite`` to give
    # anything, or None.  The dispatch reads it where it looks two levels down (:meth:`_Dispatch.narrow`,
    # one look-up per shape seen): a fold's declined attempts (``c * (x * y)`` asked of ``mul-pow2``,
    # ``mul-mul-lit`` and ``mul-collect-lit``, none of which can fold a literal there) were a third of
    # its rules' cost.  The test that holds ``literals`` and ``admits`` holds it too.
    admits_below: Callable[[tuple[object, ...], tuple[tuple[object, ...], ...]], bool] | None = None


_C = ("c",)  # (Rule.literals of the rules that fold a literal ``c``, the root's own argument, into another)


def _call(op: str, *args: Expr) -> Expr:
    return Call(op, args)


def _positive(b: Bindings, then: str) -> Expr | None:
    """Capture ``then`` where capture ``c`` is a literal that is a normal positive float32 too (the torch
    backend computes ``x - c`` in float32: a larger ``c`` would be inf there, and ``inf - inf`` NaN; a
    smaller one 0 or flushed to 0, and ``min(-0.0, -0.0 + 0.0)`` a tie of signed zeros); else None."""
    c = constant_value(b["c"])
    return b[then] if c is not None and _FLOAT32_TINY <= c <= _FLOAT32_MAX else None


_FLOAT32_TINY, _FLOAT32_MAX = float(np.finfo(np.float32).tiny), float(np.finfo(np.float32).max)


def _power_of_two(b: Bindings, factor: Callable[[float], float]) -> Expr | None:
    """``(c * f) * x`` for literals ``c`` and ``k`` (captures), ``f = factor(k)``, where that is exact
    for every ``x``: ``f`` a power of two of at least 1 (so ``f * x`` rounds nothing unless it
    overflows), ``|c| >= 1`` (so where ``f * x`` overflows, ``c * f * x`` does too), and ``c * f`` finite
    and found to be exact in float32 as well (the torch backend's); else None.  ``x`` a literal: folding's."""
    c = constant_value(b["c"])
    if c is None:  # (most products: asked before ``factor``, which may divide under NumPy's errstate)
        return None
    k, x = constant_value(b["k"]), b["x"]
    if k is None and factor(2.0) == 2.0:  # an inner product commutes: its literal may be either argument
        k, x = constant_value(b["x"]), b["k"]
    if c is None or k is None or constant_value(x) is not None:
        return None
    f = factor(k)
    mantissa, _ = math.frexp(f)
    if not (f >= 1.0 and mantissa == 0.5 and math.isfinite(f) and abs(c) >= 1.0):
        return None
    scaled = c * f
    if not math.isfinite(scaled) or not (abs(c) <= _FLOAT32_MAX and abs(scaled) <= _FLOAT32_MAX):
        return None  # (float32: c * f must not overflow there either)
    return _call("mul", const(scaled), x)


def _inner_literal(op: str) -> Callable[[tuple[object, ...], tuple[tuple[object, ...], ...]], bool]:
    """:attr:`Rule.admits_below` of a rule that folds a literal found in a root argument that is an ``op``
    call (``c * (k * x)``: ``k``, or ``x`` where ``op`` commutes; ``c + m * (k + x)``: ``m``): some such
    argument has a literal's head (:func:`_literal_head`) among its own arguments'."""
    return lambda heads, below: any(h == op and any(_literal_head(g) for g in b)
                                    for h, b in zip(heads, below, strict=True))


def _negated_factor_rules() -> tuple[Rule, ...]:
    """``x + (-y) * z -> x - y * z`` and its kin: an add or sub (``outer``) of a product or quotient
    (``inner``) with a negated argument, that sign moved to ``outer``.  Six rules, one per form."""
    out = []
    for outer, flip, sign, flipped in (("add", "sub", "+", "-"), ("sub", "add", "-", "+")):
        for inner, symbol, right in (("mul", "*", False), ("div", "/", False), ("div", "/", True)):
            negated = P(inner, V("y"), P("neg", V("z"))) if right else \
                P(inner, P("neg", V("y")), V("z"), commute=inner == "mul")
            form = f"y {symbol} (-z)" if right else f"(-y) {symbol} z"
            out.append(Rule(f"{outer}-neg-{inner}{'-right' if right else ''}",
                            P(outer, V("x"), negated, commute=outer == "add"), _moved_sign(flip, inner),
                            f"x {sign} {form} = x {flipped} y {symbol} z exactly: {form} = -(y {symbol} z) by "
                            "sign symmetry (a zero's sign is the exclusive or of its factors'), and x + (-w) = x - w"))
    return tuple(out)


def _moved_sign(flip: str, inner: str) -> Callable[[Bindings], Expr]:
    return lambda b: _call(flip, b["x"], _call(inner, b["y"], b["z"]))


# Each law holds for every IEEE double, inf and NaN included (signed zeros excepted, see above).
# ``commute=True`` marks the ops the grammar declares commutative, matched in both argument orders.
RULES: tuple[Rule, ...] = (
    Rule("add-zero", P("add", V("x"), C(-0.0), commute=True), lambda b: b["x"],
         "x + (-0.0) = x exactly: -0.0 is the identity of + (0.0 + -0.0 = 0.0, -0.0 + -0.0 = -0.0); "
         "x + 0.0 is not x at x = -0.0 (it is +0.0, and 1 / it inf, not -inf): see SIGNED_ZERO"),
    Rule("sub-zero", P("sub", V("x"), C(0.0)), lambda b: b["x"], "x - 0.0 = x + (-0.0) = x exactly"),
    Rule("zero-sub", P("sub", C(-0.0), V("x")), lambda b: _call("neg", b["x"]),
         "-0.0 - x = (-0.0) + (-x) = -x exactly"),
    Rule("mul-one", P("mul", V("x"), C(1.0), commute=True), lambda b: b["x"], "x * 1 = x exactly"),
    Rule("mul-minus-one", P("mul", V("x"), C(-1.0), commute=True), lambda b: _call("neg", b["x"]),
         "x * -1 = -x exactly (negation flips the sign bit; NaN stays NaN)"),
    Rule("div-one", P("div", V("x"), C(1.0)), lambda b: b["x"], "x / 1 = x exactly"),
    Rule("div-minus-one", P("div", V("x"), C(-1.0)), lambda b: _call("neg", b["x"]), "x / -1 = -x exactly"),
    Rule("neg-neg", P("neg", P("neg", V("x"))), lambda b: b["x"], "-(-x) = x exactly"),
    Rule("add-neg", P("add", V("x"), P("neg", V("y")), commute=True), lambda b: _call("sub", b["x"], b["y"]),
         "x + (-y) = x - y: IEEE defines subtraction as addition of the negation"),
    Rule("sub-neg", P("sub", V("x"), P("neg", V("y"))), lambda b: _call("add", b["x"], b["y"]),
         "x - (-y) = x + y, the same law"),
    # A negated factor of a product or quotient added or subtracted: (-y) * z = -(y * z) exactly (the
    # rounding is symmetric in sign; a zero's sign is the exclusive or of its factors' either way), and
    # x + (-w) = x - w by the definition of IEEE subtraction: ``3.0 + -1.99 * f`` reads ``3.0 - 1.99 * f``.
    *_negated_factor_rules(),
    Rule("mul-pow2", P("mul", V("c"), P("mul", V("k"), V("x"), commute=True), commute=True),
         lambda b: _power_of_two(b, lambda k: k), "c * (2^m * x) = (c * 2^m) * x exactly for m >= 0 and |c| >= 1 "
         "(literals, c * 2^m finite): 2^m * x is exact unless it overflows, and then so does c * 2^m * x; "
         "both sides round the same real number once", literals=_C, admits_below=_inner_literal("mul")),
    Rule("mul-div-pow2", P("mul", V("c"), P("div", V("x"), V("k")), commute=True),
         lambda b: _power_of_two(b, lambda k: _ratio(1.0, k)), "c * (x / 2^-m) = (c * 2^m) * x exactly for m >= 0 and "
         "|c| >= 1: x / 2^-m is x * 2^m rounded once, the same number (mul-pow2)", literals=_C,
         admits_below=_inner_literal("div")),
    Rule("mul-neg-neg", P("mul", P("neg", V("x")), P("neg", V("y"))), lambda b: _call("mul", b["x"], b["y"]),
         "(-x) * (-y) = x * y by sign symmetry"),
    Rule("div-neg-neg", P("div", P("neg", V("x")), P("neg", V("y"))), lambda b: _call("div", b["x"], b["y"]),
         "(-x) / (-y) = x / y by sign symmetry"),
    Rule("min-same", P("min", V("x"), V("x")), lambda b: b["x"], "min(x, x) = x (NaN propagates either way)"),
    Rule("max-same", P("max", V("x"), V("x")), lambda b: b["x"], "max(x, x) = x (NaN propagates either way)"),
    # min and max break a tie of signed zeros as the backend does: min(-0.0, 0.0) is 0.0 in numpy, -0.0
    # in a torch scalar and 0.0 in a torch vector.  These forms give the same bits under any tie rule
    # (min(a, b) is the lesser, or what the rule picks from the same a, b); min(a, min(b, a)) -> min(a, b)
    # (either order) does not (at a = 0.0, b = -0.0 in numpy), so it is no rule.
    Rule("min-absorb", P("min", V("a"), P("min", V("a"), V("b"))), lambda b: _call("min", b["a"], b["b"]),
         "min(a, min(a, b)) = min(a, b): m = min(a, b) is a or b; min(a, m) is a where m is a, else m; NaN propagates"),
    Rule("min-absorb-right", P("min", P("min", V("b"), V("a")), V("a")), lambda b: _call("min", b["b"], b["a"]),
         "min(min(b, a), a) = min(b, a), the mirror image"),
    Rule("max-absorb", P("max", V("a"), P("max", V("a"), V("b"))), lambda b: _call("max", b["a"], b["b"]),
         "max(a, max(a, b)) = max(a, b), as for min"),
    Rule("max-absorb-right", P("max", P("max", V("b"), V("a")), V("a")), lambda b: _call("max", b["b"], b["a"]),
         "max(max(b, a), a) = max(b, a), as for min"),
    # x - c < x for a literal c > 0 and every finite x, or equal (x - c rounds to x: the same bits); x = inf
    # or NaN gives x - c = x; x = c gives +0.0 from both sides, no tie of signed zeros.  x + c likewise.
    Rule("min-sub-lit", P("min", V("x"), Pat(op="sub", args=(V("x"), V("c")), name="d"), commute=True),
         lambda b: _positive(b, "d"), "min(x, x - c) = x - c (c > 0 a literal)"),
    Rule("max-sub-lit", P("max", V("x"), P("sub", V("x"), V("c")), commute=True),
         lambda b: _positive(b, "x"), "max(x, x - c) = x (c > 0 a literal)"),
    Rule("min-add-lit", P("min", V("x"), P("add", V("x"), V("c"), commute=True), commute=True),
         lambda b: _positive(b, "x"), "min(x, x + c) = x (c > 0 a literal)"),
    Rule("max-add-lit", P("max", V("x"), Pat(op="add", args=(V("x"), V("c")), name="d", commute=True),
                          commute=True),
         lambda b: _positive(b, "d"), "max(x, x + c) = x + c (c > 0 a literal)"),
    Rule("add-same", P("add", V("x"), V("x")), lambda b: _call("mul", const(2.0), b["x"]),
         "x + x = 2.0 * x exactly: both are x doubled and rounded once (overflow to the same inf; "
         "-0.0 + -0.0 = 2.0 * -0.0 = -0.0; NaN stays NaN); every type with add(T, T) has mul(Scalar, T)",
         keeps_size=True),
    Rule("abs-abs", P("abs", P("abs", V("x"))), lambda b: _call("abs", b["x"]), "|(|x|)| = |x|"),
    Rule("abs-neg", P("abs", P("neg", V("x"))), lambda b: _call("abs", b["x"]), "|-x| = |x|"),
    Rule("square-neg", P("square", P("neg", V("x"))), lambda b: _call("square", b["x"]), "(-x)^2 = x^2 exactly"),
    Rule("square-abs", P("square", P("abs", V("x"))), lambda b: _call("square", b["x"]), "|x|^2 = x^2 exactly"),
    Rule("relu-relu", P("relu", P("relu", V("x"))), lambda b: _call("relu", b["x"]),
         "relu(relu(x)) = relu(x) (NaN stays NaN)"),
    Rule("sign-sign", P("sign", P("sign", V("x"))), lambda b: _call("sign", b["x"]), "sign(sign(x)) = sign(x)"),
)

# ------------------------------------------------------------------------------------ constant folding
# numpy float64 semantics, as the formula/learner backend computes (interpreter/primitives.NUMPY).
_UNARY: dict[str, Callable[[float], float]] = {
    "neg": lambda a: -a, "abs": abs, "reciprocal": lambda a: float(np.float64(1.0) / np.float64(a)),
    "exp": lambda a: float(np.exp(a)), "log": lambda a: float(np.log(a)), "sqrt": lambda a: float(np.sqrt(a)),
    "square": lambda a: float(np.square(a)), "sin": lambda a: float(np.sin(a)), "cos": lambda a: float(np.cos(a)),
    "tanh": lambda a: float(np.tanh(a)), "sigmoid": lambda a: float(1.0 / (1.0 + np.exp(np.float64(-a)))),
    "relu": lambda a: float(np.maximum(a, 0.0)), "heaviside": lambda a: float(np.heaviside(a, 0.0)),
    "sign": lambda a: float(np.sign(a)),
}
_BINARY: dict[str, Callable[[float, float], float]] = {
    "add": lambda a, b: float(np.float64(a) + np.float64(b)), "sub": lambda a, b: float(np.float64(a) - np.float64(b)),
    "mul": lambda a, b: float(np.float64(a) * np.float64(b)), "div": lambda a, b: float(np.float64(a) / np.float64(b)),
    "min": lambda a, b: float(np.minimum(a, b)), "max": lambda a, b: float(np.maximum(a, b)),
}
FOLDABLE = frozenset(_UNARY) | frozenset(_BINARY)


def constant_value(node: Expr) -> float | None:
    """The value of a literal (``Num``, or ``neg`` of one), else None.  Integer literals count: no
    arithmetic production takes an ``Int``, so ``2`` in arithmetic is the number 2."""
    if isinstance(node, Num):
        return float(node.value)
    if isinstance(node, Call) and node.op == "neg" and len(node.args) == 1:
        inner = node.args[0]
        if isinstance(inner, Num):
            return -float(inner.value)
    return None


def fold_constant(node: Expr, value: Callable[[str, list[float]], float | None] | None = None) -> Expr | None:
    """``op(c1, ..., cn)`` of literals as one literal, if the op is elementwise and the value finite.
    ``value``: how the op is computed (None: :func:`numpy_value`, float64; :func:`fold_float32` passes
    :func:`float32_value`)."""
    if not (isinstance(node, Call) and node.op in FOLDABLE):
        return None
    values: list[float] = []
    for a in node.args:  # stop at the first argument that is not a literal (most nodes)
        v = constant_value(a)
        if v is None:
            return None
        values.append(v)
    if constant_value(node) is not None:  # neg(Num): a literal already
        return None
    result = numpy_value(node.op, values) if value is None else value(node.op, values)
    if result is None or not math.isfinite(result):  # an overflow or NaN stays where it happens
        return None
    return const(result)


def fold_float32(node: Expr) -> Expr | None:
    """:func:`fold_constant` for a body that runs in float32 (a torch kind: ``KindSpec.float32``), by
    :func:`float32_value`: a literal only where it is, bit for bit, what the generated code computes there.
    ``c / -k`` (a positive literal over a negative one) is computed as the generated code computes it:
    ``c / tmp``, a Python number over a tensor, is torch's ``tmp.reciprocal() * c`` (two roundings)."""
    if isinstance(node, Call) and node.op == "div" and len(node.args) == 2 and _reciprocal_times(*node.args):
        return fold_constant(node, _reciprocal_value)
    return fold_constant(node, float32_value)


def _reciprocal_times(a: Expr, b: Expr) -> bool:
    """Whether the torch code of ``a / b`` is ``b.reciprocal() * a``: ``a`` a number (a ``Num``: a positive literal,
    which the code generator writes as a Python number) and ``b`` none (a tensor: Python's ``number / tensor``
    is torch's ``Tensor.__rtruediv__``)."""
    return type(a) is Num and type(b) is not Num


def _reciprocal_value(op: str, values: list[float]) -> float | None:
    """``a / b`` as ``b.reciprocal() * a`` in float32 (:func:`_reciprocal_times`), where :func:`float32_value`
    knows it."""
    inverse = float32_value("reciprocal", [values[1]])
    return None if inverse is None else float32_value("mul", [inverse, values[0]])


# The ops whose float32 value the torch backend computes correctly rounded (IEEE 754: +, -, *, /, ``square`` as
# x * x, ``reciprocal`` as 1 / x) or exactly (a sign, a magnitude, a choice of one argument), on CPU and GPU
# alike; NumPy's float32 computes the same.  exp, log, sin, cos, tanh, sigmoid, softplus, erf and sqrt are not
# in it: their float32 kernels are not correctly rounded (torch 2.13's CPU sqrt of a float32 0.9 is
# 0.9486833214759827, the correctly rounded one 0.9486832618713379), so a literal folded from them in float64
# (``log(0.9)`` is -0.10536051565782628) or in NumPy's float32 need not be what the generated code computes,
# and a program shown so would not reproduce its score.
_FLOAT32_OPS: dict[str, Callable[..., np.float32]] = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
    "square": lambda a: a * a, "reciprocal": lambda a: np.float32(1.0) / a, "neg": np.negative, "abs": np.abs,
    "min": np.minimum, "max": np.maximum, "relu": lambda a: np.maximum(a, np.float32(0.0)), "sign": np.sign,
    "heaviside": lambda a: np.maximum(np.sign(a), np.float32(0.0)),
}
# ops that choose by sign or order: at a zero argument torch and NumPy may break the tie of signed zeros apart
_BY_SIGN = frozenset({"min", "max", "relu", "sign", "heaviside"})


def _normal32(v: np.float32) -> bool:
    """Whether ``v`` is a zero or a normal float32 (no subnormal: a flush-to-zero kernel would differ)."""
    return bool(v == 0.0 or (np.isfinite(v) and abs(v) >= np.finfo(np.float32).tiny))


def float32_value(op: str, values: list[float]) -> float | None:
    """``op`` of the literals ``values`` as the torch backend computes it in a float32 body, where that is
    known bit for bit: each literal rounded to float32 (as the generated code makes it a float32 tensor, or
    casts it to one), then the op in float32, for the ops of :data:`_FLOAT32_OPS` alone; the float32 result
    (a double that is exactly it, which the generated code then uses unchanged).  None elsewhere: another op
    (``log``, ``sqrt``: their float32 kernels are not correctly rounded), a subnormal argument or result or one
    that underflowed to zero (a kernel may flush it), an overflow, and a tie of zeros where an op picks by sign."""
    fn = _FLOAT32_OPS.get(op)
    if fn is None or len(values) not in (1, 2) or (len(values) == 2) != (op in ("add", "sub", "mul", "div", "min",
                                                                                  "max")):
        return None
    with np.errstate(all="ignore"):
        args = [np.float32(v) for v in values]
        if not all(_normal32(a) for a in args) or (op in _BY_SIGN and any(a == 0.0 for a in args)):
            return None
        result = np.float32(fn(*args))
    if not _normal32(result) or (result == 0.0 and op in ("mul", "div", "square", "reciprocal")
                                 and all(a != 0.0 for a in args)):
        return None
    return float(result)


# Python's own float arithmetic for the ops it computes as NumPy's float64 does, bit for bit (each is one IEEE 754
# double operation, rounded to nearest, or a choice between its arguments; an overflow is inf in both): folding
# asks them most (a random formula's ``max`` of two literals most of all), and this skips NumPy's scalars and its
# ``errstate`` (about 3 of a fold's 5 µs).  Each gives None where it would differ or cannot tell, and NumPy is
# asked: a division by zero (Python raises where NumPy gives inf or NaN), and a tie or a NaN where an op chooses
# by order or sign (``max(0.0, -0.0)``: which zero NumPy keeps is its own).  A test holds them to ``_UNARY`` and
# ``_BINARY``.
_PYTHON_BINARY: dict[str, Callable[[float, float], float | None]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "div": lambda a, b: a / b if b != 0.0 else None,
    "min": lambda a, b: a if a < b else b if b < a else None,
    "max": lambda a, b: a if a > b else b if b > a else None}
_PYTHON_UNARY: dict[str, Callable[[float], float | None]] = {
    "neg": lambda a: -a if a == a else None, "abs": lambda a: abs(a) if a == a else None,
    "square": lambda a: a * a, "reciprocal": lambda a: 1.0 / a if a != 0.0 else None,
    "relu": lambda a: a if a > 0.0 else 0.0 if a < 0.0 else None,
    "sign": lambda a: 1.0 if a > 0.0 else -1.0 if a < 0.0 else None,
    "heaviside": lambda a: 1.0 if a > 0.0 else 0.0 if a < 0.0 else None}


def numpy_value(op: str, values: list[float]) -> float | None:
    """``op`` of the numbers ``values`` as the NumPy backend computes it (float64, IEEE: ``1/0`` is
    inf, ``log(0)`` -inf), or None when ``op`` is not elementwise or takes another number of arguments."""
    if all(type(v) is float for v in values):  # (an int beyond 2**53 is no double: NumPy's path)
        if len(values) == 2:
            exact = _PYTHON_BINARY.get(op)
            if exact is not None and (got := exact(values[0], values[1])) is not None:
                return got
        elif len(values) == 1:
            single = _PYTHON_UNARY.get(op)
            if single is not None and (got := single(values[0])) is not None:
                return got
    with np.errstate(all="ignore"):
        if len(values) == 1 and op in _UNARY:
            return _UNARY[op](values[0])
        if len(values) == 2 and op in _BINARY:
            return _BINARY[op](values[0], values[1])
    return None


# ops that draw random numbers: a dead `let` holding one is kept (see the module docstring)
STOCHASTIC = frozenset({"noise", "dropout", "gaussian_vector", "uniform_vector", "gaussian_matrix",
                        "uniform_matrix"})


def _dead_let(node: Expr) -> Expr | None:
    """``let n = v in body`` with no ``n`` in ``body`` (and nothing random in ``v``) is ``body``."""
    if not isinstance(node, Let) or any(type(n) is Ref and n.name == node.name for n in walk(node.body)) \
            or _draws(node.value):
        return None
    return node.body


def _reads(expr: Expr) -> set[str]:
    """The names ``expr`` reads: every ``Ref`` (a name an inner ``let`` shadows included: conservative)."""
    return {n.name for n in walk(expr) if type(n) is Ref}


def _draws(expr: Expr) -> bool:
    """Whether ``expr`` draws random numbers (a :data:`STOCHASTIC` op anywhere in it)."""
    return any(type(n) is Call and n.op in STOCHASTIC for n in walk(expr))


# A rule's shallow test: per argument of the root pattern that is a call or a literal, (position,
# op, arity, value); a node whose arguments fail it (in either order, for a commuting pattern)
# cannot match, so :func:`match` is not asked.
_Need = tuple[int, str | None, int, float | None]
# A rule, its shallow test, and the pairs of its root's argument positions that capture one name (equal
# subtrees: ``add-same``), tested before :func:`match` where the rule asks nothing else of its arguments.
_Entry = tuple[Rule, tuple[_Need, ...], tuple[tuple[int, int], ...]]
_Shape = tuple[object, ...]  # a call's op and its arguments' heads (:func:`_head`)


class _NumberHead:
    """The head of a literal whose value no rule asks for (one object: ``NUMBER``)."""

    def __repr__(self) -> str:
        return "NUMBER"


NUMBER = _NumberHead()


class _Dispatch:
    """The rules of one rule tuple, by where they can match: a two-level gate in front of :func:`match`.

    ``by_op`` maps a root op (None: a node that is no call) to the rules whose pattern can match there
    (a call of that op, or a root pattern without an op), in their order.  ``shapes`` maps a call's
    shape, its op and its arguments' heads (:func:`_head`: a call's op, a literal's value where some
    rule asks for it, else :data:`NUMBER`, the class of any other node), to whether constant folding
    may apply, the rules that can match a call of that shape, and whether one of them looks two levels
    down (a ``neg`` under a product: ``add-neg-mul``; or a gate on the heads there:
    :attr:`Rule.admits_below`); ``deep`` maps such a shape and its arguments' arguments' heads to the
    rules that can match.  Each entry is made when its shape is first seen, so a node that no rule can
    match costs one or two look-ups.  Only rules that cannot match, or whose rewrite declines there
    (:attr:`Rule.literals`, :attr:`Rule.admits`, :attr:`Rule.admits_below`), are left out (a node that
    matches a pattern has the pattern's ops and values at the pattern's places, and equal heads where it
    captures one name twice), in their order: which rule applies first is as without the gate."""

    __slots__ = ("by_op", "deep", "fold", "rules", "shapes", "values")

    def __init__(self, rules: tuple[Rule, ...], fold: Callable[[Expr], Expr | None] = fold_constant) -> None:
        self.rules = rules  # kept alive, so its id (the key of ``_BY_RULES``) stays its own
        self.fold = fold  # constant folding: :func:`fold_constant` (float64), or :func:`fold_float32`
        self.by_op: dict[str | None, tuple[_Entry, ...]] = {
            op: tuple((r, _needs(r.pattern), () if _needs(r.pattern) else _same(r.pattern))
                      for r in rules if r.pattern.op in (op, None))
            for op in {r.pattern.op for r in rules} | {None}}
        # the literal values the patterns ask for, one and two levels below their roots
        self.values = frozenset(v for r in rules for a in r.pattern.args for v in (a.value, *(g.value for g in a.args))
                                if v is not None)
        self.shapes: dict[_Shape, tuple[bool, tuple[_Entry, ...], bool]] = {}
        self.deep: dict[tuple[object, ...], tuple[_Entry, ...]] = {}

    def shape(self, key: _Shape) -> tuple[bool, tuple[_Entry, ...], bool]:
        """Whether a call of shape ``key`` may fold (an elementwise op of literals and negations alone,
        not itself a negative literal: :func:`fold_constant` decides), its candidate rules, and whether
        one of them looks two levels down (:meth:`narrow` then tells)."""
        op, heads = key[0], key[1:]
        fold = op in FOLDABLE and all(h is NUMBER or h == "neg" or isinstance(h, float) for h in heads) and not (
            op == "neg" and len(heads) == 1 and heads[0] != "neg")  # neg of a literal: a literal already
        entries = self.by_op.get(op)  # type: ignore[call-overload]
        if entries is None:
            entries = self.by_op[None]
        kept = tuple(e for e in entries if _fits(e[0].pattern, heads, None, e[0].literals)
                     and (e[0].admits is None or e[0].admits(heads)))
        found = (fold, kept, any(_two_levels(e[0].pattern) or e[0].admits_below is not None for e in kept))
        if len(self.shapes) >= 4096:
            self.shapes.clear()
        self.shapes[key] = found
        return found

    def narrow(self, key: tuple[object, ...], heads: tuple[object, ...], below: tuple[tuple[object, ...], ...],
               entries: tuple[_Entry, ...]) -> tuple[_Entry, ...]:
        """``entries`` (a shape's candidates) less those that cannot match a call whose arguments'
        heads are ``heads`` and whose arguments' arguments' heads are ``below`` (one tuple per argument;
        empty for an argument that is no call); kept under ``key``."""
        kept = tuple(e for e in entries if _fits(e[0].pattern, heads, below, e[0].literals)
                     and (e[0].admits_below is None or e[0].admits_below(heads, below)))
        if len(self.deep) >= 4096:
            self.deep.clear()
        self.deep[key] = kept
        return kept


def _two_levels(pat: Pat) -> bool:
    """Whether ``pat`` asks for an op or a value two levels below its root."""
    return any(g.op is not None or g.value is not None for a in pat.args for g in a.args)


def _fits(pat: Pat, heads: tuple[object, ...], below: tuple[tuple[object, ...], ...] | None,
          literals: tuple[str, ...] = ()) -> bool:
    """Whether a call of ``pat``'s op whose arguments' heads are ``heads`` (and their arguments' heads
    ``below``, where given) can match ``pat``: the ops and values it asks for at those places, in an
    order :func:`match` tries, and equal heads where it captures one name twice at the first level;
    and a literal's head (a number, or ``neg``) where it captures a name of ``literals`` (a rule's
    :attr:`Rule.literals`, without which its rewrite declines).  :func:`match` on such a node, and the
    rule's rewrite after it, give something only if this is true."""
    if len(heads) != len(pat.args):
        return False
    orders = [range(len(heads)), range(len(heads) - 1, -1, -1)] if pat.commute and len(heads) == 2 else \
        [range(len(heads))]
    names = [(i, a.name) for i, a in enumerate(pat.args) if a.op is None and a.value is None and a.name]
    for order in orders:
        ok = True
        for p, i in zip(pat.args, order, strict=True):
            h = heads[i]
            if p.value is not None:
                ok = h == p.value
            elif p.op is not None:
                ok = h == p.op and (below is None or _fits_below(p, below[i]))
            elif p.name in literals:
                ok = _literal_head(h)
            if not ok:
                break
        if ok and all(heads[order[k]] == heads[order[m]] for a, (k, n) in enumerate(names) for m, o in names[a + 1:]
                      if n == o):
            return True
    return False


def _literal_head(h: object) -> bool:
    """Whether a node of head ``h`` (:func:`_head`) may be a literal: a number, or ``neg`` of one."""
    return h is NUMBER or h == "neg" or isinstance(h, float)


def _fits_below(pat: Pat, heads: tuple[object, ...]) -> bool:
    """Whether a call whose arguments' heads are ``heads`` has the ops and values ``pat`` (a pattern one
    level below a rule's root) asks of its arguments, in an order :func:`match` tries."""
    if len(heads) != len(pat.args):
        return False
    orders = [heads, heads[::-1]] if pat.commute and len(heads) == 2 else [heads]
    return any(all(h == (g.value if g.value is not None else g.op) for g, h in zip(pat.args, order, strict=True)
                   if g.op is not None or g.value is not None) for order in orders)


_BY_RULES: dict[tuple[int, int], _Dispatch] = {}


def _needs(pat: Pat) -> tuple[_Need, ...]:
    return tuple((i, a.op, len(a.args), a.value) for i, a in enumerate(pat.args)
                 if a.op is not None or a.value is not None)


def _same(pat: Pat) -> tuple[tuple[int, int], ...]:
    """The pairs of the root pattern's argument positions that capture one name (equal subtrees)."""
    names = [(i, a.name) for i, a in enumerate(pat.args) if a.op is None and a.value is None and a.name]
    return tuple((i, j) for k, (i, n) in enumerate(names) for j, m in names[k + 1:] if n == m)


def _shallow(args: tuple[Expr, ...], needs: tuple[_Need, ...]) -> bool:
    for i, op, arity, value in needs:
        a = args[i]
        if value is not None:
            if not (isinstance(a, Num) and a.value == value):
                return False
        elif not (isinstance(a, Call) and a.op == op and len(a.args) == arity):
            return False
    return True


def _table(rules: tuple[Rule, ...], folding: Callable[[Expr], Expr | None] = fold_constant) -> _Dispatch:
    """The dispatch of ``rules`` (:class:`_Dispatch`) with constant folding by ``folding``, made once per rule
    tuple and fold.  It changes nothing that :func:`match` decides, only how many it is asked."""
    key = (id(rules), id(folding))
    dispatch = _BY_RULES.get(key)
    if dispatch is None or dispatch.rules is not rules or dispatch.fold is not folding:
        if len(_BY_RULES) >= 64:  # rule tuples made on the fly: keep the table small
            _BY_RULES.clear()
        dispatch = _BY_RULES[key] = _Dispatch(rules, folding)
    return dispatch


def rewrite_node(node: Expr, rules: tuple[Rule, ...] = RULES,
                 folding: Callable[[Expr], Expr | None] = fold_constant) -> tuple[Expr, str] | None:
    """The first rewrite that applies at ``node`` itself (not below it), and its rule's name; constant
    folding by ``folding``."""
    return _rewrite(node, _table(rules, folding))


def _head(a: Expr, values: frozenset[float]) -> object:
    """An argument's head in a call's shape (:class:`_Dispatch`)."""
    if isinstance(a, Call):
        return a.op
    if isinstance(a, Num):
        return float(a.value) if a.value in values else NUMBER
    return type(a)


def _rewrite(node: Expr, dispatch: _Dispatch) -> tuple[Expr, str] | None:
    """:func:`rewrite_node` with the rules' dispatch (:func:`_table`), which a pass reads once."""
    if type(node) is Call:
        args = node.args
        values = dispatch.values
        if len(args) == 2:
            a, b = args
            key: _Shape = (node.op, a.op if type(a) is Call else _head(a, values),
                           b.op if type(b) is Call else _head(b, values))
        else:
            key = (node.op, *[_head(a, values) for a in args])
        found = dispatch.shapes.get(key)
        fold, entries, deep = found if found is not None else dispatch.shape(key)
        if fold:
            folded = dispatch.fold(node)
            if folded is not None and folded != node:
                return folded, "fold"
        if not entries:
            return None
        if deep:  # a rule looks two levels down: the arguments' arguments' heads tell
            below = tuple([tuple([g.op if type(g) is Call else _head(g, values) for g in a.args])
                           if type(a) is Call else () for a in args])
            narrowed = dispatch.deep.get((key, below))
            entries = narrowed if narrowed is not None else dispatch.narrow((key, below), key[1:], below, entries)
            if not entries:
                return None
    else:
        if isinstance(node, Let):
            dead = _dead_let(node)
            if dead is not None:
                return dead, "dead-let"
        entries = dispatch.by_op[None]
        if not entries:  # a literal, a name or a tuple: no rule has a root without an op
            return None
    for rule, needs, same in entries:
        if isinstance(node, Call):
            args = node.args
            commuted = rule.pattern.commute and len(args) == 2
            if needs and (len(args) != len(rule.pattern.args)
                          or not (_shallow(args, needs) or (commuted and _shallow(args[::-1], needs)))):
                continue
            if same and not all(i < len(args) and j < len(args) and args[i] == args[j] for i, j in same):
                continue  # (a rule that asks only for equal arguments: add-same)
        bound = match(rule.pattern, node)
        if bound is None:
            continue
        new = rule.rewrite(bound)
        if new is not None and (new.size < node.size or (rule.keeps_size and new.size == node.size)) and (
                dispatch.fold is not fold_float32 or _keeps_divisions(node, new)):
            # every rewrite shrinks, or keeps the size and removes an add (Rule.keeps_size): the fixpoint exists
            return new, rule.name
    return None


def _keeps_divisions(old: Expr, new: Expr) -> bool:
    """In a float32 body, whether ``new`` (a rule's rewrite of ``old``) makes no division whose torch code differs
    in kind from the one it replaces: each division it makes (a node not taken from ``old``) has no number, a
    ``Num``, as its dividend (``Num / tensor`` is ``tensor.reciprocal() * Num`` there: :func:`_reciprocal_times`;
    the rules that make one, ``(-y) / (-z) -> y / z`` and kin, turn a dividend or a divisor into a ``Num``)."""
    kept: set[int] = set()
    layer = [old]
    for _ in range(5):  # patterns capture a few levels deep
        kept.update(map(id, layer))
        layer = [k for n in layer for k in n.children()]
    stack = [new]
    while stack:
        node = stack.pop()
        if id(node) in kept:
            continue
        if type(node) is Call and node.op == "div" and len(node.args) == 2 and type(node.args[0]) is Num:
            return False
        stack.extend(node.children())
    return True


def _kinds_kept(node: Expr, kids: list[Expr]) -> list[Expr]:
    """In a float32 body, ``kids`` (``node``'s children, simplified) with a child put back as it was where its
    simplification made it a number (a ``Num``: a Python number in the generated code, where it was a tensor)
    and that changes what the code computes: a division's dividend or divisor (``Num / tensor`` is
    ``tensor.reciprocal() * Num``, every other division IEEE's), or a ``let``'s value (its name becomes a number)."""
    if type(node) is Let:
        value = node.value
        return [value, kids[1]] if type(kids[0]) is Num and type(value) is not Num else kids
    if type(node) is Call and node.op == "div" and len(kids) == 2 and \
            _reciprocal_times(*node.args) != _reciprocal_times(*kids):
        return [k if type(k) is not Num or type(a) is Num else a for a, k in zip(node.args, kids, strict=True)]
    return kids


def _pass(expr: Expr, rules: tuple[Rule, ...], memo: NodeMemo[Expr] | None = None,
          folding: Callable[[Expr], Expr | None] = fold_constant) -> tuple[Expr, bool]:
    """One bottom-up pass (:func:`~mlevolve.dsl.traverse.fold`, so depth is no limit): rebuild each node
    from its simplified children, then rewrite it while any rule applies (a node's result depends on
    that node alone, so ``memo`` may hold it).  Also returns whether the result is known to be a
    fixpoint (no rule applies at any of its nodes), so that another pass would leave it as it is;
    False where that is not known (then the caller makes the pass that tells)."""
    settled = memo is None  # with a memo, its entries' nodes are not all seen here: the next pass checks
    dispatch = _table(rules, folding)

    float32 = folding is fold_float32

    def combine(node: Expr, kids: list[Expr]) -> Expr:
        nonlocal settled
        if float32 and kids:
            kids = _kinds_kept(node, kids)
        if kids:
            for a, b in zip(kids, node.children(), strict=True):
                # (a memo's result for an unchanged child is an equal node, not always this one: equal
                # children make an equal node, so it is kept rather than built again)
                if a is not b and a != b:
                    node = with_children(node, tuple(kids))
                    break
        while (step := _rewrite(node, dispatch)) is not None:
            new = step[0]
            if settled and not _irreducible_inside(new, node, rules, folding):
                settled = False
            node = new
        # No rule applies at the result's root; if a pass leaves each of its children as it is (the
        # memo says so), a pass leaves the result as it is too: record that, so the next pass
        # (simplify_expr's check for a fixpoint) finds it at once instead of walking it again.
        if memo is not None:
            for k in node.children():
                known = memo.peek(k)
                if known is None or (known is not k and known != k):
                    break
            else:
                memo.put(node, node)
        return node

    return fold(expr, combine, memo), settled


def _irreducible_inside(new: Expr, old: Expr, rules: tuple[Rule, ...],
                        folding: Callable[[Expr], Expr | None] = fold_constant) -> bool:
    """Whether no rule applies at any node of ``new`` below its root, where ``new`` is a rewrite of
    ``old`` and no rule applies at any node of ``old`` below its root.  A node of ``new`` that is a
    node of ``old`` (a captured subtree: the same object, found within the top levels of ``old``) is
    irreducible with all below it; a node the rewrite made is asked (:func:`rewrite_node`), and so
    are its own children.  False when one reduces."""
    kids = new.children()
    if not kids:
        return True
    near = [k for c in old.children() for k in (c, *c.children())]  # where the rules' captures come from
    if any(new is n for n in near) or all(any(k is n for n in near) for k in kids):
        return True
    seen: set[int] = set()
    layer = list(old.children())
    for _ in range(4):  # patterns capture a few levels deep: a subtree deeper down is asked instead
        seen.update(map(id, layer))
        layer = [k for n in layer for k in n.children()]
    stack = list(new.children())
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        if rewrite_node(node, rules, folding) is not None:
            return False
        stack.extend(node.children())
    return True


def simplify_expr(expr: Expr, rules: tuple[Rule, ...] = RULES, memo: NodeMemo[Expr] | None = None,
                  folding: Callable[[Expr], Expr | None] = fold_constant) -> Expr:
    """``expr`` rewritten by ``rules``, constant folding (by ``folding``: :func:`fold_constant`, float64, the cache
    key's; :func:`fold_float32` for what is shown of a float32 body) and dead-``let`` removal until none applies.

    The result computes the same values as ``expr`` on every input (module docstring: the policy),
    has the same type, and is never larger; ``simplify_expr(simplify_expr(e)) == simplify_expr(e)``.
    Spans are dropped from rewritten nodes.  ``memo`` (per node, for these ``rules``) keeps each
    node's pass result across calls (``gp.memo``).

    A pass rewrites each node, bottom up, until no rule applies at it, so its result is a fixpoint
    unless a rewrite made a node below the one it rewrote (``neg-add-neg``'s sum, a folded negative
    literal's ``Num``) to which a rule applies; :func:`_pass` checks those nodes, and the pass that
    would only confirm a fixpoint is not made (it would return the same tree).
    """
    while True:  # each changing pass shrinks the tree, so this ends
        new, settled = _pass(expr, rules, memo, folding)
        if settled or new == expr:
            return new
        expr = new


def is_fixpoint(expr: Expr, rules: tuple[Rule, ...] = RULES,
                folding: Callable[[Expr], Expr | None] = fold_constant) -> bool:
    """Whether no rule of ``rules``, no constant folding by ``folding`` and no dead-``let`` removal applies at any
    node of ``expr``: exactly when ``simplify_expr(expr, rules, folding=folding) == expr`` (then it returns
    ``expr`` itself).  Why both hold: a pass rebuilds a node only where a child changed and rewrites it only where
    :func:`rewrite_node` gives something, the same decision asked here; and a rewrite never gives back an equal
    tree (it shrinks, or keeps the size and removes an ``add``).  The rules' dispatch at each node, without a
    pass's rebuilding, memo and second look at rewritten nodes: about 40% of a walk that changes nothing (a
    fitted formula's body, 28 nodes: RESULTS.md, "Stop 57"), and it stops at the first node that reduces.
    Iterative (no recursion limit)."""
    dispatch = _table(rules, folding)
    leaves = not dispatch.by_op[None]  # no rule has a root without an op: a literal or a name never rewrites
    stack = [expr]
    pop, push = stack.pop, stack.extend
    while stack:
        node = pop()
        if leaves and (type(node) is Num or type(node) is Ref):
            continue
        if _rewrite(node, dispatch) is not None:
            return False
        push(node.children())
    return True


def simplify_definition(d: Definition, simplify: Callable[[Expr], Expr] = simplify_expr,
                        method: Callable[[Definition], Definition] | None = None) -> Definition:
    """``d`` with its body (a learner: each method, by ``method``, by default this function) simplified
    by ``simplify``; ``d`` itself when nothing changed (see :func:`simplify_program`)."""
    body = simplify(d.body) if d.body is not None else None
    methods = tuple(method(m) if method is not None else simplify_definition(m, simplify) for m in d.methods)
    if body is d.body and all(a is b for a, b in zip(methods, d.methods, strict=True)):
        return d
    same = body == d.body  # a body simplified: its comments' places are gone
    return Definition(d.kind, d.name, d.params, d.result, body, methods, d.span, d.comments,  # built directly
                      d.body_comments if same else (), d.trailing if same else (),  # (dataclasses.replace)
                      d.param_comments, d.inline_comments if same else (), (),  # the header's are the header's
                      d.header_comments)


def simplify_program(program: Program, simplify: Callable[[Expr], Expr] = simplify_expr,
                     definition: Callable[[Definition], Definition] | None = None) -> Program:
    """``program`` with every definition's body (and learner method) simplified by
    :func:`simplify_expr`; names, signatures, task and comments are kept (comments inside a body
    that changed are dropped: they may describe lines that are gone).

    The checker accepts the result wherever it accepted ``program``; ``program_hash`` of the result
    is the engine's cache key, and ``size_of`` it the size that bloat control reads.  ``simplify``:
    the body simplifier (the engine passes its memoised one, ``gp.memo.simplified``); ``definition``:
    a definition's :func:`simplify_definition` with it (the engine's is memoised too).
    """
    definitions = tuple(definition(d) if definition is not None else simplify_definition(d, simplify)
                        for d in program.definitions)
    if all(a is b for a, b in zip(definitions, program.definitions, strict=True)):
        return program
    return program.with_definitions(definitions)


# ------------------------------------------------------------------ reassociation (fitted programs only)
# Laws of the real numbers that IEEE arithmetic keeps only up to rounding: ``c1 * (c2 * x)`` and
# ``(c1 * c2) * x`` round differently, so these rules are NOT in :data:`RULES` (whose results must
# compute the same bits: the cache key, FEC and bloat control read them).  They serve one purpose:
# after a formula's constants are fitted (``interpreter.fit``), a literal left inside the linear
# scaling's product (``a + b * (c * x)``) or any chain of literals is folded into one, and the folded
# program is then scored again, so the score is that of the program shown.  Each rule captures
# literals ``c``/``k`` (a ``Num`` or ``neg`` of one) and declines (None) when a capture is not a literal
# or the folded constant is not finite, or is zero where the constants it folds were not: a fold
# never makes a pole or an overflow that was not there.  ``x`` is any subtree.


def _literal(b: Bindings, *names: str) -> list[float] | None:
    """The values of the captures ``names`` if all are literals, else None."""
    out = []
    for name in names:
        v = constant_value(b[name])
        if v is None:
            return None
        out.append(v)
    return out


def _folded(value: float, *parts: float) -> Expr | None:
    """``value`` as a literal when it is finite, and, given the factors ``parts`` of a product,
    nonzero unless one of them was zero (an underflow; a sum may cancel to 0)."""
    if not math.isfinite(value) or (value == 0.0 and parts and all(p != 0.0 for p in parts)):
        return None
    return const(value)


def _two(op: str, b: Bindings, fold: Callable[[float, float], float], build: Callable[[Expr, Expr], Expr],
         inner: tuple[str, str] = ("k", "x")) -> Expr | None:
    """``build(fold(c, k), x)``, where the inner operation's literal may be either of its two
    captures ``inner`` when ``op`` commutes (the pattern matched them in one order only)."""
    c = _literal(b, "c")
    if c is None:
        return None
    first, second = inner
    k = _literal(b, first)
    other = b[second]
    if k is None and op in ("add", "mul"):
        k, other = _literal(b, second), b[first]
    if k is None or constant_value(other) is not None:  # (literals alone are constant folding's)
        return None
    new = _folded(fold(c[0], k[0]), *((c[0], k[0]) if op in ("mul", "div") else ()))
    return None if new is None else build(new, other)


def _mul(a: Expr, b: Expr) -> Expr:
    return Call("mul", (a, b))


def _ratio(a: float, b: float) -> float:
    """``a / b`` as IEEE (and the backends) divide: by zero, an infinity or NaN, which a fold declines
    (Python's ``/`` raises ZeroDivisionError: ``(k * x) / 0.0`` took a meta run down)."""
    with np.errstate(all="ignore"):
        return float(np.float64(a) / np.float64(b))


def _add(a: Expr, b: Expr) -> Expr:
    return Call("add", (a, b))


def _distribute(b: Bindings, sign: float) -> Expr | None:
    """``c + m * (x + sign * k)`` as ``(c + sign * m * k) + m * x`` (see the rules below)."""
    lits = _literal(b, "c", "m")
    k = _literal(b, "k")
    other = b["x"]
    if lits is None:
        return None
    if k is None and sign > 0:  # an inner add commutes: its literal may be either argument
        k, other = _literal(b, "x"), b["k"]
    if k is None or constant_value(other) is not None:
        return None
    c, m = lits
    shift = _folded(c + sign * (m * k[0]), c, m, k[0])
    return None if shift is None else _add(shift, _mul(const(m), other))


def _distribute_from(b: Bindings) -> Expr | None:
    """``c + m * (k - x)`` as ``(c + m * k) - m * x``."""
    lits, k, other = _literal(b, "c", "m"), _literal(b, "k"), b["x"]
    if lits is None or k is None or constant_value(other) is not None:
        return None
    c, m = lits
    shift = _folded(c + m * k[0], c, m, k[0])
    return None if shift is None else Call("sub", (shift, _mul(const(m), other)))


def _terms(node: Expr, op: str) -> list[Expr]:
    """The operands of the tree of ``op`` calls at ``node`` (``op`` associative: ``add`` or ``mul``),
    left to right; ``[node]`` when it is no ``op`` call.  Iterative."""
    out: list[Expr] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Call) and n.op == op and len(n.args) == 2:
            stack.extend(reversed(n.args))
        else:
            out.append(n)
    return out


def _collects(op: str) -> Callable[[tuple[object, ...]], bool]:
    """:attr:`Rule.admits` of ``op``'s collect rule: an argument that is an ``op`` call, or a second that
    may be a literal (two operands, the second no literal: none, or one that is ``a``; most calls)."""
    return lambda heads: heads[0] == op or heads[1] == op or _literal_head(heads[1])


def _collects_below(op: str) -> Callable[[tuple[object, ...], tuple[tuple[object, ...], ...]], bool]:
    """:attr:`Rule.admits_below` of ``op``'s collect rule: False where the operands of its tree are all
    seen two levels down (an argument that is no ``op`` call is one operand; one that is, whose own
    arguments are no ``op`` calls, holds those two) and at most one of them may be a literal (its head:
    :func:`_literal_head`), a number that is the first argument where there is one (``c * (x * y)``,
    ``(x * y) * z``: :func:`_collect` declines, with nothing to fold or move); else True."""

    def admits(heads: tuple[object, ...], below: tuple[tuple[object, ...], ...]) -> bool:
        possible = 0
        for head, inner in zip(heads, below, strict=True):
            if head == op:
                if op in inner:
                    return True  # operands deeper down: not seen here
                possible += sum(1 for h in inner if _literal_head(h))
            elif _literal_head(head):
                possible += 1
        return possible >= 2 or (possible == 1 and not (heads[0] is NUMBER or isinstance(heads[0], float)))

    return admits


def _collect(b: Bindings, op: str) -> Expr | None:
    """``a op b``, a tree of ``op`` (``mul`` or ``add``) with two literals or more among its operands, or
    one that is not ``a`` (``x * -0.977 * (x * y)``), as ``(the literals folded) op (its other operands,
    in order)``; None where it has none, or one that is ``a``, or only literals, or the folded constant
    is not finite.  (The literal becomes the root's own argument, where ``c + m * (k + x)`` and
    ``c * (k * x)`` find it.)"""
    terms = [*_terms(b["a"], op), *_terms(b["b"], op)]
    values = [constant_value(t) for t in terms]
    rest = [t for t, v in zip(terms, values, strict=True) if v is None]
    lits = [v for v in values if v is not None]
    if not lits or (len(lits) == 1 and constant_value(b["a"]) is not None) or not rest:
        return None
    total = lits[0]
    for v in lits[1:]:
        total = total * v if op == "mul" else total + v
    folded = _folded(total, *(lits if op == "mul" else ()))
    if folded is None:
        return None
    tree = rest[0]
    for t in rest[1:]:
        tree = Call(op, (tree, t))
    return Call(op, (folded, tree))


REASSOCIATION: tuple[Rule, ...] = (
    Rule("mul-mul-lit", P("mul", V("c"), P("mul", V("k"), V("x")), commute=True),
         lambda b: _two("mul", b, lambda c, k: c * k, _mul),
         "c * (k * x) = (c * k) * x (associativity of *)", literals=_C,
         admits_below=_inner_literal("mul")),
    Rule("mul-div-lit", P("mul", V("c"), P("div", V("x"), V("k")), commute=True),
         lambda b: _two("div", b, lambda c, k: _ratio(c, k), _mul, ("k", "x")),
         "c * (x / k) = (c / k) * x (k != 0)", literals=_C,
         admits_below=_inner_literal("div")),
    Rule("mul-ldiv-lit", P("mul", V("c"), P("div", V("k"), V("x")), commute=True),
         lambda b: _two("div", b, lambda c, k: c * k, lambda n, x: Call("div", (n, x))),
         "c * (k / x) = (c * k) / x", literals=_C,
         admits_below=_inner_literal("div")),
    Rule("div-mul-lit", P("div", P("mul", V("k"), V("x")), V("c")),
         lambda b: _two("mul", b, lambda c, k: _ratio(k, c), _mul), "(k * x) / c = (k / c) * x (c != 0)", literals=_C,
         admits_below=_inner_literal("mul")),
    Rule("div-div-lit", P("div", P("div", V("x"), V("k")), V("c")),
         lambda b: _two("div", b, lambda c, k: c * k, lambda n, x: Call("div", (x, n)), ("k", "x")),
         "(x / k) / c = x / (k * c)", literals=_C,
         admits_below=_inner_literal("div")),
    Rule("ldiv-mul-lit", P("div", V("c"), P("mul", V("k"), V("x"))),
         lambda b: _two("mul", b, lambda c, k: _ratio(c, k), lambda n, x: Call("div", (n, x))),
         "c / (k * x) = (c / k) / x (k != 0)", literals=_C,
         admits_below=_inner_literal("mul")),
    Rule("div-ldiv-lit", P("div", P("div", V("k"), V("x")), V("c")),
         lambda b: _two("div", b, lambda c, k: _ratio(k, c), lambda n, x: Call("div", (n, x))),
         "(k / x) / c = (k / c) / x (c != 0)", literals=_C,
         admits_below=_inner_literal("div")),
    Rule("ldiv-div-lit", P("div", V("c"), P("div", V("x"), V("k"))),
         lambda b: _two("div", b, lambda c, k: c * k, lambda n, x: Call("div", (n, x)), ("k", "x")),
         "c / (x / k) = (c * k) / x", literals=_C,
         admits_below=_inner_literal("div")),
    Rule("ldiv-ldiv-lit", P("div", V("c"), P("div", V("k"), V("x"))),
         lambda b: _two("div", b, lambda c, k: _ratio(c, k), _mul), "c / (k / x) = (c / k) * x (k != 0)", literals=_C,
         admits_below=_inner_literal("div")),
    Rule("mul-neg-lit", P("mul", V("c"), P("neg", V("x")), commute=True),
         lambda b: None if (c := _literal(b, "c")) is None or constant_value(b["x"]) is not None
         else _mul(const(-c[0]), b["x"]), "c * (-x) = (-c) * x", literals=_C),
    Rule("add-add-lit", P("add", V("c"), P("add", V("k"), V("x")), commute=True),
         lambda b: _two("add", b, lambda c, k: c + k, _add),
         "c + (k + x) = (c + k) + x (associativity of +)", literals=_C,
         admits_below=_inner_literal("add")),
    Rule("add-sub-lit", P("add", V("c"), P("sub", V("x"), V("k")), commute=True),
         lambda b: _two("sub", b, lambda c, k: c - k, _add, ("k", "x")), "c + (x - k) = (c - k) + x", literals=_C,
         admits_below=_inner_literal("sub")),
    Rule("add-lsub-lit", P("add", V("c"), P("sub", V("k"), V("x")), commute=True),
         lambda b: _two("sub", b, lambda c, k: c + k, lambda n, x: Call("sub", (n, x))),
         "c + (k - x) = (c + k) - x", literals=_C,
         admits_below=_inner_literal("sub")),
    Rule("sub-add-lit", P("sub", P("add", V("k"), V("x")), V("c")),
         lambda b: _two("add", b, lambda c, k: k - c, _add), "(k + x) - c = (k - c) + x", literals=_C,
         admits_below=_inner_literal("add")),
    Rule("lsub-add-lit", P("sub", V("c"), P("add", V("k"), V("x"))),
         lambda b: _two("add", b, lambda c, k: c - k, lambda n, x: Call("sub", (n, x))),
         "c - (k + x) = (c - k) - x", literals=_C,
         admits_below=_inner_literal("add")),
    Rule("lsub-sub-lit", P("sub", V("c"), P("sub", V("x"), V("k"))),
         lambda b: _two("sub", b, lambda c, k: c + k, lambda n, x: Call("sub", (n, x)), ("k", "x")),
         "c - (x - k) = (c + k) - x", literals=_C,
         admits_below=_inner_literal("sub")),
    Rule("lsub-lsub-lit", P("sub", V("c"), P("sub", V("k"), V("x"))),
         lambda b: _two("sub", b, lambda c, k: c - k, _add), "c - (k - x) = (c - k) + x", literals=_C,
         admits_below=_inner_literal("sub")),
    Rule("sub-sub-lit", P("sub", P("sub", V("x"), V("k")), V("c")),
         lambda b: _two("sub", b, lambda c, k: -(k + c), _add, ("k", "x")),
         "(x - k) - c = (-(k + c)) + x", literals=_C,
         admits_below=_inner_literal("sub")),
    Rule("sub-lsub-lit", P("sub", P("sub", V("k"), V("x")), V("c")),
         lambda b: _two("sub", b, lambda c, k: k - c, lambda n, x: Call("sub", (n, x))),
         "(k - x) - c = (k - c) - x", literals=_C,
         admits_below=_inner_literal("sub")),
    Rule("mul-collect-lit", P("mul", V("a"), V("b")), lambda b: _collect(b, "mul"),
         "a product's literal factors, anywhere in its tree of *, multiplied into one in front: "
         "x * c * (k * y) = (c * k) * (x * y), x * c * y = c * (x * y) (* associative and commutative)",
         keeps_size=True, admits=_collects("mul"), admits_below=_collects_below("mul")),
    Rule("add-collect-lit", P("add", V("a"), V("b")), lambda b: _collect(b, "add"),
         "a sum's literal terms, anywhere in its tree of +, added into one in front: "
         "x + c + (k + y) = (c + k) + (x + y), x + c + y = c + (x + y) (+ associative and commutative)",
         keeps_size=True, admits=_collects("add"), admits_below=_collects_below("add")),
    Rule("scale-add-lit", P("add", V("c"), P("mul", V("m"), P("add", V("k"), V("x")), commute=True), commute=True),
         lambda b: _distribute(b, 1.0), "c + m * (k + x) = (c + m * k) + m * x (distributivity)", literals=_C,
         admits_below=_inner_literal("mul")),
    Rule("scale-sub-lit", P("add", V("c"), P("mul", V("m"), P("sub", V("x"), V("k")), commute=True), commute=True),
         lambda b: _distribute(b, -1.0), "c + m * (x - k) = (c - m * k) + m * x (distributivity)", literals=_C,
         admits_below=_inner_literal("mul")),
    Rule("scale-lsub-lit", P("add", V("c"), P("mul", V("m"), P("sub", V("k"), V("x")), commute=True), commute=True),
         lambda b: _distribute_from(b), "c + m * (k - x) = (c + m * k) - m * x (distributivity)", literals=_C,
         admits_below=_inner_literal("mul")),
)
# Gathering across the inverse ops: a product's tree of ``*``, ``/`` and ``neg`` (a fitted
# ``0.5066 * (a * (1.974 / d * x) * y)``, ``1.428 * (a / (1.428 / (y / d)) * x)``) and a sum's tree of ``+``, ``-``
# and ``neg``, whose literals the rules above fold only pairwise and only where two meet.  Each factor of the
# product is a numerator or a denominator with a sign, each term of the sum has a sign; the literals are
# folded into one coefficient (a ratio of their products, a signed sum) and the other operands kept in
# order.  Rounding: where no intermediate overflows or underflows, each side of the law is within
# gamma_k = k u / (1 - k u) (u = 2^-53, k the tree's operations) of the exact value, relatively for a product
# (Higham 2002, 3.1), absolutely against gamma_k * (the sum of the terms' magnitudes) for a sum: so the two
# differ by at most 2 gamma_k of that scale, below 1e-14 for a formula's trees, far inside a fit's own
# tolerance; the program is scored again after the fold.  Declined: a coefficient that is not finite (a literal
# divisor 0, an overflow) or a zero from nonzero literals (an underflow), a tree of literals alone (constant
# folding's), and a rewrite that would not shrink the tree (one literal, already in front).


def _signed_operands(node: Expr, family: str) -> list[tuple[Expr, bool, bool]]:
    """The operands of the tree of ``family``'s ops at ``node`` (``*``: ``mul``, ``div``, ``neg``; ``+``: ``add``,
    ``sub``, ``neg``), left to right, each with whether it is inverted (a denominator; a subtracted term: a sum's
    ``neg`` inverts its operand) and, for a product, whether a ``neg`` negates it (a sign, carried by a product's
    first factor); a literal (``neg`` of a number too) is one operand.  Iterative."""
    out: list[tuple[Expr, bool, bool]] = []
    plus, minus = ("mul", "div") if family == "*" else ("add", "sub")
    stack: list[tuple[Expr, bool, bool]] = [(node, False, False)]
    while stack:
        n, inverted, negated = stack.pop()
        if isinstance(n, Call) and constant_value(n) is None:
            if n.op in (plus, minus) and len(n.args) == 2:
                flip = inverted != (n.op == minus)
                stack.append((n.args[1], flip, False))
                stack.append((n.args[0], inverted, negated))  # (a product's sign, carried by its first factor)
                continue
            if n.op == "neg" and len(n.args) == 1:
                if family == "*":
                    stack.append((n.args[0], inverted, not negated))
                else:
                    stack.append((n.args[0], not inverted, False))
                continue
        out.append((n, inverted, negated))
    return out


def _chain(op: str, first: Expr, rest: list[Expr]) -> Expr:
    tree = first
    for t in rest:
        tree = Call(op, (tree, t))
    return tree


def _gather(node: Expr, family: str) -> Expr | None:
    """``node``, a tree of ``family``'s ops with two literals or more among its operands (:func:`_signed_operands`),
    as one coefficient and its other operands: ``c * (n1 * n2 / d1 / d2)`` (``c / (d1 / d2)`` with no numerator
    left, ``n1 * n2 / d1`` where ``c`` is 1.0, its ``neg`` where -1.0) or ``c + (p1 + p2 - m1 - m2)`` (``c - (m1 +
    m2)`` with no term added; without ``c`` where it is 0.0); None where fewer than two are literals, or all
    are, or the coefficient is not finite, or is a zero made of nonzero literals."""
    operands = _signed_operands(node, family)
    values = [constant_value(t) for t, _, _ in operands]
    if sum(v is not None for v in values) < 2 or all(v is not None for v in values):
        return None
    sign = 1.0
    lits: list[float] = []
    total = 1.0 if family == "*" else 0.0
    ups: list[Expr] = []
    downs: list[Expr] = []
    for (t, inverted, negated), v in zip(operands, values, strict=True):
        if negated:
            sign = -sign
        if v is None:
            (downs if inverted else ups).append(t)
            continue
        lits.append(v)
        step = (_ratio if inverted else operator.mul) if family == "*" else (operator.sub if inverted else operator.add)
        total = step(total, v)
    total = sign * total
    coefficient = _folded(total, *(lits if family == "*" else ()))
    if coefficient is None:
        return None
    if family == "*":
        if not ups:
            return Call("div", (coefficient, _chain("mul", downs[0], downs[1:])))
        body = _chain("div", _chain("mul", ups[0], ups[1:]), downs)
        if total == 1.0:
            return body
        return Call("neg", (body,)) if total == -1.0 else Call("mul", (coefficient, body))
    if not ups:
        return Call("sub", (coefficient, _chain("add", downs[0], downs[1:])))
    body = _chain("sub", _chain("add", ups[0], ups[1:]), downs)
    return body if total == 0.0 else Call("add", (coefficient, body))


def _gathers(family: str) -> Callable[[tuple[object, ...]], bool]:
    """:attr:`Rule.admits` of a gather rule: some argument is a call of ``family``'s ops (or ``neg``): with
    neither, the tree's operands are the two arguments, of which at most one is a literal that folds."""
    ops = ("mul", "div", "neg") if family == "*" else ("add", "sub", "neg")
    return lambda heads: any(h in ops for h in heads)


GATHERING: tuple[Rule, ...] = (
    Rule("mul-gather-lit", P("mul", V("a"), V("b")), lambda b: _gather(_call("mul", b["a"], b["b"]), "*"),
         "a product's literal factors, numerators and denominators, anywhere in its tree of *, / and neg, as one "
         "coefficient in front: (k / d * x) * (a / (c / y)) = (k / c) * (x * a * y / d) (* and / of reals: "
         "associative, commutative, x / y = x * (1 / y))", admits=_gathers("*")),
    Rule("div-gather-lit", P("div", V("a"), V("b")), lambda b: _gather(_call("div", b["a"], b["b"]), "*"),
         "the same law at a quotient's root: (k * x) / (c * y) = (k / c) * (x / y)", admits=_gathers("*")),
    Rule("add-gather-lit", P("add", V("a"), V("b")), lambda b: _gather(_call("add", b["a"], b["b"]), "+"),
         "a sum's literal terms, added or subtracted, anywhere in its tree of +, - and neg, as one term in front: "
         "(x - k) + (c - y) = (c - k) + (x - y) (+ of reals: associative, commutative, x - y = x + (-y))",
         admits=_gathers("+")),
    Rule("sub-gather-lit", P("sub", V("a"), V("b")), lambda b: _gather(_call("sub", b["a"], b["b"]), "+"),
         "the same law at a difference's root: (k + x) - (c + y) = (k - c) + (x - y)", admits=_gathers("+")),
)
# Laws that hold up to the sign of a zero result: (1 / x) tells the two zeros apart (inf and -inf), so
# they are not in RULES; a fitted formula, scored again after folding, may use them (FITTED_RULES).
SIGNED_ZERO: tuple[Rule, ...] = (
    Rule("add-pos-zero", P("add", V("x"), C(0.0), commute=True), lambda b: b["x"],
         "x + 0.0 = x, but at x = -0.0 (+0.0)"),
    Rule("pos-zero-sub", P("sub", C(0.0), V("x")), lambda b: _call("neg", b["x"]),
         "0.0 - x = -x, but at x = 0.0 (+0.0, not -0.0)"),
    Rule("neg-add-neg", P("add", P("neg", V("x")), P("neg", V("y"))),
         lambda b: _call("neg", _call("add", b["x"], b["y"])),
         "(-x) + (-y) = -(x + y) (round-to-nearest is symmetric in sign), but at x = -y (+0.0, not -0.0)"),
    Rule("neg-sub", P("neg", P("sub", V("x"), V("y"))), lambda b: _call("sub", b["y"], b["x"]),
         "-(x - y) = y - x, but at x = y (+0.0, not -0.0)"),
)
FITTED_RULES: tuple[Rule, ...] = RULES + SIGNED_ZERO + REASSOCIATION + GATHERING
# Cancellations: laws of real arithmetic where both sides are defined, false in floating point (``x - (x - y)``
# loses ``y`` below ``x``'s rounding, gives NaN at ``x = inf``; ``x * (y / x)`` is NaN at ``x = 0``).  So they are in
# no simplifier of candidates, only in one edit of a run's best that the prune scores (``gp.prune.edits``), as any
# edit: a learner's ``y - (y - p)`` is its ``p``, which removing one node at a time cannot reach.  (A name a pattern
# repeats is bound where it first appears, and a commuting argument pair is not tried again for a later argument's
# sake: so ``(x + y) - x`` is two rules, not one commuting one.)
CANCELLATION: tuple[Rule, ...] = (
    Rule("sub-sub-cancel", P("sub", V("x"), P("sub", V("x"), V("y"))), lambda b: b["y"], "x - (x - y) = y"),
    Rule("add-sub-cancel", P("add", V("x"), P("sub", V("y"), V("x")), commute=True), lambda b: b["y"],
         "x + (y - x) = y"),
    Rule("add-sub-cancel-left", P("sub", P("add", V("x"), V("y")), V("x")), lambda b: b["y"], "(x + y) - x = y"),
    Rule("add-sub-cancel-right", P("sub", P("add", V("y"), V("x")), V("x")), lambda b: b["y"], "(y + x) - x = y"),
    Rule("sub-add-cancel", P("sub", V("x"), P("add", V("x"), V("y"), commute=True)), lambda b: _call("neg", b["y"]),
         "x - (x + y) = -y"),
    Rule("sub-sub-cancel-left", P("sub", P("sub", V("x"), V("y")), V("x")), lambda b: _call("neg", b["y"]),
         "(x - y) - x = -y"),
    Rule("mul-div-cancel", P("mul", V("x"), P("div", V("y"), V("x")), commute=True), lambda b: b["y"],
         "x * (y / x) = y (x != 0)"),
    Rule("div-mul-cancel", P("div", P("mul", V("x"), V("y")), V("x")), lambda b: b["y"], "(x * y) / x = y (x != 0)"),
    Rule("div-mul-cancel-right", P("div", P("mul", V("y"), V("x")), V("x")), lambda b: b["y"],
         "(y * x) / x = y (x != 0)"),
    Rule("div-div-cancel", P("div", V("x"), P("div", V("x"), V("y"))), lambda b: b["y"], "x / (x / y) = y (x, y != 0)"),
    # a literal a prune snapped to 0 is a term removed, not a rounder literal: 0.0 * x was kept and shown as "fewer
    # digits"; its term goes (NaN at an infinite x in float64, so scored, as every cancellation)
    Rule("add-zero-product", P("add", V("x"), P("mul", V("y"), C(0.0), commute=True), commute=True),
         lambda b: b["x"], "x + 0 * y = x (y finite)"),
    Rule("sub-zero-product", P("sub", V("x"), P("mul", V("y"), C(0.0), commute=True)), lambda b: b["x"],
         "x - 0 * y = x (y finite)"),
    Rule("mul-zero", P("mul", V("x"), C(0.0), commute=True), lambda b: Num(0.0), "0 * x = 0 (x finite)"),
)


_FAMILY = {"add": "+", "sub": "+", "mul": "*", "div": "*"}  # the ops REASSOCIATION chains, by family


def _with_literal(node: Expr, family: str) -> bool:
    """Whether ``node`` is a call of ``family``'s ops with a literal argument."""
    return isinstance(node, Call) and _FAMILY.get(node.op) == family and any(
        constant_value(a) is not None for a in node.args)


def literal_chain(expr: Expr) -> bool:
    """Whether some node of ``expr`` may fold by :data:`REASSOCIATION` or constant folding: a call of
    ``+ -`` (or ``* /``) with a literal argument and, as another, a call of the same family with a
    literal argument (``* /``: or a ``neg``, or ``x + x``); ``c + m * (k + x)``; a tree of ``* / neg`` or ``+ - neg``
    with two literals among its operands, or a sum with a zero term (:func:`_gathered`); or a call whose arguments
    are all literals.  A necessary condition for a fold of literals (one walk, no rewriting: most fitted formulas,
    ``a + b * f`` among them, have no such node and skip the simplifier); not for the moves that fold
    nothing (a lone literal of a product or sum to its front, a zero term dropped), which the rules
    make only within a fold."""
    stack: list[tuple[Expr, str | None]] = [(expr, None)]  # (a node, the family of the call above it: neg passes it on)
    while stack:
        node, above = stack.pop()
        if not isinstance(node, Call):
            stack.extend((k, None) for k in node.children())
            continue
        literal = [constant_value(a) is not None for a in node.args]
        if all(literal) and constant_value(node) is None:
            return True
        family = _FAMILY.get(node.op)
        if family is not None and family != above and _gathered(node, family):
            return True  # (a GATHERING rule's tree: checked at its root, which holds every subtree's literals)
        below = above if node.op == "neg" else family
        if family is not None and any(literal):
            for a in (a for a, lit in zip(node.args, literal, strict=True) if not lit):
                if _with_literal(a, family) or (family == "*" and isinstance(a, Call) and (
                        a.op == "neg" or (a.op == "add" and len(a.args) == 2 and a.args[0] == a.args[1]))):
                    return True  # (x + x is 2.0 * x: add-same)
                if family == "+" and _with_literal(a, "*") and any(_with_literal(b, "+") for b in a.children()):
                    return True

        if node.op in ("add", "mul"):  # its whole tree of the op: two literals anywhere in it fold (a lone
            terms = _terms(node, node.op)  # one is moved to the front only by a fold made for a chain: alone it
            found = [constant_value(t) is not None for t in terms]  # changes no value a fit can use, and sent
            if sum(found) >= 2:  # twice the fitted formulas through a fold and a second scoring, +54% CPU each)
                return True
            stack.extend((t, below) for t in terms if constant_value(t) is None)
            continue
        stack.extend((a, below) for a, lit in zip(node.args, literal, strict=True) if not lit)
    return False


def _gathered(node: Call, family: str) -> bool:
    """Whether the tree of ``family``'s ops at ``node`` (:func:`_signed_operands`) has two literals among its
    operands (a :data:`GATHERING` fold), or, a sum, a zero term (:data:`SIGNED_ZERO` drops it: the ``0.0 + b * f``
    of a fit's scaling whose intercept is 0)."""
    count = 0
    for t, _, _ in _signed_operands(node, family):
        v = constant_value(t)
        if v is not None:
            count += 1
            if count >= 2 or (family == "+" and v == 0.0):
                return True
    return False


def fold_fitted(expr: Expr, rules: tuple[Rule, ...] = FITTED_RULES) -> Expr:
    """``expr`` with its chains of literals folded into one by ``rules`` (:data:`RULES` and the
    :data:`REASSOCIATION` rules; with them, constant folding) to a fixpoint; ``expr`` itself when
    :func:`literal_chain` finds nothing to fold.  Equal to ``expr`` in real arithmetic, not bit for
    bit: only for a formula whose constants were fitted and whose score is measured again on the result
    (``interpreter.fit.fit_formula``), never for a cache key."""
    return folded_fitted(expr, rules)[0]


def folded_fitted(expr: Expr, rules: tuple[Rule, ...] = FITTED_RULES) -> tuple[Expr, bool]:
    """:func:`fold_fitted` of ``expr`` and whether the result is known to be a fixpoint of ``rules``: True
    where the fold ran (:func:`simplify_expr` returns one), False where :func:`literal_chain` let it skip.
    With the default ``rules``, which hold :data:`RULES`, such a result is also :func:`simplify_expr`'s
    own: ``simplify_expr(result) is result`` (no rule of the subset applies at any node), so its simplified
    text is its text (``gp.memo.unseen_simplified_text``)."""
    if not literal_chain(expr):
        return expr, False
    return simplify_expr(expr, rules), True


# ------------------------------------------------------------------------------- the shown form only
# Exact laws (every bit kept, as RULES's) that the cache key's simplifier does not use: adding them to
# RULES would change which candidates a run finds equal and the sizes bloat control reads, so every
# fixed-seed run; a person reads them in what ``best``, ``show``, the report and ``export`` print
# (:func:`simplify_shown`), where ``-(-0.275 * (w + y * x))`` reads ``0.275 * (w + y * x)``.
SHOWN_ONLY: tuple[Rule, ...] = (
    Rule("neg-mul-neg", P("neg", P("mul", P("neg", V("y")), V("z"), commute=True)),
         lambda b: _call("mul", b["y"], b["z"]),
         "-((-y) * z) = y * z exactly: (-y) * z = -(y * z) by sign symmetry (a product's sign is the exclusive "
         "or of its factors', its magnitude rounded alike), and -(-v) = v; NaN stays NaN"),
    Rule("neg-div-neg", P("neg", P("div", P("neg", V("y")), V("z"))), lambda b: _call("div", b["y"], b["z"]),
         "-((-y) / z) = y / z exactly, by the same sign symmetry of division"),
    Rule("neg-div-neg-right", P("neg", P("div", V("y"), P("neg", V("z")))), lambda b: _call("div", b["y"], b["z"]),
         "-(y / (-z)) = y / z exactly, the same law"),
    Rule("abs-square", P("abs", P("square", V("x"))), lambda b: _call("square", b["x"]),
         "|x^2| = x^2: a square is +0.0, positive, +inf or NaN (never -0.0: (-0.0)^2 = +0.0), and abs keeps those"),
    Rule("abs-exp", P("abs", P("exp", V("x"))), lambda b: _call("exp", b["x"]),
         "|exp(x)| = exp(x): exp is +0.0 (exp(-inf), an underflow), positive, +inf or NaN"),
)


def _alias_inlined(b: Bindings) -> Expr | None:
    """``let a = b in e``, ``b`` a name, as ``e`` with ``b`` for each ``a`` that reads the ``let`` (capture-avoiding:
    not in the body of an inner ``let a``, which hides it; None where an inner ``let b`` would capture a replaced
    ``a``, or for any other node).  Iterative (:func:`~mlevolve.dsl.traverse.fold`)."""
    node = b["node"]
    if type(node) is not Let or type(node.value) is not Ref:
        return None
    alias, target = node.name, node.value.name

    def combine(n: Expr, kids: list[tuple[Expr, bool]]) -> tuple[Expr, bool]:
        # (the subtree with ``a`` replaced where it reads the outer let, whether it read ``a`` so)
        if type(n) is Ref:
            return (Ref(target), True) if n.name == alias else (n, False)
        if type(n) is Let and n.name == alias:  # an inner ``let a`` hides the outer one in its body
            (value, read), _ = kids
            return with_children(n, (value, n.body)) if read else n, read
        if type(n) is Let and n.name == target and kids[1][1]:
            raise _Captured  # ``let b = .. in .. a ..``: ``b`` there would read the inner let
        read = any(k[1] for k in kids)
        return (with_children(n, tuple(k[0] for k in kids)) if read else n), read

    try:
        return fold(node.body, combine)[0]
    except _Captured:
        return None


class _Captured(Exception):
    """An alias's name would be captured by an inner ``let`` (:func:`_alias_inlined` declines)."""


ALIAS_LET = Rule("let-alias", V("node"), _alias_inlined,
                 "let a = b in e = e[b/a], b a name: a let binds a value without effects, and reading b where a read "
                 "it reads the same value (capture-avoiding: an inner let a hides a, an inner let b declines)")
"""Not in :data:`SHOWN_ONLY`'s table of calls: its pattern is any node, and its rewrite declines but at a ``let`` of
a name.  A learner's prune leaves one (``let q = dot(w, x) in ..`` with the prediction ``p`` read for ``dot(w, x)``:
``let q = p in ..``).  Shown only, as :data:`SHOWN_ONLY` is: in the cache key it would merge candidates a run tells
apart today, and change every fixed-seed run."""

SHOWN_RULES: tuple[Rule, ...] = RULES + SHOWN_ONLY + (ALIAS_LET,)


def dead_updates(learner: Definition) -> Definition:
    """``learner`` with the update of each memory item that no prediction can observe replaced by the item
    itself (``learn`` returns it unchanged): AutoML-Zero's pruning of dead instructions before it shows a
    program, for a learner's memory.

    An item is *live* when ``predict`` reads it, or when the update of a live item reads it (through the
    ``let`` values of ``learn``, all counted live where there are any: conservative); the rest are dead.
    Only predictions leave a learner (they are its metrics; training and validation read nothing else, and
    a learner is stopped on its predictions alone), so a dead item's update changes no value the learner
    gives: the same predictions bit for bit, the same failures.  Kept: an update that draws random numbers
    (removing the draw would shift every later draw), ``setup``, and a ``learn`` whose result is not a
    tuple of one update per item after its ``let`` chain, and the update of an item whose name a ``let`` in
    ``learn`` binds (there the item's name reads the ``let``).  ``learner`` itself when nothing is dead.
    """
    state = [p.name for p in learner.params]
    predict, learn = learner.method("predict"), learner.method("learn")
    if predict is None or learn is None or predict.body is None or learn.body is None or not state:
        return learner
    lets: list[Let] = []
    end = learn.body
    while isinstance(end, Let):
        lets.append(end)
        end = end.body
    if len(state) == 1:
        items: tuple[Expr, ...] = (end,)
    elif isinstance(end, Tup) and len(end.items) == len(state):
        items = end.items
    else:
        return learner
    via_lets = set().union(*(_reads(let.value) for let in lets)) if lets else set()
    live = _reads(predict.body) & set(state)
    todo = list(live)
    while todo:  # the items the updates of live items read, to a fixpoint
        k = todo.pop()
        for name in (_reads(items[state.index(k)]) | via_lets) & set(state):
            if name not in live:
                live.add(name)
                todo.append(name)
    bound = {n.name for n in walk(learn.body) if type(n) is Let}  # an item a let shadows: its Ref would read the let
    new = tuple(Ref(k) if k not in live | bound and not _draws(item) else item
                for k, item in zip(state, items, strict=True))
    if all(a is b or a == b for a, b in zip(new, items, strict=True)):
        return learner
    body: Expr = new[0] if len(state) == 1 else Tup(new)
    for let in reversed(lets):
        body = Let(let.name, let.value, body)
    methods = tuple(m.replace_body(body) if m is learn else m for m in learner.methods)
    return learner.with_methods(methods)


@cache  # (asked once or twice a candidate: the table is fixed)
def runs_in_float32(kind: str) -> bool:
    """Whether a definition of ``kind`` runs in float32 (``KindSpec.float32``: every torch kind; a formula and a
    learner run in float64), so that what is shown of it folds its constants in float32 (:func:`fold_float32`)."""
    from mlevolve.dsl.kinds import KINDS  # (kinds imports the checker, which the simplifier does not need)

    spec = KINDS.get(kind)
    return spec is not None and spec.float32


def shown_fold(kind: str) -> Callable[[Expr], Expr | None]:
    """The constant folding of what is shown of a body of ``kind``: in its own precision (:func:`runs_in_float32`),
    so that the literal folded is what the program computes there, bit for bit (the cache key's folding is
    float64's everywhere: ``log(0.9)`` folded to -0.10536051565782628 is not what a float32 body computes)."""
    return fold_float32 if runs_in_float32(kind) else fold_constant


def may_fold(expr: Expr) -> bool:
    """Whether constant folding can apply anywhere while ``expr`` is simplified: some call of a foldable op
    (not a negative literal) reads no name, so that its value is a constant.  No rule makes such a call
    from calls that read a name (a rule's new call holds what one of the calls it matched held), so where
    this is False every fold function simplifies ``expr`` alike (a test holds the two to it)."""

    def combine(node: Expr, kids: list[tuple[bool, bool]]) -> tuple[bool, bool]:
        # (whether the subtree reads no name, whether a foldable constant call is in it)
        found = any(k[1] for k in kids)
        if type(node) is Num:
            return True, found
        if type(node) is not Call:
            return False, found
        constant = all(k[0] for k in kids)
        literal = node.op == "neg" and len(node.args) == 1 and type(node.args[0]) is Num
        return constant, found or (constant and node.op in FOLDABLE and not literal)

    return fold(expr, combine)[1]


def simplify_shown(program: Program) -> Program:
    """``program`` as it is shown to people (``mlevolve.results.simplified``): :func:`simplify_program` by
    :data:`SHOWN_RULES` (:data:`RULES`, the exact laws of :data:`SHOWN_ONLY` and :data:`ALIAS_LET`), constants
    folded in the precision each definition runs in (:func:`shown_fold`: float32 in a torch kind), each learner's dead
    memory updates removed (:func:`dead_updates`, then simplified again: the ``let`` values only they read
    go too).  The same values on every input as ``program``, bit for bit where it runs; never larger;
    ``program`` itself when nothing changes."""

    def definition(d: Definition) -> Definition:
        folding = shown_fold(d.kind)
        return simplify_definition(d, lambda e: simplify_expr(e, SHOWN_RULES, folding=folding))

    out = simplify_program(program, definition=definition)
    pruned = tuple(dead_updates(d) if d.kind == "learner" else d for d in out.definitions)
    if all(a is b for a, b in zip(pruned, out.definitions, strict=True)):
        return out
    return simplify_program(out.with_definitions(pruned), definition=definition)
