"""A rescored prune of a run's best: value-changing edits kept where the run's own scoring says they cost nothing.

The simplifier (:mod:`mlevolve.dsl.simplify`) applies only exact laws, so it cannot remove what changes a
value, however little: a term scaled by a tuned literal near 0 (``1.795e-18 * y``), a fitted ``0.9999997``
that is ``1`` on the data, a ``+ 0.5 ... - 0.5`` that cancels only after a refit.  This module tries the
edits a person would make and keeps each one that the run's scoring, on the run's data and seed, cannot tell
from the best.  Once, at the end of a run, on its best (``mlevolve.api.evolve``; a formula run fitting constants
also on its runners-up, :data:`mlevolve.gp.prune_best.PRUNE_SOURCES`).

The edits of a program (its evolved slots' bodies; :func:`edits`), the largest removal first:

* a node replaced by one of its children, or a call by the literal ``0.0`` or ``1.0`` (a term dropped);
* an element of a tuple (a learner's memory update) replaced by a name in scope (the update dropped: the
  memory keeps its value);
* in a learner's ``learn``, what ``predict`` computes replaced by the prediction ``learn`` is given
  (``y - dot(w, x)`` to ``y - p``: equal where ``p`` is ``predict``'s raw output, as on a regression task);
* a float literal snapped to a simpler value: ``0``, ``1``, the nearest integer, 1-3 significant digits, a simple
  fraction (``0.33333333333333326`` to the float of 1/3).

Each edit is checked by the type checker (an ill-typed one costs nothing), simplified, and scored as written;
where the run fits constants (a formula: Levenberg-Marquardt and linear scaling) and a removal fails as
written, it is scored once more refitted, and the fitted program is the candidate.  An edit is kept when its
fitness is at least the best's less :data:`PRUNE_RTOL` of the best's error (:func:`floor`) and it makes
the program strictly simpler (:func:`complexity`: fewer nodes, else fewer significant digits in its
literals), so the greedy loop (first acceptable edit, then the edits of the new program) reaches a fixpoint,
or stops once its scorings have cost ``cap`` evaluations (:func:`cap`: 5% of the run's budget, at least 1,000).
The result is scored as written once more: its metrics are those of its text, so ``mlevolve run`` and ``export``
of what is shown give them (but on tasks drawn per candidate, where the best and every edit are scored on one
common draw: :mod:`mlevolve.gp.prune_best`).  Deterministic: the edits come in a fixed order and the scoring is
the run's, seeded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlevolve.dsl.ir import Call, Expr, Let, Num, Program, Ref, Tup, const, with_children
from mlevolve.dsl.kinds import LEARNER_METHODS, replace_slot, slot_body, slots
from mlevolve.dsl.printer import SIMPLE_DENOMINATORS, format_program, simple_fraction
from mlevolve.dsl.simplify import CANCELLATION, FITTED_RULES, STOCHASTIC, simplify_expr, simplify_shown
from mlevolve.dsl.traverse import fold, walk
from mlevolve.results import TIE_RTOL

PRUNE_RTOL = 1e-6
"""How much worse a pruned program may score and still replace the best, relative to the best's error (its
distance from a perfect score: ``|fitness|`` for an error, ``1 - fitness`` for an R², accuracy or AUC), and at
least a tie (:data:`mlevolve.results.TIE_RTOL` at the metric's tie scale): "no measurable loss" (:func:`floor`).
Why 1e-6: an error measured on n points has a sampling error of order ``sqrt(2 / n)`` of itself (0.1 at 200
points), and 1e-6 of it is under that for any split of fewer than 10^12 points, so no data can tell the two
apart; yet it is far above float rounding, which would keep terms like ``tanh(-4.3e-6 * w)`` that move the
error in its seventh digit (``benchmarks/size_ratio.py --prune`` measured with the same tolerance).  Relative
to the error, not to the fitness: an exact fit (R² 1, MSE 1e-31) stays exact up to a tie.  One setting, here;
a pruned program that scores better than the best is always kept."""

CAP_SHARE = 0.05
"""The most a prune may cost, as a share of the run's budget (:func:`cap`): a formula's prune refits each removal
that fails as written (~20 evaluations a refit), and uncapped cost 10-20% on top of its run."""

CAP_LEAST = 1000
"""The least cap of a prune, in evaluations, whatever the budget (:func:`cap`): a learner's prune without refits
takes 10-200 scorings, one evaluation each (10 each on a common draw of 10x the run's tasks); 1,000 keeps
10 of the 12 formula prunes an uncapped prune made on the peers' set, 500 kept 7 (benchmarks/RESULTS.md, "The prune
capped")."""


def cap(budget: int) -> int:
    """The most evaluations a prune of a run of ``budget`` candidates may spend on its edits: the larger of
    :data:`CAP_SHARE` of the budget and :data:`CAP_LEAST` (a budget of 10,000: 1,000; 100,000: 5,000).  The scoring
    under way when it is reached is finished, and the result's own scoring comes on top."""
    return max(CAP_LEAST, math.ceil(CAP_SHARE * budget))


@dataclass(frozen=True)
class Scoring:
    """One scoring of a program by the run's scorer: its ``fitness`` (finite), ``metrics``, the ``program``
    as scored (a refit writes its fitted constants in) and its ``cost`` in evaluations (1, plus a fit's)."""

    fitness: float
    metrics: Mapping[str, Any]
    program: Program
    cost: int


@dataclass(frozen=True)
class Failed:
    """A scoring that failed (the program raised, or its fitness is not finite): the ``reason`` and its ``cost`` in
    evaluations (1, plus what a fit spent before the failure: spent all the same)."""

    reason: str
    cost: int


Score = Callable[[Program, bool], "Scoring | Failed"]  # (program, refit) -> its scoring, or its failure
Check = Callable[[Program], "Program | None"]  # the program type-checked, None where it is ill-typed


@dataclass(frozen=True)
class Pruned:
    """What a prune found: ``program`` (simplified) and its ``scoring`` as written (None where no edit was
    kept: the best stays as shown), the ``scorings`` made and their ``cost`` in evaluations."""

    program: Program | None
    scoring: Scoring | None
    scorings: int
    cost: int
    edits: int


def floor(best: float, bounded: bool, scale: float, rtol: float = PRUNE_RTOL) -> float:
    """The least fitness a pruned program of a best of fitness ``best`` may have (:data:`PRUNE_RTOL`):
    ``best - max(rtol * error, TIE_RTOL * scale)``, the error ``1 - best`` for a ``bounded`` metric (an R²,
    accuracy or AUC: :attr:`mlevolve.results.Metric.bounded`), else ``|best|``; ``scale`` the metric's tie scale."""
    error = 1.0 - best if bounded else abs(best)
    return best - max(rtol * error, TIE_RTOL * scale)


def digits(value: float) -> int:
    """The significant digits ``value`` needs (``0.5``: 1, ``0.9999997``: 7, ``0.0``: 1); the float of a simple
    fraction p/q (:func:`~mlevolve.dsl.printer.simple_fraction`), the digits of p and q (``0.3333333333333333``: 2),
    so that a snap of ``0.3333333333333334`` to it is simpler."""
    if (fraction := simple_fraction(value)) is not None:
        return len(str(abs(fraction[0]))) + len(str(fraction[1]))
    for d in range(1, 18):
        if float(f"{value:.{d}g}") == value:
            return d
    return 17


def _literal_digits(body: Expr) -> int:
    total, stack = 0, [body]
    while stack:
        node = stack.pop()
        if isinstance(node, Num) and not node.is_int:
            total += digits(float(node.value))
        stack.extend(node.children())
    return total


def evolved_slots(program: Program, names: Sequence[str]) -> list[str]:
    """The slots of ``program`` that ``names`` (a run's ``--evolve``: ``f``, ``linreg.learn``, ``linreg``) evolve."""
    return [s.name for s in slots(program) if any(s.name == n or s.name.startswith(n + ".") for n in names)]


def complexity(program: Program, names: Sequence[str]) -> tuple[int, int]:
    """(IR nodes, significant digits of the float literals) of the evolved slots' bodies: what a prune lowers."""
    bodies = [slot_body(program, n) for n in evolved_slots(program, names)]
    return sum(b.size for b in bodies), sum(_literal_digits(b) for b in bodies)


def _replaced(node: Expr, path: tuple[int, ...], new: Expr) -> Expr:
    """``node`` with the subtree at ``path`` (child indices) replaced by ``new``."""
    chain = [node]
    for i in path:
        chain.append(chain[-1].children()[i])
    out = new
    for parent, i in zip(reversed(chain[:-1]), reversed(path), strict=True):
        kids = list(parent.children())
        kids[i] = out
        out = with_children(parent, tuple(kids))
    return out


NOISE = 1e-9
"""A literal below this magnitude is snapped to 0 before any removal is tried (:func:`edits`): a fitted ``6.2e-17``
is float noise; a literal that small that matters (a physical constant) fails the snap at one scoring's cost."""


def _snaps(value: float) -> list[float]:
    """Simpler values for a literal ``value`` (> 0): 0, 1, the nearest integer, 1-3 significant digits, then the
    nearest fraction p/q of each denominator q of :data:`~mlevolve.dsl.printer.SIMPLE_DENOMINATORS` within 0.1% of
    ``value`` (as its float, which may need many digits: kept where it needs fewer than ``value``)."""
    out: list[float] = []
    fractions = (f for f in (round(value * q) / q for q in SIMPLE_DENOMINATORS if value < 1e6)
                 if abs(f - value) <= 1e-3 * value)
    for v in (0.0, 1.0, float(round(value)) if value < 1e6 else value,
              *(float(f"{value:.{d}g}") for d in (1, 2, 3)), *fractions):
        if v != value and v not in out and (v == 0.0 or digits(v) < digits(value)):
            out.append(v)
    return out


CANCELLING = FITTED_RULES + CANCELLATION
"""The rules of the prune's first edit (:func:`edits`): the fitted formulas' folds and the terms that cancel."""


def prediction(program: Program, slot: str) -> tuple[Expr, Ref] | None:
    """For a learner's ``learn`` slot: (``predict``'s body as ``learn`` would write it, ``learn``'s prediction
    parameter), for the edit that reads the prediction instead of computing it again (:func:`edits`); None for
    any other slot, or where ``predict``'s ``let`` values draw random numbers (inlining one would change how many
    draws it makes).  ``predict``'s ``let`` bindings are inlined (:func:`inlined`), so ``let q = dot(w, u) in q``
    is matched as ``dot(w, u)``.  Parameters bind by position (``predict(x)``, ``learn(x, y, p)``:
    :data:`~mlevolve.dsl.kinds.LEARNER_METHODS`), so predict's ``x`` is renamed to learn's; a ``let`` of ``learn``
    that binds a name the prediction reads (or ``p``'s) hides it, and :func:`_substituted` leaves its scope as it is.
    Not an exact rewrite: ``p`` is predict's output after the task's link (a sigmoid on classification), so the
    edit is scored as every edit is."""
    owner, _, method = slot.partition(".")
    learner = program.get(owner)
    if method != "learn" or learner is None:
        return None
    predict, learn = learner.method("predict"), learner.method("learn")
    if predict is None or learn is None or predict.body is None or learn.body is None or len(learn.params) < 3 \
            or not predict.params:
        return None
    body = inlined(predict.body)
    if body is None:
        return None
    rename = {predict.params[0].name: learn.params[0].name}
    read = fold(body, lambda n, kids: Ref(rename.get(n.name, n.name)) if isinstance(n, Ref)
                else with_children(n, tuple(kids)) if kids else n)
    return read, Ref(learn.params[2].name)


def inlined(expr: Expr) -> Expr | None:
    """``expr`` with every ``let name = value in body`` replaced by ``body`` with ``value`` for ``name``: the same
    values (a ``let`` binds an expression without effects), or None where a ``let``'s value draws random numbers
    (:data:`~mlevolve.dsl.simplify.STOCHASTIC`: as many draws as the name is read).  Bottom up, so a ``let``'s body
    holds no ``let`` when its name is replaced there: nothing in it can shadow the name or capture what ``value``
    reads."""
    if not any(isinstance(n, Let) for n in walk(expr)):
        return expr
    if any(isinstance(d, Call) and d.op in STOCHASTIC for n in walk(expr) if isinstance(n, Let) for d in walk(n.value)):
        return None

    def combine(node: Expr, kids: list[Expr]) -> Expr:
        if isinstance(node, Let):
            value, body = kids
            return fold(body, lambda n, ks: value if isinstance(n, Ref) and n.name == node.name
                        else with_children(n, tuple(ks)) if ks else n)
        return with_children(node, tuple(kids)) if kids else node

    return fold(expr, combine)


def _substituted(body: Expr, old: Expr, new: Ref) -> Expr:
    """``body`` with every subtree equal to ``old`` up to commutative arguments (``canon``) replaced by ``new``, except
    in the scope of a ``let`` that binds a name ``old`` reads or ``new``'s (there the same text means another value,
    or ``new`` would read the ``let``): its value is replaced in, its body kept."""
    canon = old.canon
    hidden = {n.name for n in walk(old) if isinstance(n, Ref)} | {new.name}

    def combine(n: Expr, kids: list[Expr]) -> Expr:
        if n.canon == canon:
            return new
        if isinstance(n, Let) and n.name in hidden:
            return with_children(n, (kids[0], n.body))
        return with_children(n, tuple(kids)) if kids else n

    return fold(body, combine)


def edits(body: Expr, scope: Sequence[str], predicted: tuple[Expr, Ref] | None = None, *,
          named: bool = False) -> Iterator[Expr]:
    """The edited bodies of ``body`` to try, in a fixed order: ``body`` folded by the fitted formulas' rules
    (:data:`~mlevolve.dsl.simplify.FITTED_RULES`: ``c + m * (x + k)`` to ``(c + m * k) + m * x``, ``0.0 - y`` to ``-y``;
    equal in real arithmetic, so scored as any edit), first with its terms that cancel removed too
    (:data:`~mlevolve.dsl.simplify.CANCELLATION`: ``y - (y - p)`` to ``p``), a literal of magnitude below :data:`NOISE`
    snapped to 0 (float noise of a fit far more often than a term, and one scoring, never a refit: tried before the
    removals, which a prune's cap may run out in), then removals, the largest first (a node by one of its children; a
    call by 0.0 or 1.0; a tuple's element by a name of ``scope``, and where ``named``, any node of two or more by one:
    a learner's ``learn = x - x`` by ``w``, its memory kept), then literal snaps in preorder. Some are ill-typed: the
    caller checks them.  ``predicted``: a learner's ``learn`` (:func:`prediction`), whose recomputed
    prediction is read from its parameter next, after the folds."""
    folded = simplify_expr(body, FITTED_RULES)
    if (cancelled := simplify_expr(folded, CANCELLING)) != folded:
        yield cancelled
    if folded != body:
        yield folded
    if predicted is not None and (read := _substituted(body, *predicted)) != body:
        yield read
    removals: list[tuple[int, int, tuple[int, ...], Expr]] = []
    snaps: list[tuple[tuple[int, ...], Expr]] = []
    noise: list[tuple[int, ...]] = []
    stack: list[tuple[tuple[int, ...], Expr, bool]] = [((), body, False)]
    order = 0
    while stack:
        path, node, in_tuple = stack.pop()
        kids = node.children()
        if named and not in_tuple and node.size > 1:  # a tuple's elements get theirs below
            for name in scope:
                removals.append((node.size - 1, order, path, Ref(name)))
                order += 1
        for kid in kids:
            removals.append((node.size - kid.size, order, path, kid))
            order += 1
        if isinstance(node, Call):
            for v in (0.0, 1.0):
                removals.append((node.size - 1, order, path, const(v)))
                order += 1
        if isinstance(node, Tup):
            for i, kid in enumerate(kids):
                for name in scope:
                    if kid != Ref(name):
                        removals.append((kid.size - 1, order, (*path, i), Ref(name)))
                        order += 1
        if isinstance(node, Num) and not node.is_int:
            if 0.0 < float(node.value) < NOISE:
                noise.append(path)
            snaps.extend((path, Num(v)) for v in _snaps(float(node.value)) if v or path not in noise)
        tup = isinstance(node, Tup)
        stack.extend(((*path, i), kid, tup) for i, kid in reversed(list(enumerate(kids))))
    for path in noise:
        yield _replaced(body, path, Num(0.0))
    removals.sort(key=lambda e: (-e[0], e[1]))
    for _, _, path, new in removals:
        yield _replaced(body, path, new)
    for path, new in snaps:
        yield _replaced(body, path, new)


def prune(program: Program, names: Sequence[str], score: Score, check: Check, least: float, *, refit: bool,
          cap: int = CAP_LEAST, floor_of: Callable[[float], float] | None = None) -> Pruned:
    """Greedily prune ``program`` (a run's best as stored), keeping edits that score at least ``least`` (the best's
    :func:`floor`): see the module docstring.  ``score(p, refit)`` is the run's scoring of ``p`` (``refit``:
    with its constant fitting, where the run fits: ``refit`` True); ``check`` the run's type check; ``cap`` the
    evaluations its edits' scorings may cost (:func:`cap`).  ``floor_of``: the floor of a program of a given fitness
    (:func:`floor` with the metric's settings): an edit kept that scores better than the best raises the floor of
    the edits after it to its own, so that none of them gives back what it gained (a refitted ``a + b * x``,
    then its literals snapped to ``2.0 + x``).  Edits are told apart by their exact text, not by the cache key
    (:func:`~mlevolve.gp.memo.program_key`, whose literals are rounded to 12 digits): a snap of
    ``2.999999999999999`` to ``3.0`` has the key of its program."""
    current = simplify_shown(program)
    scope = {s.name: sorted(s.env) for s in slots(current)}
    learner = {s.name for s in slots(current) if s.kind in LEARNER_METHODS}  # a body may be a name in scope
    level = complexity(current, names)
    tried: set[str] = {format_program(current)}
    scorings = cost = kept = 0
    changed = True
    while changed and cost < cap:
        changed = False
        for name in evolved_slots(current, names):
            body = slot_body(current, name)
            for new in edits(body, scope.get(name, []), prediction(current, name), named=name in learner):
                if cost >= cap:
                    break
                candidate = check(replace_slot(current, name, new))
                if candidate is None:
                    continue
                simple = simplify_shown(candidate)
                text = format_program(simple)
                if text in tried or complexity(simple, names) >= level:
                    continue
                tried.add(text)
                found = None
                for again in (False, True) if refit and new.size < body.size else (False,):
                    got = score(simple, again)
                    scorings += 1
                    cost += got.cost
                    if isinstance(got, Scoring) and got.fitness >= least:
                        found = simplify_shown(got.program)
                        if floor_of is not None:
                            least = max(least, floor_of(got.fitness))
                        break
                    if cost >= cap:
                        break
                if found is None or complexity(found, names) >= level:
                    continue
                current, level, changed = found, complexity(found, names), True
                tried.add(format_program(found))
                kept += 1
                break
            if changed:
                break
    if not kept:
        return Pruned(None, None, scorings, cost, 0)
    final = score(current, False)
    scorings += 1
    cost += final.cost
    if not isinstance(final, Scoring) or not final.fitness >= least:
        return Pruned(None, None, scorings, cost, 0)
    return Pruned(current, final, scorings, cost, kept)
