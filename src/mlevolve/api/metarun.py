"""The meta level's entry point (:func:`meta`): a meta configuration checked and run, its inner runs on a
pool or Dask, and the learned generator written.
"""

from __future__ import annotations

import builtins
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from mlevolve.api.checks import check_apart, check_not_overwriting, check_output, write_atomic
from mlevolve.api.programs import _program, format
from mlevolve.api.search import RunInterrupted, evolvable, scoring_line
from mlevolve.api.taskdata import _kind_fits, _ready, check_settings_apply
from mlevolve.arguments import typed
from mlevolve.dsl.errors import (
    MlevError,
    ProgramWarning,
    SettingError,
)
from mlevolve.dsl.ir import Program
from mlevolve.dsl.traverse import program_hash as _program_hash
from mlevolve.gp.backends import Resources
from mlevolve.gp.dask_address import knock_dask
from mlevolve.grammar.spec import GrammarSpec, load_grammar
from mlevolve.messages import counted


@typed
def meta(config: str | Path, db: str | Path | None = None, output: str | Path | None = None, *,
         quiet: bool = True, workers: int = Resources.workers, dask: str | None = Resources.dask) -> dict[str, Any]:
    """Evolve a generator (grammar weights, learned rules, operators) as the meta configuration
    ``config`` says (see ``mlevolve.meta.config``), checkpointed in ``db`` (default
    ``runs/meta-<config>.db``; the same call resumes it), and write the best generator on the
    validation tasks to ``output`` (default: next to ``db``, ``.grammar.toml``).  ``workers`` > 1
    (0: one per core) runs the inner runs in that many processes, ``dask`` (``local:N`` or
    ``tcp://HOST:PORT``) as tasks on a Dask cluster; the result is the same (results are stored in
    the order they were asked for).  ``quiet`` (default True: a library function is silent unless asked):
    nothing on stderr; False: what ``mlevolve meta`` prints there (where the inner runs run, each one's line).
    Returns the run's summary, with ``next`` (the commands to run after it) and ``worker_compile_seconds`` (as
    :func:`evolve`'s: the seconds numba spent compiling kernels in the workers, the most any one spent; this
    process's own are :func:`mlevolve.interpreter.compiling.compile_seconds`'s; nothing is printed of them).
    Raises MlevError on a bad setting or an unreachable scheduler."""
    import sys

    from mlevolve.gp.archive import SCORING_VERSION, Archive
    from mlevolve.meta.config import load_config
    from mlevolve.meta.evolve import META_FORMAT

    Resources(workers=workers, dask=dask).check()  # a malformed --dask address at once
    cfg = load_config(config)
    base = load_grammar()
    import warnings

    try:
        with warnings.catch_warnings(record=True) as said:  # a definition with no effect: refused if evolved
            warnings.simplefilter("always", ProgramWarning)
            program = _program(cfg.program, base)
    except MlevError as err:
        if err.span is not None:  # a mistake in the program: at its place there
            raise
        from mlevolve.meta.config import config_error

        raise config_error(cfg.source, f"`program` names {cfg.program}: {err.message}", None, "program",
                           "the .mlev file whose slots are evolved, relative to this configuration") from None
    try:
        names = evolvable(program, cfg.evolve, str(cfg.program))
    except MlevError as err:  # the configuration's `evolve`, not a flag: named and placed as such, at its name
        from mlevolve.meta.config import config_entry_error

        if isinstance(err, SettingError):
            message = err.rename(lambda _: "evolve").message
            name = _evolve_entry(err, cfg.evolve)
        else:  # a definition with no effect on the score: placed at its name in `evolve`, and said where it is
            at = f":{err.span.line}:{err.span.column}" if err.span is not None else ""
            message = f"evolve: {err.message} ({cfg.program}{at})"
            idle_name = err.message.split("'")[1] if err.message.count("'") >= 2 else ""  # "activation 'act' has no"
            name = next((n for n in cfg.evolve if n.split(".")[0] == idle_name), "")
        nth = 2 if " twice" in message else 1  # the second writing of a name given twice
        raise config_entry_error(cfg.source, message, None, "evolve", name, err.hint, nth, strip=True) from None
    for warning in said:
        warnings.warn(warning.message, warning.category, stacklevel=2)
    try:  # [inner] epochs and fit as evolve holds its flags: a setting the program's regime does not read is refused
        check_settings_apply(program, [k for k in ("epochs", "fit") if k in cfg.written], grammar=base)
    except SettingError as err:
        from mlevolve.meta.config import config_error

        err.rename(lambda name: name)
        raise config_error(cfg.source, f"[inner] {err.message}", "inner", err.settings[0], err.hint) from None
    cfg = _meta_tasks(replace(cfg, evolve=tuple(names)), program, base)
    from mlevolve.gp.archive import runs_folder

    path = Path(db) if db is not None else runs_folder() / f"meta-{Path(config).stem}.db"
    from mlevolve.report.data import default_generator, meta_command

    out = Path(output) if output is not None else default_generator(path)
    for given, setting in ((db, "db"), (output, "output")):  # a typo's folder is refused, not made (runs/ is)
        if given is not None:
            check_output(given, setting)
    check_apart(path, "output", output or out, "the generator would be written over it", defaulted=db is None)
    check_not_overwriting(out, "generator")
    knock_dask(dask)  # after the configuration, program and tasks: a mistake there is said first, not a closed port
    identity = {"program_hash": _program_hash(program), "program_name": program.name, "program": format(program),
                "task": "meta:" + ",".join(cfg.train), "grammar": f"base:{base.digest}", "kind": "meta",
                "meta_format": META_FORMAT, "scoring": SCORING_VERSION,
                "data_sha256": _data_digests([*cfg.train, *cfg.validation]), **cfg.identity()}
    n = workers or os.cpu_count() or 1
    with Archive.for_run(path, identity) as archive:
        # how it was made, for the report's resume line (not identity: a resume from another folder is the same run)
        archive.set_meta("command", {"config": str(config), "output": None if output is None else str(output)})
        if not quiet and (held := archive.count()):  # as evolve's: a resumed run's first line, what is resumed
            print(f"resuming {path}: {counted(held, 'finished inner run')} archived, replayed "
                  "rather than run again", file=sys.stderr, flush=True)
        if not quiet:  # where the inner runs run, as evolve's scoring line says where candidates are scored
            print(scoring_line(dask, n if n > 1 else None, "inner runs"), file=sys.stderr, flush=True)
        try:  # a stop from here on (the runs, the pool's shutdown, the summary) says what the archive saved
            best, history, runner, chosen, summary = _meta_runs(cfg, program, archive, quiet, dask, n, out)
        except KeyboardInterrupt:  # every finished inner run is a row
            raise RunInterrupted(str(path), archive.count()) from None
    try:  # every inner run is saved: a stop now (writing the generator) says so, as one during the runs does
        return {**_write_generator(out, meta_command(config, db, output), path, cfg, runner, history, chosen, best,
                                   summary, program),
                "worker_compile_seconds": runner.worker_compiles}  # not archived: a timing, as evolve's
    except KeyboardInterrupt:
        raise RunInterrupted(str(path), int(summary["candidates"])) from None


