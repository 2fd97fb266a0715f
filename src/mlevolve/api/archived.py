"""Reading a run's archive: its best programs (:func:`best`, :func:`show`), its report, and its programs
exported with the task and grammar they were found on.
"""

from __future__ import annotations

import builtins
import shlex
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from mlevolve.api.checks import (
    EXPORTED_FROM,
    RUN_SETTINGS,
    _at_least,
    _check_digits,
    _confirms,
    check_output,
    write_atomic,
)
from mlevolve.api.programs import _stored, check, parse
from mlevolve.api.running import _export
from mlevolve.api.search import _pairs, reevaluate
from mlevolve.api.taskdata import _not_empty
from mlevolve.arguments import typed
from mlevolve.dsl.errors import (
    MlevError,
    SettingError,
)
from mlevolve.dsl.ir import Program
from mlevolve.gp.backends import Resources
from mlevolve.gp.engine import EvolveConfig
from mlevolve.grammar.spec import GrammarSpec, load_grammar
from mlevolve.interpreter.settings import Settings
from mlevolve.results import DEFAULT_SELECTION, SHOWN_DIGITS, fitness_metric, saved_task


@typed
def best(db: str | Path, n: int | None = None, digits: int = SHOWN_DIGITS,
         front: bool = False, select: str = DEFAULT_SELECTION) -> builtins.list[dict[str, Any]]:
    """The ``n`` (default 5) best distinct behaviours of an archive, best first: programs with the same behaviour
    (an FEC fingerprint, or equal metrics and shown text) are one entry, shown by one program (of those
    tied with its fittest within float rounding, the smallest: :func:`mlevolve.results.shown_order`, the
    rule of every best shown), with ``same`` listing the others' hashes; and one entry per shown text: a behaviour
    ranked lower that reads the same (scored on a draw of its own, or literals that differ past ``digits``) is
    merged into it, listed in ``alike`` (:func:`mlevolve.report.data.distinct`).

    Each is a dict: ``rank``, ``fitness``, ``metrics``, ``hash``, ``seq``, ``operator``,
    ``generation``, ``size`` (nodes of the evolved definitions), ``source`` (how it was scored: ``evaluated``,
    ``cache``, ``fec``...), ``parents`` (full hashes), ``failure`` and ``failure_where`` (None for a scored
    program), ``program`` (the whole program as shown: no comments, the run's task line),
    ``evolved`` (the shown text of just the definitions the run evolved), ``stored`` (the archive's
    text), ``same``, ``alike`` (each a dict of ``hash`` and ``fitness``), ``pruned`` (the line saying the entry is
    the run's best pruned, :mod:`mlevolve.gp.prune`, shown in its candidate's place; None otherwise) and ``answer``
    (against the run's starting program, as :func:`show` gives it).
    ``digits``: the significant digits of the literals in ``program`` and ``evolved`` (0: every digit;
    ``stored`` keeps them all).
    ``select``: the rule naming the run's answer (:func:`answer`; default
    :data:`~mlevolve.results.DEFAULT_SELECTION`, ``best``, PySR's pick, as the commands' ``--select``; ``accuracy``
    lists by fitness alone); where it answers with another than the fittest, the list starts with that answer, which
    alone has ``selected`` (the rule's name) and whose ``answer`` is :func:`answer`'s verdict, then the fittest
    others. Raises :class:`SettingError` for another ``select``.

    ``front``: the run's Pareto front of fitness against size instead (listed whole: ``n`` with it raises
    :class:`SettingError`), by size ascending, its last the fittest (:func:`mlevolve.report.data.front`): ``rank`` is
    the place on it, and each has ``size`` (nodes of the evolved definitions), ``score`` (PySR's, the log train MSE
    lost per node; None where there is no ``train_mse``), ``pick`` (whether rule ``select`` picks it, by default
    PySR's ``model_selection="best"``, :func:`mlevolve.report.data.selected`: the highest score within 1.5 times the
    least train MSE, as ``SymbolicRegressor`` picks by default; none is without scores) and ``drawn`` (whether the run
    drew tasks per candidate, ``fresh=1``: each fitness is then of its own draw, and the run's best, pruned on a
    common draw, may read below another's), the choice between accuracy and readability PySR and Operon users make.
    An entry is the search's candidate as the rules rank it; where the run pruned it as a rule's answer, its
    ``pruned_into`` is that prune (``hash``, ``size``, ``fitness``, ``metrics``, ``program``, ``evolved``,
    ``stored``), the answer every command hands out for it (None elsewhere; the fittest is listed pruned already, in
    its candidate's place).
    """
    return best_answered(db, n, digits, front, select)[0]


