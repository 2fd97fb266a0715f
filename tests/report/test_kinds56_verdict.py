"""A verdict words the difference of best and start as a difference (kinds56, item 4): "(fitness -0.4598, ...)" read
like a fitness of -0.4598.  Property: whatever the metric and values, the sentence's first parenthesis gives the
metric's name, the difference's magnitude and "higher" or "lower" as the best is above or below the start, and no
signed number after the name; an accuracy's count of examples says "more" or "fewer"."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from mlevolve.results import Metric, answer, difference, verdict

METRICS = [Metric("fitness", True, None), Metric("val_mse", False, "validation"), Metric("val_r2", True, "validation"),
           Metric("val_accuracy", True, "validation"), Metric("val_nll", False, "validation")]
values = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.sampled_from(METRICS), values, values, st.sampled_from([None, 359]))
def test_a_verdicts_difference_is_worded_as_one(metric: Metric, start: float, best: float,
                                                 examples: int | None) -> None:
    said = verdict(metric, start, best, examples=examples)
    if said.startswith("no gain"):
        return
    inside = said[said.index("(") + 1:]
    worded = re.match(rf"{metric.name} ([0-9.e+-]+) (higher|lower)[,)]", inside)
    assert worded is not None, said
    assert worded[2] == ("higher" if best > start else "lower"), said
    assert float(worded[1]) > 0 and abs(float(worded[1]) - abs(best - start)) <= 1e-3 * abs(best - start), said
    assert not re.search(rf"{metric.name} [+-][0-9]", said), said
    if examples and metric.stem == "accuracy" and round((best - start) * examples):
        assert re.search(rf"[0-9,]+ {'more' if best > start else 'fewer'} of 359 validation examples right", said)


def test_the_fresh_learner_verdict_golden() -> None:
    """The reviewer's case: a fresh-task learner run whose best is far worse than its start."""
    got = answer({"fitness": 0.53999}, {"fitness": 0.99982}, task="linear:fresh=1:fitness=relative")["verdict"]
    assert got.startswith("WORSE than the start (fitness 0.4598 lower, ")
    assert difference("val_mse", 0.01) == "val_mse 0.01 higher" and difference("fitness", -0.4598) == \
        "fitness 0.4598 lower"


def test_a_likelihood_ratio_past_a_float_is_written_as_a_power() -> None:
    """(Found by the property above: a negative log-likelihood 710 nats worse raised OverflowError.)"""
    said = verdict(Metric("val_nll", False, "validation"), 0.0, 710.0)
    assert said.startswith("WORSE than the start (val_nll 710 higher, the start's likelihood e^710 times the best's")