def _meta_runs(cfg: Any, program: Program, archive: Any, quiet: bool, dask: str | None, n: int,
               out: Path) -> tuple[Any, ...]:
    """A meta run's inner runs, on ``dask``, a pool of ``n`` processes or this one, archived in ``archive``: its
    best generator, history, runner, chosen meta-generation's row and summary (also the archive's, with ``out``,
    the path the generator is written to, as given: the report names it)."""
    import sys
    from concurrent.futures import ProcessPoolExecutor

    from mlevolve.meta.evolve import MetaRun

    cluster: Any = None
    pool: Any = None
    notes: Any = None  # a pool's workers' compile notes, for this process to say (:func:`_relay_notes`)
    if dask is not None:  # the engine's cluster/client setup; its executor maps in order
        from mlevolve.gp.dask_backend import DaskBackend

        began = time.monotonic()
        cluster = DaskBackend(lambda: None, dask)
        pool = cluster.client.get_executor(pure=False)
        if not quiet:  # the cluster's start (seconds, minutes on a busy machine) was silent until the first generation
            print(dask_started_line(cluster.threads, time.monotonic() - began), file=sys.stderr, flush=True)
    elif n > 1:
        from mlevolve.gp.backends import QuietSpawnContext  # Ctrl-C is this process's to report
        from mlevolve.interpreter import compiling

        context = QuietSpawnContext()
        notes = context.SimpleQueue() if compiling.announcing() else None  # the command line's: said, as evolve's
        pool = ProcessPoolExecutor(n, mp_context=context, initializer=_meta_worker, initargs=(os.getpid(), notes))
        if notes is not None:
            relaying = threading.Thread(target=_relay_notes, args=(notes,), daemon=True, name="mlevolve-notes")
            relaying.start()
    try:
        runner = MetaRun(cfg, program, archive, log=(lambda line: None) if quiet else
                         (lambda line: print(line, file=sys.stderr, flush=True)), pool=pool)
        best, history = runner.run()
    except KeyboardInterrupt:
        if cluster is None and pool is not None:
            _stop_workers()
        raise
    finally:
        if cluster is not None:
            cluster.close()
        elif pool is not None:
            pool.shutdown(cancel_futures=True)
        if notes is not None:  # the workers are gone: the relay ends
            notes.put(None)
            relaying.join(timeout=5.0)
    last = history[-1] if history else {}
    chosen = history[runner.chosen] if runner.chosen is not None else {
        "validation_auc": runner.base_validation_auc, "validation_score": 0.0 if cfg.meta.fitness == "paired"
        else runner.base_validation_auc}
    summary = {"generations": len(history), "candidates": archive.count(), "inner_runs_fresh": runner.fresh,
               "inner_runs_replayed": runner.replayed, "chosen_generation": runner.chosen,
               "best_validation_auc": chosen.get("validation_auc"),
               "best_validation_score": chosen.get("validation_score"),
               "rules": len(best.rules), "operators": len(best.operators), "digest": best.digest,
               "last_best_auc": last.get("best_fitness"), "output": str(out)}
    archive.set_meta("summary", summary)
    archive.set_meta("generator", best.to_toml())
    return best, history, runner, chosen, summary


