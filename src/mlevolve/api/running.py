"""One program trained and scored on a task (:func:`run`), and exported as a standalone script or a
drop-in component.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlevolve.api.checks import _off_defaults, _unread
from mlevolve.api.programs import _file_of, _program
from mlevolve.api.taskdata import _check_given, _ready, _settings_of, _task_name, check_settings_apply
from mlevolve.arguments import typed
from mlevolve.dsl.errors import (
    MlevError,
)
from mlevolve.dsl.ir import Program
from mlevolve.grammar.spec import GrammarSpec, load_grammar


def _prepare(program: Program | str | Path, task: str | None,
             grammar: GrammarSpec | None) -> tuple[GrammarSpec, Program, str]:
    """The grammar (default: the base), the checked program, and the task it runs on."""
    spec = grammar or load_grammar()
    checked = _program(program, spec)
    return spec, checked, _task_name(checked, task, _file_of(program))


@typed
def run(
    program: Program | str | Path,
    task: str | None = None,
    *,
    seed: int | None = None,
    epochs: int | None = None,
    grammar: GrammarSpec | None = None,
) -> dict[str, Any]:
    """Train ``program`` on ``task`` (default: its ``task`` line) and return its metrics.

    ``program``: a parsed :class:`Program`, its text, or its ``.mlev`` file's path (a :class:`~pathlib.Path`, or a
    ``str`` of one line that ends in ``.mlev`` or names a file: :func:`~mlevolve.api.programs.names_file`, the rule
    of every function taking a program).
    The result has ``task``, ``seed`` and ``failure`` (None, or the reason the program could not be trained, a dict
    of ``reason`` and ``where``: then no metrics); else the regime's metrics (a network's validation and test
    metrics, ``params`` and ``steps``; a formula's ``train_*`` and ``test_*``; a learner's ``val_*``; a regression's
    ``SPLIT_r2`` after each ``SPLIT_mse``, as an exported script prints it), ``fitness``
    (what a search maximises) and ``train_seconds``.  ``seed`` and ``epochs`` (None: not given) default to those an
    exported program's first line names (:func:`exported_settings`: its run's), else to 0 and ``Settings.epochs``.
    Raises :class:`MlevError` for a program that does not check, a task or data file it cannot run on, or a setting
    out of range (before PyTorch is imported); a program that fails on its task (not finite on some points,
    diverging) is its result's ``failure``, not raised.
    """
    _check_given(seed, epochs)
    spec, checked, name = _prepare(program, task, grammar)
    check_settings_apply(checked, _off_defaults(epochs=epochs))
    seed, epochs = _settings_of(checked, seed, epochs)
    data, _ = _ready(checked, spec, name, seed, program, task)  # the user's mistakes first: PyTorch only after these
    from mlevolve.interpreter.evaluate import Settings, evaluate
    from mlevolve.interpreter.standalone.common import with_r2
    from mlevolve.interpreter.tasks import arrays

    outcome = evaluate(checked, data, spec, Settings(seed=seed, epochs=epochs), name)
    return {**with_r2(outcome.as_dict(), arrays(data)), "task": name, "seed": seed}  # R² as the script shows it


@typed
def export(
    program: Program | str | Path,
    task: str | None = None,
    *,
    seed: int | None = None,
    epochs: int | None = None,
    grammar: GrammarSpec | None = None,
    script: str | None = None,
) -> str:
    """The source of a standalone script that trains ``program`` (a :class:`Program`, its text or its file's path,
    as for :func:`run`) on ``task`` like :func:`run` does;
    ``script``: the file it will be written to, which its docstring names (None: "this file"), and from whose
    folder it reads a data file ``task`` names where that file is gone from its absolute path (moved with it).
    ``seed`` and ``epochs``: the script's defaults, as :func:`run`'s (an exported program's: its run's).
    Raises :class:`MlevError` where :func:`run` would, before any training (the script is not run here)."""
    return _export(program, task, seed, epochs, grammar, script, _off_defaults(epochs=epochs))


def _export(program: Program | str | Path, task: str | None, seed: int | None, epochs: int | None,
            grammar: GrammarSpec | None, script: str | None, given: Sequence[str]) -> str:
    """:func:`export`, refusing the settings ``given`` that the program's regime does not read."""
    _check_given(seed, epochs)
    spec, checked, name = _prepare(program, task, grammar)
    check_settings_apply(checked, given)
    seed, epochs = _settings_of(checked, seed, epochs)
    _, compiled = _ready(checked, spec, name, seed, program, task)  # the user's mistakes first: no PyTorch before
    from mlevolve.interpreter.export import export_source
    from mlevolve.interpreter.regimes import regime_of

    # --epochs to a script of a regime without epochs: refused in mlevolve's words, not as an unknown flag
    unread = _unread("epochs", regime_of(checked))
    said = None if unread is None else unread.rename(lambda n: f"--{n}")
    return export_source(checked, spec, name, seed=seed, epochs=epochs, compiled=compiled, script=script,
                         refused={} if said is None else {"--epochs": (said.message, said.hint or "")})


@typed
def export_component(
    program: Program | str | Path,
    name: str,
    *,
    grammar: GrammarSpec | None = None,
) -> str:
    """The source of a standalone module holding definition ``name`` as a drop-in component.

    An optimizer becomes a ``torch.optim.Optimizer``, a learner a scikit-learn regressor, a formula
    a NumPy function with its SymPy expression, a schedule the function with its peak rate ``LR`` and
    ``lr_lambda`` for ``LambdaLR`` (it travels with the file's optimizer too), and so on: every kind has a
    form (``mlevolve.interpreter.components``); the module imports no mlevolve.  Raises :class:`MlevError`
    for a name that is no definition of ``program``.
    """
    from mlevolve.interpreter.components import export_component as _component

    spec = grammar or load_grammar()
    return _component(_program(program, spec, whole=False), name, spec)


@typed
def formula_sympy(program: Program | str | Path, *, grammar: GrammarSpec | None = None) -> Any:
    """The SymPy expression of a program's formula (real symbols; a whole-number literal an exact Integer, a decimal
    literal a Float of its float64 value, 6.29 and never 629/100: ``mlevolve.interpreter.algebra.literal``);
    ``sympy.latex`` of it is its LaTeX.  Raises :class:`MlevError` when the program has no formula."""
    from mlevolve.interpreter.algebra import sympy_of

    checked = _program(program, grammar or load_grammar())
    formulas = [d for d in checked.definitions if d.kind == "formula"]
    if not formulas:
        kinds = ", ".join(f"{x.kind} {x.name}" for x in checked.definitions)
        raise MlevError(f"program '{checked.name}' has no formula", hint=f"it defines {kinds}; "
                        "--sympy and --latex show a formula")
    d = formulas[0]  # the one: _program held the file to one program (two formulas are refused there)
    try:
        return sympy_of(d)
    except MlevError as err:
        raise err.located(file) if (file := _file_of(program)) else err from None


@typed
def tasks() -> builtins.list[dict[str, str]]:
    """Every built-in task as a dict of ``name``, ``kind`` (its regime), ``problem``, ``size`` (people's text) and
    ``description`` (see ``mlevolve.interpreter.tasks``): plain values, as every answer of this module, so
    ``json.dumps`` takes it (``mlevolve tasks --json``)."""
    from dataclasses import asdict

    from mlevolve.interpreter.tasks import list_tasks

    return [asdict(t) for t in list_tasks()]
