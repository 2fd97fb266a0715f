"""Code generation: a checked program to straight-line Python over PyTorch (neural kinds) or NumPy
(learners and formulas).

One statement per IR node, so nesting depth is no limit and the code reads like a hand-written
function.  This is the only code generator: ``mlevolve run`` executes its output and ``mlevolve
export`` writes the same text to a file.  Only text generated from the checked IR is executed, and
every name it emits is checked to be a plain identifier that shadows nothing the code relies on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import CodeType
from typing import Literal

from mlevolve.dsl.check import infer
from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Call, Definition, Expr, Let, Num, Program, Ref, Tup
from mlevolve.dsl.kinds import Slot, slots
from mlevolve.dsl.printer import format_number
from mlevolve.dsl.traverse import walk
from mlevolve.dsl.types import INT, LAYER, MATRIX, SCALAR, TENSOR, VECTOR, Type, type_str
from mlevolve.grammar.spec import GrammarSpec
from mlevolve.interpreter import primitives
from mlevolve.interpreter.names import ESCAPE, LOCAL_RESERVED, RESERVED, TEMP, is_plain, py_local, py_name
from mlevolve.interpreter.regimes import Regime, method_name, regime_of

__all__ = ["ESCAPE", "RESERVED", "Backend", "Compiled", "call_arg_types", "child_indices", "compile_program",
           "doc_literal", "function_lines", "is_plain", "py_name", "regime_of"]

Backend = Literal["torch", "numpy"]
_TEMP = TEMP
# The initial (zero) value of a learner's memory, by type, as the runtime starts it when there is no setup.
_ZEROS = {SCALAR: "np.zeros(())", VECTOR: "np.zeros(DIM)", MATRIX: "np.zeros((DIM, DIM))"}


WIDTH = 120  # the project's line length (ruff's), which generated and exported code keeps to


def packed(words: list[str], indent: str, width: int = WIDTH, sep: str = " ") -> list[str]:
    """``words`` joined by ``sep`` into as few lines as fit in ``width`` after ``indent`` (a word longer than a
    line gets one of its own): a long parameter list, tuple or docstring of a program on a wide data file."""
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + len(sep) + len(word) <= width:
            lines[-1] += sep + word
        else:
            lines.append(indent + word)
    return lines


def wrapped_text(text: str, indent: str, width: int = WIDTH) -> str:
    """``text`` (a docstring's, a program's) with each line longer than ``width`` broken at its spaces, the rest
    of it indented four more: the language and a docstring read the same across a line break (a comment line,
    a header line, ``algorithm``/``task``, and a line that is a quoted literal, a task's spec or path that a break
    would change, are left whole)."""
    out = []
    for line in text.split("\n"):
        body = line.lstrip()
        if len(indent + line) <= width or body.startswith(("#", "algorithm ", "task ", "'", '"')):
            out.append(line)
            continue
        lead = line[:len(line) - len(body)]
        first, *rest = packed(body.split(" "), indent + lead + "    ", width)
        out += [lead + first[len(indent + lead) + 4:], *(r[len(indent):] for r in rest)]
    return "\n".join(out)


def doc_literal(text: str) -> str:
    """``text`` as the inside of a triple-quoted Python string: backslashes escaped, a quote escaped where
    another quote or the string's end follows it (so no run of three is left, and the closing quotes stay
    three: ``task "d.csv"`` reads as written), and every character other than a newline that is not
    printable written as an escape, so no text can end the string early or change the code around it."""
    out = []
    for i, ch in enumerate(text):
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"' and text[i + 1:i + 2] in ('"', ""):
            out.append('\\"')
        elif ch == "\n" or ch.isprintable():
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return "".join(out)


class _Emitter:
    """Straight-line statements for one function body."""

    def __init__(self, backend: Backend, used: set[str], like: str | None = None) -> None:
        self.backend = backend
        self.lines: list[str] = []
        self.used = used
        self.count = 0
        # The expression of the dtype constants take their precision from (torch): the first Tensor
        # parameter's, else the first Scalar parameter's (a schedule's t, a tensor or a Python number).
        self.like = like
        self.top = 0  # where the statement naming that precision goes: after the prelude
        self.dtype: str | None = None

    def constant_dtype(self) -> str | None:
        """The name of the dtype a torch constant is made in, its inputs' (float32 at least: ``like``),
        bound by a statement at the top on first use; None without a Tensor or Scalar parameter (a
        model's: torch's default dtype, float32).  A constant made as float32 on float64 inputs would be
        float32-precise (about 1e-8 relative) where the inputs are exact; float32 and float16 inputs,
        and a Python number (as torch makes a tensor of it, float32), compute their constants in
        float32, as before, so what a search trains computes the same bits."""
        if self.like is None:
            return None
        if self.dtype is None:
            self.dtype = self.fresh("dtype")
            self.lines.insert(self.top, f"{self.dtype} = torch.promote_types({self.like}, torch.float32)")
        return self.dtype

    def temp(self, text: str) -> str:
        self.count += 1
        name = f"tmp{self.count}"
        self.lines.append(f"{name} = {text}")
        return name

    def fresh(self, name: str) -> str:
        """A new local for the user's ``name``: its Python name, numbered if already used here."""
        base = py_local(name)
        unique, k = base, 1
        while unique in self.used or unique in LOCAL_RESERVED:
            k += 1
            unique = f"{base}_{k}"
        self.used.add(unique)
        return unique

    def bind(self, name: str, text: str) -> str:
        """``let name = ...``: the statement that computed ``text`` is renamed, or a copy is made."""
        unique = self.fresh(name)
        if self.lines and self.lines[-1].startswith(f"{text} = ") and _TEMP.match(text):
            self.lines[-1] = unique + self.lines[-1][len(text):]
        else:
            self.lines.append(f"{unique} = {text}")
        return unique

    def finish(self, result: str, keep: set[str]) -> list[str]:
        """The body's statements and its return, folding a final temporary into the return; for the
        torch backend with a ``del`` after the statement that last reads a local (other than those in
        ``keep``: the parameters), so no intermediate tensor (and its autograd graph) outlives its last
        use.  The NumPy backend's values are a few numbers per task: no ``del``."""
        lines = list(self.lines)
        if lines and lines[-1].startswith(f"{result} = ") and _TEMP.match(result):
            lines = [*lines[:-1], "return " + lines[-1][len(result) + 3:]]
        else:
            lines.append(f"return {result}")
        return _release(lines, keep) if self.backend == "torch" else lines


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _release(lines: list[str], keep: set[str]) -> list[str]:
    """``lines`` (``NAME = EXPR`` statements, then ``return EXPR``) with ``del`` statements after the
    last read of each assigned local, except right before the ``return`` (the frame ends there).

    Reads are found as identifier tokens after the assignment: a token that is not a read (an
    attribute, a word in a string) can only make a local live longer, never end it early."""
    assigned: dict[str, int] = {}
    exprs: list[str] = []
    for i, line in enumerate(lines):
        target, sep, value = line.partition(" = ")
        if sep and not line.startswith("return ") and target.isidentifier():
            assigned.setdefault(target, i)
            exprs.append(value)
        else:
            exprs.append(line.removeprefix("return "))
    last = dict(assigned)
    for i, expr in enumerate(exprs):
        for token in _IDENTIFIER.findall(expr):
            if assigned.get(token, i) < i:
                last[token] = i
    dead: dict[int, list[str]] = {}
    for name, i in last.items():
        if name not in keep:
            dead.setdefault(i, []).append(name)
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        if i in dead and i < len(lines) - 2:
            out.append("del " + ", ".join(sorted(dead[i], key=lambda n: (len(n), n))))
    return out


