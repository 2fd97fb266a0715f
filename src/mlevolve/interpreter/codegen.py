"""Code generation: a checked program to straight-line Python over PyTorch (neural kinds) or NumPy
(learners and formulas).

One statement per IR node, so nesting depth is no limit and the code reads like a hand-written
function.  This is the only code generator: ``mlevolve run`` executes its output and ``mlevolve
export`` writes the same text to a file.  Only text generated from the checked IR is executed, and
every name it emits is checked to be a plain identifier that shadows nothing the code relies on.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import Literal

from mlevolve.dsl.check import infer
from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Call, Definition, Expr, Let, Num, Program, Ref, Tup
from mlevolve.dsl.printer import format_number
from mlevolve.dsl.types import LAYER, MATRIX, SCALAR, VECTOR, Type, type_str
from mlevolve.grammar.spec import GrammarSpec
from mlevolve.interpreter import primitives

Category = Literal["supervised", "learner", "formula", "rl", "generative"]
Backend = Literal["torch", "numpy"]


def _top_level_names(*files: Path) -> frozenset[str]:
    """Every name a module binds at top level (functions, classes, imports, assignments)."""
    names: set[str] = set()
    for file in files:
        for node in ast.parse(file.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return frozenset(names)


# Names the generated code relies on; a user's name equal to one of them gets a trailing "_".  An
# exported script puts the program's functions in one module with verbatim copies of runtime.py and
# tasks.py and its own `main`, so every top-level name of those files, the export's own names and
# the builtins (which the runtime calls) are reserved too.
RESERVED = frozenset({
    "torch", "np", "nn", "F", "math", "DIM", "rng", "PROGRAM", "Lambda", "Residual", "LayerNorm", "dropout",
    "draw", "SupervisedProgram", "LearnerProgram", "RLProgram", "GenerativeProgram", "default_model", "adam",
    "main", "argparse", "json", "MlevError", "annotations",
}) | frozenset(dir(builtins)) | _top_level_names(
    Path(__file__).with_name("runtime.py"), Path(__file__).with_name("tasks.py"))
_TEMP = re.compile(r"^tmp\d+$")
SUPERVISED_KINDS = ("activation", "loss", "model", "optimizer", "augment", "schedule")
# Categories whose program is one definition, by the kinds that make it: (category, kinds, wiring class).
SINGLE: tuple[tuple[Category, tuple[str, ...], str], ...] = (
    ("learner", ("learner",), "LearnerProgram"),
    ("formula", ("formula",), ""),
    ("rl", ("pg_loss", "td_loss"), "RLProgram"),
    ("generative", ("vae_loss", "flow_loss"), "GenerativeProgram"),
)


def py_name(name: str) -> str:
    """A DSL name as a Python identifier that shadows nothing the generated code uses."""
    while keyword.iskeyword(name) or name in RESERVED or _TEMP.match(name):
        name += "_"
    if not name.isidentifier():
        raise ValueError(f"not an identifier: {name!r}")
    return name


class _Emitter:
    """Straight-line statements for one function body."""

    def __init__(self, backend: Backend, used: set[str]) -> None:
        self.backend = backend
        self.lines: list[str] = []
        self.used = used
        self.count = 0

    def temp(self, text: str) -> str:
        self.count += 1
        name = f"tmp{self.count}"
        self.lines.append(f"{name} = {text}")
        return name

    def bind(self, name: str, text: str) -> str:
        """``let name = ...``: the statement that computed ``text`` is renamed, or a copy is made."""
        base = py_name(name)
        unique, k = base, 1
        while unique in self.used:
            k += 1
            unique = f"{base}_{k}"
        self.used.add(unique)
        if self.lines and self.lines[-1].startswith(f"{text} = ") and _TEMP.match(text):
            self.lines[-1] = unique + self.lines[-1][len(text):]
        else:
            self.lines.append(f"{unique} = {text}")
        return unique

    def finish(self, result: str) -> list[str]:
        """The body's statements and its return, folding a final temporary into the return."""
        lines = list(self.lines)
        if lines and lines[-1].startswith(f"{result} = ") and _TEMP.match(result):
            return [*lines[:-1], "return " + lines[-1][len(result) + 3:]]
        return [*lines, f"return {result}"]


