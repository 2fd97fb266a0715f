"""Typed variation operators: each rewrites one body and preserves its type by construction.

Every operator is a plain function ``(expr, site, rng) -> Expr | None`` (crossover takes two
parents); ``None`` means "not applicable here" (no suitable node, or the child would break the
site's size and depth limits), and the caller tries another.  A node is only ever replaced by an
expression of the same type that uses only names in scope at that node, so children type-check
without repair.  Sources are cited in each docstring.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from mlevolve.dsl.check import Env, infer_scoped, resolve
from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import COMMUTATIVE, Call, Expr, Let, Num, Ref, Tup, const, with_children
from mlevolve.dsl.traverse import preorder_parents
from mlevolve.dsl.types import TupleType, Type
from mlevolve.gp.generate import generate, min_depth, weighted_choice
from mlevolve.gp.memo import Memo, simplified
from mlevolve.grammar.rules import match_at
from mlevolve.grammar.spec import GrammarSpec, Production

W = TypeVar("W")
# Options and their cumulative weights, as :func:`~mlevolve.gp.generate.weighted_choice` draws from them.
Weighted = tuple[list[W], list[float]]


def _weighted(options: list[W], weights: Iterable[float]) -> Weighted[W]:
    """``options`` with the cumulative sums of ``weights``, accumulated as ``random.choices``
    accumulates ``weights=`` (so :func:`~mlevolve.gp.generate.weighted_choice` makes its draw)."""
    return options, list(itertools.accumulate(weights))


@dataclass(frozen=True)
class Site:
    """Where variation happens: a slot's (restricted) grammar, environment, result type and limits."""

    spec: GrammarSpec
    env: Mapping[str, Type]
    result: Type
    max_depth: int = 10
    max_size: int = 48
    regrow_depth: int = 4
    # Each analysed body's _View (types, scopes, parents), memoised by its digest: parents are varied
    # again and again, and a child shares most of its nodes with them.
    views: Memo[Expr, _View] = field(default_factory=lambda: Memo(4096), compare=False, repr=False)
    # Each child the operators made here: the view of its parent's body, the preorder index replaced
    # and what replaced it, from which the child's own view is derived when it is first asked
    # (:meth:`_View.of`; most children are never varied, and a derivation is only recorded).
    derived: Memo[Expr, tuple[_View, int, Expr]] = field(default_factory=lambda: Memo(4096), compare=False,
                                                         repr=False)
    # The productions (each with the argument position that takes the node) that ``wrap`` and
    # ``insert`` may put around a node, by operator, the node's type and the types of the variables
    # in scope there (what the grammar offers depends on nothing else), with their cumulative
    # weights (:func:`_weighted`): made at the first draw.
    wrappers: dict[tuple[str, Type, frozenset[str]], Weighted[tuple[Production, int]]] = field(
        default_factory=dict, compare=False, repr=False)
    # ``point``'s other productions for a call, by its type, argument types and op, with their
    # cumulative weights: made at the first draw.
    points: dict[tuple[Type, tuple[Type, ...], str], Weighted[Production]] = field(
        default_factory=dict, compare=False, repr=False)

    def fits(self, expr: Expr) -> bool:
        """Within the depth limit and, simplified, the size limit (bloat control reads the simplified
        size); the raw body may carry as much again in code the simplifier removes."""
        if expr.depth > self.max_depth or expr.size > 2 * self.max_size:
            return False
        return expr.size <= self.max_size or simplified(expr).size <= self.max_size