_ARITHMETIC = frozenset({"add", "sub", "mul", "div", "neg"})


def _torch_expression(op: str, arg_types: tuple[str, ...], texts: list[str], numbers: list[bool],
                      dtype: str | None = None) -> str | None:
    """The torch expression of ``op`` (see :func:`primitives.numpy_expression`, the NumPy backend's):
    a Scalar may be a Python number (a literal, a schedule's or optimizer's rate), made a tensor where
    the function needs one; an arithmetic op of numbers only computes with tensors (IEEE rules).  A
    number made a tensor (and ``full``'s) is of ``dtype`` (:meth:`_Emitter.constant_dtype`), else float32."""
    tpl = primitives.template(primitives.TORCH, op, arg_types)
    if tpl is None:
        return None
    made = f", dtype={dtype}" if dtype else ""
    if op in primitives.TORCH_LIFT:
        texts = [f"torch.as_tensor({text}{made if number else ''})" if number or t == SCALAR else text
                 for text, number, t in zip(texts, numbers, arg_types, strict=True)]
    if texts and all(numbers) and op in _ARITHMETIC:
        texts = [f"torch.as_tensor({texts[0]}{made})", *texts[1:]]
    return tpl.replace("{*}", ", ".join(texts)).format(*texts, dtype=dtype or "torch.float32")


