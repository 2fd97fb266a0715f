"""A meta run's configuration file: the program and slots, the committed task split, and the budgets.

    program = "../../examples/quartic.mlev"   # relative to this file
    evolve = ["f"]
    [split]                                   # committed before any run; test tasks never enter mining;
                                              # a data file's path (data/h.csv:target=y) relative to this file
    train = ["nguyen1", "nguyen3", "nguyen5"]
    validation = ["nguyen2"]
    test = ["nguyen4", "nguyen6", "nguyen7", "nguyen8"]
    [inner]                                   # each short inner run
    budget = 300
    population = 30
    tournament = 5
    target = 0.99                             # success: normalised best fitness >= target
    [meta]
    population = 8
    generations = 6
    tasks = 2                                 # training tasks sampled per meta-generation
    seeds = 2                                 # inner seeds per task
    seed = 0
    fitness = "paired"                        # or "auc": how a generator is scored (see evolve.py)
    base_mix = 0.2                            # λ: the base grammar's share of every sampling choice
    selection = "mean+worst"                  # or "mean", "worst": the choice on the validation tasks
    protect = 2                               # meta-generations a new operator's carrier survives
    ranking = "generation"                    # or "pooled": rank on every pair an individual ran on;
                                              # or "race": a challenger meets the champion on equal pairs
                                              # or "validated": pooled, then the elites ordered by the
                                              # mean of pooled gain and validation score
    shrinkage = 4                             # pooled, validated, race: pairs of prior evidence at gain 0
    race_pairs = 16                           # race: the most pairs a challenger and the champion share
    race_margin = 0                           # race: standard errors of the paired difference to displace by
                                              # (above 0: the first champion must beat the base grammar so)
    race_hold = false                         # race, margin above 0: a champion whose gain over all its pairs
                                              # is within race_margin SE of 0 is deposed for the base grammar
    max_step = 0                              # trust region: a snapshot moves from the last one toward the
                                              # generation's best by at most this total-variation distance
                                              # of each type's production distribution (0: off, at most 1)
    [bounds]                                  # fitness lo/hi per task for the normalisation
    nguyen1 = [0.0, 1.0]                      # formula tasks default to [0, 1] (fitness: R^2)

Every mistake (unknown key, task or slot, a task in two splits, a bad number) is one
:class:`MlevError` naming the entry, at ``FILE:LINE:COL`` of its key, or of the item of a list it is about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from mlevolve.dsl.errors import (
    MlevError,
    decode_utf8,
    did_you_mean,
    read_bytes,
    source_lines,
    toml_key_span,
    toml_loads,
    toml_text,
    toml_value,
    wrong_kind,
)
from mlevolve.dsl.ir import Span
from mlevolve.messages import in_repository


@dataclass(frozen=True)
class InnerConfig:
    """One inner evolution run: the budget the meta-fitness is measured at."""

    budget: int = 300
    population: int = 30
    tournament: int = 5
    algorithm: str = "regularized"
    init: str = "random"
    epochs: int = 1
    elites: int = 5  # distinct best bodies per run fed to rule mining
    target: float = 0.99
    fit: bool = False  # fit before scoring, as `mlevolve evolve --fit` does: formulas' constants, learners' literals


@dataclass(frozen=True)
class MetaSettings:
    """The meta-level GP."""

    population: int = 8
    generations: int = 6
    tasks: int = 2
    seeds: int = 2
    seed: int = 0
    elitism: int = 2
    tournament: int = 3
    halving: bool = True
    rules_per_generation: int = 4  # the mined pool each generation
    min_tasks: int = 2  # a rule must compress elites of this many tasks
    validation_seeds: int = 2
    fitness: str = "paired"  # "paired": mean AUC gain over the base grammar on the same (task, seed); "auc"
    base_mix: float = 0.2  # λ: every inner run samples from (1 - λ)·generator + λ·base, per result type
    selection: str = "mean+worst"  # validation choice: "mean", "worst" (task) or "mean+worst" (their average)
    protect: int = 2  # meta-generations an individual carrying a newly added operator is kept (0: off)
    ranking: str = "generation"  # "generation": this meta-generation's pairs; "pooled": every pair it was run on;
    # "validated": pooled, then the elites by the mean of pooled gain and validation score
    shrinkage: int = 4  # pooled, validated and race rankings: pairs of prior evidence at a gain of 0 (base grammar's)
    race_pairs: int = 16  # race ranking: the most (task, seed) pairs a challenger and the champion are compared on
    race_margin: float = 0.0  # race ranking: standard errors of the paired difference a challenger must win by
    race_hold: bool = False  # race ranking: the champion must hold race_margin over all its pairs at every race
    max_step: float = 0.0  # trust region: the most total variation between consecutive snapshots (0: off)


def _choices() -> dict[str, tuple[str, ...]]:
    """The settings that take one of a few words; the inner run's from the engine's own tables."""
    from mlevolve.gp.engine import INITS
    from mlevolve.gp.search import ALGORITHMS

    return {"fitness": ("paired", "auc"), "selection": ("mean", "worst", "mean+worst"),
            "ranking": ("generation", "pooled", "race", "validated"),
            "algorithm": tuple(ALGORITHMS), "init": INITS}
_MAY_BE_ZERO = ("seed", "elitism", "base_mix", "protect", "shrinkage", "race_margin", "max_step")
# The most an integer setting takes, and why: past it a meta run would not end in any useful time, or would
# exhaust memory, before saying so (as `mlevolve sample --depth` is capped).  [meta] seed takes check_seed's range.
_MOST: Mapping[str, tuple[int, str]] = {
    "inner.budget": (1_000_000, "each meta-individual runs one inner run of this many candidates per task and seed"),
    "inner.population": (100_000, "every inner run holds this many programs"),
    "inner.tournament": (100_000, "a tournament draws from the population"),
    "inner.epochs": (10_000, "a neural candidate trains this many epochs"),
    "inner.elites": (10_000, "rule mining compares the elites of every run"),
    "meta.population": (10_000, "each meta-individual runs tasks x seeds inner runs per meta-generation"),
    "meta.generations": (100_000, "each meta-generation runs the whole meta-population"),
    "meta.tasks": (10_000, "each task is an inner run per meta-individual and seed"),
    "meta.seeds": (10_000, "each seed is an inner run per meta-individual and task"),
    "meta.elitism": (10_000, "elites are kept from the meta-population"),
    "meta.tournament": (10_000, "a tournament draws from the meta-population"),
    "meta.rules_per_generation": (10_000, "each mined rule is scored on every elite"),
    "meta.min_tasks": (10_000, "a rule must compress elites of this many tasks"),
    "meta.validation_seeds": (10_000, "each seed is an inner run per validation task and generator"),
    "meta.protect": (100_000, "meta-generations an operator's carrier is kept"),
    "meta.shrinkage": (1_000_000, "pairs of prior evidence"),
    "meta.race_pairs": (1_000_000, "each pair is an inner run of the challenger and of the champion"),
}


def most(key: str) -> int:
    """The bound of setting ``key`` (``"inner.population"``), its one owner: what a meta configuration takes
    and what the API (:data:`mlevolve.api.POPULATION_LIMIT`) takes for the same setting of a run of its own."""
    return _MOST[key][0]


@dataclass(frozen=True)
class MetaConfig:
    """The whole configuration; ``source`` is the file it came from."""

    program: Path
    evolve: tuple[str, ...]
    train: tuple[str, ...]
    validation: tuple[str, ...]
    test: tuple[str, ...]
    inner: InnerConfig = field(default_factory=InnerConfig)
    meta: MetaSettings = field(default_factory=MetaSettings)
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    source: str = ""
    written: frozenset[str] = field(default=frozenset(), compare=False)  # the [inner] keys the file writes
    # the tasks whose bounds are the default (a formula's [0, 1]: its R^2, 0 being no better than the mean)
    default_bounds: frozenset[str] = field(default=frozenset(), compare=False)
    # each task's spelling in [split], by the name the run knows it by (its one name, once the split is checked
    # for the program: warnings and progress lines quote the task as the user wrote it)
    spelling: Mapping[str, str] = field(default_factory=dict, compare=False)
    # each task's [bounds] key as the file writes it (it may spell the task another way than [split] does)
    bounds_keys: Mapping[str, str] = field(default_factory=dict, compare=False)

    def written_as(self, task: str) -> str:
        """``task`` (a name the run knows it by) as the configuration's [split] writes it."""
        return self.spelling.get(task, task)

    def identity(self) -> dict[str, Any]:
        """What makes a meta run resumable from its archive (the budgets included)."""
        settings = asdict(self.meta)
        if not settings["max_step"]:  # off: archives made before the setting existed keep their identity
            del settings["max_step"]
        return {"evolve": list(self.evolve), "train": list(self.train), "validation": list(self.validation),
                "test": list(self.test), "inner": asdict(self.inner), "meta_settings": settings,
                "bounds": {k: list(v) for k, v in sorted(self.bounds.items())}}


