"""The public Python API: every command of the CLI is one call here.

    >>> import mlevolve
    >>> program = mlevolve.check(mlevolve.parse_file("examples/mlp_digits.mlev"))
    >>> print(mlevolve.format(program))
    >>> [mlevolve.format_expr(e) for e in mlevolve.sample("Tensor", n=3, seed=0, env={"x": "Tensor"})]

Functions that need PyTorch import it when called, so parsing and checking stay light.  Each
default here is read from the setting's one owner (:class:`~mlevolve.gp.engine.EvolveConfig`,
:class:`~mlevolve.interpreter.settings.Settings`, :class:`~mlevolve.gp.backends.Resources`), or is
this module's own where a setting has no other home (``n``, ``top``, ``confirm``); the CLI reads its
flags' defaults from these signatures.  A bad value raises :class:`~mlevolve.dsl.errors.SettingError`
naming the parameter (the CLI renames it to the flag); so does an argument of another type than the
parameter's annotation, in every function marked :func:`~mlevolve.arguments.typed` (the public ones).
Every other mistake of the caller (a program's syntax or type error, an unknown task or option, a bad cell of a
data file, a missing, foreign or damaged archive, a hash no program has) raises :class:`~mlevolve.dsl.errors.MlevError`
(SettingError is one), whose ``str`` is the ``FILE:LINE:COL: error: ...`` and ``hint:`` lines the CLI prints; a
program that runs but fails on its task is no error: its result says so (``failure``).
"""

from __future__ import annotations

import builtins
import contextlib
import inspect
import itertools
import os
import random
import re
import shlex
import sys
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from mlevolve.arguments import typed
from mlevolve.dsl.errors import (
    DATA_SUFFIXES,
    MlevError,
    ProgramWarning,
    SettingError,
    check_types,
    data_task,
    decode_utf8,
    did_you_mean,
    file_kind,
    normalize_newlines,
    read_bytes,
    type_hint,
    wrong_kind,
)
from mlevolve.dsl.ir import Expr, Program
from mlevolve.dsl.kinds import check_program, idle
from mlevolve.dsl.parse import parse as _parse
from mlevolve.dsl.printer import format_program
from mlevolve.dsl.traverse import program_hash as _program_hash
from mlevolve.dsl.types import Type, with_article
from mlevolve.gp.backends import Resources
from mlevolve.gp.dask_address import knock_dask
from mlevolve.gp.diversity import DiversityConfig
from mlevolve.gp.engine import INITS, EvolveConfig
from mlevolve.gp.generate import generate, ramped_half_and_half
from mlevolve.grammar.spec import GrammarSpec, load_grammar
from mlevolve.interpreter.settings import Settings
from mlevolve.interpreter.standalone.common import SEED_LIMIT
from mlevolve.messages import AT_LEAST, BELOW_2_63, SEED_RANGE, counted
from mlevolve.meta.config import most
from mlevolve.results import SHOWN_DIGITS, fitness_metric


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
                      "parse the text first: mlevolve.parse(TEXT) gives a Program, which every function takes",
                      opening="algorithm ")
    if data.startswith(b"SQLite format 3\0"):  # a run's archive, likely, where a program was wanted
        db = shlex.quote(str(p))
        raise MlevError("an SQLite database, not a .mlev program", file=str(p),
                        hint=f"if it is a run's archive, `mlevolve show {db} --best` prints its best program and "
                             f"`mlevolve export {db} --best -o best.py` writes it as a script")
    nul = data.find(b"\0")
    if nul >= 0:
        raise MlevError(f"binary file (a NUL byte at offset {nul})", file=str(p),
                        hint="a .mlev program is UTF-8 text")
    text = decode_utf8(data, str(p), "a .mlev program").removeprefix("\ufeff")  # a BOM some editors write
    text = normalize_newlines(text)
    wrong_kind(text, str(p), "a .mlev program")  # a grammar file or meta configuration: said so, not its syntax
    return text


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


def _file_of(program: Program | str | Path) -> str | None:
    """Where ``program`` was read from, for errors: its path, a parsed program's :attr:`Program.file`, or None
    (a program made in code)."""
    return program.file if isinstance(program, Program) else str(program)


def _as_program(program: Program | str | Path, file: str | None) -> Program:
    """``program`` parsed: a :class:`~pathlib.Path` is its ``.mlev`` file, a str its text (located in ``file``)."""
    if isinstance(program, Path):
        return parse_file(program)
    if isinstance(program, str) and "\n" not in program.strip() and program.strip().endswith(".mlev"):
        raise MlevError(f"{program.strip()!r} is the path of a .mlev file, where this takes a program's text",
                        hint=f"pass Path({program.strip()!r}), or mlevolve.parse_file({program.strip()!r})")
    return _parse(program, file) if isinstance(program, str) else program


@typed
def check(program: Program | str | Path, grammar: GrammarSpec | None = None, file: str | None = None, *,
          whole: bool = True) -> Program:
    """Type-check a program (its text, or a :class:`~pathlib.Path` to its ``.mlev`` file) against a grammar
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
            for dead in idle(checked):  # a definition that cannot reach the score: refused where nothing could read it
                if dead.always:
                    raise dead.error
                import warnings

                warnings.warn(ProgramWarning(dead.error.located(file) if file else dead.error), stacklevel=2)
        return checked
    except MlevError as err:
        raise err.located(file) if file else err from None


@typed
def format(program: Program | str | Path, file: str | None = None) -> str:
    """The canonical text of a program (its text, or a :class:`~pathlib.Path` to its file): ``parse(format(p)) == p``.

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
    """A checked program from a Program or a path to a ``.mlev`` file; calls of the grammar's
    learned rules are inlined, so what runs (and what archives store) is a base program."""
    from mlevolve.grammar.rules import expand_program

    if isinstance(program, Program):
        return expand_program(check(program, grammar, whole=whole), grammar.rules)
    return expand_program(check(parse_file(program), grammar, file=str(program), whole=whole), grammar.rules)


def check_task_line(program: Program, file: str | None = None) -> None:
    """Raise :class:`MlevError` at the program's ``task`` line (in ``file``) when it names no task, a task
    of another kind than the (checked) program's regime runs on, or options that task does not take as
    that regime reads it (:func:`~mlevolve.interpreter.tasks.task_options`, the loaders' own check); no
    data is read.  ``mlevolve check`` runs it, and ``run``, ``evolve`` and ``export`` on a task line."""
    from mlevolve.interpreter.regimes import regime_of
    from mlevolve.interpreter.tasks import check_task_kind, check_task_name, task_options

    if program.task is None:
        return
    if not program.task.strip():  # task "": the line is there, naming nothing (not a program without a task)
        raise MlevError("the task line names no task", program.task_span, file=file,
                        hint='write `task NAME` (`mlevolve tasks` lists them) or `task "data.csv:target=y"`, or '
                             'drop the line')
    try:
        check_task_name(program.task, program.task_span)  # the closest task's name in the hint
        try:
            regime = regime_of(program)
        except (MlevError, KeyError):  # no definitions, or a mix: reported by the one-program rule, not here
            return
        check_task_kind(regime, program.task, program.task_span)
        task_options(program.task, regime.name)
    except MlevError as err:
        if err.span is None and err.file is None:  # an option's mistake: at the task line
            err.span = program.task_span
            err.hint = _beside(program.task, file) or err.hint
        raise err.located(file) if file else err from None


def _beside(task: str, file: str | None, whose: str = "the program's") -> str:
    """The hint for data file ``task`` names by a relative path that the current folder lacks and ``file``'s folder
    holds (``whose``: a program's, a meta configuration's; a path is read from the current folder, not the file's),
    else ``""``."""
    from mlevolve.interpreter.tasks import data_file_of

    try:
        name = data_file_of(task)
    except MlevError:  # a spec with no name: its own error stands
        return ""
    if file is None or name is None or Path(name).is_absolute() or Path(name).exists():
        return ""
    there = Path(file).parent / name
    return (f"a relative path is read from the current folder ({Path.cwd()}), not {whose}: {there} is "
            f"there; cd {Path(file).parent}, or give its full path") if there.is_file() else ""


# The defaults of the settings of :data:`_READ_BY`: one given at its default changes nothing, so the API takes it.
SETTING_DEFAULTS = {"epochs": Settings.epochs, "hurdle": EvolveConfig.hurdle, "fit": EvolveConfig.fit,
                    "prune": EvolveConfig.prune}


def _off_defaults(**values: object) -> builtins.list[str]:
    """The names of ``values`` (settings of :data:`_READ_BY`) given off their defaults (``fit`` None: the default)."""
    return [name for name, value in values.items() if value is not None and value != SETTING_DEFAULTS[name]]


def _at_least(low: int = 1, **values: int) -> None:
    """Raise :class:`SettingError` naming the first of ``values`` (parameter name to value) that is no int
    (:func:`~mlevolve.dsl.errors.check_types`) or is below ``low``."""
    check_types(values)
    for name, value in values.items():
        if value < low:
            text, hint = AT_LEAST.setting(name)
            raise SettingError(text, hint, low=low, got=value)
        if value >= SEED_LIMIT:  # every integer setting is one SQLite stores (a LIMIT, an archive's meta)
            raise SettingError(*BELOW_2_63.setting(name), got=value)


POPULATION_LIMIT = most("inner.population")  # the most programs ``evolve`` holds: [inner] population's bound too
MAX_DIGITS = 17  # the most significant digits a float64 has: --digits past it shows nothing more (1e10 overflowed)


def _check_digits(digits: int) -> None:
    """Raise :class:`SettingError` for a ``digits`` (significant digits shown) below 0 or above :data:`MAX_DIGITS`."""
    _at_least(0, digits=digits)
    if digits > MAX_DIGITS:
        raise SettingError("{digits} must be at most {most}, got {got}", got=digits, most=MAX_DIGITS,
                           hint="a float64 has at most 17 significant digits; {digits} 0 shows every one")


CONFIRM_LIMIT = 1_000  # the most further seeds ``confirm`` takes: each trains the two programs again


