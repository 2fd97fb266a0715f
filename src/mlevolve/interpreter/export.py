"""Export: a program as one standalone, readable Python script.

The script holds, in reading order: the DSL source (docstring), the program's functions exactly as
the code generator wrote them for `mlevolve run`, a ``main`` that trains and prints the metrics,
then verbatim copies of the training runtime and of the task loader.  It needs torch, numpy and
scikit-learn only, plus gymnasium when it trains an RL program on a classic-control environment
(cartpole, acrobot, mountaincar: the task loader imports gymnasium only to make one).  ``python
script.py --json`` prints the same metrics as ``mlevolve run --json`` for the same seed (identical
on CPU), because it runs the same code on the same data.
"""

from __future__ import annotations

import inspect
from types import ModuleType

from mlevolve.dsl.ir import Program
from mlevolve.dsl.printer import format_program
from mlevolve.grammar.spec import GrammarSpec
from mlevolve.interpreter import runtime, tasks
from mlevolve.interpreter.codegen import Compiled, compile_program, doc_literal

_ERROR_STANDIN = '''class MlevError(Exception):
    """A bad task spec or data file (mlevolve's error type, reduced to what this script needs)."""

    def __init__(self, message: str, span: object = None, hint: str | None = None, file: object = None) -> None:
        super().__init__((f"{file}: " if file else "") + message + (f" (hint: {hint})" if hint else ""))'''

_MAIN = '''def main() -> None:
    global DIM
    parser = argparse.ArgumentParser(description=__doc__.split("\\n")[0])
    parser.add_argument("--task", default={task!r}, help="task to train on (default: %(default)s)")
    parser.add_argument("--seed", type=int, default={seed}, help="random seed (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default={epochs}, help="training epochs (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    args = parser.parse_args()
    torch.set_num_threads(1)
    try:
        data = arrays(load_task(args.task, seed=args.seed))
    except MlevError as err:  # a missing or bad data file: one line, no traceback
        parser.exit(2, f"{{parser.prog}}: error: {{err}}\\n")
    DIM = int(data["x_train"].shape[-1]) if "x_train" in data else 0
    {wiring}
    try:
        metrics = {call}
        metrics["failure"] = None
    except CandidateFailure as err:
        metrics = {{"failure": {{"reason": err.reason, "where": err.where}}}}
    metrics.update(task=args.task, seed=args.seed)
    if args.json:
        print(json.dumps(metrics))
    else:
        for key, value in metrics.items():
            print(f"{{key:>16}}: {{value}}")'''

_CALLS = {
    "supervised": "train_supervised(data, PROGRAM, epochs=args.epochs, batch_size=64, seed=args.seed)",
    "learner": "run_learner(data, PROGRAM, seed=args.seed)",
    "formula": "run_formula(data, PROGRAM)",
    "rl": "train_rl(data, PROGRAM, epochs=args.epochs, seed=args.seed)",
    "generative": "train_generative(data, PROGRAM, epochs=args.epochs, seed=args.seed)",
}


def _split_module(module: ModuleType) -> tuple[list[str], list[str]]:
    """A module's top-level imports and the rest of its body, without its docstring."""
    source = inspect.getsource(module)
    lines = source.splitlines()
    doc = inspect.getdoc(module)
    start = 0
    if doc is not None:  # skip the docstring: the lines up to the first that closes it
        start = next(i for i, line in enumerate(lines) if line.rstrip().endswith('"""') and i > 0) + 1
    imports, body = [], []
    for line in lines[start:]:
        if line.startswith(("import ", "from ")):
            if line.startswith(("from __future__", "from mlevolve")):
                continue
            assert not line.rstrip().endswith("("), f"multi-line import in {module.__name__}"
            imports.append(line)
        else:
            body.append(line)
    while body and not body[0].strip():
        body.pop(0)
    return imports, body


def _merge_imports(lines: list[str]) -> list[str]:
    """One line per module: ``import x`` lines first, then ``from m import a, b``, sorted."""
    plain: set[str] = set()
    names: dict[str, set[str]] = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line.startswith("from "):
            module, _, items = line[5:].partition(" import ")
            names.setdefault(module, set()).update(i.strip() for i in items.split(","))
        else:
            plain.add(line)
    froms = [f"from {m} import {', '.join(sorted(n))}" for m, n in sorted(names.items())]
    return sorted(plain) + froms


def _wrap_call(line: str, indent: str, width: int = 120) -> str:
    """``NAME = f(a, b, ...)`` as one line if it fits in ``width``, else one argument per line."""
    if len(indent) + len(line) <= width or not line.endswith(")") or "(" not in line:
        return line
    head, _, args = line[:-1].partition("(")
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(args):  # split at the top-level commas only
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            parts.append(args[start:i].strip())
            start = i + 1
    parts.append(args[start:].strip())
    inner = indent + "    "
    return head + "(\n" + "".join(f"{inner}{part},\n" for part in parts if part) + indent + ")"


def _docstring(program: Program, task: str) -> str:
    """The script's docstring; every user text in it (the task, the program with its comments) is
    escaped (:func:`mlevolve.interpreter.codegen.doc_literal`), so none can end the string early."""
    text = (f"{program.name}: a program found or written with mlevolve, as a standalone training script.\n\n"
            f"Run `python {program.name}.py --json` to train it on {task!r} and print its metrics.\n"
            f"The program, in the mlevolve language:\n\n{format_program(program)}")
    return f'"""{doc_literal(text)}"""'


def export_source(program: Program, spec: GrammarSpec, task: str, seed: int = 0, epochs: int = 10,
                  compiled: Compiled | None = None) -> str:
    """The text of the standalone script for ``program`` (checked) trained on ``task``."""
    compiled = compiled or compile_program(program, spec)
    functions, wiring = compiled.source.rstrip().rsplit("\n", 1)
    rt_imports, rt_body = _split_module(runtime)
    tk_imports, tk_body = _split_module(tasks)
    imports = _merge_imports(["import argparse", "import json", *rt_imports, *tk_imports])
    main = _MAIN.format(task=task, seed=seed, epochs=epochs, wiring=_wrap_call(wiring.strip(), "    "),
                        call=_CALLS[compiled.category])
    parts = [
        _docstring(program, task),
        "from __future__ import annotations\n\n" + "\n".join(imports),
        "DIM = 0  # the number of input features (learners), set by main()",
        "# " + "-" * 30 + " the program (generated by mlevolve from the source above)\n\n" + functions.rstrip(),
        main,
        "# " + "-" * 30 + " training runtime (mlevolve/interpreter/runtime.py, verbatim)\n\n"
        + "\n".join(rt_body).strip(),
        "# " + "-" * 30 + " tasks and data (mlevolve/interpreter/tasks.py, verbatim)\n\n"
        + _ERROR_STANDIN + "\n\n\n" + "\n".join(tk_body).strip(),
        'if __name__ == "__main__":\n    main()',
    ]
    return "\n\n\n".join(parts) + "\n"
