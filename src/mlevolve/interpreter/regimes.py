"""The training regimes: one :class:`Regime` record per way a program is trained and scored, in one
table, :data:`REGIMES`.

A regime says which component kinds make its programs, which kind of task it trains on (the
regime's name is the task kind of :class:`mlevolve.interpreter.tasks.TaskInfo`), how a compiled
program is wired for its loop (the ``PROGRAM = ...`` line), which standalone modules hold its loop
and its task loader (what an export copies), which settings the loop takes, where the FEC probes
look, and whether a short training makes a hurdle.  Code generation, evaluation, probing, export
and the task check look the regime up here; adding a regime is a standalone loop module, a loader
module and one row (``tests/interpreter/test_regimes.py`` holds every row to the same contract).

This module imports no torch: the loops are named, and imported only when a program is trained.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Program
from mlevolve.dsl.types import type_str, with_article
from mlevolve.interpreter.names import py_name
from mlevolve.interpreter.standalone.data_control import CONTROL
from mlevolve.interpreter.standalone.data_density import DENSITY, DIGITS_DENSITY
from mlevolve.interpreter.standalone.data_formula import FORMULAS
from mlevolve.interpreter.standalone.data_learner import FAMILIES, PROJECTED_DIGITS
from mlevolve.interpreter.standalone.data_supervised import SUPERVISED
from mlevolve.interpreter.standalone.spec import split_spec
from mlevolve.interpreter.tasks import Control, Density, Family, Points, Supervised

Backend = Literal["torch", "numpy"]
STANDALONE = "mlevolve.interpreter.standalone"


@dataclass(frozen=True)
class Loader:
    """A standalone task loader: ``function`` of module ``module`` (under :data:`STANDALONE`), called
    ``function(spec, seed=...)``, loads the built-in tasks in ``names`` (None: a user's data file) as
    the dict of arrays the regime's loop takes."""

    module: str
    function: str
    names: frozenset[str] | None = None
    table: str = "{}"  # the options its tasks take, as the script names them: what its spec_name reads


COMPILER_STACK = "torch._dynamo"
"""PyTorch's compiler stack, which ``torch.optim``'s ``step`` and the meta device's decompositions (a large model's
size, counted by ``standalone.supervised.check_size``) import on first use: about a second, 40 MiB of address space."""


@dataclass(frozen=True)
class Regime:
    """One training regime (see the module docstring).

    ``module``/``loop``: the standalone module (under :data:`STANDALONE`) and function of the
    training loop, called ``loop(data, PROGRAM, **settings)`` with the :class:`Settings` fields
    named in ``settings``.  ``loaders``: the standalone loaders of its tasks (of type ``task`` in
    the library), one per source of data; a script carries the one its task needs
    (:meth:`loader_for`), called with ``load_args`` (the program's part) for a data file.  ``wiring``
    writes the ``PROGRAM = ...`` line of a program.  ``probe``, what functional-equivalence probing
    runs: ``"points"`` (the program's outputs on the task's training points), ``"learning"`` (its
    predictions after training on a few examples of each task) or ``"components"`` (each definition
    on fixed probe tensors).  ``fits``: a search may fit the program's constants before scoring it
    (:mod:`mlevolve.interpreter.fit`).
    ``single``: a program is exactly one definition; otherwise ``at_most_one`` lists the kinds
    that may appear once.  ``dim``: the generated code reads ``DIM``, the task's feature count.
    ``check``: a function of the loop's module that the library (not an exported script) runs before
    the loop, failing a program the search's budget rules out (a model too big to allocate).
    ``imports``: modules every program's loop imports lazily, which a worker imports before it takes a candidate
    (``gp.backends.worker_modules``): ``torch._dynamo``, about a second, where the loop steps a ``torch.optim``
    optimizer (its ``step`` imports it).
    ``kernels``: the numba-compiled modules (under ``mlevolve.interpreter``) whose ``warm()`` compiles, or loads from
    numba's cache, what this regime's candidates call (:meth:`warm`): a formula run pays for the formula kernels
    only, a learner run for the learner kernel only (in a fresh checkout each costs seconds to a minute).
    """

    name: str
    kinds: tuple[str, ...]
    backend: Backend
    task: type
    module: str
    loop: str
    loaders: tuple[Loader, ...]
    settings: tuple[str, ...]
    wiring: Callable[[Program], str]
    probe: Literal["points", "learning", "components"]
    hurdle: bool
    fits: bool = False
    single: bool = True
    at_most_one: tuple[str, ...] = ()
    dim: bool = False
    check: str = ""  # a function of the loop's module the library runs first: check(data, PROGRAM, budget)
    load_args: Callable[[Program], str] = lambda program: ""
    imports: tuple[str, ...] = ()
    kernels: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The regime's name as messages write it: "RL" (reinforcement learning), else the name itself."""
        return "RL" if self.name == "rl" else self.name

    @property
    def cheap(self) -> bool:
        """Whether a search scores this regime's programs on the fast path (:mod:`~mlevolve.interpreter.fastpath`):
        the NumPy regimes, whose programs run no generated code and whose memory is bounded by the data."""
        return self.backend == "numpy"

    def warm(self) -> float:
        """Compile, or load from numba's cache, the kernels this regime's candidates call (:attr:`kernels`), where
        the compiled path is on (``fastpath.compiled_kernel``: numba installed, ``MLEVOLVE_NO_JIT`` unset); the
        wall seconds numba spent compiling them (:func:`~mlevolve.interpreter.compiling.compile_seconds`: 0.0
        where every kernel came from numba's cache, about 1.5 s of loading, or where the path is off or the regime
        has none; tens of seconds in a fresh checkout)."""
        from mlevolve.interpreter.fastpath import compiled_kernel

        if not self.kernels or compiled_kernel() is None:
            return 0.0
        from mlevolve.interpreter.compiling import compile_seconds

        before = compile_seconds()
        for name in self.kernels:
            importlib.import_module(f"mlevolve.interpreter.{name}").warm()
        return compile_seconds() - before

    def loader_for(self, spec: str) -> Loader:
        """The loader of the task ``spec`` names: the one listing its name, else the data files' one."""
        name = split_spec(spec)[0]
        found = next((x for x in self.loaders if x.names is not None and name in x.names), None)
        found = found or next((x for x in self.loaders if x.names is None), None)
        if found is None:
            raise MlevError(f"no loader of {self.name} tasks loads '{name}'", hint="export for a built-in task")
        return found

    def train(self, data: dict[str, Any], program: Any, settings: Any) -> dict[str, Any]:
        """Run the regime's loop on ``data`` with the wired ``program`` and the ``settings`` it takes."""
        module = importlib.import_module(f"{STANDALONE}.{self.module}")
        if self.check:
            getattr(module, self.check)(data, program, settings.budget)
        loop = getattr(module, self.loop)
        result: dict[str, Any] = loop(data, program, **{k: getattr(settings, k) for k in self.settings})
        return result


def method_name(learner: str, method: str) -> str:
    """The DSL-level name of a learner method's function, e.g. ``linreg_learn`` (see :func:`py_name`);
    a learner program holds one definition, so no other global name can meet it."""
    return f"{learner}_{method}"


def _supervised_wiring(program: Program) -> str:
    defs = {d.kind: d for d in program.definitions}
    if "model" in defs:
        model = py_name(defs["model"].name)
    elif "activation" in defs:
        model = f"lambda: default_model({py_name(defs['activation'].name)})"
    else:
        model = "default_model"
    parts = [f"model={model}"]
    for kind in ("loss", "optimizer", "schedule", "augment"):
        if kind in defs:
            parts.append(f"{kind}={py_name(defs[kind].name)}")
    return "PROGRAM = SupervisedProgram(" + ", ".join(parts) + ")"


def _learner_wiring(program: Program) -> str:
    d = program.definitions[0]
    types = ", ".join(repr(type_str(p.type)) for p in d.params)
    setup = py_name(method_name(d.name, "setup")) if d.method("setup") else "None"
    return (f"PROGRAM = LearnerProgram(state_types=({types},), predict={py_name(method_name(d.name, 'predict'))}, "
            f"learn={py_name(method_name(d.name, 'learn'))}, setup={setup})")


def _objective_wiring(cls: str) -> Callable[[Program], str]:
    """One objective: ``cls`` of its kind and function."""

    def wiring(program: Program) -> str:
        d = program.definitions[0]
        return f'PROGRAM = {cls}("{d.kind}", {py_name(d.name)})'

    return wiring


def _formula_inputs(program: Program) -> str:
    """A formula on a data file: its parameters, which name the file's columns."""
    return f", inputs={tuple(p.name for p in program.definitions[0].params)!r}"


REGIMES: Mapping[str, Regime] = {r.name: r for r in (
    Regime("supervised", ("activation", "loss", "model", "optimizer", "augment", "schedule"), "torch", Supervised,
           "supervised", "train_supervised",
           (Loader("data_supervised", "supervised_task", frozenset(SUPERVISED)),
            Loader("data_supervised", "supervised_file", table="USER_OPTIONS")),
           ("epochs", "batch_size", "seed", "budget"), _supervised_wiring, "components", hurdle=True, single=False,
           at_most_one=("loss", "model", "optimizer", "augment", "schedule"), check="check_size"),
    Regime("learner", ("learner",), "numpy", Family, "learner", "run_learner",
           (Loader("data_learner", "learner_task", frozenset(FAMILIES), "FAMILY_OPTIONS"),
            Loader("data_learner", "digits_task", frozenset({PROJECTED_DIGITS}), "family_options(PROJECTED_DIGITS)"),
            Loader("data_learner", "learner_file", table="LEARNER_FILE_OPTIONS")),
           ("seed", "budget"), _learner_wiring, "learning", hurdle=False, dim=True, kernels=("kernel",)),
    Regime("formula", ("formula",), "numpy", Points, "formula", "run_formula",
           (Loader("data_formula", "formula_task", frozenset(FORMULAS), "FORMULA_OPTIONS"),
            Loader("data_formula", "formula_file", table="FILE_OPTIONS")),
           (), lambda program: f"PROGRAM = {py_name(program.definitions[0].name)}", "points", hurdle=False, fits=True,
           load_args=_formula_inputs, kernels=("formula_kernel",)),
    Regime("rl", ("pg_loss", "td_loss"), "torch", Control, "rl", "train_rl",
           (Loader("data_control", "control_task", frozenset(CONTROL)),),
           ("epochs", "seed", "budget"), _objective_wiring("RLProgram"), "components", hurdle=True,
           imports=(COMPILER_STACK,)),
    Regime("generative", ("vae_loss", "flow_loss"), "torch", Density, "generative", "train_generative",
           (Loader("data_density", "density_task", frozenset({*DENSITY, DIGITS_DENSITY})),),
           ("epochs", "seed", "budget"), _objective_wiring("GenerativeProgram"), "components", hurdle=True,
           imports=(COMPILER_STACK,)),
)}
_BY_KIND = {kind: r for r in REGIMES.values() for kind in r.kinds}
_BY_TASK = {r.task: r for r in REGIMES.values()}


def warm_kernels() -> float:
    """Warm every regime's kernels (:meth:`Regime.warm`): what CI and the test session do first, so that no test's
    fresh process is the first to compile one; the seconds numba spent compiling them (0.0 from its cache)."""
    return sum(r.warm() for r in REGIMES.values())


def regime_of(program: Program) -> Regime:
    """The regime of a checked program, by its definitions' kinds; raises :class:`MlevError` for a
    program that mixes regimes, holds more than a single-definition regime allows, or is empty."""
    if not program.definitions:
        raise MlevError("the program has no definitions", program.span, "add an activation, model, learner...")
    kinds = [d.kind for d in program.definitions]
    single = next((d for d in program.definitions if _BY_KIND[d.kind].single), None)
    if single is not None:
        regime = _BY_KIND[single.kind]
        if len(kinds) != 1:  # at the first definition past the one it holds
            extra = next(d for d in program.definitions if d is not single)
            raise MlevError(f"{with_article(regime.label)} program holds exactly one definition, the {single.kind} "
                            f"{single.name}; it also defines {extra.kind} {extra.name}", extra.span,
                            "put the other definitions in their own file, one program each; `mlevolve export "
                            "FILE --component NAME` takes one definition out of a file of several")
        return regime
    regime = _BY_KIND[kinds[0]]
    for kind in regime.at_most_one:
        if kinds.count(kind) > 1:  # at the second one
            first, second = [d for d in program.definitions if d.kind == kind][:2]
            raise MlevError(f"a program has at most one {kind}; {second.name} is a second, after {first.name}",
                            second.span, f"keep one {kind} and remove the others (each can be a program of its "
                                         "own, in a file of its own)")
    if regime.name == "supervised" and "model" not in kinds and kinds.count("activation") > 1:
        first, second = [d for d in program.definitions if d.kind == "activation"][:2]  # the default model takes one
        raise MlevError(f"a program without a model has at most one activation, the default model's; {second.name} "
                        f"is a second, after {first.name}", second.span,
                        "keep one activation, or write a model that uses them")
    return regime


def regime_of_task(task: Any) -> Regime:
    """The regime that trains on ``task`` (by its type)."""
    return _BY_TASK[type(task)]
