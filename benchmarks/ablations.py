"""Benchmark switches that take one part of the engine out of a search, for ablations (not user flags).

``simplifier_off()``: the simplifier taken out of the search (issue 15's bloat measure, "the best program,
simplified, vs the same run unsimplified"), used by ``peers.py --engines mlevolve-unsimplified`` and
``size_ratio.py``.  Inside the ``with`` block, in this process:

* the cache key, the size that bloat control (the size limit in ``gp.operators``) and parsimony read, and
  the program a fitted run scores are the program as proposed (``gp.memo.simplified`` is the identity);
* a run that evolves no formula or learner (activations, losses, update rules) no longer folds the chains
  of literals of the candidates it makes (``Engine._folded`` is the identity).

What stays: a fitted formula's fold of its literals after fitting (``interpreter.fit``: part of the fit,
which scores the folded program; as in the peers runs), and the archive's ``simplified`` column of a fitted
formula (made where it is scored).  Searches must run in this process or in workers forked inside the
block (``api.evolve`` with a grammar object, or ``workers=1`` as the benchmarks call it: the simplifier
runs in the coordinator either way).  The memo tables are emptied on entry and exit, so no simplified
body made outside the block is found inside it, or the other way round.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


def _clear_memos() -> None:
    import mlevolve.gp.memo as memo

    for table in (memo._SIMPLIFIED, memo._PASSED):
        table._young.clear()
        table._old.clear()
    memo._SIMPLE_DEFINITIONS._table.clear()


@contextmanager
def simplifier_off() -> Iterator[None]:
    """The simplifier out of the search while the block runs (see the module docstring); restored after."""
    import mlevolve.gp.engine as engine
    import mlevolve.gp.memo as memo
    import mlevolve.gp.operators as operators

    saved = memo.simplified, operators.simplified, engine.Engine._folded
    _clear_memos()
    memo.simplified = operators.simplified = lambda expr: expr  # type: ignore[assignment]
    engine.Engine._folded = lambda self, body: body  # type: ignore[method-assign]
    try:
        yield
    finally:
        memo.simplified, operators.simplified, engine.Engine._folded = saved  # type: ignore[method-assign]
        _clear_memos()