@dataclass(frozen=True)
class _View:
    """One expression analysed: nodes, types and scopes in preorder, parents, and levels (root 1)."""

    nodes: list[Expr]
    types: list[Type]
    scopes: list[Env]
    up: list[tuple[int, int]]
    levels: list[int]
    binders: list[Mapping[str, int]]  # per node: let-bound name -> preorder index of its `let`
    typed_nodes: list[int]  # :meth:`typed`, for the site it was made at
    lets: bool  # whether the expression holds a `let` (then a child's view is made anew, not derived)
    # ``swap``'s options at this body (a function of the body and the site, as the view is), by
    # selector: made at its first draw and reused by every later one.
    swaps: dict[str | None, list[tuple[int, int, int]]] = field(default_factory=dict, compare=False, repr=False)
    # Each node's free names (:func:`free_refs`), in preorder: made at the first call of :meth:`free`.
    frees: list[frozenset[str]] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def of(cls, expr: Expr, site: Site) -> _View:
        """The analysis of ``expr`` at ``site``, made once per distinct body (``site.views``): derived
        from its parent's where an operator made it (:meth:`_derive`), else made (:meth:`_make`)."""
        views = site.views
        view = views.peek(expr)
        if view is None:
            view = cls._derive(expr, site) or cls._make(expr, site)
            views.put(expr, view)
        return view

    @classmethod
    def _derive(cls, expr: Expr, site: Site) -> _View | None:
        """The view of ``expr``, a child the operators made by replacing node ``i`` of a parent body by
        ``new`` (``site.derived``), from the parent's view: only ``new`` is typed, the ancestors of
        ``i`` are typed again from their children's types (the rest keeps its types: a child's node
        has its parent's type, and nothing else changed), and the rest of the lists is the parent's,
        indices shifted past ``new``.  The same view as :meth:`_make` (tested); None where it is not
        derived this way: no derivation recorded, ``expr`` not the very object made, a ``let`` in the
        parent or in ``new`` (scopes would change), a type that changed, or an error (which
        :meth:`_make` then reports as the checker does)."""
        found = site.derived.peek(expr)
        if found is None:
            return None
        parent, i, new = found
        up = parent.up
        path: list[tuple[int, int]] = []  # (ancestor, position of the next node toward i), root first
        j = i
        while up[j][0] >= 0:
            path.append(up[j])
            j = up[j][0]
        path.reverse()
        node = expr
        for _, position in path:
            node = node.children()[position]
        if parent.lets or node is not new:
            return None
        added, inner = ([new], [(-1, 0)]) if new.size == 1 else preorder_parents(new)
        if any(type(n) is Let for n in added):
            return None
        try:
            new_types, new_scopes = infer_scoped(new, parent.scopes[i], site.spec, frozenset(site.spec.types))
        except MlevError:
            return None
        if new_types[0] != parent.types[i]:
            return None
        old, grown = parent.nodes[i].size, new.size
        end, shift = i + old, new.size - old
        nodes = parent.nodes[:i] + added + parent.nodes[end:]
        types = parent.types[:i] + new_types + parent.types[end:]
        node = expr
        for a, position in path:  # the ancestors are new objects
            nodes[a] = node
            node = node.children()[position]
        for a, _ in reversed(path):  # and typed again, children first: each must keep its type
            ancestor = nodes[a]
            kids, k = [], a + 1
            for child in ancestor.children():
                kids.append(types[k])
                k += child.size
            if isinstance(ancestor, Tup):  # (the checker refuses a nested tuple: made anew, it says so)
                if any(isinstance(t, TupleType) for t in kids) or TupleType(tuple(kids)) != types[a]:
                    return None
                continue
            if not isinstance(ancestor, Call):  # a let: excluded above
                return None
            try:
                if resolve(ancestor, kids, site.spec, parent.scopes[a]) != types[a]:
                    return None
            except MlevError:
                return None
        below = parent.levels[i] - 1
        levels = [below + 1] * grown
        for k in range(1, grown):
            levels[k] = levels[inner[k][0]] + 1
        return cls(nodes, types, parent.scopes[:i] + new_scopes + parent.scopes[end:],
                   up[:i] + [up[i]] + [(p + i, position) for p, position in inner[1:]]
                   + [(p + shift if p > i else p, position) for p, position in up[end:]],
                   parent.levels[:i] + levels + parent.levels[end:],
                   parent.binders[:i] + [parent.binders[i]] * grown + parent.binders[end:],
                   cls._typed_after(parent.typed_nodes, i, end, shift, new_types, site), False)

    @staticmethod
    def _typed_after(typed: list[int], i: int, end: int, shift: int, new_types: list[Type], site: Site) -> list[int]:
        """:attr:`typed_nodes` of a child whose nodes ``i:end`` of the parent (whose list is ``typed``)
        were replaced by a subtree typed ``new_types``: the parent's before ``i``, the new subtree's,
        and the parent's from ``end`` on, moved by ``shift`` (the types of the rest are unchanged)."""
        known = site.spec.types
        lo, hi = bisect.bisect_left(typed, i), bisect.bisect_left(typed, end)
        after = typed[hi:] if not shift else [k + shift for k in typed[hi:]]
        return typed[:lo] + [i + k for k, t in enumerate(new_types) if isinstance(t, str) and t in known] + after

    @classmethod
    def _make(cls, expr: Expr, site: Site) -> _View:
        types, scopes = infer_scoped(expr, site.env, site.spec, frozenset(site.spec.types))
        nodes, up = preorder_parents(expr)
        levels = [1] * len(up)
        binders: list[Mapping[str, int]] = [{}] * len(up)
        for i in range(1, len(up)):
            parent, position = up[i]
            levels[i] = levels[parent] + 1
            outer = nodes[parent]
            binders[i] = {**binders[parent], outer.name: parent} \
                if isinstance(outer, Let) and position == 1 else binders[parent]
        known = site.spec.types
        typed = [i for i, t in enumerate(types) if isinstance(t, str) and t in known]
        return cls(nodes, types, scopes, up, levels, binders, typed, any(type(n) is Let for n in nodes))

    def typed(self, site: Site) -> list[int]:
        """Indices of nodes whose type the grammar can build (not tuples, not foreign types), at the
        site the view was made for (``site``; views are kept per site): the view's own list, which
        callers read and do not change."""
        return self.typed_nodes

    def arg_types(self, i: int) -> tuple[Type, ...]:
        out, j = [], i + 1
        for arg in self.nodes[i].children():
            out.append(self.types[j])
            j += arg.size
        return tuple(out)

    def replaced(self, i: int, new: Expr) -> Expr:
        """The expression with node ``i`` replaced by ``new`` (``traverse.replace_at``, the rest shared),
        rebuilt up the path of parents the view knows: no search by subtree sizes (tested)."""
        nodes, up, child = self.nodes, self.up, new
        while up[i][0] >= 0:
            i, position = up[i]
            kids = list(nodes[i].children())
            kids[position] = child
            child = with_children(nodes[i], tuple(kids))
        return child

    def kids(self, i: int) -> list[int]:
        """The preorder indices of node ``i``'s children, in order (each after the previous one's subtree):
        ``[j for j in descendants(i) if up[j][0] == i]`` without visiting the grandchildren."""
        out, j = [], i + 1
        for child in self.nodes[i].children():
            out.append(j)
            j += child.size
        return out

    def descendants(self, i: int) -> range:
        return range(i + 1, i + self.nodes[i].size)

    def free(self, j: int) -> frozenset[str]:
        """``free_refs`` of node ``j``: every node's made at the first call, in one bottom-up pass
        (crossover, hoist and remove ask it of many nodes of one body)."""
        frees = self.frees
        if not frees:
            nodes = self.nodes
            made: list[frozenset[str]] = [frozenset()] * len(nodes)
            out: frozenset[str]
            for k in range(len(nodes) - 1, -1, -1):  # reverse preorder: children before parents
                node = nodes[k]
                if isinstance(node, Ref):
                    made[k] = frozenset((node.name,))
                elif isinstance(node, Let):
                    value = k + 1
                    made[k] = made[value] | (made[value + node.value.size] - {node.name})
                else:
                    kid, out = k + 1, frozenset()
                    for child in node.children():
                        out |= made[kid]
                        kid += child.size
                    made[k] = out
            frees.extend(made)
        return frees[j]