def dask_started_line(threads: Mapping[str, int], seconds: float) -> str:
    """The line a meta run on Dask says once its workers are up (``threads``: each worker's address and threads, as
    :attr:`~mlevolve.gp.backends.DaskBackend.threads` holds them): how many, and how long they took to start (or the
    scheduler to answer); the progress lines that follow are the pool's and this process's own."""
    return (f"Dask: {counted(len(threads), 'worker')} up ({counted(sum(threads.values()), 'thread')}) after "
            f"{seconds:.1f} s; inner runs start")


def _meta_worker(parent: int, notes: Any) -> None:
    """A meta pool worker's initializer: it dies with ``parent`` (:func:`~mlevolve.gp.backends.orphan_guard`), and its
    numba compile notes go to ``notes`` (a queue its coordinator reads and says them from, :func:`_relay_notes`, as an
    evolve pool's coordinator says its workers'), or nowhere (None: the API's run, silent)."""
    from mlevolve.gp.backends import orphan_guard, worker_notes

    orphan_guard(parent)
    worker_notes(notes.put if notes is not None else None)


def _relay_notes(notes: Any) -> None:
    """In the coordinator, on a thread: say each compile note the workers put on ``notes``
    (:func:`~mlevolve.interpreter.compiling.relay`: once a burst, two workers compiling together one line) until
    None."""
    from mlevolve.interpreter import compiling

    while (line := notes.get()) is not None:
        compiling.relay(str(line))


def _evolve_entry(err: SettingError, names: Sequence[str]) -> str:
    """The name of a configuration's ``evolve`` (``names``, as read) that :func:`evolvable`'s ``err`` is about, where
    its error is placed: the name it quotes, ``all`` beside others, the empty one; "" where none is (the key)."""
    if "all names every" in err.template:
        return "all"
    if "empty name" in err.template:
        return ""
    got = err.values.get("got")
    return got if isinstance(got, str) and got in names else ""