_SECTIONS = {"program", "evolve", "split", "inner", "meta", "bounds"}


@dataclass(frozen=True)
class _Text:
    """A configuration file's name and text: where each of its errors points (``FILE:LINE:COL``, the key)."""

    file: str
    text: str

    def error(self, message: str, table: str | None = None, key: str | None = None,
              hint: str | None = None) -> MlevError:
        """An error about ``key`` of ``table`` (None: the top level; no key: the table's header)."""
        return MlevError(message, toml_key_span(self.text, table, key) if table or key else None, hint, self.file)

    def entry_error(self, message: str, table: str | None, key: str, entry: str, hint: str | None = None,
                    nth: int = 1, strip: bool = False) -> MlevError:
        """An error about ``entry``, one string of the list ``key`` of ``table`` (None: the top level's; a task of
        ``[split] train``; its ``nth`` writing there): at the entry as written (:func:`toml_entry_span`), else at the
        key."""
        return MlevError(message, toml_entry_span(self.text, table, key, entry, nth, strip), hint, self.file)

    def value(self, value: object, kind: str, table: str | None, key: str, example: str | None = None,
              noun: str | None = None, hint: str | None = None) -> Any:
        """``value``, ``key`` of ``table``, as read if it is of ``kind`` (:func:`~mlevolve.dsl.errors.toml_value`),
        else the error at the key naming the type (``hint``: the error's own, instead of the type's)."""
        name = f"[{table}] {key}" if table else f"[{key}]" if kind == "table" else f"`{key}`"
        return toml_value(value, kind, name, key, lambda m, h: self.error(m, table, key, hint or h), example, noun)


