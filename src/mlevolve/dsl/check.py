"""Type checker: infers the type of every node of an expression, bottom-up, iteratively.

Primitive signatures come from a typed grammar (any object with ``overloads(op)``); this module
holds none.  An overloaded op is resolved by its arguments' types; a commutative op also accepts
its arguments swapped; an integer literal is an ``Int`` but also fits where a ``Scalar`` is wanted,
and in a kind of definition that computes without ``Int`` (formulas, activations, learners...) it
is a ``Scalar`` outright.  An ``Int`` is a size: a literal used as one must be in ``1..MAX_SIZE``.
Errors name the expected and found types, with the span of the offending node.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from mlevolve.dsl.errors import MlevError, foreign_hint
from mlevolve.dsl.ir import Call, Expr, Let, Num, Ref, Span, Tup, const, with_children
from mlevolve.dsl.printer import format_expr, format_number
from mlevolve.dsl.traverse import fold, replace_at, walk
from mlevolve.dsl.types import INT, LAYER, MAX_SIZE, SCALAR, TENSOR, TupleType, Type, a_type, flatten, type_str
from mlevolve.interpreter.standalone.common import comma_fix
from mlevolve.messages import counted

Env = Mapping[str, Type]


class Signature(Protocol):
    @property
    def args(self) -> tuple[str, ...]: ...
    @property
    def result(self) -> str: ...
    @property
    def commutative(self) -> bool: ...


class Primitives(Protocol):
    """What the checker needs of a typed grammar."""

    def overloads(self, op: str) -> Sequence[Signature]: ...


def fits(node: Expr, found: Type, wanted: Type, literal_types: frozenset[str] = frozenset({SCALAR})) -> bool:
    """Whether a value of type ``found`` (computed for ``node``) may stand where ``wanted`` is.

    A literal is typed ``Int`` (``2``) or ``Scalar`` (``2.0``), and also fits any other type the
    grammar draws literals for, except that only a whole literal fits ``Int``.
    """
    if found == wanted:
        return True
    if not isinstance(node, Num) or not isinstance(wanted, str):
        return False
    return (wanted in literal_types and (wanted != INT or node.is_int)) or (wanted == SCALAR and found == INT)


def _literal_types(prims: Primitives) -> frozenset[str]:
    return frozenset(getattr(prims, "literals", {})) | {SCALAR}


def _sig_str(types: Sequence[Type]) -> str:
    return "(" + ", ".join(type_str(t) for t in types) + ")"


def _match(op: str, kids: tuple[Type, ...], literals: tuple[bool | None, ...], prims: Primitives
           ) -> tuple[Type, tuple[int, ...]] | None:
    """The result type of the first signature of ``op`` the arguments fit (in order, then swapped for a
    commutative op), and the positions of the literal arguments it takes as an ``Int`` (sizes, to be
    range-checked); None when none fits.  ``literals[i]``: None when argument ``i`` is not a literal,
    else whether it is written whole.  Depends on nothing else of the call: what :func:`resolve` memoises."""
    allowed = _literal_types(prims)
    same_arity = [s for s in prims.overloads(op) if len(s.args) == len(kids)]
    for swap in (False, True):
        for sig in same_arity:
            if swap and not (sig.commutative and len(kids) == 2):
                continue
            want = tuple(reversed(sig.args)) if swap else sig.args
            if all(k == w or (lit is not None and isinstance(w, str)
                              and ((w in allowed and (w != INT or lit)) or (w == SCALAR and k == INT)))
                   for lit, k, w in zip(literals, kids, want, strict=True)):
                return sig.result, tuple(i for i, (lit, w) in enumerate(zip(literals, want, strict=True))
                                         if w == INT and lit is not None)
    return None


_MEMO = "_check_resolved"  # the attribute of a grammar object holding its memo of :func:`signature`
Literals = tuple[bool | None, ...]


def literals_of(call: Call) -> Literals:
    """Which arguments of ``call`` are literals (None: not a literal; else whether it is written whole)."""
    return tuple([a.is_int if isinstance(a, Num) else None for a in call.args])


def signature(op: str, kids: tuple[Type, ...], literals: Literals, prims: Primitives
              ) -> tuple[Type, tuple[int, ...]] | None:
    """:func:`_match`, memoised per grammar object (on the object, as ``GrammarSpec.restrict`` keeps its
    cache) by all it depends on; an object with no ``__dict__`` is not memoised."""
    store = getattr(prims, "__dict__", None)
    if store is None:
        return _match(op, kids, literals, prims)
    memo = store.get(_MEMO)
    if memo is None:
        memo = store[_MEMO] = {}
    key = (op, kids, literals)
    found: tuple[Type, tuple[int, ...]] | None = memo.get(key)
    if found is None:
        found = _match(op, kids, literals, prims)
        if found is not None:
            if len(memo) > 65536:
                memo.clear()
            memo[key] = found
    return found


def resolve(call: Call, kids: Sequence[Type], prims: Primitives, env: Env,
            fitting: Callable[[], tuple[frozenset[Type] | None, frozenset[str]]] | None = None) -> Type:
    """The type of ``call`` whose arguments have types ``kids``, in scope ``env``; raises
    :class:`MlevError` when no signature of the grammar fits (naming the signatures there are, and the
    primitives that take ``kids`` and give a type that ``fitting()`` says may stand there: see
    :func:`_resolve`), or a size literal is out of range.  The match is memoised (:func:`signature`); a size
    literal is range-checked on every call, as that depends on its value."""
    found = signature(call.op, tuple(kids), literals_of(call), prims)
    if found is None:
        _resolve(call, list(kids), prims, env, *(fitting() if fitting else (None, frozenset())))  # says why
        raise AssertionError(f"no signature of '{call.op}' fits, yet one resolves")
    result, sizes = found
    for i in sizes:
        arg = call.args[i]
        assert isinstance(arg, Num)
        check_size(arg)
    return result


class UnknownSymbol(MlevError):
    """``symbol`` is neither a name in scope nor (``called``: it is called) a primitive of the grammar."""

    def __init__(self, symbol: str, called: bool, span: Span | None, hint: str) -> None:
        super().__init__(f"unknown {'primitive' if called else 'name'} '{symbol}'", span, hint)
        self.symbol, self.called = symbol, called


def check_callee(call: Call, prims: Primitives, env: Env) -> None:
    """Raise the mistake of ``call`` that its arguments' types do not decide: its op is a name in scope or no
    primitive, or no form of the primitive takes that many arguments.  Where a body fails to type, each call the
    failure is inside is checked so (outermost first) before the failure is told: a call on an argument where none
    is in scope (`seq(dense(16), a(x))`) names the call, not the argument."""
    overloads = prims.overloads(call.op)
    if not overloads:
        if call.op in env:
            if env[call.op] == LAYER:
                raise MlevError(f"'{call.op}' is a layer, named in a layer position: it is not called on arguments",
                                call.span, f"a model names an activation without parentheses: seq(dense(16), "
                                f"{call.op}); the layer before is its input")
            raise MlevError(f"'{call.op}' is a name, not a primitive: it cannot be called", call.span,
                            "only primitives of the grammar take arguments")
        known = list(getattr(prims, "by_op", {}))
        close = difflib.get_close_matches(call.op, known, n=1)
        lacking = getattr(prims, "lacking", lambda op: None)(call.op)  # mlevolve's primitive, not this grammar's
        hint = lacking or foreign_hint(call.op) or (  # another library's name: not the closest (tan: not tanh)
            f"did you mean '{close[0]}'?" if close else "`mlevolve grammar show` lists the primitives"
            + "; a learned rule is known with its grammar file (--grammar FILE)" * (not getattr(prims, "rules", True)))
        raise UnknownSymbol(call.op, True, call.span, hint)
    if not any(len(s.args) == len(call.args) for s in overloads):
        arities = sorted({len(s.args) for s in overloads})
        counts = counted(arities[0], "argument") if len(arities) == 1 else \
            f"{', '.join(str(a) for a in arities[:-1])} or {arities[-1]} arguments"  # 2, 3 or 4 arguments
        raise MlevError(f"'{call.op}' takes {counts}, "
                        f"got {len(call.args):,}", call.span,
                        _comma_numbers(call.args) + "signatures: "
                        + "; ".join(f"{call.op}{_sig_str(s.args)}" for s in overloads)
                        + _nesting(call.op, len(call.args), overloads))


def _comma_numbers(args: Sequence[Expr]) -> str:
    """``"'1,5' is read as 2 arguments, 1 and 5: a number's decimal point is '.'...: write 1.5; "`` where integer
    literals among ``args`` abut across a comma with no space (``max(1,5, x)``, ``f(1,000,000)``): a number written
    with a decimal comma or thousands separators, told as the parser tells one where no comma goes
    (:func:`~mlevolve.dsl.parse._comma_number`, :func:`~mlevolve.interpreter.standalone.common.comma_fix`); else
    ``""``.  Integers only: their text is their value, zero-padded to their span (``0,05``)."""
    runs: list[list[str]] = []
    for before, arg in zip([None, *args], args, strict=False):
        span = arg.span
        if not (isinstance(arg, Num) and arg.is_int and span is not None and span.line == span.end_line):
            runs.append([])
            continue
        written = f"{int(arg.value):0{span.end_column - span.column + 1}d}"
        last = before.span if isinstance(before, Num) and before.is_int else None
        abuts = bool(runs and runs[-1]) and last is not None and (last.end_line, last.end_column + 2) == (
            span.line, span.column)
        runs[-1:] = [[*runs[-1], written]] if abuts else [*runs[-1:], [written]]
    for run in runs:
        if len(run) > 1 and (fix := comma_fix(text := ",".join(run))) is not None:
            return (f"{text!r} is read as {len(run)} arguments, {', '.join(run[:-1])} and {run[-1]}: a number's "
                    f"decimal point is '.', and it has no thousands separator: write {fix}; ")
    return ""


def _nesting(op: str, given: int, overloads: Sequence[Signature]) -> str:
    """How ``given`` arguments are written to ``op`` where it takes fewer but its result may be its own argument (seq
    of 5 layers was told seq's signatures only, a fresh-user pass): ``; nest for more: seq(a, b, c, seq(d, e))``;
    else ``""``."""
    closed = [len(s.args) for s in overloads if len(s.args) >= 2 and all(a == s.result for a in s.args)]
    most = max(closed, default=0)
    if not most or given <= most or given > 2 * most - 1 or given > 26:
        return ""
    names = [chr(ord("a") + i) for i in range(given)]
    return f"; nest for more: {op}({', '.join(names[:most - 1])}, {op}({', '.join(names[most - 1:])}))"


def _resolve(call: Call, kids: list[Type], prims: Primitives, env: Env, wanted: frozenset[Type] | None = None,
             allowed: frozenset[str] = frozenset()) -> Type:
    """Raise why no form of ``call`` takes ``kids``; its hint lists the other primitives that take them and give a
    type that may stand where the call is: one of ``wanted`` (None: not known) and of ``allowed`` (the types the
    body computes with; empty: any).  dot(x0, x1) of two Scalars in a formula was told gaussian_matrix, whose
    Matrix cannot stand where a Scalar is (a fresh-user pass, ux81).  Returns the type where a form fits (a size
    literal then checked)."""
    check_callee(call, prims, env)
    overloads = prims.overloads(call.op)
    same_arity = [s for s in overloads if len(s.args) == len(kids)]
    args = call.args
    literals = _literal_types(prims)
    for swap in (False, True):
        for sig in same_arity:
            if swap and not (sig.commutative and len(kids) == 2):
                continue
            want = tuple(reversed(sig.args)) if swap else sig.args
            if all(fits(a, k, w, literals) for a, k, w in zip(args, kids, want, strict=True)):
                for a, w in zip(args, want, strict=True):
                    if w == INT and isinstance(a, Num):
                        check_size(a)
                return sig.result
    found = _sig_str(kids)
    if len(same_arity) == 1:
        msg = f"'{call.op}' expects {_sig_str(same_arity[0].args)}, found {found}"
    else:
        msg = f"no form of '{call.op}' takes {found}"
    hint = "it takes " + " or ".join(_sig_str(s.args) for s in same_arity)
    by_op: Mapping[str, Sequence[Signature]] = getattr(prims, "by_op", {})
    results = {s.result for sigs in by_op.values() for s in sigs if _takes(s, kids) and (wanted is None or s.result
               in wanted) and (not allowed or all(t in allowed for t in flatten(s.result)))}
    others = sorted(op for op, sigs in by_op.items() if op != call.op and any(
        _takes(s, kids) and s.result in results for s in sigs))
    gives = f" and give {' or '.join(a_type(t) for t in sorted(results, key=type_str))}" if (
        wanted is not None or allowed) and results else ""
    if any(isinstance(a, Num) and not a.is_int and INT in s.args for a in args for s in same_arity):
        hint += " (an Int is written without a decimal point, e.g. 64)"
    elif any(not isinstance(a, Num) and k == SCALAR and s.args[i] == INT
             for i, (a, k) in enumerate(zip(args, kids, strict=True)) for s in same_arity):  # dense(32+32)
        hint += " (an Int is a whole number written out, e.g. 64, or a let bound to one: a size has no arithmetic)"
    elif kids == [TENSOR] and same_arity and all(s.result == SCALAR and TENSOR not in s.args for s in same_arity):
        # mean(square(p - y)) in a loss was told the elementwise primitives (a fresh-user pass): no reduction
        # takes a Tensor, as training reduces a loss or an objective itself
        hint += ("; a Tensor is used elementwise, with no reductions: a loss or objective is written per element "
                 "(square(p - y), not mean(square(p - y))), and training sums it over outputs and averages it over "
                 "the batch")
    else:
        hint += _number_as(call, kids, same_arity) or ""
        if others:
            more = f" and {len(others) - _LISTED:,} more (mlevolve grammar show)" if len(others) > _LISTED else ""
            hint += f"; primitives that take {found}{gives}: {', '.join(others[:_LISTED])}{more}"
    raise MlevError(msg, call.span, hint)


def _number_as(call: Call, kids: Sequence[Type], same_arity: Sequence[Signature]) -> str | None:
    """How to write a number where a two-argument primitive takes two values of another type: ``max(x, 0)`` of a
    Tensor (or a Vector, a Matrix) was told the primitives that take (Tensor, Scalar), add to sub, not how to write
    the 0 it takes: ``; a number is a Scalar, and max takes two Tensors: write it as one, max(x, 0 * x)`` (0
    everywhere x is; ``0 * x + c`` for another c), which checks.  None where that is not the mistake."""
    numbers = [isinstance(a, Num) or (isinstance(a, Call) and a.op == "neg" and isinstance(a.args[0], Num))
               for a in call.args]
    if len(kids) != 2 or numbers.count(True) != 1:
        return None
    at = numbers.index(True)
    other, wanted, number = call.args[1 - at], kids[1 - at], call.args[at]
    if kids[at] != SCALAR or wanted in (SCALAR, INT) or not any(tuple(s.args) == (wanted, wanted) for s in same_arity):
        return None
    value: Expr = Call("mul", (Num(0.0, True), other))
    if isinstance(number, Call):  # -c: 0 * x - c
        value = Call("sub", (value, number.args[0]))
    elif isinstance(number, Num) and number.value != 0:
        value = Call("add", (value, number))
    written = Call(call.op, (other, value) if at == 1 else (value, other))
    return (f"; a number is a Scalar, and {call.op} takes two {type_str(wanted)}s: write it as one, "
            f"{format_expr(written)}")


def _takes(sig: Signature, kids: Sequence[Type]) -> bool:
    """Whether ``sig`` takes arguments of types ``kids`` as :func:`_resolve` matches them: in order, or swapped
    where the op is commutative (``add`` and ``mul`` take (Tensor, Scalar) as (Scalar, Tensor): ``x + 0.1``)."""
    given = tuple(kids)
    return tuple(sig.args) == given or (sig.commutative and len(given) == 2 and tuple(sig.args) == given[::-1])


_LISTED = 8  # the primitives a type error's hint names, of those that take the types found (the rest counted)


def check_size(node: Num) -> None:
    """An ``Int`` literal used as a size (a layer width) must be a whole number in ``1..MAX_SIZE``."""
    if not 1 <= node.value <= MAX_SIZE:
        raise MlevError(f"size {format(node.value, ',') if node.value < 1e30 else format(node.value, '.3g')} "
                        f"is out of range", node.span,
                        f"an Int is a size, at least 1 and at most {MAX_SIZE:,}")


# Arguments a primitive takes in a narrower range than their type's, by (op, position): (low, high, what, hint).
# The runtime clamps a value out of it (standalone/supervised.py's dropout), so an evolved program, whose literals
# are drawn from the grammar's, never fails on one; a literal a person wrote there is refused (check_ranges),
# as dense(0) is, rather than silently run as another value.
ARG_RANGES: dict[tuple[str, int], tuple[float, float, str, str]] = {
    ("dropout", 0): (0.0, 0.9, "dropout rate",
                     "dropout(p) zeroes a fraction p of the features while training: 0 (none) up to 0.9 (at most), "
                     "e.g. dropout(0.2)"),
}


Literal = tuple[float, str] | None  # a literal's value and its text


def _literal_value(node: Expr, lets: Mapping[str, Literal]) -> Literal:
    """The value and text of a literal, a negated literal (``-0.5`` reads as ``neg(0.5)``) or a name
    let-bound to one; None for anything else."""
    if isinstance(node, Num):
        return float(node.value), format_number(node)
    if isinstance(node, Call) and node.op == "neg" and len(node.args) == 1 and isinstance(node.args[0], Num):
        return -float(node.args[0].value), "-" + format_number(node.args[0])
    return lets.get(node.name) if isinstance(node, Ref) else None


FLOAT32_MAX = 3.4028234663852886e38  # float32's largest finite value
FLOAT32_INF = 2.0 ** 128 - 2.0 ** 103  # a magnitude from here up rounds to inf in float32 (half an ulp above its max)
FLOAT32_ZERO = 2.0 ** -150  # and one up to here to 0 (half float32's smallest subnormal, 1.4e-45)


def check_float32(node: Num) -> None:
    """Refuse a literal of a body that runs in float32 where float32 does not hold it: beyond its range (``1e39``
    is inf there, and the program NaN) or nonzero and so small it reads as 0 (as the parser refuses a literal below
    float64's smallest, 5e-324)."""
    value = abs(float(node.value))
    if value >= FLOAT32_INF:
        raise MlevError(f"number {format_number(node)} is beyond float32, which this body runs in: it would be inf",
                        node.span, "a literal here is at most about 3.4e38, float32's largest (formulas and learners "
                        "run in float64)")
    if 0.0 < value <= FLOAT32_ZERO:
        raise MlevError(f"number {format_number(node)} is below float32's smallest, which this body runs in: it would "
                        "read as 0", node.span, "write 0 if 0 is meant, else a number from 1.4e-45 up")


def check_ranges(expr: Expr, float32: bool = False) -> None:
    """Raise :class:`MlevError` at a literal (or a name let-bound to one) given for an argument of
    :data:`ARG_RANGES` outside its range: ``dropout(1.5)`` would run as ``dropout(0.9)``; and (``float32``: the
    body of a kind that runs in float32) at a literal float32 does not hold (:func:`check_float32`).  For
    programs a person writes (``mlevolve check``, ``run``...), not those a search makes (see :data:`ARG_RANGES`)."""
    stack: list[tuple[Expr, dict[str, Literal]]] = [(expr, {})]
    while stack:
        node, lets = stack.pop()
        if float32 and isinstance(node, Num):
            check_float32(node)
        if isinstance(node, Let):
            stack.append((node.body, {**lets, node.name: _literal_value(node.value, lets)}))
            stack.append((node.value, lets))
            continue
        if isinstance(node, Call):
            for i, arg in enumerate(node.args):
                bounds = ARG_RANGES.get((node.op, i))
                literal = _literal_value(arg, lets) if bounds is not None else None
                if bounds is not None and literal is not None and not bounds[0] <= literal[0] <= bounds[1]:
                    low, high, what, hint = bounds
                    raise MlevError(f"{what} must be in [{low:g}, {high:g}], got {literal[1]}", arg.span, hint)
        stack.extend((child, lets) for child in reversed(node.children()))


def clamp_ranges(expr: Expr) -> Expr:
    """``expr`` with each literal given out of its :data:`ARG_RANGES` range replaced by the end it runs as
    (``dropout(1.7)`` runs as ``dropout(0.9)``): a search's program written as a file that checks and computes
    the same (a name let-bound to such a literal is left, and refused where it is written)."""
    def combine(node: Expr, kids: list[Expr]) -> Expr:
        if not isinstance(node, Call):
            return with_children(node, tuple(kids))
        args = list(kids)
        for i, arg in enumerate(args):
            bounds = ARG_RANGES.get((node.op, i))
            literal = _literal_value(arg, {}) if bounds is not None else None
            if bounds is not None and literal is not None and not bounds[0] <= literal[0] <= bounds[1]:
                args[i] = const(min(max(literal[0], bounds[0]), bounds[1]))
        return with_children(node, tuple(args))

    return fold(expr, combine)


def literal_type(node: Num, types: frozenset[str] = frozenset()) -> Type:
    """The type of a literal where the body may compute with ``types`` (empty: any): ``2.0`` is a
    ``Scalar``; ``2`` is an ``Int`` unless ``Int`` is not among ``types``, where it can only be a ``Scalar``."""
    return INT if node.is_int and (not types or INT in types) else SCALAR


def infer(expr: Expr, env: Env, prims: Primitives, types: frozenset[str] = frozenset(),
          expected: Type | None = None) -> list[Type]:
    """The type of every node of ``expr``, in preorder (index 0 is the root), in a body that computes
    with ``types`` (empty: any; see :func:`literal_type`) whose result is ``expected`` (None: not known; what a type
    error's hint lists primitives that fit)."""
    return infer_scoped(expr, env, prims, types, expected)[0]


def infer_scoped(expr: Expr, env: Env, prims: Primitives, types: frozenset[str] = frozenset(),
                 expected: Type | None = None) -> tuple[list[Type], list[Env]]:
    """The type of every node and the names in scope at it, both in preorder (``types``, ``expected`` as
    :func:`infer`'s).

    Iterative post-order over an explicit stack: each frame is (node, env, index, child types).
    A ``let``'s body is entered only after its value is typed, with the name bound to that type.
    """
    frames: list[tuple[Expr, Env, int, list[Type]]] = [(expr, env, 0, [])]
    try:
        return _infer_scoped(frames, env, prims, types, expected)
    except MlevError:
        for node, scope, _, _ in frames:  # the calls it is inside, outermost first: a callee's mistake comes first
            if isinstance(node, Call):
                check_callee(node, prims, scope)  # (see check_callee; checked here, as no success path pays for it)
        raise


def _wanted(frames: list[tuple[Expr, Env, int, list[Type]]], expected: Type | None,
            prims: Primitives) -> frozenset[Type] | None:
    """The types that may stand at the node after the last of ``frames`` (its ancestors, outermost first, each
    with its children typed so far), in a body whose result is ``expected``: an argument's, those its call's
    forms take there (of the forms giving what may stand where the call is); a let's value's, any (None);
    its body's, the let's; a tuple item's, that item of the tuple's.  None where not known, or none fits."""
    wanted = None if expected is None else frozenset([expected])
    for node, _, _, kids in frames:
        at = len(kids)
        if isinstance(node, Call):
            forms = [s for s in prims.overloads(node.op)
                     if len(s.args) == len(node.args) and (wanted is None or s.result in wanted)]
            wanted = frozenset([s.args[at] for s in forms]
                               + [s.args[1 - at] for s in forms if s.commutative and len(s.args) == 2])
        elif isinstance(node, Let):
            wanted = wanted if at == 1 else None
        elif isinstance(node, Tup) and wanted is not None:
            wanted = frozenset(t.items[at] for t in wanted if isinstance(t, TupleType) and len(t.items) > at)
        wanted = wanted or None  # none fits: not known, rather than no primitive
    return wanted


def _infer_scoped(frames: list[tuple[Expr, Env, int, list[Type]]], env: Env, prims: Primitives,
                  types: frozenset[str], expected: Type | None = None) -> tuple[list[Type], list[Env]]:
    allowed = types
    out: list[Type | None] = [None]
    scopes: list[Env] = [env]
    while frames:
        node, scope, index, kids = frames[-1]
        children = node.children()
        if len(kids) < len(children):
            child_scope = scope
            if isinstance(node, Let) and len(kids) == 1:
                child_scope = {**scope, node.name: kids[0]}
            out.append(None)
            scopes.append(child_scope)
            frames.append((children[len(kids)], child_scope, len(out) - 1, []))
            continue
        frames.pop()
        t: Type
        if isinstance(node, Num):
            t = literal_type(node, allowed)
        elif isinstance(node, Ref):
            if node.name not in scope:
                close = difflib.get_close_matches(node.name, list(scope), n=1)
                foreign = foreign_hint(node.name, called=False)  # pi, e: after a close name in scope (a typo of ex)
                hint = f"did you mean '{close[0]}'?" + f" If not: {foreign}" * bool(foreign) if close else foreign or (
                    "names in scope: " + (", ".join(sorted(scope)) or "none"))
                raise UnknownSymbol(node.name, False, node.span, hint)
            t = scope[node.name]
        elif isinstance(node, Call):
            t = resolve(node, kids, prims, scope, lambda: (_wanted(frames, expected, prims), allowed))
        elif isinstance(node, Let):
            if isinstance(node.value, Num) and kids[0] == INT:
                check_size(node.value)  # an Int is only ever used as a size
            t = kids[1]
        else:
            assert isinstance(node, Tup)
            for item, kt in zip(node.items, kids, strict=True):
                if isinstance(kt, TupleType):
                    raise MlevError("tuples cannot be nested", item.span, "flatten the tuple")
            t = TupleType(tuple(kids))
        out[index] = t
        if frames:
            frames[-1][3].append(t)
    return out, scopes  # type: ignore[return-value]


def check_expr(
    expr: Expr, env: Env, prims: Primitives, expected: Type | None = None, allowed: frozenset[str] = frozenset()
) -> Type:
    """The type of ``expr`` in ``env``; if ``expected`` is given, it must fit; if ``allowed`` is given,
    every node's type must be one of them (or a tuple of them).  A type error's hint starts with the call a user
    may have meant (:data:`MEANT`: ``did you mean dot(w, x)?`` for ``w * x`` where a Scalar is wanted) where the
    primitive table has one that makes the body check; said in its context where it is nested
    (``did you mean sin(dot(w, x))?``), the caret then at the call to replace (:func:`did_you_mean_call`), alone
    where the error is at that call already."""
    try:
        return _check_expr(expr, env, prims, expected, allowed)
    except UnknownSymbol:
        raise
    except MlevError as err:
        if (meant := did_you_mean_call(expr, env, prims, expected, allowed)) is not None:
            text, alone, span = meant
            if span is not None and span == err.span:  # the caret is at the call to replace already: it alone
                text = alone
            elif span is not None:  # the caret at the call to replace, not at the whole body around it
                err.span = span
            err.hint = f"did you mean {text}?" + (f" {err.hint}" if err.hint else "")
        raise


# What a user may have meant by a primitive whose operands or result do not fit, tried in order on the same operands:
# another product (elementwise, inner, matrix, outer) or the norm for an absolute value; the first that the primitive
# table has a form of making the body check is named in a type error's hint (:func:`did_you_mean_call`), alone: the
# order is the ranking (``dot(x, w)``, not ``dot(x, w) or x * w``: an inner product is the likelier meaning of a
# product of two Vectors, a matrix product's of a Matrix and a Vector).  The :data:`REDUCTIONS` are named together:
# a mean and a norm are equally likely meanings of a Vector reduced to a Scalar, and only the user knows which.
MEANT: Mapping[str, tuple[str, ...]] = {
    "mul": ("dot", "matmul", "outer"),
    "matmul": ("dot", "mul", "outer"),
    "dot": ("mul", "matmul", "outer"),
    "outer": ("dot", "matmul", "mul"),
    "abs": ("norm",),
    "norm": ("abs",),
}
# One-argument primitives a body of a type where another is wanted may have meant to be reduced by: a Vector's sum is
# written mean or norm here (tried where no call of :data:`MEANT` in it fits).
REDUCTIONS: tuple[str, ...] = ("mean", "norm")
_MEANT_TRIED = 64  # calls of MEANT tried, in preorder (an error's cost stays linear in a deep body)


def did_you_mean_call(expr: Expr, env: Env, prims: Primitives, expected: Type | None = None,
                      allowed: frozenset[str] = frozenset()) -> tuple[str, str, Span | None] | None:
    """The call a user may have meant where ``expr`` does not check, and where to point at it: the first call in
    ``expr`` (preorder) whose op has alternatives in :data:`MEANT` of which one, on the same operands, makes ``expr``
    check (the first in MEANT's order); said as ``expr`` fixed where it is a short one-line call around the call
    (``"sin(dot(w, x))"``), else as the call for the one it replaces (``"dot(w, x) for w * x"``), or alone where it
    is ``expr`` (``"dot(w, x)"``), then the call alone and the replaced call's span (None where it is ``expr``);
    else ``expr`` itself reduced by the :data:`REDUCTIONS` that make it check (``"mean(x) or norm(x)"``, twice, and
    None); None where none does."""
    def checks(candidate: Expr) -> bool:
        try:
            _check_expr(candidate, env, prims, expected, allowed)
        except MlevError:
            return False
        return True

    tried = 0
    for index, node in enumerate(walk(expr)):
        if not isinstance(node, Call) or node.op not in MEANT:
            continue
        tried += 1
        if tried > _MEANT_TRIED:
            break
        fixes = [Call(op, node.args) for op in MEANT[node.op] if any(
            len(s.args) == len(node.args) for s in prims.overloads(op))]
        if fit := next((f for f in fixes if checks(replace_at(expr, index, f))), None):
            return _in_context(expr, index, node, fit), format_expr(fit), (node.span if index else None)
    body = expr
    while isinstance(body, Let):
        body = body.body
    wrapped = [Call(op, (body,)) for op in REDUCTIONS if prims.overloads(op)]
    fits_ = [w for w in wrapped if checks(replace_at(expr, expr.size - body.size, w))]
    said = " or ".join(format_expr(w) for w in fits_)
    return (said, said, None) if fits_ else None


_MEANT_WIDTH = 40  # the widest fixed body a meant call's hint shows whole


def _in_context(expr: Expr, index: int, node: Expr, fix: Expr) -> str:
    """``fix``, meant for ``node`` at preorder ``index`` of ``expr``, as a hint says it: alone where ``node`` is
    ``expr``; ``expr`` fixed where it is a call of one short line (``sin(dot(w, x))``); else ``dot(w, x) for w * x``,
    so that it never reads as a replacement of the whole body."""
    if index == 0:
        return format_expr(fix)
    whole = format_expr(replace_at(expr, index, fix))
    if isinstance(expr, Call) and "\n" not in whole and len(whole) <= _MEANT_WIDTH:
        return whole
    return f"{format_expr(fix)} for {format_expr(node)}"


def _check_expr(expr: Expr, env: Env, prims: Primitives, expected: Type | None,
                allowed: frozenset[str]) -> Type:
    """:func:`check_expr` without its hint's meant call."""
    types = infer(expr, env, prims, allowed, expected)
    if allowed:
        for node, t in zip(walk(expr), types, strict=True):
            if not all(item in allowed for item in flatten(t)):
                raise MlevError(f"{a_type(t)} value cannot be used here", node.span,
                                f"this kind of definition computes with {', '.join(sorted(allowed))} only")
    found = types[0]
    if expected is not None and not fits(expr, found, expected, _literal_types(prims)):
        body = expr
        while isinstance(body, Let):  # a let's value is its body's (its own span is its name's)
            body = body.body
        raise MlevError(f"expected {type_str(expected)}, found {type_str(found)}", body.span or expr.span,
                        f"the body's type must be the declared result type {type_str(expected)}"
                        + (_from_scalar(expected, env, prims) if found == SCALAR else ""))
    return found


def _from_scalar(wanted: Type, env: Env, prims: Primitives) -> str:
    """How a Scalar becomes a ``wanted`` (a hint's end): a broadcast primitive (a learner's ``fill``), else
    arithmetic with a value of that type in scope, else ``""``."""
    if any(s.args == (SCALAR,) and s.result == wanted for s in prims.overloads("fill")):
        return f"; fill(s) is the {wanted} whose every entry is Scalar s"
    name = next((name for name, t in env.items() if t == wanted), None)
    return f"; a Scalar becomes one in arithmetic with a {wanted}, as in 1.0 + 0.0 * {name}" if name else ""
