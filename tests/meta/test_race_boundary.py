"""The race's displacement rule at its boundary (found by qa35; left as a known failure: a t-quantile rule would
change the committed, pre-registered margin runs, so it waits for a config option and their reruns).

Two shared pairs whose challenger-minus-champion gains are ``d`` and ``0``: their mean is ``d / 2`` and their
standard error (:func:`paired_se`) ``stdev([d, 0]) / sqrt(2) = d / 2``, the same number; so with
``race_margin = 1`` the test ``difference >= margin * se`` holds for every ``d`` (exactly equal or one ulp
apart: floating rounding decides, never the evidence).  The evidence is t = 1 on one degree of freedom, whose
one-sided p is 0.25, not the 16% the margin's docstring gives a 1-SE bound: the right answer is that it does not
displace (a boundary taken strictly, with a tolerance, or a Student-t quantile in place of the z-bound)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlevolve.meta.evolve import displaces, paired_se


# Fixed values, not hypothesis: a strict xfail under hypothesis ended every passing run with hypothesis's
# "git apply .hypothesis/patches/..." advice for the failure it expected; each value here must fail alike.
@pytest.mark.xfail(strict=True, reason="meta.evolve.displaces takes difference >= margin * se: at t = 1 with two "
                                       "pairs it always displaces (a z-bound, not a t-quantile)")
@pytest.mark.parametrize("d", [1e-3, 0.1, 0.37, 1.0])
def test_one_gain_and_one_null_pair_do_not_pass_a_one_se_margin(d: float) -> None:
    assert not displaces(d / 2, paired_se([d, 0.0]), 1.0)


@given(st.floats(min_value=1e-3, max_value=1.0))
def test_the_two_pairs_mean_is_their_standard_error(d: float) -> None:
    """The arithmetic the finding rests on: t = 1 whatever ``d``."""
    se = paired_se([d, 0.0])
    assert se is not None and se == pytest.approx(d / 2, rel=1e-12)
