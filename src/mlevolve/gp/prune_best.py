"""The end-of-run prune of a run's best: the run's own scoring wired to :func:`mlevolve.gp.prune.prune`, the result
kept in the archive's meta ``pruned``.

``mlevolve.api.evolve`` calls :func:`prune_best` once, after the search, with the run's archive, best row and
evaluator.  The algorithm (which edits, which are kept) is :mod:`mlevolve.gp.prune`'s; this module decides
whether a run is pruned, scores edits as ``mlevolve run`` scores the program (as written; a formula's removal
once more refitted), ties them as the verdict does (``metric.tie_scale(variances)``), and makes, reads back or
drops the stored record.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import Any

from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Program
from mlevolve.dsl.kinds import check_program, replace_slot, slot_body
from mlevolve.dsl.parse import parse
from mlevolve.dsl.printer import format_program
from mlevolve.dsl.simplify import simplify_shown
from mlevolve.gp import prune as pruning
from mlevolve.grammar.spec import GrammarSpec
from mlevolve.results import shown_scale, tied

COMMON_DRAW = 10
"""On tasks drawn per candidate (``fresh=1``), the best and every edit are scored on one common draw of this many
times the run's tasks (seeded by the run's seed and the best's hash): each candidate's own draw would score an edit
on other tasks than the best, taking the draw's luck for the edit's (the AutoML-Zero setting's seed 9 "gained"
0.637 -> 0.833 so); 10x, as the held-out check of would-be bests measured (benchmarks/RESULTS.md), so that a tie
is judged on more tasks than the search saw (fewer where a family may not hold so many:
:meth:`~mlevolve.interpreter.evaluator.ProgramEvaluator.common_tasks`).  A scoring there costs as many evaluations
as it holds the run's tasks over (rounded up)."""

PRUNE_SOURCES = 3
"""Where a prune refits (a formula run fitting constants), it prunes this many of the run's best distinct programs
(its hall of fame's first), the best first, within the one cap, and shows the fittest result: a removal refitted can
lift a runner-up past the best (`max(0.05 * x0, h - x0 * x0) + x1`, R² 0.34, to `x1 - 2.5 * x0 * x0`, R² 0.87, where
the best, 0.40, kept no edit), and with the best alone a longer run could end on a worse answer than a shorter one
(a fresh-user pass: R² 0.87 at 30 candidates, 0.40 at 40).  A prune without a refit keeps only ties of its source,
so it prunes the best alone."""


def prune_best(archive: Any, best: Any, evaluator: Any, names: Sequence[str], spec: GrammarSpec, *, prune: bool,
               cheap: bool, fitted: bool, kinds: set[str], variances: Mapping[str, float],
               budget: int, start: Mapping[str, Any] | None = None, keep: bool = True,
               runners_up: Sequence[Any] = (), slot: str = "pruned") -> dict[str, Any] | None:
    """The rescored prune of the run's ``best`` row (:mod:`mlevolve.gp.prune`; None without one), kept in the
    archive's meta ``pruned``: made once per best and settings (a resumed run whose best and cap are unchanged
    reads it back; a run killed while pruning has none, so the same command makes it again, alike); dropped with
    ``prune`` False.
    Made for a formula or learner run (``kinds``) scored by the fast path (``cheap``), with a best; its edits
    cost at most :func:`mlevolve.gp.prune.cap` of the run's ``budget``.  The record is a dict of ``from`` (the
    best's hash), ``from_seq``, ``from_fitness``, ``from_metrics``, ``from_size``, ``program`` (the pruned text,
    None where no edit was kept), ``hash``, ``fitness``, ``metrics``, ``size``, ``edits``, ``scorings``,
    ``evaluations`` (this prune's cost), ``spent`` (every prune's of this archive), ``settings``, and on tasks
    drawn per candidate ``tasks``: the common draw's count of tasks, on which ``from_fitness``,
    ``from_metrics`` and ``metrics`` are then measured (:data:`COMMON_DRAW`; ``from_own_metrics`` the best's
    on its own draw, as the run scored it), ``failure`` where the best itself fails there (nothing kept), and
    ``start_hash``, ``start_metrics`` (None where it fails there): the run's starting program (``start``,
    :func:`mlevolve.api.search._start`'s) scored as the file writes it on the same draw (``start_as`` ``written``; an
    archive's start kept before it knew its written text: as the run scored it), so that the verdict compares the
    two on the same tasks and alike (:func:`on_common_draw`).  ``evaluator``: the run's (``fitted``: it fits
    formulas' constants);
    ``variances``: the run's target variances, an MSE's tie scale, as the verdict's (so what it calls the same
    result the prune may keep).  ``keep`` False: the run is a view of the archive's first ``budget`` candidates
    (a command given a smaller budget than its archive holds), whose best is pruned for its summary and not kept:
    the archive's ``pruned`` stays its whole run's, which ``best``, ``show``, the report and ``export`` show; the
    view's goes to ``pruned_earlier`` (:func:`remember`), so that the hash it printed names it.
    ``runners_up``: the run's next best rows (its hall of fame's), pruned after the best where the prune refits
    (:data:`PRUNE_SOURCES`); the record's ``from`` fields are then those of the program whose prune scored best
    (``runner_up`` True where that is not the best), and its ``settings`` name the programs pruned (``sources``).
    ``slot``: the meta key the record is kept under: ``pruned`` for the run's fittest, a slot of :data:`ANSWER_SLOTS`
    for a ``--select`` rule's answer where it is another program than the fittest (``best`` then its row, no
    runners-up; the record's ``of`` then ``answer``, which a line of it kept in ``pruned_earlier`` names)."""
    return _pruned(archive, best, evaluator, names, spec, prune and cheap, fitted, kinds, variances, budget, start,
                   keep, runners_up, slot)


