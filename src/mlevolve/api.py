"""The public Python API: every command of the CLI is one call here.

    >>> import mlevolve
    >>> program = mlevolve.check(mlevolve.parse_file("examples/mlp_digits.mlev"))
    >>> print(mlevolve.format(program))
    >>> [mlevolve.format_expr(e) for e in mlevolve.sample("Tensor", n=3, seed=0, env={"x": "Tensor"})]

Functions that need PyTorch import it when called, so parsing and checking stay light.
"""

from __future__ import annotations

import builtins
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Expr, Program
from mlevolve.dsl.kinds import check_program
from mlevolve.dsl.parse import parse as _parse
from mlevolve.dsl.printer import format_program
from mlevolve.dsl.types import Type
from mlevolve.gp.generate import generate, ramped_half_and_half
from mlevolve.grammar.spec import GrammarSpec, load_grammar


def read_source(path: str | Path) -> str:
    """The text of a ``.mlev`` file; a missing, unreadable or binary file is an :class:`MlevError`."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise MlevError("no such file", file=str(p), hint="check the path") from None
    except IsADirectoryError:
        raise MlevError("is a directory, not a .mlev file", file=str(p)) from None
    except OSError as err:
        raise MlevError(f"cannot read: {err.strerror}", file=str(p)) from None
    nul = data.find(b"\0")
    if nul >= 0:
        raise MlevError(f"binary file (a NUL byte at offset {nul})", file=str(p),
                        hint="a .mlev program is UTF-8 text")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")  # a byte-order mark some editors write
    except UnicodeDecodeError as err:
        raise MlevError(f"not UTF-8 text (bad byte at offset {err.start})", file=str(p),
                        hint="a .mlev program is UTF-8 text") from None


def parse(text: str, file: str | None = None) -> Program:
    """Parse ``.mlev`` text into the IR (syntax only; see :func:`check`)."""
    return _parse(text, file)


def parse_file(path: str | Path) -> Program:
    """Read and parse a ``.mlev`` file."""
    return _parse(read_source(path), str(path))


def check(program: Program | str, grammar: GrammarSpec | None = None, file: str | None = None) -> Program:
    """Type-check a program (or its text) against a grammar (the base grammar by default).

    Returns the program unchanged; raises :class:`MlevError` listing every faulty definition.
    """
    if isinstance(program, str):
        program = _parse(program, file)
    try:
        return check_program(program, grammar or load_grammar())
    except MlevError as err:
        raise err.located(file) if file else err from None


def format(program: Program | str) -> str:
    """The canonical text of a program: ``parse(format(p)) == p``."""
    return format_program(_parse(program) if isinstance(program, str) else program)


def sample(
    type_: Type,
    n: int = 1,
    *,
    seed: int = 0,
    depth: int = 5,
    method: Literal["grow", "full", "ramped"] = "ramped",
    env: Mapping[str, Type] | None = None,
    grammar: GrammarSpec | None = None,
) -> builtins.list[Expr]:
    """``n`` random well-typed expressions of ``type_`` with the names of ``env`` in scope."""
    spec = grammar or load_grammar()
    rng = random.Random(seed)
    if method == "ramped":
        return [ramped_half_and_half(spec, type_, rng, env=env, max_depth=depth) for _ in range(n)]
    return [generate(spec, type_, rng, env=env, max_depth=depth, method=method) for _ in range(n)]


def _program(program: Program | str | Path, grammar: GrammarSpec) -> Program:
    """A checked program from a Program or a path to a ``.mlev`` file."""
    if isinstance(program, Program):
        return check(program, grammar)
    return check(parse_file(program), grammar, file=str(program))


def _task_name(program: Program, task: str | None) -> str:
    name = task or program.task
    if not name:
        raise MlevError("no task to run on", hint="pass --task NAME or add a `task NAME` line to the program; "
                        "`mlevolve tasks` lists them")
    return name


def run(
    program: Program | str | Path,
    task: str | None = None,
    *,
    seed: int = 0,
    epochs: int = 10,
    grammar: GrammarSpec | None = None,
) -> dict[str, Any]:
    """Train ``program`` on ``task`` (default: its ``task`` line) and return its metrics.

    The result has validation and test metrics, ``fitness``, ``train_seconds``, ``params`` (neural
    programs) and ``failure`` (None, or the reason the program could not be trained).
    """
    from mlevolve.interpreter.evaluate import Settings, evaluate
    from mlevolve.interpreter.tasks import load_task

    if epochs < 1:
        raise MlevError(f"--epochs must be at least 1, got {epochs}")
    spec = grammar or load_grammar()
    checked = _program(program, spec)
    name = _task_name(checked, task)
    outcome = evaluate(checked, load_task(name, seed), spec, Settings(seed=seed, epochs=epochs), name)
    return {**outcome.as_dict(), "task": name, "seed": seed}


def export(
    program: Program | str | Path,
    task: str | None = None,
    *,
    seed: int = 0,
    epochs: int = 10,
    grammar: GrammarSpec | None = None,
) -> str:
    """The source of a standalone script that trains ``program`` on ``task`` like :func:`run` does."""
    from mlevolve.interpreter.codegen import compile_program
    from mlevolve.interpreter.evaluate import check_task_fits
    from mlevolve.interpreter.export import export_source
    from mlevolve.interpreter.tasks import load_task

    spec = grammar or load_grammar()
    checked = _program(program, spec)
    name = _task_name(checked, task)
    compiled = compile_program(checked, spec)
    check_task_fits(compiled, load_task(name, seed), name)
    return export_source(checked, spec, name, seed=seed, epochs=epochs, compiled=compiled)


def tasks() -> builtins.list[Any]:
    """Every built-in task with its kind, problem and size (see ``mlevolve.interpreter.tasks``)."""
    from mlevolve.interpreter.tasks import list_tasks

    return list_tasks()
