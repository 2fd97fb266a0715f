"""Every training loop fails at its pace a run that cannot fit its time budget, the DQN loop too.

``mlevolve run examples/dqn_chain.mlev --epochs 100000000`` trained for the whole 300 s budget before failing: the
DQN loop checked only the budget's end, where the supervised, policy-gradient and generative loops also check, from a
twentieth of the budget on, whether the episodes or steps done so far say the whole would take over twice the
budget (``Budget.check_time``; tests/interpreter/test_interpreter.py holds those three to it).  A fresh-user pass,
qa56n.
"""

from __future__ import annotations

import re

import mlevolve
from mlevolve.grammar.spec import load_grammar
from mlevolve.interpreter import runtime
from mlevolve.interpreter.evaluate import Settings, evaluate
from mlevolve.interpreter.tasks import load_task
from tests.conftest import EXAMPLES


def test_a_dqn_run_that_cannot_fit_its_budget_fails_at_its_pace() -> None:
    program = mlevolve.parse_file(EXAMPLES / "dqn_chain.mlev")
    settings = Settings(epochs=10**8, budget=runtime.Budget(max_seconds=4.0))
    outcome = evaluate(program, load_task("chain"), load_grammar(), settings)
    assert outcome.failure is not None and outcome.failure.where.startswith("update ")
    took = re.fullmatch(r"([0-9,]+) of 2,000,000,000 episodes took ([0-9.e+]+) s: all would take about ([0-9.e+]+) "
                        r"s, over the time budget of 4 s", outcome.failure.reason)
    assert took is not None, outcome.failure.reason  # the pace's verdict, not the budget's end ("over the ...")
    assert float(took.group(2)) <= 4.0 <= float(took.group(3)) / 2
    fits = Settings(epochs=1, budget=runtime.Budget(max_seconds=300.0))  # a pace that fits is never cut short
    assert evaluate(program, load_task("chain"), load_grammar(), fits).failure is None
