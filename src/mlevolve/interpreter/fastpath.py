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

import math
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cache, cached_property, lru_cache
from itertools import product
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np

from mlevolve.dsl.check import Literals, check_size, infer, literals_of, resolve, signature
from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Call, Definition, Expr, Let, Num, Program, Ref, Tup
from mlevolve.dsl.kinds import KINDS, slots
from mlevolve.dsl.traverse import walk
from mlevolve.dsl.types import INT, SCALAR, VECTOR, TupleType, Type, type_str
from mlevolve.grammar.spec import GrammarSpec
from mlevolve.interpreter import opcodes, primitives
from mlevolve.interpreter.regimes import Regime, regime_of
from mlevolve.interpreter.standalone.common import Budget, CandidateFailure
from mlevolve.interpreter.standalone.learner import LearnerProgram, draw, learner_predictions

__all__ = ["Body", "Interpreted", "clear_memos", "compiled_formula", "compiled_kernel", "formula_function",
           "interpret", "linearise"]


Instruction = tuple[Callable[..., Any], int, int]
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


Step = tuple[str, tuple[str, ...], tuple[bool, ...]]  # an instruction's op, argument types, which are numbers


@cache
def _step_function(op: str, arg_types: tuple[str, ...], numbers: tuple[bool, ...]) -> Callable[..., Any]:
    """The NumPy function of one instruction: :func:`_function` (made once per process per expression)
    of its template with the broadcast and constant rules of code generation applied.  Memoised per
    step (the op, its argument types, which are numbers: a few hundred in any grammar; the tables are
    fixed, and a test that patches them calls :func:`clear_memos`), so a new Body's :attr:`Body.code`
    is look-ups, not one template formatted per instruction (most of a fitted formula's scoring, measured)."""
    expression = primitives.numpy_expression(op, arg_types, [f"a{k}" for k in range(len(arg_types))], list(numbers))
    assert expression is not None, (op, arg_types)  # linearise admits only ops with a template
    return _function(expression)


def _has_template(op: str, arg_types: tuple[str, ...]) -> bool:
    return primitives.template(primitives.NUMPY, op, arg_types) is not None


@dataclass(frozen=True, eq=False)
class Body:
    """One linearised body.  Registers: ``n_inputs`` inputs (then ``rng`` for a learner method),
    ``constants``, ``zeros`` (a setup's memory read before it is set: fresh zeros of each type), then
    one temporary per instruction.  ``result`` is a register, or a tuple of them for a tuple result.
    ``steps`` and ``operands``: each instruction's op, argument types and which arguments are numbers,
    and its two operand registers; :attr:`code` makes them NumPy functions when the NumPy path runs.

    ``kernel`` and ``ranks``: the same instructions for the compiled learner interpreter
    (:mod:`~mlevolve.interpreter.kernel`), rows ``[opcode, a, b]`` (:mod:`~mlevolve.interpreter.opcodes`),
    and every register's rank; None when a primitive of the body has no opcode (then its program
    takes this NumPy path).  ``consts``: the constants as a ``float64`` array (for the kernel);
    ``result_ranks``: the ranks of the result registers (None without an encoding); ``draws``: whether
    an instruction draws random numbers.  ``encoding``: what the learner kernel is given of the body, one
    read-only ``int64`` array (``[instructions, *kernel rows, *ranks, *result registers]``, ``kernel``
    and ``ranks`` are views of it: fewer arguments for numba to unbox a call), or None (no encoding,
    or a body made by :func:`formula_code.scalar_formula`, which no learner has)."""

    n_inputs: int
    constants: tuple[Any, ...]
    zeros: tuple[str, ...]
    steps: tuple[Step, ...]
    operands: tuple[tuple[int, int], ...]
    result: int | tuple[int, ...]
    kernel: np.ndarray | None = field(default=None, repr=False)
    ranks: np.ndarray | None = field(default=None, repr=False)
    consts: np.ndarray | None = field(default=None, repr=False)
    result_ranks: tuple[int, ...] | None = None
    draws: bool = False
    encoding: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def _make(cls, *values: Any) -> Body:
        """A Body of the fields' ``values`` in order, set at once (a frozen dataclass's ``__init__`` sets
        each through ``object.__setattr__``: several microseconds a body when every new body counts)."""
        if len(values) != len(_BODY_FIELDS):  # (zip's strict check costs as much as the update)
            raise TypeError(f"a Body has {len(_BODY_FIELDS)} fields, given {len(values)}")
        made = object.__new__(cls)
        made.__dict__.update(zip(_BODY_FIELDS, values, strict=False))
        return made

    @property
    def results(self) -> tuple[int, ...]:
        """The result registers, one per item of a tuple result."""
        return self.result if isinstance(self.result, tuple) else (self.result,)

    @cached_property
    def code(self) -> tuple[Instruction, ...]:
        """The instructions as ``(fn, i, j)``: the next temporary is ``fn(reg[i], reg[j], DIM, rng)``."""
        return tuple((_step_function(*step), i, j) for step, (i, j) in zip(self.steps, self.operands, strict=True))

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


