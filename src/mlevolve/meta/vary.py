"""Variation of meta-individuals.  A meta-individual is a :class:`GrammarSpec`: production weights,
a library of learned rules and an operator portfolio; every operator here returns a new, valid one.

* :func:`perturb_weights`: log-normal noise on a quarter of the relevant weights;
* :func:`add_rule`: a rule from the mined pool, its body folded through the rules already there;
* :func:`delete_rule`: drops a rule, inlining it into the rules that use it;
* :func:`mutate_operators`: adds, deletes, edits or reweights one evolved operator program;
* :func:`crossover`: weights taken per production from either parent, the union of the libraries,
  operators from either, and one operator spliced from both (:func:`splice`).

:func:`mix_base` is not a variation but the *do-no-harm floor* every inner run samples through:
the generator mixed with the base grammar with weight λ, per result type.  :func:`bounded_step` is not
one either: the *trust region* of ``[meta] max_step``, a snapshot moved toward the generation's best
by at most a set total-variation distance of its production distributions (:func:`step_distance`).

Each takes the ``types`` the evolved slots compute with, so only productions that can matter move.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import replace
from statistics import median

from mlevolve.dsl.ir import Call, Expr, Num, Ref
from mlevolve.dsl.traverse import preorder
from mlevolve.grammar.oplang import ACTIONS, MAX_DEPTH, MAX_STEPS, SELECTORS, count_steps
from mlevolve.grammar.rules import expand, make_rule
from mlevolve.grammar.spec import GrammarSpec, OperatorSpec, Production

MAX_OPERATORS = 4
MAX_RULES = 8


def relevant(spec: GrammarSpec, types: frozenset[str]) -> list[Production]:
    """The base productions a slot computing with ``types`` can use."""
    return list(spec.restrict(types).base_productions)


def base_probability(spec: GrammarSpec, types: frozenset[str]) -> dict[str, float]:
    """Each production's sampling probability among the productions of its result type in
    ``spec.restrict(types)`` (learned rules included), by production id."""
    restricted = spec.restrict(types)
    out: dict[str, float] = {}
    for prods in restricted.by_result.values():
        total = sum(p.weight for p in prods)
        out.update({p.id: p.weight / total for p in prods if total > 0})
    return out


def mix_base(spec: GrammarSpec, base: GrammarSpec, lam: float, types: frozenset[str]) -> GrammarSpec:
    """``spec`` with its production weights mixed with ``base``'s, per result type ``t``:
    ``w'(p) = (1 - lam)·w(p) + lam·b(p)·W_t / B_t`` (``W_t``, ``B_t``: the type's total weight in
    ``spec`` and ``base`` over the productions ``types`` admit), so each type's total, and so its
    balance with variables and literals, is kept, and every base production's probability among its
    type's productions is at least ``lam`` times its base probability.  The variable weight is mixed
    the same way.  ``lam`` in [0, 1]; 0 returns ``spec`` itself, a type whose productions all carry
    their base weights is left as it is (so ``mix_base(base, base, ...)`` is ``base``)."""
    if lam <= 0:
        return spec
    restricted, plain = spec.restrict(types), base.restrict(types)
    base_weight = {p.id: p.weight for p in plain.base_productions}
    weights: dict[str, float] = {}
    for t, prods in restricted.by_result.items():
        if all(base_weight.get(p.id) == p.weight for p in prods):
            continue
        total, base_total = sum(p.weight for p in prods), sum(p.weight for p in plain.by_result.get(t, ()))
        if total <= 0 or base_total <= 0:
            continue
        weights.update({p.id: (1 - lam) * p.weight + lam * base_weight.get(p.id, 0.0) * total / base_total
                        for p in prods})
    out = spec.with_weights(weights) if weights else spec
    if out.variable_weight != base.variable_weight:
        out = replace(out, variable_weight=(1 - lam) * out.variable_weight + lam * base.variable_weight)
    return out


def distributions(spec: GrammarSpec, types: frozenset[str]) -> dict[str, dict[str, float]]:
    """Per result type of ``spec.restrict(types)``, each production's probability among that type's
    productions (learned rules included; its focus applied), by production id; a type whose
    productions all weigh 0 is left out (it has no distribution to move)."""
    out: dict[str, dict[str, float]] = {}
    for t, prods in spec.restrict(types).by_result.items():
        total = sum(p.weight for p in prods)
        if total > 0:
            out[t] = {p.id: p.weight / total for p in prods}
    return out


def step_distance(a: GrammarSpec, b: GrammarSpec, types: frozenset[str]) -> float:
    """The largest, over result types, total-variation distance between ``a``'s and ``b``'s production
    distributions (:func:`distributions`; a production one of them lacks has probability 0 there): in
    [0, 1], 0 when every type draws alike.  TV bounds the change of every event's probability (any
    program shape a draw can make at that node) and, by Pinsker's inequality, ``sqrt(KL / 2)``."""
    da, db = distributions(a, types), distributions(b, types)
    # fsum: correctly rounded in any order, and a set of ids iterates in an order that PYTHONHASHSEED picks per
    # process, so a plain sum moved the last bit of d, and with it every snapshot's digest, from run to run
    return max((0.5 * math.fsum(abs(da[t].get(i, 0.0) - db[t].get(i, 0.0)) for i in {*da[t], *db[t]})
                for t in da.keys() & db.keys()), default=0.0)