def free_refs(expr: Expr) -> set[str]:
    """Names a subtree reads that it does not bind itself."""
    free: set[str] = set()
    stack: list[tuple[Expr, frozenset[str]]] = [(expr, frozenset())]
    while stack:
        node, bound = stack.pop()
        if isinstance(node, Ref) and node.name not in bound:
            free.add(node.name)
        elif isinstance(node, Let):
            stack.append((node.value, bound))
            stack.append((node.body, bound | {node.name}))
        else:
            stack.extend((k, bound) for k in node.children())
    return free


def _movable(subtree: Expr, source: _View, j: int, target: _View, i: int, same: bool) -> bool:
    """Whether ``subtree`` (node ``j`` of ``source``) type-checks and reads the same bindings at
    node ``i`` of ``target``.  Within one expression each free name must resolve to the very same
    binding (a name bound by a ``let`` between the two nodes, or one that a ``let`` shadows, keeps
    the subtree where it is); between two parents a parameter must stay a parameter and a
    ``let``-bound name must again be ``let``-bound, with the same type (``same``: one expression;
    two parents are two even when they are equal)."""
    for n in source.free(j):
        if n not in target.scopes[i] or target.scopes[i][n] != source.scopes[j].get(n):
            return False
        there, here = source.binders[j].get(n), target.binders[i].get(n)
        if (there != here) if same else ((there is None) != (here is None)):
            return False
    return True