_BODY_FIELDS = tuple(f.name for f in fields(Body))


CallInfo = tuple[Type, str, tuple[str, ...], "int | None", tuple[int, ...], int, tuple[Step, ...]]
_CALLS = "_fastpath_call_info"  # the attribute of a grammar holding its memo of :func:`_call_info`


def _call_memo(spec: GrammarSpec) -> dict[tuple[str, tuple[Type, ...], Literals], CallInfo]:
    memo: dict[tuple[str, tuple[Type, ...], Literals], CallInfo] | None = spec.__dict__.get(_CALLS)
    if memo is None or len(memo) > 65536:
        memo = spec.__dict__[_CALLS] = {}
    return memo


def _call_info(node: Call, kid_types: tuple[Type, ...], literals: Literals, spec: GrammarSpec,
               scope: Mapping[str, Value]) -> CallInfo:
    """What a call over arguments of ``kid_types`` compiles to: its result type (by the checker:
    :func:`check.signature`, its error when none fits) and the type's name, the argument types'
    names, the kernel's opcode (None: none), the literal arguments that are sizes, the result's rank
    in the kernel (-1: none it holds) and its steps by which arguments are numbers (``2 * first + second``
    for two, ``first`` for one: shared by every body, so a new body keeps no tuple of its own for them).  Raises
    :class:`MlevError`, as code generation does, for a primitive with no NumPy template."""
    found = signature(node.op, kid_types, literals, spec)
    if found is None:
        resolve(node, kid_types, spec, _Types(scope))  # raises the checker's error
        raise AssertionError(f"no signature of '{node.op}' fits, yet one resolves")
    result_type, sizes = found
    arg_types = tuple(type_str(t) for t in kid_types)
    if not _has_template(node.op, arg_types):
        raise MlevError(f"'{node.op}({', '.join(arg_types)})' has no numpy implementation", node.span,
                        "this primitive cannot be used in this kind of definition")
    if len(kid_types) > 2:  # no template of the table takes more (checked at import): a grammar's own op
        raise MlevError(f"'{node.op}' takes {len(kid_types)} arguments: the fast path takes at most 2", node.span)
    result_name = type_str(result_type)
    steps = tuple((node.op, arg_types, numbers) for numbers in product((False, True), repeat=len(arg_types)))
    return (result_type, result_name, arg_types, opcodes.opcode(node.op, arg_types, result_name), sizes,
            _RANK.get(result_name, -1), steps)


# While linearising, each value: (register (tagged: see ``_TAG``), whether it is a number (a literal), its type).
Value = tuple[int, bool, Type]

# A body's operand pairs, one tuple per pair of registers across bodies (by ``i << 32 | j``): a new body keeps
# no tuple of its own for them, so the cyclic collector's passes over a search's young objects have fewer.
_PAIRS: dict[int, tuple[int, int]] = {}


def _fresh_pairs() -> dict[int, tuple[int, int]]:
    _PAIRS.clear()
    return _PAIRS


class _Types(Mapping[str, Type]):
    """The types of a linearising scope, as the checker's environment (read only when it reports an error)."""

    def __init__(self, scope: Mapping[str, Value]) -> None:
        self._scope = scope

    def __getitem__(self, name: str) -> Type:
        return self._scope[name][2]

    def __iter__(self) -> Iterator[str]:
        return iter(self._scope)

    def __len__(self) -> int:
        return len(self._scope)