def bounded_step(prev: GrammarSpec, cand: GrammarSpec, max_step: float, types: frozenset[str]
                 ) -> tuple[GrammarSpec, float, float]:
    """``cand`` if it is within ``max_step`` of ``prev`` (:func:`step_distance`, total variation per result
    type), else the point ``prev + a·(cand - prev)`` with ``a = max_step / d`` on the segment between their
    production distributions, type by type, so that it is exactly ``max_step`` from ``prev``: a trust region
    on the search distribution, as TRPO bounds the divergence between consecutive policies (Schulman et
    al., ICML 2015) and natural evolution strategies move their distribution's mean by a set step toward the
    selected points (Wierstra et al., JMLR 15, 2014).  Returns (the step, ``d``, ``a``); ``a`` is 1 where
    ``cand`` is returned.  ``max_step`` in (0, 1]; 0 returns ``cand``.

    The step is ``cand`` (its operators, bandit floor and rules) with ``prev``'s rules that ``cand`` lacks
    added after its own, each type's production weights set to the interpolated distribution times the
    interpolated total weight, and the variable and literal weights interpolated by ``a`` alike (so their
    balance with the productions moves by the same fraction)."""
    d = step_distance(prev, cand, types)
    if max_step <= 0 or d <= max_step:
        return cand, d, 1.0
    a = max_step / d
    extra = [replace(p, rule=replace(p.rule, body=p.rule.expanded)) for p in _rules(prev)
             if p.op not in cand.rules and p.rule is not None]
    out = _rebuild(cand, _rules(cand) + extra) if extra else cand
    focus = next((f for f in out.focus if f.types == types), None)
    weights: dict[str, float] = {}
    was, now = prev.restrict(types).by_result, cand.restrict(types).by_result
    dp, dc = distributions(prev, types), distributions(cand, types)
    for t, prods in out.restrict(types).by_result.items():
        if t not in dp or t not in dc:
            continue
        total = (1 - a) * sum(p.weight for p in was[t]) + a * sum(p.weight for p in now[t])
        for p in prods:
            scale = focus.scale if focus is not None and p.id not in focus.keep else 1.0
            share = (1 - a) * dp[t].get(p.id, 0.0) + a * dc[t].get(p.id, 0.0)
            weights[p.id] = share * total / scale if scale > 0 else p.weight  # a focus of 0 draws it never
    literals = {t: replace(lit, weight=(1 - a) * prev.literals[t].weight + a * lit.weight) if t in prev.literals
                else lit for t, lit in out.literals.items()}
    out = replace(out.with_weights(weights), literals=literals,
                  variable_weight=(1 - a) * prev.variable_weight + a * cand.variable_weight)
    return out, d, a


def perturb_weights(spec: GrammarSpec, rng: random.Random, types: frozenset[str], sigma: float = 0.5,
                    rate: float = 0.25) -> GrammarSpec:
    prods = relevant(spec, types)
    chosen = [p for p in prods if rng.random() < rate] or [rng.choice(prods)]
    weights = {p.id: min(100.0, max(0.01, p.weight * math.exp(rng.gauss(0.0, sigma)))) for p in chosen}
    out = spec.with_weights(weights)
    if rng.random() < rate:
        out = replace(out, variable_weight=min(100.0, max(0.01, out.variable_weight * math.exp(rng.gauss(0.0, sigma)))))
    return out


