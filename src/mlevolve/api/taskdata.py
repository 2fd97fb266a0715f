"""The task a program runs on: its name checked against the program's kind, its data read before PyTorch
is imported, the loss checked on it, and the settings (seed, epochs) an exported program carries.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlevolve.api.checks import EXPORTED_FROM, RUN_SETTINGS, _at_least, _unread, check_seed
from mlevolve.api.programs import (
    _file_of,
    _program,
    at_option,
    at_param,
    check_task_line,
    line_file_hint,
    line_task,
)
from mlevolve.arguments import typed
from mlevolve.dsl.errors import (
    MlevError,
    SettingError,
)
from mlevolve.dsl.ir import Program, Span
from mlevolve.grammar.spec import GrammarSpec, load_grammar
from mlevolve.interpreter.settings import Settings


def _not_empty(task: str | None) -> None:
    """Raise :class:`SettingError` for a task given as blank text (``--task "$UNSET"``), which would otherwise
    mean the default task (the file's own, or the run's) silently."""
    if task is not None and not task.strip():
        raise SettingError("{task} is empty", hint="name a task (`mlevolve tasks` lists them), or leave {task} out "
                           "for the default one")


def _task_name(program: Program, task: str | None, file: str | None = None, *, search: bool = False) -> str:
    """The task (checked) ``program`` runs on: ``task``, else its task line's (:func:`check_task_line`), by its one
    name (:func:`~mlevolve.interpreter.tasks.canonical_spec`: what is stored, shown and exported); one of another
    kind than the program's is refused before any data is read (an RL program's ``--task data.csv``).  ``search``:
    for a learner search, whose synthetic family's task takes the search's defaults
    (:func:`~mlevolve.interpreter.tasks.search_spec`)."""
    from mlevolve.interpreter.regimes import regime_of
    from mlevolve.interpreter.tasks import canonical_spec, search_spec

    named = search_spec if search else canonical_spec
    _not_empty(task)
    if task:
        _kind_fits(program, task)
        return named(task, regime_of(program).name)  # _kind_fits found the regime
    check_task_line(program, file)  # its kind too
    if not program.task:
        raise SettingError("no task to run on", hint="pass {task} NAME or add a `task NAME` line to the program; "
                           "`mlevolve tasks` lists them")
    try:
        kind: str | None = regime_of(program).name
    except (MlevError, KeyError):  # no definitions, or a mix: the one-program rule's to report
        kind = None
    return named(line_task(program, file) or program.task, kind)


def _kind_fits(program: Program, task: str) -> None:
    """Raise :class:`MlevError` when ``task`` is of another kind than (checked) ``program``'s regime runs on."""
    from mlevolve.interpreter.regimes import regime_of
    from mlevolve.interpreter.tasks import check_task_kind

    check_task_kind(regime_of(program), task)


def _load_task(checked: Program, name: str, seed: int, program: Program | str | Path, task: str | None) -> Any:
    """The task ``checked`` runs on, as it needs it (:func:`~mlevolve.interpreter.factory.load_task_for`).
    A mistake in a task the program's ``task`` line names (an unknown option, a bad data file) is
    reported at that line, in the program's file (one about an option at that option: :func:`at_option`); one
    located already (a bad cell at its ``FILE:LINE:COL``
    in the data file) keeps its own place, as :func:`check_task_line` keeps it.  A formula's parameter that no
    column is named after is said at that parameter, however the task was given (:func:`at_param`)."""
    from mlevolve.interpreter.factory import load_task_for

    try:
        return load_task_for(checked, name, seed)
    except MlevError as err:
        if at_param(err, checked):
            raise (err.located(file) if (file := _file_of(program)) else err).with_source(checked.source) from None
        if task or checked.task_span is None:
            raise
        if not at_option(err, checked):  # an option's mistake at that option; a bad cell keeps its place in the file
            if err.span is not None or err.file is not None:
                raise
            err.span = checked.task_span
            err.hint = line_file_hint(err, checked, _file_of(program)) or err.hint  # where it was looked for, and why
        raise (err.located(file) if (file := _file_of(program)) else err).with_source(checked.source) from None