class _Skeleton(NamedTuple):
    """A linearised body as a template for bodies of its shape: which constants hold its literals
    (in postorder) and which are copies of one (a literal as a result)."""

    body: Body
    num_slots: tuple[int, ...]
    copies: tuple[tuple[int, int], ...]

    def with_literals(self, nums: Sequence[Num]) -> Body:
        """The template's body with the values of ``nums`` (the literals of a body of its shape, in postorder)."""
        constants: list[Any] = list(self.body.constants)
        for slot, node in zip(self.num_slots, nums, strict=True):
            constants[slot] = float(node.value)
        for slot, source in self.copies:
            constants[slot] = np.float64(constants[source])
        b = self.body
        consts = None if b.consts is None else opcodes.consts(constants)
        return Body._make(b.n_inputs, tuple(constants), b.zeros, b.steps, b.operands, b.result, b.kernel, b.ranks,
                          consts, b.result_ranks, b.draws, b.encoding)


# Shape (and signature) -> template: a body differing from a linearised one only in its literals' values
# (a tuned or fitted variant, a mutated constant) is made from the template, not linearised anew.
_SKELETONS: dict[tuple[Any, ...], _Skeleton] = {}


def clear_memos() -> None:
    """Forget every linearised body (:func:`linearise`'s memo and the templates by shape) and each
    instruction's function (:func:`_step_function`): what a benchmark does to count linearising, and
    a test that patches the NumPy templates does before and after."""
    linearise.cache_clear()
    _step_function.cache_clear()
    _SKELETONS.clear()
    _METHOD_BODIES.clear()


@lru_cache(maxsize=8192)
def linearise(body: Expr, params: tuple[str, ...], env: tuple[tuple[str, Type], ...], spec: GrammarSpec,
              types: frozenset[str] = frozenset(), zeros: tuple[str, ...] = (), rng: bool = False) -> Body:
    """The instructions of ``body`` in ``env`` (the checker's view of it: names with their types, and
    the ``types`` it computes with, which fix each node's type and so its template), taking
    ``params`` as inputs in order (then ``rng`` when ``rng``) and starting each name of ``zeros`` at
    zero.  Memoised per (body, signature): IR nodes are immutable and compared by digest.

    One iterative post-order walk over an explicit stack, as :func:`codegen.function_lines` walks the
    body, typing each node as the checker does (:func:`check.resolve`, memoised per signature; the
    checker itself where the body is ill-typed, for its error) with the same value kinds: a literal
    (or a name bound to one) is a Python float, which never gains broadcast axes and is made an
    ``np.float64`` when it is a result.  Raises :class:`MlevError`, as code generation does, for a
    primitive with no NumPy template."""
    try:
        return _linearise(body, params, env, spec, types, zeros, rng)
    except MlevError:
        infer(body, dict(env), spec, types)  # a type error first, wherever it is (as the checker reports it)
        raise


# While linearising, a register is a tagged number: ``tag * _TAG + k`` with tag 0 an input, 1 a constant,
# 2 a zero, 3 a temporary, 4 a tuple of results; numbered at the end as inputs, constants, zeros, temporaries.
_TAG = 1 << 24
_CONST, _ZERO, _TEMP, _TUPLE = _TAG, 2 * _TAG, 3 * _TAG, 4 * _TAG
_RANK = opcodes.RANK


_SIGNATURES: dict[tuple[Any, ...], tuple[dict[str, Type], dict[str, Value], tuple[list[int], list[int]],
                                          tuple[str, ...]]] = {}


def _signature(params: tuple[str, ...], env: tuple[tuple[str, Type], ...], zeros: tuple[str, ...], rng: bool
               ) -> tuple[dict[str, Type], dict[str, Value], tuple[list[int], list[int]], tuple[str, ...]]:
    """What linearising needs of a body's signature, made once per signature: the environment as a dict,
    the starting scope (the inputs, then the zeros: read only, a ``let`` makes a new scope), the kernel's
    ranks of the inputs (then the rng's) and of the zeros (-1: a type it does not hold), the zeros' types."""
    key = (params, env, zeros, rng)
    made = _SIGNATURES.get(key)
    if made is None:
        env_map = dict(env)
        scope: dict[str, Value] = {p: (k, False, env_map[p]) for k, p in enumerate(params)}
        for k, name in enumerate(zeros):
            scope[name] = (_ZERO + k, False, env_map[name])
        zero_types = tuple(type_str(env_map[n]) for n in zeros)
        ranks = ([_RANK.get(type_str(env_map[p]), -1) for p in params] + [0] * rng,
                 [_RANK.get(t, -1) for t in zero_types])
        if len(_SIGNATURES) >= 1024:
            _SIGNATURES.clear()
        made = _SIGNATURES[key] = (env_map, scope, ranks, zero_types)
    return made