def _finish(view: _View, i: int, new: Expr, site: Site) -> Expr | None:
    """The body of ``view`` with node ``i`` replaced by ``new``, or None where it breaks the site's
    limits or is the body itself; its derivation is recorded, for its view (:meth:`_View._derive`)."""
    original, child = view.nodes[0], view.replaced(i, new)
    if not site.fits(child) or child == original:
        return None
    site.derived.put(child, (view, i, new))
    return child


def _select(view: _View, candidates: list[int], sel: str | None) -> list[int]:
    """The ``candidates`` that selector ``sel`` accepts (None and ``any``: all of them).

    Selectors (``grammar/oplang.py``): any, leaf, internal, root, shallow (levels 1-2), deep (the
    deeper half of the tree), or a type name."""
    if sel is None or sel == "any":
        return candidates
    deep = (max(view.levels) + 1) // 2
    accept: dict[str, Callable[[int], bool]] = {
        "leaf": lambda i: view.nodes[i].size == 1, "internal": lambda i: view.nodes[i].size > 1,
        "root": lambda i: i == 0, "shallow": lambda i: view.levels[i] <= 2, "deep": lambda i: view.levels[i] > deep}
    test: Callable[[int], bool] = accept.get(sel, lambda i: view.types[i] == sel)
    return [i for i in candidates if test(i)]


def _pick(view: _View, candidates: list[int], sel: str | None, rng: random.Random) -> int | None:
    """A random node among the ``candidates`` that ``sel`` accepts, or None if there is none."""
    chosen = _select(view, candidates, sel)
    return rng.choice(chosen) if chosen else None


# ---------------------------------------------------------------------------------------- mutations
def subtree_regrow(expr: Expr, site: Site, rng: random.Random, sel: str | None = None,
                   depth: int | None = None) -> Expr | None:
    """Subtree mutation (Koza 1992): replace a random subtree by a freshly grown one of its type
    (at most ``depth`` deep; default: the site's regrow depth)."""
    view = _View.of(expr, site)
    i = _pick(view, view.typed(site) or [0], sel, rng)
    if i is None:
        return None
    t = view.types[i]
    room = min(depth or site.regrow_depth, site.max_depth - view.levels[i] + 1)
    if not isinstance(t, str) or t not in site.spec.types or room < min_depth(site.spec, t, view.scopes[i]):
        return None
    new = generate(site.spec, t, rng, env=view.scopes[i], max_depth=room, method="grow")
    return _finish(view, i, new, site)