def _confirms(confirm: int) -> None:
    """Raise :class:`SettingError` for a ``confirm`` below 0 or above :data:`CONFIRM_LIMIT` (a count whose
    seed list would not fit in memory was reported as "out of memory")."""
    _at_least(0, confirm=confirm)
    if confirm > CONFIRM_LIMIT:
        raise SettingError("{confirm} must be at most {limit}, got {got}", got=confirm, limit=f"{CONFIRM_LIMIT:,}",
                           hint="each seed trains the best and the starting program again: 5 to 30 give the "
                                "gain's spread")


def check_seed(seed: int) -> None:
    """Raise :class:`SettingError` (naming ``seed``) for a seed no generator takes: no int, below 0 or from 2**63."""
    check_types({"seed": seed})
    if not 0 <= seed < SEED_LIMIT:
        raise SettingError(*SEED_RANGE.setting("seed"), got=seed)


# What every file of a kind mlevolve writes holds (in its first 1 KiB, or anywhere for a report): an existing
# file without it is the user's (an archive, a program, a data file) and is never overwritten.
WRITTEN_BY = {"script": (b"a program found or written with mlevolve", b"of mlevolve program '"),
              "report": (b"Written by mlevolve from",), "generator": (b"# mlevolve generator",),
              "program": (b"# Exported by mlevolve from",)}
EXPORTED_FROM = WRITTEN_BY["program"][0].decode()  # an exported program's first line: "# Exported by mlevolve from DB"
RUN_SETTINGS = " (the run's settings: mlevolve run FILE {})"  # ... and the run's options, as exported_settings reads


def check_output(path: str | Path, setting: str = "output", kind: str | None = None) -> None:
    """Raise :class:`SettingError` (naming ``setting``) when ``path`` is to be written in a directory
    that does not exist (an output path is not a place to create directories by accident), or, with
    ``kind``, when :func:`check_not_overwriting` refuses it; a path ending in a separator names a directory,
    never a file (``Path`` would drop the slash: ``-o out.py/`` wrote ``out.py``); a folder no file can be made in
    (a file is made there and removed, the one sure test) is refused too."""
    import shlex

    if isinstance(path, str) and not path.strip():  # ("$UNSET"): it read as the current folder, or as not given
        raise SettingError(f"{{{setting}}} is empty", hint=f"give a path, or leave {{{setting}}} out")
    if setting == "db":  # a new archive so named (or an empty file: SQLite would make it one) would be refused by
        # every reader (an existing file is named by the archive's reader)
        named = "standard output" if str(path) == "-" else "a data file" if str(path).lower().endswith(DATA_SUFFIXES) \
            else "a .mlev program" if str(path).lower().endswith(".mlev") else None
        if named and (not Path(path).exists() or (Path(path).is_file() and not os.path.getsize(path))):
            raise SettingError("{db} {path} would name a run's archive as " + named + ", which every command that "
                               "reads an archive refuses", hint="name it as a .db file, e.g. runs/run.db",
                               path=str(path))
    if str(path).endswith(("/", os.sep)) and not Path(path).is_dir():  # a directory's own error follows
        raise SettingError("{path} names a folder (it ends in a slash), not a file",
                           hint=f"drop the slash: {{{setting}}} {{bare}}", path=str(path),
                           bare=shlex.quote(str(path).rstrip("/" + os.sep) or "/"))
    parent = Path(path).parent
    if parent.exists() and not parent.is_dir():  # `-o run.db/x.py`: no mkdir can make that folder
        raise SettingError("cannot write {path}: {parent} is a file, not a folder",
                           hint=f"pass another {{{setting}}}", path=str(path), parent=str(parent))
    if not parent.is_dir():
        raise SettingError("cannot write {path}: no folder {parent!r}",
                           hint=f"create it first (mkdir -p {{quoted}}) or pass another {{{setting}}}",
                           path=str(path), parent=str(parent), quoted=shlex.quote(str(parent)))
    try:  # a folder this process cannot write in (its mode, read-only or immutable, /proc): said now, not after the run
        tempfile.NamedTemporaryFile(dir=parent, prefix=".mlevolve-").close()
    except OSError as err:
        raise SettingError("cannot write {path}: {why}", hint=f"pass another {{{setting}}}, in a folder you can write",
                           path=str(path), why=err.strerror or type(err).__name__) from None
    if kind == "script" and (taken := shadowed(path)) is not None:  # `-o csv.py`: its own `import csv` reads itself
        raise SettingError("{path} would take the name of the module {module!r}: a script imports modules from its "
                           "own folder first, so it and every script beside it would import this file instead",
                           hint=f"name it otherwise, e.g. {{{setting}}} {{other}}", path=str(path), module=taken,
                           other=shlex.quote(str(script_name(path))))
    if kind is not None:
        check_not_overwriting(path, kind, setting)
    suffix, (kept, what, example) = Path(path).suffix.lower(), OUTPUT_SUFFIXES.get(kind or "", ((), "", ""))
    if kept and suffix not in kept:  # `export -o found.json` wrote a Python script there
        raise SettingError("{path} would hold " + what + ", not " + (f"a {suffix} file" if suffix else
                                                                     "a file without a suffix"), path=str(path),
                           hint=f"name it {Path(example).suffix}, e.g. {{{setting}}} {example}")


OUTPUT_SUFFIXES = {"script": (("", ".py", ".pyw"), "a Python script", "found.py"),
                   "report": ((".html", ".htm"), "an HTML page", "report.html")}
"""The file suffixes an output of each kind may have (a script: none too, run as ``python NAME``), what it holds, and
an example name."""

SCRIPT_IMPORTS = frozenset({"numpy", "torch", "scipy", "sklearn", "gymnasium", "numba", "mlevolve"})
"""The packages an exported script or the Python beside it may import, besides the standard library's modules."""


def shadowed(path: str | Path) -> str | None:
    """The module a script written to ``path`` would shadow for itself and the scripts beside it (``csv.py``:
    ``csv``, standard library or :data:`SCRIPT_IMPORTS`), else None."""
    stem = Path(path).stem
    return stem if Path(path).suffix == ".py" and (stem in sys.stdlib_module_names or stem in SCRIPT_IMPORTS) \
        else None


def script_name(path: str | Path) -> Path:
    """``path``, renamed ``NAME_found.py`` where its name would shadow a module (:func:`shadowed`)."""
    out = Path(path)
    return out.with_name(f"{out.stem}_found.py") if shadowed(out) else out