def _check_loss(checked: Program, data: Any, name: str, program: Program | str | Path,
                evolved: frozenset[str] = frozenset()) -> None:
    """Refuse, at its definition, a loss that cannot train on the task's kind of targets (a classification
    loss on a regression, or the reverse): :func:`~mlevolve.interpreter.loss_fit.check_loss_fits`.  A loss
    the run evolves (``evolved``) is not checked: its mutants may fit."""
    from mlevolve.interpreter.loss_fit import check_loss_fits

    check_loss_fits(checked, data, name, _file_of(program), evolved)


def _ready(checked: Program, spec: GrammarSpec, name: str, seed: int, program: Program | str | Path,
           task: str | None, evolved: frozenset[str] = frozenset()) -> tuple[Any, Any]:
    """The task's data and the compiled program, after every check ``run`` makes before PyTorch: the task
    loaded (its data file read and validated, :func:`_load_task`), the program fitted to it (its regime's kind
    of task; a formula's inputs, at the formula), and its loss to the kind of targets (:func:`_check_loss`; not
    the ``evolved`` ones).  ``run``, ``export``, ``evolve`` and :func:`check_task_data` (``mlevolve check``)
    share it, so a program ``check`` passes does not fail these on its task line.  Raises :class:`MlevError`."""
    data = _load_task(checked, name, seed, program, task)
    from mlevolve.interpreter.codegen import compile_program
    from mlevolve.interpreter.tasks import check_task_fits

    compiled = compile_program(checked, spec)
    formula = next((d for d in checked.definitions if d.kind == "formula"), None)
    extra = formula.params[getattr(data, "n_vars", len(formula.params)):] if formula else ()  # past the task's inputs
    at = extra[0].span if extra and extra[0].span else formula and formula.span  # the first too many, else the formula
    try:
        check_task_fits(compiled, data, name, at)  # torch-free: a misfit is reported at once
    except MlevError as err:
        raise (err.located(file) if err.span is not None and (file := _file_of(program)) else err) from None
    _check_loss(checked, data, name, program, evolved)
    return data, compiled


@typed
def check_task_data(program: Program, file: str | None = None, grammar: GrammarSpec | None = None, *,
                    seed: int | None = None) -> None:
    """Raise :class:`MlevError` where ``run`` would before training ``program`` (checked) on its ``task``
    line: the line itself (:func:`check_task_line`), its data read and validated as ``run`` with ``seed`` reads
    it (that seed's split: a target constant on one seed's training rows is refused for that seed), the
    program fitted to the task (see :func:`_ready`).  Nothing is trained and PyTorch is not imported; a
    built-in task is loaded as ``run`` loads it, but for an RL environment or a density data set, which take
    no options and fit every program of their kind: loading one (scikit-learn's import, about 2 s) would check
    nothing :func:`check_task_line` has not.  ``mlevolve check`` runs it on every file with a task line.
    ``seed`` None: the one ``run`` takes (an exported program's run's, :func:`exported_settings`; else 0)."""
    from mlevolve.grammar.rules import expand_program
    from mlevolve.interpreter.tasks import is_data_file, task_info

    _check_given(seed, None)
    seed = _settings_of(program, seed, None)[0]
    check_task_line(program, file)
    if program.task is not None and (is_data_file(program.task) or
                                     task_info(program.task).kind not in ("rl", "generative")):
        spec = grammar or load_grammar()  # what runs: the grammar's learned rules inlined, as run inlines them
        _ready(expand_program(program, spec.rules), spec, line_task(program, file) or program.task, seed,
               file or program, None)


_EXPORTED = re.compile(re.escape(EXPORTED_FROM) + " .*" + re.escape(RUN_SETTINGS).replace(r"\{\}", "([^()]*)"))


#: Each option an exported program's first line may name (:func:`export_program` writes them), to the check of its
#: value after :func:`~mlevolve.interpreter.standalone.spec.read_int` reads it as the command line's flag type does
#: (``--task``: a name, kept as written): the one rule of a header's options, the flags' own validators.
HEADER_OPTIONS: dict[str, Any] = {"--seed": check_seed, "--epochs": lambda epochs: _at_least(epochs=epochs),
                                  "--task": None}


