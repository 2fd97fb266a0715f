"""The caller's settings checked before anything heavy runs: ranges of counts and seeds, output paths
(never over a source file or an archive), the task named and its data read, and which settings an
algorithm or a program's kinds read (a setting given where nothing reads it is refused).
"""

from __future__ import annotations

import builtins
import contextlib
import math
import os
import shlex
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from mlevolve.arguments import typed
from mlevolve.dsl.errors import (
    DATA_SUFFIXES,
    MlevError,
    SettingError,
    check_types,
    did_you_mean,
)
from mlevolve.dsl.types import with_article
from mlevolve.gp.archive import runs_folder
from mlevolve.gp.diversity import DiversityConfig
from mlevolve.gp.engine import INITS, EvolveConfig
from mlevolve.grammar.spec import GrammarSpec
from mlevolve.interpreter.settings import Settings
from mlevolve.interpreter.standalone.common import SEED_LIMIT
from mlevolve.messages import AT_LEAST, BELOW_2_63, SEED_RANGE, counted
from mlevolve.meta.config import most

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


def check_max_time(max_time: float | None) -> None:
    """Raise :class:`SettingError` for a ``max_time`` (a search's wall-clock limit, seconds; None: none) that is no
    number, not above 0, or not finite (nan, inf: leave it out for no limit)."""
    if max_time is None:
        return
    check_types({}, {"max_time": max_time})
    if not 0 < max_time < math.inf:
        raise SettingError("{max_time} must be a positive, finite number of seconds, got {got:.12g}", got=max_time,
                           hint="the search's wall-clock limit, e.g. 60 or 0.5; leave it out for no limit (the "
                                "budget alone ends the run)")


@typed
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


@typed
def check_output(path: str | Path, setting: str = "output", kind: str | None = None) -> None:
    """Raise :class:`SettingError` (naming ``setting``) when ``path`` is to be written in a directory
    that does not exist (an output path is not a place to create directories by accident; but ``runs/``,
    :func:`~mlevolve.gp.archive.runs_folder`, is made as a default path's is), or, with
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
    if not parent.is_dir() and parent.resolve() == runs_folder().resolve():  # mlevolve's own folder: made
        parent.mkdir(parents=True, exist_ok=True)
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


@typed
def shadowed(path: str | Path) -> str | None:
    """The module a script written to ``path`` would shadow for itself and the scripts beside it (``csv.py``:
    ``csv``, standard library or :data:`SCRIPT_IMPORTS`), else None."""
    stem = Path(path).stem
    return stem if Path(path).suffix == ".py" and (stem in sys.stdlib_module_names or stem in SCRIPT_IMPORTS) \
        else None


@typed
def script_name(path: str | Path) -> Path:
    """``path``, renamed ``NAME_found.py`` where its name would shadow a module (:func:`shadowed`)."""
    out = Path(path)
    return out.with_name(f"{out.stem}_found.py") if shadowed(out) else out


@typed
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


@typed
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


@typed
def check_apart(archive: str | Path, setting: str, path: str | Path | None, what: str, *, defaulted: bool) -> None:
    """Raise :class:`SettingError` when ``path``, a second file a command writes (its ``setting``), is the run's
    ``archive`` (``defaulted``: the default, no ``db`` given) by resolved path (``./a.db`` is ``a.db``) or as a
    hard link: ``what`` it writes would destroy the archive (meta's generator written over it, evolve's JSON log
    appended into the SQLite file).  Both may not exist yet, so no other check sees it."""
    if path is None:
        return
    out, archive = Path(path), Path(archive)
    if out.resolve() == archive.resolve() or (out.is_file() and archive.is_file() and os.path.samefile(out, archive)):
        example = archive.with_suffix(".grammar.toml" if setting == "output" else ".jsonl")
        archive_is = "its default archive, as no {db} is given" if defaulted else "the run's archive ({db} {archive})"
        raise SettingError(f"{{{setting}}} {{path}} is {archive_is}: {what}",
                           hint=f"pass another {{{setting}}}, e.g. {{{setting}}} {{example}}", path=str(path),
                           archive=str(archive), example=shlex.quote(str(example)))


@typed
def check_json_log(path: str | Path, db: str | Path) -> None:
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
    if (db := Path(db)).exists():
        with Archive.read(db) as archive:
            rows = {(r.seq, r.hash) for r in archive.rows()}
    last = max((seq for seq, _ in rows), default=None)  # later lines: candidates a crash lost, scored again
    if last is None or not all((e["seq"], e["hash"]) in rows or e["seq"] > last for e in logged):
        raise SettingError("{path} is the JSON log of another run (its candidates are not in {db}): it is not "
                           "appended to", hint="pass another {json_log}, or move the file away first",
                           path=str(path), db=str(db))
    if any(e["seq"] > last for e in logged):  # logged, then lost uncommitted by a kill: the resumed run logs them
        write_atomic(out, "".join(line + "\n" for line, e in zip(lines, logged, strict=True) if e["seq"] <= last))


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


@typed
def algorithm_reads(algorithm: str, name: str) -> bool:
    """Whether a run of ``algorithm`` reads setting ``name`` (an :class:`EvolveConfig` or :class:`DiversityConfig`
    field): the rule :func:`check_settings_read` refuses by, and what a report lists as the run's settings."""
    return _owners().get(name, algorithm) == algorithm and name not in _UNREAD.get(algorithm, ("", ()))[1]


@typed
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
                           confirm: int, seed: int, init: str, max_time: float | None = None) -> None:
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
    check_max_time(max_time)
    if init not in INITS:
        raise SettingError("unknown {init} {got!r}",
                           hint=did_you_mean(init, INITS) + "file (start from the file's definitions) or random",
                           got=init)
