"""Rule discovery: mine typed abstractions (rules with holes) that compress the elites of many tasks.

A compressor in the spirit of stitch (Bowers et al. 2023), simplified to what a GP library needs:

1. every internal node of every elite proposes *templates*: its subtree cut at depth 1, 2 or 3 below
   it, each cut subtree and every variable becoming a typed hole (identical cut subtrees share one
   hole in one variant, get their own in another); literals above the cut stay in the body;
2. a template's utility is the number of nodes rewriting saves (each use's subtree becomes one call
   over its bound arguments, a repeated hole's argument once); only templates used at least twice,
   on ``min_tasks`` different tasks, qualify;
3. the best is added as a rule, the corpus is rewritten with it (outermost matches first), and
   mining repeats on the rewritten corpus, so later rules may call earlier ones.

Every rewrite is checked: expanding the rewritten program must give back the original exactly.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mlevolve.dsl.check import infer
from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Call, Expr, Let, Num, Ref, Tup, with_children
from mlevolve.dsl.printer import format_expr
from mlevolve.dsl.traverse import preorder
from mlevolve.dsl.types import Type
from mlevolve.grammar.rules import children as _children
from mlevolve.grammar.rules import hole, make_rule, match_at
from mlevolve.grammar.spec import GrammarSpec, Production

CUTS = (1, 2, 3)


@dataclass(frozen=True)
class Elite:
    """One program body of the corpus: the task it solved and the names in scope (with types)."""

    task: str
    body: Expr
    env: Mapping[str, Type]


@dataclass(frozen=True)
class Mined:
    """A mined rule: its production (ready to add to a grammar) and the evidence for it."""

    production: Production
    uses: int
    tasks: tuple[str, ...]
    utility: int


def rule_name(body: Expr, args: Sequence[str], result: str) -> str:
    """A content-derived name, so the same motif found twice is the same rule."""
    key = f"{format_expr(body)}:{','.join(args)}->{result}"
    return "r_" + hashlib.blake2b(key.encode(), digest_size=3).hexdigest()


def _abstract(nodes: Sequence[Expr], types: Sequence[Type], start: int, cut: int,
              merge: bool) -> tuple[Expr, tuple[str, ...]] | None:
    """Node ``start``'s subtree cut ``cut`` levels down: cut subtrees and variables become holes
    (identical ones one hole, if ``merge``).  Recursion is bounded by ``cut``."""
    holes: dict[object, int] = {}
    hole_types: list[str] = []

    def abstract(i: int, level: int) -> Expr | None:
        node, t = nodes[i], types[i]
        if isinstance(node, (Let, Tup)) or not isinstance(t, str):
            return None
        if isinstance(node, Num):
            return node
        if isinstance(node, Ref) or level == cut:
            key = node if merge else i
            if key not in holes:
                holes[key] = len(holes)
                hole_types.append(t)
            return Ref(hole(holes[key]))
        assert isinstance(node, Call)
        kids = [abstract(j, level + 1) for j in _children(nodes, i)]
        return None if any(k is None for k in kids) else Call(node.op, tuple(kids))  # type: ignore[arg-type]

    body = abstract(start, 0)
    return None if body is None or not holes else (body, tuple(hole_types))


def _fixed(body: Expr) -> int:
    """A template's nodes that are not holes."""
    return sum(1 for n in preorder(body) if not isinstance(n, Ref))


def templates(nodes: Sequence[Expr], types: Sequence[Type], start: int) -> list[tuple[Expr, tuple[str, ...]]]:
    """The distinct templates node ``start`` proposes, (body over holes, hole types), each with at
    least two fixed nodes (a single call with holes for arguments is a production already)."""
    out: list[tuple[Expr, tuple[str, ...]]] = []
    for cut in CUTS:
        for merge in (True, False):
            found = _abstract(nodes, types, start, cut, merge)
            if found is not None and _fixed(found[0]) >= 2 and found not in out:
                out.append(found)
    return out


def rewrite(expr: Expr, env: Mapping[str, Type], spec: GrammarSpec, rule: Production) -> tuple[Expr, int]:
    """``expr`` with every outermost match of ``rule``'s body folded into a call of it, and the
    number of folds.  ``spec`` types ``expr``."""
    assert rule.rule is not None
    nodes, types = preorder(expr), infer(expr, env, spec)
    accepted: dict[int, list[int]] = {}
    covered: set[int] = set()
    for i in range(len(nodes)):  # top down: an outer match hides the matches in its fixed part
        if i in covered or types[i] != rule.result:
            continue
        bound = match_at(rule.rule.body, nodes, types, i, rule.args)
        if bound is not None:
            accepted[i] = bound
            kept = {j for b in bound for j in range(b, b + nodes[b].size)}
            covered.update(j for j in range(i, i + nodes[i].size) if j not in kept)
    out: list[Expr | None] = [None] * len(nodes)
    for i in reversed(range(len(nodes))):  # bottom up: children are built before their parent
        if i in accepted:
            out[i] = Call(rule.op, tuple(out[b] for b in accepted[i]))  # type: ignore[misc]
        else:
            kids = _children(nodes, i)
            out[i] = with_children(nodes[i], tuple(out[j] for j in kids)) if kids else nodes[i]  # type: ignore[misc]
    assert out[0] is not None
    return out[0], len(accepted)


