"""Export: a program as one standalone, readable Python script.

The script reads top to bottom: the DSL source (its docstring), the imports, the program's functions
exactly as the code generator wrote them for `mlevolve run`, the data (the loader of the program's
regime, :mod:`mlevolve.interpreter.standalone`'s ``data_*`` module and what it uses), the training
loop (the regime's standalone module), and ``main``, which loads the task, wires the program and
prints the metrics.  The modules are concatenated as they are, less their docstrings and their
imports of each other, keeping only the top-level definitions the script reaches from the program
and ``main`` (as a linker drops unreferenced sections), so no function in a script is unused.

A formula or learner script imports numpy only; a neural one numpy and torch; the loaders import
scikit-learn for its datasets and gymnasium for a classic-control environment, each only when they
load one.  ``python script.py --json`` prints the same metrics as ``mlevolve run --json`` for the
same seed (identical on CPU), because it runs the same code on the same data.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import os
import shlex
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

from mlevolve.dsl.ir import Program
from mlevolve.dsl.printer import format_program
from mlevolve.grammar.spec import GrammarSpec
from mlevolve.interpreter.codegen import WIDTH, Compiled, compile_program, doc_literal, packed, wrapped_text
from mlevolve.interpreter.regimes import STANDALONE, Regime
from mlevolve.interpreter.standalone.spec import spec_value, split_spec
from mlevolve.messages import AT_LEAST, BELOW_2_63, GIVEN_TWICE, HELP, INTEGER_RULE, SEED_RANGE, Message

_RULE = "# " + "-" * 12  # a section's rule, short enough for the longest list of modules in 120 columns
_HELP = HELP.format(prog="{parser.prog}")  # a script's default hint, as mlevolve's: run `SCRIPT --help`


def _said(message: Message, **values: object) -> str:
    """A script's ``parser.error`` call for ``message``, in the wording ``mlevolve`` reports the same mistake
    in: its text as an f-string literal (``values`` may hold ``{args.seed}``), then its hint on the next line."""
    text, hint = f"f{message.text.format(**values)!r}", repr(message.hint.format(**values))
    one = f"        parser.error({text}, {hint})"  # on one line if it fits in 120 columns, else on two
    return one if len(one) <= 120 else f"        parser.error({text},\n                     {hint})"


def main_source(regime: Regime, program: Program, wiring: str, task: str, seed: int, epochs: int,
                dim: bool = False, refused: Mapping[str, tuple[str, str]] | None = None,
                beside: str | None = None) -> str:
    """The script's ``main``: parse the flags the regime's loop takes, load the task (with the regime's
    loader of ``task``), wire the program (``wiring``, its ``PROGRAM = ...`` line), train, and print the
    metrics (``--json``: as JSON).  ``dim``: the program reads ``DIM``, which main sets to the feature count.
    ``refused``: flags of ``mlevolve`` that this regime does not read, each refused in mlevolve's (message,
    hint) rather than as an unknown flag.  ``beside``: the data file of ``task`` (an absolute path) as a path
    relative to the script's folder, read instead when no ``--task`` is given and the file is gone from its
    absolute path but found there (a folder of a script and its data, moved or copied to another machine)."""
    loader = regime.loader_for(task)
    load = f"{loader.function}(args.task, seed=args.seed{'' if loader.names else regime.load_args(program)})"
    lines = [
        "def main() -> None:",
        *(["    global DIM"] if dim else []),
        '    parser = argparse.ArgumentParser(description=__doc__.split("\\n")[0], allow_abbrev=False)',
        f"    rule, usage = {INTEGER_RULE + '; '!r}, \\\n        f{_HELP!r}  # a bad integer's hint; every one's",
        "    parser.error = lambda msg, hint=\"\", close=\"\": parser.exit(  # as mlevolve's: a line, a hint, status 2",
        "        2, printable(f\"{parser.prog}: error: {msg}\\nhint: \"  # a flag quoted as typed: no control character"
        "\n                     f\"{hint or close + rule * ('int value' in msg) + usage}\\n\"))",
        '    parser.register("type", int, read_int)  # as mlevolve: 20 or 1e3, not +20, 1_000 or ١٢',
        _task_flag(task),
        f'    parser.add_argument("--seed", type=int, default={seed}, help="random seed (default: %(default)s)")',
        *([f'    parser.add_argument("--epochs", type=int, default={epochs}, '
           'help="training epochs (default: %(default)s)")'] if "epochs" in regime.settings else []),
        '    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")',
        '    flags = [arg.split("=")[0] for arg in sys.argv[1:] if arg.startswith("--") and arg != "--"]',
        "    if odd := [flag for flag in flags if flag not in (known := parser._option_string_actions)]:"
        "  # unknown first",
        *(f"        if {flag!r} in odd:  # as mlevolve refuses it\n            parser.error({message!r},\n"
          f"                         {hint!r})" for flag, (message, hint) in (refused or {}).items()),
        "        parser.error(f\"unrecognized arguments: {' '.join(odd)}\", close=did_you_mean(odd[0], known))",
        "    if twice := [flag for flag in flags if flags.count(flag) > 1]:  # argparse would keep the last silently",
        f"        parser.error(f{GIVEN_TWICE.format(flag='{twice[0]}')!r})",
        "    if not 0 <= (args := parser.parse_args()).seed < 2**63:  # what the library takes (api.check_seed)",
        _said(SEED_RANGE, name="--seed", got="{args.seed}"),
        *(["    if args.epochs < 1:",
           _said(AT_LEAST, name="--epochs", low=1, got="{args.epochs}"),
           "    if args.epochs >= 2**63:  # what the library takes (api.checks._at_least): not a loop that never ends",
           _said(BELOW_2_63, name="--epochs", got="{args.epochs}")]
          if "epochs" in regime.settings else []),
        *(["    torch.set_num_threads(1)"] if regime.backend == "torch" else []),
        *_beside_lines(task, beside),
        "    try:",
        *_misfit_lines(regime, files=loader.names is None),
        _wrap_call(f"        data = {load}", "        "),
        "    except (TaskError, ValueError, MemoryError) as err:  # a bad spec or data file, or too big: one line",
        *(['        if getattr(err, "where", ""):  # a place in a data file leads: FILE:LINE:COL: error: ...',
           '            parser.prog, err.message = err.where, err.message[len(err.where) + 2:]  # as mlevolve does']
          if loader.names is None else []),  # a script that reads a data file (read_table)
        '        parser.error(getattr(err, "message", str(err)), getattr(err, "hint", ""))',
        *(['    DIM = int(data["x_train"].shape[-1])'] if dim else []),
        _wrap_call("    " + wiring.strip(), "    "),
        "    try:",
        f"        metrics = {{**{regime.loop}(data, PROGRAM"
        + "".join(f", {k}=args.{k}" for k in regime.settings if k in ("epochs", "seed")) + '), "failure": None}',
        "    except CandidateFailure as err:",
        '        metrics = {"failure": {"reason": err.reason, "where": err.where}}',
        *(['    metrics = with_r2(metrics, data)  # R² beside each MSE of a regression, as mlevolve run shows it']
          if regime.name != "formula" else []),  # a formula reports its own R²
        f"    metrics.update(task=spec_name(args.task, {loader.table}), seed=args.seed)  # its one name, as mlevolve's",
        *(notes := _notes_lines(regime, files=loader.names is None)),
        "    try:  # flushed here: a reader of stdout that left (`| head -1`) ends the script quietly (Python's docs)",
        '        print(json.dumps(metrics) if args.json else "\\n".join(  # as `mlevolve run` prints them',
        '            [f"{k:>16}: {shown_metric(v)}" if isinstance(v, float) else f"{k:>16}: {v}"',
        '             for k, v in metrics.items() if k != "failure"]',
        '            + [f"{\'failed\':>16}: {err[\'reason\']} ({err[\'where\']})"',
        '               for err in [metrics["failure"]] if err]' + " + notes" * bool(notes) + "), flush=True)",
        "    except BrokenPipeError:  # stdout at the null device, so that Python's own flush at exit finds it",
        "        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())",
        "        raise SystemExit(141) from None  # as a shell reports a program SIGPIPE ended",
        '    raise SystemExit(1 if metrics["failure"] else 0)  # as `mlevolve run`: 1 when the program failed',
    ]
    return "\n".join(lines)


def _notes_lines(regime: Regime, files: bool) -> list[str]:
    """``main``'s lines saying what ``mlevolve run`` says after the metrics: what a learner's or network's MSE on a
    data file (``files``) is of (:data:`~mlevolve.results.STANDARDISED`), and what a learner's ``fitness=`` score
    reads (:data:`~mlevolve.results.FITNESS_READS`); ``[]`` where the script's runs say neither (a formula keeps its
    data's units)."""
    from mlevolve.results import FITNESS_READS, ONE_FILE, STANDARDISED

    units, learner = files and regime.name != "formula", regime.name == "learner"
    if not units and not learner:
        return []
    lines = ["    notes: list[str] = []  # what `mlevolve run` says after the metrics"]
    if units:
        units_line = _pieces(f"{'units':>16}: MSE {STANDARDISED}", 88)
        lines = ["    notes = [(" + "\n              ".join(map(repr, units_line))
                 + ')] * any(k.endswith("_mse") for k in metrics)  # as `mlevolve run` says']
    if learner:
        lines += ["    reads = {" + ",\n             ".join(
            f"{k!r}: (" + "\n                          ".join(map(repr, _pieces(v + ONE_FILE * files, 86))) + ")"
            for k, v in FITNESS_READS.items()) + "}.get(data.get(\"fitness\", \"\"))",
                  "    notes += [f\"{'fitness reads':>16}: {reads}\"] * bool(reads and \"fitness\" in metrics)"]
    return lines


