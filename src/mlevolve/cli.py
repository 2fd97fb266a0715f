"""The ``mlevolve`` command: parses arguments and calls the public API, nothing more.

Every user mistake ends in a one-line error (plus the source line and a caret for errors in a file),
exit status 2, and no traceback.  A flag that sets an API parameter takes its default from the API
function's signature (which reads it from the setting's owner, e.g. ``EvolveConfig``), its choices
from the owner's table, and its name from :func:`flag_of`; a bad value the API refuses
(:class:`SettingError`, naming the parameter) is reported under the flag's name.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import itertools
import os
import re
import shlex
import signal
import sqlite3
import sys
import threading
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import fields
from functools import partial
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from mlevolve import api, stop
from mlevolve.dsl.errors import (
    DATA_SUFFIXES,
    SQLITE,
    MlevError,
    MlevErrors,
    SettingError,
    as_in_file,
    did_you_mean,
    file_kind,
    type_hint,
)
from mlevolve.dsl.ir import Definition, Program
from mlevolve.dsl.kinds import KINDS
from mlevolve.dsl.parse import KEYWORDS
from mlevolve.dsl.printer import format_expr, moved_comments
from mlevolve.dsl.types import BASE_TYPES, Type
from mlevolve.gp.backends import signal_handler
from mlevolve.gp.diversity import DiversityConfig
from mlevolve.gp.engine import INITS, RESTART_POPULATIONS
from mlevolve.gp.search import ALGORITHMS
from mlevolve.grammar.spec import GrammarSpec, load_grammar
from mlevolve.interpreter.compiling import compile_seconds
from mlevolve.interpreter.settings import Settings
from mlevolve.interpreter.standalone.spec import read_int
from mlevolve.messages import HELP, counted, in_repository
from mlevolve.meta.config import InnerConfig, MetaSettings
from mlevolve.results import TIE_RTOL, drawn_per_candidate, dumps, saved_task, shown_metric, shown_program
from mlevolve.script import (
    ArgumentParser,
    BooleanOnce,
    closest_choice,
    closest_option,
    flushed,
    read_decimal,
    shown_warnings,
    stdout_gone,
    switch_value_hint,
)

EXIT_USAGE = 2
_T = TypeVar("_T")


class _Parser(ArgumentParser):
    """The scripts' parser (an unknown option reported before any other mistake, each setting and switch
    given once) whose errors are raised as :class:`_UsageError` (``mlevolve COMMAND: error: ...``, then
    ``hint: run `mlevolve COMMAND --help```, exit 2), a mistyped subcommand named with the closest one."""

    def error(self, message: str, hint: str = "") -> NoReturn:
        hint = hint or closest_choice(message) + HELP.format(prog=self.prog)  # an option's value: its closest
        typo = re.search(r"invalid choice: '([^']*)'", message)
        commands = [name for action in self._actions if isinstance(action, argparse._SubParsersAction)
                    for name in action.choices]
        if typo and commands and not message.startswith("argument -"):  # a mistyped subcommand: the closest one
            message = f"invalid choice '{typo[1]}': the commands are {', '.join(commands)}"
            hint = did_you_mean(typo[1], commands) + HELP.format(prog=self.prog)
        raise _UsageError(message, hint=hint, prog=self.prog)


class _UsageError(MlevError):
    """A mistake on the command line that argparse found, with the command (``prog``) it was found in."""

    def __init__(self, message: str, hint: str, prog: str) -> None:
        super().__init__(message, hint=hint)
        self.prog = prog


def _cmd_check(args: argparse.Namespace) -> int:
    if args.seed is not None:
        api.check_seed(args.seed)  # the command's mistake, once, not each file's
    spec = load_grammar(args.grammar)
    failed = 0
    for file in args.files:
        source = None
        try:
            source = api.read_source(file)
            program = api.check(api.parse(source, file), spec, file=file)
            api.check_task_data(program, file, spec, seed=args.seed)
        except MlevError as err:
            print(_hinted(err.located(file), "mlevolve check").render(source), file=sys.stderr)
            failed += 1
            continue
        kinds = ", ".join(f"{d.kind} {d.name}" for d in program.definitions)
        print(f"{file}: ok ({kinds})")
    return EXIT_USAGE if failed else 0


def _cmd_fmt(args: argparse.Namespace) -> int:
    status = 0
    for i, file in enumerate(args.files):
        source = None
        try:
            source = api.read_source(file)
            parsed = api.parse(source, file)
            text = api.format(parsed, file)
            for line, column, why in moved_comments(parsed):  # one line each: where, and where it goes
                print(f"{file}:{line}:{column}: warning: fmt cannot keep this comment in place: {why}", file=sys.stderr)
        except MlevError as err:
            print(_hinted(err.located(file), "mlevolve fmt").render(source), file=sys.stderr)
            status = EXIT_USAGE
            continue
        if args.check:
            if text != source:
                print(f"{file}: would reformat")
                status = status or 1
        elif args.write:
            if text != source:  # compared with universal newlines, no BOM; written with the file's own
                try:
                    api.write_atomic(file, as_in_file(text, Path(file).read_bytes()))
                except MlevError as err:
                    print(f"mlevolve fmt: error: {err.message}\nhint: {err.hint}", file=sys.stderr)
                    status = EXIT_USAGE
                    continue
                print(f"{file}: reformatted")
        elif len(args.files) > 1:  # several to stdout: each under its name, as `head` prints several files
            gap = "\n" if i else ""
            sys.stdout.write(f"{gap}==> {file} <==\n{text}")
        else:
            sys.stdout.write(text)
    return status


def _cmd_grammar_show(args: argparse.Namespace) -> int:
    spec = load_grammar(args.grammar)
    if args.type is not None:
        _grammar_type(spec, args.type, args.grammar)
    types = [args.type] if args.type else list(spec.types)
    learned = (f", {counted(len(spec.rules), 'learned rule')}, {counted(len(spec.operators), 'evolved operator')} "
               f"(version {spec.digest})") if spec.rules or spec.operators else ""
    print(f"# grammar '{spec.name}': {counted(len(spec.productions), 'production')}, "
          f"{counted(len(spec.types), 'type')}{learned}")
    for t in types:
        depth = spec.min_depth[t]
        print(f"\n{t}  (min depth {depth if depth != float('inf') else 'never'})")
        if t in spec.literals:
            lit = spec.literals[t]
            print(f"  {'<literal>':<34} w={lit.weight:<5g} {lit.doc}")
        for p in spec.by_result.get(t, ()):
            sig = f"{p.op}({', '.join(p.args)})"
            print(f"  {sig:<34} w={p.weight:<5.3g} {p.rule.text if p.rule else p.doc}")
    if args.type is None:
        print(f"\nvariables in scope: w={spec.variable_weight:g}")
        print("\ncomponent kinds:")
        for kind in KINDS.values():
            print(f"  {kind.name:<11} {kind.signature() if kind.validate is None else '':<28} {kind.doc}")
        _show_library(spec)
    return 0


def _show_library(spec: GrammarSpec) -> None:
    """The learned rules (with provenance) and evolved operators of a grammar, if it has any."""
    rules = [p for p in spec.productions if p.rule is not None]
    if rules:
        print("\nlearned rules (expanded when built; programs stay base programs):")
        for p in rules:
            r = p.rule
            assert r is not None
            print(f"  {p.op}({', '.join(p.args)}) -> {p.result} = {r.text}")
            print(f"      w={p.weight:.3g}; meta-generation {r.generation}; mined from "
                  f"{', '.join(r.sources) or 'no tasks'}; {r.uses} uses")
    if spec.operators:
        print(f"\nevolved operators (bandit floor {spec.floor:g} for the default mutation):")
        for o in spec.operators:
            print(f"  {o.name:<8} w={o.weight:<5.3g} {o.text}")


def _cmd_grammar_diff(args: argparse.Namespace) -> int:
    base, other = load_grammar(args.base), load_grammar(args.grammar)
    lines = api.grammar_diff(base, other)
    from mlevolve.api.metarun import diff_count

    print(f"# {base.name} ({base.digest}) -> {other.name} ({other.digest}): {diff_count(lines)}")
    for line in lines:
        print(line)
    return 0


def _cmd_grammar_lark(args: argparse.Namespace) -> int:
    from mlevolve.grammar.lark_render import render_lark

    sys.stdout.write(render_lark(load_grammar(args.grammar)))
    return 0


def _grammar_type(spec: GrammarSpec, name: str, file: str | None, what: str = "") -> None:
    """Refuse ``name`` (``--type``, a ``--var``'s type: ``what`` prefixes the message) where it is no type of
    ``spec``, loaded from ``file`` (None: the base grammar): one of mlevolve's that this grammar lacks is told so."""
    if name not in spec.types:
        lacks = file is not None and name in BASE_TYPES
        raise MlevError(what + (f"grammar {file} has no type {name!r} (a type of mlevolve's)" if lacks
                                else f"unknown type {name!r}"),
                        hint=did_you_mean(name, spec.types) + f"its types: {', '.join(spec.types)}" if lacks
                        else type_hint(name, list(spec.types)))


def _parse_var(text: str) -> tuple[str, Type]:
    name, sep, type_ = (part.strip() for part in text.partition(":"))  # spaces around ':' as a task spec's
    if name in KEYWORDS:
        raise MlevError(f"bad --var {text!r}: '{name}' is a keyword", hint="choose another name")
    types = f"types: {', '.join(BASE_TYPES)}"
    if not sep or not (name.isidentifier() and name.isascii()):  # as the language's names: 'é' was a traceback
        raise MlevError(f"bad --var {text!r}: " + (f"{name!r} is not a name" if sep else "no :TYPE"),
                        hint=f"write NAME:TYPE, e.g. x:Tensor (a name is ASCII letters, digits and _, not starting "
                             f"with a digit); {types}")
    if type_ not in BASE_TYPES:
        raise MlevError(f"bad --var {text!r}: unknown type {type_!r}", hint=type_hint(type_, list(BASE_TYPES)))
    return name, type_


def _cmd_sample(args: argparse.Namespace) -> int:
    spec = load_grammar(args.grammar)
    _grammar_type(spec, args.type, args.grammar)
    env: dict[str, Type] = {}
    for text in args.var:
        name, type_ = _parse_var(text)
        _grammar_type(spec, str(type_), args.grammar, f"bad --var {text!r}: ")
        if name in env:  # a dict would keep the last one silently
            raise MlevError(f"bad --var {text!r}: {name!r} is given twice ({name}:{env[name]}, then {text})",
                            hint="give each variable once, e.g. --var x:Tensor --var y:Scalar")
        env[name] = type_
    for expr in api.sample(args.type, args.n, seed=args.seed, depth=args.depth, method=args.method,
                           env=env, grammar=spec):
        print(format_expr(expr))
    return 0


def _cmd_tasks(args: argparse.Namespace) -> int:
    rows = api.tasks()
    if args.json:
        print(dumps(rows))
        return 0
    print(f"{'task':<18} {'kind':<11} {'problem':<15} {'size':<30} description")
    for t in rows:
        print(f"{t['name']:<18} {t['kind']:<11} {t['problem']:<15} {t['size']:<30} {t['description']}")
    print("\nyour own data: --task path.csv:target=COLUMN or --task path.npz (arrays X, y); "
          "add :problem=regression|classification to override detection; a formula's :weight=COLUMN weights the rows")
    return 0


def _path(file: str | Program) -> str | Path | Program:
    """A FILE argument as the API reads a program (:func:`mlevolve.api.programs.names_file`): the name as typed
    where the API takes it for a path (errors then name it so), else a :class:`~pathlib.Path` (a missing
    ``prog.txt`` is a file that cannot be read, not a program's text)."""
    return file if not isinstance(file, str) or api.names_file(file) else Path(file)


def _located(file: str | Program, call: Callable[[], _T]) -> _T:
    """``call()``, with a mistake in ``file`` printed as `check` prints it (source line and caret); a program
    already parsed (an archive's) names its own file (``DB#HASH``) where the error names none."""
    try:
        return call()
    except MlevError as err:
        if not isinstance(file, str):
            raise err.located(file.file) if file.file else err from None
        if err.span is not None:  # a place in the program no layer named a file for: file's
            err.located(file)
        if err.file != file or err.span is None:
            raise
        try:
            source: str | None = api.read_source(file)
        except MlevError:
            source = None
        raise _Shown(err.render(source), file=file) from None


class _Shown(MlevError):
    """An error already rendered in full (source line, caret, hint): printed as it is."""

    def render(self, source: str | None = None, label: str = "error") -> str:
        return self.message


def _unread_flags(args: argparse.Namespace, file: str | None) -> None:
    """Refuse ``--epochs``, ``--hurdle`` or ``--fit`` typed for a program (``file``) whose regime does not read it
    (:func:`mlevolve.api.check_settings_apply`, the API's rule, on the flags typed): here those typed at their
    defaults; the API refuses the others itself, after their ranges (``--epochs 0`` is out of range first).
    The grammar (``--grammar``) is read only where such a flag was typed."""
    typed = [name for name, default in api.SETTING_DEFAULTS.items()
             if name in args.given and getattr(args, name) in (default, None)]
    if file is not None and typed:
        _located(file, lambda: api.check_settings_apply(_path(file), typed, grammar=load_grammar(args.grammar)))


def _cmd_run(args: argparse.Namespace) -> int:
    from mlevolve.report.summary import compiled_line
    from mlevolve.results import Metric, fitness_reads, mse_reads

    _unread_flags(args, args.file)
    compiled = compile_seconds()  # what numba compiles in this command, which train_seconds leaves out
    result = _located(args.file, lambda: api.run(_path(args.file), args.task, seed=args.seed, epochs=args.epochs,
                                                 grammar=load_grammar(args.grammar)))
    if args.json:
        print(dumps(result))
    else:
        for key, value in result.items():
            if key != "failure":
                print(f"{key:>16}: {shown_metric(value)}" if isinstance(value, float) else f"{key:>16}: {value}")
        if result["failure"]:
            print(f"{'failed':>16}: {result['failure']['reason']} ({result['failure']['where']})")
        if any(k.endswith("_mse") for k in result) and (units := mse_reads(
                Metric("val_mse"), result.get("task"), api.read_source(args.file))) is not None:
            print(f"{'units':>16}: MSE {units}")
        if "fitness" in result and (reads := fitness_reads(result.get("task"))) is not None:  # as evolve's summary
            print(f"{'fitness reads':>16}: {reads}")
        if note := compiled_line(compile_seconds() - compiled):
            print(note)
    return 1 if result["failure"] else 0


def _archive_given(args: argparse.Namespace) -> None:
    """``export DB``: a run's archive (a ``.db`` file, or any SQLite file) given as the positional argument is read
    as ``best DB`` and ``show DB`` read theirs; ``--db DB`` still reads it (given both ways, it is refused)."""
    path = Path(args.file) if args.file is not None else None
    if path is None or not (path.suffix.lower() == ".db" or file_kind(path) == SQLITE):
        return
    if args.db is not None:
        raise MlevError("give the archive once: as DB or as --db DB, not both",
                        hint=_as_typed_but(args, [], ["--db"]))
    args.db, args.file = args.file, None


def _cmd_export(args: argparse.Namespace) -> int:
    if args.file is not None and args.file.lower().endswith(DATA_SUFFIXES):  # before the flags that go with DB
        api.read_source(args.file)  # says what a data file is (it reads none)
    _archive_given(args)
    if args.hash_given is not None:  # export DB HASH, as show DB HASH
        if args.db is None:
            raise MlevError("HASH names a program of a run's archive: give DB first", hint="mlevolve export DB HASH "
                            "-o OUT.py (a .mlev FILE is exported whole)")
        if args.hash is not None or args.best:
            raise MlevError("give the program once: HASH, --hash H or --best",
                            hint=_as_typed_but(args, ["--best"], ["--hash"]))
        args.hash = args.hash_given
    if args.file is not None:  # (before the file is read: a flag's mistake)
        _no_select(args, f"{args.file} is one program, exported as written",
                   hint=f"mlevolve export DB --select {args.select} -o OUT.py, DB a run's archive")
    elif args.hash is not None:
        _no_select(args, "HASH (--hash H) names the program itself",
                   hint=_as_typed_but(args, [args.hash_given], ["--hash"]) + ", without HASH")
    if args.component is not None and str(args.output).lower().endswith(".mlev"):  # a flags' mistake: no file read
        raise MlevError(f"--component writes a Python module, not .mlev text: -o {args.output}",
                        hint=f"-o {Path(str(args.output)).with_suffix('.py').name} for the module, or drop "
                        "--component for the program as .mlev")
    select = _rule(args)  # --best (or no HASH): the run's answer by --select, chosen as the archive is read, once
    grammar = load_grammar(args.grammar) if args.grammar else None  # None: the base grammar, or the run's
    if str(args.output).lower().endswith(".mlev"):  # the program itself, not a script
        return _export_program(args, grammar, select)
    if args.output != "-":  # -: stdout
        api.check_output(args.output, kind="script")
    # --seed and --epochs default to the API's (a file) or to the run's (--db): passed only when given
    given = {k: v for k, v in (("seed", args.seed), ("epochs", args.epochs)) if v is not None}
    script = None if args.output == "-" else str(args.output)  # what the script's docstring says to run
    drawn = False
    if args.component is not None:
        _no_training_flags(args, "--component writes a module that trains nothing",
                           "drop it, or export the training script (without --component)")
        if bool(args.db) == bool(args.file):
            raise MlevError("--component exports a definition of a .mlev FILE or of an archive's program (DB)",
                            hint="mlevolve export FILE --component NAME -o module.py, or DB [--hash H]")
        if args.file:  # --best, --hash: a program of an archive (they were ignored)
            _no_archive_flags(args)
        program: Program | str = args.file
        if args.db:  # the best program, or the one --hash names
            program = api.archived_program(args.db, args.hash, grammar=grammar, select=select)
        source = _located(program, lambda: api.export_component(_path(program), args.component, grammar=grammar))
    elif args.db:
        if args.file:
            raise MlevError("give either FILE or --db, not both", hint="mlevolve export FILE -o OUT.py, or mlevolve "
                           "export DB [--hash H] -o OUT.py")
        from mlevolve.api.archived import export_archived

        source, meta = export_archived(args.db, args.hash, args.task, grammar=grammar, script=script, select=select,
                                       **given)
        drawn = drawn_per_candidate(args.task or meta.get("task"))  # then `best`'s score is of its draw
    elif args.file:
        _no_archive_flags(args)
        _unread_flags(args, args.file)
        source = _located(args.file, lambda: api.export(_path(args.file), args.task, grammar=grammar, script=script,
                                                        **given))
    else:
        raise MlevError("nothing to export: give FILE (a .mlev program) or DB (a run's archive)",
                        hint="mlevolve export FILE -o OUT.py, or mlevolve export DB --best -o OUT.py")
    if args.output == "-":  # the script on stdout, as is (`mlevolve export f.mlev -o - | less`)
        sys.stdout.write(source)
        return 0
    api.write_atomic(args.output, source)
    if args.component is not None:
        print(f"wrote {args.output} ({source.count(chr(10)):,} lines): import it, no mlevolve needed")
    else:
        print(f"wrote {args.output} ({source.count(chr(10)):,} lines); run it with: python {shlex.quote(args.output)} "
              "--json" + (f" {_OWN_DRAW}" if drawn else ""))
    return 0


_OWN_DRAW = "(on a draw of tasks of its own: the run drew each candidate's)"  # so its score is not `best`'s


def _no_archive_flags(args: argparse.Namespace) -> None:
    """Refuse ``--best`` and ``--hash`` without ``--db``: they choose a program of a run's archive, and a FILE
    is one program (they were ignored)."""
    flag = "--best" if args.best else "--hash" if args.hash is not None else None
    if flag is not None:
        api.read_source(args.file)  # a FILE that is missing or a folder: that mistake first
        raise MlevError(f"{flag} chooses a program of a run's archive: it goes with DB, not with FILE",
                        hint="mlevolve export FILE -o OUT.py, or mlevolve export DB " +
                             ("--best" if args.best else f"--hash {shlex.quote(args.hash)}") + " -o OUT.py")


def _no_training_flags(args: argparse.Namespace, what: str, hint: str) -> None:
    """Refuse ``--task``, ``--seed`` and ``--epochs`` for an export that trains nothing (``what`` says why)."""
    unused = [flag_of(k) for k in ("task", "seed", "epochs") if getattr(args, k) is not None]
    if unused:
        raise MlevError(f"{what}: {', '.join(unused)} {'does' if len(unused) == 1 else 'do'} not apply", hint=hint)


def _export_program(args: argparse.Namespace, grammar: GrammarSpec | None, select: str) -> int:
    """``export DB [--best | --hash H] -o FILE.mlev``: the archived program (``--best``: rule ``select``'s answer)
    as ``.mlev`` text."""
    if not args.db or args.file or args.component is not None:
        raise MlevError("-o FILE.mlev writes a run's program as .mlev text: it takes DB (with --best or --hash H)",
                        hint="mlevolve export DB --best -o best.mlev; a .py output writes a training script")
    _no_training_flags(args, "a .mlev output is the program alone", "drop it, or write a .py script")
    api.check_output(args.output, kind="program")
    text, options = api.export_program(args.db, args.hash, grammar=grammar, select=select)
    api.write_atomic(args.output, text)
    command = " ".join(["mlevolve run", shlex.quote(args.output), *options])
    if "mlevolve run FILE --task " in text.partition("\n")[0]:  # a meta run's program: scored on each of its tasks
        print(f"wrote {args.output} ({text.count(chr(10)):,} lines); score it on one of the meta run's tasks with: "
              f"{command}")
    elif api.drawn_per_candidate(text):  # no draw of its own to score it on again: `run` draws one
        print(f"wrote {args.output} ({text.count(chr(10)):,} lines); score it with: {command} {_OWN_DRAW}")
    else:
        print(f"wrote {args.output} ({text.count(chr(10)):,} lines); score it as the run did with: {command}")
    return 0


def _cmd_evolve(args: argparse.Namespace) -> int:
    from mlevolve.report import summary

    names = args.evolve.split(",")
    _dask_alone(args)
    _no_ignored_flags(args)
    _unread_flags(args, args.file)
    compiled = compile_seconds()  # what numba compiles in this command, which the search's time leaves out
    try:
        result = _located(args.file, lambda: api.evolve(
            _path(args.file), names, args.task, budget=args.budget, db=args.db, algorithm=args.algorithm,
            seed=args.seed, init=args.init, population=args.population, tournament=args.tournament,
            restart_every=args.restart_every, epochs=args.epochs,
            hurdle=args.hurdle, grammar=load_grammar(args.grammar), quiet=args.quiet or args.json,
            json_log=args.json_log, workers=args.workers, dask=args.dask, timeout=args.timeout, bandit=args.bandit,
            memory_limit=args.memory_limit, confirm=args.confirm, fit=args.fit, digits=_json_digits(args),
            prune=args.prune, max_time=args.max_time,
            diversity=DiversityConfig(**{f.name: getattr(args, f.name) for f in fields(DiversityConfig)})))
    except KeyboardInterrupt as stop:
        return _interrupted(args, stop, "candidate")
    pick = _chosen(result["db"], _rule(args), _json_digits(args)) \
        if result["best_hash"] is not None and result["archived"] <= result["candidates"] \
        and "train_mse" in (result.get("best_metrics") or {}) else None  # a front with scores: a formula run's
    result = {**result, "selected": {"rule": _rule(args), "hash": result["best_hash"], "pruned_from": (
        result.get("pruned_from") or {}).get("hash")}}  # the fittest, as every best_* field: pruned where it was
    if _rule(args) != "best":  # the commands it suggests read the answer this rule chose, as printed
        result["next"] = api.next_commands(
            result["db"], None if result["best_hash"] is None or result["archived"] <= result["candidates"] else
            result["best_hash"], failed=(result["failures"] or [{}])[0].get("hash"),
            front="train_mse" in (result.get("best_metrics") or {}), select=_rule(args))
    task = saved_task(result["task"], result["data_path"])  # a data file's task line: by its absolute path
    if pick is not None:  # the rule's answer, not the fittest: it, against the start, with the fittest beside it
        pick["metric"] = result["answer"]["metric"]  # (its description's notes of the task's classes and weights)
        result["selected"] = {"rule": _rule(args), "hash": pick["best"]["hash"],
                              "pruned_from": pick["best"].get("pruned_from"), "size": pick["best"]["size"],
                              "program": shown_program(api.show(result["db"], pick["best"]["hash"], digits=0)[0][
                                  "stored"], task=task), "fittest_hash": pick["fittest"]["hash"],
                              "verdict": pick["verdict"]}  # (answer's: the fittest's, as every best_*)
    if args.json:  # programs as shown everywhere else (no hand-written comments, the run's task line), every digit
        shown = shown_program(result["best_program"], task=task) if result["best_program"] else None
        print(dumps({**result, "best_program": shown}))
        return 0
    if pick is not None:
        result = {**result, "answer": pick, "best_hash": pick["best"]["hash"]}
    # the wall the user waited on numba: this process's compiles and the longest a worker's took beside them
    compiled = compile_seconds() - compiled + result.get("worker_compile_seconds", 0.0)
    if args.quiet:
        if result["environment_changed"]:  # a note, not progress: --quiet keeps it
            print(summary.environment_note(result["environment_changed"]), file=sys.stderr)
        print(summary.one_line(result, compiled=compiled))
    else:
        print("\n".join(summary.lines(result, compiled=compiled)))
    return 0


def _no_ignored_flags(args: argparse.Namespace) -> None:
    """Refuse a flag given for ``evolve`` that the chosen ``--algorithm`` would ignore
    (:func:`mlevolve.api.check_settings_read`, the API's rule, on the flags typed)."""
    api.check_settings_read(args.algorithm, sorted(args.given, key=list(vars(args)).index))


def _dask_alone(args: argparse.Namespace) -> None:
    """Refuse ``--workers`` given with ``--dask``, ``--workers 1`` too: the API refuses any other count
    (:class:`mlevolve.gp.backends.Resources`) but cannot tell 1, its default, from none given."""
    if args.dask is not None and "workers" in args.given:
        raise SettingError("{dask} and {workers} exclude each other", hint="the Dask cluster sets the parallelism")


def _json_digits(args: argparse.Namespace) -> int:
    """The digits of the literals in a command's programs: ``--digits`` (default ``SHOWN_DIGITS``) for text
    a person reads; with ``--json``, for a program that reads back, every digit (0) unless ``--digits`` is
    given (docs/report.md: a JSON program's literals are the archive's)."""
    return 0 if getattr(args, "json", False) and "digits" not in getattr(args, "given", ()) else int(args.digits)


def _cmd_meta(args: argparse.Namespace) -> int:
    _no_stdout(args.output, "the evolved grammar", "runs/meta.grammar.toml")
    _dask_alone(args)
    compiled = compile_seconds()  # what numba compiles in this command (inner runs here), as evolve's summary says
    try:
        summary = api.meta(args.config, args.db, args.output, quiet=args.quiet, workers=args.workers, dask=args.dask)
    except KeyboardInterrupt as stop:
        return _interrupted(args, stop, "finished inner run")
    from mlevolve.report.summary import compiled_line, generator_text

    # the wall the user waited on numba: this process's compiles and the longest a worker's took beside them
    note = compiled_line(compile_seconds() - compiled + summary["worker_compile_seconds"])
    print(f"archive: {summary['db']}\nevolved grammar: {summary['output']}  ({generator_text(summary)})\n"
          f"inner runs: {summary['inner_runs_fresh']:,} run, {summary['inner_runs_replayed']:,} reused (the same "
          "generator, task and seed run before: in this run, or in the archive's earlier one)"
          + (f"\n{note}" if note else "") + f"\n{summary['next_note']}\n\nnext:")
    print("\n".join(f"    {command}" for command in summary["next"]))  # as evolve's summary ends
    return 0


def _cmd_best(args: argparse.Namespace) -> int:
    from mlevolve.api.archived import best_answered
    from mlevolve.report import render, summary

    if file_kind(args.db) == "a .mlev program":
        _no_select(args, f"{args.db} is one program", hint=f"mlevolve best DB --select {args.select}, DB a run's "
                   "archive")
    select = _rule(args)
    rows, pick = best_answered(args.db, args.n, digits=args.digits, front=args.front,
                               select=select)  # the answer first, then the fittest; on the front, marked
    if not rows:
        message, hint = api.no_score(args.db)
        print(f"{args.db}: {message}\nhint: {hint}")
    elif args.front:
        from mlevolve.report.data import SCALING_UNCOUNTED, scaling_uncounted

        scored = rows[0]["score"] is not None
        scaled = f", {SCALING_UNCOUNTED}" if scaling_uncounted(rows[-1]["stored"], rows[-1]["size"]) else ""
        rule = "its pick: the highest score within 1.5x the least train_mse" if select == "best" else \
            f"the answer (--select {select}): {summary.SELECT_RULES[select]}"
        score = f"; score: -d ln(train_mse) / d size, PySR's; {rule}" if scored else ""
        pruned = "; the pruned fittest's, of the prune's common tasks" if any(r["source"] == "pruned" for r in rows) \
            else ""
        drawn = f"; each fitness of its own draw of tasks (fresh=1{pruned}), so they differ by the draw as well" \
            if rows[0]["drawn"] else ""
        print(f"Pareto front: {counted(len(rows), 'program')}, each fitter than every smaller one "
              f"(size: nodes of the evolved definitions{scaled}{score}){drawn}\n")
    elif rows[0].get("selected") and pick is not None:  # the
        # answer is not the fittest: it heads the list, named with the fittest above it
        print("\n".join(_answer_lines(pick, select, bool(rows[0].get("answer")))) + "\n")
    elif rows[0].get("answer"):  # the answer is the fittest: the start, it and its verdict, as evolve's summary
        a, head = rows[0]["answer"], rows[0]
        name, best = a["metric"]["name"], {**a["best"], "hash": head["hash"], "seq": head["seq"],
                                           "source": head["source"]}
        print(f"start:   {summary.start_text(name, a['start'], best)}\n"
              f"best:    {summary.best_text(name, best, a['start'])}\nverdict: {a['verdict']}\n")
    if rows and not args.front and (note := tie_note(rows)):
        print(f"{note}\n")
    color = render.use_color(sys.stdout)
    for row, digits in zip(rows, render.apart_digits(rows), strict=True):  # rows that read alike: to more digits
        lines = render.candidate({**row, "digits": digits}, row["rank"])
        if args.front:  # its size (and score) in the headline, after the rank
            lines[0][1:1] = [("text", f"  size {row['size']}"),
                             *([("text", f"  score {shown_metric(row['score'])}")] if row["score"] is not None else []),
                             *([("text", "  PySR's pick" if select == "best" else f"  answer (--select "
                                          f"{select})")] if row["pick"] else [])]
            if (into := row.get("pruned_into")) is not None:  # beside it, the form an answer hands out (its line
                lines += [[("indent", "    "), ("dim", f"its pruned form, {into['hash'][:12]}:")],  # above says whose)
                          *render.indented(render.code(into["evolved"]))]
        for line in lines:
            print(render.ansi(line, color))
        print()
    return 0


def tie_note(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """The line ``mlevolve best`` prints where its list (:func:`mlevolve.api.best`'s rows, best first) puts a program
    above a fitter one, saying why for each such pair: the run's pruned best (``source`` ``pruned``), first in its
    candidate's place (:func:`mlevolve.report.data.behaviours`) as the answer, or as the fittest below a ``--select``
    answer heading the list, scored on the prune's common draw of
    tasks (its ``pruned`` line says so) or within the prune's tolerance below its candidate; else a tie that
    :func:`mlevolve.results.shown_order` lists smallest first (:data:`mlevolve.results.TIE_RTOL`).  None where the
    list is in order of fitness.  A ``--select`` answer heading the list (``selected``) is first by its rule, not
    fitness, which its own lines say: left out."""
    pruned: list[str] = []
    ties: list[str] = []
    # the pruned best is the answer where no --select answer heads the list; under one, it is the run's fittest
    role = "the run's fittest pruned" if any(r.get("selected") for r in rows) else "the run's best pruned, the answer,"
    for above, below in itertools.pairwise([r for r in rows if not r.get("selected")]):
        if above["fitness"] is not None and below["fitness"] is not None and below["fitness"] > above["fitness"]:
            gap = (f"#{below['rank']}, size {below['size']}, is fitter than #{above['rank']}, size {above['size']}, "
                   f"by {below['fitness'] - above['fitness']:.3g}")
            if above.get("source") == "pruned":
                common = re.search(r" on ([\d,]+) common tasks?\b", above.get("pruned") or "")
                at = f"#{above['rank']}"
                why = (f"{at} is scored on the prune's {common[1]} common tasks, the others each on tasks drawn for "
                       "it" if common else f"{at}'s edits cost it less than the prune's tolerance below its candidate")
                place = "first in its candidate's place" if above["rank"] == 1 else "in its candidate's place"
                pruned.append(f"{role} {place} ({gap}: {why})")
            else:
                ties.append(gap)
    tie = (f"a tie (within {TIE_RTOL:g} relative) listed smallest first ({'; '.join(ties)}: "
           f"{'a tie' if len(ties) == 1 else 'ties'})") if ties else None
    if not pruned:
        return None if tie is None else f"order: by fitness, {tie}"
    return f"order: by fitness, but {'; and '.join([*pruned, *([tie] if tie else [])])}"


def _cmd_show(args: argparse.Namespace) -> int:
    from mlevolve.report import render, summary

    if args.grammar and not args.confirm:
        raise MlevError("--grammar goes with --confirm: it is the grammar the re-evaluated programs are checked in",
                        hint="mlevolve show DB --best --confirm N --grammar FILE")
    if (args.sympy or args.latex) and args.confirm:
        raise MlevError("--confirm re-evaluates programs; --sympy/--latex only print a formula: give one of them",
                        hint="mlevolve show DB --best --confirm N, or mlevolve show DB --best --sympy")
    if file_kind(args.db) == "a .mlev program":
        _no_select(args, f"{args.db} is one program", hint=f"mlevolve show DB --best --select {args.select}, DB "
                   "a run's archive")
    elif args.hash is not None:
        _no_select(args, "HASH names the program itself",
                   hint=_as_typed_but(args, [args.hash], ["--hash"], ["--best"]) + ", without HASH")
    if args.sympy or args.latex:
        return _show_formula(args)
    if file_kind(args.db) == "a .mlev program":
        try:  # the --sympy hint only where there is a formula to print (an optimizer's file was told it had one)
            formula = any(d.kind == "formula" for d in api.parse_file(args.db).definitions)
        except (MlevError, MlevErrors):
            formula = False
        sympy = f"; mlevolve show {shlex.quote(args.db)} --sympy prints its formula" if formula else ""
        raise MlevError("not an mlevolve archive: this is a .mlev program", file=args.db,
                        hint=f"mlevolve check {shlex.quote(args.db)} or mlevolve run {shlex.quote(args.db)}{sympy}")
    if args.hash is not None and not Path(args.db).exists() and Path(args.hash).is_file():  # show HASH DB
        raise MlevError("no such archive; the archive comes first, then the hash", file=args.db,
                        hint=f"mlevolve show {shlex.quote(args.hash)} {shlex.quote(args.db)}")
    if args.best and args.hash is not None:
        raise MlevError("give either HASH or --best, not both",
                        hint="mlevolve show DB HASH, or mlevolve show DB --best")
    if args.hash is not None and "n" in args.given:  # -n 1 too: a HASH names one program
        raise MlevError("-n goes with --best: a HASH names one program",
                        hint="mlevolve show DB --best -n N, or mlevolve show DB HASH")
    color = render.use_color(sys.stdout)
    grammar = load_grammar(args.grammar) if args.grammar else None
    from mlevolve.api.archived import show_answered

    shown, key = show_answered(args.db, args.hash, args.n, confirm=args.confirm, grammar=grammar, digits=args.digits,
                               select=_rule(args))  # --best: the answer first
    if shown[0].get("selected") and key is not None:  # read with the list: the archive loaded once
        print("\n".join(_chosen_lines(key, _rule(args))) + "\n")
    for c, digits in zip(shown, render.apart_digits(shown), strict=True):  # rows that read alike: to more digits
        lines = render.candidate({**c, "digits": digits}, c.get("rank"), c["program"])
        if c.get("answer"):
            lines += [[("label", "against the start:")], *render.indented([("text", line)] for line in (
                f"start: {summary.side(c['answer']['metric']['name'], c['answer']['start'], c['answer']['best'])}",
                f"this:  {summary.side(c['answer']['metric']['name'], c['answer']['best'], c['answer']['start'])}"
                + (f"   ({c['answer']['best']['note']})" if c["answer"]["best"].get("note") else ""),
                c["answer"]["verdict"], *filter(None, [summary.spread_text(
                    c["answer"], "the answer" if c.get("selected") else None)])))]
        elif args.confirm and c.get("failure"):  # --confirm re-evaluates a scored program against the start
            lines.append([("dim", f"--confirm: not re-evaluated: this candidate failed ({c['failure']})")])
        lines.append([("label", "ancestry:")] if c["ancestry"] else [("dim", "ancestry: none (a root)")])
        steps = c["ancestry"] if not args.ancestry else c["ancestry"][:args.ancestry]  # the nearest, as the report's
        lines += render.indented(render.ancestor_line(a) for a in steps)
        if len(steps) < len(c["ancestry"]):  # (the report draws the nearest 60 and says how many it left out)
            left = len(c["ancestry"]) - len(steps)
            lines += render.indented([[("dim", f"... {counted(left, 'earlier step')} not shown (--ancestry 0 shows "
                                                f"every step, --ancestry N the nearest N)")]])
        print("\n".join(render.ansi(line, color) for line in lines) + "\n")
    return 0


SHOWN_ANCESTRY = 10
"""The steps of a program's ancestry ``show`` lists by default, its parent first (``--ancestry N``; 0: all): a
search of thousands of candidates has chains of dozens of steps, which buried the program shown above them."""


def _show_formula(args: argparse.Namespace) -> int:
    """``show --sympy/--latex``: the formula of a .mlev file, or of archived programs, as SymPy or LaTeX."""
    from mlevolve.interpreter.algebra import UNDECIDABLE, NoSympyForm, display_names, formula_display

    programs: list[Program | str]
    if file_kind(args.db) == "a .mlev program":
        chosen = [flag_of(k) for k in ("best", "n") if k in args.given] + ["HASH"] * (args.hash is not None)
        if chosen:  # they choose (and print) programs of a run's archive: ignored for a file
            raise MlevError(f"{', '.join(chosen)} {'goes' if len(chosen) == 1 else 'go'} with a run's archive; "
                            f"{args.db} is one program, printed as written",
                            hint=f"mlevolve show {shlex.quote(args.db)} --sympy, or mlevolve show DB --best -n N "
                                 "--sympy")
        programs = [args.db]  # a path: errors name the file
    else:
        shown = api.show(args.db, args.hash, args.n, digits=0,  # every digit: SymPy folds them, the display rounds
                         select=_rule(args))  # the answer first, as show DB
        programs = [api.parse(c["program"], f"{args.db}#{c['hash'][:12]}") for c in shown]
    def sympy_of(program: str | Program) -> Any:  # its SymPy form, or why it has none (a mistake: raised)
        try:
            return api.formula_sympy(_path(program))
        except NoSympyForm as err:  # SymPy cannot decide it, or would write zoo: the formula as written
            return err

    for program in programs:
        if isinstance(expr := _located(program, partial(sympy_of, program)), NoSympyForm):
            _formula_text(program, expr.message)
            continue
        try:
            # a file's literals as written, unless --digits is given (SymPy folds some: exp(0.48 + x) is 1.6*exp(x))
            digits = args.digits if "digits" in args.given or not isinstance(program, str) else None
            text, latex = _located(program, partial(formula_display, _formula_of(program), expr, digits))
            print(latex if args.latex else text)
            if not args.latex and (renamed := display_names(expr)):  # an input named as SymPy's sin, E, pi
                where = program if isinstance(program, str) else program.file
                names = ", ".join(f"{s.name} as {new}" for s, new in renamed.items())
                print(f"{where}: note: {counted(len(renamed), 'input')} written with _ appended ({names}): SymPy's "
                      "parser reads the name as its own function or constant", file=sys.stderr)
        except MlevError:  # a ValueError too (too deep for SymPy's printers): a mistake, not an undecidable part
            raise
        except UNDECIDABLE as err:  # a comparison SymPy cannot decide (of zoo, of a complex value)
            _formula_text(program, "SymPy cannot write this formula: " + (str(err).splitlines() or
                                                                          [type(err).__name__])[0])
    return 0


def _formula_text(program: str | Program, why: str) -> None:
    """``show --sympy``'s fallback: the formula of ``program`` (a file's path, or an archive's program) as its text
    on stdout, and on stderr a one-line note of ``why`` it has no SymPy form."""
    body = _formula_of(program).body
    assert body is not None  # a formula has one
    print(format_expr(body))
    where = program if isinstance(program, str) else program.file
    print(f"{where}: note: {why}; shown as the program writes it", file=sys.stderr)


def _formula_of(program: str | Program) -> Definition:
    """The formula of ``program`` (a file's path, or an archive's program), one that ``api.formula_sympy`` took."""
    parsed = api.parse(api.read_source(program), program) if isinstance(program, str) else program
    return next(d for d in parsed.definitions if d.kind == "formula" and d.body is not None)


def _no_stdout(output: str | None, what: str, example: str) -> None:
    """Refuse ``-o -`` (stdout) for a command that writes ``what``, a file it reads back or keeps (a file
    named "-" is never what was meant)."""
    if output == "-":
        raise MlevError(f"-o - would print {what}; this command writes it to a file",
                        hint=f"give a file, e.g. -o {example}, or leave -o out for the default")


def _cmd_report(args: argparse.Namespace) -> int:
    _no_stdout(args.output, "the report", "runs/report.html")
    output = args.output or str(Path(args.db).with_suffix(".html"))
    result = api.report(args.db, output, top=args.top, baseline=args.baseline, digits=args.digits,
                        select=_rule(args))
    print(f"wrote {result['output']} ({counted(result['candidates'], result['unit'])}, {result['state']})")
    return 0


_FLAGS = {"n": "-n", "type_": "--type", "output": "-o"}  # API parameters whose flag is not --NAME-WITH-DASHES


def flag_of(name: str) -> str:
    """The command-line flag of an API parameter or configuration field: ``budget`` is ``--budget``,
    ``memory_limit`` ``--memory-limit``, ``n`` ``-n``."""
    return _FLAGS.get(name, "--" + name.replace("_", "-"))


def _as_typed(args: argparse.Namespace | None) -> Callable[[str], str]:
    """:func:`flag_of` as the command line spelled it: a ``--NAME/--no-NAME`` switch typed off is
    ``--no-NAME`` (``--no-hurdle does not apply to a learner program``)."""
    typed_off = {name for name in getattr(args, "given", ()) if getattr(args, name, None) is False}
    return lambda name: "--no-" + flag_of(name)[2:] if name in typed_off else flag_of(name)


def _shown(value: object) -> str:
    """A default as ``--help`` writes it."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return format(value, "g") if isinstance(value, float) else str(value)


def _digits(p: argparse.ArgumentParser, call: Callable[..., Any], more: str = "") -> None:
    """``--digits N``: the significant digits of the literals shown (``mlevolve.results.SHOWN_DIGITS``)."""
    _option(p, call, "digits", "significant digits of the constants shown; 0: every digit, as the archive "
            f"and export keep them{more}", metavar="N")


def _option(p: argparse.ArgumentParser, call: Callable[..., Any], name: str, help: str, *,
            default_text: str | None = None, choices: Sequence[str] | None = None, metavar: str | None = None) -> None:
    """Add the flag of ``call``'s parameter ``name``: its default is the parameter's default (so the
    API's owner of the setting is the flag's), its type the default's or the annotation's (a bool is
    ``--NAME/--no-NAME``), and its help ends with the default (``default_text`` where it is None)."""
    default = inspect.signature(call).parameters[name].default
    shown = default_text if default is None else _shown(default)
    text = f"{help} (default {shown})" if shown is not None else help
    if default is None:  # the type the annotation allows besides None: ``float | None`` is float
        kind = next(t for t in typing.get_args(typing.get_type_hints(call)[name]) if t is not type(None))
    else:
        kind = type(default)
    if kind is bool:  # ``bool | None``: None when neither form is given (the API's automatic choice)
        p.add_argument(flag_of(name), dest=name, action=BooleanOnce, default=default, help=text)
        return
    p.add_argument(flag_of(name), dest=name, type=_ascii(kind), default=default, choices=choices, metavar=metavar,
                   help=text)


class _Ascii:
    """An argparse ``type`` reading ``kind`` (int or float) from ASCII decimal text only: Python's ``int`` and
    ``float`` also take other scripts' digits (``١٢``) and ``1_000``, which the command refuses as argparse
    refuses any bad value ("invalid int value: '1_000'").  An integer is read by the one rule of every integer
    a user types (:func:`~mlevolve.interpreter.standalone.spec.read_int`: ``20`` or ``1e3``, no sign or inner space),
    a task option's and an exported script's flag's too; a float by the one rule of a user's decimal number
    (:func:`~mlevolve.script.read_decimal`: ``0.5`` or ``1e-3``, no sign or inner space); a ``str`` (a name, a
    choice) without the space around it, as every value a user types."""

    def __init__(self, kind: type) -> None:
        self.kind = kind
        self.__name__ = kind.__name__  # what argparse names in its message

    def __call__(self, text: str) -> Any:
        return read_int(text) if self.kind is int else read_decimal(text) if self.kind is float else text.strip()


def _ascii(kind: type) -> Any:
    """The argparse ``type`` of a flag whose values are of ``kind``: :class:`_Ascii` for numbers, and for a name or
    a choice (``str``: ``' islands'`` is ``islands``, space around a value typed being none of it: docs/evolve.md)."""
    return _Ascii(kind) if kind in (int, float, str) else kind


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mlevolve", description="Discover ML algorithms by evolving typed programs.")
    parser.add_argument("--version", action="version", version="mlevolve 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("check", help="parse and type-check .mlev files, each as one program that run, evolve and "
                       "export take (one formula, one learner, a network's parts...), and its task line as run "
                       "does (the task loaded, a data file read, the program fitted to it)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--grammar", metavar="FILE", help="typed grammar (default: the base grammar)")
    _option(p, api.check_task_data, "seed", "the seed whose data split a task line's data is checked on, as "
            "`run --seed` splits it", default_text=f"{Settings.seed}; a .mlev FILE exported from a run: the run's, "
            "which its first line names")
    p.set_defaults(run=_cmd_check)

    p = sub.add_parser("fmt", help="print .mlev files in canonical layout (comments kept)", description=(
        "Print .mlev files in canonical layout (comments kept where they were written: a line with comments "
        "inside it, a header's too, breaks after the token each follows; one that cannot stay in place "
        "is said on stderr, one line with its place and where it went); several, each under a line '==> FILE <==', as "
        "head prints files. A file is formatted if it parses, whether or not it type-checks (as Black formats "
        "code that fails at run time): `mlevolve check` reports its type errors; a syntax error is reported here."))
    p.add_argument("files", nargs="+", metavar="FILE")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the files in place")
    mode.add_argument("--check", action="store_true", help="exit 1 if any file is not formatted")
    p.set_defaults(run=_cmd_fmt)

    p = sub.add_parser("grammar", help="inspect a typed grammar")
    gsub = p.add_subparsers(dest="grammar_command", metavar="ACTION", parser_class=_Parser, required=True)
    g = gsub.add_parser("show", help="list productions by type with weights and docs")
    g.add_argument("grammar", nargs="?", metavar="GRAMMAR", help="grammar file (default: base)")
    g.add_argument("--type", type=_ascii(str), metavar="T", help="only productions of type T")
    g.set_defaults(run=_cmd_grammar_show)
    g = gsub.add_parser("diff", help="what a grammar changes relative to another: productions dropped or "
                        "added, weights, learned rules (with provenance), operators, [restrict.*] tables")
    g.add_argument("base", nargs="?", default="base", metavar="BASE",
                   help="the grammar compared against (default `base`, the base grammar)")
    g.add_argument("grammar", metavar="GRAMMAR", help="the grammar file, e.g. one `mlevolve meta` wrote")
    g.set_defaults(run=_cmd_grammar_diff)
    g = gsub.add_parser("lark", help="render the grammar as a Lark grammar, one nonterminal family per type")
    g.add_argument("grammar", nargs="?", metavar="GRAMMAR", help="grammar file (default: base)")
    g.set_defaults(run=_cmd_grammar_lark)

    p = sub.add_parser("sample", help="print random well-typed expressions drawn from the grammar")
    p.add_argument("--type", type=_ascii(str), required=True, metavar="T", help="result type, e.g. Tensor")
    _option(p, api.sample, "n", "how many")
    _option(p, api.sample, "seed", "random seed")
    _option(p, api.sample, "depth", f"maximum depth, at most {api.SAMPLE_DEPTH_LIMIT}")
    _option(p, api.sample, "method", "Koza's grow, full, or ramped half-and-half",
            choices=api.SAMPLE_METHODS)
    p.add_argument("--var", action="append", default=[], metavar="NAME:TYPE",
                   help="a variable in scope, e.g. --var x:Tensor (repeatable)")
    p.add_argument("--grammar", metavar="FILE", help="typed grammar (default: the base grammar)")
    p.set_defaults(run=_cmd_sample)

    p = sub.add_parser("tasks", help="list the built-in tasks with their kind and size")
    p.add_argument("--json", action="store_true", help="the tasks as one JSON list of objects (name, kind, problem, "
                   "description, size)")
    p.set_defaults(run=_cmd_tasks)

    p = sub.add_parser("run", help="train a program on a task and print its metrics")
    p.add_argument("file", metavar="FILE")
    _training_flags(p)
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    p.set_defaults(run=_cmd_run)

    p = sub.add_parser("export", help="write a program as a standalone Python training script")
    p.add_argument("file", metavar="FILE|DB", nargs="?", help="a .mlev file, or a run's archive (a .db file, as "
                   "`best DB` takes it) to export its best program (--best) or another (--hash H)")
    p.add_argument("hash_given", type=_ascii(str), metavar="HASH", nargs="?",
                   help="with DB: the program whose hash starts with HASH (as show DB HASH; or --hash H)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.py",
                   help="where to write the script (-: print it); OUT.mlev (with DB) writes the run's program "
                        "itself, for `mlevolve run` or another search to start from")
    p.add_argument("--db", metavar="DB", help=argparse.SUPPRESS)  # the archive as a flag: what DB was before
    p.add_argument("--component", type=_ascii(str), metavar="NAME", help="write definition NAME (of FILE, or of the "
                   "DB's program) as a drop-in module instead (optimizer: torch.optim.Optimizer, learner: scikit-learn "
                   "estimator, formula: NumPy + SymPy...)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--best", action="store_true", help="with DB: the run's answer, as --select chooses it (the "
                       "default)")
    which.add_argument("--hash", type=_ascii(str), metavar="H", help="with DB: the program whose hash starts with H")
    _select(p, "; with DB and no HASH")
    _training_flags(p, archived=True)
    p.set_defaults(run=_cmd_export)

    p = sub.add_parser("evolve", help="evolve definitions of a program on a task (resumable)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--evolve", default="all", metavar="NAMES",
                   help="comma-separated definitions to evolve (learner.method, a learner, or all; default all)")
    p.add_argument("--task", metavar="T", help="task name or data file (default: the program's `task` line); a "
                   "learner search on linear, affine or teacher giving neither fresh= nor fitness= runs on "
                   "T:fresh=1:fitness=relative (tasks drawn afresh per candidate; T:fresh=0 for the fixed tasks)")
    _option(p, api.evolve, "budget", "candidates to consider: each proposed program counts once, whether "
            "the cache, FEC, a probe, the hurdle or a full evaluation answers it; a formula's constant-fitting "
            "and a learner's literal-tuning evaluations are not counted (reported as fit_evaluations)")
    p.add_argument("--db", metavar="PATH", help="SQLite archive (default runs/<program>-<task>.db, -<grammar> "
                   "added for a --grammar file, -<slot>+<slot> for an --evolve of some of the program's slots); "
                   "the same command resumes the run")
    _option(p, api.evolve, "algorithm", "regularized (aging) evolution, (mu+lambda), NSGA-II on (fitness, size), "
            "random search, islands of regularized evolution with ring migration, or MAP-Elites over "
            "(size, FEC behaviour)", choices=list(ALGORITHMS))
    _option(p, api.evolve, "init", "start from the file's definitions or from random programs", choices=INITS)
    _option(p, api.evolve, "population", "population size")
    _option(p, api.evolve, "tournament", "tournament size: distinct members drawn (at most the whole population)")
    _option(p, api.evolve, "restart_every", "regularized evolution: every N finished candidates, drop the "
            "population and seed it again from the initial programs (--init), budget, archive and cache "
            "continuing; 0 never, else at least the population", metavar="N",
            default_text=f"{RESTART_POPULATIONS} x the population for a learner, else 0")
    _option(p, api.evolve, "seed", "random seed")
    _option(p, api.evolve, "epochs", "training epochs per candidate, neural programs")
    _option(p, api.evolve, "hurdle", "reject a network, RL or generative candidate early when its short training "
            "is poor; --no-hurdle trains every candidate fully")
    _option(p, api.evolve, "fit", "fit an evolved formula's constants before scoring it (linear scaling and "
            "Levenberg-Marquardt on the literals), and tune an evolved learner method's literals (a log-scale "
            "grid); --no-fit scores formulas and learners as written")
    _option(p, api.evolve, "prune", "formulas and learners: at the end, prune the best by value-changing edits "
            "(a literal snapped, a term dropped) that the run's own scoring cannot tell from it (on tasks drawn "
            "per candidate: on one common draw; stopping once it has cost the larger of 5%% of the budget and 1,000 "
            "evaluations, the scoring under way finished), and show the pruned program in its place (`show DB "
            "HASH` of its candidate shows that unpruned); each --select rule's answer that is not the fittest "
            "is pruned so too, its evaluations counted; --no-prune shows the best as found")
    p.add_argument("--grammar", metavar="FILE", help="typed grammar (default: the base grammar)")
    output = p.add_mutually_exclusive_group()  # both: --json's output, --quiet ignored
    output.add_argument("--quiet", action="store_true", help="no progress output; a one-line summary at the end")
    output.add_argument("--json", action="store_true", help="no progress output; the summary as one strict JSON "
                        "object, the same keys in every run (null where one does not apply): evaluation_seconds is "
                        "the scorers' own seconds scoring, waiting_seconds the candidates' waits for a worker or "
                        "the coordinator, summed over candidates (they overlap: it can exceed the wall time; null "
                        f"in process); {in_repository('docs/evolve.md')}")
    _option(p, api.evolve, "confirm", "re-evaluate the best and the starting program with N more seeds, for the "
            "gain's spread", metavar="N")
    _digits(p, api.evolve)
    _select(p, "; the summary's answer, after the search (--json: selected)")
    p.add_argument("--json-log", metavar="FILE", help="append one JSON line per candidate to FILE (a new or empty "
                   "file, or this run's own log: any other file is refused)")
    _option(p, api.evolve, "workers", "score candidates in N worker processes (0: one per core; 1: one worker, "
            "in order)", metavar="N")
    _option(p, api.evolve, "dask", "score candidates on Dask: local:N starts a LocalCluster of N workers on "
            "loopback (local:0: one per core), tcp://HOST:PORT joins a running scheduler", metavar="ADDR")
    _option(p, api.evolve, "timeout", "seconds allowed per candidate (a formula run scored in process checks "
            "none: it says so; a learner's checks it after each task's training)", metavar="S")
    _option(p, api.evolve, "max_time", "wall-clock seconds for the whole search, counted from its first "
            "new candidate (start-up, and a resumed run's pass over its --db, not counted): then no new candidate "
            "starts, those in flight finish (with --workers or --dask what the workers hold: two requests each, "
            "or two batches of up to 16 cheap candidates), and the "
            "summary says it stopped at the time limit after N of the budget's candidates; the same command "
            "resumes it with a fresh allowance", metavar="S", default_text="none: --budget alone ends the run")
    _option(p, api.evolve, "memory_limit", "memory allowed per candidate, in GiB, beyond its worker's own (in process: "
            "beyond what the process holds, which a small formula or learner task does not outgrow)",
            default_text="half the machine's memory shared among the workers", metavar="GIB")
    _option(p, api.evolve, "bandit", "choose mutations with the adaptive operator bandit", default_text="on "
            "when the grammar has evolved operators, which it offers; --no-bandit with such a grammar is refused")
    for f in fields(DiversityConfig):  # --islands, --migration-interval, ...: defaults owned by DiversityConfig
        p.add_argument(flag_of(f.name), type=_ascii(int), default=f.default, metavar="N",
                       help=f"{f.metadata['help']} (default {f.default})")
    p.set_defaults(run=_cmd_evolve)

    p = sub.add_parser("meta", help="evolve the generator itself (grammar weights, learned rules, operators) "
                       "on training tasks; writes an evolved grammar file (resumable)")
    p.add_argument("config", metavar="CONFIG",
                   help=f"meta configuration, e.g. {in_repository('benchmarks/meta/train.toml')}")
    p.add_argument("--db", metavar="PATH", help="SQLite meta archive (default runs/meta-<config>.db); "
                   "the same command resumes the run")
    p.add_argument("-o", "--output", metavar="GRAMMAR", help="where to write the evolved grammar "
                   "(default: next to the archive, .grammar.toml)")
    _option(p, api.meta, "workers", "run inner runs in N processes (0: one per core); the result does not depend "
            "on it", metavar="N")
    _option(p, api.meta, "dask", "run inner runs as Dask tasks: local:N starts a LocalCluster of N workers on "
            "loopback (local:0: one per core), tcp://HOST:PORT joins a running scheduler; the result does not "
            "depend on it", metavar="ADDR")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(run=_cmd_meta)

    p = sub.add_parser("best", help="list the best programs of a run's archive", description=(
        "List the best programs of a run's archive, one per behaviour: the fittest as the run shows it first (pruned, "
        "where the run pruned it, in its candidate's place, which its pruned line names; where its fitness reads "
        "below another's, its headline says why: scored on the prune's common tasks, the others each on its own "
        "draw, or within the prune's tolerance of its candidate), then the rest by fitness; a formula run whose "
        "--select answer is not the fittest lists that answer first, marked (#1 (answer, --select best)), then the "
        "fittest others. An archive with no "
        "scored candidate lists none: "
        "it says why, with the command that shows a failed one, and exits 0 (a list may be empty; `show --best` and "
        "`export --best`, which need a best, exit 2)."))
    p.add_argument("db", metavar="DB")
    _option(p, api.best, "n", "how many (not with --front, listed whole)", default_text="5")
    _digits(p, api.best)
    p.add_argument("--front", action="store_true", help="the Pareto front of fitness against size instead, smallest "
                   "first: every program fitter than each smaller one, to choose between accuracy and readability "
                   "(size: nodes of the evolved definitions, a fitted formula's without the a + b * f it shows)")
    _select(p, "; where it is not the fittest, named above the list and listed first, marked; with --front, the "
            "entry marked")
    p.set_defaults(run=_cmd_best)

    p = sub.add_parser("show", help="print a program of a run's archive with its metrics and ancestry")
    p.add_argument("db", metavar="DB", help="a run's archive (or, with --sympy/--latex, a .mlev file)")
    p.add_argument("hash", type=_ascii(str), metavar="HASH", nargs="?",
                   help="the program whose hash starts with HASH (as best lists hashes; not a candidate's number)")
    p.add_argument("--best", action="store_true", help="the run's answer, as --select chooses it (the default); "
                   "with -n N, it and the N - 1 fittest others")
    _option(p, api.show, "n", "with --best: how many of the best")
    _select(p, "; with --best (the list's first where it is not the fittest)")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--sympy", action="store_true", help="print only the formula, as a SymPy expression")
    form.add_argument("--latex", action="store_true", help="print only the formula, as LaTeX")
    _option(p, api.show, "confirm", "re-evaluate the program and the run's starting program with N more seeds: "
            "the gain and its spread", metavar="N")
    p.add_argument("--grammar", metavar="FILE",
                   help="with --confirm: the run's grammar file (default: the base grammar)")
    p.add_argument("--ancestry", type=_ascii(int), default=SHOWN_ANCESTRY, metavar="N",
                   help=f"the nearest N steps of each program's ancestry (default {SHOWN_ANCESTRY}; a line says how "
                        "many earlier ones are left out); 0: every step")
    _digits(p, api.show, "; a .mlev file's formula: every digit unless given")
    p.set_defaults(run=_cmd_show)

    p = sub.add_parser("report", help="write a run's report: one self-contained HTML file with plots and lineage")
    p.add_argument("db", metavar="DB")
    p.add_argument("-o", "--output", metavar="OUT.html", help="where to write it (default: DB with .html)")
    _option(p, api.report, "top", "how many of the best programs to show")
    p.add_argument("--baseline", metavar="DB", help="another run's archive of the same task (e.g. random "
                   "search) to draw with this one")
    _digits(p, api.report)
    _select(p, "; the report's top section, and the front's entry its Fitness and size section names")
    p.set_defaults(run=_cmd_report)
    return parser


SELECT_HELP = ("which formula of the run's Pareto front is its answer, by the rule of SymbolicRegressor's "
               "model_selection: best, PySR's pick, the highest score (-d ln(train_mse) / d size) of those within "
               "1.5x the least train_mse (it recovered 15 of 51 noisy problems to accuracy's 2: "
               f"{in_repository('benchmarks/model_selection.py')}); accuracy, the fittest; score, the highest score. "
               "Runs without a "
               "train_mse (not formulas): the fittest (default best)")


def _select(p: argparse.ArgumentParser, what: str = "") -> None:
    """The ``--select`` option of a command that names a run's answer (:func:`mlevolve.api.answer`); ``what``: how
    it applies there."""
    from mlevolve.report.data import MODEL_SELECTIONS

    p.add_argument("--select", choices=MODEL_SELECTIONS, help=SELECT_HELP + what)  # None: not given (_rule)


def _rule(args: argparse.Namespace) -> str:
    """The ``--select`` rule of a command where it applies: the one given, else the default
    (:data:`mlevolve.report.data.DEFAULT_SELECTION`, ``best``).  The flag's own default is None, so a ``--select``
    given where no answer is chosen can be told from the default and refused (:func:`_no_select`)."""
    from mlevolve.report.data import DEFAULT_SELECTION

    given: str | None = args.select
    return given if given is not None else DEFAULT_SELECTION


def _as_typed_but(args: argparse.Namespace, drop: Sequence[str | None], valued: Sequence[str] = (),
                  add: Sequence[str] = ()) -> str:
    """The command as the user typed it (``args.argv``) but for what must change: the words ``drop`` (a switch, a
    positional's value: its first), each flag of ``valued`` with its value (``--hash H``, ``--hash=H``) left out,
    and ``add`` put at the end (where not given); shell-quoted, for a hint that suggests a command."""
    typed, kept, skip = list(args.argv), list[str](), False
    gone = [d for d in drop if d is not None]
    for word in typed:
        if skip:
            skip = False
        elif word in valued:
            skip = True
        elif word.partition("=")[0] in valued and "=" in word:
            continue
        elif word in gone:
            gone.remove(word)
        else:
            kept.append(word)
    return " ".join(["mlevolve", *map(shlex.quote, kept), *(a for a in add if a not in kept)])


def _no_select(args: argparse.Namespace, why: str, hint: str) -> None:
    """Refuse a ``--select`` given where no run's answer is chosen (``why``: what is chosen instead), as
    ``--select`` would be ignored there; ``hint``: where it applies."""
    if args.select is not None:
        raise MlevError(f"--select chooses a run's answer; {why}: it does not apply", hint=hint)


def _chosen(db: str, select: str, digits: int = 0) -> dict[str, Any] | None:
    """The run's answer in archive ``db`` by rule ``select`` (:func:`mlevolve.api.answer`) where it is not the
    fittest; None where it is (or where nothing is scored)."""
    a = api.answer(db, select, digits=digits)
    return a if a is not None and a.get("fittest") is not None else None


def _chosen_lines(a: Mapping[str, Any], select: str) -> list[str]:
    """The lines naming an answer that is not the fittest (:func:`_chosen`) and the fittest (and its prune's line)."""
    from mlevolve.report import summary

    name = a["metric"]["name"]
    return [f"answer:  {summary.answer_text(name, a['best'], a['start'], select)}",
            *summary.answer_pruned_lines(a["best"]), *summary.fittest_lines(name, a["fittest"], select)]


def _answer_lines(a: Mapping[str, Any], select: str, started: bool) -> list[str]:
    """``best``'s header where rule ``select`` answers with another than the fittest (:func:`_chosen`): the start,
    the answer and the fittest (:func:`_chosen_lines`), and the answer's verdict, as ``evolve``'s summary gives them
    (:func:`mlevolve.report.summary.lines`); ``started``: the archive knows a starting program (else no start and
    no verdict, as the fittest's header has none then)."""
    from mlevolve.report import summary

    if not started:
        return _chosen_lines(a, select)
    name = a["metric"]["name"]
    return [f"start:   {summary.start_text(name, a['start'], a['best'])}",
            *_chosen_lines(a, select), f"verdict: {a['verdict']}"]


def _training_flags(p: argparse.ArgumentParser, *, archived: bool = False) -> None:
    """--task, --seed, --epochs and --grammar of ``run`` or ``export``; --seed/--epochs are None unless given: the API
    then takes an exported program's run's (:func:`mlevolve.api.exported_settings`), else the defaults;
    ``archived``: the command also reads a run's archive (DB), whose seed and epochs are the defaults there."""
    p.add_argument("--task", metavar="T", help="task name or data file (default: the program's `task` line)")
    run = "; with DB, the run's" if archived else ""
    for name, text in (("seed", "random seed"), ("epochs", "training epochs for neural programs")):
        p.add_argument(flag_of(name), dest=name, type=_ascii(int), metavar=name.upper(), default=None,
                       help=f"{text} (default {getattr(Settings, name)}{run}; a .mlev FILE exported from a run: "
                            "the run's, which its first line names)")
    must = "; with DB, it must be the run's" if archived else ""
    p.add_argument("--grammar", metavar="FILE", help=f"typed grammar (default: the base grammar{must})")


# ------------------------------------------------------------------------------------- Ctrl-C, SIGTERM
# The handler and the signals it kept are mlevolve.stop's (the console script installs it before importing this).
_STOPPED, _ARMED = stop.STOPPED, stop.ARMED


def _run_armed(run: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """``run(args)``, the command itself: the only place a stop signal raises KeyboardInterrupt (one
    kept before it raises at once).  Called inside :func:`_main`'s handlers, which catch it wherever
    it is raised, also in this function's ``finally``."""
    _ARMED[0] = True
    try:
        if _STOPPED:
            raise KeyboardInterrupt
        return run(args)
    finally:
        _ARMED[0] = False


def _interrupted(args: argparse.Namespace, stop: KeyboardInterrupt, what: str) -> int:
    """Report a run (``evolve``, ``meta``) stopped by Ctrl-C: how many of ``what`` its archive saved and the
    command that resumes it, or that nothing was saved (``stop`` raised before the archive was opened: the
    task's data, the workers' start) and the command that starts it again; the stop's exit status."""
    prog, command = f"mlevolve {args.command}", shlex.join(["mlevolve", *args.argv])
    if not isinstance(stop, api.RunInterrupted):
        said = f"{prog}: {_stop_word()} before the run began: nothing new was saved"
    elif not stop.saved:  # the archive it made is removed (gp.archive.Archive.__exit__); one there before is kept
        kept = f" ({shlex.quote(stop.db)}, there before, is kept)" if Path(stop.db).exists() else ""
        said = f"{prog}: {_stop_word()} before any {what} was saved: nothing to resume{kept}"
    else:
        n = stop.saved
        print(f"{prog}: {_stop_word()}; {counted(n, what)} {'is' if n == 1 else 'are'} saved in "
              f"{shlex.quote(stop.db)}\nresume with the same command: {command}", file=sys.stderr)
        return _stop_status()
    print(f"{said}\nstart it again with the same command: {command}", file=sys.stderr)
    return _stop_status()


def _stop_word() -> str:
    return "interrupted" if not _STOPPED or _STOPPED[0] == signal.SIGINT \
        else f"stopped by {signal.Signals(_STOPPED[0]).name}"


def _stop_status() -> int:
    """128 + the signal's number, as a shell reports a command a signal ended: 130 for Ctrl-C, 143 for SIGTERM."""
    return 128 + (_STOPPED[0] if _STOPPED else signal.SIGINT)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: every error one ``FILE:LINE:COL: error:`` line (or ``FILE: error:`` where a file
    has no position), else ``mlevolve COMMAND: error:``, then ``hint:``; exit status 2.  Ctrl-C or SIGTERM
    stops a command with one line (a run: how many candidates are saved and the command that resumes it)
    and exit status 128 + the signal's number (130, 143); a second one quits at once
    (:func:`mlevolve.stop.on_stop`).  Output to a pipe whose reader has left (``| head -1``) ends quietly with
    status 141 (:func:`mlevolve.script.stdout_gone`).

    ``argv`` None: this process's own command (``python -m mlevolve``, the ``mlevolve`` script), whose
    stop signals stay handled as :func:`mlevolve.stop.on_stop` says until the process has exited (through
    ``sys.exit`` and the interpreter's shutdown); else (a call from Python) the previous handlers, and the previous
    ``sys.unraisablehook`` (:func:`mlevolve.stop.unraisable` stands in for it meanwhile, as it does for the
    process's own command, so a Ctrl-C Python drops in a callback still stops the run), are put back on return (main
    thread only; elsewhere nothing changes)."""
    if argv is None:  # the handler may be in place since the process began (mlevolve.__main__), with a signal kept
        stop.install()
        return flushed(lambda: _main(argv))  # `mlevolve --help | head -1`: quietly
    _STOPPED.clear()
    stop.LOST.clear()
    previous = sys.unraisablehook  # a stop dropped in a callback (a garbage collector's: Hypothesis has one) is kept
    if threading.current_thread() is threading.main_thread():  # where the stop signals are handled
        sys.unraisablehook = functools.partial(stop.unraisable, fallback=previous)
    try:
        with signal_handler(signal.SIGINT, stop.on_stop), signal_handler(signal.SIGTERM, stop.on_stop):
            return _main(argv)
    finally:
        sys.unraisablehook = previous


def _main(argv: Sequence[str] | None) -> int:
    with shown_warnings():  # a grammar file's warning (a stale digest) as an error is shown: one line, a hint
        from mlevolve.interpreter import compiling  # (light: numba loads with the kernels)

        # a kernel's compile on a cold cache: a line, where the library says none (MLEVOLVE_QUIET_COMPILE=1: none)
        said = compiling.announce(compiling.wanted())
        try:
            return _command(argv)
        finally:
            compiling.announce(said)


def _command(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    prog = "mlevolve"  # the command, once known: what an error without a file is reported under
    args: argparse.Namespace | None = None
    try:
        args, extra = parser.parse_known_args(argv)
        prog = " ".join(["mlevolve", *filter(None, (getattr(args, "command", None),
                                                    getattr(args, "grammar_command", None)))])
        if extra:  # argparse reports them at the top; they belong to the command
            raise _UsageError(f"unrecognized arguments: {' '.join(extra)}", HELP.format(prog=prog), prog)
        _refuse_empty_paths(_command_parser(parser, prog), args, prog)
        args.given = frozenset(vars(args).pop("_given", ()))  # the settings given (argparse dests)
        args.argv = list(sys.argv[1:] if argv is None else argv)  # what resumes an interrupted run
        run: Callable[[argparse.Namespace], int] | None = getattr(args, "run", None)
        if run is None:
            parser.print_help()
            return EXIT_USAGE
        return _run_armed(run, args)
    except MlevError as err:
        err.file = _typed_path(err.file, sys.argv[1:] if argv is None else list(argv))
        if isinstance(err, SettingError):
            err.rename(flag_of if err.positive else _as_typed(args))
        prog = err.prog if isinstance(err, _UsageError) else prog
        unknown = re.match(r"unrecognized arguments: (\S+)", err.message)
        if unknown:  # whichever parser found it, one rule says what was meant
            own = _command_parser(parser, prog)
            typed_args = sys.argv[1:] if argv is None else list(argv)
            err.hint = _after_dashes_hint(own, typed_args, unknown[1]) \
                or switch_value_hint(own, typed_args, unknown[1]) or _unknown_hint(parser, own, unknown[1])
        _hinted(err, prog, _command_parser(parser, prog))
        if err.hint and not isinstance(err, _Shown):
            err.hint = _own_words(err.hint, _command_parser(parser, prog))
        print(err.render() if err.file or err.span else f"{prog}: error: {err.message}\nhint: {err.hint}",
              file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{prog}: {_stop_word()}", file=sys.stderr)
        return _stop_status()
    except BrokenPipeError:  # stdout's reader left (`mlevolve best DB | head -1`): end quietly
        return stdout_gone()
    except (sqlite3.Error, OSError, MemoryError) as err:  # a storage or resource failure no layer named
        print(f"{prog}: error: {_resource_message(err)}\nhint: check the disk, the files named and free "
              "memory; a run's archive keeps every committed candidate, so the same command resumes it",
              file=sys.stderr)
        return EXIT_USAGE


def _typed_path(file: str | None, argv: Sequence[str]) -> str | None:
    """The path an error names (``file``) as the command line wrote it: a layer that read it as a ``Path`` names it
    normalized (``runs/`` as ``runs``, ``./a.db`` as ``a.db``), which is not what was typed.  ``file`` itself where
    no argument (or ``--flag=VALUE``'s value) is that path."""
    if not file:
        return file
    for arg in argv:
        for typed in (arg, arg.partition("=")[2]) if arg.startswith("--") else (arg,):
            if typed and typed != file and str(Path(typed)) == file:
                return typed
    return file


# The metavars of the arguments that name a file or folder (the rest are names, numbers, addresses, tasks).
_PATH_METAVARS = frozenset({"FILE", "FILE|DB", "DB", "PATH", "OUT.py", "OUT.html", "GRAMMAR", "BASE", "CONFIG"})


def _refuse_empty_paths(parser: argparse.ArgumentParser, args: argparse.Namespace, prog: str) -> None:
    """An empty path (``--db ''``, ``"$UNSET"``) refused by its name: it read as the current folder (".: error: it
    is a folder"), as " is a folder", or as not given (``report -o ''`` wrote the default file)."""
    for action in parser._actions:
        value = getattr(args, action.dest, None)
        values = value if isinstance(value, list) else [value]
        if action.metavar in _PATH_METAVARS and any(isinstance(v, str) and not v.strip() for v in values):
            name = action.option_strings[0] if action.option_strings else str(action.metavar)
            optional = not action.required and action.metavar != "FILE|DB"  # export's: optional for --db only
            raise _UsageError(f"{name} is empty", f"give a path{f', or leave {name} out' if optional else ''}", prog)


# Why a command has no option another command has, where a user would look for it there (``meta --max-time``: it
# said only whose option it is), by the command and the option.
_NOT_HERE = {
    ("mlevolve meta", "--max-time"): "a meta-fitness is measured at a fixed inner budget, which a clock would make "
                                     "depend on the machine; a meta run resumes, so stop it with Ctrl-C and run the "
                                     "same command to go on",
}

# The names other tools give a setting (``--out``, ``--generations``...), by what the commands call it and why: one
# given for a command's own is meant so.
_OTHER_NAMES = (
    (("-o", "--output", "--db"), "writes to {flag}", "o out output outfile output-file db database archive"),
    (("--budget",), "runs for {flag} N candidates (a population times its generations)",
     "generations ngen n-gen iterations niterations n-iterations iter max-iter evaluations evals max-evals n-evals"),
    (("--population",), "sets its population's size by {flag}", "pop-size population-size mu"),
    (("--workers",), "runs in parallel with {flag} N processes", "jobs n-jobs j processes procs cores"),
    (("--seed",), "is seeded by {flag}", "random-state random-seed rng-seed"),
    (("--tournament",), "sets its tournament's size by {flag}", "tournament-size tournsize"),
    (("--max-time",), "limits the whole search's wall-clock seconds by {flag} (--timeout S limits each "
     "candidate's; the same command resumes a run stopped at either)",
     "time time-limit timelimit timeout-in-seconds wall-time walltime max-seconds seconds max-time-mins minutes "
     "max-minutes hours max-hours deadline duration"),
)


def _other_name(option: str) -> str:
    """``option``'s name as :data:`_OTHER_NAMES` lists it: no dashes or value, lower case, ``_`` as ``-`` (a Python
    keyword's spelling, ``--random_state``, ``--n_jobs``, is another tool's name too)."""
    return option.split("=", 1)[0].lstrip("-").lower().replace("_", "-")


def _after_dashes_hint(own: argparse.ArgumentParser, argv: Sequence[str], word: str) -> str:
    """The hint for ``word``, which ``own`` found too many, where it comes after a ``--`` in ``argv``: there every
    argument is a FILE (``run F -- --task``: "'--task' is an option of export and evolve, not of run", though run
    takes --task); else ``""``."""
    after = list(argv[argv.index("--") + 1:]) if "--" in argv else []
    word = after[0] if word == "--" and after else word  # argparse names the -- too where no positional is left
    if word not in after:
        return ""
    return (f"after -- every argument is a FILE ('{word}' too), and {own.prog} takes no more; "
            f"put options before --; {HELP.format(prog=own.prog)}")


def _unknown_hint(parser: argparse.ArgumentParser, own: argparse.ArgumentParser, option: str) -> str:
    """The hint for ``option``, which command ``own`` does not take: another tool's name for one of its settings
    (:func:`_named_otherwise`), then what it is elsewhere (:func:`_others_option`: word for word, it says more than
    a spelling close to one of ``own``'s: ``export DB --budget 5`` was "did you mean '--best'?"), then the closest of
    ``own``'s options, then how to read its help."""
    others = _others_option(parser, own, option)
    return (_named_otherwise(own, option) or (others and others + HELP.format(prog=own.prog))
            or closest_option(own, [option]) or HELP.format(prog=own.prog))


def _named_otherwise(own: argparse.ArgumentParser, option: str) -> str:
    """The hint for ``option``, which ``own`` does not take, where it is another tool's name for a setting ``own``
    has under its own (``evolve -o td.db`` or ``--out td.db``: "did you mean --db? mlevolve evolve writes to --db;
    run ..."; ``--out`` was answered "did you mean '--timeout'?", the closest spelling; ``--generations 5``: "did you
    mean --budget? mlevolve evolve runs for --budget N candidates ..."); else ``""``."""
    name = _other_name(option)
    for flags, does, names in _OTHER_NAMES:
        own_flag = next((o for o in flags if o in own._option_string_actions), None)
        if name in names.split() and own_flag is not None:
            return f"did you mean {own_flag}? {own.prog} {does.format(flag=own_flag)}; {HELP.format(prog=own.prog)}"
    return ""


def _others_option(parser: argparse.ArgumentParser, own: argparse.ArgumentParser, option: str) -> str:
    """The start of the hint for ``option``, which ``own`` does not take: that ``own`` takes it as its positional
    argument (``best --db X``: "mlevolve best takes it as its argument DB, without the flag; "), that ``meta``
    reads it from its configuration (``meta --budget 5``: "mlevolve meta reads budget from CONFIG, under
    [inner]; "), or whose option it is (``run --budget 5``: "'--budget' is an option of evolve, not of run; ", and
    why where :data:`_NOT_HERE` says: ``meta --max-time``);
    else ``""``."""
    name = option.split("=", 1)[0]
    positional = _as_positional(own, name)
    if positional is not None:  # `grammar show --grammar G`: its argument GRAMMAR, without the flag
        return f"{own.prog} takes it as its argument {positional}, without the flag; "
    key, place = _meta_setting(name) if own.prog == "mlevolve meta" else ("", "")
    if place:  # `meta --budget 5`: the inner runs' budget is the configuration's
        return f"{own.prog} reads {key} from CONFIG, {place}; "
    others = [word for word, command in _commands(parser) if name in command._option_string_actions
              and command is not own and name not in ("-h", "--help")]
    if not others:
        return ""
    listed = ", ".join(others[:-1]) + f" and {others[-1]}" if len(others) > 1 else others[0]
    if own is parser:  # `mlevolve --budget 3 evolve ...`
        return f"'{name}' is an option of {listed}: give it after the command; "
    why = f": {_NOT_HERE[own.prog, name]}" if (own.prog, name) in _NOT_HERE else ""
    return f"'{name}' is an option of {listed}, not of {own.prog.removeprefix('mlevolve ')}{why}; "


def _commands(parser: argparse.ArgumentParser, words: str = "") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every command under ``parser`` with its words, actions of a command included (``grammar show``: its
    ``--type`` was named as sample's alone)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for word, command in action.choices.items():
                yield f"{words}{word}", command
                yield from _commands(command, f"{words}{word} ")


def _meta_setting(flag: str) -> tuple[str, str]:
    """The key of a meta configuration that sets ``flag``'s setting and where (``--budget``: budget, "under
    [inner]", the inner runs'; ``--population``: "under [inner] or [meta]"; ``--evolve``: "at its top level";
    another tool's name, :data:`_OTHER_NAMES`, as its own: ``--pop-size``: population), or ``("", "")``."""
    name = flag.split("=", 1)[0].lstrip("-")
    own = next((flags[-1].lstrip("-") for flags, _, names in _OTHER_NAMES if _other_name(flag) in names.split()), name)
    for key in dict.fromkeys(k.replace("-", "_") for k in (name, own)):  # its own name first: --generations
        tables = [f"[{table}]" for table, owner in (("inner", InnerConfig), ("meta", MetaSettings))
                  if key in {f.name for f in fields(owner)}] + ["[split]"] * (key in ("train", "validation", "test"))
        if tables:
            return key, "under " + " or ".join(tables)
        if key in ("program", "evolve"):
            return key, "at its top level"
    return "", ""


def _command_parser(parser: argparse.ArgumentParser, prog: str) -> argparse.ArgumentParser:
    """The (sub)parser of command ``prog`` (``mlevolve grammar show``): the top parser for ``mlevolve``."""
    for word in prog.split()[1:]:
        sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        if sub is None or word not in sub.choices:
            break
        parser = sub.choices[word]
    return parser


def _own_words(hint: str, parser: argparse.ArgumentParser) -> str:
    """``hint`` in the words of the command ``parser`` parses: a ``--NAME`` it does not take, but takes as a
    positional argument (``best DB``, where ``evolve`` has ``--db DB``), is written as that argument's name.
    The parts of a hint that are other commands (after ``mlevolve ``) are theirs, left as they are."""
    head, sep, rest = hint.partition("mlevolve ")

    def own(match: re.Match[str]) -> str:
        flag = match[0]
        return flag if flag in parser._option_string_actions else _as_positional(parser, flag) or flag

    return re.sub(r"(?<![\w-])--[a-z][a-z-]*", own, head) + sep + rest


def _as_positional(parser: argparse.ArgumentParser, flag: str) -> str | None:
    """The name of ``parser``'s positional argument that ``flag`` names (``--db``: ``DB``, of ``best``), or None."""
    dest = flag.lstrip("-").replace("-", "_")
    return next((a.metavar for a in parser._actions if not a.option_strings and a.dest == dest
                 and isinstance(a.metavar, str)), None)


SHORT_HINT = 120  # the longest hint of a choice's mistake that is its flag's help; past it, the choices alone


def _hinted(err: MlevError, prog: str, parser: argparse.ArgumentParser | None = None) -> MlevError:
    """``err`` with a hint on each of its errors: the one it has; else, where it names a flag of ``parser``
    (a :class:`SettingError`'s setting, argparse's "argument --X: invalid choice"), that flag's help
    (:func:`_flag_help`; a choice's, where it is past :data:`SHORT_HINT` characters, the choices); else how to read
    ``prog``'s help."""
    default = HELP.format(prog=prog)
    for e in err.errors if isinstance(err, MlevErrors) else [err]:
        if isinstance(e, _Shown) and "\nhint: " not in e.message:
            e.message += f"\nhint: {default}"
        elif (not e.hint or e.hint == default) and not isinstance(e, _Shown):
            choice = re.match(r"argument (--[\w-]+): invalid choice: .* \(choose from (.*)\)$", e.message)
            flag = flag_of(e.settings[0]) if isinstance(e, SettingError) and e.settings else choice and choice[1]
            e.hint = _flag_help(parser, flag, default) if parser is not None and flag else default
            if choice and len(e.hint) > SHORT_HINT:  # a long help (--select's): the choices, in one line
                e.hint = f"{flag} is one of: {choice[2].replace(chr(39), '')}; {default}"
    return err


def _flag_help(parser: argparse.ArgumentParser, flag: str, default: str) -> str:
    """The hint of a mistake in ``flag``'s value: the flag as ``--help`` shows it (``--migrants N: islands:
    each island's fittest members copied ... (default 2)``) and ``default`` (how to read the help); ``default``
    alone for a flag ``parser`` does not take or does not describe."""
    action = parser._option_string_actions.get(flag)
    if action is None or not action.help or action.help == argparse.SUPPRESS:
        return default
    shown = f" {action.metavar}" if isinstance(action.metavar, str) else ""  # choices: the message lists them
    return f"{flag}{shown}: {action.help}; {default}"


_UNITS = {"B": 0, "KiB": 1, "MiB": 2, "GiB": 3, "TiB": 4, "PiB": 5, "EiB": 6, "ZiB": 7, "YiB": 8}


def _beyond_the_machine(message: str) -> str | None:
    """The size numpy's "Unable to allocate SIZE ..." names, where it is more than this machine's physical memory
    (then no run's memory ran out: the size was garbage); else None."""
    found = re.match(r"Unable to allocate ([0-9.]+) ([KMGTPEZY]?i?B)\b", message)
    if not found or found[2] not in _UNITS:
        return None
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        physical = 1 << 50  # unknown: a petabyte, past any machine's memory
    asked = float(found[1]) * 1024 ** _UNITS[found[2]]
    return f"{found[1]} {found[2]}" if asked > physical else None


def _resource_message(err: BaseException) -> str:
    """One line for a storage or resource failure that reached the top without an MlevError."""
    if isinstance(err, MemoryError):
        asked = _beyond_the_machine(str(err))
        if asked:  # no run's memory ran out: a size was read from foreign bytes (a reply over the network, a file)
            return (f"an allocation of {asked} was asked for, more than this machine's memory: a size read from "
                    f"foreign or corrupt data, not the run's use of memory ({err})")
        return "out of memory" + (f" ({err})" if str(err) else "")
    if isinstance(err, OSError):
        where = f": {err.filename}" if err.filename else ""
        return f"{err.strerror or err}{where}"
    return f"storage error ({err})"


if __name__ == "__main__":
    sys.exit(main())
