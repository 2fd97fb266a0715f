"""DEAP's symbolic-regression tutorial loop's variation and selection, one copy for the benchmarks that
run it as a baseline (``engine_speed.py``, ``peers.py``): tournament of 3, one-point crossover, uniform
mutation by a full tree of depth 0-2, both limited to height 17 (Koza's limit), as the DEAP docs set it."""

from __future__ import annotations

import operator

from deap import base, gp, tools


def register_tutorial_operators(toolbox: base.Toolbox, pset: gp.PrimitiveSet) -> None:
    """Register ``select``, ``mate``, ``expr_mut`` and ``mutate`` on ``toolbox`` as DEAP's tutorial does."""
    toolbox.register("select", tools.selTournament, tournsize=3)
    toolbox.register("mate", gp.cxOnePoint)
    toolbox.register("expr_mut", gp.genFull, min_=0, max_=2)
    toolbox.register("mutate", gp.mutUniform, expr=toolbox.expr_mut, pset=pset)
    limit = gp.staticLimit(key=operator.attrgetter("height"), max_value=17)
    toolbox.decorate("mate", limit)
    toolbox.decorate("mutate", limit)
