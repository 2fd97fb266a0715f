"""mlevolve: discover machine-learning algorithms by genetic programming over a typed language.

The curated API (see ``mlevolve.api`` for the details of each function)::

    parse, parse_file, check, format, sample          # the language
    run, export, tasks                                # training, standalone scripts, the task registry
    export_component                                  # one definition as a drop-in torch/sklearn module
    load_grammar, GrammarSpec                         # the typed grammar (the search space)
    parse_expr, format_expr, canonical_hash, program_hash
    MlevError                                         # every user-facing error
"""

from mlevolve.api import check, export, export_component, format, parse, parse_file, read_source, run, sample, tasks
from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.ir import Call, Definition, Expr, Let, Num, Param, Program, Ref, Tup
from mlevolve.dsl.parse import parse_expr
from mlevolve.dsl.printer import format_expr
from mlevolve.dsl.traverse import canonical_hash, program_hash
from mlevolve.grammar.spec import GrammarSpec, load_grammar

__version__ = "0.1.0"

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