def config_error(path: str | Path, message: str, table: str | None = None, key: str | None = None,
                 hint: str | None = None) -> MlevError:
    """An error found after loading (say ``evolve`` naming no definition of the program), placed at
    ``key`` of ``table`` in the configuration file ``path`` as :func:`load_config`'s own errors are."""
    return _Text(str(path), config_text(path)).error(message, table, key, hint)


def config_entry_error(path: str | Path, message: str, table: str | None, key: str, entry: str,
                       hint: str | None = None, nth: int = 1, strip: bool = False) -> MlevError:
    """An error found after loading about ``entry``, one string of the list ``key`` of ``table`` in the configuration
    file ``path`` (a task of ``[split] train``, a name of ``evolve``), at the entry's own place
    (:func:`toml_entry_span`)."""
    return _Text(str(path), config_text(path)).entry_error(message, table, key, entry, hint, nth, strip)


def toml_entry_span(text: str, table: str | None, key: str, entry: str, nth: int = 1,
                    strip: bool = False) -> Span | None:
    """Where TOML ``text`` writes the string ``entry`` (its ``nth`` time) in the array ``key`` of ``table`` (inside
    its quotes; the array over one line or several, under the table's header or in an inline table
    ``table = {key = [...]}``), else where it writes the key (:func:`~mlevolve.dsl.errors.toml_key_span`):
    ``train = ["a", "b"]``'s ``b``.  A string is compared as TOML reads it (``"nguyen\\u0031"`` is ``nguyen1``);
    ``strip``: with the space around it left out, as a reader that strips it (``evolve``) holds it."""
    import re

    at = toml_key_span(text, table, key)
    if at is None:
        return None
    lines = source_lines(text)
    depth, opened = 0, False
    inline = re.compile(r"[{,]\s*(?:" + "|".join(map(re.escape, (key, f'"{key}"', f"'{key}'"))) + r")\s*=\s*")
    for number in range(at.line, len(lines) + 1):
        line, i = lines[number - 1], at.end_column if number == at.line else 0
        while i < len(line):
            c = line[i]
            if c == "#":  # a comment ends the line
                break
            if c in "\"'" and opened:
                end = line.find(c, i + 1)
                while c == '"' and end > 0 and line[end - 1] == "\\":
                    end = line.find(c, end + 1)
                if end < 0:
                    return at
                read = _toml_string(line[i:end + 1])
                nth -= (read.strip() if strip and read is not None else read) == entry
                if not nth:
                    return Span(number, i + 2, number, max(end, i + 2))
                i = end
            elif c == "[":
                depth, opened = depth + 1, True
            elif c == "]":
                depth -= 1
                if depth <= 0:
                    return at
            elif not opened and c == "{" and (found := inline.search(line, i)):  # table = {..., key = [...]}
                i = found.end() - 1
            elif not opened and c not in " \t=":  # not an array: the key is the place
                return at
            i += 1
    return at