def _rebuild(spec: GrammarSpec, rules: Sequence[Production]) -> GrammarSpec:
    """``spec``'s base productions followed by ``rules``, each re-checked (and re-expanded) in order."""
    current = replace(spec, productions=spec.base_productions)
    for p in rules:
        assert p.rule is not None
        r = p.rule
        rule = make_rule(p.op, p.args, p.result, r.body, current.drawn, current.rules, current.types,
                         sources=r.sources, generation=r.generation, uses=r.uses)
        current = current.add(replace(p, rule=rule))
    return current


def _rules(spec: GrammarSpec) -> list[Production]:
    return [p for p in spec.productions if p.rule is not None]


def add_rule(spec: GrammarSpec, pool: Sequence[Production], rng: random.Random,
             types: frozenset[str]) -> GrammarSpec | None:
    """Add one rule of ``pool`` not yet in ``spec``, weighted like twice the median production of
    its result type; its body is rewritten to call the rules already there where it can."""
    from mlevolve.meta.mine import rewrite

    options = [p for p in pool if p.op not in spec.rules and p.rule is not None and p.rule.types <= types]
    if not options or len(spec.rules) >= MAX_RULES:
        return None
    pick = rng.choice(options)
    assert pick.rule is not None
    body = pick.rule.expanded
    holes = {f"h{k}": t for k, t in enumerate(pick.args)}
    for existing in _rules(spec):
        body, _ = rewrite(body, holes, spec, existing)
    same = [p.weight for p in spec.by_result[pick.result] if p.rule is None]
    weight = 2.0 * (median(same) if same else 1.0)
    rule = make_rule(pick.op, pick.args, pick.result, body, spec.drawn, spec.rules, spec.types,
                     sources=pick.rule.sources, generation=pick.rule.generation, uses=pick.rule.uses)
    return spec.add(replace(pick, rule=rule, weight=weight))


def delete_rule(spec: GrammarSpec, rng: random.Random) -> GrammarSpec | None:
    """Drop a random rule; the rules that call it get its body inlined, so they mean the same."""
    rules = _rules(spec)
    if not rules:
        return None
    gone = rng.choice(rules)
    assert gone.rule is not None
    table = {gone.op: gone.rule}
    kept = [replace(p, rule=replace(p.rule, body=expand(p.rule.body, table)))
            for p in rules if p is not gone and p.rule is not None]
    return _rebuild(spec, kept)


def random_step(rng: random.Random, types: Sequence[str]) -> Expr:
    """One random edit step of the operator language."""
    action = rng.choice(ACTIONS)
    if action == "tweak":
        return Call("tweak", ())
    sel = Ref(rng.choice((*SELECTORS, *types)))
    if action == "regrow":
        return Call("regrow", (sel, Num(rng.randint(1, MAX_DEPTH), is_int=True)))
    return Call(action, (sel,))


def random_operator(rng: random.Random, types: Sequence[str]) -> Expr:
    """A random operator: one to three steps in sequence, sometimes a choice or a repeat."""
    steps = [random_step(rng, types) for _ in range(rng.randint(1, 3))]
    roll = rng.random()
    if roll < 0.15 and len(steps) >= 2:
        return Call("choice", tuple(steps))
    body = steps[0] if len(steps) == 1 else Call("seq", tuple(steps))
    return Call("repeat", (Num(2, is_int=True), body)) if roll > 0.85 and count_steps(body) * 2 <= MAX_STEPS else body


def _steps(program: Expr) -> list[Expr]:
    """An operator program's top-level sequence of steps."""
    return list(program.args) if isinstance(program, Call) and program.op == "seq" else [program]


def _sequence(steps: Sequence[Expr]) -> Expr:
    return steps[0] if len(steps) == 1 else Call("seq", tuple(steps))


def splice(a: Expr, b: Expr, rng: random.Random) -> Expr:
    """One-point crossover of two operator programs: a prefix of ``a``'s steps, a suffix of ``b``'s."""
    x, y = _steps(a), _steps(b)
    child = _sequence(x[:rng.randint(1, len(x))] + y[rng.randint(0, len(y) - 1):])
    return child if count_steps(child) <= MAX_STEPS else a