def _stop_workers() -> None:
    """End this process's pool workers at once (SIGTERM) on Ctrl-C.  They ignore it (it is the coordinator's to
    report), so they would run on to the ends of their inner runs, and the pool's shutdown and the interpreter's
    exit (which joins non-daemonic children) wait for them, and on whatever holds them (a stopped ``meta --workers 2``
    was seen running 120 s after the signal, twice, not reproduced since).  Nothing is lost: every finished inner
    run is already a row, and a resume reruns the rest.  The pool's workers are this process's only
    :mod:`multiprocessing` children while it runs; one still running 5 s after the signal is killed."""
    import multiprocessing

    from mlevolve.gp.serverstart import end_processes

    end_processes(multiprocessing.active_children(), wait=5.0)


def _write_generator(out: Path, command: str, path: Path, cfg: Any, runner: Any, history: list[dict[str, Any]],
                     chosen: dict[str, Any], best: Any, summary: dict[str, Any],
                     program: Program) -> dict[str, Any]:
    """Write a meta run's chosen generator to ``out`` with its header (``command``: the one that made it, as
    :func:`~mlevolve.report.data.meta_command` writes it); the run's summary for :func:`meta`, with the commands to
    run next (:func:`meta_next`; ``program``: the configuration's, checked)."""
    import math

    from mlevolve.meta.provenance import environment, environment_line

    header = (f"mlevolve generator evolved by `{command}`\n"
              f"archive: {path}; {counted(len(history), 'meta-generation')}; chosen: "
              f"{'the base grammar' if runner.chosen is None else f'meta-generation {runner.chosen}'}, "
              f"validation AUC {chosen.get('validation_auc', math.nan):.4f} on "
              f"{', '.join(map(cfg.written_as, cfg.validation)) or 'no tasks'}\n"
              f"sampling: mixed with the base grammar, base_mix = {cfg.meta.base_mix:g}"
              + (f"; snapshots in a trust region, max_step = {cfg.meta.max_step:g}" if cfg.meta.max_step else "")
              + "\n"
              f"meta-training tasks: {', '.join(map(cfg.written_as, cfg.train))}\n"  # as [split] writes them
              f"environment: {environment_line(environment())}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SettingError("cannot write {path}: {why}", path=str(out), why=err.strerror or str(err),
                           hint="create its folder first, or pass another {output}") from None
    write_atomic(out, best.to_toml(header=header))
    return {**summary, "db": str(path), "output": str(out), "next": meta_next(cfg, program, path, out),
            "next_note": meta_next_note(cfg)}


def meta_next(cfg: Any, program: Program, db: str | Path, out: str | Path) -> builtins.list[str]:
    """The commands to run after a meta run, as ``evolve``'s summary ends with its own (:func:`next_commands`), each
    runnable as printed from the current folder: what the generator ``out`` learned (``grammar diff``), an ``evolve``
    of the configuration's ``program`` (``cfg.program``'s, its slots ``cfg.evolve``) on the first meta-test task
    with that generator, searching as the inner runs did (:func:`inner_flags`, :func:`inner_task`), on seed
    :data:`NEXT_SEED`, given (:func:`meta_next_note` says why that one), and the report of the archive ``db``."""
    import shlex

    shown = os.path.relpath(cfg.program)  # from here where it is below the current folder, else in full
    shown = str(cfg.program) if shown.startswith("..") else shown
    q = shlex.quote
    flags = " ".join(inner_flags(cfg, program))
    return [f"mlevolve grammar diff {q(str(out))}",
            f"mlevolve evolve {q(shown)} --evolve {q(','.join(cfg.evolve))} --task {q(inner_task(cfg, program))} "
            f"--seed {NEXT_SEED} --grammar {q(str(out))} {flags}".rstrip(),
            f"mlevolve report {q(str(db))} -o {q(str(Path(db).with_suffix('.html')))}"]


NEXT_SEED = 0
"""The seed of the ``evolve`` a meta run suggests (:func:`meta_next`): the first of the fixed seeds its validation runs
use (0 .. ``validation_seeds`` - 1), on a meta-test task, which no inner run of the meta run ran (the configuration
refuses a test task that is a train or validation task): its result is new evidence, from no seed the meta run trained
on (those are drawn from ``[meta] seed``, one per task and meta-generation), and no number the meta run reported."""