def _linearise(body: Expr, params: tuple[str, ...], env: tuple[tuple[str, Type], ...], spec: GrammarSpec,
               types: frozenset[str], zeros: tuple[str, ...], rng: bool) -> Body:
    # The nodes in reversed postorder (children last to first), whether a let occurs, and the body's
    # shape with its literals' values left out: a literal is whether it is written whole, a name its
    # name, a call its op and then -1 - its arity (two flat entries: no tuple kept per node), a tuple
    # its length.
    order: list[Any] = []  # Expr: read by type() in the loops below (faster than isinstance)
    shape: list[Any] = []
    stack: list[Any] = [body]
    has_let = False
    while stack:
        node = stack.pop()
        order.append(node)
        cls = type(node)
        if cls is Call:  # the op, then -1 - its arity (a name is never followed by a negative entry)
            shape.append(node.op)
            shape.append(-1 - len(node.args))
            stack.extend(node.args)
        elif cls is Ref:
            shape.append(node.name)
        elif cls is Num:
            shape.append(node.is_int)
        elif cls is Tup:
            shape.append(len(node.items))
            stack.extend(node.items)
        else:
            has_let = True
            break
    skeleton_key = None
    if not has_let:  # a body of the same shape seen before, literals aside: its body, with these literals
        skeleton_key = (tuple(shape), params, env, spec, types, zeros, rng)
        known = _SKELETONS.get(skeleton_key)
        if known is not None:
            return known.with_literals([node for node in reversed(order) if type(node) is Num])

    env_map, scope, input_ranks, zero_types = _signature(params, env, zeros, rng)
    n_inputs = len(params) + (1 if rng else 0)
    constants: list[Any] = []
    steps: list[Step] = []
    operands: list[tuple[int, int]] = []
    ops: list[int | None] = []  # each instruction's opcode (the kernel's encoding)
    temp_ranks: list[int] = []
    tuples: list[tuple[int, ...]] = []
    num_slots: list[int] = []  # the constant of each literal, in postorder
    copies: list[tuple[int, int]] = []  # (constant, the literal's constant it is a copy of): number results
    sized = False  # whether a call takes a size literal (checked by value: no skeleton memo then)
    int_literals = not types or INT in types  # whether a literal written whole is an Int (check.literal_type)
    calls = _call_memo(spec)

    def as_result(item: Value) -> int:
        reg, number, _ = item
        if number:  # a constant result is an np.float64 (as ``codegen._value`` makes it)
            constants.append(np.float64(constants[reg - _CONST]))
            copies.append((len(constants) - 1, reg - _CONST))
            return _CONST + len(constants) - 1
        return reg

    def ill_typed() -> MlevError:  # the checker's own error for this body
        infer(body, env_map, spec, types)
        return MlevError("the fast path could not type this body", body.span)

    def tuple_value(kids: Sequence[Value]) -> Value:  # a result (tuples do not nest): items made values as results
        if any(isinstance(k[2], TupleType) for k in kids):
            raise ill_typed()
        tuples.append(tuple([as_result(item) for item in kids]))
        return (_TUPLE + len(tuples) - 1, False, TupleType(tuple(k[2] for k in kids)))

    def call_value(node: Call, kids: Sequence[Value], sc: Mapping[str, Value]) -> Value:
        nonlocal sized
        if len(kids) == 2:  # the common case, spelled out (this runs once per call node of every new body)
            a, b = kids
            x, y = node.args
            key: tuple[str, tuple[Type, ...], Literals] = (
                node.op, (a[2], b[2]), (x.is_int if type(x) is Num else None,
                                        y.is_int if type(y) is Num else None))
            which = 2 * a[1] + b[1]  # which are numbers: the step is one of info's shared ones
            first, second = a[0], b[0]
        elif len(kids) == 1:  # the next most common: a unary op
            (a,), (x,) = kids, node.args
            key = (node.op, (a[2],), (x.is_int if type(x) is Num else None,))
            which, first = a[1], a[0]
            second = first
        else:
            key = (node.op, tuple([k[2] for k in kids]), literals_of(node))
            which = 0  # (more than two arguments: refused by _call_info)
            if not kids:  # a function of no argument: it is passed a constant it never reads
                constants.append(0.0)
            first = second = kids[0][0] if kids else _CONST + len(constants) - 1
        info = calls.get(key)
        if info is None:
            info = _call_info(node, key[1], key[2], spec, sc)
            if not info[4]:  # no size literal to range-check on each use: memoised
                calls[key] = info
        for i in info[4]:  # sizes: range-checked on every use, as the checker does
            check_size(node.args[i])  # type: ignore[arg-type]
            sized = True
        steps.append(info[6][which])
        operands.append((first, second))
        ops.append(info[3])
        temp_ranks.append(info[5])
        return (_TEMP + len(steps) - 1, False, info[0])

    def num_value(node: Num) -> Value:
        if node.is_int and int_literals:
            constants.append(int(node.value))
            t = INT
        else:
            constants.append(float(node.value))
            t = SCALAR
        num_slots.append(len(constants) - 1)
        return (_CONST + len(constants) - 1, True, t)

    done: Value = (_CONST, False, SCALAR)
    if not has_let:  # one scope: a value stack over the postorder
        values: list[Value] = []
        for node in reversed(order):
            cls = type(node)
            if cls is Ref:
                item = scope.get(node.name)
                if item is None:
                    raise ill_typed()
                values.append(item)
            elif cls is Num:
                values.append(num_value(node))
            elif cls is Call:
                n = len(node.args)
                if n == 2:
                    second_kid = values.pop()
                    values.append(call_value(node, (values.pop(), second_kid), scope))
                elif n == 1:
                    values.append(call_value(node, (values.pop(),), scope))
                else:
                    kids = values[len(values) - n:]
                    del values[len(values) - n:]
                    values.append(call_value(node, kids, scope))
            else:
                n = len(node.items)
                items = values[len(values) - n:]
                del values[len(values) - n:]
                values.append(tuple_value(items))
        done = values[0]
    else:  # lets: frames of (node, scope, values of its children done)
        frames: list[tuple[Expr, dict[str, Value], list[Value]]] = [(body, scope, [])]
        while frames:
            node, sc, kid_values = frames[-1]
            children = node.children()
            if len(kid_values) < len(children):
                child_scope = sc
                if isinstance(node, Let) and len(kid_values) == 1:
                    child_scope = {**sc, node.name: kid_values[0]}
                frames.append((children[len(kid_values)], child_scope, []))
                continue
            frames.pop()
            if isinstance(node, Num):
                done = num_value(node)
            elif isinstance(node, Ref):
                if node.name not in sc:
                    raise ill_typed()
                done = sc[node.name]
            elif isinstance(node, Let):
                if isinstance(node.value, Num) and kid_values[0][2] == INT:
                    check_size(node.value)  # as the checker: an Int is only ever used as a size
                done = kid_values[1]
            elif isinstance(node, Tup):
                done = tuple_value(kid_values)
            else:
                assert isinstance(node, Call)
                done = call_value(node, kid_values, sc)
            if frames:
                frames[-1][2].append(done)
    reg = done[0] if done[0] >= _TUPLE else as_result(done)  # may add a constant: before numbering
    n_consts = len(constants)
    bases = (0, n_inputs, n_inputs + n_consts, n_inputs + n_consts + len(zeros))
    mask = _TAG - 1
    if reg >= _TUPLE:
        result: int | tuple[int, ...] = tuple([bases[r >> 24] + (r & mask) for r in tuples[reg - _TUPLE]])
    else:
        result = bases[reg >> 24] + (reg & mask)
    pairs = _PAIRS if len(_PAIRS) < 65536 else _fresh_pairs()
    numbered = []
    for a, b in operands:  # each pair of registers as the one tuple held for it (see ``_PAIRS``)
        a, b = bases[a >> 24] + (a & mask), bases[b >> 24] + (b & mask)
        held = pairs.get(a << 32 | b)
        if held is None:
            held = pairs[a << 32 | b] = (a, b)
        numbered.append(held)
    kernel = ranks = consts = result_ranks = encoding = None
    floats = all([type(c) is not int for c in constants])  # literals that are Ints (sizes) have no encoding
    if floats and None not in ops:
        # registers: inputs (then the rng a learner method takes, read by no opcode), constants, zeros, temporaries
        rank_list = [*input_ranks[0], *[0] * n_consts, *input_ranks[1], *temp_ranks]
        if -1 not in rank_list:
            # one array (the learner kernel's argument: kernel.decoded), the code and ranks views of it
            end, results = 1 + 3 * len(ops), result if isinstance(result, tuple) else (result,)
            code = [k for op, (a, b) in zip(ops, numbered, strict=True) for k in (op, a, b)]
            encoding = np.array([len(ops), *code, *rank_list, *results], np.int64)
            encoding.flags.writeable = False
            kernel = encoding[1:end].reshape(-1, 3)
            ranks = encoding[end:end + len(rank_list)]
            consts = opcodes.consts(constants)  # writable, as warm()'s: one specialisation
            result_ranks = tuple([rank_list[r] for r in results])
    draws = not opcodes.DRAWS.isdisjoint(ops)
    made = Body._make(n_inputs, tuple(constants), zero_types, tuple(steps), tuple(numbered), result, kernel, ranks,
                      consts, result_ranks, draws, encoding)
    if skeleton_key is not None and not sized and floats:
        if len(_SKELETONS) >= 8192:
            _SKELETONS.clear()
        _SKELETONS[skeleton_key] = _Skeleton(made, tuple(num_slots), tuple(copies))
    return made