def _toml_string(written: str) -> str | None:
    """The string TOML reads from ``written``, one basic or literal string with its quotes; None where it is none."""
    import tomllib

    try:
        value = tomllib.loads(f"v = {written}")["v"]
    except tomllib.TOMLDecodeError:
        return None
    return value if isinstance(value, str) else None


def config_text(path: str | Path) -> str:
    """The text of the configuration file ``path`` (universal newlines), which its errors and warnings point into;
    "" where it can no longer be read (its errors then name no place)."""
    try:
        return Path(path).read_text(encoding="utf-8")  # text mode: universal newlines
    except (OSError, UnicodeDecodeError):
        return ""


def _section(data: Mapping[str, Any], name: str, cls: type, at: _Text) -> Any:
    values = dict(at.value(data.get(name, {}), "table", None, name, noun="a table of settings",
                           hint=f"write them under a [{name}] header, one `setting = value` a line"))
    known = {f.name for f in fields(cls)}
    for key in values:
        if key not in known:
            raise at.error(f"[{name}] has no setting {key!r}", name, key,
                           hint=did_you_mean(key, known) + f"settings: {', '.join(sorted(known))}")
    defaults = cls()
    for key, value in values.items():
        default = getattr(defaults, key)
        example = f"for example {key} = {_toml(default)} (the default)"
        kind = {int: "integer", float: "number", str: "string", bool: "boolean"}[type(default)]
        value = at.value(value, kind, name, key, f"{_toml(default)} (the default)")
        value = value.strip() if kind == "string" else value  # " islands" is islands, as --algorithm ' islands' is
        if kind in ("integer", "number") and (value < 0 or (value == 0 and key not in _MAY_BE_ZERO)):
            least = "0 or more" if key in _MAY_BE_ZERO else "positive"
            raise at.error(f"[{name}] {key} must be {least}, got {value!r}", name, key, hint=example)
        if key == "seed":  # the one seed rule of --seed, the API and scripts
            from mlevolve.api import check_seed
            from mlevolve.dsl.errors import SettingError

            try:
                check_seed(value)
            except SettingError as err:
                raise at.error(err.rename(lambda _: f"[{name}] seed").message, name, key, hint=err.hint) from None
        most, why = _MOST.get(f"{name}.{key}", (None, ""))
        if most is not None and value > most:
            raise at.error(f"[{name}] {key} must be at most {most:,}, got {value!r}", name, key,
                           hint=f"{why}; {example}")
        if key == "base_mix" and value > 1:
            raise at.error(f"[{name}] base_mix must be in [0, 1], got {value!r}", name, key,
                           hint="the weight of the base grammar in every inner run's sampling mixture")
        if key == "max_step" and value > 1:
            raise at.error(f"[{name}] max_step must be in [0, 1], got {value!r}", name, key,
                           hint="a total-variation distance between consecutive snapshots' production "
                                "distributions, at most 1; 0 turns the trust region off, e.g. max_step = 0.05")
        choices = _choices().get(key)
        if choices is not None and value not in choices:
            raise at.error(f"[{name}] {key} must be one of {', '.join(choices)}, got {toml_text(value)}", name, key,
                           hint=did_you_mean(str(value), choices) + example)
        values[key] = value
    return cls(**values)


