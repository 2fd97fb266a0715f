"""One rule for every integer a user types (`common.read_int`): a flag's, a task option's, an exported script's flag's.

ASCII digits, optionally with an exponent of digits (``1e3`` is 1000); no sign, inner space, decimal point, ``_`` or
another script's digits; space around it is none of it.  A flag's bad integer names the rule in its hint; a task
option's mends the spec typed.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlevolve.cli import build_parser
from mlevolve.interpreter.standalone.spec import INTEGER, TaskError, int_option, read_int
from mlevolve.messages import INTEGER_RULE
from tests.conftest import EXAMPLES, Capsys, usage_error

QUARTIC = str(EXAMPLES / "quartic.mlev")


@pytest.mark.parametrize("text", ["+20", "2 0", " 2 0", "1e 3", "-1", "1e+3", "1e-0", "2.0", "1_000", "١٢", "0x10", "",
                                  "e3", "9" * 100])
@pytest.mark.parametrize("flag", ["--budget", "--seed", "--population", "--workers"])
def test_a_flag_refuses_an_integer_off_the_rule_with_the_rule_as_its_hint(capsys: Capsys, flag: str,
                                                                         text: str) -> None:
    err = usage_error(capsys, "evolve", QUARTIC, flag, text)
    every = "--workers 0 is one per core (as -1 is for joblib's n_jobs); " if flag + text == "--workers-1" else ""
    assert err.splitlines() == [f"mlevolve evolve: error: argument {flag}: invalid int value: '{text}'",
                                f"hint: {INTEGER_RULE}; {every}run `mlevolve evolve --help`"]


@pytest.mark.parametrize(("text", "value"), [("20", 20), ("020", 20), ("1e3", 1000), ("2E1", 20), ("1e0", 1),
                                             (" 20", 20), ("20 ", 20), ("\t1e3\n", 1000)])  # space around: none of it
def test_a_flag_reads_an_integer_as_a_task_option_does(text: str, value: int) -> None:
    args = build_parser().parse_args(["evolve", QUARTIC, "--budget", text])
    assert args.budget == value
    assert int_option("n_tasks", {"n_tasks": text}, "linear", 10) == value


@given(st.text(st.sampled_from("0123456789+-.eE _x١２"), max_size=8))
def test_read_int_takes_exactly_the_rule(text: str) -> None:
    try:
        got = read_int(text)
    except ValueError:
        assert not INTEGER.fullmatch(text.strip())
        with pytest.raises(TaskError, match="must be an integer"):
            int_option("n_train", {"n_train": text}, "nguyen1", 20)
    else:
        mantissa, _, exponent = text.strip().lower().partition("e")
        assert mantissa.isdigit() and mantissa.isascii() and (not exponent or exponent.isdigit())
        assert got == int(mantissa) * 10 ** min(int(exponent or 0), 99)