# What a generated value is, beyond its DSL type: a Python number (a literal, or a name bound to one),
# a backend value that depends on a Tensor parameter (so has its shape), or one that does not.
Kind = Literal["number", "shaped", "free"]


def _call(em: _Emitter, node: Call, args: list[tuple[str, Kind]], arg_types: tuple[str, ...], result: Type) -> str:
    texts, numbers = [text for text, _ in args], [kind == "number" for _, kind in args]
    if em.backend == "numpy":
        code = primitives.numpy_expression(node.op, arg_types, texts, numbers)
    else:
        # a constant is made a tensor here: a number lifted, or the template makes one (full's)
        lifted = node.op in primitives.TORCH_LIFT or (all(numbers) and node.op in _ARITHMETIC)
        tpl = primitives.template(primitives.TORCH, node.op, arg_types) or ""
        made = (any(numbers) and lifted) or "{dtype}" in tpl
        code = _torch_expression(node.op, arg_types, texts, numbers, em.constant_dtype() if made else None)
    if code is None:
        raise MlevError(f"'{node.op}{'(' + ', '.join(arg_types) + ')'}' has no {em.backend} implementation",
                        node.span, "this primitive cannot be used in this kind of definition")
    return em.temp(code)


def _value(backend: Backend, text: str, kind: Kind, t: Type, like: str | None) -> str:
    """A function's result (or an item of it) of type ``t``.  In NumPy code a constant becomes
    ``np.float64``, so the runtime and the next call get a NumPy value as from any other expression
    (a Python float is not indexable).  A ``Tensor`` is elementwise: one that depends on no Tensor
    parameter (``full(0.5)``) is broadcast to the shape of the first, ``like``."""
    if backend == "numpy" and kind == "number":
        return f"np.float64({text})"
    if backend == "torch" and t == TENSOR and kind != "shaped" and like is not None:
        return f"torch.zeros_like({like}) + {text}"
    return text


