"""Formulas as algebra: a formula definition as a SymPy expression (:func:`sympy_of`) and as a reader expects to
see it (:func:`sympy_display`), for ``show --sympy``, the run summary's "as algebra" line, the estimator's
``expression_`` and the exported formula module.  It imports SymPy when called, never PyTorch: a formula run
loads neither until it shows its answer.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Call, Definition, Expr, Let, Num, Ref, Tup
from mlevolve.dsl.printer import format_number
from mlevolve.dsl.simplify import numpy_value

if TYPE_CHECKING:
    import sympy


# What SymPy raises where it cannot decide something of an expression it builds, rewrites or prints (a comparison of
# complex infinity or of a complex value: "not comparable", "Invalid comparison of non-real zoo", "cannot determine
# truth value of Relational"): where a formula's algebra is shown, the program's own text is shown instead.
# An MlevError is a ValueError too: every handler of these lets it through first (``except MlevError: raise``).
UNDECIDABLE: tuple[type[Exception], ...] = (TypeError, ValueError, ArithmeticError, AttributeError)


class NoSympyForm(MlevError):
    """A formula SymPy cannot write, or whose SymPy form would not mean what float64 computes: every display of it
    (``show --sympy``, the summary's and ``best``'s algebra line, the estimator's ``expression_``, a formula module)
    shows the program's own text instead."""


def _apply(op: Callable[..., Any], args: list[Any]) -> Any:
    """``op(*args)`` with NumPy's treatment of undefined values: NaN in, NaN out, and a comparison
    SymPy cannot decide (``max(1/0, 1)``: complex infinity is not ordered) is NaN too."""
    import sympy

    if any(a is sympy.nan for a in args):
        return sympy.nan
    try:
        return op(*args)
    except (ValueError, TypeError):
        return sympy.nan


def sympy_of(d: Definition) -> sympy.Expr:
    """The SymPy expression of a formula definition: real symbols, each literal by :func:`literal`'s rule (a whole
    number an exact Integer, a decimal a Float of its float64 value: ``6.29``, never 629/100).

    Iterative over the body (no recursion limit).  A constant subexpression is what float64 computes where that is
    not finite: ``0.0 / 0.0`` is ``sympy.nan``, ``log(0.0)`` ``-oo``, ``1.0 / -0.0`` ``-oo``; ``a / 0.0`` is
    ``oo*a`` (IEEE's: +inf for a > 0, -inf below, NaN at 0; ``-oo*a`` over -0.0), where SymPy would write complex
    infinity.  Raises :class:`MlevError` for a definition that is not a formula or one too deep for SymPy, and
    :class:`NoSympyForm` where SymPy raises what it cannot decide (:data:`UNDECIDABLE`) or its form would not mean
    what float64 computes: it holds, or a step made and a later one dropped, what float64 has no value for
    (``zoo``, complex infinity: ``a / (a * 0.0)``, whose zero's sign depends on a; ``I``: ``sqrt(-a**2)``, NaN in
    float64; a log or real power of an argument negative for every real a: :func:`_alien`); it drops a log or
    square root of a possibly negative argument (``0 * log(a)``: :func:`_partial`) or cancels a denominator that is
    0 on a range (:func:`_cancels_a_piecewise_zero`); or a step's float64 value depends on the sign of a zero
    SymPy folded from symbols (``1 / (a - a)``: :func:`_signed_by_symbols`).  The display is then the program's
    text; every shown form is checked against float64 at random points by a property test.
    """
    import sympy

    if d.kind != "formula" or d.body is None:
        raise MlevError(f"{d.kind} '{d.name}' is not a formula", d.span, "--sympy and --latex show a formula")
    ops: dict[str, Callable[..., Any]] = {
        "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b, "neg": lambda a: -a, "min": sympy.Min, "max": sympy.Max, "abs": sympy.Abs,
        "reciprocal": lambda a: 1 / a, "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt,
        "square": lambda a: a**2, "sin": sympy.sin, "cos": sympy.cos, "tanh": sympy.tanh,
        "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)), "relu": lambda a: sympy.Max(a, 0),
        "heaviside": lambda a: sympy.Heaviside(a, 0), "sign": sympy.sign,
        "softplus": lambda a: sympy.log(1 + sympy.exp(a)), "erf": sympy.erf,
    }
    error: MlevError | None = None
    try:
        built = _build(d, ops)
    except RecursionError:  # SymPy's automatic evaluation recurses through the expression
        error = too_deep(d, "SymPy")
    except MlevError:  # a ValueError too: the mistake already in its words
        raise
    except UNDECIDABLE as err:  # what _apply does not wrap: SymPy's evaluation of a sum or product it builds
        error = undecidable(d, err)
    if error is not None:  # after the handler: tblib pickles a context's 1,000 frames past pickle's recursion limit
        raise error
    try:
        alien = _alien(built)
    except RecursionError:  # too deep to look into (exp(exp(...)) 1,000 deep): too deep for SymPy's printers too,
        alien = None  # which formula_display says
    if alien is not None:
        raise unlike_float64(d, f"SymPy writes {alien}")
    return _whole(built)  # (2.0 * (1.5 * x): SymPy's 3.0*x, as the literal 3.0 would be: 3*x)


def unlike_float64(d: Definition, why: str) -> NoSympyForm:
    """The error of formula ``d``, whose SymPy form would not mean what float64 computes (``why``)."""
    return NoSympyForm(f"formula '{d.name}' has no SymPy form that means what float64 computes: {why}", d.span,
                       "the program's text shows it: in float64 x / 0.0 is inf or -inf (NaN at 0), and a square "
                       "root or log of a negative number NaN")


def _alien(built: Any) -> str | None:
    """What in the SymPy form ``built`` means something float64 does not compute, or None: complex infinity (no
    float64 value), ``I`` (a complex value: NaN in float64), a NaN within a formula that is not NaN as a whole (a
    part undefined at every point), and a log, square root or other real power of an argument SymPy can tell is
    negative for every real value of its symbols (``log(-x**2 - 1)``: NaN at every point in float64, a complex value
    in SymPy)."""
    import sympy

    for what, atom in (("zoo (complex infinity)", sympy.zoo), ("I (a complex value)", sympy.I)):
        if built.has(atom):
            return what
    if built is not sympy.nan and built.has(sympy.nan):
        return "nan (undefined) as a part of it"
    real_powers = [p for p in built.atoms(sympy.Pow) if not p.exp.is_integer]  # sqrt(a) is a**(1/2)
    negative = [f for f in (*built.atoms(sympy.log), *real_powers) if f.args[0].is_negative]
    if negative:
        return f"{sympy.sstr(negative[0])} of an argument negative for every real value (NaN in float64)"
    return None


def undecidable(d: Definition, err: Exception) -> NoSympyForm:
    """The error of formula ``d``, whose SymPy form SymPy could not build, rewrite or print (``err``, one of
    :data:`UNDECIDABLE`)."""
    return NoSympyForm(f"formula '{d.name}' has no SymPy form: SymPy cannot decide part of it ({err})", d.span,
                     "simplify it (a 0/0 or a comparison of infinities), or use the NumPy function")


def too_deep(d: Definition, what: str) -> MlevError:
    """The error of formula ``d``, too deep for ``what`` ("SymPy": its evaluation as the expression is built;
    "SymPy's printers"; both recurse), located at the definition as every mistake in a program is."""
    return MlevError(f"formula '{d.name}' is too deep for {what}", d.span, "simplify it, or use the NumPy function")


def formula_expr(d: Definition, digits: int | None = None) -> Any:
    """The SymPy form of formula ``d`` that the project hands out (the estimator's ``sympy()``, the exported
    module's ``sympy_expr()``): :func:`shown_expr` of :func:`sympy_of`, a fitted constant a ``sympy.Float`` (as
    PySR's ``sympy()`` gives it), whole numbers and fractions of integer literals exact (:func:`literal`); every
    digit of float64 unless ``digits`` rounds the decimals (the model is every digit; ``show --sympy`` and
    ``expression_`` print it rounded, for reading).  Raises as :func:`sympy_of` does."""
    return shown_expr(sympy_of(d), digits)


def formula_display(d: Definition, expr: Any, digits: int | None = None) -> tuple[str, str]:
    """:func:`sympy_display` of ``expr``, the SymPy form of formula ``d``; :class:`MlevError` located at ``d``
    (:func:`too_deep`) where SymPy's printers recurse too deep (``exp(exp(...))`` 1,000 deep builds, but does not
    print): every display of a formula says so in the same words."""
    with contextlib.suppress(RecursionError):
        return sympy_display(expr, digits)
    raise too_deep(d, "SymPy's printers")  # outside the handler: no RecursionError (1,000 frames) as its context


def sympy_display(expr: Any, digits: int | None = None) -> tuple[str, str]:
    """``expr`` as a reader expects to see it (:func:`shown_expr`), as text and as LaTeX: fixed-point from 1e-4
    to 1e15, else ``1.0e+300``."""
    import sympy

    shown = shown_expr(expr, digits)
    fixed = {"full_prec": False, "min": -4, "max": 15}
    renamed = display_names(shown)
    text = sympy.sstr(shown.xreplace({s: sympy.Symbol(new, **s.assumptions0) for s, new in renamed.items()}), **fixed)
    latex = sympy.latex(shown, symbol_names={s: rf"\mathit{{{s.name}}}".replace("_", r"\_") for s in renamed}, **fixed)
    return text, latex


def display_names(expr: Any) -> dict[Any, str]:
    """The symbols of SymPy form ``expr`` whose names SymPy's parser reads as something else (:func:`clashes`: an
    input named ``sin``, ``E``, ``pi``, ``N``, ``max``), each with the name :func:`sympy_display`'s text writes it by:
    its own with ``_`` appended (again, while that clashes or names another symbol), so that ``sin*sin(sin)`` reads
    back (``sympy.sympify``) as ``sin_*sin(sin_)``; its LaTeX writes it in italics by its own name
    (``\\mathit{pi}``, not the constant's ``\\pi``)."""
    taken = {s.name for s in expr.free_symbols}
    out: dict[Any, str] = {}
    for symbol in sorted(expr.free_symbols, key=lambda s: s.name):
        if clashes(symbol.name):
            new = symbol.name + "_"
            while clashes(new) or new in taken:
                new += "_"
            taken.add(new)
            out[symbol] = new
    return out


@functools.lru_cache(maxsize=1024)
def clashes(name: str) -> bool:
    """Whether SymPy's parser (``sympify``, ``parse_expr``) reads ``name`` as other than the symbol of that name:
    one of its functions or constants (``sin``, ``E``, ``I``, ``S``, ``N``, ``pi``, ``Min``), a Python builtin
    (``max``), or a keyword."""
    import sympy
    from sympy.parsing.sympy_parser import parse_expr

    try:
        return bool(parse_expr(name) != sympy.Symbol(name))
    except Exception:  # a keyword (lambda) and whatever else it cannot read as a name: not a symbol
        return True


def shown_expr(expr: Any, digits: int | None = None) -> Any:
    """``expr`` multiplied out where that is shorter (:func:`_multiplied_out`), with its constants as a reader
    expects them: a decimal literal is a Float already (:func:`literal`); a rational of the integers a user wrote of
    denominator over 100 (``x / 1000``) or beyond 10^15 becomes the shortest decimal that reads back as the same float
    (0.001, 1.0e+300), and where the expression holds a decimal, every other fraction too, so that one expression
    never mixes the two (0.28719351*x + 0.5*x**2, not ... + x**2/2); an expression whose constants are all whole
    numbers and small fractions of integer literals (``x / 3``: x/3) stays exact.  With ``digits``, every
    decimal shown is then rounded to that many significant digits, after SymPy has folded the exact ones (a
    constant folded from rounded ones would be off in its shown digits, and ``1.74*exp(x + 0.4811)`` folds as its
    decimals appear: ``2.815*exp(x)``): ``expr`` itself keeps every digit for algebra."""
    import sympy

    early = expr.atoms(sympy.Rational)  # decimals before multiplying out: 8.622*z/(1 + exp(-x)), as a p/q of a user's
    if expr.has(sympy.Float) or any(r.q > 100 or abs(r) > 10**15 for r in early):  # integers, is distributed
        expr = _as_decimals(expr, lambda r: r.q > 1 or abs(r) > 10**15)
    expr = _multiplied_out(expr)
    rationals = expr.atoms(sympy.Rational)
    decimal = bool(expr.atoms(sympy.Float)) or any(r.q > 100 or abs(r) > 10**15 for r in rationals)  # (1e300 too)
    shown = _as_decimals(expr, lambda r: r.q > 100 or abs(r) > 10**15 or (decimal and r.q > 1))
    shown = _whole(shown)
    for _ in range(3) if digits else ():  # rounded after SymPy folds decimals (1.74*exp(x + 0.4811): 2.815*exp(x))
        rounded = {f: sympy.Float(f"{float(f):.{digits}g}") for f in shown.atoms(sympy.Float)}
        if all(float(f) == float(r) for f, r in rounded.items()):
            break
        shown = shown.xreplace(rounded)
    return shown


def _whole(expr: Any) -> Any:
    """``expr`` with each Float of a whole value of magnitude at most :data:`EXACT_WHOLE` an exact Integer, as
    :func:`literal` makes a literal: SymPy's own arithmetic makes such Floats of the literals after their conversion
    (``2.0 * (1.5 * x)``: 3.0*x, shown 3*x); ``6.29`` stays a Float, and so does a value rounded to a whole one
    for display (:func:`shown_expr` rounds after this: ``2.99997`` to 4 digits is ``3.0``, not the exact 3).
    Iterative (:func:`_as_decimals`' walk)."""
    import sympy

    floats, stack, seen = set(), [expr], set()  # (expr.atoms recurses: exp(exp(...)) 1,000 deep is too deep)
    while stack:
        node = stack.pop()
        if isinstance(node, sympy.Float):
            floats.add(node)
        elif node.args and node not in seen:
            seen.add(node)
            stack.extend(node.args)
    exact = {f: sympy.Rational(f) for f in floats}  # its binary value exactly: a Float never
    whole = {f: sympy.Integer(r.p) for f, r in exact.items()  # equals an Integer (SymPy 1.13), and a Float of
             if r.q == 1 and abs(r.p) <= EXACT_WHOLE}  # more than 53 bits (0.99999999999999998611) is no float64
    if not whole:
        return expr
    return _mapped(expr, lambda node, _: whole.get(node, node))


def _as_decimals(expr: Any, chosen: Callable[[Any], bool]) -> Any:
    """``expr`` with each rational ``chosen`` picks written as the shortest decimal that reads back as its float, but
    a power's exponent: ``sqrt(x)`` stays ``sqrt(x)`` beside a decimal (``0.5*sqrt(x)``, not ``0.5*x**0.5``).
    Iterative: a node is rebuilt only where an argument changed."""
    import sympy

    return _mapped(expr, lambda node, exponent: sympy.Float(repr(float(node)))
                   if isinstance(node, sympy.Rational) and not exponent and chosen(node) else node)


def _mapped(expr: Any, number: Callable[[Any, bool], Any]) -> Any:
    """``expr`` with each number (a SymPy ``Number``) replaced by ``number(it, whether it is a power's exponent)``,
    without recursion: a node is rebuilt only where an argument changed."""
    import sympy

    done: dict[Any, Any] = {}
    stack: list[tuple[Any, bool]] = [(expr, False)]
    while stack:
        node, exponent = stack[-1]
        if isinstance(node, sympy.Number):
            stack.pop()
            done[node, exponent] = number(node, exponent)
            continue
        flags = [isinstance(node, sympy.Pow) and i == 1 for i in range(len(node.args))]
        waiting = [(a, f) for a, f in zip(node.args, flags, strict=True) if (a, f) not in done]
        if waiting:
            stack.extend(waiting)
            continue
        stack.pop()
        args = [done[a, f] for a, f in zip(node.args, flags, strict=True)]
        changed = any(n is not a for n, a in zip(args, node.args, strict=True))
        done[node, exponent] = node.func(*args) if changed else node
    return done[expr, False]


# The most terms one product of sums may make when multiplied out for display: 2**9, nine two-term factors
EXPAND_TERMS = 512


def _multiplied_out(expr: Any) -> Any:
    """``expr`` with its products of sums multiplied out (SymPy's ``expand``; powers, exponentials and logarithms
    kept as they are) where that has fewer operations (SymPy's ``count_ops``): ``3*x0*(x0/3 + 1) - 3*x0 + 3*x1`` is
    shown as ``x0**2 + 3*x1``; or as many, where it makes a polynomial (a sum of monomials, the standard form:
    ``x**4 + x**2*(x + 1) + x`` is shown as ``x**4 + x**3 + x**2 + x``); ``expr`` itself where it does not, or where
    one product would make more than :data:`EXPAND_TERMS` terms.  Equal as algebra: only what is shown changes.
    Not where an infinity is a factor: ``oo*(x + 0.12)`` is ±inf as float64 computes it, its expansion ``oo*x + oo``
    NaN for x < 0 (inf - inf), so distributing an infinite factor over a sum changes what the form computes."""
    import sympy

    if expr.has(sympy.oo, -sympy.oo, sympy.zoo):
        return expr
    for mul in expr.atoms(sympy.Mul):
        if math.prod(len(a.args) for a in mul.args if isinstance(a, sympy.Add)) > EXPAND_TERMS:
            return expr
    expanded = sympy.expand(expr, multinomial=False, power_exp=False, power_base=False, log=False)
    ops, before = sympy.count_ops(expanded), sympy.count_ops(expr)
    if ops < before or (ops == before and expanded != expr and expanded.is_polynomial(*expr.free_symbols)):
        return expanded  # on a tie, a polynomial in standard form: x**4 + x**3 + x**2 + x, not x**4 + x**2*(x + 1) + x
    return expr


# The steps that can make what :func:`_alien` finds: 1/0 (complex infinity), a log or square root of a negative
# number (I, or a NaN at every point); every other step keeps what its arguments hold.
_MAKES_ALIENS = frozenset({"div", "reciprocal", "log", "sqrt", "softplus"})


def _partial(value: Any) -> set[Any]:
    """The logs and real powers (``sqrt``) in ``value`` whose argument SymPy cannot tell is at least 0, each power
    written as the square root of its base: float64's NaN where it is negative, which SymPy's form keeps only while
    it keeps them."""
    import sympy

    roots = {sympy.Pow(p.base, sympy.S.Half, evaluate=False) for p in value.atoms(sympy.Pow) if not p.exp.is_integer}
    return {f for f in value.atoms(sympy.log) | roots if f.args[0].is_nonnegative is not True}  # y/sqrt(x): sqrt(x)


def _cancels_a_piecewise_zero(denominator: Any, quotient: Any) -> bool:
    """Whether the ``quotient`` SymPy made lost a part of its ``denominator`` that is 0 on a whole range of its
    symbols' values (a Max, Min, Heaviside or sign of them: ``relu(x) / relu(x)`` is 1 in SymPy, 0/0 = NaN for
    every x < 0 in float64); ``x / x``, NaN at 0 alone, keeps its form as SymPy writes it."""
    import sympy

    pieces = denominator.atoms(sympy.Max, sympy.Min, sympy.Heaviside, sympy.sign)  # (0.1 / relu(x)**2 keeps
    return any(p.free_symbols and not quotient.has(p) for p in pieces)  # Max(0, x)**-2: not the denominator itself)


def _piecewise_zeros(value: Any) -> dict[Any, Any]:
    """The denominators of SymPy form ``value`` that are 0 on a whole range of its symbols' values (a Max, Min,
    Heaviside or sign of them, as :func:`_cancels_a_piecewise_zero` reads them), each base with its most negative
    power: ``x / Max(0, x)**2`` holds ``Max(0, x)`` at -2, which a later product may cancel, whole or in part
    (``Max(0, x) * x / Max(0, x)**2`` is ``x / Max(0, x)`` in SymPy), where float64 computes 0 * inf = NaN."""
    import sympy

    found: dict[Any, Any] = {}
    for p in value.atoms(sympy.Pow):
        if p.exp.is_negative and p.base.free_symbols and p.base.atoms(sympy.Max, sympy.Min, sympy.Heaviside,
                                                                       sympy.sign):
            found[p.base] = min(found.get(p.base, p.exp), p.exp)
    return found


def _signed_by_symbols(op: str, children: tuple[Expr, ...], kids: list[Any], floats: dict[int, float]) -> bool:
    """Whether ``op`` of the numbers ``kids`` has another float64 value for another sign of a zero SymPy folded from
    symbols (a child not constant in the program, so not in ``floats``: ``x - x`` is +0.0 for finite x, ``0.0 * x``
    -0.0 for x < 0, ``-(x - x)`` -0.0): ``1 / (x - x)`` is no one infinity, ``log(x - x)`` is -inf whatever it."""
    unsigned = [i for i, (c, k) in enumerate(zip(children, kids, strict=True)) if id(c) not in floats and k == 0]
    if not unsigned:
        return False
    values = [floats.get(id(c), float(k)) for c, k in zip(children, kids, strict=True)]
    found = set()
    for signs in range(1 << len(unsigned)):
        for bit, i in enumerate(unsigned):
            values[i] = -0.0 if signs >> bit & 1 else 0.0
        computed = numpy_value(op, values)
        found.add("nan" if computed is None or math.isnan(computed) else computed)
    return len(found) > 1


# The largest whole number a decimal literal may hold and be read as an exact Integer (``2.0`` as 2): every integer
# to 2**53 is exact in float64; beyond, a literal's digits are float64's rounding (1e300 stays a Float)
EXACT_WHOLE = 2**53


def literal(node: Num) -> Any:
    """The SymPy number of literal ``node``, by one rule: an integer literal (``3``), or a decimal literal whose value
    is a whole number of magnitude at most :data:`EXACT_WHOLE` (``2.0``), is an exact ``sympy.Integer``; every other
    decimal literal (a fitted constant: ``6.29``, ``0.3333333333333333``) is a ``sympy.Float`` of its float64 value
    (its shortest digits), as PySR's ``sympy()`` gives it, never a fraction (not 629/100 nor 1/3).  Arithmetic of
    integers alone stays exact (``x / 3`` is x/3); one with a Float is a Float (``0.5 * x / 3``)."""
    import sympy

    if node.is_int:
        return sympy.Integer(format_number(node))
    value = float(node.value)
    return sympy.Integer(int(value)) if value.is_integer() and abs(value) <= EXACT_WHOLE else sympy.Float(repr(value))


def _build(d: Definition, ops: dict[str, Callable[..., Any]]) -> Any:
    """The iterative walk of :func:`sympy_of`: one SymPy operation per IR node."""
    import sympy

    assert d.body is not None
    scope0: dict[str, Any] = {p.name: sympy.Symbol(p.name, real=True) for p in d.params}
    frames: list[tuple[Expr, dict[str, Any], list[Any]]] = [(d.body, scope0, [])]
    floats: dict[int, float] = {}  # float64's value of each constant node, by id: a zero's sign, which SymPy has not
    partial: dict[int, set[Any]] = {}  # each node's logs and real powers of arguments that may be negative, by id
    piecewise: dict[int, dict[Any, Any]] = {}  # each node's denominators 0 on a range, by id: _piecewise_zeros
    result: Any = None
    while frames:
        node, scope, kids = frames[-1]
        children = node.children()
        if len(kids) < len(children):
            child_scope = {**scope, node.name: kids[0]} if isinstance(node, Let) and len(kids) == 1 else scope
            frames.append((children[len(kids)], child_scope, []))
            continue
        frames.pop()
        if isinstance(node, Num):  # a whole number exact (2, 2.0), a decimal a Float (6.29, 0.3333333333333333)
            floats[id(node)] = float(node.value)
            value: Any = literal(node)
        elif isinstance(node, Ref):
            value = scope[node.name]
        elif isinstance(node, Let):
            value = kids[1]
        elif isinstance(node, Call) and node.op in ops:
            value = _apply(ops[node.op], kids)
            if kids and all(getattr(k, "is_Number", False) for k in kids):  # as float64 computes it: 1/0 is oo
                computed = numpy_value(node.op, [floats.get(id(c), float(k)) for c, k in zip(children, kids,
                                                                                           strict=True)])
                if _signed_by_symbols(node.op, children, kids, floats):
                    raise unlike_float64(d, "SymPy folds a zero from symbols (x - x, 0.0 * x) whose sign float64 "
                                            "computes at each point, and the sign decides this step's value")
                if computed is not None and all(id(c) in floats for c in children):
                    floats[id(node)] = computed  # (-0.0 kept: SymPy's zero has no sign)
                if computed is not None and not math.isfinite(computed):
                    value = sympy.nan if math.isnan(computed) else sympy.oo if computed > 0 else -sympy.oo
            elif node.op == "div" and floats.get(id(children[1]), 1.0) == 0:  # a / 0.0, SymPy's zoo*a: IEEE's
                value = kids[0] * sympy.oo * math.copysign(1, floats[id(children[1])])
            if node.op in _MAKES_ALIENS and (alien := _alien(value)) is not None:  # as it is made: a later step
                raise unlike_float64(d, f"SymPy writes {alien}")  # may drop it (0 * I*Abs(x) is 0; float64's NaN)
            if node.op in ("div", "reciprocal") and _cancels_a_piecewise_zero(kids[-1], value):
                raise unlike_float64(d, f"SymPy cancels {sympy.sstr(kids[-1])}, 0 for a range of values (0/0 is "
                                        "NaN there in float64)")
            over = {b: e for c in children for b, e in piecewise.get(id(c), {}).items()}
            piecewise[id(node)] = _piecewise_zeros(value) if over or node.op in ("div", "reciprocal") else {}
            now = piecewise[id(node)]  # a later step's cancelling (relu(x) * (x / relu(x)) is x in SymPy):
            if cancelled := [b for b, e in over.items() if b not in now or now[b] > e]:  # its power, or some of it
                raise unlike_float64(d, f"SymPy cancels {sympy.sstr(min(cancelled, key=sympy.default_sort_key))}, "
                                        "0 for a range of values (0/0 is NaN there in float64)")
            held = set().union(*(partial.get(id(c), set()) for c in children))
            partial[id(node)] = _partial(value) if held or node.op in _MAKES_ALIENS else set()
            if dropped := held - partial[id(node)]:
                raise unlike_float64(d, f"SymPy drops {sympy.sstr(min(dropped, key=sympy.default_sort_key))}, NaN "
                                        "in float64 where its argument is negative (0 * log(x) is 0, "
                                        "sqrt(x)**2 is x, Min(-oo, log(x)) is -oo)")
        else:
            what = node.op if isinstance(node, Call) else type(node).__name__
            raise MlevError(f"formula '{d.name}': '{what}' has no SymPy form", d.span, "use the base primitives")
        if frames:
            frames[-1][2].append(value)
        else:
            result = value
    assert not isinstance(result, Tup)
    return sympy.sympify(result)
