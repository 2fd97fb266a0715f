"""A meta run's configuration file: the program and slots, the committed task split, and the budgets.

    program = "../../examples/quartic.mlev"   # relative to this file
    evolve = ["f"]
    [split]                                   # committed before any run; test tasks never enter mining
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
    ranking = "generation"                    # or "pooled": rank on every pair an individual ran on
    shrinkage = 4                             # pooled: pairs of prior evidence at the base grammar's gain
    [bounds]                                  # fitness lo/hi per task for the normalisation
    nguyen1 = [0.0, 1.0]                      # formula tasks default to [0, 1] (fitness: R^2)

Every mistake (unknown key, task or slot, a task in two splits, a bad number) is one
:class:`MlevError` naming the entry.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from mlevolve.dsl.errors import MlevError, toml_error


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
    ranking: str = "generation"  # "generation": this meta-generation's pairs; "pooled": every pair it was run on
    shrinkage: int = 4  # pooled ranking: pairs of prior evidence at a gain of 0 (the base grammar's)


def _choices() -> dict[str, tuple[str, ...]]:
    """The settings that take one of a few words; the inner run's from the engine's own tables."""
    from mlevolve.gp.engine import INITS
    from mlevolve.gp.search import ALGORITHMS

    return {"fitness": ("paired", "auc"), "selection": ("mean", "worst", "mean+worst"),
            "ranking": ("generation", "pooled"),
            "algorithm": tuple(ALGORITHMS), "init": INITS}
_MAY_BE_ZERO = ("seed", "elitism", "base_mix", "protect", "shrinkage")


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

    def identity(self) -> dict[str, Any]:
        """What makes a meta run resumable from its archive (the budgets included)."""
        return {"evolve": list(self.evolve), "train": list(self.train), "validation": list(self.validation),
                "test": list(self.test), "inner": asdict(self.inner), "meta_settings": asdict(self.meta),
                "bounds": {k: list(v) for k, v in sorted(self.bounds.items())}}


_SECTIONS = {"program", "evolve", "split", "inner", "meta", "bounds"}


def _section(data: Mapping[str, Any], name: str, cls: type, file: str) -> Any:
    values = dict(data.get(name, {}))
    known = {f.name for f in fields(cls)}
    for key in values:
        if key not in known:
            raise MlevError(f"[{name}] has no setting {key!r}", file=file, hint=f"settings: {', '.join(sorted(known))}")
    defaults = cls()
    for key, value in values.items():
        want = type(getattr(defaults, key))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            kind = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false"}
            shown = "true" if value is True else "false" if value is False else repr(value)
            raise MlevError(f"[{name}] {key} must be {kind.get(want.__name__, want.__name__)}, got {shown}", file=file)
        if want in (int, float) and (value < 0 or (value == 0 and key not in _MAY_BE_ZERO)):
            least = "0 or more" if key in _MAY_BE_ZERO else "positive"
            raise MlevError(f"[{name}] {key} must be {least}, got {value!r}", file=file)
        if key == "base_mix" and value > 1:
            raise MlevError(f"[{name}] base_mix must be in [0, 1], got {value!r}", file=file,
                            hint="the weight of the base grammar in every inner run's sampling mixture")
        choices = _choices().get(key)
        if choices is not None and value not in choices:
            raise MlevError(f"[{name}] {key} must be one of {', '.join(choices)}, got {value!r}", file=file)
        values[key] = value
    return cls(**values)


def _check_inner(inner: InnerConfig, file: str) -> None:
    """What the inner runs' engine would refuse, found here (before any archive is made): the
    algorithm's own settings at its defaults (islands need 2 members each, more than the migrants),
    and a target the normalised fitness (at most 1) can reach."""
    from mlevolve.dsl.errors import SettingError
    from mlevolve.gp.diversity import DiversityConfig

    try:
        DiversityConfig().check(inner.algorithm, inner.population)
    except SettingError as err:
        raise MlevError(f"[inner] algorithm = {inner.algorithm!r} with population = {inner.population}: "
                        f"{err.rename(lambda name: name).message}", file=file,
                        hint="raise [inner] population (the meta level runs the algorithm's default settings)") \
            from None
    if inner.target > 1:
        raise MlevError(f"[inner] target must be at most 1 (a normalised fitness), got {inner.target!r}", file=file)


def load_config(path: str | Path) -> MetaConfig:
    """Read and validate a meta configuration file (see the module docstring)."""
    from mlevolve.interpreter.tasks import task_info

    p = Path(path)
    file = str(p)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))  # text mode: CR, LF and CRLF alike
    except FileNotFoundError:
        raise MlevError("no such file", file=file, hint="pass a meta configuration, e.g. benchmarks/meta/train.toml") \
            from None
    except (OSError, UnicodeDecodeError) as err:
        raise MlevError(f"cannot read: {err}", file=file) from None
    except tomllib.TOMLDecodeError as err:
        raise MlevError(*toml_error(err), file=file) from None
    for key in data:
        if key not in _SECTIONS:
            raise MlevError(f"unknown entry {key!r}", file=file, hint=f"entries: {', '.join(sorted(_SECTIONS))}")
    if "program" not in data:
        raise MlevError("`program` (the .mlev file whose slots are evolved) is missing", file=file)
    if not isinstance(data["program"], str):
        raise MlevError(f"`program` must be a path (a string), got {data['program']!r}", file=file,
                        hint='program = "../../examples/quartic.mlev" (relative to this file)')
    program = (p.parent / data["program"]).resolve()
    evolve = data.get("evolve", ["all"])
    split = data.get("split", {})
    if not isinstance(evolve, list) or not all(isinstance(e, str) for e in evolve):
        raise MlevError("`evolve` must be a list of definition names", file=file)
    parts: dict[str, tuple[str, ...]] = {}
    for part in ("train", "validation", "test"):
        tasks = split.get(part, [])
        if not isinstance(tasks, list) or not all(isinstance(t, str) for t in tasks):
            raise MlevError(f"[split] {part} must be a list of task names", file=file)
        parts[part] = tuple(tasks)
    for key in split:
        if key not in parts:
            raise MlevError(f"[split] has no part {key!r}", file=file, hint="parts: train, validation, test")
    if not parts["validation"]:
        raise MlevError("[split] validation needs at least 1 task: the output is the best generator on it",
                        file=file, hint="move a task from [split] train to validation")
    if len(parts["train"]) < 2:
        raise MlevError("[split] train needs at least 2 tasks (rules must be reused across tasks)", file=file)
    seen: dict[str, str] = {}
    for part, tasks in parts.items():
        for t in tasks:
            if t in seen:
                raise MlevError(f"task {t!r} is in both [split] {seen[t]} and {part}", file=file,
                                hint="meta-test tasks must never be trained on")
            seen[t] = part
            try:
                task_info(t)
            except MlevError as err:
                raise MlevError(f"[split] {part}: {err.message}", file=file, hint=err.hint) from None
    inner = _section(data, "inner", InnerConfig, file)
    _check_inner(inner, file)
    meta = _section(data, "meta", MetaSettings, file)
    if meta.tasks > len(parts["train"]):
        raise MlevError(f"[meta] tasks = {meta.tasks} but [split] train has {len(parts['train'])}", file=file)
    if meta.ranking == "pooled" and meta.fitness != "paired":
        raise MlevError('[meta] ranking = "pooled" needs fitness = "paired"', file=file,
                        hint="pooled gains are shrunk toward the base grammar's gain of 0, which only paired "
                             "fitness defines")
    if meta.elitism >= meta.population:
        raise MlevError("[meta] elitism must be smaller than the population", file=file)
    bounds: dict[str, tuple[float, float]] = {}
    for t, value in data.get("bounds", {}).items():
        if t not in seen:
            raise MlevError(f"[bounds] names task {t!r}, which is in no split", file=file)
        if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value)
                and value[0] < value[1]):
            raise MlevError(f"[bounds] {t} must be [lo, hi] with lo < hi", file=file)
        bounds[t] = (float(value[0]), float(value[1]))
    for t in seen:
        if t not in bounds:
            if task_info(t).kind != "formula":
                raise MlevError(f"task {t!r} needs [bounds] {t} = [lo, hi]", file=file,
                                hint="only formula tasks have default bounds ([0, 1], their fitness being R^2)")
            bounds[t] = (0.0, 1.0)  # a formula's fitness is its training R^2 (= 1 - MSE / Var(y))
    return MetaConfig(program, tuple(evolve), parts["train"], parts["validation"], parts["test"], inner, meta,
                      bounds, file)
