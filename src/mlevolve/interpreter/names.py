"""The Python names of generated code: which names are reserved, and how a user's name becomes a
Python identifier (:func:`py_name`).

An exported script puts the program's functions in one module with the standalone modules the
program's regime needs (:mod:`mlevolve.interpreter.standalone`) and its own ``main``, so the names
those modules bind at top level are reserved, with the builtins and the names generated code uses.
The standalone modules' helpers start with ``_`` (never a plain user name, see :func:`is_plain`);
their public names are listed in :data:`STANDALONE_NAMES`, which a test holds equal to the modules.
"""

from __future__ import annotations

import builtins
import keyword
import re

# Every public name a standalone module binds at top level (imports, classes, functions, constants).
STANDALONE_NAMES = frozenset({
    "Any", "Budget", "CHAIN_TRAP_REWARD", "CONTROL", "CONTROL_FIELDS", "Callable", "CandidateFailure", "ChainMDP",
    "DENSITY", "DENSITY_SIZE", "DIGITS_DENSITY", "DIGITS_DENSITY_SPLIT", "DQN_BATCH", "DQN_TARGET_EVERY", "F",
    "FAMILIES", "FAMILY_OPTIONS", "FILE_OPTIONS", "FLOW_LAYERS", "FORMULAS", "FORMULA_OPTIONS", "GEN_BATCH",
    "GEN_HIDDEN", "GEN_LEARNING_RATE", "GEN_STEPS_PER_EPOCH", "GenerativeProgram", "IW_SAMPLES",
    "LEARNER_FILE_OPTIONS", "LOG_2PI", "Lambda", "LayerNorm", "LearnerProgram", "MAX_CLASSES", "MAX_OBJECTIVE",
    "MISSING", "MISSING_HINT", "NUMBER", "OPTION_RANGES", "POINT_MAX_ABS", "PROJECTED_DIGITS", "Path", "RLProgram",
    "RANGE_WORDS", "RL_ENVS", "RL_HIDDEN", "RL_LEARNING_RATE", "RealNVP", "Residual", "SEED_LIMIT", "SPEC_WORDS",
    "SUPERVISED", "Sequence",
    "SupervisedProgram", "TEACHER_HIDDEN", "TaskError", "USER_OPTIONS", "VAE", "VAE_DECODER_STD",
    "VAE_HIDDEN_PER_DIM", "adam", "cell_fault", "check_finite", "check_size", "check_varies", "checked",
    "control_task", "csv", "dataclass", "datasets", "default_model", "density_task", "digits_task", "draw",
    "dropout", "family", "family_options", "file_points", "formula_file", "formula_task",
    "inspect", "int_option", "learner_file",
    "learner_predictions", "learner_task", "make_env", "math", "nn", "np", "parse_spec", "points", "re",
    "read_table", "run_formula", "run_learner", "supervised", "supervised_file", "supervised_task", "synthetic_arrays",
    "time", "torch",
    "train_generative", "train_rl", "train_supervised", "vae_hidden",
    "UNREADABLE", "io", "not_a_file", "shlex", "zipfile", "zlib",  # standalone/data.py's reader (the library's too)
    "BUILT_IN", "file_spec", "check_group", "TEXT",  # standalone/data.py: a file's spec, group=, a column of text
    "header_error",  # standalone/data.py: a header's mistake at its place
    "POINT_MIN_VARIANCE", "MIN_TRAIN_POINTS", "LEAST",  # standalone/data_formula.py, spec.py's least n_train
    "BEYOND", "PROBLEMS", "DSL_KEYWORDS", "CHOICE_WORDS", "CHOICE_CONTEXT", "MAX_FAMILY_VALUES", "check_family_size",
    "Iterable", "closest", "counted", "did_you_mean", "difflib", "listed",  # standalone/spelling.py
    "printable", "COMMA", "COMMA_HINT", "DECIMAL_COMMA", "GROUPED", "comma_fix",  # qa73: escaped quotes, decimal commas
    "BINARY",  # qafix74: a data file with a NUL byte refused as binary
    "INTEGER", "read_int", "mended", "choice_error", "spec_name",  # standalone/spec.py's spec and integer rules
    "split_spec", "spec_options", "task_hint", "ONLY", "QUOTED", "spec_value",
    "importlib", "package",  # spec.py: a package a task imports on first use
    "weight_fault", "MIN_FILE_ROWS", "weighted_mean", "WEIGHT_NAMES",  # a formula's weight= column, its metrics
    "with_r2",  # standalone/common.py: R-squared beside a regression's MSE (ux96)
    "target_hint",  # standalone/data.py: a CSV task naming no target told its header's column or its lack (sr67)
    "METRIC_DIGITS", "shown_metric",  # standalone/shown.py: a metric as text, as mlevolve shows it
})
# Names of an exported script's own: its imports and ``main`` with its locals (see export._main).
# (A comprehension's targets are its own scope's: ``for k, v in metrics.items()`` shadows no definition ``v``.)
SCRIPT_NAMES = frozenset({"annotations", "argparse", "json", "os", "sys", "main", "args", "parser", "data", "metrics",
                          "err", "DIM", "PROGRAM", "rng", "flags", "twice", "msg", "hint",
                          "odd", "close", "known", "rule", "usage", "moved", "path",  # the data file beside
                          "signal", "stop", "word",  # the stop handler's (``if __name__ == "__main__":``)
                          "its_tasks", "other_tasks", "named",  # a task of another kind (export._misfit_lines)
                          "notes", "reads"})  # what run says after the metrics (export._notes_lines)