def _misfit_lines(regime: Regime, files: bool) -> list[str]:
    """``main``'s lines refusing a task of another kind as ``mlevolve run`` does (:func:`tasks._misfit`, one source
    of the words): a built-in task of another regime, or a data file where the regime loads none, is no unknown
    task to a script of this one ("a generative program cannot run on task 'cartpole'", with its kind's tasks; a
    data file offered only where the script reads one, ``files``: one for a built-in task refuses them)."""
    from mlevolve.interpreter.tasks import _misfit, list_tasks  # the task registry: no PyTorch

    mine = textwrap.wrap(", ".join(repr(t.name) for t in list_tasks() if t.kind == regime.name), 90)
    other = textwrap.wrap(", ".join(repr(t.name) for t in list_tasks() if t.kind != regime.name), 96)
    error = _misfit(regime, "{args.task}", files=files)  # the script's f-string puts the task given in its place
    clause = "" if any(x.names is None for x in regime.loaders) else ' or (os.path.splitext(named)[1] or "/" in named' \
        "\n" + " " * 67 + "or os.path.exists(named))"  # a data file's name, as the library reads it
    return ["        its_tasks = [" + "\n                     ".join(mine) + "]",
            "        other_tasks = [" + "\n                       ".join(other) + "]",
            f"        if (named := split_spec(args.task)[0]) in other_tasks{clause}:  # in mlevolve's words",
            f"            raise TaskError(f{error.message!r},",
            "                            did_you_mean(named, its_tasks) + "
            + "\n                            ".join(map(repr, _pieces(error.hint or ""))) + ")"]


