"""The wording of the command-line mistakes that both the ``mlevolve`` command and the scripts that
``mlevolve export`` writes report: one owner, so that the same mistake reads the same in both.

Each :class:`Message` is a ``str.format`` template of its error line and of its hint, with the setting
written ``{name}`` (a flag in the command line and in a script: ``--seed``; a parameter's name in the
API) and the values by their own names.  The library raises them as a
:class:`~mlevolve.dsl.errors.SettingError` (:meth:`Message.setting`); ``mlevolve.interpreter.export``
writes them into a script's ``main`` as text (the script imports no mlevolve).  Standard library only.
(The task loaders' own words, which a script runs, are ``interpreter/standalone/spec.py``'s
``SPEC_WORDS`` and ``RANGE_WORDS``, shared in the same way.)
"""

from __future__ import annotations

from typing import NamedTuple

from mlevolve.interpreter.standalone.spelling import counted as counted  # one owner: the scripts' too
from mlevolve.interpreter.standalone.spelling import listed as listed


class Message(NamedTuple):
    """An error line's template and its hint's."""

    text: str
    hint: str

    def setting(self, name: str) -> tuple[str, str]:
        """(text, hint) with the setting written ``{NAME}``, as :class:`~mlevolve.dsl.errors.SettingError`
        names a setting (``{seed}``: ``--seed`` on the command line, ``seed`` in the API)."""
        return self.text.replace("{name}", f"{{{name}}}"), self.hint.replace("{name}", f"{{{name}}}")


SEED_RANGE = Message("{name} must be at least 0 and below 2**63, got {got}",
                     "a seed is a whole number from 0 to 2**63 - 1")
NOT_AN_INTEGER = Message("{name} must be an int, got {got}",  # the API's: a flag's text is read by INTEGER_RULE
                         "pass a whole number as a Python int (not a bool, float or string), e.g. {name}={example}")
NOT_A_NUMBER = Message("{name} must be an int or float, got {got}",
                       "pass a number (not a bool or string), e.g. {name}={example}")
NOT_OF_TYPE = Message("{name} must be {expected}, got {got}",  # any other annotation's (mlevolve.arguments)
                      "pass {expected}, e.g. {name}={example}")
BELOW_2_63 = Message("{name} must be below 2**63, got {got}",
                     "pass a 64-bit integer: below 2**63")  # SQLite's, where runs are archived
AT_LEAST = Message("{name} must be at least {low}, got {got}", "pass {name} {low} or more")
GIVEN_TWICE = "argument {flag}: given twice; give it once"  # the hint: HELP
INTEGER_RULE = "an integer is ASCII digits, as 20 or 1e3: no sign, inner space, comma, decimal point or _"  # read_int's
COUNTS_EVERY_CORE = "--workers 0 is one per core (as -1 is for joblib's n_jobs)"  # a --workers count refused
# read_decimal's: every float flag of mlevolve and of the scripts (space around a value typed is none of it)
DECIMAL_RULE = ("a number is ASCII digits with an optional fraction and exponent, as 0.5 or 1e-3: no sign, inner "
                "space, comma (the decimal point is '.') or _")
def in_repository(path: str) -> str:
    """``path`` (``benchmarks/meta/evidence.py``, ``docs/meta.md``), a file of mlevolve's source repository that the
    installed package lacks, said as such where output names it: from another folder the bare path names nothing."""
    return f"{path} in the mlevolve repository"


HELP = "run `{prog} --help`"  # the hint of a mistake argparse finds (an unknown option, a bad value)