def function_lines(name: str, params: list[str], body: Expr, env: Mapping[str, Type], spec: GrammarSpec,
                   backend: Backend, doc: str, tail: tuple[str, ...] = (), types: frozenset[str] = frozenset(),
                   prelude: Mapping[str, str] | None = None, widen: bool = False) -> list[str]:
    """``def name(params..., tail...):`` computing ``body`` one statement per node.

    ``env`` and ``types`` are the checker's view of the body (:class:`mlevolve.dsl.kinds.Slot`): the
    names in scope with their types, and the types it computes with, which fix every node's type
    (:func:`mlevolve.dsl.check.infer`) and so the template used for it.  Names of ``env`` that are not
    ``params`` are bound at the top of the body to the code ``prelude`` gives for them.  ``widen`` (torch, an
    exported component's): each Tensor or Scalar parameter is taken as ``torch.as_tensor`` takes it (a tensor, a
    number, a NumPy array; text is its TypeError) and computed in float32 at least, as mlevolve's runs
    compute (a float16 ``x + 0.0001 - x`` was 0), and a Tensor result is returned in its Tensor parameters' promoted
    dtype where that is a float (float16, bfloat16, float64 kept), else in float32, as torch's ``sigmoid`` returns an
    integer or bool input's (``.to(int64)`` cut sigmoid(2) to 0, qa106); the runs' own code is not widened (their
    inputs are float32)."""
    types_of = infer(body, env, spec, types)
    # Parameters (locals), and (in a model) activations (the module's functions); a Tensor parameter
    # is what shapes values.
    scope: dict[str, tuple[str, Kind]] = {n: (py_local(n) if n in params else py_name(n),
                                              "shaped" if t == TENSOR else "free") for n, t in env.items()}
    like = next((scope[p][0] for p in params if env[p] == TENSOR), None)
    # Constants follow the inputs' precision: a Tensor parameter's, else a Scalar's (a schedule has only t).
    scalar = next((scope[p][0] for p in params if env[p] == SCALAR), None)
    precision = f"{like}.dtype" if like is not None else \
        f"torch.as_tensor({scalar}).dtype" if scalar is not None else None
    em = _Emitter(backend, {*(t for t, _ in scope.values()), *tail}, precision if backend == "torch" else None)
    for n, code in (prelude or {}).items():
        em.lines.append(f"{scope[n][0]} = {code}")
    given = em.fresh("given") if widen and like is not None and types_of[0] == TENSOR else None
    if widen:
        wide = [scope[p][0] for p in params if env[p] in (TENSOR, SCALAR)]
        em.lines += [f"{n} = torch.as_tensor({n})" + "  # a number or an array too" * (i == 0)
                     for i, n in enumerate(wide)]  # as a Tensor input's .dtype needs (a float had none)
        tensors = [scope[p][0] for p in params if env[p] == TENSOR]  # their promoted dtype, as torch's functions'
        em.lines += [f"{given} = {tensors[0]}.dtype  # the result's: the inputs' dtype, float32 for integers",
                     *(f"{given} = torch.promote_types({given}, {n}.dtype)" for n in tensors[1:]),
                     f"{given} = {given} if {given}.is_floating_point or {given}.is_complex else torch.float32"] \
            if given else []
        em.lines += [f"{n} = {n}.to(torch.promote_types({n}.dtype, torch.float32))"
                     + "  # float32 at least, as mlevolve computes" * (i == 0)
                     for i, n in enumerate(wide)]
    em.top = len(em.lines)
    # Frames: node, scope, preorder index, finished children as (text, is-constant).
    frames: list[tuple[Expr, dict[str, tuple[str, Kind]], int, list[tuple[str, Kind]]]] = [(body, scope, 0, [])]
    counter = 0
    result: tuple[str, Kind] = ("", "free")
    while frames:
        node, sc, index, kids = frames[-1]
        children = node.children()
        if len(kids) < len(children):
            child_scope = sc
            if isinstance(node, Let) and len(kids) == 1:
                child_scope = {**sc, node.name: (em.bind(node.name, kids[0][0]), kids[0][1])}
            counter += 1
            frames.append((children[len(kids)], child_scope, counter, []))
            continue
        frames.pop()
        done: tuple[str, Kind]
        if isinstance(node, Num):
            number = format_number(node) if node.is_int and types_of[index] == INT else repr(float(node.value))
            done = (number, "number")
        elif isinstance(node, Ref):
            done = (em.temp(f"Lambda({sc[node.name][0]})"), "free") if types_of[index] == LAYER else sc[node.name]
        elif isinstance(node, Let):
            done = kids[1]
        elif isinstance(node, Tup):  # a result (tuples do not nest): each item is made a value like a result
            items = [_value(backend, t, k, types_of[i], like) for (t, k), i in zip(kids, child_indices(node, index),
                                                                                   strict=True)]
            done = ("(" + ", ".join(items) + ")", "free")
        else:
            assert isinstance(node, Call)
            arg_types = call_arg_types(node, index, types_of)
            shaped = any(k == "shaped" for _, k in kids)
            done = (_call(em, node, kids, arg_types, types_of[index]), "shaped" if shaped else "free")
        if frames:
            frames[-1][3].append(done)
        else:
            result = done
    result = (_value(backend, result[0], result[1], types_of[0], like), result[1])
    signature = ", ".join([*(scope[p][0] for p in params), *tail])
    head = f"def {py_name(name)}({signature}):"  # a formula's many columns: its parameters packed, as its doc
    lines = [head] if len(head) <= WIDTH else [f"def {py_name(name)}(",
                                               *packed([p + "," for p in signature.split(", ")], "    "), "):"]
    lines.append(f'    """{wrapped_text(doc_literal(doc), "    ", WIDTH - 3)}"""')
    keep = {scope[p][0] for p in params} | set(tail) | {n for n in (em.dtype, given) if n}
    body_lines = em.finish(result[0], keep)
    if given:  # the result back in the input's precision, rounded once
        body_lines[-1] = f"return ({body_lines[-1].removeprefix('return ')}).to({given})"
    return lines + ["    " + line for line in body_lines]


def child_indices(node: Expr, index: int) -> list[int]:
    """The preorder indices of the children of the node at ``index``."""
    out, i = [], index + 1
    for child in node.children():
        out.append(i)
        i += child.size
    return out


def call_arg_types(node: Call, index: int, types: list[Type]) -> tuple[str, ...]:
    """The types of a call's arguments, found from the preorder type list by skipping subtrees."""
    out, i = [], index + 1
    for arg in node.args:
        t = types[i]
        out.append(t if isinstance(t, str) else type_str(t))
        i += arg.size
    return tuple(out)