def _pieces(text: str, width: int = 56) -> list[str]:
    """``text`` cut after spaces into pieces of about ``width`` characters: what adjacent string literals (which
    Python joins) hold on lines of their own."""
    lines = textwrap.wrap(text, width, break_long_words=False, drop_whitespace=False)
    return lines or [text]


def _beside_lines(task: str, beside: str | None) -> list[str]:
    """``main``'s lines reading the data file of ``task`` (an absolute path), where it is gone and no ``--task`` is
    given, from where it lay from the script's folder at export (``beside``, a relative path; None: not known, as on
    stdout), else from the script's own folder (the file's name alone): the script is moved with its folder, or
    alone with the file copied beside it.  Where it is in none, the error names exactly the paths tried (the run's
    once where the script was not moved); ``[]`` for a built-in task.  One helper for every kind (formula, learner,
    supervised CSV/NPZ tasks)."""
    name, typed = split_spec(task)
    if not os.path.isabs(name):  # a built-in task: no file to look for
        return []
    options = "".join(f":{k}={spec_value(v, chr(34))}" for k, v in typed.items())  # "y:m" in the shell's quotes
    base = os.path.basename(name)
    moved = bool(beside) and beside != base  # its path from the script's folder at export, then its name alone
    hint = f"copy it beside this script, or give --task {shlex.quote('PATH' + options)}"
    named = f"    path = {name!r}  # the run's file"
    named = named if len(named) <= WIDTH else f"    path = (  # the run's file\n        {name!r})"
    alone = f"    tried.setdefault(os.path.abspath(os.path.join(here, {base!r})), 'beside this script')"
    alone = alone if len(alone) <= WIDTH else (  # a long name wrapped inside the call: the same code
        f"    tried.setdefault(os.path.abspath(os.path.join(here,  # its name alone\n        {base!r})),"
        " 'beside this script')")
    return [named,
            "    here = os.path.dirname(os.path.abspath(__file__))  # this script's folder, wherever it was moved",
            *(["    tried = {os.path.abspath(os.path.join(here, place)): f\"{place} from this script's folder\" "
               "for place in [", f"        {beside!r}]}}"] if moved else ["    tried: dict[str, str] = {}"]),
            alone,
            "    tried.pop(os.path.abspath(path), None)  # not moved: the run's path named once",
            "    found = [place for place in tried if os.path.isfile(place)]  # in order",
            '    if "--task" not in flags and not os.path.isfile(path) and found:',
            f"        args.task = found[0] + {options!r}  # the run's file is gone, but moved with this script",
            '    elif "--task" not in flags and not os.path.exists(path) and tried:',
            '        parser.error(f"no such file: {path}" + "".join(f", nor {w}: {p}" for p, w in tried.items()),',
            f"                     {hint!r})"]


