"""Programs in and out: reading, parsing, checking, formatting and sampling ``.mlev`` programs, and the
check that a program's ``task`` line names a task its kind runs on.
"""

from __future__ import annotations

import builtins
import random
import re
import shlex
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Literal

from mlevolve.api.checks import _at_least, check_seed
from mlevolve.arguments import typed
from mlevolve.dsl.errors import (
    DATA_SUFFIXES,
    MlevError,
    ProgramWarning,
    SettingError,
    capped,
    data_task,
    decode_utf8,
    did_you_mean,
    file_kind,
    normalize_newlines,
    option_span,
    read_bytes,
    source_lines,
    type_hint,
    wrong_kind,
)
from mlevolve.dsl.ir import Expr, Program, Span
from mlevolve.dsl.kinds import check_program, idle, unread_inputs, written_warnings
from mlevolve.dsl.parse import parse as _syntax
from mlevolve.dsl.printer import format_program
from mlevolve.dsl.traverse import program_hash as _program_hash
from mlevolve.dsl.types import Type
from mlevolve.gp.generate import generate, ramped_half_and_half
from mlevolve.grammar.spec import GrammarSpec, load_grammar


@typed
def read_source(path: str | Path) -> str:
    """The text of a ``.mlev`` file with universal newlines (CRLF and CR read as LF, as Python's text
    mode does); a missing, unreadable or binary file is an :class:`MlevError`."""
    p = Path(path)
    if p.suffix.lower() in DATA_SUFFIXES and p.is_file() and file_kind(p) is None:  # by its name, not its text
        raise MlevError("a data file, not a .mlev program", file=str(p),
                        hint=f"a data file is a task: mlevolve run PROGRAM.mlev --task {data_task(p)} (evolve and "
                             "export take it so too)")
    data = read_bytes(p, "a .mlev program", "no such file", "check the path",
                      "write it to a .mlev file and give that file's path (the Python API also takes the text itself)",
                      opening="algorithm ")
    if data.startswith(b"SQLite format 3\0"):  # a run's archive, likely, where a program was wanted
        db = shlex.quote(str(p))
        raise MlevError("an SQLite database, not a .mlev program", file=str(p),
                        hint=f"if it is a run's archive, `mlevolve show {db} --best` prints its best program and "
                             f"`mlevolve export {db} --best -o best.py` writes it as a script")
    text = decode_utf8(data, str(p), "a .mlev program").removeprefix("\ufeff")  # a BOM some editors write
    text = normalize_newlines(text)
    wrong_kind(text, str(p), "a .mlev program")  # a grammar file or meta configuration: said so, not its syntax
    return text


def _parse(text: str, file: str | None) -> Program:
    """``text`` parsed (:func:`mlevolve.dsl.parse.parse`); a task line written without its quotes whose options hold
    a mistake too (``task x.csv:traget=y``) is one error naming both, at the option (:func:`_unquoted_option`), not
    the quotes' first and the option's once they are added."""
    try:
        return _syntax(text, file)
    except MlevError as err:
        if err.unquoted and (both := _unquoted_option(err, text)) is not None:
            raise both.located(file or "<input>").with_source(err.source) from None
        if err.unquoted and (named := _unquoted_target(err, text, file)) is not None:
            raise named.located(file or "<input>").with_source(err.source) from None
        raise


def _unquoted_target(err: MlevError, text: str, file: str | None) -> MlevError | None:
    """The unquoted task spec's error ``err`` with its hint naming the target as the CSV file it names, read from the
    .mlev ``file``'s folder (as a task line's path is), says it (:func:`~mlevolve.interpreter.standalone.common.
    target_hint`): its header's column, or the header line it lacks (its features named as the program ``text``'s
    formula's parameters, where it has one); None where the spec names its target, or no CSV file, or the file cannot
    be read (the parser's template stands)."""
    from mlevolve.dsl.errors import csv_header
    from mlevolve.interpreter.standalone.data import target_hint

    spec = err.unquoted
    name = _spec_name(spec)
    if not name.lower().endswith(".csv") or "target=" in spec:
        return None
    path = Path(name) if Path(name).is_absolute() or file is None else Path(file).parent / name
    if (header := csv_header(path)) is None or err.span is None:
        return None
    line = (lines := source_lines(text))[err.span.line - 1]
    at = err.span.column - 1
    lines[err.span.line - 1] = f'{line[:at]}"{spec}"{line[at + len(spec):]}'
    try:
        formulas = [d for d in _syntax("\n".join(lines)).definitions if d.kind == "formula"]
    except MlevError:
        formulas = []
    params = [p.name for p in formulas[0].params] if len(formulas) == 1 else []
    return MlevError(err.message, err.span, target_hint(spec, header, lambda s: f'task "{s}"', params))