_BUDGET = Budget()  # the default limits (read only)
_UNSET: Any = object()


def learner_metrics(data: dict[str, Any], pred: Any, budget: Budget = _BUDGET, *,
                    kernel: ModuleType | None = _UNSET) -> dict[str, Any]:
    """The metrics :func:`standalone.learner.run_learner` computes from validation predictions ``pred``
    (T, m) (``train_seconds`` aside), the same numbers by the same reductions with fewer NumPy calls
    (``np.mean`` is ``np.add.reduce`` then a division by the count; ``x ** 2`` is ``x * x``;
    ``tests/interpreter/test_fastpath.py`` holds the two equal); a regression's reductions in one call
    of the compiled :func:`kernel.regression_errors` when the kernel is available (:func:`compiled_kernel`),
    the same operations in the same order (``kernel``: that module or None, when the caller has asked
    :func:`compiled_kernel` already); raises its ``CandidateFailure`` for predictions that are not
    finite or exploded."""
    classify, fitness = data.get("classification", False), data.get("fitness")
    if classify:
        kernel = None
    elif kernel is _UNSET:
        kernel = compiled_kernel()
    if kernel is not None:  # one compiled call for the regression metrics (the same numbers)
        worst, mse, root = kernel.validation_errors(pred, data["y_val"], fitness == "relative")
        if not (worst <= budget.max_abs and worst < math.inf):
            raise CandidateFailure("predictions are not finite or exploded", "validation")
        metrics = {"val_mse": mse, "fitness": -mse}
        if fitness in ("squashed", "relative"):
            metrics["fitness"] = float(np.add.reduce(1.0 - (2.0 / math.pi) * np.arctan(root))) / len(root)
        return metrics
    y_val = np.asarray(data["y_val"], np.float64)
    worst = np.abs(pred).max()  # NaN propagates: not <= below
    if not (worst <= budget.max_abs and worst < math.inf):
        raise CandidateFailure("predictions are not finite or exploded", "validation")
    if classify:
        accuracy = float(((pred > 0) == (y_val > 0.5)).mean())
        return {"val_accuracy": accuracy, "fitness": accuracy}
    n_tasks, n_val = y_val.shape[0], y_val.shape[-1]
    diff = pred - y_val
    per_task = np.add.reduce(np.multiply(diff, diff, out=diff), axis=-1) / n_val
    mse = float(np.add.reduce(per_task)) / n_tasks
    metrics = {"val_mse": mse, "fitness": -mse}
    if fitness in ("squashed", "relative"):
        error = per_task
        if fitness == "relative":  # each task's MSE over that of predicting 0
            error = per_task / np.maximum(np.add.reduce(y_val * y_val, axis=-1) / n_val, 1e-12)
        metrics["fitness"] = float(np.add.reduce(1.0 - (2.0 / math.pi) * np.arctan(np.sqrt(error)))) / n_tasks
    return metrics