def _task_flag(task: str) -> str:
    """``main``'s ``--task`` flag, defaulting to ``task``: on one line if it fits, else its help on the next (a
    data file's path), else each argument on its own line (a long path)."""
    head = f'    parser.add_argument("--task", default={task!r},'
    text = 'help="task to train on (default: %(default)s)")'
    return f"{head} {text}" if len(head) + len(text) < WIDTH else f"{head}\n{' ' * 24}{text}" \
        if len(head) <= WIDTH else _wrap_call(f"{head} {text}", "    ")


def _wrap_call(line: str, indent: str, width: int = 120) -> str:
    """``NAME = f(a, b, ...)`` as one line if it fits in ``width``, else one argument per line."""
    if len(line) <= width or not line.endswith(")") or "(" not in line:
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
    return head + "(\n" + "".join(f"{_wrap_tuple(inner + part, inner)},\n" for part in parts if part) + indent + ")"


def _wrap_tuple(line: str, indent: str, width: int = WIDTH) -> str:
    """``[NAME=](a, b, ...)``, a tuple of string or number literals (a formula's columns), as one line if it fits
    in ``width``, else its items packed into lines."""
    head, paren, items = line.partition("(")
    if len(line) <= width or not (paren and line.endswith(")") and head.strip().endswith("=")):
        return line
    try:
        values = ast.literal_eval("(" + items)
    except (ValueError, SyntaxError):  # not literals: left whole
        return line
    words = [repr(v) + "," for v in (values if isinstance(values, tuple) else (values,))]
    return head + "(\n" + "\n".join(packed(words, indent + "    ", width)) + "\n" + indent + ")"