def meta_next_note(cfg: Any) -> str:
    """The line a meta run's summary says of its suggested ``evolve`` (:func:`meta_next`): its held-out task, which
    the meta run never ran, and its seed, :data:`NEXT_SEED`, and why."""
    n = cfg.meta.validation_seeds
    fixed = f"the first of validation's fixed seeds, 0 to {n - 1}" if n > 1 else "validation's fixed seed"
    return (f"the evolve below runs held-out task {cfg.written_as(cfg.test[0])}, which no inner run ran, on seed "
            f"{NEXT_SEED} ({fixed}; training seeds are drawn from [meta] seed): --seed N runs another")


# The inner runs' settings an ``evolve`` command can give, by :class:`EvolveConfig` field (its flag: flag_of's rule).
# Every other field of an inner run's config is the engine's default, as an ``evolve`` run's is (a test holds it).
INNER_FLAGS = ("budget", "population", "tournament", "algorithm", "init", "restart_every", "hurdle", "fit")


def inner_flags(cfg: Any, program: Program) -> builtins.list[str]:
    """The ``mlevolve evolve`` flags that make it search as the meta configuration ``cfg``'s inner runs of
    ``program`` did (:func:`mlevolve.meta.evolve.inner_config`): each setting whose value differs from what
    ``evolve`` would use without it (its default as it resolves it for this program: a learner search's
    ``--restart-every``, fitting on), the inner runs' ``epochs`` against ``run``'s default where the program is
    trained for epochs; none that the algorithm or the program's regime does not read (``evolve`` refuses
    those)."""
    from mlevolve.api.checks import _unread, algorithm_reads
    from mlevolve.gp.engine import EvolveConfig
    from mlevolve.interpreter.factory import evolving_kinds
    from mlevolve.interpreter.regimes import regime_of
    from mlevolve.interpreter.settings import Settings
    from mlevolve.meta.evolve import inner_config

    kinds = evolving_kinds(program, cfg.evolve)
    regime = regime_of(program)
    ran = inner_config(cfg.inner, kinds)
    default = EvolveConfig(fit=EvolveConfig.fitting(None, kinds),  # (the restarts of the algorithm and population
                           restart_every=EvolveConfig.restarts(None, ran.algorithm, ran.population, kinds))  # given)
    flags = []
    for name in INNER_FLAGS:
        value = getattr(ran, name)
        if value == getattr(default, name) or not algorithm_reads(ran.algorithm, name) or \
                (name in ("hurdle", "fit") and _unread(name, regime) is not None):
            continue
        flag = "--" + name.replace("_", "-")
        flags.append((flag if value else f"--no-{name}") if isinstance(value, bool) else f"{flag} {value}")
    if _unread("epochs", regime) is None and cfg.inner.epochs != Settings.epochs:  # evolve's default
        flags.append(f"--epochs {cfg.inner.epochs}")
    return flags


def inner_task(cfg: Any, program: Program) -> str:
    """The first meta-test task of ``cfg`` as ``mlevolve evolve --task`` runs it as the inner runs would: a learner
    search on a synthetic family, which ``evolve`` draws afresh per candidate unless told
    (:func:`~mlevolve.interpreter.tasks.search_spec`), asked for the fixed tasks the inner runs use (``:fresh=0``)."""
    from mlevolve.interpreter.factory import evolving_kinds
    from mlevolve.interpreter.tasks import canonical_spec, search_spec

    task = cfg.test[0]
    if "learner" in evolving_kinds(program, cfg.evolve) and search_spec(task) != canonical_spec(task, "learner"):
        return f"{task}:fresh=0"
    return str(task)


