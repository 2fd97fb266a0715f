"""The fast path: formulas and learners evaluated straight from the IR, with no generated code.

``mlevolve run`` and ``export`` execute code generated from the IR (:mod:`codegen`); a search scores
thousands of candidates per second, where generating and ``compile()``-ing each one costs more than
evaluating it.  Here each body of a checked formula or learner is linearised once (memoised per IR
node) into a post-order list of instructions over numbered registers, and run by one loop:

    register ::= an input | a constant (a Python float, as a literal in generated code) | a temporary
    instruction ::= (fn, i, j)        # the next temporary = fn(reg[i], reg[j], DIM, rng)

Each ``fn`` is the NumPy template of :data:`primitives.NUMPY` with the scalar-broadcast and
constant rules of code generation applied (:func:`primitives.numpy_expression`), turned into a
function once per process: one definition of every primitive, so the fast path and the generated
code compute the same numbers (``tests/interpreter/test_fastpath.py`` holds them to bit-identical results).
The result plugs into the runtime's loops unchanged: a formula is a callable for
``runtime.run_formula``, a learner a ``runtime.LearnerProgram`` for ``runtime.run_learner``.

Only the regimes whose values are NumPy arrays go this way (formula, learner); neural kinds keep
the code generator.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from types import ModuleType
from typing import Any

import numpy as np

from mlevolve.dsl.check import infer
from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Call, Definition, Expr, Let, Num, Program, Ref, Tup
from mlevolve.dsl.kinds import slots
from mlevolve.dsl.traverse import walk
from mlevolve.dsl.types import INT, SCALAR, VECTOR, Type, type_str
from mlevolve.grammar.spec import GrammarSpec
from mlevolve.interpreter import opcodes, primitives
from mlevolve.interpreter.codegen import call_arg_types
from mlevolve.interpreter.regimes import Regime, regime_of
from mlevolve.interpreter.standalone.common import Budget, CandidateFailure
from mlevolve.interpreter.standalone.learner import LearnerProgram, draw, learner_predictions, run_learner

__all__ = ["Body", "Interpreted", "compiled_formula", "compiled_kernel", "formula_function", "interpret",
           "linearise"]


Instruction = tuple[Callable[..., Any], int, int]
Reg = tuple[str, int]  # while linearising: ("input" | "const" | "zero" | "temp" | "tuple", number)
_PLACEHOLDER = re.compile(r"\{(\d+|\*)\}")


@cache
def _function(expression: str) -> Callable[..., Any]:
    """``lambda a0, a1, DIM, rng: expression``, made once per process per distinct expression (a
    primitive with one broadcast pattern): the expression is a template of ``primitives.NUMPY``
    applied to the names ``a0``, ``a1``, never program text."""
    names = {"np": np, "draw": draw}
    fn: Callable[..., Any] = eval(f"lambda a0, a1, DIM, rng: {expression}", names)
    return fn


def _check_table() -> None:
    """Every NumPy template takes at most two arguments by position (the instruction format)."""
    for key, tpl in primitives.NUMPY.items():
        found = set(_PLACEHOLDER.findall(tpl))
        if not found <= {"0", "1"}:
            raise RuntimeError(f"the NumPy template of {key} uses {sorted(found)}: the fast path takes {{0}}, {{1}}")


_check_table()


@dataclass(frozen=True, slots=True)
class Body:
    """One linearised body.  Registers: ``n_inputs`` inputs (then ``rng`` for a learner method),
    ``constants``, ``zeros`` (a setup's memory read before it is set: fresh zeros of each type), then
    one temporary per instruction.  ``result`` is a register, or a tuple of them for a tuple result.

    ``kernel`` and ``ranks``: the same instructions for the compiled learner interpreter
    (:mod:`~mlevolve.interpreter.kernel`), rows ``[opcode, a, b]`` (:mod:`~mlevolve.interpreter.opcodes`),
    and every register's rank; None when a primitive of the body has no opcode (then its program
    takes this NumPy path)."""

    n_inputs: int
    constants: tuple[Any, ...]
    zeros: tuple[str, ...]
    code: tuple[Instruction, ...]
    result: int | tuple[int, ...]
    kernel: np.ndarray | None = field(default=None, compare=False, repr=False)
    ranks: np.ndarray | None = field(default=None, compare=False, repr=False)

    def function(self, dim: int, rng: bool) -> Callable[..., Any]:
        """The body as a function of its inputs (then the ``rng`` of a learner method, when ``rng``),
        with ``DIM = dim``: what the generated ``def`` is.  A closure over the instructions, so a call
        costs one loop step per instruction and nothing else."""
        code, constants, result = self.code, self.constants, self.result
        shapes = tuple(() if t == SCALAR else (dim,) if t == VECTOR else (dim, dim) for t in self.zeros)

        def run(*args: Any) -> Any:
            regs = [*args, *constants]
            for shape in shapes:  # a setup's memory read before it is set
                regs.append(np.zeros(shape))
            draws = args[-1] if rng else None
            for fn, i, j in code:
                regs.append(fn(regs[i], regs[j], dim, draws))
            if isinstance(result, int):
                return regs[result]
            return tuple([regs[i] for i in result])

        return run


@lru_cache(maxsize=8192)
def linearise(body: Expr, params: tuple[str, ...], env: tuple[tuple[str, Type], ...], spec: GrammarSpec,
              types: frozenset[str] = frozenset(), zeros: tuple[str, ...] = (), rng: bool = False) -> Body:
    """The instructions of ``body`` in ``env`` (the checker's view of it: names with their types, and
    the ``types`` it computes with, which fix each node's type and so its template), taking
    ``params`` as inputs in order (then ``rng`` when ``rng``) and starting each name of ``zeros`` at
    zero.  Memoised per (body, signature): IR nodes are immutable and compared by digest.

    Iterative post-order over an explicit stack, as :func:`codegen.function_lines` walks the body,
    with the same value kinds: a literal (or a name bound to one) is a Python float, which never
    gains broadcast axes and is made an ``np.float64`` when it is a result.  Raises
    :class:`MlevError`, as code generation does, for a primitive with no NumPy template."""
    env_map = dict(env)
    types_of = infer(body, env_map, spec, types)
    n_inputs = len(params) + (1 if rng else 0)
    # Registers are numbered as they are met, then renumbered: inputs, constants, zeros, temporaries.
    constants: list[Any] = []
    code: list[tuple[Callable[..., Any], tuple[str, int], tuple[str, int]]] = []
    ops: list[int | None] = []  # each instruction's opcode, and its result's type (the kernel's encoding)
    temp_types: list[str] = []
    scope: dict[str, tuple[Reg, bool]] = {p: (("input", k), False) for k, p in enumerate(params)}
    for k, name in enumerate(zeros):
        scope[name] = (("zero", k), False)
    tuples: list[tuple[Reg, ...]] = []

    def as_result(item: tuple[Reg, bool]) -> Reg:
        reg, number = item
        if number:  # a constant result is an np.float64 (as ``codegen._value`` makes it)
            constants.append(np.float64(constants[reg[1]]))
            return ("const", len(constants) - 1)
        return reg

    frames: list[tuple[Expr, dict[str, tuple[Reg, bool]], int, list[tuple[Reg, bool]]]] = [(body, scope, 0, [])]
    counter = 0
    done: tuple[Reg, bool] = (("const", 0), False)
    while frames:
        node, sc, index, kids = frames[-1]
        children = node.children()
        if len(kids) < len(children):
            child_scope = sc
            if isinstance(node, Let) and len(kids) == 1:
                child_scope = {**sc, node.name: kids[0]}
            counter += 1
            frames.append((children[len(kids)], child_scope, counter, []))
            continue
        frames.pop()
        if isinstance(node, Num):
            value = int(node.value) if node.is_int and types_of[index] == INT else float(node.value)
            constants.append(value)
            done = (("const", len(constants) - 1), True)
        elif isinstance(node, Ref):
            done = sc[node.name]
        elif isinstance(node, Let):
            done = kids[1]
        elif isinstance(node, Tup):  # a result (tuples do not nest): each item made a value like a result
            tuples.append(tuple(as_result(item) for item in kids))
            done = (("tuple", len(tuples) - 1), False)
        else:
            assert isinstance(node, Call)
            arg_types = call_arg_types(node, index, types_of)
            expression = primitives.numpy_expression(node.op, arg_types, [f"a{k}" for k in range(len(kids))],
                                                     [number for _, number in kids])
            if expression is None:
                raise MlevError(f"'{node.op}({', '.join(arg_types)})' has no numpy implementation", node.span,
                                "this primitive cannot be used in this kind of definition")
            if len(kids) > 2:  # no template of the table takes more (checked at import): a grammar's own op
                raise MlevError(f"'{node.op}' takes {len(kids)} arguments: the fast path takes at most 2", node.span)
            if not kids:  # a function of no argument: it is passed a constant it never reads
                constants.append(0.0)
            first = kids[0][0] if kids else ("const", len(constants) - 1)
            second = kids[1][0] if len(kids) > 1 else first
            code.append((_function(expression), first, second))
            ops.append(opcodes.opcode(node.op, arg_types, type_str(types_of[index])))
            temp_types.append(type_str(types_of[index]))
            done = (("temp", len(code) - 1), False)
        if frames:
            frames[-1][3].append(done)
    reg = done[0] if done[0][0] == "tuple" else as_result(done)  # may add a constant: before numbering
    base = {"input": 0, "const": n_inputs, "zero": n_inputs + len(constants),
            "temp": n_inputs + len(constants) + len(zeros)}

    def number(reg: Reg) -> int:
        return base[reg[0]] + reg[1]

    result = tuple(number(r) for r in tuples[reg[1]]) if reg[0] == "tuple" else number(reg)
    zero_types = tuple(type_str(env_map[n]) for n in zeros)
    instructions = tuple((fn, number(a), number(b)) for fn, a, b in code)
    kernel = ranks = None
    if all(op is not None for op in ops) and all(isinstance(c, float) for c in constants):
        # registers: inputs (then the rng a learner method takes, read by no opcode), constants, zeros, temporaries
        reg_types = [type_str(env_map[p]) for p in params] + ["Scalar"] * (n_inputs - len(params))
        reg_types += ["Scalar"] * len(constants) + list(zero_types) + temp_types
        if all(t in ("Scalar", "Vector", "Matrix") for t in reg_types):
            kernel = opcodes.encode([op for op in ops if op is not None], [(i, j) for _, i, j in instructions])
            ranks = opcodes.ranks(reg_types)
    return Body(n_inputs, tuple(constants), zero_types, instructions, result, kernel, ranks)


def _not_run(*args: Any) -> Any:
    raise AssertionError("a learner given its predictions is not run")


_PREDICTED = LearnerProgram((), _not_run, _not_run)  # what run_learner is given with the predictions made
_KERNEL: list[ModuleType | None] = []  # the kernel module once imported (or None: numba is not installed)


def compiled_kernel() -> ModuleType | None:
    """:mod:`mlevolve.interpreter.kernel` (the compiled learner interpreter), or None when numba is not
    installed or the environment sets ``MLEVOLVE_NO_JIT=1`` (read at each call): then learners run on
    this module's NumPy path, the reference.  numba is imported once, on the first learner scored."""
    if os.environ.get("MLEVOLVE_NO_JIT", "") == "1":
        return None
    if not _KERNEL:
        try:
            from mlevolve.interpreter import kernel
        except ImportError:  # numba missing (or broken): the NumPy path
            _KERNEL.append(None)
        else:
            _KERNEL.append(kernel)
    return _KERNEL[0]


@dataclass(frozen=True)
class Interpreted:
    """A formula or learner program ready for the fast path: what :class:`codegen.Compiled` is for
    generated code (``regime``, ``n_inputs`` for :func:`tasks.check_task_fits`), with
    :meth:`instantiate` in place of executing source.  For a program of a regime other than the
    NumPy ones it holds no bodies (``check_task_fits`` then rejects it for a cheap task)."""

    regime: Regime
    n_inputs: int = 0
    formula: Body | None = None
    state_types: tuple[str, ...] = ()
    methods: Mapping[str, Body] | None = None  # learner: setup (optional), predict, learn

    @property
    def category(self) -> str:
        """The regime's name (as :attr:`codegen.Compiled.category`)."""
        return self.regime.name

    def instantiate(self, dim: int = 0) -> Any:
        """The object the runtime loop takes (as ``PROGRAM`` of generated code): a formula's
        function of its inputs, or a learner's ``runtime.LearnerProgram`` for ``dim`` features."""
        if self.formula is not None:
            return self.formula.function(0, rng=False)
        if self.methods is None:
            raise ValueError(f"a {self.category} program is not evaluated by the fast path")
        methods = {kind: body.function(dim, rng=True) for kind, body in self.methods.items()}
        return LearnerProgram(state_types=self.state_types, predict=methods["predict"],
                                      learn=methods["learn"], setup=methods.get("setup"))

    @cached_property
    def _encoded(self) -> tuple[Any, ...] | None:
        kernel = compiled_kernel()
        return None if kernel is None or self.methods is None else kernel.encoded(self.methods, self.state_types)

    def learner_predictions(self, data: dict[str, Any], *, seed: int = 0, budget: Budget | None = None) -> Any:
        """What :func:`standalone.learner.learner_predictions` returns (and raises) for this learner:
        by the compiled interpreter (:func:`compiled_kernel`) when it is available and implements every
        primitive of the program, else by the NumPy path (its numbers may differ in the last digits:
        see :mod:`~mlevolve.interpreter.kernel`)."""
        budget = budget or Budget()
        kernel = compiled_kernel()
        program = None if kernel is None else self._encoded  # encoded only when the kernel is there to run it
        if kernel is None or program is None:
            return learner_predictions(data, self.instantiate(int(data["x_train"].shape[-1])), seed=seed, budget=budget)
        started = time.perf_counter()
        pred, step, worst, nonfinite = kernel.predictions(data, program, budget.max_error, seed)
        n_steps = int(data["x_train"].shape[1])
        if time.perf_counter() - started > budget.max_seconds:  # checked once: the kernel cannot be interrupted
            raise CandidateFailure(f"over the time budget of {budget.max_seconds:g} s", "training")
        if step <= n_steps:
            what = "not finite" if nonfinite else f"off by {worst:.3g}"
            raise CandidateFailure(f"diverged: a prediction is {what} (more than {budget.max_error:g} "
                                   "from its target)", f"training step {step} of {n_steps}")
        return pred

    def run_learner(self, data: dict[str, Any], *, seed: int = 0, budget: Budget | None = None) -> dict[str, Any]:
        """What the learner regime's loop (:func:`standalone.learner.run_learner`) returns for this
        learner, its predictions by :meth:`learner_predictions`."""
        budget, started = budget or Budget(), time.perf_counter()
        pred = self.learner_predictions(data, seed=seed, budget=budget)
        metrics = run_learner(data, _PREDICTED, seed=seed, budget=budget, pred=pred)  # the loop's own metrics
        metrics["train_seconds"] = round(time.perf_counter() - started, 6)
        return metrics


def interpret(program: Program, spec: GrammarSpec) -> Interpreted:
    """Linearise a checked program's formula, or its learner's methods (see :func:`linearise`).
    Raises :class:`MlevError` where :func:`codegen.compile_program` does, for the same programs."""
    regime = regime_of(program)
    if not regime.cheap:
        return Interpreted(regime)
    d = program.definitions[0]
    if d.kind == "formula":  # all Scalars: linearised without type inference (the same Body)
        from mlevolve.interpreter.formula_code import scalar_formula

        scalar = scalar_formula(d)
        if scalar is not None:
            return Interpreted(regime, len(d.params), formula=scalar)
    by_slot = {s.name: s for s in slots(program)}
    if d.kind == "formula":  # the regime's one definition: a formula, or a learner
        slot = by_slot[d.name]
        body = linearise(slot.body, tuple(p.name for p in d.params), tuple(slot.env.items()), spec, slot.types)
        return Interpreted(regime, len(d.params), formula=body)
    return Interpreted(regime, state_types=tuple(type_str(p.type) for p in d.params),
                       methods=_learner_methods(d, spec, by_slot))


def _learner_methods(d: Definition, spec: GrammarSpec, by_slot: Mapping[str, Any]) -> dict[str, Body]:
    memory = [p.name for p in d.params]
    out: dict[str, Body] = {}
    for m in d.methods:
        slot = by_slot[f"{d.name}.{m.kind}"]
        env = tuple(slot.env.items())
        if m.kind == "setup":  # setup starts from the memory the runtime starts from without one: zeros
            read = {n.name for n in walk(slot.body) if isinstance(n, Ref)}
            zeros = tuple(n for n in memory if n in read)
            out[m.kind] = linearise(slot.body, (), env, spec, slot.types, zeros, rng=True)
        else:
            params = (*memory, *(p.name for p in m.params))
            out[m.kind] = linearise(slot.body, params, env, spec, slot.types, rng=True)
    return out


def compiled_formula(compiled: Any) -> Callable[..., Any] | None:
    """A fast-path formula (an :class:`Interpreted` one) as a function of its input columns evaluated
    by the compiled formula kernel (:mod:`~mlevolve.interpreter.formula_kernel`), or None when that
    is not available (:func:`compiled_kernel`) or does not run this formula.  Its numbers differ from
    the NumPy path's in the last bits through ``exp``, ``log``, ``sin``, ``cos``, ``tanh``, so the
    evaluator uses it for the FEC probe only; a score is NumPy's, which ``mlevolve run`` reproduces."""
    if not isinstance(compiled, Interpreted) or compiled.formula is None or compiled_kernel() is None:
        return None
    from mlevolve.interpreter.formula_kernel import function

    return function(compiled.formula)


def formula_function(program: Program, spec: GrammarSpec) -> Callable[..., Any]:
    """A checked formula program as a function of its inputs (NumPy arrays or numbers), by the fast path."""
    return interpret(program, spec).instantiate(0)  # type: ignore[no-any-return]