# A learner data dict's key: the data dict whose tasks' first training examples these are (the FEC probe's
# data, :class:`evaluator.ProgramEvaluator`), so that a compiled learner that draws nothing hands its memory
# after the probe's steps to its training on those full tasks (the same steps, not run twice; the same
# numbers).  Its arrays are matched by identity: they must not change.
PREFIX_OF = "train_prefix_of"
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

    @property
    def _encoded(self) -> tuple[tuple[Any, ...], bool] | None:
        """The kernel's arguments for this learner (``kernel.encoded``), made once (kept in the instance's
        ``__dict__``, as ``cached_property`` would, without its lock: read twice per candidate)."""
        cached = self.__dict__.get("_encoded", _UNSET)
        return self._encoding(compiled_kernel()) if cached is _UNSET else cached

    def _encoding(self, kernel: ModuleType | None) -> tuple[tuple[Any, ...], bool] | None:
        """:attr:`_encoded`, given :func:`compiled_kernel`'s answer (the environment read once per call, not twice)."""
        cached = self.__dict__.get("_encoded", _UNSET)
        if cached is _UNSET:
            cached = None if kernel is None or self.methods is None else kernel.encoded(self.methods, self.state_types)
            self.__dict__["_encoded"] = cached
        return cached  # type: ignore[no-any-return]

    def learner_predictions(self, data: dict[str, Any], *, seed: int = 0, budget: Budget | None = None) -> Any:
        """What :func:`standalone.learner.learner_predictions` returns (and raises) for this learner:
        by the compiled interpreter (:func:`compiled_kernel`) when it is available and implements every
        primitive of the program, else by the NumPy path (its numbers may differ in the last digits:
        see :mod:`~mlevolve.interpreter.kernel`)."""
        return self._predictions(data, seed, budget or _BUDGET, compiled_kernel())

    def _predictions(self, data: dict[str, Any], seed: int, budget: Budget, kernel: ModuleType | None) -> Any:
        """:meth:`learner_predictions`, given :func:`compiled_kernel`'s answer (asked once per candidate)."""
        program = None if kernel is None else self._encoding(kernel)  # encoded only when the kernel is there to run it
        if kernel is None or program is None:
            return learner_predictions(data, self.instantiate(int(data["x_train"].shape[-1])), seed=seed, budget=budget)
        started, compiled = time.perf_counter(), kernel.compile_seconds()
        start, carry, full = 0, None, data.get(PREFIX_OF)
        if not program[1]:  # draws nothing: the memory after a prefix's steps is all the state there is
            held = self.__dict__.get("_carried")
            if full is not None:  # these tasks' first steps, of the ``full`` tasks to be trained next
                carry = np.empty(kernel.carry_size(program, data))
            elif held is not None and held[0] is data["x_train"] and held[1] is data["y_train"] \
                    and held[2] == (bool(data.get("classification", False)), seed, budget.max_error):
                start, carry = held[3], held[4]
        if carry is None:
            pred, step, worst, nonfinite = kernel.predictions(data, program, budget.max_error, seed)
        else:
            pred, step, worst, nonfinite = kernel.predictions(data, program, budget.max_error, seed, start, carry)
        n_steps = int(data["x_train"].shape[1])
        # checked once (the kernel cannot be interrupted), less numba's compiling: a cold cache is not the candidate's
        if time.perf_counter() - started - (kernel.compile_seconds() - compiled) > budget.max_seconds:
            raise CandidateFailure(f"over the time budget of {budget.max_seconds:g} s", "training")
        if step <= n_steps:
            what = "not finite" if nonfinite else f"off by {worst:.3g} (more than {budget.max_error:g} from its target)"
            raise CandidateFailure(f"diverged: a prediction is {what}", f"training step {step} of {n_steps}")
        if full is not None and carry is not None:  # kept for the full training (``PREFIX_OF``)
            self.__dict__["_carried"] = (full["x_train"], full["y_train"],
                                         (bool(data.get("classification", False)), seed, budget.max_error),
                                         n_steps, carry)
        return pred

    def run_learner(self, data: dict[str, Any], *, seed: int = 0, budget: Budget | None = None) -> dict[str, Any]:
        """What the learner regime's loop (:func:`standalone.learner.run_learner`) returns for this
        learner, its predictions by :meth:`learner_predictions`."""
        budget, started, kernel = budget or _BUDGET, time.perf_counter(), compiled_kernel()
        pred = self._predictions(data, seed, budget, kernel)
        metrics = learner_metrics(data, pred, budget, kernel=kernel)
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
    if d.kind == "formula":  # the regime's one definition: a formula, or a learner
        slot = next(s for s in slots(program) if s.name == d.name)
        body = linearise(slot.body, tuple(p.name for p in d.params), tuple(slot.env.items()), spec, slot.types)
        return Interpreted(regime, len(d.params), formula=body)
    state_types, plan = _learner_plan(d)
    return Interpreted(regime, state_types=state_types, methods=_learner_methods(d, plan, spec))