def _edit(program: Expr, rng: random.Random, types: Sequence[str]) -> Expr:
    """Replace, add or drop one step of an operator program (its top-level sequence)."""
    steps = _steps(program)
    roll = rng.random()
    if roll < 0.4 or (len(steps) == 1 and roll < 0.7):
        steps.insert(rng.randint(0, len(steps)), random_step(rng, types))
    elif roll < 0.7:
        del steps[rng.randrange(len(steps))]
    else:
        steps[rng.randrange(len(steps))] = random_step(rng, types)
    out = _sequence(steps)
    return out if count_steps(out) <= MAX_STEPS else program


def mutate_operators(spec: GrammarSpec, rng: random.Random, types: frozenset[str]) -> GrammarSpec:
    ops = list(spec.operators)
    names = sorted(types)
    roll = rng.random()
    if not ops or (roll < 0.3 and len(ops) < MAX_OPERATORS):
        taken = {o.name for o in ops}
        name = next(f"op{k}" for k in range(len(ops) + 1) if f"op{k}" not in taken)
        ops.append(OperatorSpec(name, random_operator(rng, names), 1.0))
    elif roll < 0.45:
        del ops[rng.randrange(len(ops))]
    elif roll < 0.8:
        k = rng.randrange(len(ops))
        ops[k] = replace(ops[k], program=_edit(ops[k].program, rng, names))
    else:
        k = rng.randrange(len(ops))
        ops[k] = replace(ops[k], weight=min(10.0, max(0.1, ops[k].weight * math.exp(rng.gauss(0.0, 0.5)))))
    floor = spec.floor if rng.random() < 0.8 else min(0.9, max(0.05, spec.floor + rng.gauss(0.0, 0.1)))
    return replace(spec, operators=tuple(ops), floor=floor)


def crossover(a: GrammarSpec, b: GrammarSpec, rng: random.Random, types: frozenset[str]) -> GrammarSpec:
    other = {p.id: p.weight for p in b.base_productions}
    weights = {p.id: other[p.id] for p in relevant(a, types) if rng.random() < 0.5}
    child = a.with_weights(weights)
    if rng.random() < 0.5:
        child = replace(child, variable_weight=b.variable_weight)
    extra = [replace(p, rule=replace(p.rule, body=p.rule.expanded)) for p in _rules(b)
             if p.op not in a.rules and p.rule is not None]
    rules = (_rules(child) + extra)[:MAX_RULES]
    child = _rebuild(child, rules)
    pool = {o.name: o for o in b.operators} | {o.name: o for o in a.operators}
    ops = [o for o in pool.values() if rng.random() < 0.5][:MAX_OPERATORS]
    if a.operators and b.operators and len(ops) < MAX_OPERATORS:  # and one spliced from both parents
        x, y = rng.choice(a.operators), rng.choice(b.operators)
        taken = {o.name for o in ops} | set(pool)
        name = next(f"op{k}" for k in range(len(taken) + 1) if f"op{k}" not in taken)
        ops.append(OperatorSpec(name, splice(x.program, y.program, rng), (x.weight + y.weight) / 2))
    return replace(child, operators=tuple(ops), floor=rng.choice((a.floor, b.floor)))


def random_rule(spec: GrammarSpec, rng: random.Random, types: frozenset[str], generation: int = 0,
                max_depth: int = 3) -> Production:
    """A rule whose body is a random expression over one to three random holes: the *random-rule
    control* of the evidence, and the property tests' source of arbitrary libraries."""
    from mlevolve.gp.generate import generate
    from mlevolve.meta.mine import rule_name

    restricted = spec.restrict(types)
    kinds = [t for t in restricted.types if restricted.min_depth[t] < math.inf]
    while True:
        args = tuple(rng.choice(kinds) for _ in range(rng.randint(1, 3)))
        result = rng.choice(kinds)
        holes = {f"h{k}": t for k, t in enumerate(args)}
        body = generate(restricted, result, rng, env=holes, max_depth=max_depth, method="full")
        used = {n.name for n in preorder(body) if isinstance(n, Ref)}
        if set(holes) <= used and body.size >= 3:
            name = rule_name(body, args, result)
            if name in spec.rules:
                continue
            rule = make_rule(name, args, result, body, spec.drawn, spec.rules, spec.types, sources=("random",),
                             generation=generation)
            return Production(name, args, result, 1.0, "random control", rule=rule)