def point_mutation(expr: Expr, site: Site, rng: random.Random, sel: str | None = None) -> Expr | None:
    """Point mutation (McKay et al. 1995): swap a primitive for another of the same signature, or a
    leaf for another leaf of its type."""
    view = _View.of(expr, site)
    i = _pick(view, view.typed(site) or [0], sel, rng)
    if i is None:
        return None
    node, t = view.nodes[i], view.types[i]
    if isinstance(node, Call) and node.args:
        args = view.arg_types(i)
        key = (t, args, node.op)
        others = site.points.get(key)
        if others is None:
            made = [p for p in site.spec.by_result.get(str(t), ())
                    if p.args == args and p.op != node.op and p.rule is None]
            others = site.points[key] = _weighted(made, (max(p.weight, 1e-9) for p in made))
        if not others[0]:
            return None
        pick = weighted_choice(rng, *others)
        return _finish(view, i, Call(pick.op, node.args), site)
    if isinstance(node, (Num, Ref)) or (isinstance(node, Call) and not node.args):
        if not isinstance(t, str) or min_depth(site.spec, t, view.scopes[i]) > 1:
            return None
        return _finish(view, i, generate(site.spec, t, rng, env=view.scopes[i], max_depth=1), site)
    return None


def hoist(expr: Expr, site: Site, rng: random.Random, sel: str | None = None, direct: bool = False) -> Expr | None:
    """Hoist mutation (Kinnear 1994): replace a subtree by one of its own subtrees of the same type
    (``direct``: one of its arguments, which unwraps the call)."""
    view = _View.of(expr, site)
    i = _pick(view, view.typed(site) or [0], sel, rng)
    if i is None:
        return None
    inside = view.kids(i) if direct else view.descendants(i)
    options = [j for j in inside if view.types[j] == view.types[i] and _movable(view.nodes[j], view, j, view, i, True)]
    if not options:
        return None
    return _finish(view, i, view.nodes[rng.choice(options)], site)


def shrink(expr: Expr, site: Site, rng: random.Random, sel: str | None = None) -> Expr | None:
    """Shrink mutation (Angeline 1996): replace a subtree by a smallest expression of its type."""
    view = _View.of(expr, site)
    i = _pick(view, [i for i in view.typed(site) if view.nodes[i].size > 1], sel, rng)
    if i is None:
        return None
    t = str(view.types[i])
    depth = min_depth(site.spec, t, view.scopes[i])
    if math.isinf(depth):
        return None
    new = generate(site.spec, t, rng, env=view.scopes[i], max_depth=int(depth))
    return _finish(view, i, new, site)


def wrap(expr: Expr, site: Site, rng: random.Random, sel: str | None = None, rules: bool = False) -> Expr | None:
    """Insertion (wrap) mutation: put a subtree inside a new primitive call that takes a value of its
    type, the call's other arguments grown fresh (the inverse of hoist).  With ``rules``, inside a
    learned rule (its body filled in), the *macro* step of evolved operators."""
    view = _View.of(expr, site)
    i = _pick(view, view.typed(site) or [0], sel, rng)
    if i is None:
        return None
    t, scope = view.types[i], view.scopes[i]
    key: tuple[str, Type, frozenset[str]] = ("wrap-rules" if rules else "wrap", t, frozenset())
    options = site.wrappers.get(key)
    if options is None:
        made = [(p, k) for p in site.spec.by_result.get(str(t), ()) if not rules or p.rule is not None
                for k, a in enumerate(p.args) if a == t]
        options = site.wrappers[key] = _weighted(made, (max(p.weight, 1e-9) for p, _ in made))
    if not options[0]:
        return None
    p, k = weighted_choice(rng, *options)
    args: list[Expr] = []
    for position, a in enumerate(p.args):
        if position == k:
            args.append(view.nodes[i])
            continue
        need = min_depth(site.spec, a, scope)
        if math.isinf(need):
            return None
        args.append(generate(site.spec, a, rng, env=scope, max_depth=int(need) + 1))
    return _finish(view, i, site.spec.build(p, args), site)