def best_answered(db: str | Path, n: int | None = None, digits: int = SHOWN_DIGITS, front: bool = False,
                  select: str = DEFAULT_SELECTION) -> tuple[builtins.list[dict[str, Any]], dict[str, Any] | None]:
    """:func:`best`'s list, and where it starts with rule ``select``'s answer (not the fittest) that answer as
    :func:`answer` gives it (else None), from one read of the archive (``mlevolve best`` names both)."""
    from mlevolve.report import data

    if front and n is not None:
        raise SettingError("{n} and {front}: the front is listed whole, from the smallest program to the run's best",
                           "{front} alone, or {n} without it")
    n = 5 if n is None else n
    _at_least(n=n)
    _check_digits(digits)
    _check_select(select)
    run = data.load(db, top=1, digits=digits)
    if front and run.meta.get("kind") == "meta":  # each inner run's AUC on its own task: no common fitness
        raise MlevError("a meta archive's candidates are inner runs, each scored by its AUC: there is no front of "
                        "fitness against size", file=str(db), hint=f"mlevolve best {shlex.quote(str(db))} lists "
                        "the inner runs' best programs; the meta run's answer is its grammar file")
    if front:
        from mlevolve.results import drawn_per_candidate as drawn_tasks

        drawn = drawn_tasks(run.meta.get("task"))
        listed = [{"rank": rank, **data.describe(run, g.representative, g), "first": None, "score": score,
                   "drawn": drawn, "pruned_into": _pruned_into(run, g.representative)}  # ranked by size: no
                  for rank, (g, score) in enumerate(data.distinct_front(run), 1)]  # entry is first by fitness
        pick = data.selected(listed, select) if listed and listed[0]["score"] is not None else None
        return [{**c, "pick": i == pick} for i, c in enumerate(listed)], None
    groups, chosen = data.listed(run, n, select)
    out = [{"rank": rank, **data.describe(run, g.representative, g)} for rank, g in enumerate(groups, 1)]
    for i, c in enumerate(out):
        c["answer"] = _against_start(run, c, 0, 0.0, rule=_rule(run, select) if chosen and i == 0 else None)
    if chosen and out:
        out[0]["selected"] = select
    return out, _answer_of(run, select, digits) if chosen and out else None


def _pruned_into(run: Any, row: Any) -> dict[str, Any] | None:
    """The prune the run kept of front entry ``row`` as a rule's answer (:func:`mlevolve.report.data.answer_pruned`):
    what ``best``, ``show --best``, ``export --best`` and :func:`answer` hand out for it, as ``hash``, ``size``,
    ``fitness``, ``metrics``, ``program`` (shown) and ``stored`` (every digit); None where there is none."""
    from mlevolve.report import data
    from mlevolve.results import r2_beside

    pruned = data.answer_pruned(run, row)
    if pruned is None:
        return None
    return {"hash": pruned.hash, "size": pruned.size, "fitness": pruned.fitness,
            "metrics": r2_beside(pruned.metrics, run.meta.get("target_variance")),
            "program": data.whole(run, pruned), "evolved": data.evolved(run, pruned), "stored": pruned.program}


def _rule(run: Any, select: str) -> tuple[str, Mapping[str, Any]]:
    """The ``rule`` of :func:`mlevolve.results.answer` for rule ``select``'s answer where it is not the fittest: the
    rule's name and the fittest's metrics (its verdict says what the fittest beat the start by)."""
    return select, run.groups[0].representative.metrics


