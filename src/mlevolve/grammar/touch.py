"""Whether a grammar changes what an evolved slot draws: a run given a grammar whose changes (weights, learned
rules, literals, operators) all fall outside its slots' types searches exactly as the base grammar does, and is
told so in one note rather than silently (a formula generator of ``mlevolve meta`` given to an update rule's run).

A slot draws from ``spec.restrict(types)`` (``gp/engine.py``), its kind's types; the portfolio of evolved operators
and its floor serve every slot.  Cheap: one restricted grammar per slot's types, compared production by production.
"""

from __future__ import annotations

from collections.abc import Iterable

from mlevolve.grammar.spec import GrammarSpec


def _drawn(spec: GrammarSpec, types: frozenset[str]) -> tuple[object, ...]:
    """What a slot computing with ``types`` draws from ``spec``: its productions (ids, weights, rules, in order),
    literals and variable weight."""
    sub = spec.restrict(types)
    return (sub.productions, dict(sub.literals), sub.variable_weight)


def changed_types(spec: GrammarSpec, base: GrammarSpec) -> list[str]:
    """The result types of the productions ``spec`` adds, drops or weighs otherwise than ``base``, and of the
    literals it draws otherwise, in ``spec``'s type order (types ``base`` lacks after its own)."""
    was = {p.id: p for p in base.productions}
    now = {p.id: p for p in spec.productions}
    touched = {p.result for i, p in now.items() if was.get(i) != p} | {p.result for i, p in was.items() if i not in now}
    touched |= {t for t in {*spec.literals, *base.literals} if spec.literals.get(t) != base.literals.get(t)}
    order = [*base.types, *(t for t in spec.types if t not in base.types)]
    return [t for t in order if t in touched]


def untouched_note(spec: GrammarSpec, base: GrammarSpec, slots: Iterable[tuple[str, frozenset[str]]],
                   label: str) -> str | None:
    """The note (without its ``note:``) that ``spec``, named ``label``, changes nothing any of ``slots`` (each a
    name and the types its body computes with) draws from ``base``; None where it changes something one draws, or
    where it changes nothing at all (the base grammar itself, or a copy of it)."""
    named = list(slots)
    if spec.operators != base.operators or spec.floor != base.floor:  # the portfolio serves every slot
        return None
    if any(_drawn(spec, types) != _drawn(base, types) for _, types in named):
        return None
    touched = changed_types(spec, base)
    focused = [f.name for f in spec.focus if f not in base.focus]
    if not touched and not focused and spec.variable_weight == base.variable_weight:
        return None
    parts = [f"to {'/'.join(touched)} productions" if touched else "",
             f"to the weights within {', '.join(repr(n) for n in focused)} bodies" if focused else ""]
    which = ", ".join(repr(n) for n, _ in named)
    slot = f"the evolved slot {which}" if len(named) == 1 else f"the evolved slots {which}"
    return (f"grammar {label} changes nothing {slot} draws (its changes are {' and '.join(p for p in parts if p)}):"
            " this run searches as the base grammar does")