def _unquoted_option(err: MlevError, text: str) -> MlevError | None:
    """The error of the unquoted task spec ``err`` is about (:attr:`MlevError.unquoted`) where one of its options is
    wrong (no value, an unknown key, a value the option does not take, given twice), as :func:`check_task_line` says
    it of the quoted line, at that option, its hint saying the quotes too; None where its options are fine or the
    program, quoted, does not parse (the quotes' error stands)."""
    from mlevolve.interpreter.regimes import regime_of
    from mlevolve.interpreter.tasks import check_task_kind, check_task_name, spec_checked

    span, spec = err.span, err.unquoted
    if span is None:
        return None
    lines = source_lines(text)
    line = lines[span.line - 1]
    at = span.column - 1
    lines[span.line - 1] = f'{line[:at]}"{spec}"{line[at + len(spec):]}'
    try:
        program = _syntax("\n".join(lines))
    except MlevError:
        return None
    try:
        regime = regime_of(program)
    except (MlevError, KeyError):  # no definitions, or a mix: the option checked as any other program's
        regime = None
    kind = regime.name if regime is not None else None
    try:
        check_task_name(spec, None, kind)  # a task of another kind: the quotes' error first
        if regime is not None:
            check_task_kind(regime, spec)
        spec_checked(spec, kind)
    except MlevError as mistake:
        place = option_span(spec, mistake.option, Span(span.line, span.column - 1, span.line, span.end_column + 1))
        if place is None:
            return None
        quotes = f'write the spec in quotes on the task line: task "{_spec_name(spec)}:..."'
        return MlevError(mistake.message, place, f"{mistake.hint}; and {quotes}" if mistake.hint else quotes)
    return None


def _spec_name(spec: str) -> str:
    """The name task ``spec`` starts with (its data file's, as written), before its options."""
    from mlevolve.interpreter.standalone.spec import TaskError, split_spec

    try:
        return split_spec(spec)[0]
    except TaskError:  # an option's form is wrong: the name is what precedes the first option
        return spec.split(":")[0]


@typed
def parse(text: str, file: str | Path | None = None) -> Program:
    """Parse ``.mlev`` text into the IR (syntax only; see :func:`check`); ``file``: the name its errors give.
    A syntax error raises :class:`MlevError` at its line and column, with the tokens expected."""
    return _parse(text, None if file is None else str(file))


@typed
def parse_expr(source: str, file: str | Path | None = None) -> Expr:
    """Parse one ``.mlev`` expression (``x * sigmoid(x)``) into the IR; raises :class:`MlevError` at its column."""
    from mlevolve.dsl.parse import parse_expr as _parse_expr

    return _parse_expr(source, None if file is None else str(file))


@typed
def format_expr(expr: Expr) -> str:
    """One expression of the IR (:func:`parse_expr`'s, :func:`sample`'s) as ``.mlev`` text on one line, canonically
    parenthesised."""
    from mlevolve.dsl.printer import format_expr as _format_expr

    return _format_expr(expr)


@typed
def canonical_hash(expr: Expr) -> str:
    """The hex digest (32 characters) of ``expr`` as the search's cache knows it: equal for expressions that differ only
    in the order of a commutative operation's arguments (``x + y``, ``y + x``)."""
    from mlevolve.dsl.traverse import canonical_hash as _canonical_hash

    return _canonical_hash(expr)


@typed
def program_hash(program: Program) -> str:
    """The hex digest (32 characters) of a whole program's content (:func:`canonical_hash` of each definition;
    its name, task and comments excluded): a run's archive is of one program hash."""
    return _program_hash(program)


@typed
def parse_file(path: str | Path) -> Program:
    """Read and parse a ``.mlev`` file (the program keeps the file's name, :attr:`Program.file`, for
    the errors a later check or run finds in it).  Raises :class:`MlevError` for a missing, unreadable or
    binary file (:func:`read_source`) and for a syntax error, as :func:`parse`."""
    return _parse(read_source(path), str(path))


def _stored(text: str, where: str) -> Program:
    """An archived program's text parsed (located at ``where``), as a search made it (:attr:`Program.written`
    False): a literal out of its primitive's range runs clamped, as it ran in the search."""
    return replace(_parse(text, where), written=False)