def _check_select(select: str) -> None:
    """Refuse a ``select`` that is not a rule of :data:`mlevolve.report.data.MODEL_SELECTIONS`."""
    from mlevolve.report.data import MODEL_SELECTIONS

    if select not in MODEL_SELECTIONS:
        raise SettingError("{select} must be 'accuracy', 'best' or 'score', got {got}", got=repr(select),
                           hint="'best' (PySR's pick, the default) or 'accuracy' (the fittest)")


@typed
def answer(db: str | Path, select: str = DEFAULT_SELECTION, digits: int = SHOWN_DIGITS) -> dict[str, Any] | None:
    """The run's answer in archive ``db`` as rule ``select`` chooses it (PySR's ``model_selection``, the rule of
    ``SymbolicRegressor``'s: :func:`mlevolve.report.data.selected`): ``best`` (the default) the highest PySR score of
    the front's formulas within 1.5 times the least train MSE, ``score`` the highest score, ``accuracy`` the fittest.
    Where the front has no scores (no ``train_mse``: not a formula run) it is the fittest.

    A dict as :func:`mlevolve.results.answer` gives (``metric``, ``best``, ``start``, ``verdict``...), ``best`` the
    chosen program's (``hash``, ``seq``, ``source``, ``size``, ``program``: its evolved definitions shown to
    ``digits``, ``algebra``; ``pruned``, the line saying what the prune of it did, and where the answer is a rule's
    pruned: ``pruned_from``, its candidate's hash, and ``prune_cost``, that prune's evaluations), with ``fittest``
    (``hash``, ``seq``, ``source``, ``size``, ``fitness``, ``metrics``) where the chosen one is not the fittest;
    None without a scored candidate.  Raises :class:`SettingError` for another ``select``, :class:`MlevError` for a
    missing, foreign or damaged archive."""
    from mlevolve.report import data

    _check_select(select)
    _check_digits(digits)
    return _answer_of(data.load(db, top=1, digits=digits), select, digits)


def _answer_of(run: Any, select: str, digits: int) -> dict[str, Any] | None:
    """:func:`answer` of a loaded run (``report.data.load``, with ``digits``)."""
    from mlevolve.report import data
    from mlevolve.results import shown_algebra

    out = data.answer(run, select)
    if out is not None and out.get("fittest") is not None:  # the chosen program's own row: its algebra
        pick = data.chosen(run, select)  # its pruned form, where the run pruned the answer
        row = pick.representative if pick is not None and pick.representative.hash == out["best"]["hash"] else \
            next(g.representative for g in data.behaviours(run) if g.representative.hash == out["best"]["hash"])
        out["best"]["algebra"] = shown_algebra(row.program, digits or None)
    return out


@typed
def no_score(db: str | Path) -> tuple[str, str]:
    """What to say (message, hint) of archive ``db`` when it has no candidate with a fitness: whether the
    run finished, and why its candidates failed (see :func:`mlevolve.report.summary.no_score_text`)."""
    from mlevolve.report import data
    from mlevolve.report.summary import no_score_text

    run = data.load(db, top=1)
    return no_score_text(str(db), data.failure_reasons(run.rows), data.finished(run))


@typed
def show(db: str | Path, key: str | None = None, n: int = 1, confirm: int = 0,
         timeout: float = Resources.timeout, grammar: GrammarSpec | None = None,
         digits: int = SHOWN_DIGITS, select: str = DEFAULT_SELECTION) -> builtins.list[dict[str, Any]]:
    """The program whose hash starts with ``key`` (default: the ``n`` best behaviours, rule ``select``'s answer
    first as :func:`best` lists them; ``select``'s default is :func:`best`'s and ``show --best``'s), each with its
    ancestry.

    Each is a dict like :func:`best`'s (``rank`` only for the best) plus ``ancestry``: the chain of (best) parents
    to the root, newest first, each a dict of ``hash``, ``operator``, ``generation``, ``fitness`` and ``seq`` (or
    ``missing``).
    ``answer`` compares each with the run's starting program (see :func:`mlevolve.results.answer`;
    None for a failure or an archive without a start); ``confirm`` > 0 re-evaluates both with that
    many further seeds for the gain's spread, checked in ``grammar`` (the run's: see :func:`archived_grammar`).
    ``digits`` as :func:`best`'s.  Raises :class:`MlevError` for a missing, foreign or damaged archive, a ``key``
    no program (or more than one) has, and, without a ``key``, an archive with no scored candidate; a ``key`` with
    ``n`` other than 1 (a key names one program) raises :class:`SettingError`.
    """
    return show_answered(db, key, n, confirm, timeout, grammar, digits, select)[0]


