"""The end-of-run prune of a run's best: the run's own scoring wired to :func:`mlevolve.gp.prune.prune`, the result
kept in the archive's meta ``pruned``.

``mlevolve.api.evolve`` calls :func:`prune_best` once, after the search, with the run's archive, best row and
evaluator.  The algorithm (which edits, which are kept) is :mod:`mlevolve.gp.prune`'s; this module decides
whether a run is pruned, scores edits as ``mlevolve run`` scores the program (as written; a formula's removal
once more refitted), ties them as the verdict does (``metric.tie_scale(variances)``), and makes, reads back or
drops the stored record.
"""

from __future__ import annotations

import copy
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Program
from mlevolve.dsl.kinds import check_program
from mlevolve.dsl.parse import parse
from mlevolve.dsl.printer import format_program
from mlevolve.dsl.simplify import simplify_shown
from mlevolve.gp import prune as pruning
from mlevolve.grammar.spec import GrammarSpec

DRAWN = "tasks drawn per candidate: an edit's score would be another draw's"


@dataclass(frozen=True)
class BestPrune:
    """What :func:`prune_best` did: ``record`` (the archive's meta ``pruned``, see :func:`prune_best`; None
    without a prune) and ``skipped`` (why a run that would be pruned was not, said in the summary; else None)."""

    record: dict[str, Any] | None
    skipped: str | None = None


def prune_best(archive: Any, best: Any, evaluator: Any, names: Sequence[str], spec: GrammarSpec, *, prune: bool,
               cheap: bool, fitted: bool, kinds: set[str], variances: Mapping[str, float]) -> BestPrune:
    """The rescored prune of the run's ``best`` row (:mod:`mlevolve.gp.prune`), kept in the archive's meta
    ``pruned``: made once per best (a resumed run whose best is unchanged reads it back; a run killed while
    pruning has none, so the same command makes it again, alike); dropped with ``prune`` False.  Made for a
    formula or learner run (``kinds``) scored by the fast path (``cheap``), with a best.  The record is a dict of
    ``from`` (the best's hash), ``from_seq``, ``from_metrics``, ``from_size``, ``program`` (the pruned text, None
    where no edit was kept), ``hash``, ``fitness``, ``metrics``, ``size``, ``edits``, ``scorings``,
    ``evaluations`` (this prune's cost) and ``spent`` (every prune's of this archive).  ``evaluator``: the run's
    (``fitted``: it fits formulas' constants); ``variances``: the run's target variances, an MSE's tie scale, as
    the verdict's (so what it calls the same result the prune may keep)."""
    # Not with tasks drawn per candidate (fresh=1): an edit would be scored on other tasks than the best, so its
    # score could not tell the edit from the draw (the AutoML-Zero setting's seed 9 "gained" 0.637 -> 0.833 so);
    # said, not skipped in silence.
    drawn = prune and cheap and bool(evaluator.fresh_tasks)
    record = _pruned(archive, best, evaluator, names, spec, prune and cheap and not drawn, fitted, kinds, variances)
    return BestPrune(record, DRAWN if record is None and drawn and best is not None else None)


def _pruned(archive: Any, best: Any, evaluator: Any, names: Sequence[str], spec: GrammarSpec, prune: bool,
            fitted: bool, kinds: set[str], variances: Mapping[str, float]) -> dict[str, Any] | None:
    from mlevolve.gp.engine import Engine
    from mlevolve.results import fitness_metric

    archive.flush()  # the run's candidates committed first: a kill while pruning loses only the prune
    stored = archive.meta().get("pruned")
    if not prune or best is None or best.fitness is None or not {"formula", "learner"} >= kinds:
        if stored is not None and not prune:
            archive.set_meta("pruned", None)
        return None
    settings = {"rtol": pruning.PRUNE_RTOL, "cap": pruning.MAX_SCORINGS}
    if isinstance(stored, Mapping) and stored.get("from") == best.hash and stored.get("settings") == settings:
        return dict(stored)
    written = copy.copy(evaluator)
    written.fit, written.tuning = None, None  # as `mlevolve run` scores it

    def score(candidate: Program, refit: bool) -> pruning.Scoring | None:
        outcome = (evaluator if refit else written).evaluate(candidate, Engine.key(candidate))
        if outcome.failure is not None or not math.isfinite(outcome.fitness):
            return None
        scored = outcome.parsed or (parse(outcome.program) if outcome.program else candidate)
        return pruning.Scoring(outcome.fitness, dict(outcome.metrics), scored,
                               1 + int(outcome.metrics.get("fit_evaluations", 0)))

    def typed(candidate: Program) -> Program | None:
        try:
            return check_program(candidate, spec)
        except MlevError:
            return None

    start = parse(best.program)
    metric = fitness_metric(best.metrics)
    least = pruning.floor(best.fitness, metric.bounded, metric.tie_scale(variances))
    found = pruning.prune(start, names, score, typed, least, refit=fitted and kinds == {"formula"})
    before = isinstance(stored, Mapping) and isinstance(stored.get("spent"), int)
    record: dict[str, Any] = {
        "from": best.hash, "from_seq": best.seq, "from_generation": best.generation,
        "from_metrics": dict(best.metrics), "from_size": pruning.complexity(simplify_shown(start), names)[0],
        "program": None, "settings": settings, "edits": found.edits, "scorings": found.scorings,
        "evaluations": found.cost, "spent": found.cost + (stored["spent"] if before else 0)}
    if found.program is not None and found.scoring is not None:
        text, key = format_program(found.program), Engine.key(found.program)
        if key == best.hash:  # the same program by the cache's rules (they drop `x - x`, the shown form keeps it):
            key = hashlib.blake2b(f"pruned\x00{text}".encode(), digest_size=16).hexdigest()  # named apart from it
        record.update(program=text, hash=key,
                      fitness=found.scoring.fitness, metrics=dict(found.scoring.metrics),
                      size=pruning.complexity(found.program, names)[0])
    archive.set_meta("pruned", record)
    return record