class _Piece:
    """One top-level statement of a standalone module: its text (with the comments above it), the
    blank lines that precede it in the module (two before a function or class), the names it binds
    and the names it reads."""

    def __init__(self, text: str, node: ast.stmt) -> None:
        body = text.lstrip("\n")
        self.text = body.rstrip("\n")
        gap = text[:len(text) - len(body)].count("\n")
        self.gap = 2 if isinstance(node, ast.FunctionDef | ast.ClassDef) else min(gap, 2)
        self.binds = _bound(node)
        self.reads = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _bound(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.FunctionDef | ast.ClassDef):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


def _module(name: str) -> tuple[list[str], list[ast.ImportFrom | ast.Import], list[_Piece]]:
    """A standalone module's dependencies (other standalone modules), its other imports, and its
    top-level statements, in file order."""
    source = inspect.getsource(importlib.import_module(f"{STANDALONE}.{name}"))
    lines = source.splitlines()
    tree = ast.parse(source)
    deps: list[str] = []
    imports: list[ast.ImportFrom | ast.Import] = []
    pieces: list[_Piece] = []
    start = 0
    for i, node in enumerate(tree.body):
        if i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            pass  # the module's docstring: the script has its own
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(STANDALONE):
            deps.append((node.module or "").rsplit(".", 1)[1])
        elif isinstance(node, ast.Import | ast.ImportFrom):
            imports.append(node)
        else:
            pieces.append(_Piece("\n".join(lines[start:node.end_lineno]), node))
        start = node.end_lineno or start
    return deps, imports, pieces


# The standalone modules that read what a user types (a task spec, an integer, a name's spelling) and show its
# metrics (shown.py: the library's rule, METRIC_DIGITS): a script shows them last, beside its main, so that it
# reads as the program, its data, its training loop, then the plumbing.
_READING = ("spelling", "spec", "shown")