def check_not_overwriting(path: str | Path, kind: str, setting: str = "output") -> None:
    """Raise :class:`SettingError` when ``path`` exists and mlevolve did not write it as a file of ``kind`` (a
    key of :data:`WRITTEN_BY`): an output never overwrites a run's archive, a program or a data file."""
    out = Path(path)
    if not (out.exists() or out.is_symlink()):
        return
    if out.is_dir():
        raise SettingError("{path} is a folder", hint=f"pass a file path as {{{setting}}}, e.g. {{inside}}",
                           path=str(path), inside=str(out / {"report": "report.html", "script": "out.py",
                                                             "program": "best.mlev"}.get(kind, "grammar.toml")))
    try:
        text = out.read_bytes() if out.is_file() else b""
    except OSError:
        text = b""
    head = text if kind == "report" else text[:1024]
    if not any(mark in head for mark in WRITTEN_BY[kind]):
        raise SettingError(f"{{path}} exists and is not a {kind} mlevolve wrote: it is not overwritten",
                           hint=f"pass another {{{setting}}}, or move the file away first", path=str(path))


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` whole or not at all: into a temporary file beside it, then
    renamed over it (:func:`os.replace`, atomic on POSIX), so a failure (a full disk, a signal) leaves
    the old file, or none, never a truncated one.  The file keeps its permissions (a new one gets the
    umask's); a symbolic link is followed.  A failure is an :class:`MlevError` naming the file."""
    import tempfile

    out = Path(os.path.realpath(path))
    tmp: str | None = None
    try:
        mode = out.stat().st_mode & 0o7777 if out.exists() else 0o666 & ~_umask()
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=out.parent, prefix=f".{out.name}.",
                                         suffix=".tmp", delete=False) as handle:
            tmp = handle.name
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, out)
        tmp = None
    except OSError as err:
        import errno

        fix = "free some disk space" if err.errno in (errno.ENOSPC, errno.EDQUOT) else \
            "check the file's and its folder's permissions (read-only, immutable?)"
        raise MlevError(f"cannot write {path}: {err.strerror or err}",
                        hint=f"{fix}; the old file, if there was one, is unchanged") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def check_apart(archive: Path, setting: str, path: str | Path | None, what: str, *, defaulted: bool) -> None:
    """Raise :class:`SettingError` when ``path``, a second file a command writes (its ``setting``), is the run's
    ``archive`` (``defaulted``: the default, no ``db`` given) by resolved path (``./a.db`` is ``a.db``) or as a
    hard link: ``what`` it writes would destroy the archive (meta's generator written over it, evolve's JSON log
    appended into the SQLite file).  Both may not exist yet, so no other check sees it."""
    if path is None:
        return
    out = Path(path)
    if out.resolve() == archive.resolve() or (out.is_file() and archive.is_file() and os.path.samefile(out, archive)):
        example = archive.with_suffix(".grammar.toml" if setting == "output" else ".jsonl")
        archive_is = "its default archive, as no {db} is given" if defaulted else "the run's archive ({db} {archive})"
        raise SettingError(f"{{{setting}}} {{path}} is {archive_is}: {what}",
                           hint=f"pass another {{{setting}}}, e.g. {{{setting}}} {{example}}", path=str(path),
                           archive=str(archive), example=shlex.quote(str(example)))


def check_json_log(path: str | Path, db: Path) -> None:
    """Raise :class:`SettingError` (naming ``json_log``) unless ``path`` may be appended to by the run of archive
    ``db``: no file or an empty one, or an mlevolve JSON log (every line an object of
    :data:`~mlevolve.gp.progress.LOG_FIELDS`) whose candidates are this archive's (a resumed run's log; lines
    past the archive's last candidate are ones a crash lost before they were stored: they are taken out, as the
    resumed run scores and logs them again, so the log keeps one line a candidate)."""
    import json

    from mlevolve.gp.archive import Archive
    from mlevolve.gp.progress import LOG_FIELDS

    out = Path(path)
    if out.is_dir():
        raise SettingError("{path} is a folder", hint="pass a file path as {json_log}, e.g. {inside}",
                           path=str(path), inside=str(out / "log.jsonl"))
    try:
        lines = [line for line in out.read_text(encoding="utf-8").splitlines() if line.strip()] if out.exists() else []
        logged = [json.loads(line) for line in lines]
    except (OSError, UnicodeDecodeError, ValueError):
        logged = [None]
    if not logged:
        return
    if not all(isinstance(e, dict) and tuple(e) == LOG_FIELDS for e in logged):
        raise SettingError("{path} exists and is not an mlevolve JSON log: it is not appended to",
                           hint="pass another {json_log}, or move the file away first", path=str(path))
    rows: set[tuple[int, str]] = set()
    if db.exists():
        with Archive.read(db) as archive:
            rows = {(r.seq, r.hash) for r in archive.rows()}
    last = max((seq for seq, _ in rows), default=None)  # later lines: candidates a crash lost, scored again
    if last is None or not all((e["seq"], e["hash"]) in rows or e["seq"] > last for e in logged):
        raise SettingError("{path} is the JSON log of another run (its candidates are not in {db}): it is not "
                           "appended to", hint="pass another {json_log}, or move the file away first",
                           path=str(path), db=str(db))
    if any(e["seq"] > last for e in logged):  # logged, then lost uncommitted by a kill: the resumed run logs them
        write_atomic(out, "".join(line + "\n" for line, e in zip(lines, logged, strict=True) if e["seq"] <= last))


def _not_empty(task: str | None) -> None:
    """Raise :class:`SettingError` for a task given as blank text (``--task "$UNSET"``), which would otherwise
    mean the default task (the file's own, or the run's) silently."""
    if task is not None and not task.strip():
        raise SettingError("{task} is empty", hint="name a task (`mlevolve tasks` lists them), or leave {task} out "
                           "for the default one")


def _task_name(program: Program, task: str | None, file: str | None = None, *, search: bool = False) -> str:
    """The task (checked) ``program`` runs on: ``task``, else its task line's (:func:`check_task_line`), by its one
    name (:func:`~mlevolve.interpreter.tasks.canonical_spec`: what is stored, shown and exported); one of another
    kind than the program's is refused before any data is read (an RL program's ``--task data.csv``).  ``search``:
    for a learner search, whose synthetic family's task takes the search's defaults
    (:func:`~mlevolve.interpreter.tasks.search_spec`)."""
    from mlevolve.interpreter.regimes import regime_of
    from mlevolve.interpreter.tasks import canonical_spec, search_spec

    named = search_spec if search else canonical_spec
    _not_empty(task)
    if task:
        _kind_fits(program, task)
        return named(task, regime_of(program).name)  # _kind_fits found the regime
    check_task_line(program, file)  # its kind too
    if not program.task:
        raise SettingError("no task to run on", hint="pass {task} NAME or add a `task NAME` line to the program; "
                           "`mlevolve tasks` lists them")
    try:
        kind: str | None = regime_of(program).name
    except (MlevError, KeyError):  # no definitions, or a mix: the one-program rule's to report
        kind = None
    return named(program.task, kind)


def _kind_fits(program: Program, task: str) -> None:
    """Raise :class:`MlevError` when ``task`` is of another kind than (checked) ``program``'s regime runs on."""
    from mlevolve.interpreter.regimes import regime_of
    from mlevolve.interpreter.tasks import check_task_kind

    check_task_kind(regime_of(program), task)


def _load_task(checked: Program, name: str, seed: int, program: Program | str | Path, task: str | None) -> Any:
    """The task ``checked`` runs on, as it needs it (:func:`~mlevolve.interpreter.factory.load_task_for`).
    A mistake in a task the program's ``task`` line names (an unknown option, a bad data file) is
    reported at that line, in the program's file; one located already (a bad cell at its ``FILE:LINE:COL``
    in the data file) keeps its own place, as :func:`check_task_line` keeps it."""
    from mlevolve.interpreter.factory import load_task_for

    try:
        return load_task_for(checked, name, seed)
    except MlevError as err:
        if task or err.span is not None or err.file is not None or checked.task_span is None:
            raise
        err.span = checked.task_span
        raise (err.located(file) if (file := _file_of(program)) else err) from None


def _check_loss(checked: Program, data: Any, name: str, program: Program | str | Path,
                evolved: frozenset[str] = frozenset()) -> None:
    """Refuse, at its definition, a loss that cannot train on the task's kind of targets (a classification
    loss on a regression, or the reverse): :func:`~mlevolve.interpreter.loss_fit.check_loss_fits`.  A loss
    the run evolves (``evolved``) is not checked: its mutants may fit."""
    from mlevolve.interpreter.loss_fit import check_loss_fits

    check_loss_fits(checked, data, name, _file_of(program), evolved)


def _ready(checked: Program, spec: GrammarSpec, name: str, seed: int, program: Program | str | Path,
           task: str | None, evolved: frozenset[str] = frozenset()) -> tuple[Any, Any]:
    """The task's data and the compiled program, after every check ``run`` makes before PyTorch: the task
    loaded (its data file read and validated, :func:`_load_task`), the program fitted to it (its regime's kind
    of task; a formula's inputs, at the formula), and its loss to the kind of targets (:func:`_check_loss`; not
    the ``evolved`` ones).  ``run``, ``export``, ``evolve`` and :func:`check_task_data` (``mlevolve check``)
    share it, so a program ``check`` passes does not fail these on its task line.  Raises :class:`MlevError`."""
    data = _load_task(checked, name, seed, program, task)
    from mlevolve.interpreter.codegen import compile_program
    from mlevolve.interpreter.tasks import check_task_fits

    compiled = compile_program(checked, spec)
    formula = next((d.span for d in checked.definitions if d.kind == "formula"), None)
    try:
        check_task_fits(compiled, data, name, formula)  # torch-free: a misfit is reported at once
    except MlevError as err:
        raise (err.located(file) if err.span is not None and (file := _file_of(program)) else err) from None
    _check_loss(checked, data, name, program, evolved)
    return data, compiled


def check_task_data(program: Program, file: str | None = None, grammar: GrammarSpec | None = None, *,
                    seed: int | None = None) -> None:
    """Raise :class:`MlevError` where ``run`` would before training ``program`` (checked) on its ``task``
    line: the line itself (:func:`check_task_line`), its data read and validated as ``run`` with ``seed`` reads
    it (that seed's split: a target constant on one seed's training rows is refused for that seed), the
    program fitted to the task (see :func:`_ready`).  Nothing is trained and PyTorch is not imported; a
    built-in task is loaded as ``run`` loads it, but for an RL environment or a density data set, which take
    no options and fit every program of their kind: loading one (scikit-learn's import, about 2 s) would check
    nothing :func:`check_task_line` has not.  ``mlevolve check`` runs it on every file with a task line.
    ``seed`` None: the one ``run`` takes (an exported program's run's, :func:`exported_settings`; else 0)."""
    from mlevolve.grammar.rules import expand_program
    from mlevolve.interpreter.tasks import is_data_file, task_info

    _check_given(seed, None)
    seed = _settings_of(program, seed, None)[0]
    check_task_line(program, file)
    if program.task is not None and (is_data_file(program.task) or
                                     task_info(program.task).kind not in ("rl", "generative")):
        spec = grammar or load_grammar()  # what runs: the grammar's learned rules inlined, as run inlines them
        _ready(expand_program(program, spec.rules), spec, program.task, seed, file or program, None)


_EXPORTED = re.compile(re.escape(EXPORTED_FROM) + " .*" + re.escape(RUN_SETTINGS).replace(r"\{\}", "([^()]*)"))


def exported_settings(program: Program) -> dict[str, int]:
    """The ``seed`` and ``epochs`` an exported program's first comment line names (``--seed 7``, as
    :func:`export_program` writes them: its run's, where not the defaults); {} for any other program.
    ``run``, ``export`` and ``check`` take them where none is given, so that ``mlevolve run best.mlev``
    scores as the run did and as the script exported from the same archive does."""
    match = _EXPORTED.fullmatch(program.comments[0].strip()) if program.comments else None
    try:
        words = shlex.split(match[1]) if match else []
    except ValueError:  # an edited line whose quotes no longer pair
        words = []
    return {w[2:]: int(v) for w, v in itertools.pairwise(words)
            if w in ("--seed", "--epochs") and v.isascii() and v.isdigit()}


def _check_given(seed: int | None, epochs: int | None) -> None:
    """Refuse a ``seed`` or ``epochs`` given (not None) out of its range: the caller's mistakes, before the file's."""
    if epochs is not None:
        _at_least(epochs=epochs)
    if seed is not None:
        check_seed(seed)


def _settings_of(program: Program, seed: int | None, epochs: int | None) -> tuple[int, int]:
    """``seed`` and ``epochs`` where given (checked already), else ``program``'s :func:`exported_settings`, else the
    defaults; one the first line names out of range (the line edited) is refused at the file."""
    named = {k: v for k, v in exported_settings(program).items() if {"seed": seed, "epochs": epochs}[k] is None}
    if bad := [k for k, v in named.items() if not (1 if k == "epochs" else 0) <= v < SEED_LIMIT]:
        ranges = {"seed": "--seed N (0 to 2**63 - 1)", "epochs": "--epochs N (at least 1)"}
        raise MlevError(f"its first line names {' and '.join(f'--{k} {named[k]}' for k in bad)}, out of range",
                        file=program.file, hint=f"give {' and '.join(ranges[k] for k in bad)}, or export it again")
    return (named.get("seed", Settings.seed) if seed is None else seed,
            named.get("epochs", Settings.epochs) if epochs is None else epochs)


def _prepare(program: Program | str | Path, task: str | None,
             grammar: GrammarSpec | None) -> tuple[GrammarSpec, Program, str]:
    """The grammar (default: the base), the checked program, and the task it runs on."""
    spec = grammar or load_grammar()
    checked = _program(program, spec)
    return spec, checked, _task_name(checked, task, _file_of(program))


@typed
def run(
    program: Program | str | Path,
    task: str | None = None,
    *,
    seed: int | None = None,
    epochs: int | None = None,
    grammar: GrammarSpec | None = None,
) -> dict[str, Any]:
    """Train ``program`` on ``task`` (default: its ``task`` line) and return its metrics.

    ``program``: a parsed :class:`Program` or the path of a ``.mlev`` file (a ``str`` is a path here, as for
    :func:`export` and :func:`evolve`; :func:`check` and :func:`format` take text: ``parse`` text first).
    The result has ``task``, ``seed`` and ``failure`` (None, or the reason the program could not be trained, a dict
    of ``reason`` and ``where``: then no metrics); else the regime's metrics (a network's validation and test
    metrics, ``params`` and ``steps``; a formula's ``train_*`` and ``test_*``; a learner's ``val_*``), ``fitness``
    (what a search maximises) and ``train_seconds``.  ``seed`` and ``epochs`` (None: not given) default to those an
    exported program's first line names (:func:`exported_settings`: its run's), else to 0 and ``Settings.epochs``.
    Raises :class:`MlevError` for a program that does not check, a task or data file it cannot run on, or a setting
    out of range (before PyTorch is imported); a program that fails on its task (not finite on some points,
    diverging) is its result's ``failure``, not raised.
    """
    _check_given(seed, epochs)
    spec, checked, name = _prepare(program, task, grammar)
    check_settings_apply(checked, _off_defaults(epochs=epochs))
    seed, epochs = _settings_of(checked, seed, epochs)
    data, _ = _ready(checked, spec, name, seed, program, task)  # the user's mistakes first: PyTorch only after these
    from mlevolve.interpreter.evaluate import Settings, evaluate

    outcome = evaluate(checked, data, spec, Settings(seed=seed, epochs=epochs), name)
    return {**outcome.as_dict(), "task": name, "seed": seed}


@typed
def export(
    program: Program | str | Path,
    task: str | None = None,
    *,
    seed: int | None = None,
    epochs: int | None = None,
    grammar: GrammarSpec | None = None,
    script: str | None = None,
) -> str:
    """The source of a standalone script that trains ``program`` (a :class:`Program` or a ``.mlev`` file's path,
    as for :func:`run`) on ``task`` like :func:`run` does;
    ``script``: the file it will be written to, which its docstring names (None: "this file"), and from whose
    folder it reads a data file ``task`` names where that file is gone from its absolute path (moved with it).
    ``seed`` and ``epochs``: the script's defaults, as :func:`run`'s (an exported program's: its run's).
    Raises :class:`MlevError` where :func:`run` would, before any training (the script is not run here)."""
    return _export(program, task, seed, epochs, grammar, script, _off_defaults(epochs=epochs))


def _export(program: Program | str | Path, task: str | None, seed: int | None, epochs: int | None,
            grammar: GrammarSpec | None, script: str | None, given: Sequence[str]) -> str:
    """:func:`export`, refusing the settings ``given`` that the program's regime does not read."""
    _check_given(seed, epochs)
    spec, checked, name = _prepare(program, task, grammar)
    check_settings_apply(checked, given)
    seed, epochs = _settings_of(checked, seed, epochs)
    _, compiled = _ready(checked, spec, name, seed, program, task)  # the user's mistakes first: no PyTorch before
    from mlevolve.interpreter.export import export_source
    from mlevolve.interpreter.regimes import regime_of

    # --epochs to a script of a regime without epochs: refused in mlevolve's words, not as an unknown flag
    unread = _unread("epochs", regime_of(checked))
    said = None if unread is None else unread.rename(lambda n: f"--{n}")
    return export_source(checked, spec, name, seed=seed, epochs=epochs, compiled=compiled, script=script,
                         refused={} if said is None else {"--epochs": (said.message, said.hint or "")})


@typed
def export_component(
    program: Program | str | Path,
    name: str,
    *,
    grammar: GrammarSpec | None = None,
) -> str:
    """The source of a standalone module holding definition ``name`` as a drop-in component.

    An optimizer becomes a ``torch.optim.Optimizer``, a learner a scikit-learn regressor, a formula
    a NumPy function with its SymPy expression, a schedule the function with its peak rate ``LR`` and
    ``lr_lambda`` for ``LambdaLR`` (it travels with the file's optimizer too), and so on: every kind has a
    form (``mlevolve.interpreter.components``); the module imports no mlevolve.  Raises :class:`MlevError`
    for a name that is no definition of ``program``.
    """
    from mlevolve.interpreter.components import export_component as _component

    spec = grammar or load_grammar()
    return _component(_program(program, spec, whole=False), name, spec)


@typed
def formula_sympy(program: Program | str | Path, *, grammar: GrammarSpec | None = None) -> Any:
    """The SymPy expression of a program's formula (real symbols, literals as exact rationals);
    ``sympy.latex`` of it is its LaTeX.  Raises :class:`MlevError` when the program has no formula."""
    from mlevolve.interpreter.algebra import sympy_of

    checked = _program(program, grammar or load_grammar())
    formulas = [d for d in checked.definitions if d.kind == "formula"]
    if not formulas:
        kinds = ", ".join(f"{x.kind} {x.name}" for x in checked.definitions)
        raise MlevError(f"program '{checked.name}' has no formula", hint=f"it defines {kinds}; "
                        "--sympy and --latex show a formula")
    d = formulas[0]  # the one: _program held the file to one program (two formulas are refused there)
    try:
        return sympy_of(d)
    except MlevError as err:
        raise err.located(file) if (file := _file_of(program)) else err from None


@typed
def tasks() -> builtins.list[dict[str, str]]:
    """Every built-in task as a dict of ``name``, ``kind`` (its regime), ``problem``, ``size`` (people's text) and
    ``description`` (see ``mlevolve.interpreter.tasks``): plain values, as every answer of this module, so
    ``json.dumps`` takes it (``mlevolve tasks --json``)."""
    from dataclasses import asdict

    from mlevolve.interpreter.tasks import list_tasks

    return [asdict(t) for t in list_tasks()]


def evolvable(program: Program, names: Sequence[str], file: str = "the program") -> builtins.list[str]:
    """The slots ``--evolve`` names: definitions, ``learner.method``, a learner (all its methods),
    or ``all``.  Raises :class:`SettingError` for a name that is none of them, and :class:`MlevError` at
    the definition for one with no effect on the score unless the definition that would use it is named
    too (:func:`mlevolve.dsl.kinds.idle`: an activation the model never names, a schedule whose update
    rule never reads ``lr``)."""
    from mlevolve.dsl.kinds import slots

    available = [s.name for s in slots(program)]
    learners = list(dict.fromkeys(a.split(".")[0] for a in available if "." in a))  # `--evolve L`: all its methods
    listed = ", ".join(available + [f"{learner} (all its methods)" for learner in learners]) or "none"
    names = [name.strip() for name in names]  # " f " is f, as `--evolve " f , g"` reads it
    if not any(names):
        raise SettingError("{evolve} names nothing to evolve",
                           hint=f"name one or more of: {listed}, or all (the default)")
    if not all(names):  # `--evolve 'f,'`, `f,,g`: a name left out, or a stray comma
        raise SettingError("{evolve} {got!r} has an empty name", got=",".join(names),
                           hint="separate the names by single commas, none at either end, as in f,g")
    if list(names) == ["all"]:
        return available
    if "all" in names:
        raise SettingError("{evolve} all names every definition: it takes no other names",
                           hint="write all alone, or list the definitions to evolve")
    out: builtins.list[str] = []
    for number, name in enumerate(names):
        matches = [a for a in available if a == name or a.startswith(name + ".")]
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


# Settings an algorithm does not read (beyond DiversityConfig's, whose metadata names their algorithm): one given
# with another algorithm would be ignored silently.
_UNREAD = {"random": ("draws every candidate afresh", ("population", "tournament", "mutation_prob", "offspring",
                                                        "bandit")),
           "regularized": ("replaces one candidate at a time", ("offspring",)),
           "mu_plus_lambda": ("draws parents uniformly", ("tournament",)),
           "nsga2": ("draws parents uniformly", ("tournament",)),
           "islands": ("replaces one candidate at a time", ("offspring",)),
           "map-elites": ("draws parents from its grid's cells", ("tournament", "offspring"))}


# Settings only some regimes read, by the regime's own row (interpreter.regimes): (does regime r read it, why a
# program of another regime does not).  Given for another, one would be ignored silently, yet ``epochs`` and
# ``hurdle`` are part of a run's identity (a run with them is another archive of the same search).
_READ_BY: dict[str, tuple[Any, str]] = {
    "epochs": (lambda r: "epochs" in r.settings, "is not trained for epochs"),
    "hurdle": (lambda r: r.hurdle, "is scored in full, without a hurdle"),
    "fit": (lambda r: EvolveConfig.fitting(True, r.kinds) is not None,  # an activation's 0.5 or a pg_loss's 0.01
            "trains a network's weights and takes its own constants as written"),  # is neither fitted nor trained
    "prune": (lambda r: EvolveConfig.fitting(True, r.kinds) is not None,
              "is scored by training a network, too dear to rescore its best edit by edit"),
}


@typed
def check_settings_apply(program: Program | str | Path, given: Sequence[str], *,
                         grammar: GrammarSpec | None = None) -> None:
    """Refuse a setting named in ``given`` (``epochs``, ``hurdle``, ``fit``) that ``program``'s regime does not
    read (:data:`_READ_BY`): ``epochs`` for a formula or learner, ``hurdle`` for them, ``fit`` for a network.  The
    one rule: :func:`run`, :func:`export` and :func:`evolve` pass the settings off their defaults, the commands the
    flags typed.  A program that is no one program is left to the one-program rule.  Raises :class:`SettingError`."""
    from mlevolve.interpreter.regimes import regime_of

    if not given:
        return
    try:
        regime = regime_of(program if isinstance(program, Program) else _program(program, grammar or load_grammar()))
    except (MlevError, KeyError):  # no definitions, or a mix: the one-program rule's to report
        return
    for name in given:
        if (refused := _unread(name, regime)) is not None:
            raise refused


def _unread(name: str, regime: Any) -> SettingError | None:
    """The :class:`SettingError` for setting ``name`` given for a program of ``regime``, which does not read it;
    None where it does (:data:`_READ_BY`)."""
    from mlevolve.interpreter.regimes import REGIMES

    reads, why = _READ_BY[name]
    if reads(regime):
        return None
    *others, last = [r.label for r in REGIMES.values() if reads(r)]
    readers = f"{', '.join(others)} and {last}" if others else last
    return SettingError(f"{{{name}}} does not apply to {with_article(regime.label)} program: it {why}",
                        hint=f"drop {{{name}}}; it applies to {readers} programs")


def _restarts(every: int, population: int) -> None:
    """Refuse a ``restart_every`` that is no int, negative, or between 0 and ``population`` (an epoch
    begins by scoring a whole new population, so a shorter one would never leave its seeding)."""
    _at_least(0, restart_every=every)
    if 0 < every < population:
        raise SettingError("{restart_every} must be 0 (never) or at least the {population}, {low}, got {got}",
                           hint="an epoch begins by scoring a whole new population: pass {restart_every} 0 or "
                           "{low} or more", low=population, got=every)


def _owners() -> dict[str, str]:
    """The settings only one algorithm reads (their field's metadata), by name: the algorithm."""
    return {f.name: f.metadata["algorithm"] for f in (*fields(DiversityConfig), *fields(EvolveConfig))
            if "algorithm" in f.metadata}


def algorithm_reads(algorithm: str, name: str) -> bool:
    """Whether a run of ``algorithm`` reads setting ``name`` (an :class:`EvolveConfig` or :class:`DiversityConfig`
    field): the rule :func:`check_settings_read` refuses by, and what a report lists as the run's settings."""
    return _owners().get(name, algorithm) == algorithm and name not in _UNREAD.get(algorithm, ("", ()))[1]


def check_settings_read(algorithm: str, given: Sequence[str]) -> None:
    """Refuse a setting named in ``given`` (:func:`evolve`'s parameters, :class:`DiversityConfig`'s fields) that
    ``algorithm`` would ignore: an island or MAP-Elites setting with another algorithm, random search's population
    or tournament.  The one rule: :func:`evolve` passes the settings off their defaults, ``mlevolve evolve`` the
    flags typed (so ``--tournament 3`` with nsga2 is refused although 3 is the default).  Raises :class:`SettingError`.
    """
    from mlevolve.gp.search import ALGORITHMS

    owner = _owners()
    for name in given if algorithm in ALGORITHMS else ():  # an unknown algorithm: refused as such (evolve)
        if owner.get(name, algorithm) != algorithm:
            raise SettingError(f"{{{name}}} is a setting of {{algorithm}} {owner[name]}; this run's is {algorithm}: "
                               "it would be ignored", hint=f"add {{algorithm}} {owner[name]}, or drop {{{name}}}")
        why, unread = _UNREAD.get(algorithm, ("", ()))
        if name in unread:
            readers = ", ".join(a for a in ALGORITHMS if name not in _UNREAD.get(a, ("", ()))[1])
            raise SettingError(f"{{algorithm}} {algorithm} {why}: {{{name}}} would be ignored",
                               hint=f"drop {{{name}}}, or choose an {{algorithm}} that reads it: {readers}")


def _check_bandit(bandit: bool | None, spec: GrammarSpec) -> None:
    """:class:`SettingError` where ``bandit`` is turned off under a grammar with evolved operators: they are
    offered only through the bandit (``gp.portfolio``), so the run would use it anyway."""
    if bandit is False and spec.operators:
        raise SettingError("the grammar {grammar} has " + counted(len(spec.operators), "evolved operator") +
                           ", offered only through the operator bandit: {bandit} would be ignored",
                           hint="drop {bandit} (a grammar with operators always uses the bandit), or evolve with a "
                           "grammar without [operators], e.g. base", grammar=spec.name)


def _check_search_settings(*, budget: int, epochs: int, tournament: int, digits: int, population: int,
                           restart_every: int | None, algorithm: str, bandit: bool | None,
                           diversity: DiversityConfig | None,
                           confirm: int, seed: int, init: str) -> None:
    """:func:`evolve`'s checks of its numeric and named settings, before anything is read: :class:`SettingError`
    for a value out of range, a setting ``algorithm`` does not read, or an unknown ``init``."""
    _at_least(budget=budget, epochs=epochs, tournament=tournament)
    _check_digits(digits)
    _at_least(2, population=population)
    if population > POPULATION_LIMIT:
        raise SettingError("{population} must be at most {limit}, got {got}", got=population,
                           limit=f"{POPULATION_LIMIT:,}", hint="every generation holds this many programs in memory "
                           "(as [inner] population of a meta run is capped)")
    if restart_every is not None:  # None: the run's default (EvolveConfig.restarts), at least the population
        _restarts(restart_every, population)
    check_settings_read(algorithm, [name for name, value, default in (
        ("population", population, EvolveConfig.population), ("tournament", tournament, EvolveConfig.tournament),
        ("restart_every", restart_every or 0, 0), ("bandit", bool(bandit), EvolveConfig.bandit),
        *((f.name, getattr(diversity, f.name), f.default) for f in fields(DiversityConfig) if diversity is not None),
    ) if value != default])
    _confirms(confirm)
    check_seed(seed)
    if init not in INITS:
        raise SettingError("unknown {init} {got!r}",
                           hint=did_you_mean(init, INITS) + "file (start from the file's definitions) or random",
                           got=init)


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
    quiet: bool = False,
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
) -> dict[str, Any]:
    """Evolve the ``evolve`` slots of ``program`` on ``task`` for ``budget`` candidates (each
    proposed program counts once, however it is answered: cache, FEC, probe, hurdle or a full
    evaluation; a formula's constant-fitting and a learner's literal-tuning evaluations come on top, as
    ``fit_evaluations``).
    ``program``: a parsed :class:`Program` or the path of a ``.mlev`` file (a ``str`` is a path, as for :func:`run`).

    The run lives in the SQLite archive ``db`` (default ``runs/<program>-<task>.db``, a grammar's name after the
    task where ``grammar`` is not the base grammar: :func:`~mlevolve.gp.archive.default_path`); calling again
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
    ``prune_cost``; a run given a smaller budget than its archive holds prunes its view's best without keeping it).
    ``show DB HASH`` with the candidate's hash shows it unpruned; ``prune=False`` drops a kept prune.

    The program, the ``--evolve`` names and the task are checked (and the task's data read) before
    PyTorch is imported, so a mistake is reported at once.  Returns a summary: counts of candidates
    by how they were scored, the best fitness, program and hash, and ``answer`` (see
    :func:`mlevolve.results.answer`): the metric, the starting program's score (evaluated apart when
    the run started from random programs), the best's, the gain and its spread, plus ``next``, the
    commands to run next, and ``environment_changed``: how this run's environment differs from the one the
    archive's last run was in (``[]``: the same, or a new archive; said on stderr unless ``quiet``).
    Ctrl-C raises :class:`RunInterrupted`.
    """
    _check_search_settings(budget=budget, epochs=epochs, tournament=tournament, digits=digits, population=population,
                           restart_every=restart_every, algorithm=algorithm, bandit=bandit, diversity=diversity,
                           confirm=confirm, seed=seed, init=init)
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
    for warning in said:
        warnings.warn(warning.message, warning.category, stacklevel=2)
    from mlevolve.interpreter.factory import EvaluatorFactory, evolving_kinds, formula_inputs, tuned_methods

    kinds = evolving_kinds(checked, names)
    given_task = _task_name(checked, task, read_from)
    task_name = _task_name(checked, task, read_from, search="learner" in kinds)
    _prestart_workers(checked, workers, dask)
    from mlevolve.interpreter.tasks import data_source

    source = data_source(task_name)  # read before the data is loaded: a file changed meanwhile is refused next time
    task_data, _ = _ready(checked, spec, task_name, seed, program, task,  # the user's mistakes: no PyTorch before
                          frozenset(n.split(".")[0] for n in names))
    knock_dask(dask)  # after the file, task and data: a mistake there is said first, not hidden by a closed port

    from mlevolve.gp.archive import SCORING_VERSION, Archive
    from mlevolve.gp.backends import make_backend, placed, worker_modules
    from mlevolve.gp.engine import Engine, search_collector
    from mlevolve.gp.progress import Progress
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
                          prune=prune)
    identity = {"program_hash": _program_hash(checked), "program_name": checked.name,
                "program": format(checked), "task": task_name, "evolve": names, "epochs": epochs,
                "grammar": f"{spec.name}:{spec.digest}", "scoring": SCORING_VERSION,
                "data_sha256": source[1] if source else None, **config.identity()}
    path = _run_path(db, checked.name, task_name, given_task, spec.name, identity, config, restart_every)
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
    from mlevolve.meta import provenance

    regime = regime_of_task(task_data)
    in_process = regime.cheap and not parallel
    backend = make_backend(factory, workers, dask, timeout, memory, worker_modules(regime)) \
        if portable and not in_process else None
    interrupted = False
    saved: list[int] = []  # the archive's candidates once the search is over: a stop after it says they are kept
    try:
        try:
            evaluator = factory.build(task_data, spec)
            backend = placed(backend, evaluator, memory, parallel, given=memory_limit is not None)  # a cheap one: here
            with Archive.for_run(path, identity, _SETTINGS) as archive:
                try:
                    # Only once the archive is ours: a refused --db leaves no progress bar or --json-log file behind.
                    replay = not parallel and not archive.meta().get("parallel")
                    if source is not None and archive.meta().get("data_path") != source[0]:
                        archive.set_meta("data_path", source[0])  # where the data is now: `export DB` works anywhere
                    if parallel:
                        archive.set_meta("parallel", True)
                    # without PyTorch's kernel choice: importing it here would cost the coordinator of a parallel run
                    # a second it does not otherwise spend (its workers import it); its version and the CPU's flags
                    # are kept
                    changed = provenance.record(archive, provenance.environment(torch=False))
                    if not quiet and (held := archive.count()):
                        print(resuming_line(path, held, budget), file=sys.stderr, flush=True)  # with the progress
                    if not quiet and changed:
                        from mlevolve.report.summary import environment_note

                        print(environment_note(changed), file=sys.stderr)
                    progress = Progress(budget, quiet=quiet, json_log=json_log,
                                        warmup=lambda: float(getattr(backend, "warmup", 0.0)))
                    try:
                        engine = Engine(checked, names, spec, evaluator, archive, config, progress, backend,
                                        replay=replay)
                        with search_collector():
                            ALGORITHMS[algorithm](engine)
                    finally:
                        progress.close()
                    summary = engine.summary()
                    archived = archive.count()  # more than the budget: a run resumed with a smaller one
                    saved.append(archived)
                    # The summary's best, not archive.best(1): a run resumed with a smaller budget than the
                    # archive holds considers only its first ``budget`` candidates.
                    best = archive.get(summary["best_hash"]) if summary["best_hash"] else None
                    variances, sizes = _target_variances(task_data), _split_sizes(task_data)
                    from mlevolve.gp.prune_best import on_common_draw, prune_best

                    start = _start(archive, checked, evaluator, init, fitted=bool(fitting), origin=start_name)
                    pruned = prune_best(archive, best, evaluator, names, spec, prune=prune, cheap=regime.cheap,
                                        fitted=bool(fitting), kinds=set(kinds), variances=variances, budget=budget,
                                        start=start, keep=archived <= budget,
                                        runners_up=[archive.get(c.hash) for c in engine.hall_of_fame])
                    # on the best's draw, where the prune scored it on one
                    begin = on_common_draw(start, pruned) or start
                    if pruned is not None:
                        summary.update(prune_evaluations=pruned["spent"], prune_cost=pruned["evaluations"])
                    previous = archive.meta().get("summary") or {}
                    if summary["candidates"] >= previous.get("candidates", 0):
                        archive.set_meta("summary", summary)
                    from mlevolve.report.data import failure_reasons

                    # of this run's candidates: a view (a smaller budget than the archive holds) has its first ones only
                    reasons = failure_reasons([r for r in archive.rows() if r.seq < summary["candidates"]]) \
                        if best is None else []
                    archive.set_meta("target_variance", variances)
                    archive.set_meta("split_size", sizes)
                    pairs = None
                    if confirm and best is not None:
                        scored = check(_stored(begin["program"], f"{path}#start"), spec)
                        shown_best = pruned if pruned is not None and pruned.get("program") is not None else None
                        found, key = (shown_best["program"], shown_best["hash"]) if shown_best is not None else \
                            (best.program, best.hash)  # the best shown: pruned, where it is
                        pairs = _confirm(archive, scored, found, best.metrics, task_name, seed, confirm, epochs, spec,
                                         timeout, key)
                except KeyboardInterrupt:
                    interrupted = True
                    raise RunInterrupted(str(path), archive.count()) from None
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            if backend is not None:
                backend.close(interrupted)
        from mlevolve.gp.prune_best import common_start, is_start
        from mlevolve.report.data import common_draw_note, pruned_line, pruned_row
        from mlevolve.results import answer, as_written, shown_algebra, shown_program

        shown = pruned_row(pruned) if pruned is not None else None
        common_note = common_draw_note(pruned, best.hash, best.metrics) if best is not None else None
        if common_note is not None and best is not None and pruned is not None:
            # no edit kept on a common draw: the best as that draw scores it, as the start beside it is
            best = replace(best, fitness=pruned["from_fitness"], metrics=dict(pruned["from_metrics"]))
            summary["best_fitness"] = best.fitness
        best = shown or best  # what is shown for the run's best: pruned, where it was
        same = best is not None and is_start(begin, best.hash, best.program)
        result = answer(best.metrics if best else None, begin["metrics"], variances=variances, sizes=sizes,
                        task=task_name, same_program=same, confirm=pairs,
                        apart=bool(evaluator.fresh_tasks) and not common_start(pruned), written=as_written(begin))
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
        if not engine.hurdled:  # no candidate can be answered by a hurdle: no count of them (0) to show
            summary.pop("hurdle", None)
        else:
            summary.setdefault("hurdle", 0)
        if shown is not None and pruned is not None:  # every best_* field is the shown best's; the search's, apart
            summary.update(best_hash=shown.hash, best_fitness=shown.fitness, pruned_from={
                "hash": pruned["from"], "seq": pruned["from_seq"],
                "fitness": pruned.get("from_fitness", summary["best_fitness"]),
                "metrics": dict(pruned["from_metrics"])})
        return {**summary, "archived": archived, "db": str(path), "best_program": best.program if best else None,
                "best_metrics": dict(best.metrics) if best else None, "program_name": checked.name,
                "task": task_name, "evolve": names, "init": init, "answer": result,
                "next": next_commands(path, None if best is None or archived <= summary["candidates"] else best.hash,
                                      failed=reasons[0]["hash"] if best is None and reasons else None,
                                      front=best is not None and "train_mse" in best.metrics),
                "failures": reasons, "environment_changed": changed}
    except KeyboardInterrupt as stop:  # closing the archive or the workers, summing up: all is saved
        if isinstance(stop, RunInterrupted) or not saved:
            raise
        raise RunInterrupted(str(path), saved[0]) from None


# The settings of a run, as :func:`evolve`'s parameters and its ``diversity``'s fields: a refused resume names them
# as the caller does (the CLI: by their flags, `--islands`; :meth:`~mlevolve.gp.archive.Archive.for_run`).
_SETTINGS = frozenset(inspect.signature(evolve).parameters) | {f.name for f in fields(DiversityConfig)}


def _run_path(db: str | Path | None, name: str, task: str, given_task: str, grammar: str, identity: dict[str, Any],
              config: EvolveConfig, restart_every: int | None) -> Path:
    """The archive of the run :func:`evolve` makes (``db``, else its default path for program ``name`` on ``task``),
    refused before workers start and PyTorch loads where it is damaged, locked or another run's (the default
    archive's hint names a free path), or holds this run as made before a learner search's defaults (:class:`_Before`,
    whose task was ``given_task``)."""
    from mlevolve.gp.archive import Archive, default_path

    path = Path(db) if db is not None else default_path(name, task, grammar)
    # The run this command made before a learner search's defaults (the task as given, no restarts) is refused, at
    # the --db given or at the path it had, with the settings that resume it (never a silently different run).
    own = config.identity()
    before = _Before(given_task, config.restart_every if restart_every is None else 0,
                     {**{k: v for k, v in identity.items() if k not in own}, "task": given_task,
                      **replace(config, restart_every=0).identity()})
    if db is None and not path.exists() and before.defaulted(identity):
        before.refuse_at(default_path(name, given_task, grammar), identity, path)
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


def found_hash(result: Mapping[str, Any]) -> str | None:
    """The hash of the archive's row of the best the search found, from :func:`evolve`'s ``result``: its
    ``best_hash``, or where the best shown is pruned (:mod:`mlevolve.gp.prune`) its ``pruned_from`` hash."""
    return (result.get("pruned_from") or {}).get("hash") or result.get("best_hash")


def resuming_line(path: str | Path, held: int, budget: int) -> str:
    """The line a resumed run starts with: its archive, the candidates it holds, and what the budget leaves."""
    done = counted(held, "candidate")
    if held >= budget:
        return f"resuming {path}: it holds {done}; the budget of {budget:,} is reached, so nothing new is evaluated"
    return f"resuming {path}: {done} archived, {budget - held:,} more to reach the budget of {budget:,}"


def _prestart_workers(program: Program, workers: int, dask: str | None) -> None:
    """Where the run will score in worker processes, start their fork server now: it imports what
    they need (PyTorch for the neural regimes) while this process reads the task."""
    from mlevolve.gp.backends import prestart, worker_modules
    from mlevolve.interpreter.regimes import regime_of

    with contextlib.suppress(MlevError):  # a mistake in the program is reported where it was before
        regime = regime_of(program)
        if not dask and (workers != 1 or not regime.cheap):
            prestart(worker_modules(regime))


def next_commands(db: str | Path, best_hash: str | None = None, failed: str | None = None,
                  front: bool = False) -> builtins.list[str]:
    """The commands to run after a run: inspect the best, write the report, export the best; with ``front`` (a run
    whose programs have a train MSE: formulas), list the Pareto front, its smaller programs and PySR's pick.
    ``best_hash``: the summary's best where it is not the archive's (a run given a smaller budget than its archive holds
    considers the first candidates only), named by its hash's first 12 digits; None: ``--best``.  ``failed``:
    where every candidate failed, the hash of one that failed for the most common reason: shown, and the report
    (there is no best to confirm or export)."""
    import shlex

    stem = Path(db).with_suffix("")
    q = shlex.quote
    report = f"mlevolve report {q(str(db))} -o {q(str(stem) + '.html')}"
    if failed is not None:
        return [f"mlevolve show {q(str(db))} {failed[:12]}", report]
    show, export = ("--best", "--best") if best_hash is None else (best_hash[:12], f"--hash {best_hash[:12]}")
    return [f"mlevolve show {q(str(db))} {show} --confirm 5", report,
            f"mlevolve export {q(str(db))} {export} -o {q(str(script_name(str(stem) + '.py')))}",
            *([f"mlevolve best {q(str(db))} --front"] if front else [])]


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


@typed
def best(db: str | Path, n: int | None = None, digits: int = SHOWN_DIGITS,
         front: bool = False) -> builtins.list[dict[str, Any]]:
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

    ``front``: the run's Pareto front of fitness against size instead (listed whole: ``n`` with it raises
    :class:`SettingError`), by size ascending, its last the fittest (:func:`mlevolve.report.data.front`): ``rank``
    is the place on it, and each has ``size`` (nodes of the evolved definitions), ``score`` (PySR's, the log train
    MSE lost per node; None where there is no ``train_mse``), ``pick`` (whether PySR's ``model_selection="best"``
    picks it, :func:`mlevolve.report.data.selected`: the highest score within 1.5 times the least train MSE, as
    ``SymbolicRegressor`` picks by default; none is without scores) and ``drawn`` (whether the run drew tasks per
    candidate, ``fresh=1``: each fitness is then of its own draw, and the run's best, pruned on a common draw, may
    read below another's), the choice between accuracy and readability PySR and Operon users make.
    """
    from mlevolve.report import data

    if front and n is not None:
        raise SettingError("{n} and {front}: the front is listed whole, from the smallest program to the run's best",
                           "{front} alone, or {n} without it")
    n = 5 if n is None else n
    _at_least(n=n)
    _check_digits(digits)
    run = data.load(db, top=1, digits=digits)
    if front and run.meta.get("kind") == "meta":  # its rows' sizes are the inner runs' program texts' lengths
        raise MlevError("a meta archive's candidates are inner runs, each scored by its AUC: there is no front of "
                        "fitness against size", file=str(db), hint=f"mlevolve best {shlex.quote(str(db))} lists "
                        "the inner runs' best programs; the meta run's answer is its grammar file")
    if front:
        from mlevolve.results import drawn_per_candidate as drawn_tasks

        drawn = drawn_tasks(run.meta.get("task"))
        listed = [{"rank": rank, **data.describe(run, g.representative, g), "first": None, "score": score,
                   "drawn": drawn}  # ranked by size: no entry is first by fitness
                  for rank, (g, score) in enumerate(data.distinct_front(run), 1)]
        pick = data.selected(listed, "best") if listed and listed[0]["score"] is not None else None
        return [{**c, "pick": i == pick} for i, c in enumerate(listed)]
    out = [{"rank": rank, **data.describe(run, g.representative, g)}
           for rank, g in enumerate(data.distinct(run, data.behaviours(run), n), 1)]
    for c in out:
        c["answer"] = _against_start(run, c, 0, 0.0)
    return out


def no_score(db: str | Path) -> tuple[str, str]:
    """What to say (message, hint) of archive ``db`` when it has no candidate with a fitness: whether the
    run finished, and why its candidates failed (see :func:`mlevolve.report.summary.no_score_text`)."""
    from mlevolve.report import data
    from mlevolve.report.summary import no_score_text

    run = data.load(db, top=1)
    return no_score_text(str(db), data.failure_reasons(run.rows), data.state(run) == "finished")


@typed
def show(db: str | Path, key: str | None = None, n: int = 1, confirm: int = 0,
         timeout: float = Resources.timeout, grammar: GrammarSpec | None = None,
         digits: int = SHOWN_DIGITS) -> builtins.list[dict[str, Any]]:
    """The program whose hash starts with ``key`` (default: the ``n`` best behaviours), each with its ancestry.

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
    from mlevolve.report import data

    _at_least(n=n)
    if key is not None and n != 1:  # (as the command line refuses -n with a HASH)
        raise SettingError("{n} must be 1 with a key, which names one program, got {got}", got=n,
                           hint="show(db, n=N) for the N best, or show(db, key) for one program")
    _check_digits(digits)
    _confirms(confirm)
    run = data.load(db, top=n, key=key, digits=digits)
    if run.found is not None:
        out = [{**data.describe(run, run.found, data.group_of(run, run.found)),
                "ancestry": data.ancestry(run, run.found)}]
    else:
        groups = data.distinct(run, data.behaviours(run), n)
        if not groups:
            message, hint = no_score(db)
            raise MlevError(message, file=str(db), hint=hint)
        out = [{"rank": rank, **data.describe(run, g.representative, g),
                "ancestry": data.ancestry(run, g.representative)} for rank, g in enumerate(groups, 1)]
    spec = archived_grammar(run.meta, db, grammar) if confirm else None
    for c in out:
        c["answer"] = _against_start(run, c, confirm, timeout, spec)
    return out


def _against_start(run: Any, c: Mapping[str, Any], n: int, timeout: float,
                   grammar: GrammarSpec | None = None) -> dict[str, Any] | None:
    """The answer for one archived program against the run's starting program (see
    :func:`mlevolve.results.answer`), with ``n`` > 0 re-evaluation seeds for the gain's spread; None
    for a failed program, or when the archive knows no start and none is re-evaluated."""
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
                 apart=apart, written=as_written(begin))
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
           digits: int = SHOWN_DIGITS) -> dict[str, Any]:
    """Write the HTML run report of archive ``db`` to ``output``; see docs/report.md.

    ``baseline``: another archive of the same task (say, a random-search run) whose best-so-far
    curve is drawn with this run's.  ``digits`` as :func:`best`'s.  Returns a dict of ``output`` (str), ``candidates``
    (the rows read, int) and ``state`` (str: the run finished, in progress or interrupted, or empty).  Raises
    :class:`MlevError` for a missing, foreign or damaged archive, a baseline of another task or kind of run or the
    run's own archive, and an ``output`` that is an archive, in no folder, or a file mlevolve did not write.
    """
    from mlevolve.report import data, page

    _at_least(top=top)
    _check_digits(digits)
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
    text = page.build(run, other, top=top)
    write_atomic(output, text)
    return {"output": str(output), "candidates": len(run.rows), "state": data.state(run) if run.rows else "empty"}


@typed
def export_from_archive(db: str | Path, key: str | None = None, task: str | None = None, *,
                        seed: int | None = None, epochs: int | None = None,
                        grammar: GrammarSpec | None = None, script: str | None = None) -> str:
    """Export the best program of an archive (or the one whose hash starts with ``key``).

    The task is ``task``, or the run's: a run on a data file is exported with the file's absolute
    path (stored in the archive), after checking that the file still holds the data the run was
    scored on, so the export works from any folder.  ``seed`` and ``epochs`` default to the run's;
    ``grammar`` (default: the base grammar) must be the run's (see :func:`archived_grammar`); ``script``
    as :func:`export`'s.  Raises :class:`MlevError` for a missing, foreign or damaged archive, a ``key`` no program
    (or more than one) has, an archive with no scored candidate, and a data file gone or changed since the run.
    """
    _not_empty(task)
    program, meta, spec = _archived(db, key, task, grammar)
    return _export(program, task or _archived_task(meta, db),
                   int(meta.get("seed", EvolveConfig.seed)) if seed is None else seed,
                   int(meta.get("epochs", Settings.epochs)) if epochs is None else epochs, spec, script,
                   ["epochs"] if epochs is not None else [])  # the run's own epochs: a formula run's are unread


@typed
def export_program(db: str | Path, key: str | None = None, *, grammar: GrammarSpec | None = None
                   ) -> tuple[str, builtins.list[str]]:
    """The best program of an archive (or the one whose hash starts with ``key``) as ``.mlev`` text, as
    shown (simplified: the same values) with the run's task (a data file by absolute path), under a
    first comment line naming the archive; and the options with which ``mlevolve run`` scores it as
    the run did (the run's ``--seed`` and ``--epochs`` where they are not the defaults; a meta run's
    program has no task line, being scored on several: ``--task`` its first training task).  What
    ``mlevolve export DB -o FILE.mlev`` writes, for ``mlevolve run`` or a later search to start from; the comment
    line gives those options too (a file kept apart from the command that printed them scores as the run did)."""
    from mlevolve.dsl.check import clamp_ranges
    from mlevolve.dsl.printer import format_program

    program, meta, _ = _archived(db, key, None, grammar, data_task=True, verify=False)  # text: no data read
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


def drawn_per_candidate(text: str) -> bool:
    """Whether the ``.mlev`` ``text`` (:func:`export_program`'s) names a task drawn afresh per program
    (``fresh=1``), whose scores no later run can repeat."""
    from mlevolve.results import drawn_per_candidate as drawn

    return drawn(parse(text).task)


@typed
def archived_program(db: str | Path, key: str | None = None, *, grammar: GrammarSpec | None = None) -> Program:
    """The best program of an archive (or the one whose hash starts with ``key``) as shown, checked in
    the run's grammar (``grammar``, see :func:`archived_grammar`).  Raises :class:`MlevError` naming ``db``."""
    return _archived(db, key, None, grammar)[0]


def _archived(db: str | Path, key: str | None, task: str | None, grammar: GrammarSpec | None,
              data_task: bool = False, verify: bool = True) -> tuple[Program, dict[str, Any], GrammarSpec]:
    """The program (as shown, with ``task``, else the run's task: with ``data_task``, a data file by its
    absolute path, :func:`_archived_task`, checked unless not ``verify``), the archive's meta and the grammar to
    check it in."""
    from mlevolve.report import data
    from mlevolve.results import shown_program

    run = data.load(db, top=1, key=key)
    meta = dict(run.meta)
    # the best as `best` and `show` show it: of programs tied within float rounding, the smallest
    rows = [run.found] if key else [g.representative for g in data.behaviours(run)[:1]]
    if not rows or rows[0] is None:  # (a hash not found is data.load's error) none scored: as `show --best` says
        message, hint = no_score(db)
        raise MlevError(message, file=str(db), hint=hint)
    spec = archived_grammar(meta, db, grammar)
    where = f"{db}#{rows[0].hash[:12]}"
    run_task = meta.get("task") if isinstance(meta.get("task"), str) else None
    # a found program as shown: no hand-written comments (they described the file's program), the run's task
    # line, unless the task's name cannot be written as one (a quote or line break in a file name)
    named = task if meta.get("kind") == "meta" else (  # a meta run's programs have no one task
        task or (_archived_task(meta, db, verify=verify) if data_task else None) or run_task)
    text = shown_program(rows[0].program, task=named, source=where)  # no task line where none can name it
    return _check_archived(text, where, meta, db, spec), meta, spec


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
    if not isinstance(spec, str) or not isinstance(path, str) or not digest:
        return spec if isinstance(spec, str) else None
    options = spec.split(":", 1)[1:]
    absolute = ":".join([path, *options])
    if not verify:
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


@typed
def meta(config: str | Path, db: str | Path | None = None, output: str | Path | None = None, *,
         quiet: bool = False, workers: int = Resources.workers, dask: str | None = Resources.dask) -> dict[str, Any]:
    """Evolve a generator (grammar weights, learned rules, operators) as the meta configuration
    ``config`` says (see ``mlevolve.meta.config``), checkpointed in ``db`` (default
    ``runs/meta-<config>.db``; the same call resumes it), and write the best generator on the
    validation tasks to ``output`` (default: next to ``db``, ``.grammar.toml``).  ``workers`` > 1
    (0: one per core) runs the inner runs in that many processes, ``dask`` (``local:N`` or
    ``tcp://HOST:PORT``) as tasks on a Dask cluster; the result is the same (results are stored in
    the order they were asked for).  Raises MlevError on a bad setting or an unreachable scheduler."""
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
    except MlevError as err:  # the configuration's `evolve`, not a flag: named and placed as such
        from mlevolve.meta.config import config_error

        if isinstance(err, SettingError):
            message = err.rename(lambda _: "evolve").message
        else:  # a definition with no effect on the score: placed at `evolve`, which names it, and said where it is
            at = f":{err.span.line}:{err.span.column}" if err.span is not None else ""
            message = f"evolve: {err.message} ({cfg.program}{at})"
        raise config_error(cfg.source, message, None, "evolve", err.hint) from None
    for warning in said:
        warnings.warn(warning.message, warning.category, stacklevel=2)
    try:  # [inner] epochs and fit as evolve holds its flags: a setting the program's regime does not read is refused
        check_settings_apply(program, [k for k in ("epochs", "fit") if k in cfg.written], grammar=base)
    except SettingError as err:
        from mlevolve.meta.config import config_error

        err.rename(lambda name: name)
        raise config_error(cfg.source, f"[inner] {err.message}", "inner", err.settings[0], err.hint) from None
    cfg = _meta_tasks(replace(cfg, evolve=tuple(names)), program, base)
    runs = Path(os.environ.get("MLEVOLVE_RUNS", "runs"))
    path = Path(db) if db is not None else runs / f"meta-{Path(config).stem}.db"
    out = Path(output) if output is not None else path.with_suffix(".grammar.toml")
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
        if not quiet and (held := archive.count()):  # as evolve's: what is resumed
            print(f"resuming {path}: {counted(held, 'finished inner run')} archived, replayed "
                  "rather than run again", file=sys.stderr, flush=True)
        try:  # a stop from here on (the runs, the pool's shutdown, the summary) says what the archive saved
            best, history, runner, chosen, summary = _meta_runs(cfg, program, archive, quiet, dask, n)
        except KeyboardInterrupt:  # every finished inner run is a row
            raise RunInterrupted(str(path), archive.count()) from None
    try:  # every inner run is saved: a stop now (writing the generator) says so, as one during the runs does
        return _write_generator(out, config, path, cfg, runner, history, chosen, best, summary)
    except KeyboardInterrupt:
        raise RunInterrupted(str(path), int(summary["candidates"])) from None


def _meta_runs(cfg: Any, program: Program, archive: Any, quiet: bool, dask: str | None, n: int) -> tuple[Any, ...]:
    """A meta run's inner runs, on ``dask``, a pool of ``n`` processes or this one, archived in ``archive``: its
    best generator, history, runner, chosen meta-generation's row and summary (also the archive's)."""
    import sys
    from concurrent.futures import ProcessPoolExecutor

    from mlevolve.meta.evolve import MetaRun

    cluster: Any = None
    pool: Any = None
    if dask is not None:  # the engine's cluster/client setup; its executor maps in order
        from mlevolve.gp.backends import DaskBackend

        cluster = DaskBackend(lambda: None, dask)
        pool = cluster.client.get_executor(pure=False)
    elif n > 1:
        from mlevolve.gp.backends import QuietSpawnContext, orphan_guard  # Ctrl-C is this process's to report

        pool = ProcessPoolExecutor(n, mp_context=QuietSpawnContext(), initializer=orphan_guard,
                                   initargs=(os.getpid(),))
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
    last = history[-1] if history else {}
    chosen = history[runner.chosen] if runner.chosen is not None else {
        "validation_auc": runner.base_validation_auc, "validation_score": 0.0 if cfg.meta.fitness == "paired"
        else runner.base_validation_auc}
    summary = {"generations": len(history), "candidates": archive.count(), "inner_runs_fresh": runner.fresh,
               "inner_runs_replayed": runner.replayed, "chosen_generation": runner.chosen,
               "best_validation_auc": chosen.get("validation_auc"),
               "best_validation_score": chosen.get("validation_score"),
               "rules": len(best.rules), "operators": len(best.operators), "digest": best.digest,
               "last_best_auc": last.get("best_fitness")}
    archive.set_meta("summary", summary)
    archive.set_meta("generator", best.to_toml())
    return best, history, runner, chosen, summary


def _stop_workers() -> None:
    """End this process's pool workers at once (SIGTERM) on Ctrl-C.  They ignore it (it is the coordinator's to
    report), so they would run on to the ends of their inner runs, and the pool's shutdown and the interpreter's
    exit (which joins non-daemonic children) wait for them, and on whatever holds them (a stopped ``meta --workers 2``
    was seen running 120 s after the signal, twice, not reproduced since).  Nothing is lost: every finished inner
    run is already a row, and a resume reruns the rest.  The pool's workers are this process's only
    :mod:`multiprocessing` children while it runs."""
    import multiprocessing

    for worker in multiprocessing.active_children():
        worker.terminate()
    for worker in multiprocessing.active_children():
        worker.join(5)


def _write_generator(out: Path, config: str | Path, path: Path, cfg: Any, runner: Any, history: list[dict[str, Any]],
                     chosen: dict[str, Any], best: Any, summary: dict[str, Any]) -> dict[str, Any]:
    """Write a meta run's chosen generator to ``out`` with its header; the run's summary for :func:`meta`."""
    import math

    from mlevolve.meta.provenance import environment, environment_line

    header = (f"mlevolve generator evolved by `mlevolve meta {config}`\n"
              f"archive: {path}; {len(history):,} meta-generations; chosen: "
              f"{'the base grammar' if runner.chosen is None else f'meta-generation {runner.chosen}'}, "
              f"validation AUC {chosen.get('validation_auc', math.nan):.4f} on "
              f"{', '.join(cfg.validation) or 'no tasks'}\n"
              f"sampling: mixed with the base grammar, base_mix = {cfg.meta.base_mix:g}\n"
              f"meta-training tasks: {', '.join(cfg.train)}\n"
              f"environment: {environment_line(environment())}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SettingError("cannot write {path}: {why}", path=str(out), why=err.strerror or str(err),
                           hint="create its folder first, or pass another {output}") from None
    write_atomic(out, best.to_toml(header=header))
    return {**summary, "db": str(path), "output": str(out)}


def _meta_tasks(cfg: Any, program: Program, spec: GrammarSpec) -> Any:
    """Meta configuration ``cfg`` with every task of its split checked as ``run`` checks a task line (its
    options and data read for ``program``'s kind, the program fitted to it: :func:`_ready`), each mistake at
    its ``[split]`` part, and the bounds of every task: a formula's default to [0, 1] (its fitness is R²);
    any other's are ``[bounds]``'s."""
    from mlevolve.interpreter.regimes import regime_of
    from mlevolve.interpreter.standalone.spec import spec_value, split_spec
    from mlevolve.interpreter.tasks import SAMPLE_OPTIONS, canonical_spec
    from mlevolve.meta.config import config_error

    kind = regime_of(program).name
    given, formula = dict(cfg.bounds), kind == "formula"
    bounds: dict[str, tuple[float, float]] = {}  # by one name only: a run resumes whatever the spelling
    seen: dict[str, tuple[str, str]] = {}  # a task's one name: its part and its spelling there
    drawn: dict[str, tuple[str, str]] = {}  # what a task's points are drawn from (no sample sizes): part, spelling
    named: dict[str, tuple[str, ...]] = {}
    for part in ("train", "validation", "test"):
        for t in getattr(cfg, part):
            try:
                _kind_fits(program, t)  # before its data is read
                _ready(program, spec, t, cfg.meta.seed, program, t)
            except MlevError as err:
                where = f"{err.file}: " if err.file and err.span is None else ""  # a data file's cell
                raise config_error(cfg.source, f"[split] {part}: {where}{err.message}", "split", part,
                                   _beside(t, cfg.source, "the configuration's") or err.hint) from None
            if t not in given and not formula:
                raise config_error(cfg.source, f"task {t!r} needs [bounds] {t} = [lo, hi]", "split", part,
                                   hint="only formula tasks have default bounds ([0, 1], their fitness being R^2)")
            name = canonical_spec(t, kind)  # a held-out task spelt another way is still the training task
            if name in seen:
                raise config_error(cfg.source, f"[split] {part}: task {t!r} is task {seen[name][1]!r} of [split] "
                                   f"{seen[name][0]}, written another way", "split", part,
                                   hint=f"a task is in one split, once; both are {name}")
            seen[name] = (part, t)
            base, options = split_spec(name)  # held out: another function, not more or fewer points of one
            source = ":".join([base, *(f"{k}={spec_value(v)}" for k, v in options.items() if k not in SAMPLE_OPTIONS)])
            if (other := drawn.setdefault(source, (part, t)))[0] != part:
                raise config_error(cfg.source, f"[split] {part}: task {t!r} is {other[1]!r} of [split] {other[0]} "
                                   "with other sample sizes: its points come from the same function", "split", part,
                                   hint="a split holds other functions or datasets than the others (another task, "
                                        "or another dim= or target=), not the same with other n_train=, n_tasks=")
            bounds[name] = given.get(t, (0.0, 1.0))
            named[part] = (*named.get(part, ()), name)
    return replace(cfg, bounds=bounds, **named)


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