ANSWER_SLOT = "pruned_answer"
"""The archive's meta key of the prune of the run's answer where the default ``--select best`` answers with another
formula than the fittest (:func:`mlevolve.report.data.chosen`): the same prune, the same record, as the fittest's
under ``pruned``, so that ``best``, ``show``, ``export``, the report and the summary hand out the answer pruned."""

ANSWER_SLOTS = {"best": ANSWER_SLOT, "score": "pruned_answer_score"}
"""Each ``--select`` rule's meta key of the prune of its answer, where it answers with another formula than the
fittest (``accuracy`` answers with the fittest, pruned under ``pruned``) and than an earlier rule here (one prune a
formula: ``score`` picking ``best``'s answer has none of its own), so that every rule hands out its answer pruned."""


def answer_records(meta: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The prunes of the run's answers (:data:`ANSWER_SLOTS`) an archive's ``meta`` keeps, the default rule's first."""
    return [r for slot in ANSWER_SLOTS.values() if isinstance(r := meta.get(slot), Mapping)]


def beats(fitness: float, metrics: Mapping[str, Any], other: float) -> bool:
    """Whether a runner-up's prune of ``fitness`` (scored with ``metrics``) is shown in place of a best of fitness
    ``other``: better, and not a tie as ``best`` ranks them (:func:`mlevolve.results.tied`), so that the prune kept
    is the program listed first."""
    return fitness > other and not tied(fitness, other, shown_scale(metrics))


def replace_record(archive: Any, stored: Any, record: dict[str, Any] | None, slot: str = "pruned") -> None:
    """Make ``record`` (None: none) the archive's meta ``pruned`` in place of ``stored``; a replaced record that
    kept a program goes to the front of meta ``pruned_earlier``, so that its hash, which an earlier command of the
    same run printed (a smaller ``--budget``, or before ``--no-prune``), still names it (``show``, ``export``)."""
    archive.set_meta(slot, record)
    remember(archive, stored, record.get("hash") if record is not None else None)


def remember(archive: Any, record: Any, now: str | None) -> None:
    """Put the prune ``record``, where it kept a program, at the front of the archive's meta ``pruned_earlier``
    (once per hash), unless its hash is ``now``, that of the archive's ``pruned``: a replaced record, or the prune of
    a view (a smaller ``--budget`` than the archive holds), whose hash that command printed."""
    if not isinstance(record, Mapping) or not isinstance(record.get("program"), str) or record["hash"] == now:
        return
    earlier = [r for r in archive.meta().get("pruned_earlier") or () if r.get("hash") not in (record["hash"], now)]
    archive.set_meta("pruned_earlier", [dict(record), *earlier])


def on_common_draw(start: Mapping[str, Any] | None, record: Any) -> dict[str, Any] | None:
    """The run's ``start`` (:func:`mlevolve.api.search._start`'s) as the verdict compares it with a best pruned on a
    common draw (``record``, the archive's meta ``pruned``): its metrics on that draw, ``how`` saying so; else as it is.
    The prune scores the start as the file writes it (``start_as`` ``written``, as it scores the best and every
    edit: a learner's literals are not tuned there), so ``program`` is then that text and ``how`` drops what the
    run's own scoring of it did."""
    if start is None or not common_start(record) or record.get("start_hash") != start.get("hash"):
        return None if start is None else dict(start)
    metrics = record["start_metrics"]
    written = record.get("start_as") == "written"
    how = f"{start.get('how_written', start['how'])}; scored as written" if written else f"{start['how']}; scored"
    untuned = {k: v for k, v in start.items() if k not in ("tuned", "written_metrics")}  # its own draw's
    return {**untuned, "metrics": metrics, "failure": None if metrics is not None else "it fails on the common draw",
            **({"program": start["written"]} if written else {}),
            "how": f"{how} on the prune's {record['tasks']:,} common tasks, as the best"}


def common_start(record: Any) -> bool:
    """Whether the prune (the archive's meta ``pruned``, ``record``) scored the run's start on its common draw beside
    the best (``start_metrics``): a verdict then compares the two there; else each was scored as the run scored it."""
    return isinstance(record, Mapping) and "start_metrics" in record


def is_start(start: Mapping[str, Any] | None, key: str, program: str | None) -> bool:
    """Whether the program ``program`` (archived under ``key``) is the run's ``start`` as the verdict scores it
    (:func:`on_common_draw`'s): the same program, by the key of each text (a pruned best is named apart where its key
    is a candidate's, :func:`prune_best`, and a start scored as written is not its candidate's tuned text); where a
    text is missing or unreadable, the same key."""
    from mlevolve.gp.engine import Engine

    if start is None:
        return False
    scored = start.get("program")
    if isinstance(program, str) and isinstance(scored, str):
        with contextlib.suppress(MlevError):  # an archived text this version cannot read: its key decides
            return bool(program == scored or Engine.key(parse(program)) == Engine.key(parse(scored)))
    return bool(key == start.get("hash"))


def row_size(program: Program, names: Sequence[str], fitted: bool) -> int:
    """The nodes of ``program``'s evolved bodies as its archive row would count them (the size limit's measure, which
    ``best --front``, the report and ``SymbolicRegressor.front_`` read): where the run fits a formula's constants
    (``fitted``), without the linear scaling ``a + b * (...)`` its fit writes (:func:`~mlevolve.interpreter.fit.
    split_scaling`), which a candidate's proposal, the row's size, never carries; so a pruned best is sized as the
    candidates it is listed among, not 4 nodes larger (and off the Pareto front, behind its own candidate)."""
    from mlevolve.interpreter.fit import split_scaling

    if fitted:
        for name in pruning.evolved_slots(program, names):
            if (split := split_scaling(slot_body(program, name))) is not None:
                program = replace_slot(program, name, split[0])
    return pruning.complexity(program, names)[0]


def _pruned(archive: Any, best: Any, evaluator: Any, names: Sequence[str], spec: GrammarSpec, prune: bool,
            fitted: bool, kinds: set[str], variances: Mapping[str, float], budget: int,
            begin: Mapping[str, Any] | None, keep: bool, runners_up: Sequence[Any],
            slot: str = "pruned") -> dict[str, Any] | None:
    from mlevolve.gp.engine import Engine
    from mlevolve.results import fitness_metric

    archive.flush()  # the run's candidates committed first: a kill while pruning loses only the prune
    stored = archive.meta().get(slot)

    def kept(record: dict[str, Any] | None) -> dict[str, Any] | None:  # the archive's, where this is its whole run
        if keep:
            replace_record(archive, stored, record, slot)
        else:  # a view's: its hash, which the command prints, names it later (show, export)
            remember(archive, record, stored.get("hash") if isinstance(stored, Mapping) else None)
        return record

    if not prune or best is None or best.fitness is None or not {"formula", "learner"} >= kinds:
        return kept(None) if stored is not None and not prune else None
    common = bool(evaluator.fresh_tasks)
    refit = fitted and kinds == {"formula"}
    sources = [best, *[r for r in runners_up if r.hash != best.hash and r.fitness is not None][
        :PRUNE_SOURCES - 1]] if refit else [best]
    settings: dict[str, Any] = {"rtol": pruning.PRUNE_RTOL, "cap": pruning.cap(budget),
                                **({"draw": COMMON_DRAW} if common else {}),
                                **({"sources": [r.hash for r in sources]} if len(sources) > 1 else {})}
    if isinstance(stored, Mapping) and stored.get("from") in {r.hash for r in sources} \
            and stored.get("settings") == settings:
        return dict(stored)
    if common:  # one draw for the best and every edit, scored as written (a learner's literals are not tuned)
        written = evaluator.common_draw(COMMON_DRAW, f"prune\x00{best.hash}")
        factor = -(-int(written.task.x_train.shape[0]) // int(evaluator.task.x_train.shape[0]))  # fewer where capped
    else:
        written = copy.copy(evaluator)
        written.fit, written.tuning = None, None  # as `mlevolve run` scores it
        factor = 1
    def score(candidate: Program, refit: bool) -> pruning.Scoring | pruning.Failed:
        outcome = (evaluator if refit else written).evaluate(candidate, Engine.key(candidate))
        cost = factor * (1 + int(outcome.metrics.get("fit_evaluations", 0)))  # a failure's fit was spent too
        if outcome.failure is not None or not math.isfinite(outcome.fitness):
            return pruning.Failed(outcome.failure.reason if outcome.failure is not None else "a non-finite fitness",
                                  cost)
        scored = outcome.parsed or (parse(outcome.program) if outcome.program else candidate)
        return pruning.Scoring(outcome.fitness, dict(outcome.metrics), scored, cost)

    def typed(candidate: Program) -> Program | None:
        try:
            return check_program(candidate, spec)
        except MlevError:
            return None

    start = parse(best.program)
    before = keep and isinstance(stored, Mapping) and isinstance(stored.get("spent"), int)
    def origin(row: Any, program: Program) -> dict[str, Any]:  # the record's fields of the program it prunes
        return {"from": row.hash, "from_seq": row.seq, "from_generation": row.generation, "from_fitness": row.fitness,
                "from_metrics": dict(row.metrics), "from_size": row_size(simplify_shown(program), names, refit)}

    record: dict[str, Any] = {
        **origin(best, start), "program": None, "settings": settings, "edits": 0, "scorings": 0, "evaluations": 0,
        "budget": budget, **({"of": "answer"} if slot in ANSWER_SLOTS.values() else {})}
    fitness, metrics = best.fitness, best.metrics
    if common:  # the best on the common draw first: its score there is what an edit must tie
        own = score(start, False)
        record.update(tasks=int(written.task.x_train.shape[0]), scorings=1, evaluations=factor)
        if isinstance(own, pruning.Failed):
            record.update(failure=own.reason, spent=factor + (stored["spent"] if before else 0))
            return kept(record)
        fitness, metrics = own.fitness, own.metrics
        record.update(from_fitness=fitness, from_metrics=dict(metrics), from_own_metrics=dict(best.metrics))
        text = begin.get("written", begin.get("program")) if begin is not None else None
        if begin is not None and isinstance(text, str):  # the start on the same tasks, as written, for the verdict
            scored = score(parse(text), False)
            record.update(start_hash=begin["hash"],
                          start_metrics=dict(scored.metrics) if isinstance(scored, pruning.Scoring) else None,
                          scorings=2, evaluations=2 * factor, **({"start_as": "written"} if "written" in begin else {}))
    metric = fitness_metric(metrics)
    def floor_of(f: float) -> float:
        return pruning.floor(f, metric.bounded, metric.tie_scale(variances))

    shown, edited = fitness, 0  # the fitness of what the record shows (the best's, or the fittest prune's); edits' cost
    fittest = max(r.fitness for r in sources)  # a runner-up's prune must beat this too: `best`
    # lists the fittest candidate first (the run's best is the smallest of those tied with it)
    for source in sources:
        if edited >= settings["cap"]:
            break
        program = start if source is best else parse(source.program)
        found = pruning.prune(program, names, score, typed, floor_of(fitness if source is best else source.fitness),
                              refit=refit, cap=settings["cap"] - edited, floor_of=floor_of)
        edited += found.cost
        record.update(scorings=record["scorings"] + found.scorings, evaluations=record["evaluations"] + found.cost)
        if found.program is None or found.scoring is None or (
                source is not best and not beats(found.scoring.fitness, found.scoring.metrics, max(shown, fittest))):
            continue
        if source is not best:  # a runner-up pruned past the best: the record is its prune
            record.update(origin(source, program), runner_up=True)
        text, key = format_program(found.program), Engine.key(found.program)
        if archive.get(key) is not None:  # a candidate's already (its own: the cache's rules drop `x - x`, the shown
            # form keeps it; another's: `sin(w) + p * x` is `w` where w stays 0): named apart, so a hash is one program
            key = hashlib.blake2b(f"pruned\x00{text}".encode(), digest_size=16).hexdigest()
        shown = found.scoring.fitness
        record.update(program=text, hash=key, fitness=shown, metrics=dict(found.scoring.metrics), edits=found.edits,
                      size=row_size(found.program, names, refit))
    record.update(spent=record["evaluations"] + (stored["spent"] if before else 0))
    return kept(record)
