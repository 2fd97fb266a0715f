"""The run record's per-generation statistics (``gp.record``): the best and median of the fitnesses that are numbers,
a failure's NaN left out, as ``np.nanmax`` / ``np.nanmedian`` give them, without their warning for a generation
whose every member failed (a restarted population's first ones printed NumPy's RuntimeWarning on a resumed run)."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from mlevolve.gp.record import _of_scored

FITNESSES = st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=64), st.just(float("nan"))),
                     max_size=30)


@given(FITNESSES)
@example([8.988465674311579e+307, 8.98846567431158e+307])  # a median whose two middle values' sum overflows
def test_the_statistics_are_numpy_s_nan_statistics_without_a_warning(values: list[float]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        got = (_of_scored(np.max)(values), _of_scored(np.median)(values))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = (np.nanmax(values), np.nanmedian(values)) if values else (np.nan, np.nan)
    assert np.array_equal(got, want, equal_nan=True)