def show_answered(db: str | Path, key: str | None = None, n: int = 1, confirm: int = 0,
                  timeout: float = Resources.timeout, grammar: GrammarSpec | None = None,
                  digits: int = SHOWN_DIGITS, select: str = DEFAULT_SELECTION,
                  ) -> tuple[builtins.list[dict[str, Any]], dict[str, Any] | None]:
    """:func:`show`'s list, and where it starts with rule ``select``'s answer (not the fittest) that answer as
    :func:`answer` gives it (else None), from one read of the archive (``show --best`` read it twice)."""
    from mlevolve.report import data

    _at_least(n=n)
    if key is not None and n != 1:  # (as the command line refuses -n with a HASH)
        raise SettingError("{n} must be 1 with a key, which names one program, got {got}", got=n,
                           hint="show(db, n=N) for the N best, or show(db, key) for one program")
    _check_digits(digits)
    _confirms(confirm)
    _check_select(select)
    run = data.load(db, top=n, key=key, digits=digits)
    chosen = False
    if run.found is not None:
        out = [{**data.describe(run, run.found, data.group_of(run, run.found)),
                "ancestry": data.ancestry(run, run.found)}]
    else:
        groups, chosen = data.listed(run, n, select)
        if not groups:
            message, hint = no_score(db)
            raise MlevError(message, file=str(db), hint=hint)
        out = [{"rank": rank, **data.describe(run, g.representative, g),
                "ancestry": data.ancestry(run, g.representative)} for rank, g in enumerate(groups, 1)]
    spec = archived_grammar(run.meta, db, grammar) if confirm else None
    for i, c in enumerate(out):
        c["answer"] = _against_start(run, c, confirm, timeout, spec,
                                     rule=_rule(run, select) if chosen and i == 0 else None)
    if chosen:
        out[0]["selected"] = select
    return out, _answer_of(run, select, digits) if chosen else None


