"""The public Python API: every command of the CLI is one call here.

    >>> import mlevolve
    >>> program = mlevolve.check(mlevolve.parse_file("examples/mlp_digits.mlev"))
    >>> print(mlevolve.format(program))
    >>> [mlevolve.format_expr(e) for e in mlevolve.sample("Tensor", n=3, seed=0, env={"x": "Tensor"})]

Functions that need PyTorch import it when called, so parsing and checking stay light.
"""

from __future__ import annotations

import builtins
import os
import random
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Expr, Program
from mlevolve.dsl.kinds import check_program
from mlevolve.dsl.parse import parse as _parse
from mlevolve.dsl.printer import format_program
from mlevolve.dsl.traverse import program_hash
from mlevolve.dsl.types import Type
from mlevolve.gp.generate import generate, ramped_half_and_half
from mlevolve.grammar.spec import GrammarSpec, load_grammar


def read_source(path: str | Path) -> str:
    """The text of a ``.mlev`` file; a missing, unreadable or binary file is an :class:`MlevError`."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise MlevError("no such file", file=str(p), hint="check the path") from None
    except IsADirectoryError:
        raise MlevError("is a directory, not a .mlev file", file=str(p)) from None
    except OSError as err:
        raise MlevError(f"cannot read: {err.strerror}", file=str(p)) from None
    nul = data.find(b"\0")
    if nul >= 0:
        raise MlevError(f"binary file (a NUL byte at offset {nul})", file=str(p),
                        hint="a .mlev program is UTF-8 text")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")  # a byte-order mark some editors write
    except UnicodeDecodeError as err:
        raise MlevError(f"not UTF-8 text (bad byte at offset {err.start})", file=str(p),
                        hint="a .mlev program is UTF-8 text") from None


def parse(text: str, file: str | None = None) -> Program:
    """Parse ``.mlev`` text into the IR (syntax only; see :func:`check`)."""
    return _parse(text, file)


def parse_file(path: str | Path) -> Program:
    """Read and parse a ``.mlev`` file."""
    return _parse(read_source(path), str(path))


def check(program: Program | str, grammar: GrammarSpec | None = None, file: str | None = None) -> Program:
    """Type-check a program (or its text) against a grammar (the base grammar by default).

    Returns the program unchanged; raises :class:`MlevError` listing every faulty definition.
    """
    if isinstance(program, str):
        program = _parse(program, file)
    try:
        return check_program(program, grammar or load_grammar())
    except MlevError as err:
        raise err.located(file) if file else err from None


def format(program: Program | str) -> str:
    """The canonical text of a program: ``parse(format(p)) == p``."""
    return format_program(_parse(program) if isinstance(program, str) else program)


def sample(
    type_: Type,
    n: int = 1,
    *,
    seed: int = 0,
    depth: int = 5,
    method: Literal["grow", "full", "ramped"] = "ramped",
    env: Mapping[str, Type] | None = None,
    grammar: GrammarSpec | None = None,
) -> builtins.list[Expr]:
    """``n`` random well-typed expressions of ``type_`` with the names of ``env`` in scope."""
    spec = grammar or load_grammar()
    rng = random.Random(seed)
    if method == "ramped":
        return [ramped_half_and_half(spec, type_, rng, env=env, max_depth=depth) for _ in range(n)]
    return [generate(spec, type_, rng, env=env, max_depth=depth, method=method) for _ in range(n)]


def _program(program: Program | str | Path, grammar: GrammarSpec) -> Program:
    """A checked program from a Program or a path to a ``.mlev`` file; calls of the grammar's
    learned rules are inlined, so what runs (and what archives store) is a base program."""
    from mlevolve.grammar.rules import expand_program

    if isinstance(program, Program):
        return expand_program(check(program, grammar), grammar.rules)
    return expand_program(check(parse_file(program), grammar, file=str(program)), grammar.rules)


def _task_name(program: Program, task: str | None) -> str:
    name = task or program.task
    if not name:
        raise MlevError("no task to run on", hint="pass --task NAME or add a `task NAME` line to the program; "
                        "`mlevolve tasks` lists them")
    return name


def _prepare(program: Program | str | Path, task: str | None,
             grammar: GrammarSpec | None) -> tuple[GrammarSpec, Program, str]:
    """The grammar (default: the base), the checked program, and the task it runs on."""
    spec = grammar or load_grammar()
    checked = _program(program, spec)
    return spec, checked, _task_name(checked, task)


def run(
    program: Program | str | Path,
    task: str | None = None,
    *,
    seed: int = 0,
    epochs: int = 10,
    grammar: GrammarSpec | None = None,
) -> dict[str, Any]:
    """Train ``program`` on ``task`` (default: its ``task`` line) and return its metrics.

    The result has validation and test metrics, ``fitness``, ``train_seconds``, ``params`` (neural
    programs) and ``failure`` (None, or the reason the program could not be trained).
    """
    from mlevolve.interpreter.evaluate import Settings, evaluate, load_task_for

    if epochs < 1:
        raise MlevError(f"--epochs must be at least 1, got {epochs}")
    spec, checked, name = _prepare(program, task, grammar)
    outcome = evaluate(checked, load_task_for(checked, name, seed), spec, Settings(seed=seed, epochs=epochs), name)
    return {**outcome.as_dict(), "task": name, "seed": seed}


def export(
    program: Program | str | Path,
    task: str | None = None,
    *,
    seed: int = 0,
    epochs: int = 10,
    grammar: GrammarSpec | None = None,
) -> str:
    """The source of a standalone script that trains ``program`` on ``task`` like :func:`run` does."""
    from mlevolve.interpreter.codegen import compile_program
    from mlevolve.interpreter.evaluate import check_task_fits
    from mlevolve.interpreter.export import export_source
    from mlevolve.interpreter.tasks import load_task

    spec, checked, name = _prepare(program, task, grammar)
    compiled = compile_program(checked, spec)
    check_task_fits(compiled, load_task(name, seed), name)
    return export_source(checked, spec, name, seed=seed, epochs=epochs, compiled=compiled)


def tasks() -> builtins.list[Any]:
    """Every built-in task with its kind, problem and size (see ``mlevolve.interpreter.tasks``)."""
    from mlevolve.interpreter.tasks import list_tasks

    return list_tasks()


def evolvable(program: Program, names: Sequence[str], file: str = "the program") -> builtins.list[str]:
    """The slots ``--evolve`` names: definitions, ``learner.method``, a learner (all its methods),
    or ``all``."""
    from mlevolve.dsl.kinds import slots

    available = [s.name for s in slots(program)]
    if list(names) == ["all"]:
        return available
    out: builtins.list[str] = []
    for name in names:
        matches = [a for a in available if a == name or a.startswith(name + ".")]
        if not matches:
            raise MlevError(f"--evolve {name!r} is not a definition of {file}",
                            hint=f"definitions: {', '.join(available) or 'none'}, or all")
        out += [m for m in matches if m not in out]
    return out


def evolve(
    program: Program | str | Path,
    evolve: Sequence[str] = ("all",),
    task: str | None = None,
    *,
    budget: int = 500,
    db: str | Path | None = None,
    algorithm: str = "regularized",
    seed: int = 0,
    init: str = "file",
    population: int = 100,
    tournament: int = 10,
    epochs: int = 10,
    hurdle: bool = True,
    grammar: GrammarSpec | None = None,
    quiet: bool = False,
    fit: bool | None = None,
    json_log: str | Path | None = None,
    workers: int = 1,
    dask: str | None = None,
    timeout: float = 300.0,
    bandit: bool = False,
) -> dict[str, Any]:
    """Evolve the ``evolve`` slots of ``program`` on ``task`` for ``budget`` candidates.

    The run lives in the SQLite archive ``db`` (default ``runs/<program>-<task>.db``); calling again
    with the same arguments resumes it (or extends it, with a larger budget).  ``workers`` > 1 (0:
    one per core) scores candidates in a local process pool, ``dask`` (``local:N`` or
    ``tcp://HOST:PORT``) on a Dask cluster; each candidate gets at most ``timeout`` seconds.
    ``bandit`` picks mutations with the adaptive operator bandit (always on when the grammar has
    evolved operators).  ``fit`` (None: the config's default, on) fits an evolved formula's constants
    before scoring it (linear scaling and Levenberg-Marquardt on its literals; the archive keeps the
    fitted program and its ``fit_evaluations``); it has no effect on other programs.
    Returns a summary: counts of candidates by how they were scored, the best fitness, program
    and its hash.
    """
    from mlevolve.gp.archive import Archive, default_path
    from mlevolve.gp.backends import make_backend
    from mlevolve.gp.engine import Engine, EvolveConfig
    from mlevolve.gp.progress import Progress
    from mlevolve.gp.search import ALGORITHMS
    from mlevolve.interpreter.codegen import compile_program
    from mlevolve.interpreter.evaluate import check_task_fits, formula_inputs, load_task_for
    from mlevolve.interpreter.evaluator import EvaluatorFactory

    if budget < 1:
        raise MlevError(f"--budget must be at least 1, got {budget}")
    if algorithm not in ALGORITHMS:
        raise MlevError(f"unknown algorithm {algorithm!r}", hint=f"algorithms: {', '.join(ALGORITHMS)}")
    if init not in ("file", "random"):
        raise MlevError(f"unknown --init {init!r}", hint="file (start from the file's definitions) or random")
    if epochs < 1 or population < 2 or tournament < 1:
        raise MlevError("--epochs and --tournament must be at least 1, --population at least 2")
    if workers < 0 or not timeout > 0:
        raise MlevError("--workers must be >= 0 (0: one per core) and --timeout > 0")
    spec = grammar or load_grammar()
    file = str(program) if not isinstance(program, Program) else "the program"
    checked = _program(program, spec)
    names = evolvable(checked, evolve, file)
    task_name = _task_name(checked, task)
    task_data = load_task_for(checked, task_name, seed)
    check_task_fits(compile_program(checked, spec), task_data, task_name)
    kinds = frozenset(d.kind for d in checked.definitions if any(n.split(".")[0] == d.name for n in names))
    fitting = (EvolveConfig.fit if fit is None else fit) if "formula" in kinds else None
    config = EvolveConfig(algorithm=algorithm, budget=budget, population=population, tournament=tournament,
                          init=init, hurdle=hurdle, seed=seed, bandit=bandit, fit=fitting)
    identity = {"program_hash": program_hash(checked), "program_name": checked.name,
                "program": format(checked), "task": task_name, "evolve": names, "epochs": epochs,
                "grammar": f"{spec.name}:{spec.digest}", **config.identity()}
    parallel = bool(dask) or workers != 1
    if parallel and spec.origin is None and spec.name != "base":
        raise MlevError("parallel evaluation needs the grammar as a file", hint="pass --grammar FILE")
    factory = EvaluatorFactory(task_name, seed, epochs, kinds, spec.origin, timeout,
                               inputs=formula_inputs(checked, task_name), fit=bool(config.fit))
    evaluator = factory()
    path = Path(db) if db is not None else default_path(checked.name, task_name)
    with Archive.for_run(path, identity) as archive:
        # Only once the archive is ours: a refused --db leaves no progress bar or --json-log file behind.
        replay = not parallel and not archive.meta().get("parallel")
        if parallel:
            archive.set_meta("parallel", True)
        progress = Progress(budget, quiet=quiet, json_log=json_log)
        backend = make_backend(factory, workers, dask, timeout) if parallel else None
        try:
            engine = Engine(checked, names, spec, evaluator, archive, config, progress, backend, replay=replay)
            ALGORITHMS[algorithm](engine)
        finally:
            progress.close()
            if backend is not None:
                backend.close()
        summary = engine.summary()
        previous = archive.meta().get("summary") or {}
        if summary["candidates"] >= previous.get("candidates", 0):
            archive.set_meta("summary", summary)
        # The summary's best, not archive.best(1): a run resumed with a smaller budget than the
        # archive holds considers only its first ``budget`` candidates.
        best = archive.get(summary["best_hash"]) if summary["best_hash"] else None
    return {**summary, "db": str(path), "best_program": best.program if best else None,
            "best_metrics": dict(best.metrics) if best else None}


def best(db: str | Path, n: int = 5) -> builtins.list[dict[str, Any]]:
    """The ``n`` best distinct programs of an archive, best first.

    Each is a dict: ``rank``, ``fitness``, ``metrics``, ``hash``, ``seq``, ``operator``,
    ``generation``, ``program`` (the whole program's text) and ``evolved`` (the text of just the
    definitions the run evolved).
    """
    from mlevolve.report import data

    if n < 1:
        raise MlevError(f"-n must be at least 1, got {n}")
    run = data.load(db, top=n, rows=False)
    return [{"rank": rank, **data.describe(run, row)} for rank, row in enumerate(run.top, 1)]


def show(db: str | Path, key: str | None = None, n: int = 1) -> builtins.list[dict[str, Any]]:
    """The program whose hash starts with ``key`` (default: the ``n`` best), each with its ancestry.

    Each is a dict like :func:`best`'s (``rank`` only for the best) plus ``source``, ``failure``,
    ``parents`` and ``ancestry``: the chain of (best) parents to the root, newest first, each a
    dict of ``hash``, ``operator``, ``generation``, ``fitness`` and ``seq`` (or ``missing``).
    """
    from mlevolve.report import data

    if n < 1:
        raise MlevError(f"-n must be at least 1, got {n}")
    run = data.load(db, top=n, key=key)
    if run.found is not None:
        return [{**data.describe(run, run.found), "ancestry": data.ancestry(run, run.found)}]
    if not run.top:
        raise MlevError("no candidate with a fitness in the archive yet", file=str(db),
                        hint="wait for the run to score one, or pass a HASH")
    return [{"rank": rank, **data.describe(run, row), "ancestry": data.ancestry(run, row)}
            for rank, row in enumerate(run.top, 1)]


def report(db: str | Path, output: str | Path, *, top: int = 5, baseline: str | Path | None = None) -> dict[str, Any]:
    """Write the HTML run report of archive ``db`` to ``output``; see docs/report.md.

    ``baseline``: another archive of the same task (say, a random-search run) whose best-so-far
    curve is drawn with this run's.  Returns ``output``, the candidates read and the run's state.
    """
    from mlevolve.report import data, page

    if top < 1:
        raise MlevError(f"--top must be at least 1, got {top}")
    if Path(output).resolve() == Path(db).resolve():
        raise MlevError("the report would overwrite the archive", file=str(db), hint="pass -o OUT.html")
    run = data.load(db, top=top)
    other = data.load(baseline) if baseline is not None else None
    if other is not None and other.meta.get("task") != run.meta.get("task"):
        raise MlevError(f"baseline is a run on task {other.meta.get('task')!r}, not {run.meta.get('task')!r}",
                        file=str(baseline), hint="pass an archive of the same task")
    text = page.build(run, other)
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as err:
        raise MlevError(f"cannot write {output}: {err.strerror}") from None
    return {"output": str(output), "candidates": len(run.rows), "state": data.state(run) if run.rows else "empty"}


def export_from_archive(db: str | Path, key: str | None = None, task: str | None = None) -> str:
    """Export the best program of an archive (or the one whose hash starts with ``key``)."""
    from mlevolve.gp.archive import Archive

    archive = Archive.read(db)
    try:
        meta = archive.meta()
        rows = [archive.get(key)] if key else archive.best(1)
    finally:
        archive.close()
    if not rows or rows[0] is None:
        raise MlevError(f"no program {'with hash ' + key if key else 'with a fitness'} in the archive", file=str(db),
                        hint="`mlevolve best DB` lists them")
    program = check(parse(rows[0].program, f"{db}#{rows[0].hash[:12]}"))
    return export(program, task or meta.get("task"), seed=int(meta.get("seed", 0)), epochs=int(meta.get("epochs", 10)))


def meta(config: str | Path, db: str | Path | None = None, output: str | Path | None = None, *,
         quiet: bool = False, workers: int = 1) -> dict[str, Any]:
    """Evolve a generator (grammar weights, learned rules, operators) as the meta configuration
    ``config`` says (see ``mlevolve.meta.config``), checkpointed in ``db`` (default
    ``runs/meta-<config>.db``; the same call resumes it), and write the best generator on the
    validation tasks to ``output`` (default: next to ``db``, ``.grammar.toml``).  ``workers`` > 1
    (0: one per core) runs the inner runs in that many processes; the result is the same."""
    import multiprocessing
    import sys
    from concurrent.futures import ProcessPoolExecutor

    from mlevolve.gp.archive import Archive
    from mlevolve.meta.config import load_config
    from mlevolve.meta.evolve import META_FORMAT, MetaRun

    if workers < 0:
        raise MlevError(f"--workers must be >= 0 (0: one per core), got {workers}")
    cfg = load_config(config)
    base = load_grammar()
    program = _program(cfg.program, base)
    names = evolvable(program, cfg.evolve, str(cfg.program))
    cfg = replace(cfg, evolve=tuple(names))
    runs = Path(os.environ.get("MLEVOLVE_RUNS", "runs"))
    path = Path(db) if db is not None else runs / f"meta-{Path(config).stem}.db"
    out = Path(output) if output is not None else path.with_suffix(".grammar.toml")
    identity = {"program_hash": program_hash(program), "program_name": program.name, "program": format(program),
                "task": "meta:" + ",".join(cfg.train), "grammar": f"base:{base.digest}", "kind": "meta",
                "meta_format": META_FORMAT,
                **cfg.identity()}
    n = workers or os.cpu_count() or 1
    with Archive.for_run(path, identity) as archive:
        pool = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn")) if n > 1 else None
        try:
            runner = MetaRun(cfg, program, archive, log=(lambda line: None) if quiet else
                             (lambda line: print(line, file=sys.stderr, flush=True)), pool=pool)
            best, history = runner.run()
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
        last = history[-1] if history else {}
        summary = {"generations": len(history), "candidates": archive.count(), "inner_runs_fresh": runner.fresh,
                   "inner_runs_replayed": runner.replayed,
                   "best_validation_auc": max((h["validation_auc"] for h in history), default=None),
                   "rules": len(best.rules), "operators": len(best.operators), "digest": best.digest,
                   "last_best_auc": last.get("best_fitness")}
        archive.set_meta("summary", summary)
        archive.set_meta("generator", best.to_toml())
    header = (f"mlevolve generator evolved by `mlevolve meta {config}`\n"
              f"archive: {path}; {len(history)} meta-generations; best validation AUC "
              f"{summary['best_validation_auc']:.4f} on {', '.join(cfg.validation) or 'no tasks'}\n"
              f"meta-training tasks: {', '.join(cfg.train)}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(best.to_toml(header=header), encoding="utf-8")
    except OSError as err:
        raise MlevError(f"cannot write {out}: {err.strerror}") from None
    return {**summary, "db": str(path), "output": str(out)}


def grammar_diff(base: GrammarSpec, other: GrammarSpec) -> builtins.list[str]:
    """What ``other`` changes relative to ``base``, one line each: weights, rules (with
    provenance), operators, the variable and literal weights."""
    lines: builtins.list[str] = []
    old = {p.id: p for p in base.productions}
    new = {p.id: p for p in other.productions}
    for key in old.keys() - new.keys():
        lines.append(f"- {old[key]}")
    for p in other.productions:
        if p.rule is not None and p.id not in old:
            r = p.rule
            lines.append(f"+ rule {p.op}({', '.join(p.args)}) -> {p.result} = {r.text}   w={p.weight:.3g}; "
                         f"meta-generation {r.generation}, from {', '.join(r.sources) or 'no tasks'}, {r.uses} uses")
        elif p.id in old and old[p.id].weight != p.weight:
            a, b = old[p.id].weight, p.weight
            lines.append(f"~ {p.id:<34} {a:.3g} -> {b:.3g}  (x{b / a:.2f})" if a else f"~ {p.id} {a:.3g} -> {b:.3g}")
    if base.variable_weight != other.variable_weight:
        lines.append(f"~ variables {base.variable_weight:.3g} -> {other.variable_weight:.3g}")
    for t, lit in other.literals.items():
        if t in base.literals and base.literals[t].weight != lit.weight:
            lines.append(f"~ literals.{t} {base.literals[t].weight:.3g} -> {lit.weight:.3g}")
    ops = {o.name: o for o in base.operators}
    for o in other.operators:
        if o.name not in ops or ops[o.name].text != o.text:
            lines.append(f"+ operator {o.name} = {o.text}   w={o.weight:.3g}")
    lines += [f"- operator {name}" for name in ops.keys() - {o.name for o in other.operators}]
    if other.operators and other.floor != base.floor:
        lines.append(f"~ bandit floor {base.floor:.3g} -> {other.floor:.3g}")
    return lines