def _saved(template: Expr, args: tuple[str, ...], at: set[tuple[int, int]],
           views: Sequence[tuple[list[Expr], list[Type]]]) -> int:
    """Nodes saved by folding ``template`` at ``at`` (program, node): each use replaces its subtree
    by one call node whose arguments are the bound subtrees (a repeated hole's subtree once)."""
    saved = 0
    for p, i in at:
        nodes, types = views[p]
        bound = match_at(template, nodes, types, i, args)
        assert bound is not None
        saved += nodes[i].size - 1 - sum(nodes[b].size for b in bound)
    return saved


def drawn_by(template: Expr, args: tuple[str, ...], spec: GrammarSpec) -> bool:
    """Whether ``spec`` draws ``template`` (over holes of types ``args``): each of its calls is one of the grammar's
    productions (its rules included) at the types it is called with.  A rule's body is drawn whole, so it may call
    no op the grammar lacks (:func:`~mlevolve.grammar.rules.make_rule` checks it so, :attr:`GrammarSpec.drawn`),
    while an elite may: the engine writes its own arithmetic (``add sub mul div neg``, the fit's ``a + b * f``) into
    programs under any grammar (:meth:`GrammarSpec.overloads`), and a motif of it is no rule of a grammar without
    that op.  Such a template is passed over, the next best mined instead."""
    try:
        infer(template, {hole(k): t for k, t in enumerate(args)}, spec.drawn)
    except MlevError:
        return False
    return True


def mine(elites: Sequence[Elite], spec: GrammarSpec, *, max_rules: int = 3, min_tasks: int = 2,
         generation: int = 0) -> tuple[list[Mined], GrammarSpec]:
    """Up to ``max_rules`` rules that compress ``elites`` (each used on ``min_tasks`` tasks), and
    ``spec`` with them added: each the best motif that ``spec`` draws (:func:`drawn_by`; one of ops the grammar
    lacks is passed over).  Raises AssertionError if a rewrite does not re-expand exactly."""
    corpus = [e.body for e in elites]
    found: list[Mined] = []
    current = spec
    proposed: dict[tuple[Expr, tuple[Type, ...]], list[tuple[Expr, tuple[str, ...]]]] = {}
    for _ in range(max_rules):
        where: dict[tuple[Expr, tuple[str, ...], str], set[tuple[int, int]]] = defaultdict(set)
        tasks: dict[tuple[Expr, tuple[str, ...], str], set[str]] = defaultdict(set)
        views = [(preorder(body), infer(body, elite.env, current)) for elite, body in zip(elites, corpus, strict=True)]
        for p, (elite, (nodes, types)) in enumerate(zip(elites, views, strict=True)):
            for i, node in enumerate(nodes):
                if isinstance(node, Call) and node.args and isinstance(types[i], str):
                    memo = (node, tuple(types[i:i + node.size]))  # elites share most subtrees
                    if memo not in proposed:
                        proposed[memo] = templates(nodes, types, i)
                    for template, args in proposed[memo]:
                        key = (template, args, str(types[i]))
                        where[key].add((p, i))
                        tasks[key].add(elite.task)

        eligible = [k for k in where if len(tasks[k]) >= min_tasks and len(where[k]) >= 2]
        if not eligible:
            break
        utility = {k: _saved(k[0], k[1], where[k], views) for k in eligible}
        ranked = sorted(eligible, key=lambda k: (utility[k], format_expr(k[0]), k[1]), reverse=True)  # (stable)
        best = next((k for k in ranked if drawn_by(k[0], k[1], current)), None)
        if best is None:
            break
        template, args, result = best
        name = rule_name(template, args, result)
        rule = make_rule(name, args, result, template, current.drawn, current.rules, current.types,
                         sources=tuple(sorted(tasks[best])), generation=generation, uses=len(where[best]))
        production = Production(name, args, result, 1.0, f"mined in meta-generation {generation}", rule=rule)
        grown = current.add(production)
        rewritten = []
        for elite, body in zip(elites, corpus, strict=True):
            new, _ = rewrite(body, elite.env, current, production)
            assert grown.expand(new) == elite.body, f"rule {name} does not re-expand {format_expr(elite.body)}"
            rewritten.append(new)
        corpus, current = rewritten, grown
        found.append(Mined(production, len(where[best]), tuple(sorted(tasks[best])), utility[best]))
    return found, current