def _against_start(run: Any, c: Mapping[str, Any], n: int, timeout: float,
                   grammar: GrammarSpec | None = None,
                   rule: tuple[str, Mapping[str, Any]] | None = None) -> dict[str, Any] | None:
    """The answer for one archived program against the run's starting program (see
    :func:`mlevolve.results.answer`), with ``n`` > 0 re-evaluation seeds for the gain's spread; None
    for a failed program, or when the archive knows no start and none is re-evaluated.  ``rule``: the program is
    the run's answer by that rule, not the fittest (:func:`_rule`)."""
    from mlevolve.gp.prune_best import is_start
    from mlevolve.report import data
    from mlevolve.results import answer, as_written

    meta = run.meta
    begin, metrics, apart = data.alike(run, c["hash"], c["metrics"])
    # the start as it was scored (its fitted constants), else (an older archive) the file's program
    start_text = begin.get("program") if begin and isinstance(begin.get("program"), str) else meta.get("program")
    task = meta.get("task")
    if c["fitness"] is None or (begin is None and not n):
        return None
    pairs = None
    if n and isinstance(start_text, str) and isinstance(task, str):
        # the run's data by absolute path, checked by digest
        task = _archived_task(meta, run.path, "show it without --confirm (the archive's scores need no data)") or task
        seed, epochs = int(meta.get("seed", EvolveConfig.seed)), int(meta.get("epochs", Settings.epochs))
        spec = grammar or load_grammar()
        start = _check_archived(start_text, f"{run.path}#start", meta, run.path, spec)
        found = _check_archived(c["stored"], f"{run.path}#{c['hash'][:12]}", meta, run.path, spec)
        seeds = list(range(seed + 1, seed + n + 1))
        pairs = _pairs(reevaluate([start, found], task, seeds, epochs, grammar, timeout=timeout),
                       fitness_metric(c["metrics"]).name)
    groups = data.behaviours(run)
    out = answer(metrics, begin.get("metrics") if begin else None,
                 variances=meta.get("target_variance") or {}, sizes=meta.get("split_size") or {},
                 same_program=is_start(begin, c["hash"], c.get("stored")), confirm=pairs,
                 task=meta.get("task"), of_best=bool(groups) and groups[0].representative.hash == c["hash"],
                 apart=apart, written=as_written(begin), rule=rule, program=c.get("stored"))
    out["start"]["how"] = begin.get("how") if begin else "not known: the archive has no starting program's score"
    record = run.meta.get("pruned") or {}
    if record.get("tasks") and not apart and c["hash"] in (record.get("hash"), record.get("from")):
        own = c["metrics"].get(out["metric"]["name"])  # compared on the prune's common draw: its headline's own draw
        out["best"]["note"] = f"scored on the prune's {record['tasks']:,} common tasks, as the start" + (
            f"; {out['metric']['name']} {data.apart(own, own)[0]} on its own draw"
            if isinstance(own, float) and dict(metrics) != dict(c["metrics"]) else "")
    if c.get("source") == "hurdle":  # its training stopped early: not the start's full training
        out["verdict"] += "; this program's training was stopped early by the hurdle (the start's was not)"
    return out


@typed
def report(db: str | Path, output: str | Path, *, top: int = 5, baseline: str | Path | None = None,
           digits: int = SHOWN_DIGITS, select: str = DEFAULT_SELECTION) -> dict[str, Any]:
    """Write the HTML run report of archive ``db`` to ``output``; see docs/report.md.  Its top section is the run's
    answer as ``select`` chooses it (:func:`answer`).

    ``baseline``: another archive of the same task (say, a random-search run) whose best-so-far
    curve is drawn with this run's.  ``digits`` as :func:`best`'s.  Returns a dict of ``output`` (str), ``candidates``
    (the rows read, int), ``state`` (str: the run finished, in progress or interrupted, or empty) and ``unit`` (str:
    what a row is, ``"candidate"``, or a meta run's ``"inner run"``).  Raises
    :class:`MlevError` for a missing, foreign or damaged archive, a baseline of another task or kind of run or the
    run's own archive, and an ``output`` that is an archive, in no folder, or a file mlevolve did not write.
    """
    from mlevolve.report import data, page

    _at_least(top=top)
    _check_digits(digits)
    _check_select(select)
    for archive in (db, baseline) if baseline is not None else (db,):  # by resolved path: ./a.db is a.db
        if Path(output).resolve() == Path(archive).resolve():
            raise MlevError("the report would overwrite the archive", file=str(archive), hint="pass -o OUT.html")
    check_output(output, "output", "report")  # in a folder that exists: a typo's folder is refused, not made
    run = data.load(db, top=top, digits=digits)
    other = data.load(baseline) if baseline is not None else None
    if other is not None and run.is_run(other):  # its own archive by any path, a copy or a hard link: the run
        raise MlevError("the baseline is this run's own archive: its curve would be drawn against itself",
                        file=str(baseline), hint="pass another run's archive of the same task, e.g. a random "
                        "search's (mlevolve evolve ... --algorithm random --db base.db)")
    their_kind, our_kind = ("a meta run" if r is not None and r.meta.get("kind") == "meta" else "an evolve run"
                            for r in (other, run))
    if other is not None and their_kind != our_kind:  # a meta run's "task" is its training split: said so, not that
        raise MlevError(f"baseline is {their_kind}'s archive, this is {our_kind}'s", file=str(baseline),
                        hint="pass an archive of the same kind of run on the same task")
    if other is not None and other.meta.get("task") != run.meta.get("task"):
        raise MlevError(f"baseline is a run on task {other.meta.get('task')!r}, not {run.meta.get('task')!r}",
                        file=str(baseline), hint="pass an archive of the same task")
    ours, theirs = (fitness_metric(r.top[0].metrics).name if r is not None and r.top else None for r in (run, other))
    if ours is not None and theirs is not None and ours != theirs:  # a formula's and a learner's run on one file
        raise MlevError(f"baseline's fitness is {theirs}, this run's {ours}: their curves would share one axis",
                        file=str(baseline), hint="pass an archive of a run scored as this one (the same kind of "
                        "program on the same task)")
    text = page.build(run, other, top=top, select=select)
    write_atomic(output, text)
    return {"output": str(output), "candidates": len(run.rows), "state": data.state(run) if run.rows else "empty",
            "unit": "inner run" if run.meta.get("kind") == "meta" else "candidate"}