@dataclass(frozen=True)
class Compiled:
    """A program compiled to Python: ``source`` defines ``PROGRAM`` for its regime's training loop."""

    regime: Regime
    source: str
    n_inputs: int = 0  # formula: how many scalar inputs
    code: CodeType | None = field(default=None, repr=False, compare=False)  # ``source``, compiled once

    def __post_init__(self) -> None:
        if self.code is None:
            object.__setattr__(self, "code", compile(self.source, "<mlevolve program>", "exec"))

    @property
    def category(self) -> str:
        """The regime's name (the name callers of the earlier API read)."""
        return self.regime.name


def float64_prelude(params: list[str], helper: str = "_float64") -> dict[str, str]:
    """A formula's prelude: each parameter (DSL names) rebound to its values as float64 by ``helper``
    (:func:`mlevolve.interpreter.standalone.formula._float64`: a list is an array, integers are not computed as
    integers, text is a TypeError naming the input), so the run's function, its exported script's and its
    exported module's take the same inputs alike (a fresh-user pass found ``f([1.0, 2.0])`` a TypeError of list
    arithmetic in the script, where the module converted it).  On float64 arrays, as a run and its search pass,
    it changes no value.  A call too long for a line is written over four (the line reads ``LOCAL = CALL``)."""
    prelude: dict[str, str] = {}
    for name in params:
        local = py_local(name)
        call = f"{helper}({local}, {name!r})"
        prelude[name] = call if len(call) + len(local) + 7 <= WIDTH else \
            f"{helper}(\n        {local},\n        {name!r},\n    )"
    return prelude


def compile_program(program: Program, spec: GrammarSpec) -> Compiled:
    """Generate the Python source of a checked program (see the module docstring): its functions,
    then the ``PROGRAM = ...`` line of its regime (:func:`mlevolve.interpreter.regimes.regime_of`).

    Each body is compiled in the checker's view of it (its :func:`mlevolve.dsl.kinds.slots` entry):
    the same names in scope, with the same types."""
    regime = regime_of(program)
    by_slot = {s.name: s for s in slots(program)}
    lines: list[str] = []
    for d in program.definitions:
        if d.kind == "learner":
            lines += _learner(d, spec, by_slot)
        else:
            slot = by_slot[d.name]
            assert d.result is not None
            params = [] if d.kind == "model" else [p.name for p in d.params]
            doc = f"{d.kind} {d.name}({', '.join(f'{p.name}: {type_str(p.type)}' for p in d.params)})" \
                  f" -> {type_str(d.result)}"
            prelude = float64_prelude(params) if d.kind == "formula" else None  # a list, ints: as the module's
            lines += function_lines(d.name, params, slot.body, slot.env, spec, regime.backend, doc, types=slot.types,
                                    prelude=prelude)
        lines.append("")
        lines.append("")
    lines.append(regime.wiring(program))
    source = "\n".join(lines) + "\n"
    n_inputs = len(program.definitions[0].params) if regime.kinds == ("formula",) else 0
    return Compiled(regime, source, n_inputs)


def _learner(d: Definition, spec: GrammarSpec, by_slot: Mapping[str, Slot]) -> list[str]:
    memory = {p.name: p.type for p in d.params}
    lines: list[str] = []
    for m in d.methods:
        assert m.result is not None
        slot = by_slot[f"{d.name}.{m.kind}"]
        params = ([] if m.kind == "setup" else list(memory)) + [p.name for p in m.params]
        sig = ", ".join(f"{p.name}: {type_str(p.type)}" for p in m.params)
        doc = f"learner {d.name}: {m.kind}({sig}) -> {type_str(m.result)}"
        # setup starts from the memory the runtime starts from without one: zeros.
        read = {n.name for n in walk(slot.body) if isinstance(n, Ref)}
        prelude = {n: _ZEROS[type_str(t)] for n, t in memory.items() if n in read} if m.kind == "setup" else None
        if m.kind != "setup":
            doc += f"; state {', '.join(memory)} first"
        lines += function_lines(method_name(d.name, m.kind), params, slot.body, slot.env, spec, "numpy", doc,
                                tail=("rng",), types=slot.types, prelude=prelude)
        lines.append("")
    if lines:
        lines.pop()
    return lines