@typed
def exported_settings(program: Program) -> dict[str, int]:
    """The ``seed`` and ``epochs`` an exported program's first comment line names (``--seed 7``, as
    :func:`export_program` writes them: its run's, where not the defaults); {} for any other program.
    ``run``, ``export`` and ``check`` take them where none is given, so that ``mlevolve run best.mlev``
    scores as the run did and as the script exported from the same archive does.  Each option is read as the
    command line reads its flag (:data:`HEADER_OPTIONS`): a value that flag refuses (``--seed -3``, ``--seed ５``, one
    out of range), an unknown option or one without its value raises :class:`MlevError` at ``FILE:1:COL``."""
    from mlevolve.interpreter.standalone.spec import read_int
    from mlevolve.messages import INTEGER_RULE

    match = _EXPORTED.fullmatch(program.comments[0].strip()) if program.comments else None
    if match is None:
        return {}
    first = (program.source or "").split("\n", 1)[0]
    base = first.find(match[1]) if match[1] and match[1] in first else -1

    def refuse(word: str, at: int, message: str, hint: str) -> MlevError:
        column = (base + at + 1) if base >= 0 else 1
        return MlevError(f"its first line names {message}", Span(1, column, 1, column + max(len(word), 1) - 1), hint,
                         program.file).with_source(program.source)

    try:
        words = shlex.split(match[1])
    except ValueError:  # an edited line whose quotes no longer pair
        raise refuse(match[1], 0, "options whose quotes do not pair", "export it again, or pair the quotes") from None
    out: dict[str, int] = {}
    at = 0
    for i in range(0, len(words), 2):
        flag, value = words[i], (words[i + 1] if i + 1 < len(words) else None)
        at = match[1].find(flag, at)
        if flag not in HEADER_OPTIONS:
            raise refuse(flag, at, f"'{flag}', no option of an exported program's",
                         f"its options are {', '.join(HEADER_OPTIONS)}; export it again")
        if value is None:
            raise refuse(flag, at, f"{flag} without its value", f"give {flag} a value, or export it again")
        at = match[1].find(value, at + len(flag))
        if HEADER_OPTIONS[flag] is None:
            continue
        try:
            number = read_int(value)
            HEADER_OPTIONS[flag](number)
        except ValueError as err:  # read_int's, or the flag's range (a SettingError)
            said = err.rename(lambda name: "--" + name).message if isinstance(err, SettingError) else "no integer"
            hint = err.hint if isinstance(err, SettingError) and err.hint else INTEGER_RULE
            raise refuse(value, at, f"{flag} {value}: {said}", f"{hint}; or export it again") from None
        out[flag[2:]] = number
    return out


def _check_given(seed: int | None, epochs: int | None) -> None:
    """Refuse a ``seed`` or ``epochs`` given (not None) out of its range: the caller's mistakes, before the file's."""
    if epochs is not None:
        _at_least(epochs=epochs)
    if seed is not None:
        check_seed(seed)


def _settings_of(program: Program, seed: int | None, epochs: int | None) -> tuple[int, int]:
    """``seed`` and ``epochs`` where given (checked already), else ``program``'s :func:`exported_settings`, else the
    defaults; one the first line names out of range (the line edited) is refused at the file."""
    named = {k: v for k, v in exported_settings(program).items() if {"seed": seed, "epochs": epochs}[k] is None}
    return (named.get("seed", Settings.seed) if seed is None else seed,
            named.get("epochs", Settings.epochs) if epochs is None else epochs)


@typed
def check_settings_apply(program: Program | str | Path, given: Sequence[str], *,
                         grammar: GrammarSpec | None = None) -> None:
    """Refuse a setting named in ``given`` (``epochs``, ``hurdle``, ``fit``) that ``program``'s regime does not
    read (:data:`_READ_BY`): ``epochs`` for a formula or learner, ``hurdle`` for them, ``fit`` for a network.  The
    one rule: :func:`run`, :func:`export` and :func:`evolve` pass the settings off their defaults, the commands the
    flags typed.  A program that is no one program is left to the one-program rule.  Raises :class:`SettingError`."""
    from mlevolve.interpreter.regimes import regime_of

    if not given:
        return
    try:
        regime = regime_of(program if isinstance(program, Program) else _program(program, grammar or load_grammar()))
    except (MlevError, KeyError):  # no definitions, or a mix: the one-program rule's to report
        return
    for name in given:
        if (refused := _unread(name, regime)) is not None:
            raise refused
