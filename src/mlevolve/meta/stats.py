"""The statistics the meta-level evidence reports.

Small, pure functions over plain sequences: effect size (Vargha–Delaney A12), a rank test
(Mann–Whitney U) with Holm–Bonferroni correction, Wilson intervals for success rates, expected
running time (ERT, Auger & Hansen), a Kendall-tau trend test across ordered snapshots (e.g.
meta-generations; over distinct ones, a repeated snapshot counted once: :func:`distinct_trend`; with
the starting generator first: :func:`from_start_trend`), a
one-sided Wilcoxon signed-rank test of paired differences (:func:`signed_rank_greater`) and the
normalised area under a best-so-far curve.  Values equal up to float rounding
(``mlevolve.results.TIE_RTOL``, relative to 1: AUCs and their gains are at most 1) are ties in every
rank statistic (:func:`snapped`).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np
import numpy.typing as npt
from scipy import stats

from mlevolve.results import tied


def _sample(x: Sequence[float], name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=float).ravel()
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    return arr


def snapped(*samples: npt.NDArray[np.float64], scale: float = 1.0) -> list[npt.NDArray[np.float64]]:
    """``samples`` with each run of values tied (:func:`mlevolve.results.tied`, relative to ``scale`` at least:
    the AUCs and gains here are at most 1) to the run's least value in sorted order replaced by that value,
    so that float rounding (1e-15) is no rank difference: a win in A12, a shift in a rank test, a trend.
    Values more than the tolerance apart keep their order."""
    both = np.concatenate(samples)
    order = np.argsort(both, kind="stable")
    out = both.copy()
    for i in range(1, order.size):
        prev, here = order[i - 1], order[i]
        if tied(float(out[prev]), float(both[here]), scale):  # within the tolerance of its run's least value
            out[here] = out[prev]
    cuts = np.cumsum([s.size for s in samples])[:-1]
    return list(np.split(out, cuts))


def a12(x: Sequence[float], y: Sequence[float]) -> float:
    """Vargha–Delaney A12: the probability that a value drawn from ``x`` exceeds one from ``y`` (ties, values
    equal up to float rounding (:func:`snapped`), count half)."""
    a, b = snapped(_sample(x, "x"), _sample(y, "y"))
    gt = np.count_nonzero(a[:, None] > b[None, :])
    eq = np.count_nonzero(a[:, None] == b[None, :])
    return float((gt + 0.5 * eq) / (a.size * b.size))


def mann_whitney(x: Sequence[float], y: Sequence[float]) -> float:
    """Two-sided Mann–Whitney U p-value; 1.0 when every value in both samples is the same (up to float
    rounding: :func:`snapped`)."""
    a, b = snapped(_sample(x, "x"), _sample(y, "y"))
    both = np.concatenate([a, b])
    if np.all(both == both[0]):
        return 1.0
    result = stats.mannwhitneyu(a, b, alternative="two-sided", method="auto")
    return float(result.pvalue)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (monotone in the sorted order, capped at 1), in the input order."""
    p = np.asarray(pvalues, dtype=float).ravel()
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    scaled = (m - np.arange(m)) * p[order]
    adjusted = np.minimum(np.maximum.accumulate(scaled), 1.0)
    out = np.empty(m)
    out[order] = adjusted
    return [float(v) for v in out]


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a success rate ``successes / n``; ``n == 0`` gives ``(0.0, 1.0)``."""
    if n < 0 or not 0 <= successes <= max(n, 0):
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1.0 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def ert(evaluations_to_target: Sequence[float | None], budget: int) -> float:
    """Expected running time: evaluations spent by all runs / number of successful runs.

    A successful run (a number) counts its evaluations to target, an unsuccessful one (``None``)
    the full ``budget``.  ``math.inf`` when no run succeeded.
    """
    successes = [e for e in evaluations_to_target if e is not None]
    if not successes:
        return math.inf
    failures = len(evaluations_to_target) - len(successes)
    return (float(sum(successes)) + failures * budget) / len(successes)


def run_starts(keys: Sequence[Hashable]) -> list[int]:
    """The index of the first step of each run of consecutive equal ``keys``: ``[a, a, b, b, b, a]`` gives
    ``[0, 2, 5]`` (a key that comes back after another starts a new run)."""
    return [i for i, key in enumerate(keys) if i == 0 or key != keys[i - 1]]


def distinct_trend(values_by_step: Sequence[Sequence[float]], keys: Sequence[Hashable]) -> tuple[float, float]:
    """:func:`trend` over *distinct* steps: consecutive steps with the same key (the same generator, a
    meta-generation's snapshot that the next ones repeat) count once, at the first of their run
    (:func:`run_starts`), so a step held for many meta-generations is one observation, not a block of
    ties that pushes tau toward ±1.  Steps with different keys are distinct even when their values are
    equal (they are ties in the test).  Raises :class:`ValueError` when ``keys`` and ``values_by_step``
    differ in length."""
    if len(keys) != len(values_by_step):
        raise ValueError(f"need one key per step, got {len(keys)} keys for {len(values_by_step)} steps")
    return trend([values_by_step[i] for i in run_starts(keys)])


def from_start_trend(values_by_step: Sequence[Sequence[float]], keys: Sequence[Hashable]) -> tuple[float, float]:
    """:func:`distinct_trend` with the starting generator as the first point: values that are gains over the
    base grammar paired on the same task and seed give the base grammar a gain of exactly 0 on each, so a
    step of zeros (one per value of the first step) is put before the distinct steps, and the test asks
    whether the run improves from where it started (the first step, base grammar to meta-generation 0's
    snapshot, included).  Where the first step's values are all exactly 0 it is already that point (a race
    whose base grammar is meta-generation 0's snapshot) and nothing is put before it.  ``(0.0, 1.0)`` for no
    steps; raises :class:`ValueError` when ``keys`` and ``values_by_step`` differ in length."""
    if len(keys) != len(values_by_step):
        raise ValueError(f"need one key per step, got {len(keys)} keys for {len(values_by_step)} steps")
    steps = [values_by_step[i] for i in run_starts(keys)]
    if not steps:
        return 0.0, 1.0
    start = [] if all(float(v) == 0.0 for v in steps[0]) else [[0.0] * len(steps[0])]
    return trend(start + steps)


def signed_rank_greater(differences: Sequence[float]) -> float:
    """The one-sided Wilcoxon signed-rank p-value that paired ``differences`` (e.g. one generator's gain minus
    another's, per seed) are centred above 0 (SciPy's choice: exact for small samples without ties, the permutation
    test over all 2^n sign flips for 13 or fewer with ties, else the normal approximation).  Differences equal to
    0 up to float rounding (:func:`~mlevolve.results.tied`) carry no sign and are dropped (Wilcoxon's rule), and
    the rest are ranked by magnitude with float-rounding ties (:func:`snapped` on the absolute values: +0.02 and
    -0.02 computed as differences of unequal AUCs tie); 1.0 when none is left.
    Raises :class:`ValueError` for no differences."""
    signed = np.asarray([d for d in _sample(differences, "differences") if not tied(float(d), 0.0, scale=1.0)])
    if signed.size == 0:
        return 1.0
    magnitudes = snapped(np.abs(signed))[0]
    ranked = np.sign(signed) * magnitudes
    if signed.size <= _ALL_SIGNS and np.unique(magnitudes).size < signed.size:
        # SciPy's "auto" choice for ties in a sample this small: the permutation test over all 2^n sign
        # flips, here with a statistic that takes every flip at once (SciPy's own calls its statistic once
        # a flip: about a second at n = 12); the same flips, sums and comparisons, so the same p
        return float(stats.permutation_test((ranked,), _positive_rank_sum, permutation_type="samples",
                                            vectorized=True, n_resamples=np.inf, alternative="greater").pvalue)
    return float(stats.wilcoxon(ranked, alternative="greater", method="auto").pvalue)


_ALL_SIGNS = 13  # scipy.stats.wilcoxon's "auto": a sample with ties this small or smaller gets its permutation test


def _positive_rank_sum(d: npt.NDArray[np.float64], axis: int = -1) -> npt.NDArray[np.float64]:
    """Wilcoxon's W+ of each sample along ``axis``: the sum of the average ranks of ``|d|`` over the positive
    entries (as :func:`scipy.stats.wilcoxon` computes it; ``d`` holds no zeros)."""
    ranks = stats.rankdata(np.abs(d), axis=axis)
    return np.asarray(np.sum((d > 0).astype(d.dtype) * ranks, axis=axis), dtype=float)


def trend(values_by_step: Sequence[Sequence[float]]) -> tuple[float, float]:
    """Kendall's tau between step index and value over all (step, value) pairs, with the one-sided p for tau > 0
    (SciPy's: exact for small samples without ties, else the normal approximation of tau-b).  Every step
    counts, repeats included: :func:`distinct_trend` is the test for snapshots that repeat.

    Returns ``(0.0, 1.0)`` when fewer than two steps hold values or every value is equal (up to float
    rounding: :func:`snapped`).
    """
    steps = [float(i) for i, values in enumerate(values_by_step) for _ in values]
    flat = [float(v) for vs in values_by_step for v in vs]
    values = [float(v) for v in snapped(np.asarray(flat, dtype=float))[0]] if flat else []
    if len(set(steps)) < 2 or len(set(values)) < 2:
        return 0.0, 1.0
    result = stats.kendalltau(steps, values, alternative="greater")
    return float(result.statistic), float(result.pvalue)


def normalised_curve(best_so_far: Sequence[float], lo: float, hi: float) -> npt.NDArray[np.float64]:
    """``clip((v - lo) / (hi - lo), 0, 1)`` for each point of a curve (-inf, a curve before its first
    success, becomes 0)."""
    if hi <= lo:
        raise ValueError(f"need hi > lo, got lo={lo}, hi={hi}")
    curve = np.asarray(best_so_far, dtype=float).ravel()
    return np.clip((curve - lo) / (hi - lo), 0.0, 1.0)


def normalised_auc(best_so_far: Sequence[float], lo: float, hi: float) -> float:
    """Mean over the curve of :func:`normalised_curve`; an empty curve scores 0.0."""
    curve = normalised_curve(best_so_far, lo, hi)
    return float(np.mean(curve)) if curve.size else 0.0
