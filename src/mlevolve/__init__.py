"""mlevolve: discover machine-learning algorithms by genetic programming over a typed language.

The curated API (see ``mlevolve.api`` for the details of each function)::

    parse, parse_file, check, format, sample          # the language
    run, export, tasks                                # training, standalone scripts, the task registry
    export_component                                  # one definition as a drop-in torch/sklearn module
    SymbolicRegressor                                 # the formula search as a scikit-learn regressor
    load_grammar, GrammarSpec                         # the typed grammar (the search space)
    parse_expr, format_expr, canonical_hash, program_hash
    MlevError                                         # every user-facing error

Each name is imported on first use (PEP 562), so ``import mlevolve`` is instant: the console script
installs its Ctrl-C handler before the API's imports (NumPy, Lark) run (:mod:`mlevolve.__main__`).
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # as typing's, without importing typing: the console script installs its handler after this
if TYPE_CHECKING:
    from typing import Any

    from mlevolve.api import (
        canonical_hash,
        check,
        export,
        export_component,
        format,
        format_expr,
        parse,
        parse_expr,
        parse_file,
        program_hash,
        read_source,
        run,
        sample,
        tasks,
    )
    from mlevolve.dsl.errors import MlevError
    from mlevolve.dsl.ir import Call, Definition, Expr, Let, Num, Param, Program, Ref, Tup
    from mlevolve.estimator import SymbolicRegressor
    from mlevolve.grammar.spec import GrammarSpec, load_grammar

__version__ = "0.1.0"

_HOMES = {  # name: the module it is imported from on first use
    **dict.fromkeys(("canonical_hash", "check", "export", "export_component", "format", "format_expr", "parse",
                     "parse_expr", "parse_file", "program_hash", "read_source", "run", "sample", "tasks"),
                    "mlevolve.api"),
    "MlevError": "mlevolve.dsl.errors",
    **dict.fromkeys(("Call", "Definition", "Expr", "Let", "Num", "Param", "Program", "Ref", "Tup"), "mlevolve.dsl.ir"),
    "GrammarSpec": "mlevolve.grammar.spec",
    "load_grammar": "mlevolve.grammar.spec",
    "SymbolicRegressor": "mlevolve.estimator",
}

__all__ = [
    "Call",
    "Definition",
    "Expr",
    "GrammarSpec",
    "Let",
    "MlevError",
    "Num",
    "Param",
    "Program",
    "Ref",
    "SymbolicRegressor",
    "Tup",
    "canonical_hash",
    "check",
    "export",
    "export_component",
    "format",
    "format_expr",
    "load_grammar",
    "parse",
    "parse_expr",
    "parse_file",
    "program_hash",
    "read_source",
    "run",
    "sample",
    "tasks",
]


def __getattr__(name: str) -> Any:
    """The API name ``name``, imported from its module on first use, or the submodule ``name`` (each
    package of mlevolve reaches its own modules so, :mod:`mlevolve._lazy`); AttributeError for any other."""
    home = _HOMES.get(name)
    if home is None:  # a submodule (`mlevolve.api.evolve`, `mlevolve.gp.backends` after `import mlevolve`)
        from mlevolve._lazy import submodule  # imported when first asked: `import mlevolve` stays one module

        return submodule(__name__, name)
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    from mlevolve._lazy import submodules

    return sorted({*submodules(__name__, globals())[1](), *_HOMES})  # this package's names, its modules' and the API