RESERVED = STANDALONE_NAMES | SCRIPT_NAMES | frozenset(dir(builtins))
# A generated function's parameters and locals live in its own frame: only the names its body reads
# (modules, helpers, ``DIM``, ``rng``, builtins) are reserved there, not ``main``'s locals and imports.
LOCAL_RESERVED = RESERVED - (SCRIPT_NAMES - {"DIM", "PROGRAM", "rng"} - STANDALONE_NAMES)
TEMP = re.compile(r"^tmp\d+$")
# The prefix that escapes a user's name which is not plain (see py_name).  No name the generated code,
# the runtime or the export uses starts with it, so an escaped name is never one of theirs.
ESCAPE = "_u_"


def is_plain(name: str, reserved: frozenset[str] = RESERVED) -> bool:
    """Whether a user's name is used as is in Python: not a keyword, not ``reserved``, not a
    temporary's name (``tmp1``...) and not starting with ``_`` (the escape prefix's first character)."""
    return not (keyword.iskeyword(name) or name.startswith("_") or name in reserved or TEMP.match(name))


def py_name(name: str) -> str:
    """A DSL name as a Python identifier: the name itself if it is plain (:func:`is_plain`), else
    ``ESCAPE + name``.

    Injective, so renaming never changes meaning: a plain image does not start with ``_``, an escaped
    one does, and within each class the map is one-to-one.  No image is reserved or a temporary's name.
    Raises ``ValueError`` for a name that is not an ASCII identifier (Python would NFKC-normalise a
    non-ASCII one, so two names could meet; the parser only reads ASCII names)."""
    if not (name.isidentifier() and name.isascii()):
        raise ValueError(f"not an ASCII identifier: {name!r}")
    return name if is_plain(name) else ESCAPE + name


def py_local(name: str) -> str:
    """A DSL name of a parameter or ``let`` as a local of a generated function: :func:`py_name` with
    only :data:`LOCAL_RESERVED` reserved, so a parameter named ``value`` keeps its name (a caller may
    pass it by keyword).  Injective as :func:`py_name` is."""
    if not (name.isidentifier() and name.isascii()):
        raise ValueError(f"not an ASCII identifier: {name!r}")
    return name if is_plain(name, LOCAL_RESERVED) else ESCAPE + name