@typed
def export_from_archive(db: str | Path, key: str | None = None, task: str | None = None, *,
                        seed: int | None = None, epochs: int | None = None,
                        grammar: GrammarSpec | None = None, script: str | None = None,
                        select: str = DEFAULT_SELECTION) -> str:
    """Export the run's answer in an archive, rule ``select``'s (:func:`answer`; the default
    :data:`~mlevolve.results.DEFAULT_SELECTION` as ``export --best``'s), or the program whose hash starts with ``key``.

    The task is ``task``, or the run's: a run on a data file is exported with the file's absolute
    path (stored in the archive), after checking that the file still holds the data the run was
    scored on, so the export works from any folder.  ``seed`` and ``epochs`` default to the run's;
    ``grammar`` (default: the base grammar) must be the run's (see :func:`archived_grammar`); ``script``
    as :func:`export`'s.  Raises :class:`MlevError` for a missing, foreign or damaged archive, a ``key`` no program
    (or more than one) has, an archive with no scored candidate, and a data file gone or changed since the run;
    :class:`SettingError` for another ``select``.
    """
    return export_archived(db, key, task, seed=seed, epochs=epochs, grammar=grammar, script=script, select=select)[0]


def export_archived(db: str | Path, key: str | None = None, task: str | None = None, *,
                    seed: int | None = None, epochs: int | None = None, grammar: GrammarSpec | None = None,
                    script: str | None = None, select: str = DEFAULT_SELECTION) -> tuple[str, dict[str, Any]]:
    """:func:`export_from_archive`'s script and the archive's meta, from one read of the archive (``export --best``
    read it three times: for the answer, the program and the run's task)."""
    _not_empty(task)
    program, meta, spec = _archived(db, key, task, grammar, select=select)
    return _export(program, task or _archived_task(meta, db),
                   int(meta.get("seed", EvolveConfig.seed)) if seed is None else seed,
                   int(meta.get("epochs", Settings.epochs)) if epochs is None else epochs, spec, script,
                   ["epochs"] if epochs is not None else []), meta  # the run's own epochs: a formula run's are unread