def _toml(value: Any) -> str:
    """``value`` as TOML writes it (a setting's default, in a hint)."""
    return ("true" if value else "false") if isinstance(value, bool) else f'"{value}"' if isinstance(value, str) \
        else repr(value)


def _check_inner(inner: InnerConfig, at: _Text, given: set[str]) -> None:
    """What the inner runs' engine would refuse, found here (before any archive is made), as ``evolve`` refuses
    it: a population below 2, a setting the algorithm does not read (``given``: the keys the file writes), the
    algorithm's own settings at its defaults (islands need 2 members each, more than the migrants), and a target
    the normalised fitness (at most 1) can reach."""
    from mlevolve.api.checks import _UNREAD
    from mlevolve.dsl.errors import SettingError
    from mlevolve.gp.diversity import DiversityConfig

    if inner.population < 2:
        raise at.error(f"[inner] population must be at least 2, got {inner.population}", "inner", "population",
                       hint="a search varies and selects among 2 programs or more, as evolve --population")
    why, unread = _UNREAD.get(inner.algorithm, ("", ()))
    if ignored := [key for key in unread if key in given]:
        raise at.error(f"[inner] {ignored[0]} would be ignored: algorithm = {toml_text(inner.algorithm)} {why}",
                       "inner", ignored[0], hint=f"drop {ignored[0]}, as evolve refuses --{ignored[0]} with it")

    try:
        DiversityConfig().check(inner.algorithm, inner.population)
    except SettingError as err:
        least = err.values.get("enough")  # the smallest population the check would take, at the default settings
        raise at.error(f"[inner] algorithm = {toml_text(inner.algorithm)} with population = {inner.population}: "
                       f"{err.rename(lambda name: name).message}", "inner", "algorithm",
                       hint=(f"population = {least} or more" if least is not None else "raise [inner] population")
                       + " (the meta level runs the algorithm's default settings)") from None
    if inner.target > 1:
        raise at.error(f"[inner] target must be at most 1 (a normalised fitness), got {inner.target!r}", "inner",
                       "target", hint="the normalised best fitness a run must reach to count as a success, e.g. 0.99")


