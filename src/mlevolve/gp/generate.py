"""Typed generation: random well-typed expressions drawn from a grammar's weighted productions.

Koza's *grow* and *full* methods and ramped half-and-half, driven by the production weights and the
minimum-depth table.  A production is only chosen when its own minimum depth fits the depth left,
so generation always finishes and never exceeds ``max_depth``: the dead end of DEAP's typed
``generate`` ("tried to add a primitive of type X, but there is none available") cannot happen.
Every draw comes from the ``rng`` argument.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import weakref
from collections.abc import Mapping, Sequence
from typing import Literal, TypeVar

from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Call, Expr, Num, Ref
from mlevolve.dsl.types import Type, a_type, type_str
from mlevolve.grammar.spec import GrammarSpec, LiteralSpec, Production

Method = Literal["grow", "full"]
T = TypeVar("T")


def weighted_choice(rng: random.Random, population: Sequence[T], cum_weights: Sequence[float]) -> T:
    """``rng.choices(population, cum_weights=cum_weights)[0]``: the same draw (one ``rng.random()``
    scaled by the total weight and bisected in ``cum_weights``, as CPython's ``random.choices`` draws
    each of its ``k``), so the same element and the same RNG state after, without the list of one and
    the checks that the caller's tables make once: ``cum_weights`` as long as ``population``,
    ascending, its last entry positive and finite (``tests/gp/test_generate.py`` holds it to
    ``random.choices``).  Variation draws one for every node it grows."""
    return population[bisect.bisect(cum_weights, rng.random() * (cum_weights[-1] + 0.0), 0, len(population) - 1)]


def draw_literal(spec: GrammarSpec, lit: LiteralSpec, rng: random.Random, depth: int) -> Expr:
    """A literal of ``lit.type``; a negative Scalar is ``neg`` of a literal when that fits."""
    if lit.choices and (lit.uniform is None or rng.random() < 0.5):
        value = rng.choice(lit.choices)
    elif lit.uniform is not None:
        value = float(f"{rng.uniform(*lit.uniform):.3g}")
    else:
        value = 1.0
    if lit.is_int:
        return Num(abs(int(value)), is_int=True)
    can_negate = depth >= 2 and any(p.args == (lit.type,) for p in spec.by_op.get("neg", ()))
    if value < 0 and can_negate:
        return Call("neg", (Num(-value),))
    return Num(abs(value))


def min_depth(spec: GrammarSpec, type_: Type, env: Mapping[str, Type] | None = None) -> float:
    """The least depth of an expression of ``type_`` with the variables of ``env`` in scope."""
    if not isinstance(type_, str) or type_ not in spec.types:
        return math.inf
    leaves = frozenset(t for t in (env or {}).values() if isinstance(t, str))
    return spec.depths(leaves)[type_]


def generate(
    spec: GrammarSpec,
    type_: Type,
    rng: random.Random,
    *,
    env: Mapping[str, Type] | None = None,
    max_depth: int = 5,
    method: Method = "grow",
) -> Expr:
    """A random expression of ``type_``, at most ``max_depth`` deep, using the names of ``env``.

    Raises :class:`MlevError` only when no expression of that type fits in ``max_depth`` at all.
    """
    env = env or {}
    scope = tuple((name, t) for name, t in env.items() if isinstance(t, str))
    preludes = _PRELUDES.get(spec)
    if preludes is None:
        preludes = _PRELUDES[spec] = {}
    prelude = preludes.get((type_, scope))
    if prelude is None:  # what the draw needs of the type and the variables in scope: made once for them
        depth_of = spec.depths(frozenset(t for _, t in scope))
        variables: dict[str, list[str]] = {}
        for name, t in scope:
            variables.setdefault(t, []).append(name)
        if len(preludes) >= 4096:
            preludes.clear()
        prelude = preludes[(type_, scope)] = (min_depth(spec, type_, env), depth_of, variables)
    need, depth_of, variables = prelude
    if math.isinf(need):
        raise MlevError(f"the grammar cannot build {a_type(type_)}",
                        hint=f"types it builds: {', '.join(spec.types)}")
    if max_depth < need:
        raise MlevError(f"depth {max_depth} is too shallow for {type_str(type_)}",
                        hint=f"the least depth of {a_type(type_)} here is {int(need)}")
    tables = _TABLES.get(spec)
    if tables is None:
        tables = _TABLES[spec] = {}

    # Top-down decisions in preorder, then one bottom-up pass to build the nodes.
    decisions: list[Production | Expr] = []
    todo: list[tuple[str, int]] = [(str(type_), max_depth)]
    while todo:
        t, depth = todo.pop()
        key = (t, depth, method, scope)
        options = tables.get(key)
        if options is None:
            options = tables[key] = _options(spec, t, depth, depth_of, variables, method)
        choice = _pick(spec, options, depth, rng)
        decisions.append(choice)
        if isinstance(choice, Production):
            todo.extend((a, depth - r) for a, r in zip(reversed(choice.args), reversed(choice.reach), strict=True))
    built: list[Expr] = []
    for choice in reversed(decisions):
        if isinstance(choice, Production):
            args = tuple(built.pop() for _ in choice.args)
            built.append(spec.build(choice, args))
        else:
            built.append(choice)
    return built[0]


# Per grammar: by (the type drawn, the variables in scope), that type's least depth, the grammar's least
# depths with those variables, and the variables by type (read only): ``generate`` is called per mutation.
_PRELUDES: weakref.WeakKeyDictionary[GrammarSpec, dict[tuple[Type, tuple[tuple[str, str], ...]],
                                                      tuple[float, Mapping[str, float], dict[str, list[str]]]]] = \
    weakref.WeakKeyDictionary()


# Per grammar: the weighted options of a node, by (type, depth left, method, the variables in scope).
# They depend on nothing else, and generation asks for the same few again and again.
Options = tuple[list["Production | Ref | LiteralSpec"], list[float]]
_TABLES: weakref.WeakKeyDictionary[GrammarSpec, dict[tuple[str, int, str, tuple[tuple[str, Type], ...]], Options]] = \
    weakref.WeakKeyDictionary()


def _options(
    spec: GrammarSpec,
    t: str,
    depth: int,
    depth_of: Mapping[str, float],
    variables: Mapping[str, list[str]],
    method: Method,
) -> Options:
    """The options for a node of type ``t`` with ``depth`` levels left (``depth >= 1``) and their
    cumulative weights (what ``random.choices`` makes of the weights: the same draw)."""
    inner = [p for p in spec.by_result.get(t, ()) if p.args and p.need(depth_of) <= depth]
    leaves: list[tuple[float, Production | Ref | LiteralSpec]] = [
        (p.weight, p) for p in spec.by_result.get(t, ()) if not p.args]
    leaves += [(spec.variable_weight / len(variables[t]), Ref(name)) for name in variables.get(t, ())]
    if t in spec.literals:
        leaves.append((spec.literals[t].weight, spec.literals[t]))
    options: list[tuple[float, Production | Ref | LiteralSpec]] = [(p.weight, p) for p in inner]
    if method == "grow" or not options or depth <= 1:
        options += leaves
    options = [(w, o) for w, o in options if w > 0] or [(1.0, o) for _, o in options]
    assert options, f"no way to build {t} in depth {depth}: the min-depth table is inconsistent"
    return [o for _, o in options], list(itertools.accumulate(w for w, _ in options))


def _pick(spec: GrammarSpec, options: Options, depth: int, rng: random.Random) -> Production | Expr:
    """One weighted choice among ``options`` (a variable is its ``Ref``, shared: nodes are immutable)."""
    picked = weighted_choice(rng, options[0], options[1])
    if isinstance(picked, LiteralSpec):
        return draw_literal(spec, picked, rng, depth)
    return picked


def ramped_half_and_half(
    spec: GrammarSpec,
    type_: Type,
    rng: random.Random,
    *,
    env: Mapping[str, Type] | None = None,
    min_depth_: int = 2,
    max_depth: int = 6,
) -> Expr:
    """Koza's ramped half-and-half: a depth drawn from the ramp, then grow or full at even odds.

    The depth never exceeds ``max_depth``: when the type needs more, :func:`generate` says so.
    """
    need = min_depth(spec, type_, env)
    if math.isinf(need) or need > max_depth:
        return generate(spec, type_, rng, env=env, max_depth=max_depth)  # raises the user-facing error
    low = max(min(min_depth_, max_depth), int(need))
    depth = rng.randint(low, max_depth)
    method: Method = "grow" if rng.random() < 0.5 else "full"
    return generate(spec, type_, rng, env=env, max_depth=depth, method=method)
