"""Render a typed grammar as a Lark grammar with one family of nonterminals per type.

For each type ``T`` the rules ``t_expr``, ``t_sum``, ``t_product``, ``t_unary`` and ``t_atom``
follow the precedence levels of the surface syntax, so the text the printer writes for any program
generated from the spec parses under the start rule of its type.  Variables are untyped in a
context-free grammar (``t_atom: NAME``), and so is the value of a ``let``.  The rendering is
ambiguous across overloads, so it is meant for Lark's Earley parser; it documents the search space
and checks it, while the LALR parser of ``dsl/mlev.lark`` parses files.
"""

from __future__ import annotations

from lark import Lark

from mlevolve.dsl.printer import INFIX, PRODUCT, SUM
from mlevolve.grammar.spec import GrammarSpec, Production
from mlevolve.messages import counted

_LEVEL_RULE = {SUM: "sum", PRODUCT: "product"}


def _nt(type_: str, level: str) -> str:
    return f"{type_.lower()}_{level}"


def _alternative(p: Production) -> tuple[str, str] | None:
    """(rule it belongs to, right-hand side) for one production, as the printer writes it."""
    if p.op in INFIX and len(p.args) == 2:
        symbol, level = INFIX[p.op]
        left, right = p.args
        name = _LEVEL_RULE[level]
        below = "product" if level == SUM else "unary"
        return _nt(p.result, name), f'{_nt(left, name)} "{symbol}" {_nt(right, below)}'
    if p.op == "neg" and len(p.args) == 1:
        return _nt(p.result, "unary"), f'"-" {_nt(p.args[0], "unary")}'
    args = ' "," '.join(_nt(a, "expr") for a in p.args)
    return _nt(p.result, "atom"), f'"{p.op}" "(" {args} ")"'.replace('  ', ' ')


def render_lark(spec: GrammarSpec) -> str:
    """The Lark text of ``spec``; start rules are ``<type>_expr``, e.g. ``scalar_expr``."""
    rules: dict[str, list[str]] = {}
    for t in spec.types:
        rules[_nt(t, "expr")] = [_nt(t, "sum"), f'"let" NAME "=" any_expr "in" {_nt(t, "expr")}']
        rules[_nt(t, "sum")] = [_nt(t, "product")]
        rules[_nt(t, "product")] = [_nt(t, "unary")]
        rules[_nt(t, "unary")] = [_nt(t, "atom")]
        rules[_nt(t, "atom")] = ["NAME", f'"(" {_nt(t, "expr")} ")"']
        if t in spec.literals:
            rules[_nt(t, "atom")].append("INT" if spec.literals[t].is_int else "NUMBER")
    docs: dict[str, list[str]] = {}
    for p in spec.productions:
        alternatives = [p]
        if p.commutative and len(p.args) == 2 and p.args[0] != p.args[1]:
            alternatives.append(Production(p.op, p.args[::-1], p.result))
        for q in alternatives:
            alt = _alternative(q)
            if alt is not None and alt[1] not in rules[alt[0]]:
                rules[alt[0]].append(alt[1])
                docs.setdefault(alt[0], []).append(f"{q}  (weight {p.weight:g})")
    lines = [f"// Typed grammar '{spec.name}': {counted(len(spec.productions), 'production')} over "
             f"{counted(len(spec.types), 'type')}. One rule family per type.", ""]
    lines.append("any_expr: " + " | ".join(_nt(t, "expr") for t in spec.types))
    for name, alts in rules.items():
        for doc in docs.get(name, ()):
            lines.append(f"// {doc}")
        lines.append(f"{name}: " + "\n    | ".join(alts))
    lines += [
        "",
        "NAME: /[A-Za-z_][A-Za-z0-9_]*/",
        "INT: /\\d+/",
        "NUMBER: /(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?/",
        "%import common.WS",
        "%ignore WS",
        "",
    ]
    return "\n".join(lines)


def lark_parser(spec: GrammarSpec) -> Lark:
    """An Earley parser for the rendered grammar, with one start rule per type."""
    return Lark(render_lark(spec), parser="earley", start=[_nt(t, "expr") for t in spec.types],
                ambiguity="resolve")
