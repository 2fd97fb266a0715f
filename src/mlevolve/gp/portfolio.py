"""The operator portfolio: evolved operator programs run over the typed edit steps, chosen by a bandit.

The arms are the default mutations (each alone) and the grammar's evolved operators.  With the
grammar's ``floor`` probability a child is made by the default mutation (a uniformly random one);
otherwise by Thompson sampling: every arm draws from Beta(weight + successes, 1 + failures) and the
highest draw is applied (Thompson 1933; adaptive operator selection as in Fialho et al. 2010).  A
success is a child that beats its parent.  All draws come from the engine's RNG, so a run with a
portfolio is still a deterministic function of its seed (and replays).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence

from mlevolve.dsl.ir import Call, Expr, Num, Ref
from mlevolve.gp.operators import (
    MUTATIONS,
    Site,
    hoist,
    perturb_constant,
    point_mutation,
    refold,
    shrink,
    subtree_crossover,
    subtree_regrow,
    swap_arguments,
    wrap,
)
from mlevolve.grammar.spec import OperatorSpec

Step = Callable[[Expr, Site, random.Random, str | None], Expr | None]
SELECTING: dict[str, Step] = {"point": point_mutation, "hoist": hoist, "shrink": shrink, "wrap": wrap,
                              "swap": swap_arguments, "fold": refold}


def run_operator(program: Expr, body: Expr, site: Site, rng: random.Random,
                 donors: Callable[[], Sequence[Expr]]) -> Expr | None:
    """Apply an operator program to ``body``; None when no step applied or nothing changed."""
    steps: list[Call] = []
    todo: list[Expr] = [program]
    while todo:  # flatten the combinators into the edit steps of this application, in order
        node = todo.pop()
        assert isinstance(node, Call)
        if node.op == "seq":
            todo.extend(reversed(node.args))
        elif node.op == "choice":
            todo.append(rng.choice(node.args))
        elif node.op == "repeat":
            assert isinstance(node.args[0], Num)
            todo.extend([node.args[1]] * int(node.args[0].value))
        else:
            steps.append(node)
    current = body
    for step in steps:
        sel = step.args[0].name if step.args and isinstance(step.args[0], Ref) else None
        child: Expr | None
        if step.op == "regrow":
            depth = step.args[1]
            assert isinstance(depth, Num)
            child = subtree_regrow(current, site, rng, sel, int(depth.value))
        elif step.op == "tweak":
            child = perturb_constant(current, site, rng)
        elif step.op == "unwrap":
            child = hoist(current, site, rng, sel, direct=True)
        elif step.op == "macro":
            child = wrap(current, site, rng, sel, rules=True)
        elif step.op == "graft":
            pool = donors()
            child = subtree_crossover(current, rng.choice(pool), site, rng, sel) if pool else None
        else:
            child = SELECTING[step.op](current, site, rng, sel)
        current = child if child is not None else current
    return current if current != body else None


class Portfolio:
    """The arms, their success counts, and the bandit that picks one per child."""

    def __init__(self, operators: Sequence[OperatorSpec], floor: float) -> None:
        self.programs = {o.name: o.program for o in operators if o.weight > 0}
        self.prior = {**dict.fromkeys(MUTATIONS, 1.0), **{o.name: o.weight for o in operators if o.weight > 0}}
        self.floor = floor
        self.trials: Counter[str] = Counter()
        self.successes: Counter[str] = Counter()

    def choose(self, rng: random.Random) -> str:
        if rng.random() < self.floor:
            return rng.choice(list(MUTATIONS))
        draws = {arm: rng.betavariate(a + self.successes[arm], 1.0 + self.trials[arm] - self.successes[arm])
                 for arm, a in self.prior.items()}
        return max(draws, key=draws.__getitem__)

    def apply(self, arm: str, body: Expr, site: Site, rng: random.Random,
              donors: Callable[[], Sequence[Expr]]) -> Expr | None:
        if arm in self.programs:
            return run_operator(self.programs[arm], body, site, rng, donors)
        return MUTATIONS[arm](body, site, rng)

    def credit(self, arm: str, success: bool) -> None:
        if arm in self.prior:
            self.trials[arm] += 1
            self.successes[arm] += success
