"""The evolution run (:func:`evolve`): its settings checked, its archive opened or resumed, the search
driven, its best pruned and confirmed, and the run summed up as the answer the CLI prints.
"""

from __future__ import annotations

import builtins
import contextlib
import inspect
import os
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from mlevolve.api.checks import (
    _check_bandit,
    _check_search_settings,
    _off_defaults,
    check_apart,
    check_json_log,
    check_output,
    script_name,
)
from mlevolve.api.programs import _file_of, _program, _stored, check, format, parse
from mlevolve.api.taskdata import _ready, _task_name, check_settings_apply
from mlevolve.arguments import typed
from mlevolve.dsl.errors import (
    MlevError,
    ProgramWarning,
    SettingError,
    capped,
    did_you_mean,
)
from mlevolve.dsl.ir import Program, Span
from mlevolve.dsl.kinds import idle, unread_inputs
from mlevolve.dsl.printer import format_program
from mlevolve.dsl.traverse import program_hash as _program_hash
from mlevolve.gp.backends import Resources, compiled_here
from mlevolve.gp.dask_address import knock_dask
from mlevolve.gp.diversity import DiversityConfig
from mlevolve.gp.engine import EvolveConfig
from mlevolve.grammar.spec import GrammarSpec, load_grammar
from mlevolve.interpreter.settings import Settings
from mlevolve.messages import counted
from mlevolve.results import DEFAULT_SELECTION, SHOWN_DIGITS, fitness_metric, r2_beside


def _said(error: MlevError) -> tuple[str, Span | None]:
    return error.message, error.span


def _seed_warnings(program: Program, evolved: Sequence[str]) -> set[tuple[str, Span | None]]:
    """The warnings of ``program``'s check about an input a body as written does not read
    (:func:`mlevolve.dsl.kinds.unread_inputs`) of slots ``evolved``: a seed body the search rewrites (``learn(x, y, p)
    = w``, to evolve from), not said by ``evolve``.  An unused or hiding ``let`` in one is said, once, before the
    search, as ``check`` and ``run`` say it: the starting program is the user's, its dropped value a mistake."""
    if not program.written:
        return set()
    return {_said(e) for e in unread_inputs(program)} - {_said(e) for e in unread_inputs(program, evolved)}


@typed
def evolvable(program: Program, names: Sequence[str], file: str = "the program") -> builtins.list[str]:
    """The slots ``--evolve`` names: definitions, ``learner.method``, a learner (all its methods),
    or ``all``.  Raises :class:`SettingError` for a name that is none of them, and :class:`MlevError` at
    the definition for one with no effect on the score unless the definition that would use it is named
    too (:func:`mlevolve.dsl.kinds.idle`: an activation the model never names, a schedule whose update
    rule never reads ``lr``)."""
    from mlevolve.dsl.kinds import slots
    from mlevolve.dsl.types import type_str

    available = [s.name for s in slots(program)]
    learners = list(dict.fromkeys(a.split(".")[0] for a in available if "." in a))  # `--evolve L`: all its methods
    listed = ", ".join(available + [f"{learner} (all its methods)" for learner in learners]) or "none"
    names = [name.strip() for name in names]  # " f " is f, as `--evolve " f , g"` reads it
    if not any(names):
        raise SettingError("{evolve} names nothing to evolve",
                           hint=f"name one or more of: {listed}, or all (the default)")
    if not all(names):  # `--evolve 'f,'`, `f,,g`: a name left out, or a stray comma; a list's empty item
        empty = SettingError("{evolve}[{index}] is an empty name", got=",".join(names), index=names.index("") + 1,
                             hint='write a definition\'s name in each item, as ["f", "g"], or drop the empty one')
        empty.flag_wording = ("{evolve} {got!r} has an empty name",
                              "separate the names by single commas, none at either end, as in f,g")
        raise empty.rename(lambda name: name)
    if list(names) == ["all"]:
        return available
    if "all" in names:
        raise SettingError("{evolve} all names every definition: it takes no other names",
                           hint="write all alone, or list the definitions to evolve")
    out: builtins.list[str] = []
    for number, name in enumerate(names):
        matches = [a for a in available if a == name or a.startswith(name + ".")]
        owner, _, method = name.partition(".")
        if not matches and owner in learners and method == "setup":  # optional: the learner has none to evolve
            learner = program.get(owner)
            state = [type_str(p.type) for p in (learner.params if learner is not None else ())]
            result = state[0] if len(state) == 1 else f"({', '.join(state)})"
            raise SettingError("{evolve} {got!r}: learner {owner!r} of {file} has no setup method (it is optional)",
                               got=name, owner=owner, file=file,
                               hint=f"add one to evolve it, e.g. setup() -> {result} = ... (its state at the start); "
                                    f"definitions: {listed}, or all")
        if not matches:
            raise SettingError("{evolve} {got!r} is not a definition of {file}", got=name, file=file,
                               hint=did_you_mean(name, learners + available) + f"definitions: {listed}, or all")
        twice = next((n for n in names[:number] if n == name or name.startswith(n + ".") or n.startswith(name + ".")),
                     None)  # given twice, or a method of a learner named before (or the reverse: `L.learn,L`)
        if twice is not None:
            raise SettingError("{evolve} names {got!r} twice" if twice == name else
                               "{evolve} names {got!r} and {other!r}, one within the other", got=name, other=twice,
                               hint="name each definition once: a learner stands for all its methods")
        out += [m for m in matches if m not in out]
    owners = {n.split(".")[0] for n in out}
    for dead in idle(program, owners):  # evolving it would spend the budget on bodies the score never sees
        if dead.name in owners:
            err = dead.error
            raise MlevError(f"{err.message}, so evolving it cannot change the score", err.span,
                            err.hint if dead.always else
                            f"{err.hint}; or evolve {dead.by} with it ({dead.by},{dead.name})",
                            None if file == "the program" else file)
    return out


class RunInterrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C (SIGINT): ``saved`` candidates (a meta run's: finished inner runs) are in the
    archive ``db``; the same command resumes it."""

    def __init__(self, db: str, saved: int) -> None:
        super().__init__(f"interrupted: {saved:,} candidates saved in {db}")
        self.db = db
        self.saved = saved


@typed
def evolve(
    program: Program | str | Path,
    evolve: Sequence[str] = ("all",),
    task: str | None = None,
    *,
    budget: int = EvolveConfig.budget,
    db: str | Path | None = None,
    algorithm: str = EvolveConfig.algorithm,
    seed: int = EvolveConfig.seed,
    init: str = EvolveConfig.init,
    population: int = EvolveConfig.population,
    tournament: int = EvolveConfig.tournament,
    restart_every: int | None = None,
    epochs: int = Settings.epochs,
    hurdle: bool = EvolveConfig.hurdle,
    grammar: GrammarSpec | None = None,
    quiet: bool = True,
    fit: bool | None = EvolveConfig.fit,
    json_log: str | Path | None = None,
    workers: int = Resources.workers,
    dask: str | None = Resources.dask,
    timeout: float = Resources.timeout,
    bandit: bool | None = None,
    memory_limit: float | None = Resources.memory_limit,
    confirm: int = 0,
    diversity: DiversityConfig | None = None,
    digits: int = SHOWN_DIGITS,
    prune: bool = EvolveConfig.prune,
    max_time: float | None = EvolveConfig.max_time,
) -> dict[str, Any]:
    """Evolve the ``evolve`` slots of ``program`` on ``task`` for ``budget`` candidates (each
    proposed program counts once, however it is answered: cache, FEC, probe, hurdle or a full
    evaluation; a formula's constant-fitting and a learner's literal-tuning evaluations come on top, as
    ``fit_evaluations``).
    ``program``: a parsed :class:`Program`, its text, or its ``.mlev`` file's path, as for :func:`run`.
    ``quiet`` (default True, as a library function is silent unless asked, as ``SymbolicRegressor(verbose=False)``):
    nothing on stderr; False: what ``mlevolve evolve`` prints there (where candidates are scored, a resumed
    archive, a changed environment, the progress lines), which the command asks for unless ``--quiet``.

    The run lives in the SQLite archive ``db`` (default ``runs/<program>-<task>.db``, a grammar's name after the
    task where ``grammar`` is not the base grammar, the evolved slots after that where ``evolve`` names some of the
    program's, not all: :func:`~mlevolve.gp.archive.default_path`); calling again
    with the same arguments resumes it (or extends it, with a larger budget).  Candidates are
    scored in ``workers`` worker processes (default 1; 0: one per core), or with ``dask``
    (``local:N`` or ``tcp://HOST:PORT``) on a Dask cluster; each candidate gets at most ``timeout``
    seconds and ``memory_limit`` GiB (default: half the machine's memory shared among the workers)
    and is cut where it runs past either, as a recorded failure.  With a grammar given as an
    object rather than a file, candidates run in this process (the memory limit holds, the time
    budget is checked between training steps).
    ``bandit`` picks mutations with the adaptive operator bandit; None, the default: on exactly when the
    grammar has evolved operators (they are offered through it); False with such a grammar is a
    :class:`SettingError`.  ``restart_every`` N > 0 (regularized evolution only; 0 or at least
    ``population``): after every N finished candidates the population is dropped and seeded again
    from the initial programs (``init``), budget, archive, cache and FEC tables continuing; the
    summary counts the ``restarts`` and gives the ``restart_every`` used.  None, the default: 20 x ``population``
    for a learner search by regularized evolution, else 0, never (:meth:`EvolveConfig.restarts`).  A learner
    search on a synthetic family (``linear``, ``affine``, ``teacher``) whose task spec gives neither ``fresh=`` nor
    ``fitness=`` runs on ``fresh=1:fitness=relative`` (:func:`~mlevolve.interpreter.tasks.search_spec`): the task
    stored and shown says so; ``linear:fresh=0`` asks for the fixed tasks.  ``diversity``: the settings of
    ``algorithm`` ``islands`` or ``map-elites`` (default: :class:`~mlevolve.gp.diversity.DiversityConfig`'s).
    ``fit`` (None: the config's default, on) fits an evolved formula's constants before scoring it (linear scaling and
    Levenberg-Marquardt on its literals) and tunes the literals of evolved learner methods (a
    log-scale grid, :func:`mlevolve.interpreter.fit.tune_learner`); the archive keeps the fitted
    program and its ``fit_evaluations``; it has no effect on other programs.  ``confirm`` > 0 re-evaluates the
    best and the starting program with that many further seeds (each a new draw of the task's data,
    an RL task's episodes; training, if any, reseeded) to give the gain's spread.  ``digits``: the significant digits
    of the literals in the ``answer``'s program, shown to people (0: every digit, as ``evolve --json`` prints it unless
    ``--digits`` is given); ``best_program`` keeps them all (docs/report.md).  ``prune`` (formulas and learners;
    default on): once the run ends, its best is pruned by value-changing edits (a literal snapped, a term or
    memory update dropped) that the run's own scoring cannot tell from it (:mod:`mlevolve.gp.prune_best`: on tasks drawn
    per candidate, both scored on one common draw; stopping once it has cost the larger of 5% of ``budget`` and 1,000
    evaluations, the scoring under way finished); the pruned program, its metrics, the candidate it came from and the
    scorings it cost are kept in the archive's meta (``pruned``) and shown in the best's place, here (every ``best_*``
    field and ``answer``, whose ``best.pruned`` says what the prune did, kept or not; the search's best as
    ``pruned_from``: its hash, seq, fitness and metrics; :func:`found_hash`) and by ``best``, ``show``, ``report`` and
    ``export``; its scorings are counted as ``prune_evaluations`` (every prune of the archive; this one's
    ``prune_cost``; a run given a smaller budget than its archive holds prunes its view's best without keeping it);
    where a ``--select`` rule (``best``, the default, or ``score``) answers with another formula, that answer is
    pruned too (meta ``pruned_answer``, ``pruned_answer_score``; one prune a formula), all counted together as
    ``answer_prune_evaluations`` and ``answer_prune_cost``.
    ``show DB HASH`` with the candidate's hash shows it unpruned; ``prune=False`` drops a kept prune.
    ``max_time`` (seconds; None, the default: no limit): the search's wall-clock limit (PySR's ``timeout_in_seconds``,
    Operon's ``time_limit``).  Its clock starts with the first candidate the archive does not hold (the program,
    task and data read, the workers started, a resumed run's archive replayed or reloaded: start-up is not counted,
    nor the prune and confirmation after the search); once it has
    passed, no new candidate starts (mid-generation too), those in flight finish, and the run ends as one at its
    budget does, its summary's ``time_limit`` giving ``max_time`` and ``budget``: stopped after ``candidates`` of
    ``budget``.  The budget still bounds it.  A run always goes at least one candidate past what its archive held,
    so calling again resumes it with a fresh allowance and each call gets further, and where none has succeeded
    yet, on until one has or ``population`` candidates have failed.  Where a limited run stops
    depends on the clock, not on the seed alone; a resumed run then ends as an unlimited one would, as after Ctrl-C.

    The program, the ``--evolve`` names and the task are checked (and the task's data read) before
    PyTorch is imported, so a mistake is reported at once.  Returns a summary: counts of candidates
    by how they were scored, the best fitness, program and hash, and ``answer`` (see
    :func:`mlevolve.results.answer`): the metric, the starting program's score (evaluated apart when
    the run started from random programs), the best's, the gain and its spread, plus ``next``, the
    commands to run next, and ``environment_changed``: how this run's environment differs from the one the
    archive's last run was in (``[]``: the same, or a new archive; said on stderr where ``quiet`` is False).
    Ctrl-C raises :class:`RunInterrupted`.
    """
    _check_search_settings(budget=budget, epochs=epochs, tournament=tournament, digits=digits, population=population,
                           restart_every=restart_every, algorithm=algorithm, bandit=bandit, diversity=diversity,
                           confirm=confirm, seed=seed, init=init, max_time=max_time)
    resources = Resources(workers=workers, dask=dask, timeout=timeout, memory_limit=memory_limit)
    resources.check()  # a malformed --dask address at once; its scheduler knocked on once the user's part is read
    for given, setting in ((db, "db"), (json_log, "json_log")):  # a typo's folder is refused, not made
        if given is not None:
            check_output(given, setting)
    diversity = diversity or DiversityConfig()
    diversity.check(algorithm, population)
    # The user's part first, with nothing heavy imported: the file, the names, the task and its data.
    spec = grammar or load_grammar()
    _check_bandit(bandit, spec)
    read_from = _file_of(program)
    start_name = "the starting program" if (read_from or "<").startswith("<") else "the file's program"  # <..>: none
    file = read_from or "the program"
    import warnings

    with warnings.catch_warnings(record=True) as said:  # a definition with no effect: refused if evolved, else said
        warnings.simplefilter("always", ProgramWarning)
        checked = _program(program, spec)
    check_settings_apply(checked, _off_defaults(epochs=epochs, hurdle=hurdle, fit=fit, prune=prune))
    names = evolvable(checked, evolve, file)
    _note_untouched(grammar, checked, names)
    seeds = _seed_warnings(checked, names)
    told = [w.message for w in said if isinstance(w.message, ProgramWarning)]  # capped again once seeds are out
    for warning in said:
        if not isinstance(warning.message, ProgramWarning):
            warnings.warn(warning.message, warning.category, stacklevel=2)
    for error in capped([e for w in told for e in (w.error.merged or [w.error]) if _said(e) not in seeds]):
        warnings.warn(ProgramWarning(error, told[0].source), stacklevel=2)
    from mlevolve.interpreter.factory import EvaluatorFactory, evolving_kinds, formula_inputs, tuned_methods

    kinds = evolving_kinds(checked, names)
    given_task = _task_name(checked, task, read_from)
    task_name = _task_name(checked, task, read_from, search="learner" in kinds)
    from mlevolve.dsl.kinds import slots as all_slots
    from mlevolve.gp.archive import default_path
    from mlevolve.gp.serverstart import held

    some = () if set(names) == {s.name for s in all_slots(checked)} else tuple(names)  # named in the default path
    # a resume whose archive holds the budget scores nothing: no worker starts (checked again once the path is known)
    done = held(db if db is not None else default_path(checked.name, task_name, spec.name, some)) >= budget
    _prestart_workers(checked, workers, dask, done)
    from mlevolve.interpreter.tasks import data_source

    source = data_source(task_name)  # read before the data is loaded: a file changed meanwhile is refused next time
    task_data, _ = _ready(checked, spec, task_name, seed, program, task,  # the user's mistakes: no PyTorch before
                          frozenset(n.split(".")[0] for n in names))
    knock_dask(dask)  # after the file, task and data: a mistake there is said first, not hidden by a closed port

    from mlevolve.gp.archive import SCORING_VERSION, Archive
    from mlevolve.gp.backends import InProcess, make_backend, placed, worker_modules
    from mlevolve.gp.search import ALGORITHMS

    if algorithm not in ALGORITHMS:
        raise SettingError("unknown {algorithm} {got!r}",
                           hint=did_you_mean(algorithm, ALGORITHMS) + f"algorithms: {', '.join(ALGORITHMS)}",
                           got=algorithm)
    fitting = EvolveConfig.fitting(fit, kinds)
    tune = tuned_methods(checked, names) if fitting else ()
    config = EvolveConfig(algorithm=algorithm, budget=budget, population=population, tournament=tournament,
                          init=init, hurdle=hurdle, seed=seed, bandit=bool(bandit), diversity=diversity, fit=fitting,
                          restart_every=EvolveConfig.restarts(restart_every, algorithm, population, kinds),
                          prune=prune, max_time=max_time)
    identity = {"program_hash": _program_hash(checked), "program_name": checked.name,
                "program": format(checked), "task": task_name, "evolve": names, "epochs": epochs,
                "grammar": f"{spec.name}:{spec.digest}", "scoring": SCORING_VERSION,
                "data_sha256": source[1] if source else None, **config.identity()}
    path = _run_path(db, checked.name, task_name, given_task, spec.name, identity, config, restart_every, some)
    check_apart(path, "json_log", json_log, "the log would be appended into the SQLite file", defaulted=db is None)
    if json_log is not None:
        check_json_log(json_log, path)
    parallel = bool(dask) or workers != 1
    portable = spec.origin is not None or spec.name == "base"  # a worker can load the grammar itself
    if parallel and not portable:
        raise SettingError("parallel evaluation needs the grammar as a file",
                           hint="pass {grammar} load_grammar(FILE), or score in one worker ({workers} 1, no {dask})")
    factory = EvaluatorFactory(task_name, seed, epochs, kinds, spec.origin, timeout=timeout,
                               fit=bool(fitting), inputs=formula_inputs(checked, task_name), tune=tune)
    slots = 1 if not parallel else workers or os.cpu_count() or 1
    memory = resources.memory(slots)
    # Candidates run in worker processes, which start now: they load torch and the task while this
    # process builds its own evaluator (the program is known to fit the task, the --db to be this run's).
    # A cheap regime's candidates in one slot are scored in this process (``placed``): no worker starts.
    from mlevolve.interpreter.regimes import regime_of_task

    regime = regime_of_task(task_data)
    in_process = regime.cheap and not parallel
    done = held(path) >= budget  # nothing to score: no workers or Dask cluster start (what is left runs here)
    backend = make_backend(factory, workers, dask, timeout, memory, worker_modules(regime)) \
        if portable and not in_process and not done else None
    interrupted = False
    found: _Found | None = None  # once the search is over: a stop after it says its candidates are kept
    try:
        try:
            evaluator = factory.build(task_data, spec)
            if done:  # nothing to score: here, warmed only if something is (a start not archived), no note
                backend = InProcess(lambda: evaluator, memory if memory_limit is not None or not regime.cheap else None,
                                    warm=False)
            else:
                backend = placed(backend, evaluator, memory, parallel, given=memory_limit is not None)  # cheap: here
            if isinstance(backend, InProcess) and not done:
                _note_unchecked(regime.name, timeout)
            scoring = scoring_line(dask, None if isinstance(backend, InProcess) else slots)
            with Archive.for_run(path, identity, _SETTINGS) as archive:
                try:
                    found = _searched(archive, checked, names, spec, evaluator, config, backend, parallel=parallel,
                                      source=source, quiet=quiet, json_log=json_log, path=path, task_data=task_data,
                                      start_name=start_name, cheap=regime.cheap, kinds=kinds, confirm=confirm,
                                      task_name=task_name, seed=seed, epochs=epochs, timeout=timeout,
                                      scoring=scoring)
                except KeyboardInterrupt:
                    interrupted = True
                    raise RunInterrupted(str(path), archive.count()) from None
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            if backend is not None:
                backend.close(interrupted)
        return {**_summed_up(found, evaluator=evaluator, task_data=task_data, task_name=task_name, names=names,
                             digits=digits, start_name=start_name, program_name=checked.name, init=init, path=path,
                             data_path=source[0] if source else None),
                "worker_compile_seconds": _worker_compiles(backend)}
    except KeyboardInterrupt as stop:  # closing the archive or the workers, summing up: all is saved
        if isinstance(stop, RunInterrupted) or found is None:
            raise
        raise RunInterrupted(str(path), found.archived) from None


def _worker_compiles(backend: Any) -> float:
    """The seconds numba spent compiling kernels in the run's workers (a pool's or Dask's: the longest any worker
    spent, as they compile side by side, which each reports with its answers and at its start), which this process's
    own compile seconds leave out; 0.0 where candidates were scored in this process (its compiles are its own)."""
    from mlevolve.gp.backends import InProcess

    return 0.0 if backend is None or isinstance(backend, InProcess) else float(getattr(backend, "warmup", 0.0))


@dataclass(frozen=True)
class _Found:
    """What a finished search leaves for :func:`_summed_up`: the engine's ``summary`` (counts, best), the archive's
    candidates (``archived``), its ``best`` row (None: nothing scored), the starting program's scoring (``start``) and
    the one the answer compares with (``begin``: on the pruned best's common draw, where it was scored on one), the
    prune's record (``pruned``), the task's target variances and split sizes, why candidates failed (where none
    scored), the confirmation pairs, how the environment changed and whether a hurdle could answer a candidate."""

    summary: dict[str, Any]
    archived: int
    best: Any
    start: dict[str, Any]
    begin: dict[str, Any]
    pruned: dict[str, Any] | None
    variances: dict[str, float]
    sizes: dict[str, int]
    reasons: builtins.list[dict[str, Any]]
    pairs: Any
    changed: builtins.list[str]
    hurdled: bool


def _searched(archive: Any, program: Program, names: builtins.list[str], spec: GrammarSpec, evaluator: Any,
              config: EvolveConfig, backend: Any, *, parallel: bool, source: tuple[str, str] | None, quiet: bool,
              json_log: str | Path | None, path: Path, task_data: Any, start_name: str, cheap: bool,
              kinds: frozenset[str], confirm: int, task_name: str, seed: int, epochs: int, timeout: float,
              scoring: str) -> _Found:
    """Run :func:`evolve`'s search of ``program``'s ``names`` by ``config`` on ``archive`` (opened for this run),
    candidates scored by ``backend`` (None: ``evaluator``, in this process), then score the starting
    program, prune the best and confirm it with ``confirm`` further seeds (``scoring``: the line that says where,
    :func:`scoring_line`, said first unless ``quiet``, after a resumed run's :func:`resuming_line`, and not where that
    says the budget is reached: nothing new is scored); the archive's
    meta records the data's place, the environment, the summary and the task's variances and split sizes.  Ctrl-C
    propagates."""
    from mlevolve.gp.engine import Engine, search_collector
    from mlevolve.gp.progress import Progress
    from mlevolve.gp.prune_best import on_common_draw, prune_best
    from mlevolve.gp.search import ALGORITHMS
    from mlevolve.meta import provenance
    from mlevolve.report.data import failure_reasons

    budget, fitted = config.budget, bool(config.fit)
    # Only once the archive is ours: a refused --db leaves no progress bar or --json-log file behind.
    if source is not None and archive.meta().get("data_path") != source[0]:
        archive.set_meta("data_path", source[0])  # where the data is now: `export DB` works anywhere
    replay = not parallel and not archive.meta().get("parallel")
    if parallel:
        archive.set_meta("parallel", True)
    # without PyTorch's kernel choice: importing it here would cost the coordinator of a parallel run a second it does
    # not otherwise spend (its workers import it); its version and the CPU's flags are kept
    changed = provenance.record(archive, provenance.environment(torch=False))
    held = archive.count()
    if not quiet and held:  # a resumed run's first line names its archive (README)
        print(resuming_line(path, held, budget), file=sys.stderr, flush=True)
    if not quiet and held < budget:  # where candidates are scored: none are where the budget is reached (hint96)
        print(scoring, file=sys.stderr, flush=True)
    if not quiet and changed:
        from mlevolve.report.summary import environment_note

        print(environment_note(changed), file=sys.stderr)
    progress = Progress(budget, quiet=quiet, json_log=json_log,
                        warmup=lambda: max(float(getattr(backend, "warmup", 0.0)), compiled_here()))
    try:
        engine = Engine(program, names, spec, evaluator, archive, config, progress, backend, replay=replay)
        with search_collector():
            ALGORITHMS[config.algorithm](engine)
    finally:
        progress.close()
    summary = engine.summary()
    archived = archive.count()  # more than the budget: a run resumed with a smaller one
    # The summary's best, not archive.best(1): a run resumed with a smaller budget than the archive holds considers
    # only its first ``budget`` candidates.
    best = archive.get(summary["best_hash"]) if summary["best_hash"] else None
    variances, sizes = _target_variances(task_data), _split_sizes(task_data)
    start = _start(archive, program, evaluator, config.init, fitted=fitted, origin=start_name)
    pruned = prune_best(archive, best, evaluator, names, spec, prune=config.prune, cheap=cheap, fitted=fitted,
                        kinds=set(kinds), variances=variances, budget=budget, start=start, keep=archived <= budget,
                        runners_up=[archive.get(c.hash) for c in engine.hall_of_fame])
    begin = on_common_draw(start, pruned) or start  # on the best's draw, where the prune scored it on one
    answered = _prune_answer(archive, path, pruned, evaluator, names, spec, prune=config.prune, cheap=cheap,
                             fitted=fitted, kinds=set(kinds), variances=variances, budget=budget, start=start,
                             keep=archived <= budget)
    summary.update(prune_evaluations=None if pruned is None else pruned["spent"],  # None: no prune ran
                   prune_cost=None if pruned is None else pruned["evaluations"],
                   answer_prune_evaluations=None if answered is None else answered["spent"],
                   answer_prune_cost=None if answered is None else answered["evaluations"])
    previous = archive.meta().get("summary") or {}
    if summary["candidates"] >= previous.get("candidates", 0):
        archive.set_meta("summary", summary)
    # of this run's candidates: a view (a smaller budget than the archive holds) has its first ones only
    reasons = failure_reasons([r for r in archive.rows() if r.seq < summary["candidates"]]) if best is None else []
    archive.set_meta("target_variance", variances)
    archive.set_meta("split_size", sizes)
    pairs = None
    if confirm and best is not None:
        scored = check(_stored(begin["program"], f"{path}#start"), spec)
        shown_best = pruned if pruned is not None and pruned.get("program") is not None else None
        found, key = (shown_best["program"], shown_best["hash"]) if shown_best is not None else \
            (best.program, best.hash)  # the best shown: pruned, where it is
        pairs = _confirm(archive, scored, found, best.metrics, task_name, seed, confirm, epochs, spec, timeout, key)
    return _Found(summary=summary, archived=archived, best=best, start=start, begin=begin, pruned=pruned,
                  variances=variances, sizes=sizes, reasons=reasons, pairs=pairs, changed=changed,
                  hurdled=engine.hurdled)


def _prune_answer(archive: Any, path: Path, pruned: Mapping[str, Any] | None, evaluator: Any, names: Sequence[str],
                  spec: GrammarSpec, *, prune: bool, cheap: bool, fitted: bool, kinds: set[str],
                  variances: Mapping[str, float], budget: int, start: Mapping[str, Any] | None,
                  keep: bool) -> dict[str, Any] | None:
    """The prunes of the run's answers: of each ``--select`` rule's (:data:`mlevolve.gp.prune_best.ANSWER_SLOTS`:
    ``best``'s in meta ``pruned_answer``, ``score``'s in ``pruned_answer_score``) where it answers with another
    formula than the fittest (pruned already: ``accuracy``'s answer) and than an earlier rule (one prune a formula),
    each pruned by :func:`prune_best` as the fittest is, so that every rule and every command hands out its answer
    pruned.  Their counts summed (``spent``, ``evaluations``: the summary's ``answer_prune_evaluations`` and
    ``answer_prune_cost``); None where no rule's answer was pruned (a record kept before of a rule whose answer is
    now the fittest or another's is dropped) or the fittest is not (``pruned`` None).  Not for a view of a larger
    archive (``keep`` False): its answers are the whole run's."""
    from mlevolve.gp.prune_best import ANSWER_SLOTS, prune_best, remember
    from mlevolve.report import data

    run = data.load(path, top=1) if pruned is not None and keep and prune else None
    made: builtins.list[dict[str, Any]] = []
    done: set[str] = set()
    for rule, slot in ANSWER_SLOTS.items():  # the default rule first: its prune is the one the others share
        stored = archive.meta().get(slot)
        pick = data.chosen(run, rule, raw=True) if run is not None else None
        if pick is None or pick.representative.hash in done:
            if stored is not None and keep:
                archive.set_meta(slot, None)
                remember(archive, stored, None)
            continue
        done.add(pick.representative.hash)
        record = prune_best(archive, archive.get(pick.representative.hash), evaluator, names, spec, prune=prune,
                            cheap=cheap, fitted=fitted, kinds=kinds, variances=variances, budget=budget, start=start,
                            keep=keep, slot=slot)
        if record is not None:
            made.append(record)
    if not made:
        return None
    return {"spent": sum(int(r.get("spent") or 0) for r in made),
            "evaluations": sum(int(r.get("evaluations") or 0) for r in made)}


def _summed_up(found: _Found, *, evaluator: Any, task_data: Any, task_name: str, names: builtins.list[str],
               digits: int, start_name: str, program_name: str, init: str, path: Path,
               data_path: str | None) -> dict[str, Any]:
    """:func:`evolve`'s return value from what its search ``found``: the summary with the shown best (the pruned one,
    where the prune kept an edit), its ``answer`` against the starting program, the next commands and why candidates
    failed where none scored."""
    from mlevolve.gp.prune_best import common_start, is_start
    from mlevolve.report.data import common_draw_note, pruned_line, pruned_row
    from mlevolve.results import answer, as_written, shown_algebra, shown_program

    summary, best, pruned, start, begin = found.summary, found.best, found.pruned, found.start, found.begin
    shown = pruned_row(pruned) if pruned is not None else None
    common_note = common_draw_note(pruned, best.hash, best.metrics) if best is not None else None
    if common_note is not None and best is not None and pruned is not None:
        # no edit kept on a common draw: the best as that draw scores it, as the start beside it is
        best = replace(best, fitness=pruned["from_fitness"], metrics=dict(pruned["from_metrics"]))
        summary["best_fitness"] = best.fitness
    best = shown or best  # what is shown for the run's best: pruned, where it was
    same = best is not None and is_start(begin, best.hash, best.program)
    result = answer(best.metrics if best else None, begin["metrics"], variances=found.variances, sizes=found.sizes,
                    task=task_name, same_program=same, confirm=found.pairs,
                    apart=bool(evaluator.fresh_tasks) and not common_start(pruned), written=as_written(begin),
                    program=best.program if best else None)
    result["start"]["how"] = begin["how"]
    result["metric"]["description"] += _classes_note(task_name, task_data) + _weights_note(task_name, task_data)
    if best is not None:
        result["best"].update(hash=best.hash, seq=best.seq, source=best.source,
                              program=shown_program(best.program, only=names, digits=digits),
                              algebra=shown_algebra(best.program, digits))
        origin = best.parents[0] if shown is not None else best.hash
        if common_note is not None:
            result["best"]["note"] = common_note
        elif origin == start["hash"] and not same and _numbers_apart(best.program, start["written"]):
            result["best"]["note"] = f"{start_name} as the run tuned its literals"  # the start's own candidate
    if best is not None and pruned is not None:  # what the prune did: the pruned best, or that it kept nothing
        result["best"]["pruned"] = pruned_line(pruned)
    if not found.hurdled:  # no candidate can be answered by a hurdle: no count of them (0) to show
        summary["hurdle"] = None
    summary["pruned_from"] = None  # the best shown is the search's own
    if shown is not None and pruned is not None:  # every best_* field is the shown best's; the search's, apart
        summary.update(best_hash=shown.hash, best_fitness=shown.fitness, pruned_from={
            "hash": pruned["from"], "seq": pruned["from_seq"],
            "fitness": pruned.get("from_fitness", summary["best_fitness"]),
            "metrics": r2_beside(pruned["from_metrics"], found.variances)})
    archived, reasons = found.archived, found.reasons
    return {**summary, "archived": archived, "db": str(path), "best_program": best.program if best else None,
            # R² beside each MSE, as run --json, the exported script, best and show give the same candidate's (qa106)
            "best_metrics": r2_beside(best.metrics, found.variances) if best else None, "program_name": program_name,
            "task": task_name, "data_path": data_path, "evolve": names, "init": init, "answer": result,
            "next": next_commands(path, None if best is None or archived <= summary["candidates"] else best.hash,
                                  failed=reasons[0]["hash"] if best is None and reasons else None,
                                  front=best is not None and "train_mse" in best.metrics),
            "failures": reasons if best is None else None,  # why none scored; null where one did (not: none failed)
            "environment_changed": found.changed}


# The settings of a run, as :func:`evolve`'s parameters and its ``diversity``'s fields: a refused resume names them
# as the caller does (the CLI: by their flags, `--islands`; :meth:`~mlevolve.gp.archive.Archive.for_run`).
_SETTINGS = frozenset(inspect.signature(evolve).parameters) | {f.name for f in fields(DiversityConfig)}


def _run_path(db: str | Path | None, name: str, task: str, given_task: str, grammar: str, identity: dict[str, Any],
              config: EvolveConfig, restart_every: int | None, some: Sequence[str] = ()) -> Path:
    """The archive of the run :func:`evolve` makes (``db``, else its default path for program ``name`` on ``task``,
    named after the evolved slots ``some`` where they are not all the program's),
    refused before workers start and PyTorch loads where it is damaged, locked or another run's (the default
    archive's hint names a free path), or holds this run as made before a learner search's defaults (:class:`_Before`,
    whose task was ``given_task``)."""
    from mlevolve.gp.archive import Archive, default_path

    path = Path(db) if db is not None else default_path(name, task, grammar, some)
    if db is None and some and not path.exists() and (named := default_path(name, task, grammar)).exists():
        with contextlib.suppress(MlevError):  # made before the default named the slots: this run's, it resumes
            Archive.for_run(named, identity, _SETTINGS).close()
            path = named
    # The run this command made before a learner search's defaults (the task as given, no restarts) is refused, at
    # the --db given or at the path it had, with the settings that resume it (never a silently different run).
    own = config.identity()
    before = _Before(given_task, config.restart_every if restart_every is None else 0,
                     {**{k: v for k, v in identity.items() if k not in own}, "task": given_task,
                      **replace(config, restart_every=0).identity()})
    if db is None and not path.exists() and before.defaulted(identity):
        # (and where it was made before the default path named the slots)
        for then in dict.fromkeys([default_path(name, given_task, grammar, some), default_path(name, given_task,
                                                                                               grammar)]):
            before.refuse_at(then, identity, path)
    if path.exists():  # a damaged, locked or foreign --db is refused before workers start and torch loads
        try:
            Archive.for_run(path, identity, _SETTINGS).close()
        except MlevError as err:
            if before.defaulted(identity):
                before.refuse_at(path, identity)
            if db is None and err.message.startswith("archive belongs to another run"):  # by its name: the default
                free = next(f for n in range(2, 10**6) if not (f := path.with_name(f"{path.stem}-{n}.db")).exists())
                err.hint = (f"it is the default archive (runs/<program>-<task>.db) of program {name!r} on "
                            f"this task, made by another run: pass another --db to start a new one, e.g. --db "
                            f"{shlex.quote(str(free))}")
            raise
    return path


@dataclass(frozen=True)
class _Before:
    """A learner search's run as this command made it before the search's defaults (:func:`evolve`): on the task
    ``task`` as given (a synthetic family's fixed tasks), without the ``restarts`` it now takes by default (0:
    none taken), its archive's ``identity``."""

    task: str
    restarts: int
    identity: Mapping[str, Any]

    def defaulted(self, now: Mapping[str, Any]) -> bool:
        """Whether the run ``now`` took a default the run before them lacks."""
        return now["task"] != self.task or bool(self.restarts)

    def refuse_at(self, path: Path, now: Mapping[str, Any], new: Path | None = None) -> None:
        """Raise :class:`SettingError` at ``path`` where the archive there is this run as made before the defaults
        (the run ``now`` took them; ``new``: its own default path, where ``path`` is that of the run before); else
        return (a damaged or foreign archive is left to :meth:`~mlevolve.gp.archive.Archive.for_run`)."""
        from mlevolve.gp.archive import refusal

        if not path.is_file():
            return
        try:
            if refusal(path, self.identity) is not None:
                return
        except MlevError:  # not readable as an archive: for_run says why, where it is opened
            return
        fresh = now["task"] != self.task
        said = [*(["the task {then} is now searched as {now}"] if fresh else []),
                *(["the population now restarts every {every:,} candidates"] if self.restarts else [])]
        flags = [*(["{task} {fixed}"] if fresh else []), *(["{restart_every} 0"] if self.restarts else [])]
        start = "pass another {db} to start a new run" if new is None else "start a new run with {db} {new}"
        err = SettingError(f"archive holds this run as made before a learner search's defaults (or with "
                           f"{' '.join(flags)}): " + "; ".join(said),
                           hint=f"resume it as it was made with {' '.join(flags)}, or {start}",
                           then=repr(self.task), now=repr(now["task"]), every=self.restarts,
                           fixed=shlex.quote(f"{self.task}:fresh=0"), new=shlex.quote(str(new)))
        err.file = str(path)
        raise err


@typed
def found_hash(result: Mapping[str, Any]) -> str | None:
    """The hash of the archive's row of the best the search found, from :func:`evolve`'s ``result``: its
    ``best_hash``, or where the best shown is pruned (:mod:`mlevolve.gp.prune`) its ``pruned_from`` hash."""
    return (result.get("pruned_from") or {}).get("hash") or result.get("best_hash")


def _note_unchecked(regime: str, timeout: float) -> None:
    """Say on stderr (a note, not an error) where a ``timeout`` other than the default cannot apply: a formula run
    scored in this process checks no time (a formula's evaluation and fitting take milliseconds and cannot be cut
    there); a worker's hard limit (twice the timeout, ``--workers 2``) is what cuts one.  A learner run in process
    checks it after each task's training."""
    if regime == "formula" and timeout != Resources.timeout:
        print(f"note: --timeout {timeout:g} is not checked in a formula run scored in process (a formula takes "
              "milliseconds); --workers 2 scores in worker processes, which cut a candidate at twice it",
              file=sys.stderr, flush=True)


def _note_untouched(grammar: GrammarSpec | None, program: Program, names: list[str]) -> None:
    """Say on stderr (a note, not an error) where ``grammar`` changes nothing the evolved slots ``names`` draw
    (``grammar/touch.py``): the run searches as the base grammar does, which a user giving it did not mean."""
    if grammar is None or grammar.name == "base":
        return
    from mlevolve.dsl.kinds import slots as all_slots
    from mlevolve.grammar.touch import untouched_note

    by_name = {s.name: s.types for s in all_slots(program)}
    note = untouched_note(grammar, load_grammar(), [(n, by_name[n]) for n in names], grammar.origin or grammar.name)
    if note:
        print(f"note: {note}", file=sys.stderr, flush=True)


@typed
def scoring_line(dask: str | None, workers: int | None, what: str = "scoring") -> str:
    """The line a run starts with on stderr (a resumed run's second, after :func:`resuming_line`): where its
    candidates (``what``: a meta run's inner runs) are scored, on Dask (``dask``: ``local:N``, N local workers, 0 one
    per core; else a scheduler's address), in ``workers`` worker processes, or in this process (``workers`` None):
    ``scoring: in process``, ``scoring: 2 worker processes``, ``scoring: Dask, 2 local workers``, ``scoring: Dask,
    scheduler tcp://HOST:8786``."""
    if dask:
        if dask.startswith("local:"):
            n = int(dask.removeprefix("local:")) or os.cpu_count() or 1
            return f"{what}: Dask, {counted(n, 'local worker')}"
        return f"{what}: Dask, scheduler {dask}"
    if workers is None:
        return f"{what}: in process"
    return f"{what}: {counted(workers, 'worker process', 'worker processes')}"


@typed
def resuming_line(path: str | Path, held: int, budget: int) -> str:
    """The line a resumed run starts with (before :func:`scoring_line`'s): its archive, the candidates it holds, and
    what the budget leaves."""
    done = counted(held, "candidate")
    if held >= budget:
        return f"resuming {path}: it holds {done}; the budget of {budget:,} is reached, so nothing new is evaluated"
    return f"resuming {path}: {done} archived, {budget - held:,} more to reach the budget of {budget:,}"


def _prestart_workers(program: Program, workers: int, dask: str | None, done: bool = False) -> None:
    """Where the run will score in worker processes, start their fork server now: it imports what
    they need (PyTorch for the neural regimes) while this process reads the task.  One the command line
    started early on a guess (:func:`mlevolve.gp.serverstart.start_early`) is claimed where its preload is
    the one needed, else replaced, or killed where the run scores without one (``done``: its archive holds its
    budget, nothing is scored)."""
    from mlevolve.gp.backends import prestart, worker_modules
    from mlevolve.gp.serverstart import discard
    from mlevolve.interpreter.regimes import regime_of

    with contextlib.suppress(MlevError):  # a mistake in the program is reported where it was before
        regime = regime_of(program)
        if not dask and not done and (workers != 1 or not regime.cheap):
            prestart(worker_modules(regime))
            return
    discard()


@typed
def next_commands(db: str | Path, best_hash: str | None = None, failed: str | None = None,
                  front: bool = False, select: str = DEFAULT_SELECTION) -> builtins.list[str]:
    """The commands to run after a run: inspect the best, write the report, export the best; with ``front`` (a run
    whose programs have a train MSE: formulas), list the Pareto front, its smaller programs and PySR's pick.
    ``best_hash``: the summary's best where it is not the archive's (a run given a smaller budget than its archive holds
    considers the first candidates only), named by its hash's first 12 digits; None: ``--best``.  ``failed``:
    where every candidate failed, the hash of one that failed for the most common reason: shown, and the report
    (there is no best to confirm or export).  ``select``: the ``--select`` rule the run's answer was chosen by; where
    it is not the default (``best``), each command that reads the answer (``--best``, the report, the front) gives it,
    so that it reads the answer the summary named."""
    import shlex

    from mlevolve.report.data import select_flag

    stem = Path(db).with_suffix("")
    q = shlex.quote
    rule = select_flag(select)
    report = f"mlevolve report {q(str(db))} -o {q(str(stem) + '.html')}{rule}"
    if failed is not None:
        return [f"mlevolve show {q(str(db))} {failed[:12]}", report]
    show, export = (f"--best{rule}", f"--best{rule}") if best_hash is None else \
        (best_hash[:12], f"--hash {best_hash[:12]}")
    return [f"mlevolve show {q(str(db))} {show} --confirm 5", report,
            f"mlevolve export {q(str(db))} {export} -o {q(str(script_name(str(stem) + '.py')))}",
            *([f"mlevolve best {q(str(db))} --front{rule}"] if front else [])]


def _start(archive: Any, program: Program, evaluator: Any, init: str = "file", fitted: bool = False,
           origin: str = "the file's program") -> dict[str, Any]:
    """The starting program's full evaluation, with ``how`` saying truly where it comes from: its
    candidate row when the run scored it (``--init file``: candidate 0; a failure there is the start's
    failure), else evaluated apart once with the run's evaluator (``--init random``, or a row the
    hurdle stopped early), kept in the archive's meta; ``origin``: the start's name there (the estimator's, given
    no file: "the starting program").  ``program``: the start as it was scored (a
    formula's or learner's fitted constants written in), what ``--confirm`` re-evaluates beside the best;
    ``written``: the file's program as written (what a prune on a common draw scores, ``how_written`` then its
    ``how`` without the fitting's note).
    ``fitted``: the run fits its candidates' constants (``--fit``), the start's too; where that changed
    one, ``how`` says so, since ``mlevolve run`` scores the file's program as written."""
    from mlevolve.gp.engine import Engine

    key = Engine.key(program)  # the archive's key: the simplified program's hash
    stored = archive.meta().get("start")
    if isinstance(stored, Mapping) and stored.get("hash") == key and "program" in stored:
        return dict(stored)
    row = archive.get(key)
    if row is not None and (row.source in ("evaluated", "fec", "cache") or row.failure is not None):
        if init == "random":  # the random search made it too: not the run's start
            how, then = f"{origin}, which the run, started from random programs, made as candidate {row.seq}", ""
        else:
            how, then = f"candidate {row.seq}, {origin}", ", the run went on from its mutants"
        failed = f"; it failed ({row.failure}){then}" if row.failure is not None else ""
        start = {"hash": key, "how": how + failed,
                 "metrics": dict(row.metrics) if row.failure is None else None, "failure": row.failure,
                 "program": row.program}
    else:
        if row is not None:
            how = f"{origin} (candidate {row.seq}, stopped early by the hurdle), evaluated fully apart"
        elif init == "random":
            how = f"{origin}, evaluated apart: the run started from random programs"
        else:
            how = f"{origin}, evaluated apart: it is not among the run's candidates"
        outcome = evaluator.evaluate(program, key)
        start = {"hash": key, "how": how,
                 "metrics": dict(outcome.metrics) if outcome.failure is None else None,
                 "failure": None if outcome.failure is None else str(outcome.failure),
                 "program": outcome.program or format_program(program)}
    start["written"] = format_program(program)  # what the prune scores on a common draw, as it does the best
    if fitted and start["failure"] is None and start["program"] != start["written"]:
        with contextlib.suppress(MlevError):  # the scored text is the run's own; a text it cannot read: no label
            if Engine.key(parse(start["program"])) != key:  # fitting changed a constant: not the file's score
                start["how_written"] = start["how"]
                note, start["tuned"], start["written_metrics"] = _fitted_note(program, evaluator, key)
                start["how"] += f"; {note}"
    archive.set_meta("start", start)
    return start


def _fitted_note(program: Program, evaluator: Any, key: str) -> tuple[str, str, dict[str, Any] | None]:
    """What the run's fitting did to the start (scored once more as written, the fit off, for the
    comparison with ``mlevolve run``): the note for its ``how``, what was done (a formula's output linearly scaled,
    ``a + b * f``, Keijzer 2003, and, where it has literals, its literals fitted; a learner's literals tuned), and
    its metrics as written (None where it fails so), which the verdict gives beside the tuned start's
    (:func:`mlevolve.results.verdict`'s ``written``)."""
    import copy

    from mlevolve.interpreter.fit import literal_sites

    formula = next((d for d in program.definitions if d.kind == "formula" and d.body is not None), None)
    fit = getattr(evaluator, "fit", None)
    done = []
    if formula is not None and formula.body is not None:
        if fit is not None and fit.tune and literal_sites(formula.body):
            done.append("its literals fitted")
        if fit is None or fit.scale:
            done.append("its output linearly scaled (a + b * f)")
    what = " and ".join(done) or "its literals tuned"
    written = copy.copy(evaluator)
    written.fit, written.tuning = None, None  # as `mlevolve run` scores it
    outcome = written.evaluate(program, key)
    if outcome.failure is not None:
        return f"as written it fails: {outcome.failure}; with {what}, as every candidate's are, it scores as " \
            "shown", what, None
    return f"scored with {what}, as every candidate's are, where `mlevolve run` scores it as written", what, \
        dict(outcome.metrics)


def _numbers_apart(a: str, b: str) -> bool:
    """Whether two programs' texts differ in their numbers alone (a learner's tuned literals; not a pruned term)."""
    number = re.compile(r"(?<![\w.])\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")  # a literal; never a digit of a name (x0)
    return number.sub("#", a) == number.sub("#", b)


def _classes_note(task: str, data: Any) -> str:
    """For a user's data file read as classes without ``problem=`` typed (whole numbers, at most
    :data:`~mlevolve.interpreter.standalone.data.MAX_CLASSES` of them, are class labels): how many, and the option
    that reads them as numbers (a new user's integer target of few rows was classified unawares); else "", as for
    text labels (the task's ``text_labels``), which no option reads as numbers."""
    from mlevolve.interpreter.tasks import is_data_file
    from mlevolve.results import spec_options_typed

    if getattr(data, "problem", "") != "classification" or not is_data_file(task) \
            or "problem" in spec_options_typed(task) or getattr(data, "text_labels", False):
        return ""  # (text labels are classes whatever problem= says: nothing to read otherwise)
    classes = getattr(data, "n_classes", 2)  # a learner's Family: binary, labels 0 and 1 (no n_classes of its own)
    return f"; the target read as {classes:,} classes (`:problem=regression` reads whole numbers as numbers)"


def _weights_note(task: str, data: Any) -> str:
    """For a formula's data file with ``weight=`` whose weights differ: that the metrics are weighted, and by which
    column; else "" (equal weights are the unweighted run)."""
    from mlevolve.results import spec_options_typed

    if getattr(data, "w_train", None) is None:
        return ""
    return f"; weighted by column {spec_options_typed(task)['weight']!r} (as scikit-learn's sample_weight)"


def _target_variances(task: Any) -> dict[str, float]:
    """The variance of a regression task's targets per split (``train``, ``val``, ``test``), for R²: weighted where
    the split's rows are (a formula's ``w_train``, ``w_test``: the weighted R² its metrics report)."""
    import numpy as np

    if getattr(task, "problem", "regression") != "regression":
        return {}
    out: dict[str, float] = {}
    for prefix in ("train", "val", "test"):
        y = getattr(task, f"y_{prefix}", None)
        if y is not None and np.size(y) > 1:
            y, w = np.asarray(y, np.float64), getattr(task, f"w_{prefix}", None)
            out[prefix] = float(np.var(y)) if w is None else float(np.average((y - np.average(y, weights=w)) ** 2,
                                                                               weights=w))
    return out


def _split_sizes(task: Any) -> dict[str, int]:
    """The number of examples (targets) per split (``train``, ``val``, ``test``) of a task that has targets."""
    import numpy as np

    sizes = {prefix: int(np.size(getattr(task, f"y_{prefix}"))) for prefix in ("train", "val", "test")
             if getattr(task, f"y_{prefix}", None) is not None}
    return {k: v for k, v in sizes.items() if v}


@typed
def reevaluate(programs: Sequence[Program], task: str, seeds: Sequence[int], epochs: int,
               grammar: GrammarSpec | None = None, timeout: float = Resources.timeout,
               ) -> builtins.list[builtins.list[Any]]:
    """Each of ``programs`` trained and scored again with each of ``seeds`` (its own data split and
    training seed): one list of outcomes per seed, in the order of ``programs``."""
    from mlevolve.interpreter import runtime
    from mlevolve.interpreter.evaluate import Settings
    from mlevolve.interpreter.evaluate import evaluate as evaluate_one
    from mlevolve.interpreter.factory import load_task_for

    spec = grammar or load_grammar()
    settings = [Settings(seed=s, epochs=epochs, budget=runtime.Budget(max_seconds=timeout)) for s in seeds]
    return [[evaluate_one(p, load_task_for(p, task, s.seed), spec, s, task) for p in programs] for s in settings]


def _pairs(outcomes: Sequence[Sequence[Any]], name: str) -> builtins.list[tuple[float | None, float | None]]:
    """(start, program) values of metric ``name`` per seed, from :func:`reevaluate`; None for a failure."""
    def value(o: Any) -> float | None:
        v = o.metrics.get(name) if o.failure is None else None
        return float(v) if isinstance(v, int | float) else None

    return [(value(a), value(b)) for a, b in outcomes]


def _confirm(archive: Any, start: Program, best_text: str, best_metrics: Mapping[str, Any], task: str, seed: int,
             n: int, epochs: int, spec: GrammarSpec, timeout: float, key: str) -> builtins.list[Any]:
    """(start, best) metric values over seeds ``seed+1 .. seed+n``; kept in the archive's meta (with ``key``, the
    shown best's archive hash, by which the report finds them), so a resumed run with the same best does not
    train them again."""
    seeds = list(range(seed + 1, seed + n + 1))
    best = check(_stored(best_text, f"{archive.path}#best"), spec)
    stored = archive.meta().get("confirm")
    if (isinstance(stored, Mapping) and stored.get("hash") == _program_hash(best) and stored.get("seeds") == seeds
            and stored.get("start") == _program_hash(start)):
        return [(a, b) for a, b in stored["pairs"]]
    metric = fitness_metric(best_metrics)
    pairs = _pairs(reevaluate([start, best], task, seeds, epochs, spec, timeout), metric.name)
    archive.set_meta("confirm", {"hash": _program_hash(best), "start": _program_hash(start), "seeds": seeds,
                                 "metric": metric.name, "pairs": [list(p) for p in pairs], "key": key})
    return pairs