def load_config(path: str | Path) -> MetaConfig:
    """Read and validate a meta configuration file (see the module docstring).  Every mistake is one
    :class:`MlevError` at ``FILE:LINE:COL`` of the key it is about (of the ``[table]`` header for a
    table's own mistake; the file alone where nothing in it is at fault: a missing ``program``).  A task's
    name is checked here; its options and data, and the bounds of a task that is not a built-in formula's,
    by :func:`mlevolve.api.meta`, which knows the program that runs on it."""
    from mlevolve.interpreter.tasks import check_task_name, is_data_file, task_info

    p = Path(path)
    file = str(p)
    raw = read_bytes(p, "a meta configuration", "no such file",
                     f"pass a meta configuration, e.g. {in_repository('benchmarks/meta/train.toml')}",
                     "write it to a .toml file and give its path")
    decoded = decode_utf8(raw, file, "a meta configuration (TOML)")  # an archive named as such; binary; not UTF-8
    try:
        data, text = toml_loads(decoded, file)  # as a grammar's
        at = _Text(file, text)
        for key in data:
            if key not in _SECTIONS:
                raise at.error(f"unknown entry {key!r}", None, key,
                               hint=did_you_mean(key, _SECTIONS) + f"entries: {', '.join(sorted(_SECTIONS))}")
    except MlevError:
        wrong_kind(decoded, file, "a meta configuration")  # a program or grammar file: said so, not its syntax
        raise
    if "program" not in data:
        raise MlevError("`program` (the .mlev file whose slots are evolved) is missing", file=file,
                        hint='add program = "PATH.mlev" at the top (relative to this file)')
    given = at.value(data["program"], "string", None, "program", noun="a path (a string)",
                     hint='program = "../../examples/quartic.mlev" (relative to this file)')
    program = Path(beside_config(p, given)).resolve()
    if not given.strip() or not program.is_file():  # "": it read as this file's folder
        raise at.error("`program` is empty" if not given.strip() else f"`program` names a folder: {program}"
                       if program.is_dir() else f"`program` names no file: {program}", None,
                       "program", hint="the .mlev file whose slots are evolved, relative to this configuration")
    evolve = tuple(name.strip() for name in at.value(  # space around a name typed is none of it, as --evolve's
        data.get("evolve", ["all"]), "strings", None, "evolve", noun="a list of definition names",
        hint='evolve = ["f"], or ["all"] (the default)'))
    for i, name in enumerate(evolve):  # an item of the list, not --evolve's "f," (the flag's comma wording)
        if not name:
            raise at.entry_error(f"evolve[{i + 1}] is an empty name", None, "evolve", "", strip=True,
                                 hint="write a definition's name in each item, as evolve = [\"f\", \"g\"], or drop "
                                      "the empty one")
    split = at.value(data.get("split", {}), "table", None, "split", noun="a table of task lists",
                     hint="write train = [...], validation = [...], test = [...] under a [split] header")
    parts: dict[str, tuple[str, ...]] = {}
    for part in ("train", "validation", "test"):
        parts[part] = at.value(split.get(part, []), "strings", "split", part, noun="a list of task names",
                               hint=f'{part} = ["nguyen1", "nguyen2"] (`mlevolve tasks` lists them)')
    for key in split:
        if key not in parts:
            raise at.error(f"[split] has no part {key!r}", "split", key,
                           hint=did_you_mean(key, parts) + "parts: train, validation, test")
    if "split" not in data:
        raise at.error("the [split] table is missing: a meta run needs its train, validation and test tasks", None,
                       hint='add [split] with train = ["nguyen1", "nguyen3"], validation = ["nguyen2"], test = [...]')
    if not parts["validation"]:
        raise at.error("[split] validation needs at least 1 task: the output is the best generator on it",
                       "split", "validation", hint="move a task from [split] train to validation")
    if not parts["test"]:  # part of the run's identity: an archive made without them could never be measured
        raise at.error("[split] test needs at least 1 task: the held-out tasks the evidence measures the generator on",
                       "split", "test", hint='name them before the run, e.g. test = ["nguyen4"]: the archive keeps '
                       f"the split, and {in_repository('benchmarks/meta/evidence.py')} refuses a configuration other "
                       "than the one that made it")
    if len(parts["train"]) < 2:
        raise at.error("[split] train needs at least 2 tasks (rules must be reused across tasks)", "split", "train",
                       hint="name 2 or more tasks in [split] train (`mlevolve tasks` lists them)")
    seen: dict[str, str] = {}
    read: dict[str, str] = {}  # each task as written: as read, its data file's path from the configuration's folder
    for part, tasks in parts.items():
        for i, t in enumerate(tasks):
            if not t.strip():  # an item of the list: its place, not a task spec's wording of ''
                raise at.entry_error(f"[split] {part}[{i + 1}] is an empty task name", "split", part, t,
                                     hint="write a task in each item (`mlevolve tasks` lists them), or drop the "
                                          "empty one")
            if t in seen and seen[t] == part:
                raise at.entry_error(f"task {t!r} is given twice in [split] {part}", "split", part, t,
                                     hint="name each task once: a task given twice would count twice", nth=2)
            if t in seen:
                why = ("meta-test tasks must never be trained on or validated on" if "test" in (seen[t], part) else
                       "the validation tasks choose among generators trained on the others: they must be unseen")
                raise at.entry_error(f"task {t!r} is in both [split] {seen[t]} and {part}", "split", part, t,
                                     hint=f"{why}; keep it in one part")
            seen[t] = part
            try:
                check_task_name(t)
            except MlevError as err:
                raise at.entry_error(f"[split] {part}: {err.message}", "split", part, t, hint=err.hint) from None
            read[t] = beside_config(p, t, task=True)
            if (first := next((w for w in read if w != t and read[w] == read[t]), None)) is not None:
                # one data file by two relative paths: quoted each as written (the run knows a task by what it
                # reads, so a later message would quote one spelling for both)
                raise at.entry_error(f"[split] {part}: task {t!r} is task {first!r} of [split] {seen[first]}, "
                                     "written another way", "split", part, t,
                                     hint=f"a task is in one split, once; both are {read[t]}")
    inner = _section(data, "inner", InnerConfig, at)
    _check_inner(inner, at, set(data.get("inner", {})))
    meta = _section(data, "meta", MetaSettings, at)
    if meta.tasks > len(parts["train"]):
        raise at.error(f"[meta] tasks = {meta.tasks} but [split] train has {len(parts['train']):,}", "meta", "tasks",
                       hint="sample at most as many training tasks per meta-generation as [split] train names")
    if meta.min_tasks > meta.tasks:  # a rule compresses elites of min_tasks tasks of those a meta-generation samples
        raise at.error(f"[meta] min_tasks = {meta.min_tasks} but a meta-generation samples tasks = {meta.tasks}: no "
                       "rule could ever be mined", "meta", "min_tasks", hint=f"min_tasks at most {meta.tasks}")
    for key, rankings in (("shrinkage", ("pooled", "validated", "race")), ("race_pairs", ("race",)),
                          ("race_margin", ("race",)), ("race_hold", ("race",))):  # else never read
        if key in data.get("meta", {}) and meta.ranking not in rankings:
            said = " or ".join(f'"{r}"' for r in rankings)
            raise at.error(f'[meta] {key} is a setting of ranking = {said}; this ranking is "{meta.ranking}": it '
                           "would be ignored", "meta", key, hint=f'add ranking = "{rankings[-1]}", or drop {key}')
    if meta.race_hold and not meta.race_margin > 0:
        raise at.error("[meta] race_hold needs race_margin above 0", "meta", "race_hold",
                       hint="a champion is held to race_margin standard errors above the base grammar's 0: "
                            "add race_margin = 1, or drop race_hold")
    if meta.ranking in ("pooled", "race", "validated") and meta.fitness != "paired":
        raise at.error(f'[meta] ranking = "{meta.ranking}" needs fitness = "paired"', "meta", "ranking",
                       hint="pooled gains are shrunk toward the base grammar's gain of 0, which only paired "
                            "fitness defines")
    if meta.ranking == "race" and meta.elitism < 1:
        raise at.error('[meta] ranking = "race" needs elitism = 1 or more', "meta", "elitism",
                       hint="the champion of the race is kept as an elite, to meet the next challenger")
    if meta.elitism >= meta.population:
        raise at.error("[meta] elitism must be smaller than the population", "meta", "elitism",
                       hint=f"elitism below {meta.population}, or a larger [meta] population")
    bounds: dict[str, tuple[float, float]] = {}
    keys: dict[str, str] = {}  # a task's [bounds] key as written
    given = at.value(data.get("bounds", {}), "table", None, "bounds", noun="a table of task = [lo, hi]",
                     hint="write TASK = [lo, hi] under a [bounds] header")
    by_path = {r: t for t, r in read.items()}  # a task as read: as the split writes it
    spelt = {one: t for t in seen if (one := _one_name(read[t]))}  # a task's one name: its spelling in the split
    for t, value in given.items():
        key = beside_config(p, t, task=True)  # a [bounds] key's data file is read as the split's are
        task = t if t in seen else by_path.get(key) or spelt.get(_one_name(key) or "")  # the split's, however spelt
        if task is None:  # a key's data file is a split task's, read there: one in no split is never read
            raise at.error(f"[bounds] names task {t!r}, which is in no split", "bounds", t,
                           hint=f"tasks in the split: {', '.join(seen)}{_missing_note(key)}")
        if read[task] in bounds:
            also = f", as {keys[read[task]]!r} and {t!r}" if keys[read[task]] != t else ""  # each key as written
            raise at.error(f"[bounds] names task {task!r} twice{also}", "bounds", t,
                           hint="give each task's bounds once")
        pair = at.value(value, "numbers", "bounds", t, "[0.0, 1.0]")
        if not (len(pair) == 2 and pair[0] < pair[1]):
            raise at.error(f"[bounds] {t} must be [lo, hi] with lo < hi, got {toml_text(value)}", "bounds", t,
                           hint="the task's worst and best fitness, for the normalisation")
        bounds[read[task]], keys[read[task]] = (pair[0], pair[1]), t
    given_tasks = set(bounds)
    for t in read.values():
        if t not in bounds and not is_data_file(t) and task_info(t).kind == "formula":
            bounds[t] = (0.0, 1.0)  # a formula's fitness is its training R^2 (= 1 - MSE / Var(y))
    train, validation, test = (tuple(read[t] for t in parts[part]) for part in ("train", "validation", "test"))
    return MetaConfig(program, tuple(evolve), train, validation, test, inner, meta,
                      bounds, file, frozenset(data.get("inner", {})), frozenset(bounds) - frozenset(given_tasks),
                      by_path, keys)