# A learner's signature (its memory and its methods' parameters) -> its memory's types, and per method its
# inputs' names and the environment its body is checked in (as ``kinds.slots`` makes it): made once.
_LEARNER_PLANS: dict[tuple[Any, ...], tuple[tuple[str, ...], tuple[tuple[tuple[str, ...],
                                                                         tuple[tuple[str, Type], ...]], ...]]] = {}
_LEARNER_TYPES = KINDS["learner"].types


def _learner_plan(d: Definition) -> tuple[tuple[str, ...], tuple[tuple[tuple[str, ...],
                                                                      tuple[tuple[str, Type], ...]], ...]]:
    key = (d.params, tuple([(m.kind, m.params) for m in d.methods]))
    plan = _LEARNER_PLANS.get(key)
    if plan is None:
        memory = {p.name: p.type for p in d.params}
        methods = tuple(((*memory, *(p.name for p in m.params)),
                         tuple({**memory, **{p.name: p.type for p in m.params}}.items())) for m in d.methods)
        if len(_LEARNER_PLANS) >= 256:
            _LEARNER_PLANS.clear()
        plan = _LEARNER_PLANS[key] = (tuple(type_str(t) for t in memory.values()), methods)
    return plan


def _learner_methods(d: Definition, plan: tuple[tuple[tuple[str, ...], tuple[tuple[str, Type], ...]], ...],
                     spec: GrammarSpec) -> dict[str, Body]:
    out: dict[str, Body] = {}
    for m, entry in zip(d.methods, plan, strict=True):
        held = _METHOD_BODIES.get(id(m))
        if held is not None and held[0] is m and held[1] is entry and held[2] is spec:
            out[m.kind] = held[3]
            continue
        params, env = entry
        assert m.body is not None
        if m.kind == "setup":  # setup starts from the memory the runtime starts from without one: zeros
            read = {n.name for n in walk(m.body) if isinstance(n, Ref)}
            zeros = tuple(p.name for p in d.params if p.name in read)
            body = linearise(m.body, (), env, spec, _LEARNER_TYPES, zeros, True)
        else:
            body = linearise(m.body, params, env, spec, _LEARNER_TYPES, (), True)  # (by position: a cheaper memo key)
        if len(_METHOD_BODIES) >= 4096:
            _METHOD_BODIES.clear()
        _METHOD_BODIES[id(m)] = (m, entry, spec, body)
        out[m.kind] = body
    return out


# A learner method's linearised body by the method's identity (a child's methods that variation did not
# touch are its parent's objects), with the plan entry (its signature, and so the learner's memory: the
# plan holds one entry per signature) and the grammar it was made for; each held, so no ``id`` is reused
# while kept.  :func:`linearise`'s memo finds the same body, after hashing the body and its signature.
_METHOD_BODIES: dict[int, tuple[Definition, Any, GrammarSpec, Body]] = {}


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