def refold(expr: Expr, site: Site, rng: random.Random, sel: str | None = None) -> Expr | None:
    """At an instance of a learned rule (a subtree its body matches), keep the rule and grow its
    arguments anew: the *fold* step of evolved operators, which varies what a motif is applied to."""
    view = _View.of(expr, site)
    rules = [p for p in site.spec.productions if p.rule is not None]
    options = [(i, p) for i in _select(view, view.typed(site), sel) for p in rules if view.types[i] == p.result
               and match_at(p.rule.expanded, view.nodes, view.types, i, p.args) is not None]  # type: ignore[union-attr]
    if not options:
        return None
    i, p = rng.choice(options)
    scope = view.scopes[i]
    needs = [min_depth(site.spec, a, scope) for a in p.args]
    if any(math.isinf(n) for n in needs):
        return None
    args = [generate(site.spec, a, rng, env=scope, max_depth=int(n) + 1) for a, n in zip(p.args, needs, strict=True)]
    return _finish(view, i, site.spec.build(p, args), site)


def swap_arguments(expr: Expr, site: Site, rng: random.Random, sel: str | None = None) -> Expr | None:
    """Argument swap: exchange two same-typed arguments of a non-commutative call (a - b -> b - a)."""
    view = _View.of(expr, site)
    options = view.swaps.get(sel)
    if options is None:
        options = view.swaps[sel] = []
        commutative = COMMUTATIVE | site.spec.commutative_ops
        for i in _select(view, list(range(len(view.nodes))), sel):
            node = view.nodes[i]
            if isinstance(node, Call) and node.op not in commutative:
                args = view.arg_types(i)
                options += [(i, a, b) for a in range(len(args)) for b in range(a + 1, len(args))
                            if args[a] == args[b] and node.args[a] != node.args[b]]
    if not options:
        return None
    i, a, b = rng.choice(options)
    node = view.nodes[i]
    assert isinstance(node, Call)
    swapped = list(node.args)
    swapped[a], swapped[b] = swapped[b], swapped[a]
    return _finish(view, i, Call(node.op, tuple(swapped)), site)


def perturb_constant(expr: Expr, site: Site, rng: random.Random) -> Expr | None:
    """Constant perturbation (AutoML-Zero, Real et al. 2020): multiply a literal by U[0.5, 2]; a real
    constant flips its sign with probability 0.1 (by ``neg``: only where the grammar has ``neg``)."""
    view = _View.of(expr, site)
    literals = [i for i, n in enumerate(view.nodes) if isinstance(n, Num)]
    if not literals:
        return None
    i = rng.choice(literals)
    node = view.nodes[i]
    assert isinstance(node, Num)
    factor = rng.uniform(0.5, 2.0)
    if node.is_int:
        return _finish(view, i, Num(max(1, round(node.value * factor)), is_int=True), site)
    value = float(f"{node.value * factor:.4g}")
    parent = view.up[i][0]
    negated = parent >= 0 and isinstance(view.nodes[parent], Call) and view.nodes[parent].op == "neg"  # type: ignore[union-attr]
    if rng.random() < 0.1:  # flip the sign: unwrap a neg, or wrap in one where the grammar has it
        if negated:
            return _finish(view, parent, Num(value), site)
        if any(p.args == (view.types[i],) for p in site.spec.by_op.get("neg", ())):
            return _finish(view, i, const(-value if value else 0.0), site)
    return _finish(view, i, Num(value), site)


def insert_operation(expr: Expr, site: Site, rng: random.Random, sel: str | None = None) -> Expr | None:
    """Insert one operation (AutoML-Zero's insert-instruction mutation, Real et al. 2020, on trees):
    put a subtree inside one new primitive call that takes a value of its type, the call's other
    arguments a single leaf each (a variable or a literal), so the body grows by exactly one
    operation and its leaves."""
    view = _View.of(expr, site)
    i = _pick(view, view.typed(site) or [0], sel, rng)
    if i is None:
        return None
    t, scope = view.types[i], view.scopes[i]
    key = ("insert", t, frozenset(v for v in scope.values() if isinstance(v, str)))  # what min_depth reads
    options = site.wrappers.get(key)
    if options is None:
        made = [(p, k) for p in site.spec.by_result.get(str(t), ()) if p.rule is None
                for k, a in enumerate(p.args) if a == t
                and all(min_depth(site.spec, b, scope) <= 1 for n, b in enumerate(p.args) if n != k)]
        options = site.wrappers[key] = _weighted(made, (max(p.weight, 1e-9) for p, _ in made))
    if not options[0]:
        return None
    p, k = weighted_choice(rng, *options)
    args = [view.nodes[i] if n == k else generate(site.spec, a, rng, env=scope, max_depth=1)
            for n, a in enumerate(p.args)]
    return _finish(view, i, site.spec.build(p, args), site)


