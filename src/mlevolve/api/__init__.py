"""The public Python API: every command of the CLI is one call here.

    >>> import mlevolve
    >>> program = mlevolve.check(mlevolve.parse_file("examples/mlp_digits.mlev"))
    >>> print(mlevolve.format(program))
    >>> [mlevolve.format_expr(e) for e in mlevolve.sample("Tensor", n=3, seed=0, env={"x": "Tensor"})]

Functions that need PyTorch import it when called, so parsing and checking stay light.  Each
default here is read from the setting's one owner (:class:`~mlevolve.gp.engine.EvolveConfig`,
:class:`~mlevolve.interpreter.settings.Settings`, :class:`~mlevolve.gp.backends.Resources`), or is
this module's own where a setting has no other home (``n``, ``top``, ``confirm``); the CLI reads its
flags' defaults from these signatures.  A bad value raises :class:`~mlevolve.dsl.errors.SettingError`
naming the parameter (the CLI renames it to the flag); so does an argument of another type than the
parameter's annotation, in every function marked :func:`~mlevolve.arguments.typed` (the public ones).
Every other mistake of the caller (a program's syntax or type error, an unknown task or option, a bad cell of a
data file, a missing, foreign or damaged archive, a hash no program has) raises :class:`~mlevolve.dsl.errors.MlevError`
(SettingError is one), whose ``str`` is the ``FILE:LINE:COL: error: ...`` and ``hint:`` lines the CLI prints; a
program that runs but fails on its task is no error: its result says so (``failure``).

The package follows the pipeline: :mod:`~mlevolve.api.checks` (settings), :mod:`~mlevolve.api.programs` (the
language), :mod:`~mlevolve.api.taskdata` (the task and its data), :mod:`~mlevolve.api.running` (``run``,
``export``), :mod:`~mlevolve.api.search` (``evolve``), :mod:`~mlevolve.api.archived` (``best``, ``show``, ``report``,
exports from an archive) and :mod:`~mlevolve.api.metarun` (``meta``).
"""

from __future__ import annotations

from mlevolve.api.archived import (
    answer as answer,
    archived_grammar as archived_grammar,
    archived_program as archived_program,
    best as best,
    drawn_per_candidate as drawn_per_candidate,
    export_from_archive as export_from_archive,
    export_program as export_program,
    no_score as no_score,
    report as report,
    show as show,
)
from mlevolve.api.checks import (
    CONFIRM_LIMIT as CONFIRM_LIMIT,
    EXPORTED_FROM as EXPORTED_FROM,
    MAX_DIGITS as MAX_DIGITS,
    OUTPUT_SUFFIXES as OUTPUT_SUFFIXES,
    POPULATION_LIMIT as POPULATION_LIMIT,
    RUN_SETTINGS as RUN_SETTINGS,
    SCRIPT_IMPORTS as SCRIPT_IMPORTS,
    SETTING_DEFAULTS as SETTING_DEFAULTS,
    WRITTEN_BY as WRITTEN_BY,
    algorithm_reads as algorithm_reads,
    check_apart as check_apart,
    check_json_log as check_json_log,
    check_not_overwriting as check_not_overwriting,
    check_output as check_output,
    check_seed as check_seed,
    check_settings_read as check_settings_read,
    script_name as script_name,
    shadowed as shadowed,
    write_atomic as write_atomic,
)
from mlevolve.api.metarun import (
    grammar_diff as grammar_diff,
    meta as meta,
)
from mlevolve.api.programs import (
    SAMPLE_DEPTH_LIMIT as SAMPLE_DEPTH_LIMIT,
    SAMPLE_LIMIT as SAMPLE_LIMIT,
    SAMPLE_METHODS as SAMPLE_METHODS,
    canonical_hash as canonical_hash,
    check as check,
    check_task_line as check_task_line,
    format as format,
    format_expr as format_expr,
    names_file as names_file,
    parse as parse,
    parse_expr as parse_expr,
    parse_file as parse_file,
    program_hash as program_hash,
    read_source as read_source,
    sample as sample,
)
from mlevolve.api.running import (
    export as export,
    export_component as export_component,
    formula_sympy as formula_sympy,
    run as run,
    tasks as tasks,
)
from mlevolve.api.search import (
    RunInterrupted as RunInterrupted,
    evolvable as evolvable,
    evolve as evolve,
    found_hash as found_hash,
    next_commands as next_commands,
    reevaluate as reevaluate,
    resuming_line as resuming_line,
    scoring_line as scoring_line,
)
from mlevolve.api.taskdata import (
    check_settings_apply as check_settings_apply,
    check_task_data as check_task_data,
    exported_settings as exported_settings,
)