def _rank(t: Type) -> int:
    return {SCALAR: 0, VECTOR: 1, MATRIX: 2}.get(t if isinstance(t, str) else "", 0)


def _call(em: _Emitter, node: Call, args: list[tuple[str, bool]], arg_types: tuple[str, ...], result: Type) -> str:
    table = primitives.TORCH if em.backend == "torch" else primitives.NUMPY
    tpl = primitives.template(table, node.op, arg_types)
    if tpl is None:
        raise MlevError(f"'{node.op}{'(' + ', '.join(arg_types) + ')'}' has no {em.backend} implementation",
                        node.span, "this primitive cannot be used in this kind of definition")
    texts = [text for text, _ in args]
    if em.backend == "numpy" and node.op in primitives.NUMPY_BROADCAST:
        # A scalar meets a vector or matrix: give it the missing trailing axes.
        top = max(_rank(t) for t in arg_types)
        texts = [f"{text}[...{', None' * (top - _rank(t))}]" if _rank(t) < top and not const else text
                 for (text, const), t in zip(args, arg_types, strict=True)]
    if em.backend == "torch" and node.op in primitives.TORCH_LIFT:
        texts = [f"torch.as_tensor({text})" if const else text for text, const in args]
    code = tpl.replace("{*}", ", ".join(texts)).format(*texts)
    return em.temp(code)


def function_lines(name: str, params: list[str], body: Expr, env: Mapping[str, Type], spec: GrammarSpec,
                   backend: Backend, doc: str, tail: tuple[str, ...] = ()) -> list[str]:
    """``def name(params..., tail...):`` computing ``body`` one statement per node."""
    types = infer(body, env, spec)
    scope = {name: py_name(name) for name in env}  # parameters, and (in a model) activations
    em = _Emitter(backend, {*scope.values(), *tail})
    # Frames: node, scope, preorder index, finished children as (text, is-constant).
    frames: list[tuple[Expr, dict[str, str], int, list[tuple[str, bool]]]] = [(body, scope, 0, [])]
    counter = 0
    result: tuple[str, bool] = ("", False)
    while frames:
        node, sc, index, kids = frames[-1]
        children = node.children()
        if len(kids) < len(children):
            child_scope = sc
            if isinstance(node, Let) and len(kids) == 1:
                child_scope = {**sc, node.name: em.bind(node.name, kids[0][0])}
            counter += 1
            frames.append((children[len(kids)], child_scope, counter, []))
            continue
        frames.pop()
        done: tuple[str, bool]
        if isinstance(node, Num):
            done = (format_number(node) if node.is_int else repr(float(node.value)), True)
        elif isinstance(node, Ref):
            text = sc[node.name]
            done = (em.temp(f"Lambda({text})"), False) if types[index] == LAYER else (text, False)
        elif isinstance(node, Let):
            done = kids[1]
        elif isinstance(node, Tup):
            done = ("(" + ", ".join(t for t, _ in kids) + ")", False)
        else:
            assert isinstance(node, Call)
            arg_types = _arg_types(node, index, types)
            done = (_call(em, node, kids, arg_types, types[index]), all(c for _, c in kids) and bool(kids))
        if frames:
            frames[-1][3].append(done)
        else:
            result = done
    signature = ", ".join([*(scope[p] for p in params), *tail])
    lines = [f"def {py_name(name)}({signature}):", f'    """{doc}"""']
    return lines + ["    " + line for line in em.finish(result[0])]


def _arg_types(node: Call, index: int, types: list[Type]) -> tuple[str, ...]:
    """The types of a call's arguments, found from the preorder type list by skipping subtrees."""
    out, i = [], index + 1
    for arg in node.args:
        t = types[i]
        out.append(t if isinstance(t, str) else type_str(t))
        i += arg.size
    return tuple(out)


@dataclass(frozen=True)
class Compiled:
    """A program compiled to Python: ``source`` defines ``PROGRAM`` for one of the runtime loops."""

    category: Category
    source: str
    n_inputs: int = 0  # formula: how many scalar inputs
    code: CodeType | None = field(default=None, repr=False, compare=False)  # ``source``, compiled once

    def __post_init__(self) -> None:
        if self.code is None:
            object.__setattr__(self, "code", compile(self.source, "<mlevolve program>", "exec"))