@typed
def export_program(db: str | Path, key: str | None = None, *, grammar: GrammarSpec | None = None,
                   select: str = DEFAULT_SELECTION) -> tuple[str, builtins.list[str]]:
    """The run's answer in an archive by rule ``select`` (:func:`answer`; or the program whose hash starts with
    ``key``) as ``.mlev`` text, as
    shown (simplified: the same values) with the run's task (a data file by absolute path), under a
    first comment line naming the archive; and the options with which ``mlevolve run`` scores it as
    the run did (the run's ``--seed`` and ``--epochs`` where they are not the defaults; a meta run's
    program has no task line, being scored on several: ``--task`` its first training task).  What
    ``mlevolve export DB -o FILE.mlev`` writes, for ``mlevolve run`` or a later search to start from; the comment
    line gives those options too (a file kept apart from the command that printed them scores as the run did)."""
    from mlevolve.dsl.check import clamp_ranges
    from mlevolve.dsl.printer import format_program

    program, meta, _ = _archived(db, key, None, grammar, data_task=True, verify=False,  # text: no data read
                                 select=select)
    defaults = (("seed", EvolveConfig.seed), ("epochs", Settings.epochs))
    options = [f"--{name} {int(meta[name])}" for name, default in defaults
               if name in meta and int(meta[name]) != default]
    if meta.get("kind") == "meta" and isinstance(meta.get("task"), str):  # "meta:TASK,...": scored on each, not one
        options = [f"--task {shlex.quote(meta['task'].split(':', 1)[-1].split(',')[0])}", *options]
    with_options = RUN_SETTINGS.format(" ".join(options)) if options else ""  # kept in it
    if program.task is None and meta.get("kind") != "meta" and (named := _archived_task(meta, db, verify=False)):
        options.append(f"--task {shlex.quote(named)}")  # a name no task line can hold (a quote in a file name)
    # a rate the search drew out of its range as the value it ran with, so the file checks (dropout(1.7): 0.9)
    program = program.with_definitions(tuple(d if d.body is None else replace(d, body=clamp_ranges(d.body))
                                             for d in program.definitions))
    return f"{EXPORTED_FROM} {db}{with_options}\n" + format_program(program), options


@typed
def drawn_per_candidate(text: str) -> bool:
    """Whether the ``.mlev`` ``text`` (:func:`export_program`'s) names a task drawn afresh per program
    (``fresh=1``), whose scores no later run can repeat."""
    from mlevolve.results import drawn_per_candidate as drawn

    return drawn(parse(text).task)


@typed
def archived_program(db: str | Path, key: str | None = None, *, grammar: GrammarSpec | None = None,
                     select: str = DEFAULT_SELECTION) -> Program:
    """The run's answer in an archive by rule ``select`` (:func:`answer`; or the program whose hash starts with
    ``key``) as shown, checked in the run's grammar (``grammar``, see :func:`archived_grammar`).  Raises
    :class:`MlevError` naming ``db``, :class:`SettingError` for another ``select``."""
    return _archived(db, key, None, grammar, select=select)[0]


def _archived(db: str | Path, key: str | None, task: str | None, grammar: GrammarSpec | None,
              data_task: bool = False, verify: bool = True,
              select: str = DEFAULT_SELECTION) -> tuple[Program, dict[str, Any], GrammarSpec]:
    """The program (``key``'s, else rule ``select``'s answer; as shown, with ``task``, else the run's task: with
    ``data_task``, a data file by its absolute path, :func:`_archived_task`, checked unless not ``verify``), the
    archive's meta and the grammar to check it in, from one read of the archive."""
    from mlevolve.report import data
    from mlevolve.results import archived_whose, shown_program

    _check_select(select)
    run = data.load(db, top=1, key=key)
    meta = dict(run.meta)
    # the answer as `best` and `show` show it: of programs tied within float rounding, the smallest
    pick = None if key else data.chosen(run, select)
    rows = [run.found] if key else [pick.representative] if pick is not None else \
        [g.representative for g in data.behaviours(run)[:1]]
    if not rows or rows[0] is None:  # (a hash not found is data.load's error) none scored: as `show --best` says
        message, hint = no_score(db)
        raise MlevError(message, file=str(db), hint=hint)
    spec = archived_grammar(meta, db, grammar)
    where = f"{db}#{rows[0].hash[:12]}"
    run_task = saved_task(meta.get("task"), meta.get("data_path"))  # a data file: absolute, read wherever it is saved
    # a found program as shown: no hand-written comments (they described the file's program), the run's task
    # line, unless the task's name cannot be written as one (a quote or line break in a file name)
    named = task if meta.get("kind") == "meta" else (  # a meta run's programs have no one task
        task or (_archived_task(meta, db, verify=verify) if data_task else None) or run_task)
    # no task line where none can name it; a text that no longer parses named as the archive's
    whose = archived_whose(rows[0].seq, rows[0].source)  # a pruned best: the archive's pruned record
    text = shown_program(rows[0].program, task=named, archive=str(db), whose=whose)
    return _check_archived(text, where, meta, db, spec), meta, spec