def beside_config(config: str | Path, written: str, task: bool = False) -> str:
    """A path that configuration file ``config`` writes (its ``program``; with ``task``, a ``[split]`` task or
    ``[bounds]`` key, whose data file's path it is, a built-in task's name left as it is) read from the
    configuration's folder, made absolute: ``data/h.csv:target=y`` in ``sub/m.toml`` is
    ``/…/sub/data/h.csv:target=y`` from any current folder, so that a run's identity (its tasks) is the same
    from every folder and resumes from any (:func:`~mlevolve.interpreter.tasks.spec_beside`)."""
    import os

    from mlevolve.interpreter.tasks import spec_beside

    folder = Path(os.path.abspath(config)).parent
    return spec_beside(written, folder) if task else str(folder / written)


def missing_hint(config: str | Path, written: str, message: str) -> str | None:
    """The hint for ``message``, an error about the ``[split]`` task ``written`` (as the configuration ``config``
    writes it), when it says the task's data file is missing: where its relative path was read from and why, and
    the path to write where the current folder holds the file; None for another error or path."""
    import os

    name = _data_file(written) if message.startswith("no such file: ") else None
    if name is None or Path(name).is_absolute():
        return None
    folder = Path(os.path.abspath(config)).parent
    here = (f"; {name} is in the current folder: from the configuration's, it is "
            f"{os.path.relpath(os.path.abspath(name), folder)}") if Path(name).is_file() else ""
    return (f"a [split] task's relative path is read from the configuration's folder ({folder}), wherever the "
            f"command runs, as `program` is: give the path from there, or a full path{here}")


def _missing_note(task: str) -> str:
    """``; no such file: PATH`` where ``task`` (a ``[bounds]`` key as read, :func:`beside_config`) names a data file
    that does not exist (a mistyped path, most likely), else ``''``."""
    name = _data_file(task)
    return f"; no such file: {name}" if name is not None and not Path(name).exists() else ""


def _data_file(task: str) -> str | None:
    """The data file task spec ``task`` names (:func:`~mlevolve.interpreter.tasks.data_file_of`), or None for a
    built-in task or a spec with no name (its own error stands)."""
    from mlevolve.interpreter.tasks import data_file_of

    try:
        return data_file_of(task)
    except MlevError:
        return None


def _one_name(task: str) -> str | None:
    """``task``'s one name (:func:`~mlevolve.interpreter.tasks.canonical_spec`), or None where it names no task."""
    from mlevolve.interpreter.tasks import canonical_spec

    try:
        return canonical_spec(task)
    except MlevError:
        return None