def category_of(program: Program) -> Category:
    kinds = [d.kind for d in program.definitions]
    for main, owned, _ in SINGLE:
        found = [k for k in kinds if k in owned]
        if found:
            if len(kinds) != 1:
                raise MlevError(f"a {main} program holds exactly one definition, the {found[0]}",
                                program.definitions[0].span, "put the other definitions in their own file")
            return main
    if not kinds:
        raise MlevError("the program has no definitions", program.span, "add an activation, model, learner...")
    for kind in SUPERVISED_KINDS:
        if kind != "activation" and kinds.count(kind) > 1:
            raise MlevError(f"a program has at most one {kind}", program.span, "remove or rename the others")
    return "supervised"


def compile_program(program: Program, spec: GrammarSpec) -> Compiled:
    """Generate the Python source of a checked program (see the module docstring)."""
    category = category_of(program)
    lines: list[str] = []
    for d in program.definitions:
        if d.kind == "learner":
            lines += _learner(d, spec)
        else:
            backend: Backend = "numpy" if d.kind == "formula" else "torch"
            assert d.body is not None and d.result is not None
            env = _env(program, d)
            params = [] if d.kind == "model" else [p.name for p in d.params]
            doc = f"{d.kind} {d.name}({', '.join(f'{p.name}: {type_str(p.type)}' for p in d.params)})" \
                  f" -> {type_str(d.result)}"
            lines += function_lines(d.name, params, d.body, env, spec, backend, doc)
        lines.append("")
        lines.append("")
    lines.append(_wiring(program, category))
    source = "\n".join(lines) + "\n"
    n_inputs = len(program.definitions[0].params) if category == "formula" else 0
    return Compiled(category, source, n_inputs)


def _env(program: Program, d: Definition) -> dict[str, Type]:
    if d.kind == "model":
        return {a.name: LAYER for a in program.definitions if a.kind == "activation"}
    return {p.name: p.type for p in d.params}


def _method_name(learner: str, method: str) -> str:
    """The DSL-level name of a learner method's function, e.g. ``linreg_learn`` (see :func:`py_name`)."""
    return f"{learner}_{method}"


def _learner(d: Definition, spec: GrammarSpec) -> list[str]:
    memory = {p.name: p.type for p in d.params}
    lines: list[str] = []
    for m in d.methods:
        assert m.body is not None and m.result is not None
        env = {**memory, **{p.name: p.type for p in m.params}}
        params = ([] if m.kind == "setup" else list(memory)) + [p.name for p in m.params]
        sig = ", ".join(f"{p.name}: {type_str(p.type)}" for p in m.params)
        doc = f"learner {d.name}: {m.kind}({sig}) -> {type_str(m.result)}"
        if m.kind != "setup":
            doc += f"; state {', '.join(memory)} first"
        lines += function_lines(_method_name(d.name, m.kind), params, m.body, env, spec, "numpy", doc,
                                tail=("rng",))
        lines.append("")
    if lines:
        lines.pop()
    return lines


def _wiring(program: Program, category: Category) -> str:
    """The ``PROGRAM = ...`` line that hands the generated functions to a runtime loop."""
    defs = {d.kind: d for d in program.definitions}
    if category == "formula":
        return f"PROGRAM = {py_name(defs['formula'].name)}"
    if category in ("rl", "generative"):  # one objective, passed by its kind's name
        d = program.definitions[0]
        cls = next(c for main, _, c in SINGLE if main == category)
        return f"PROGRAM = {cls}({d.kind}={py_name(d.name)})"
    if category == "learner":
        d = defs["learner"]
        types = ", ".join(f'"{type_str(p.type)}"' for p in d.params)
        setup = py_name(_method_name(d.name, "setup")) if d.method("setup") else "None"
        return (f"PROGRAM = LearnerProgram(state_types=({types},), "
                f"predict={py_name(_method_name(d.name, 'predict'))}, "
                f"learn={py_name(_method_name(d.name, 'learn'))}, setup={setup})")
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