@typed
def names_file(program: str | Path) -> bool:
    """Whether ``program``, as every public function taking a program reads it, is the path of a ``.mlev`` file
    rather than a program's text: a :class:`~pathlib.Path` always; a str of one line that ends in ``.mlev`` or
    names something that exists (a file, or a folder or device, which reading then refuses by name: ``'examples'``
    was parsed as text, its hint saying no file had that name; a program's text is never one line naming a path:
    its header and a definition).  The
    one rule of ``check``, ``format``, ``run``, ``export``, ``export_component``, ``formula_sympy``, ``evolve`` and
    ``check_settings_apply``; ``Path`` is the explicit way for a path of any name."""
    if isinstance(program, Path):
        return True
    line = program.strip()
    if not line or "\n" in line:
        return False
    try:
        return line.endswith(".mlev") or Path(line).exists()
    except OSError:  # a name too long for the file system, or one with a NUL: text
        return False


def _file_of(program: Program | str | Path) -> str | None:
    """Where ``program`` was read from, for errors: its path, a parsed program's :attr:`Program.file`, or None
    (a program made in code, or given as text)."""
    if isinstance(program, Program):
        return program.file
    return str(program).strip() if names_file(program) else None


def _as_program(program: Program | str | Path, file: str | None) -> Program:
    """``program`` parsed: a path (:func:`names_file`) its ``.mlev`` file's, other text itself (located in
    ``file``), a :class:`Program` as it is."""
    if isinstance(program, Program):
        return program
    if isinstance(program, Path):
        return parse_file(program)
    if names_file(program):
        return parse_file(program.strip())
    try:
        return _parse(program, file)
    except MlevError as err:
        if (line := program.strip()) and "\n" not in line:  # one line: a file's name mistyped, or one not made yet
            err.hint = (f"{err.hint}; " if err.hint else "") + (
                f"{line!r} was read as a program's text (no file of that name; a .mlev name is read as a path): "
                f"Path({line!r}) reads it as a file")
        raise


@typed
def check(program: Program | str | Path, grammar: GrammarSpec | None = None, file: str | None = None, *,
          whole: bool = True) -> Program:
    """Type-check a program (its text, or its ``.mlev`` file: :func:`names_file`) against a grammar
    (the base grammar by default).

    With ``whole`` (the default) the program must also be one program that ``run``, ``evolve`` and
    ``export`` take: one formula, one learner, one objective, or a network's parts with at most one
    loss, model... (:func:`mlevolve.interpreter.regimes.regime_of`; a file without definitions is none);
    ``whole=False`` checks a file of several definitions one takes a component from.
    A program as written (:attr:`Program.written`, all but those read back from an archive) must also give
    its primitives' literal arguments in their range (``dropout(1.5)`` is refused, as ``dense(0)`` is).
    Returns the program unchanged; raises :class:`MlevError` listing every faulty definition, located
    in ``file`` (by default the file it was parsed from, :attr:`Program.file`).
    """
    program = _as_program(program, file)
    file = file or program.file
    try:
        checked = check_program(program, grammar or load_grammar(), written=program.written)
        if whole:
            from mlevolve.interpreter.regimes import regime_of

            regime_of(checked)
            dead = idle(checked)  # a definition that cannot reach the score: refused where nothing could read it
            refused = next((i for i, d in enumerate(dead) if d.always), len(dead))
            _warn_program([d.error for d in dead[:refused]], program.source, file)
            if refused < len(dead):
                raise dead[refused].error
        # What a body does is said of any program (a rule that never reads w, from an archive too: show DB and run of
        # its exported file say the same, qa106); how one is written (an unused or hiding let) where a person wrote it
        _warn_program(written_warnings(checked) if program.written else unread_inputs(checked), program.source, file)
        return checked
    except MlevError as err:  # its text shows the line and caret, as the command line's does
        raise (err.located(file) if file else err).with_source(program.source) from None


def _warn_program(errors: list[MlevError], source: str | None, file: str | None) -> None:
    """Warn each of ``errors`` (a program's, in ``source``) as a :class:`ProgramWarning` located in ``file``, at most
    a few of a kind in full, then one for the rest (:func:`capped`): 3,000 unused lets were 3,000 warnings."""
    import warnings

    for err in capped([e.located(file) if file else e for e in errors]):
        warnings.warn(ProgramWarning(err, source), stacklevel=3)