def _meta_tasks(cfg: Any, program: Program, spec: GrammarSpec) -> Any:
    """Meta configuration ``cfg`` with every task of its split checked as ``run`` checks a task line (its
    options and data read for ``program``'s kind, the program fitted to it: :func:`_ready`), each mistake at
    its ``[split]`` part, and the bounds of every task: a formula's default to [0, 1] (its fitness is R²);
    any other's are ``[bounds]``'s."""
    from mlevolve.interpreter.regimes import regime_of
    from mlevolve.interpreter.standalone.spec import spec_value, split_spec
    from mlevolve.interpreter.tasks import SAMPLE_OPTIONS, canonical_spec
    from mlevolve.meta.config import config_entry_error, missing_hint

    kind = regime_of(program).name
    given, formula = dict(cfg.bounds), kind == "formula"
    bounds: dict[str, tuple[float, float]] = {}  # by one name only: a run resumes whatever the spelling
    seen: dict[str, tuple[str, str]] = {}  # a task's one name: its part and its spelling there
    drawn: dict[str, tuple[str, str]] = {}  # what a task's points are drawn from (no sample sizes): part, spelling
    named: dict[str, tuple[str, ...]] = {}
    spelling: dict[str, str] = {}  # a task's one name: its spelling in [split]
    keys: dict[str, str] = {}  # a task's one name: its [bounds] key as written
    for part in ("train", "validation", "test"):
        for t in getattr(cfg, part):  # as read (a data file's path from the configuration's folder)
            w = cfg.written_as(t)  # as written: where its mistakes are placed and how they name it
            try:
                _kind_fits(program, t)  # before its data is read
                _ready(program, spec, t, cfg.meta.seed, program, t)
            except MlevError as err:
                where = f"{err.file}: " if err.file and err.span is None else ""  # a data file's cell
                raise config_entry_error(cfg.source, f"[split] {part}: {where}{err.message}", "split", part, w,
                                         missing_hint(cfg.source, w, err.message) or err.hint) from None
            name = canonical_spec(t, kind)  # a held-out task spelt another way is still the training task (said
            # so before its bounds: the second spelling has none of its own)
            if name in seen:
                raise config_entry_error(cfg.source, f"[split] {part}: task {w!r} is task {seen[name][1]!r} of "
                                         f"[split] {seen[name][0]}, written another way", "split", part, w,
                                         hint=f"a task is in one split, once; both are {name}")
            if t not in given and not formula:
                raise config_entry_error(cfg.source, f"task {w!r} needs [bounds] {w} = [lo, hi]", "split", part, w,
                                         hint="only formula tasks have default bounds ([0, 1], their fitness being "
                                              "R^2)")
            seen[name] = (part, w)
            base, options = split_spec(name)  # held out: another function, not more or fewer points of one
            source = ":".join([base, *(f"{k}={spec_value(v)}" for k, v in options.items() if k not in SAMPLE_OPTIONS)])
            if (other := drawn.setdefault(source, (part, w)))[0] != part:
                raise config_entry_error(cfg.source, f"[split] {part}: task {w!r} is {other[1]!r} of [split] "
                                         f"{other[0]} with other sample sizes: its points come from the same function",
                                         "split", part, w, hint="a split holds other functions or datasets than the "
                                         "others (another task, or another dim= or target=), not the same with other "
                                         "n_train=, n_tasks=")
            bounds[name] = given.get(t, (0.0, 1.0))
            spelling[name], keys[name] = w, cfg.bounds_keys.get(t, w)
            named[part] = (*named.get(part, ()), name)
    return replace(cfg, bounds=bounds, spelling=spelling, bounds_keys=keys, **named)


def _data_digests(tasks: Sequence[str]) -> dict[str, str] | None:
    """The content digest of each task that is a data file (None if none is): part of a run's identity."""
    from mlevolve.interpreter.tasks import data_source

    digests = {t: source[1] for t in tasks if (source := data_source(t)) is not None}
    return digests or None