@typed
def archived_grammar(meta: Mapping[str, Any], db: str | Path, grammar: GrammarSpec | None = None) -> GrammarSpec:
    """The grammar to re-check an archived run's programs with: ``grammar`` (default: the base grammar).
    A grammar given must be the one the run searched (the archive stores its name and digest); the
    base grammar serves a run of another grammar whenever its programs check in it (a primitive
    computes the same in every grammar).  Raises :class:`MlevError` naming ``db`` otherwise."""
    recorded = meta.get("grammar")
    name, digest = recorded.rsplit(":", 1) if isinstance(recorded, str) and ":" in recorded else ("", "")
    if grammar is not None and digest and digest != grammar.digest:
        raise MlevError(f"the run searched grammar '{name}' (digest {digest}), not '{grammar.name}' "
                        f"(digest {grammar.digest})", file=str(db),
                        hint="pass the run's grammar file with --grammar FILE")
    return grammar or load_grammar()


def _check_archived(text: str, where: str, meta: Mapping[str, Any], db: str | Path, spec: GrammarSpec) -> Program:
    """An archived program's text checked in ``spec`` (from :func:`archived_grammar`); a program that
    needs the run's own grammar is an error with that hint, not a type error of the base grammar."""
    try:
        return check(_stored(text, where), spec)
    except MlevError:
        recorded = meta.get("grammar")
        if isinstance(recorded, str) and ":" in recorded and recorded.rsplit(":", 1)[1] != spec.digest:
            raise MlevError(f"the run searched grammar '{recorded.rsplit(':', 1)[0]}', and its program does not "
                            f"check in '{spec.name}'", file=str(db),
                            hint="pass the run's grammar file with --grammar FILE") from None
        raise


def _archived_task(meta: Mapping[str, Any], db: str | Path,
                   instead: str = "pass --task with the data to export for", verify: bool = True) -> str | None:
    """The task spec of an archived run, its data file given by absolute path and checked by digest:
    the one way every command that re-evaluates from an archive (``export DB``, ``show --confirm``)
    finds the run's data.  Raises :class:`MlevError` (naming ``db``) when the file is missing or changed,
    hinting to restore it or do ``instead`` (what the calling command offers in its place); not with
    ``verify`` False (a program's text names the file, and reads no data)."""
    from mlevolve.interpreter.tasks import data_source

    spec, path, digest = meta.get("task"), meta.get("data_path"), meta.get("data_sha256")
    if meta.get("kind") == "meta" and isinstance(spec, str):  # "meta:TASK,TASK": the training split, no task
        tasks = spec.split(":", 1)[-1].split(",")  # a list in a message: ", " between its items
        raise MlevError(f"a meta archive (of `mlevolve meta`): its programs were scored on the tasks "
                        f"{', '.join(tasks)}, not on one task", file=str(db),
                        hint=f"`mlevolve export {db} --best -o best.mlev` writes its best, which `mlevolve run "
                             f"best.mlev --task {shlex.quote(tasks[0])} --seed N` scores on one task (`export ... "
                             "--task T -o best.py`: as a script); the meta run's answer is its grammar file "
                             "(`mlevolve evolve FILE --grammar GRAMMAR.toml`)")
    absolute = saved_task(spec, path if digest else None)  # the data file by its absolute path
    if absolute is None or not isinstance(path, str) or not digest or not verify:
        return absolute
    if not Path(path).is_file():
        raise MlevError(f"the run's data file {path} is missing", file=str(db),
                        hint=f"put the file back, or {instead}")
    source = data_source(absolute)
    if source is None or source[1] != digest:
        raise MlevError(f"the run's data file {path} changed since the run (SHA-256 {digest[:12]} then, "
                        f"{source[1][:12] if source else 'none'} now)", file=str(db),
                        hint=f"restore the file, or {instead}")
    return absolute