@typed
def format(program: Program | str | Path, file: str | None = None) -> str:
    """The canonical text of a program (its text or its file: :func:`names_file`): ``parse(format(p)) == p``.

    It formats what parses, whether or not it type-checks (as Black formats code that would fail at run time): an
    unknown name, a wrong type or a signature its kind refuses is laid out as written, for :func:`check` to report.
    The text is parsed back and compared with ``program`` before it is returned: if the two differ
    (a printer fault), this raises :class:`MlevError` instead of returning text that means something else,
    so ``mlevolve fmt --write`` can never replace a file with a different program."""
    original = _as_program(program, file)
    text = format_program(original)
    try:
        again = _parse(text, file)
        same = again == original and format_program(again) == text
    except MlevError:
        same = False
    if not same:
        raise MlevError("the formatted text would not read back as the same program; nothing was written",
                        file=file, hint="please report this formatter fault with the file")
    return text


SAMPLE_DEPTH_LIMIT = 24  # the deepest ``sample`` draws: depth 30 took 12 s and 2.4 MB of text for one full tree
SAMPLE_METHODS = ("grow", "full", "ramped")  # Koza's: ``sample``'s ``method`` (its annotation's values)
SAMPLE_LIMIT = 100_000  # the most expressions ``sample`` draws at once: they are held in a list (1e12 exhausted memory)


@typed
def sample(
    type_: Type,
    n: int = 5,
    *,
    seed: int = 0,
    depth: int = 5,
    method: Literal["grow", "full", "ramped"] = "ramped",
    env: Mapping[str, Type] | None = None,
    grammar: GrammarSpec | None = None,
) -> builtins.list[Expr]:
    """``n`` random well-typed expressions of ``type_`` with the names of ``env`` in scope, at most
    ``depth`` deep (1 to :data:`SAMPLE_DEPTH_LIMIT`), ``n`` at most :data:`SAMPLE_LIMIT`, drawn by Koza's
    ``grow``, ``full`` or ``ramped`` half-and-half from ``seed`` (0 to 2**63 - 1).  Raises :class:`SettingError`
    for a value out of range, :class:`MlevError` for a name of ``env`` the language cannot read (a keyword, ``x y``,
    ``é``) or a type the grammar does not know."""
    _at_least(n=n, depth=depth)
    check_seed(seed)  # random.Random(-1) is random.Random(1): a negative seed is refused, as run's and evolve's are
    if method not in SAMPLE_METHODS:  # "bogus" was drawn as grow
        raise SettingError("unknown {method} {got!r}", got=method,
                           hint=did_you_mean(str(method), SAMPLE_METHODS) + "methods: " + ", ".join(SAMPLE_METHODS))
    if n > SAMPLE_LIMIT:
        raise SettingError("{n} must be at most {limit}, got {got}", got=n, limit=f"{SAMPLE_LIMIT:,}",
                           hint="they are held in memory; draw more in further calls, each with its own {seed}")
    if depth > SAMPLE_DEPTH_LIMIT:
        raise SettingError("{depth} must be at most {limit}, got {got}", got=depth, limit=SAMPLE_DEPTH_LIMIT,
                           hint="a full tree doubles with each level: depth 20 prints about 40,000 characters")
    from mlevolve.dsl.parse import KEYWORDS

    for name in env or {}:  # a name the language reads (a keyword or 'x y' was drawn, or raised the IR's ValueError)
        if name in KEYWORDS or not (name.isidentifier() and name.isascii()):
            raise MlevError(f"env[{name!r}]: " + ("a keyword" if name in KEYWORDS else "not a name"),
                            hint="a name is ASCII letters, digits and _, not starting with a digit, and no keyword ("
                                 + ", ".join(KEYWORDS) + ")")
    spec = grammar or load_grammar()
    for name, given in (env or {}).items():  # as `mlevolve sample --var` refuses it (an unknown type was drawn from)
        if given not in spec.types:
            raise MlevError(f"env[{name!r}]: unknown type {given!r}", hint=type_hint(str(given), list(spec.types)))
    rng = random.Random(seed)
    if method == "ramped":
        return [ramped_half_and_half(spec, type_, rng, env=env, max_depth=depth) for _ in range(n)]
    return [generate(spec, type_, rng, env=env, max_depth=depth, method=method) for _ in range(n)]


def _program(program: Program | str | Path, grammar: GrammarSpec, *, whole: bool = True) -> Program:
    """A checked program from a Program, a path to a ``.mlev`` file or a program's text (:func:`names_file`); calls
    of the grammar's learned rules are inlined, so what runs (and what archives store) is a base program."""
    from mlevolve.grammar.rules import expand_program

    return expand_program(check(program, grammar, whole=whole), grammar.rules)