def remove_operation(expr: Expr, site: Site, rng: random.Random, sel: str | None = None) -> Expr | None:
    """Remove one operation (AutoML-Zero's remove-instruction mutation, Real et al. 2020, on trees):
    replace a call by one of its own arguments of the same type (which unwraps it), or, where it has
    none (``dot(w, x)``), by a leaf of its type; the call's other arguments go with it."""
    view = _View.of(expr, site)
    calls = [i for i in view.typed(site) if isinstance(view.nodes[i], Call) and view.nodes[i].size > 1]
    i = _pick(view, calls, sel, rng)
    if i is None:
        return None
    t = view.types[i]
    args = [j for j in view.kids(i) if view.types[j] == t and _movable(view.nodes[j], view, j, view, i, True)]
    if args:
        return _finish(view, i, view.nodes[rng.choice(args)], site)
    if not isinstance(t, str) or min_depth(site.spec, t, view.scopes[i]) > 1:
        return None
    return _finish(view, i, generate(site.spec, t, rng, env=view.scopes[i], max_depth=1), site)


# ---------------------------------------------------------------------------------------- crossover
def subtree_crossover(a: Expr, b: Expr, site: Site, rng: random.Random, sel: str | None = None) -> Expr | None:
    """Subtree crossover (Koza 1992): replace a random subtree of ``a`` by a subtree of ``b`` of the
    same type whose free names mean the same at the insertion point.  Evolved operators use it as
    *graft*, with an elite as ``b``."""
    va, vb = _View.of(a, site), _View.of(b, site)
    i = _pick(va, va.typed(site) or [0], sel, rng)
    if i is None:
        return None
    options = [j for j in range(len(vb.nodes)) if vb.types[j] == va.types[i]
               and _movable(vb.nodes[j], vb, j, va, i, False)]
    if not options:
        return None
    return _finish(va, i, vb.nodes[rng.choice(options)], site)


Mutation = Callable[[Expr, Site, random.Random], Expr | None]
Crossover = Callable[[Expr, Expr, Site, random.Random], Expr | None]

MUTATIONS: dict[str, Mutation] = {
    "regrow": subtree_regrow,
    "point": point_mutation,
    "hoist": hoist,
    "shrink": shrink,
    "wrap": wrap,
    "swap": swap_arguments,
    "tweak": perturb_constant,
    "insert": insert_operation,
    "remove": remove_operation,
}
# Relative odds of each mutation when one is drawn (1 where absent): removing an operation is twice
# as likely as inserting one, a pressure toward small bodies (the brief of issue 15 and AutoML-Zero's
# fixed-size methods).
MUTATION_WEIGHTS: dict[str, float] = {"insert": 1.0, "remove": 2.0}


_MUTATION_NAMES = list(MUTATIONS)
# MUTATION_WEIGHTS accumulated, as ``random.choices`` accumulates ``weights=`` (so the same draw)
_MUTATION_CUMULATIVE = list(itertools.accumulate(MUTATION_WEIGHTS.get(n, 1.0) for n in _MUTATION_NAMES))


def choose_mutation(rng: random.Random) -> str:
    """A mutation's name, drawn with :data:`MUTATION_WEIGHTS`."""
    return weighted_choice(rng, _MUTATION_NAMES, _MUTATION_CUMULATIVE)


CROSSOVERS: dict[str, Crossover] = {"crossover": subtree_crossover}