def _closure(roots: list[str]) -> list[str]:
    """``roots`` and every standalone module they import, each after the modules it imports."""
    order: list[str] = []
    stack: list[tuple[str, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        name, done = stack.pop()
        if name in order:
            continue
        if done:
            order.append(name)
            continue
        stack.append((name, True))
        stack.extend((d, False) for d in reversed(_module(name)[0]) if d not in order)
    return order


def _imports(nodes: list[ast.ImportFrom | ast.Import], used: set[str]) -> str:
    """The import lines binding a name in ``used`` (and argparse, json, os, signal and sys, which ``main`` and the
    stop handler use), as
    isort writes them: the standard library, then the others; ``import x`` before ``from m import a, b``."""
    plain: set[str] = {"import argparse", "import json", "import os", "import signal", "import sys"}
    names: dict[str, set[str]] = {}
    for node in nodes:
        for alias in node.names:
            bound = (alias.asname or alias.name).split(".")[0]
            if bound not in used:
                continue
            text = alias.name + (f" as {alias.asname}" if alias.asname else "")
            if isinstance(node, ast.ImportFrom):
                names.setdefault(node.module or "", set()).add(text)
            else:
                plain.add(f"import {text}")
    lines = sorted(plain) + [f"from {m} import {', '.join(sorted(n))}" for m, n in sorted(names.items())]
    stdlib = [line for line in lines if line.split()[1].split(".")[0] in sys.stdlib_module_names]
    others = [line for line in lines if line not in stdlib]
    return "\n".join(stdlib) + "\n\n" + _EARLY_STOP + (_MISSING.format("\n".join("    " + line for line in others))
                                                     if others else "")


# Annotations unevaluated, as in the standalone modules: one may name a class the script defines further down
# (TaskError, the reading section's: a NameError at import of every script, were it evaluated at its def).
_FUTURE = "from __future__ import annotations  # annotations may name a class defined further down\n\n"


# Before the libraries load (PyTorch: a second or more): a Ctrl-C or SIGTERM then ends in one line and 128 + its
# number, as once ``main`` runs (whose own handling the main guard at the end puts in place); not on an import.
_EARLY_STOP = (
    'if __name__ == "__main__":  # Ctrl-C or SIGTERM while the libraries below load: one line, as in main\n'
    '    for stop_signal in (signal.SIGINT, signal.SIGTERM):\n'
    '        signal.signal(stop_signal, lambda n, f: os._exit(sys.stderr.write(f"{sys.argv[0]}: " + (\n'
    '            "interrupted" if n == signal.SIGINT else "stopped by SIGTERM") + "\\n") and 128 + n))\n\n')


# The libraries a script imports (NumPy, PyTorch...): one missing is one line naming what to install, exit 2.
_MISSING = (
    "try:\n{}\n"
    "except ModuleNotFoundError as missing:  # one line, as every mistake: what to install\n"
    "    name = str(missing.name)\n"
    '    sys.exit(print(f"{{sys.argv[0]}}: error: this script needs the package {{name}}", "hint: pip install "\n'
    '                   + {{"sklearn": "scikit-learn"}}.get(name, name), sep="\\n", file=sys.stderr) or 2)')


def _docstring(program: Program, task: str, script: str | None = None, beside: str | None = None) -> str:
    """The script's docstring, naming the file ``script`` it is written to (None: not known, as on stdout),
    and where it reads its data file when that is gone (:func:`_beside_lines`: ``beside``, then its name alone);
    every user text in it (the task, the file, the program with its comments) is escaped
    (:func:`mlevolve.interpreter.codegen.doc_literal`), so none can end the string early.  The program's
    ``task`` line names the task the script trains on (not the file's own, nor a spelling of it), or is
    left out where that name cannot be written as one (a quote or line break in a file name)."""
    program = dataclasses.replace(program, task=None if '"' in task or "\n" in task or "\r" in task
                                  or len(task) > WIDTH - 10 else task)  # too long a line: named by the next
    run = f"Run `python {shlex.quote(os.path.basename(script))} --json` in its folder" if script \
        else "Run this file with `--json`"  # the file's name alone: still true once the script is moved
    file = split_spec(task)[0]
    name = os.path.basename(file) if os.path.isabs(file) else ""  # a data file's (:func:`_beside_lines`)
    line = f"{run} to train it on {task!r} and print its metrics."  # the command on a line of its own if too long,
    if len(line) > 110:  # and a long task's spec on one of its own, which the wrapping leaves whole
        line = line.replace("` to train", "`\nto train", 1) if len(repr(task)) <= 80 else \
            f"{run}\nto train it on\n{task!r}\nand print its metrics."
    text = (f"{program.name}: a program found or written with mlevolve, as a standalone training script.\n\n"
            + line + "\n"
            + (f"Where that file is gone, it reads {beside!r} from this script's folder, else {name!r} beside it.\n"
               if beside and beside != name else f"Where that file is gone, it reads {name!r} beside this script.\n"
               if name else "")
            + f"The program, in the mlevolve language:\n\n{format_program(program)}")
    return f'"""{wrapped_text(doc_literal(text), "", WIDTH - 3)}"""'


def _relative(data: Path, script: str | None) -> str | None:
    """The path of ``data`` from the folder of the file ``script`` (None: not known, or no such path, as
    from another drive)."""
    try:
        return None if script is None else os.path.relpath(data, Path(script).resolve().parent)
    except ValueError:  # Windows: another drive
        return None


def export_source(program: Program, spec: GrammarSpec, task: str, seed: int = 0, epochs: int = 10,
                  compiled: Compiled | None = None, script: str | None = None,
                  refused: Mapping[str, tuple[str, str]] | None = None) -> str:
    """The text of the standalone script for ``program`` (checked) trained on ``task`` (a data file's by its
    absolute path, so that the script's default task is found from any folder, and by its path from the script's
    folder where the file is gone: the two moved together); its docstring names the file ``script`` it is written
    to (None: not known, as on stdout); ``refused`` as :func:`main_source`'s."""
    compiled = compiled or compile_program(program, spec)
    regime = compiled.regime
    beside = None
    if regime.loader_for(task).names is None:  # a data file, by its absolute path: the script runs from any folder
        name, typed = split_spec(task)
        task = ":".join([str(Path(name).resolve()), *(f"{k}={spec_value(v)}" for k, v in typed.items())])
        beside = _relative(Path(name).resolve(), script)
    functions, wiring = compiled.source.rstrip().rsplit("\n", 1)
    dim = regime.dim and "DIM" in {n.id for n in ast.walk(ast.parse(functions)) if isinstance(n, ast.Name)}
    main = main_source(regime, program, wiring, task, seed, epochs, dim, refused, beside)
    loader = regime.loader_for(task)
    modules = _closure([loader.module, regime.module, "shown"])  # shown: main prints the metrics by it
    parsed = {m: _module(m) for m in modules}
    binders = {name: piece for m in parsed.values() for piece in m[2] for name in piece.binds}

    def reach(names: set[str]) -> tuple[set[int], set[str]]:
        """The statements that bind ``names`` or what those read, transitively; and every name read."""
        found: set[int] = set()
        stack = list(names)
        while stack:
            piece = binders.get(stack.pop())
            if piece is not None and id(piece) not in found:
                found.add(id(piece))
                stack.extend(piece.reads - names)
                names = names | piece.reads
        return found, names

    # Keep what the program and main reach; the data section is what the loader's function reaches, but the rules
    # of reading --task and an integer flag, shown after the loop, next to the main that applies them.
    kept, wanted = reach({n.id for n in ast.walk(ast.parse(functions + "\n" + main)) if isinstance(n, ast.Name)})
    data = reach({loader.function})[0]
    reading = {id(p) for m in _READING for p in (parsed[m][2] if m in parsed else ())}

    def section(ids: set[int]) -> tuple[str, str]:
        """The kept statements among ``ids``, in module order, and the names of their modules."""
        pieces = [(p, j == 0) for m in modules for j, p in enumerate(q for q in parsed[m][2] if id(q) in ids)]
        text = "".join(("\n" * (3 if first else p.gap + 1) if i else "") + p.text
                       for i, (p, first) in enumerate(pieces))
        return text, ", ".join(f"{m}.py" for m in modules if any(id(q) in ids for q in parsed[m][2]))

    data_text, data_from = section(data & kept - reading)
    loop_text, loop_from = section(kept - data - reading)
    reading_text, reading_from = section(kept & reading)
    imports = _imports([i for m in parsed.values() for i in m[1]], wanted)
    head = _docstring(program, task, script, beside) + "\n\n" + _FUTURE + imports
    parts = [
        *(["DIM = 0  # the number of input features, set by main()"] if dim else []),
        f"{_RULE} the program (generated by mlevolve from the source above)\n" + functions.strip(),
        f"{_RULE} the data (mlevolve/interpreter/standalone: {data_from})\n" + data_text,
        f"{_RULE} the training loop (mlevolve/interpreter/standalone: {loop_from})\n" + loop_text,
        f"{_RULE} reading --task and integer flags (mlevolve/interpreter/standalone: {reading_from})\n" + reading_text,
        f"{_RULE} main\n" + main,
        'if __name__ == "__main__":\n'
        '    stop = [signal.SIGINT]  # Ctrl-C, or SIGTERM (as `kill` sends): as mlevolve, one line, 128 + its number\n'
        '    signal.signal(signal.SIGINT, signal.default_int_handler)\n'
        '    signal.signal(signal.SIGTERM, lambda n, f: stop.insert(0, n) or signal.default_int_handler(n, f))\n'
        '    try:\n        main()\n'
        '    except KeyboardInterrupt:\n'
        '        word = "interrupted" if stop[0] == signal.SIGINT else "stopped by SIGTERM"\n'
        '        raise SystemExit(print(f"{sys.argv[0]}: {word}", file=sys.stderr) or 128 + stop[0]) from None',
    ]
    gap = "\n" * (2 if dim else 3)  # after the imports, as isort puts them: two blank lines before a definition
    return head + gap + "\n\n\n".join(parts) + "\n"