@typed
def check_task_line(program: Program, file: str | None = None) -> None:
    """Raise :class:`MlevError` at the program's ``task`` line (in ``file``) when it names no task, a task
    of another kind than the (checked) program's regime runs on, or options that task does not take as
    that regime reads it (:func:`~mlevolve.interpreter.tasks.task_options`, the loaders' own check); no
    data is read.  ``mlevolve check`` runs it, and ``run``, ``evolve`` and ``export`` on a task line."""
    from mlevolve.interpreter.regimes import regime_of
    from mlevolve.interpreter.tasks import check_task_kind, check_task_name, spec_checked, task_options

    if program.task is None:
        return
    if not program.task.strip():  # task "": the line is there, naming nothing (not a program without a task)
        raise MlevError("the task line names no task", program.task_span, file=file,
                        hint='write `task NAME` (`mlevolve tasks` lists them) or `task "data.csv:target=y"`, or '
                             'drop the line')
    try:
        try:
            regime = regime_of(program)
        except (MlevError, KeyError):  # no definitions, or a mix: reported by the one-program rule, not here
            check_task_name(program.task, program.task_span)  # the closest task's name in the hint
            return
        check_task_name(program.task, program.task_span, regime.name)  # the closest of the program's kind first
        check_task_kind(regime, program.task, program.task_span)
        spec_checked(program.task, regime.name)  # its options as written: a hint mends the line itself
        task_options(line_task(program, file) or program.task, regime.name)  # its file, where the line reads it
    except MlevError as err:
        if err.span is None and err.file is None:  # an option's mistake, or its file's: at the task line
            err.span = program.task_span
            err.hint = line_file_hint(err, program, file) or err.hint
        at_option(err, program)
        raise (err.located(file) if file else err).with_source(program.source) from None


def line_task(program: Program, file: str | None = None) -> str | None:
    """The task ``program``'s task line names (None: it has none), a data file's relative path read from the folder
    of ``file`` (else of the file the program was read from, :attr:`Program.file`), as a meta configuration's
    ``program`` is read from its own: ``task "data/h.csv:target=y"`` in ``sub/p.mlev`` reads ``sub/data/h.csv``
    from any folder (:func:`~mlevolve.interpreter.tasks.spec_beside`).  A program read from text: the current
    folder's, as ``--task`` always is."""
    from mlevolve.interpreter.tasks import spec_beside

    where = file or program.file
    if program.task is None or where is None:
        return program.task
    return spec_beside(program.task, Path(where).parent)


def line_file_hint(err: MlevError, program: Program, file: str | None = None) -> str | None:
    """The hint for ``err`` when it says a task line's data file is missing: where its relative path was read from
    and why (None: another error, a line that names no relative path, or a program read from text)."""
    from mlevolve.interpreter.tasks import data_file_of

    where = file or program.file
    if not err.message.startswith("no such file: "):
        return None
    try:
        name = data_file_of(program.task or "")
    except MlevError:
        return None
    if where is None or name is None or Path(name).is_absolute():
        return None
    folder = Path(where).parent
    return (f"a task line's relative path is read from its .mlev file's folder ({folder.resolve()}), wherever the "
            "command runs: give the path from there, or a full path")


def at_option(err: MlevError, program: Program) -> bool:
    """Point ``err``, a task's error about one of its options (:attr:`MlevError.option`), at that option on
    ``program``'s task line, whose string it is in (:func:`option_span`): a data file's place it had (``no column
    named 'yy'`` at the file's header) is said in its message instead, by the file's name.  Whether it was moved."""
    span = option_span(program.task or "", err.option, program.task_span)
    if span is None:
        return False
    if err.file is not None:  # data.csv:1:3: the file's name stays in the message, its place goes to the option
        err.message = f"{re.sub(r'(:[0-9]+){1,2}$', '', err.file)}: {err.message}"
    err.span, err.file = span, None
    return True


def at_param(err: MlevError, program: Program) -> bool:
    """Point ``err``, a data file's error about a parameter of ``program``'s formula that no column is named after
    (:attr:`MlevError.param`), at that parameter in the program's text, wherever the task was named (a task line,
    ``--task``): the mistake may be the parameter's name or the file's, so the message names the file and the hint
    its columns.  Whether it was moved (not where the program has no such parameter with a place)."""
    spans = [p.span for d in program.definitions if d.kind == "formula" for p in d.params if p.name == err.param]
    if not err.param or not spans or spans[0] is None:
        return False
    if err.file is not None:  # data.csv:1:3: the file's name stays in the message, its place goes to the parameter
        err.message = f"{re.sub(r'(:[0-9]+){1,2}$', '', err.file)}: {err.message}"
    err.span, err.file = spans[0], None
    return True
