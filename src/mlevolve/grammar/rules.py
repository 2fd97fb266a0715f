"""Learned rules (macros): typed productions whose bodies are base-language expressions with holes.

A rule ``sq_plus(Scalar, Scalar) -> Scalar = h0 * h0 + h1`` is a production like any other, so the
generator, the operators and the type checker use it unchanged; but it never reaches a program:
building a call of it substitutes its arguments for the holes ``h0, h1, ...`` of its *expanded*
body (rules may call earlier rules; expansion inlines them once, when the rule is loaded).  So every
program stays a base program that the unchanged base language parses, checks and compiles, and
archives hold only base programs.

Invariants, checked when a rule is made (each a :class:`GrammarError` naming the rule):
the signature names known types only (rules add no types); the body type-checks to the result with
the holes typed by the signature; it uses every hole, no other name and no ``let``; it calls only
productions defined before it (so the library is acyclic); its name is new.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from mlevolve.dsl.check import Primitives, fits, infer
from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Call, Definition, Expr, Let, Num, Program, Ref, Tup, with_children
from mlevolve.dsl.printer import format_expr
from mlevolve.dsl.traverse import fold, walk
from mlevolve.dsl.types import Type


class RuleError(MlevError):
    """A learned rule that breaks one of the library's invariants."""


def hole(k: int) -> str:
    """The name of a rule's ``k``-th hole."""
    return f"h{k}"


@dataclass(frozen=True, slots=True)
class Rule:
    """A learned rule with its provenance.  ``body`` is as written (it may call earlier rules);
    ``expanded`` has every rule call inlined, so it is a base expression over the holes."""

    body: Expr
    expanded: Expr
    types: frozenset[str]  # every type its expansion computes with
    sources: tuple[str, ...] = ()  # the tasks whose elites it was mined from
    generation: int = 0  # the meta-generation that added it
    uses: int = 0  # occurrences in the mined elites when it was added

    @property
    def offsets(self) -> tuple[int, ...]:
        """For each hole, the deepest level it occurs at below the root (a direct argument: 1)."""
        levels: dict[str, int] = {}
        stack: list[tuple[Expr, int]] = [(self.expanded, 0)]
        while stack:
            node, level = stack.pop()
            if isinstance(node, Ref):
                levels[node.name] = max(levels.get(node.name, 0), level)
            stack.extend((k, level + 1) for k in node.children())
        return tuple(levels[hole(k)] for k in range(len(levels)))

    @property
    def height(self) -> int:
        """The expanded body's depth with holes counted as leaves."""
        return self.expanded.depth

    @property
    def text(self) -> str:
        return format_expr(self.body)


def substitute(body: Expr, args: Sequence[Expr]) -> Expr:
    """``body`` with hole ``k`` replaced by ``args[k]`` everywhere (bodies bind no names: no capture)."""
    table = {hole(k): a for k, a in enumerate(args)}

    def combine(node: Expr, kids: list[Expr]) -> Expr:
        if isinstance(node, Ref):
            return table.get(node.name, node)
        return with_children(node, tuple(kids)) if kids else node

    return fold(body, combine)


def children(nodes: Sequence[Expr], i: int) -> list[int]:
    """Preorder indices of the children of node ``i`` of a preorder list ``nodes``."""
    out, j = [], i + 1
    for kid in nodes[i].children():
        out.append(j)
        j += kid.size
    return out


def match_at(template: Expr, nodes: Sequence[Expr], types: Sequence[Type], i: int,
             args: Sequence[str]) -> list[int] | None:
    """Whether node ``i`` (of preorder ``nodes``, typed ``types``) is an instance of ``template``
    (a body over holes typed ``args``): the preorder indices bound to the holes, or None."""
    bound: dict[str, int] = {}
    stack = [(template, i)]
    while stack:
        t, j = stack.pop()
        n = nodes[j]
        if isinstance(t, Ref):
            if t.name in bound:
                if nodes[bound[t.name]] != n:
                    return None
            elif types[j] != args[int(t.name[1:])]:
                return None
            else:
                bound[t.name] = j
        elif isinstance(t, Num):
            if not (isinstance(n, Num) and n.value == t.value and n.is_int == t.is_int):
                return None
        elif isinstance(t, Call):
            if not (isinstance(n, Call) and n.op == t.op and len(n.args) == len(t.args)):
                return None
            stack.extend(zip(t.args, children(nodes, j), strict=True))
        else:
            return None
    return [bound[hole(k)] for k in range(len(bound))]


def make_rule(name: str, args: Sequence[str], result: str, body: Expr, prims: Primitives,
              rules: Mapping[str, Rule], types: Sequence[str], **provenance: object) -> Rule:
    """Check a rule against the invariants above and expand it; ``rules`` are the rules before it."""
    for t in (*args, result):
        if t not in types:
            raise RuleError(f"rule {name} names type {t!r}, which the grammar does not have",
                            hint=f"rules add no types; types: {', '.join(types)}")
    holes = {hole(k): t for k, t in enumerate(args)}
    for node in walk(body):
        if isinstance(node, (Let, Tup)):
            raise RuleError(f"rule {name}: a body may not bind names or build tuples",
                            hint="write one expression over the holes h0, h1, ...")
        if isinstance(node, Ref) and node.name not in holes:
            raise RuleError(f"rule {name} reads {node.name!r}, which is not one of its holes",
                            hint=f"its holes are {', '.join(holes) or 'none'} (one per argument type)")
    used = {n.name for n in walk(body) if isinstance(n, Ref)}
    if missing := [h for h in holes if h not in used]:
        raise RuleError(f"rule {name} never uses hole {missing[0]}", hint="drop the argument or use it")
    try:
        found_types = infer(body, holes, prims)
    except MlevError as err:
        raise RuleError(f"rule {name} does not type-check: {err.message}", hint=err.hint) from None
    found = found_types[0]
    inner = {t for t in found_types if isinstance(t, str)}
    inner.update(*(rules[n.op].types for n in walk(body) if isinstance(n, Call) and n.op in rules))
    if not fits(body, found, result):
        raise RuleError(f"rule {name} is declared -> {result} but its body is a {found}",
                        hint="fix the signature or the body")

    expanded = expand(body, rules)
    return Rule(body, expanded, frozenset(inner), **provenance)  # type: ignore[arg-type]


def expand(expr: Expr, rules: Mapping[str, Rule]) -> Expr:
    """``expr`` with every call of a rule inlined: a base expression."""
    if not rules or not any(isinstance(n, Call) and n.op in rules for n in walk(expr)):
        return expr
    return fold(expr, lambda node, kids: substitute(rules[node.op].expanded, kids)
                if isinstance(node, Call) and node.op in rules
                else (with_children(node, tuple(kids)) if kids else node))



def expand_program(program: Program, rules: Mapping[str, Rule]) -> Program:
    """``program`` with every call of a rule inlined in every definition and method body."""
    if not rules:
        return program

    def inline(d: Definition) -> Definition:
        d = replace(d, methods=tuple(inline(m) for m in d.methods))
        return d.replace_body(expand(d.body, rules)) if d.body is not None else d

    return replace(program, definitions=tuple(inline(d) for d in program.definitions))