@typed
def grammar_diff(base: GrammarSpec, other: GrammarSpec) -> builtins.list[str]:
    """What ``other`` changes relative to ``base``, one line each, in the grammars' own order (so the same at every
    call): productions dropped or added (a grammar file of its own chooses among the primitives), weights, rules (with
    provenance), operators, the variable and literal weights, and the ``[restrict.NAME]`` tables
    (types, scale, each kept production added or dropped)."""
    from mlevolve.report.summary import value  # each change printed with the digits that show it

    def change(a: float, b: float) -> str:
        return f"{value(a, b, 3)} -> {value(b, a, 3)}"

    lines: builtins.list[str] = []
    old = {p.id: p for p in base.productions}
    new = {p.id: p for p in other.productions}
    lines += [f"- {p}" for p in base.productions if p.id not in new]  # in the grammar's order: the same each run
    lines += [f"+ {p}   w={p.weight:.3g}" for p in other.productions if p.id not in old and p.rule is None]
    scaled = [p for p in other.productions if p.id in old and old[p.id].weight and old[p.id].weight != p.weight]
    factors = Counter(f"{p.weight / old[p.id].weight:.6g}" for p in scaled)
    alike = {factor for factor, n in factors.items() if n >= 3}  # a common rescaling: said once, below
    for p in other.productions:
        if p.rule is not None and p.id not in old:
            r = p.rule
            lines.append(f"+ rule {p.op}({', '.join(p.args)}) -> {p.result} = {r.text}   w={p.weight:.3g}; "
                         f"meta-generation {r.generation}, from {', '.join(r.sources) or 'no tasks'}, {r.uses} uses")
        elif p.id in old and old[p.id].weight != p.weight:
            a, b = old[p.id].weight, p.weight
            if not a or f"{b / a:.6g}" not in alike:
                lines.append(f"~ {p.id:<34} {change(a, b)}  (x{value(b / a, 1.0, 3)})" if a else
                             f"~ {p.id} {change(a, b)}")
    for factor in sorted(alike, key=float):  # as mixing with the base grammar scales every weight it left as it was
        ids = [p.id for p in scaled if f"{p.weight / old[p.id].weight:.6g}" == factor]
        lines.append(f"~ {len(ids):,} weights x{value(float(factor), 1.0, 3)} alike (a common rescaling, as [meta] "
                     f"base_mix makes): {', '.join(ids)}")
    if base.variable_weight != other.variable_weight:
        lines.append(f"~ variables {change(base.variable_weight, other.variable_weight)}")
    lines += [f"- literals.{t}" for t in base.literals if t not in other.literals]
    for t, lit in other.literals.items():
        if t not in base.literals:
            lines.append(f"+ literals.{t}   w={lit.weight:.3g}")
        elif base.literals[t].weight != lit.weight:
            lines.append(f"~ literals.{t} {change(base.literals[t].weight, lit.weight)}")
    ops = {o.name: o for o in base.operators}
    for o in other.operators:
        if o.name not in ops or ops[o.name].text != o.text:
            lines.append(f"+ operator {o.name} = {o.text}   w={o.weight:.3g}")
    lines += [f"- operator {name}" for name in ops if name not in {o.name for o in other.operators}]
    if other.operators and other.floor != base.floor:
        lines.append(f"~ bandit floor {change(base.floor, other.floor)}")
    focus = {f.name: f for f in base.focus}
    for f in other.focus:  # [restrict.NAME]: a new table, or its types, scale or kept productions changed
        was = focus.get(f.name)
        if was is None:
            lines.append(f"+ restrict.{f.name} types {', '.join(sorted(f.types))}; scale {f.scale:g}; "
                         f"keep {', '.join(sorted(f.keep)) or 'none'}")
            continue
        if was.types != f.types:
            lines.append(f"~ restrict.{f.name} types {', '.join(sorted(was.types))} -> {', '.join(sorted(f.types))}")
        if was.scale != f.scale:
            lines.append(f"~ restrict.{f.name} scale {change(was.scale, f.scale)}")
        lines += [f"+ restrict.{f.name} keep {k}" for k in sorted(f.keep - was.keep)]
        lines += [f"- restrict.{f.name} keep {k}" for k in sorted(was.keep - f.keep)]
    lines += [f"- restrict.{name}" for name in sorted(focus.keys() - {f.name for f in other.focus})]
    return lines


def diff_count(lines: Sequence[str]) -> str:
    """The count of :func:`grammar_diff`'s ``lines`` as ``grammar diff``'s heading says it: ``4 changes``, or where
    lines say a common rescaling of many weights at once, those apart, ``3 changes, 17 weights scaled alike`` (a
    rescaling's line is not one change, nor are its weights as many changes of their own)."""
    alike = [int(m[1].replace(",", "")) for line in lines if (m := _ALIKE.match(line))]
    own = counted(len(lines) - len(alike), "change")
    return f"{own}, {counted(sum(alike), 'weight')} scaled alike" if alike else own


_ALIKE = re.compile(r"~ ([\d,]+) weights x\S+ alike \(a common rescaling")  # grammar_diff's line of one
