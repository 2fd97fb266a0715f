"""Tests of the meta-level evidence statistics (``mlevolve.meta.stats``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlevolve.meta.stats import (
    a12,
    distinct_trend,
    ert,
    from_start_trend,
    holm,
    mann_whitney,
    normalised_auc,
    run_starts,
    signed_rank_greater,
    snapped,
    trend,
    wilson,
)
from tests.conftest import ROOT

samples = st.lists(st.integers(-5, 5).map(float), min_size=1, max_size=20)
pvals = st.lists(st.floats(0.0, 1.0), min_size=0, max_size=20)


# --- a12 -------------------------------------------------------------------


@given(samples)
def test_a12_identical_samples_is_half(x: list[float]) -> None:
    assert a12(x, x) == pytest.approx(0.5)


@given(samples, samples)
def test_a12_is_antisymmetric(x: list[float], y: list[float]) -> None:
    assert a12(x, y) + a12(y, x) == pytest.approx(1.0)
    assert 0.0 <= a12(x, y) <= 1.0


def test_a12_separated_and_ties() -> None:
    assert a12([4, 5, 6], [1, 2, 3]) == 1.0
    assert a12([1, 2, 3], [4, 5, 6]) == 0.0
    assert a12([1, 2], [2]) == pytest.approx(0.25)  # 0 wins + one tie of two pairs
    with pytest.raises(ValueError, match="x must not be empty"):
        a12([], [1.0])


# --- mann_whitney ----------------------------------------------------------


def test_mann_whitney_known_values() -> None:
    # exact null distribution: fully separated samples of 3 vs 3 -> 2 / C(6,3); 5 vs 5 -> 2 / C(10,5)
    assert mann_whitney([1, 2, 3], [4, 5, 6]) == pytest.approx(2 / 20)
    assert mann_whitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx(2 / 252)
    assert mann_whitney([1, 3, 5], [2, 4, 6]) > 0.5


def test_mann_whitney_constant_equal_samples() -> None:
    assert mann_whitney([2.0, 2.0, 2.0], [2.0, 2.0]) == 1.0


@given(samples, samples)
def test_mann_whitney_is_symmetric_probability(x: list[float], y: list[float]) -> None:
    p = mann_whitney(x, y)
    assert 0.0 <= p <= 1.0
    assert p == pytest.approx(mann_whitney(y, x))


# --- holm ------------------------------------------------------------------


def test_holm_worked_example() -> None:
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


@given(pvals)
def test_holm_properties(p: list[float]) -> None:
    adj = holm(p)
    assert len(adj) == len(p)
    m = len(p)
    for raw, a in zip(p, adj, strict=True):
        assert raw <= a + 1e-12  # never smaller than the raw p
        assert a <= min(1.0, m * raw) + 1e-12  # never larger than Bonferroni
    # monotone: ordering of the raw p-values is preserved (weakly)
    for i in range(m):
        for j in range(m):
            if p[i] <= p[j]:
                assert adj[i] <= adj[j] + 1e-12


# --- wilson ----------------------------------------------------------------


def test_wilson_known_values() -> None:
    lo, hi = wilson(8, 10)
    assert lo == pytest.approx(0.490, abs=5e-4)
    assert hi == pytest.approx(0.943, abs=5e-4)
    assert wilson(0, 0) == (0.0, 1.0)
    assert wilson(0, 10)[0] == pytest.approx(0.0, abs=1e-12)
    assert wilson(10, 10)[1] == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(ValueError, match="need 0 <= successes <= n, got successes=11, n=10"):
        wilson(11, 10)


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_point_estimate(case: tuple[int, int]) -> None:
    k, n = case
    lo, hi = wilson(k, n)
    assert 0.0 <= lo <= k / n + 1e-12
    assert k / n - 1e-12 <= hi <= 1.0


# --- ert -------------------------------------------------------------------


def test_ert_worked_examples() -> None:
    assert ert([100, 200, None], budget=1000) == pytest.approx((100 + 200 + 1000) / 2)
    assert ert([50, 50], budget=1000) == pytest.approx(50.0)
    assert ert([10, None, None, None], budget=100) == pytest.approx(310.0)
    assert ert([None, None], budget=100) == math.inf
    assert ert([], budget=100) == math.inf


# --- trend -----------------------------------------------------------------


def test_trend_detects_increase() -> None:
    steps = [[g + 0.1 * r for r in range(3)] for g in range(6)]
    tau, p = trend(steps)
    assert tau > 0.5
    assert p < 0.05


def test_trend_flat_and_degenerate() -> None:
    assert trend([[1.0, 1.0], [1.0, 1.0], [1.0]]) == (0.0, 1.0)
    assert trend([[1.0, 2.0, 3.0]]) == (0.0, 1.0)
    assert trend([]) == (0.0, 1.0)
    tau, p = trend([[1.0, 2.0, 3.0]] * 5)  # no change across steps
    assert tau == pytest.approx(0.0, abs=1e-12)
    assert p >= 0.05


def test_trend_decrease_is_not_significant() -> None:
    tau, p = trend([[float(-g)] * 3 for g in range(6)])
    assert tau < 0
    assert p > 0.5


def test_run_starts_marks_the_first_of_each_run_of_equal_keys() -> None:
    assert run_starts([]) == [] and run_starts(["a"]) == [0]
    assert run_starts(list("aabbba")) == [0, 2, 5]  # a key that comes back starts a new run
    assert run_starts(list("abc")) == [0, 1, 2]


def test_the_distinct_trend_counts_a_repeated_snapshot_once() -> None:
    """Hand-made series with known answers (SciPy's exact null without ties: p = 1/n! for a perfect order)."""
    rising = [[1.0], [1.0], [2.0], [2.0], [3.0], [3.0], [4.0], [4.0]]  # each snapshot held two meta-generations
    assert distinct_trend(rising, list("aabbccdd")) == pytest.approx((1.0, 1 / 24))  # 4 points in order
    tau, p = trend(rising)  # every meta-generation: the repeats are ties that inflate the evidence 40-fold
    assert tau == pytest.approx(0.926, abs=1e-3) and p == pytest.approx(0.00109, rel=1e-2)
    sticky = [[0.035]] * 11 + [[0.031]] * 4  # formulas_margin_seed1: one champion 11 times, its successor 4
    assert trend(sticky) == pytest.approx((-0.647, 0.998), abs=1e-3)  # a "steep fall" from two generators
    assert distinct_trend(sticky, ["a"] * 11 + ["b"] * 4) == pytest.approx((-1.0, 1.0))  # one step down
    late = [[0.1]] * 7 + [[0.2]]  # the other way: a late change reads as a rise at p 0.06 over every step
    assert trend(late)[1] == pytest.approx(0.0633, abs=1e-3)
    assert distinct_trend(late, ["a"] * 7 + ["b"]) == pytest.approx((1.0, 0.5))  # two points: p 1/2
    assert distinct_trend([[1.0], [1.0], [2.0]], list("abc"))[0] == pytest.approx(2 / math.sqrt(6))  # tau-b
    assert distinct_trend([[1.0], [2.0], [1.0]], list("aba")) == trend([[1.0], [2.0], [1.0]])  # a return is a step
    assert distinct_trend([[1.0, 2.0], [1.0, 2.0], [3.0, 4.0]], list("aab")) == trend([[1.0, 2.0], [3.0, 4.0]])
    assert distinct_trend([[0.3]] * 5, ["a"] * 5) == (0.0, 1.0)  # one snapshot: no trend to test
    assert distinct_trend([], []) == (0.0, 1.0)
    with pytest.raises(ValueError, match="one key per step, got 2 keys for 3 steps"):
        distinct_trend([[1.0], [2.0], [3.0]], ["a", "b"])


def test_the_trend_from_the_start_puts_the_base_grammar_first() -> None:
    """Gains over the base grammar give it gain 0: it is the first point, once, before the distinct steps."""
    flat = [[0.1], [0.1], [0.3], [0.2]]  # 3 distinct snapshots, one pair out of order: tau 1/3, p 3/6
    assert distinct_trend(flat, list("aabc")) == pytest.approx((1 / 3, 0.5))
    assert from_start_trend(flat, list("aabc")) == pytest.approx(trend([[0.0], [0.1], [0.3], [0.2]]))
    assert from_start_trend(flat, list("aabc")) == pytest.approx((4 / 6, 4 / 24))  # 5 of 6 pairs: p (1+3)/4!
    rising = [[0.1], [0.2], [0.3]]  # 3 snapshots in order: 4 points with the start, p 1/24 (1/6 without)
    assert from_start_trend(rising, list("abc")) == pytest.approx((1.0, 1 / 24))
    assert distinct_trend(rising, list("abc")) == pytest.approx((1.0, 1 / 6))
    raced = [[0.0, 0.0], [0.1, 0.2], [0.2, 0.3]]  # the base grammar is meta-generation 0's snapshot: not twice
    assert from_start_trend(raced, list("zab")) == trend(raced)
    below = [[-0.1], [-0.05], [0.0]]  # snapshots below the start: the base point is above them
    assert from_start_trend(below, list("abc"))[0] == pytest.approx(trend([[0.0], [-0.1], [-0.05], [0.0]])[0])
    assert from_start_trend([[0.2, 0.1]], ["a"]) == trend([[0.0, 0.0], [0.2, 0.1]])  # per-task values: a zero each
    assert from_start_trend([], []) == (0.0, 1.0)
    with pytest.raises(ValueError, match="one key per step, got 1 keys for 2 steps"):
        from_start_trend([[1.0], [2.0]], ["a"])


# --- normalised_auc --------------------------------------------------------


def test_normalised_auc_examples() -> None:
    assert normalised_auc([0.0, 0.5, 1.0], 0.0, 1.0) == pytest.approx(0.5)
    assert normalised_auc([-1.0, 2.0], 0.0, 1.0) == pytest.approx(0.5)  # clipped to 0 and 1
    assert normalised_auc([10.0, 15.0], 10.0, 20.0) == pytest.approx(0.25)
    assert normalised_auc([], 0.0, 1.0) == 0.0
    with pytest.raises(ValueError, match=r"need hi > lo, got lo=1\.0, hi=1\.0"):
        normalised_auc([0.5], 1.0, 1.0)


# --- the evidence script's snapshot trend (benchmarks/meta/evidence.py --mode trend) ----------------


def _script(name: str) -> Any:
    """``benchmarks/meta/NAME.py`` loaded as a module (operators.py imports its sibling evidence.py)."""
    import importlib.util
    import sys

    folder = str(ROOT / "benchmarks" / "meta")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "meta" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_snapshot_trend_pairs_each_snapshot_with_the_base_grammar_on_the_same_task_and_seed() -> None:
    from mlevolve.meta.config import load_config

    evidence = _script("evidence")
    cfg = load_config(ROOT / "benchmarks" / "meta" / "smoke.toml")  # one meta-test task: nguyen4
    base = [{"task": "nguyen4", "seed": s, "auc": a} for s, a in ((1, 0.2), (2, 0.8))]
    snaps = [{"task": "nguyen4", "seed": s, "auc": a + 0.1 * g, "snapshot": g}
             for g in range(3) for s, a in ((1, 0.2), (2, 0.8))]
    trend_ = evidence.snapshot_trend(snaps, base, cfg, ["d0", "d1", "d2"])
    assert trend_["mean_gain_by_generation"] == pytest.approx([0.0, 0.1, 0.2])  # seed difficulty cancels
    assert trend_["mean_auc_by_generation"] == pytest.approx([0.5, 0.6, 0.7])
    assert trend_["kendall_tau_means"] == pytest.approx(1.0) and trend_["p_means"] == pytest.approx(1 / 6)
    assert trend_["distinct_generations"] == [0, 1, 2] and trend_["snapshot_digests"] == ["d0", "d1", "d2"]
    text = evidence.trend_markdown({"machine": "m", "snapshot_seeds": 2, "budget": 80, "seconds": 0.0,
                                    "test": ["nguyen4"], "snapshots": trend_})
    assert "| 2 | +0.200 | +0.200 | 0.700 |" in text and "Host: m." in text
    assert "Kendall tau over the 3 distinct snapshots' mean gains (meta-generations 0, 1, 2;" in text
    held = evidence.snapshot_trend(snaps, base, cfg, ["d0", "d0", "d2"])  # no inner run is the same here, but the
    assert held["distinct_generations"] == [0, 2] and held["p_means"] == pytest.approx(0.5)  # digests say so
    assert held["every_generation"]["kendall_tau_means"] == pytest.approx(1.0)


def test_signed_rank_greater_known_values() -> None:
    assert signed_rank_greater([0.1, 0.2, 0.3, 0.4, 0.5]) == pytest.approx(1 / 32)  # every sign up: 1 of 2^5
    assert signed_rank_greater([-0.1, -0.2, -0.3, -0.4, -0.5]) == pytest.approx(1.0)
    # ranks 1..4 of |d|, the negative one ranked 1: W+ = 9, and P(W+ >= 9) = 2 / 16 (W+ = 9, 10)
    assert signed_rank_greater([-0.1, 0.2, 0.3, 0.4]) == pytest.approx(2 / 16)
    assert signed_rank_greater([0.0, 0.1, 0.2, 1e-17]) == pytest.approx(1 / 4)  # zeros, up to rounding, dropped
    assert signed_rank_greater([0.0, -1e-18]) == 1.0  # nothing left: no evidence either way
    noisy = [0.1 * s + 0.02 - 0.1 * s for s in range(1, 6)] + [0.6 - 0.02 - 0.6]  # |d| 0.02 up to rounding
    assert len({abs(d) for d in noisy}) > 1 and signed_rank_greater(noisy) == signed_rank_greater([0.02] * 5 + [-0.02])
    with pytest.raises(ValueError, match="differences must not be empty"):
        signed_rank_greater([])


@settings(deadline=None)  # SciPy's exact distribution: a few ms a call, longer on a loaded machine
@given(st.lists(st.floats(-1.0, 1.0), min_size=1, max_size=12))
def test_signed_rank_greater_is_a_probability_that_falls_when_every_difference_rises(d: list[float]) -> None:
    p = signed_rank_greater(d)
    assert 0.0 <= p <= 1.0
    assert signed_rank_greater([x + 2.0 for x in d]) <= p + 1e-12  # all positive: the least p for its size


@settings(deadline=None, max_examples=25)  # SciPy's reference: its permutation test, about a second at n = 12
@given(st.lists(st.sampled_from([-0.75, -0.5, -0.25, 0.25, 0.5, 0.75, 1.0]), min_size=1, max_size=15))
def test_signed_rank_greater_with_ties_is_scipys_wilcoxon_to_the_bit(d: list[float]) -> None:
    """Ties in a sample of 13 or fewer: the permutation test over every sign flip, computed at once, gives SciPy's
    own p (its "auto" method) exactly; 14 or more: the normal approximation, as SciPy chooses."""
    from scipy import stats

    reference = stats.wilcoxon(d, alternative="greater", method="auto").pvalue  # these d hold no zero, no rounding
    assert signed_rank_greater(d) == float(reference)


def test_the_last_distinct_snapshot_is_paired_with_the_first_over_seeds() -> None:
    from mlevolve.meta.config import load_config

    evidence = _script("evidence")
    cfg = load_config(ROOT / "benchmarks" / "meta" / "smoke.toml")  # one meta-test task: nguyen4
    seeds = range(1, 7)
    base = [{"task": "nguyen4", "seed": s, "auc": 0.1 * s} for s in seeds]
    lift = {0: 0.0, 1: 0.05, 2: 0.05, 3: 0.02}  # meta-generations 1-2 one generator; the last rises on 5 seeds
    snaps = [{"task": "nguyen4", "seed": s, "auc": 0.1 * s + lift[g] * (1 if s < 6 else -1), "snapshot": g}
             for g in range(4) for s in seeds]
    result = evidence.snapshot_trend(snaps, base, cfg, ["a", "b", "b", "c"])
    assert result["gain_per_seed"][3] == pytest.approx([0.02] * 5 + [-0.02])
    assert result["gain_per_task_seed"][3] == [pytest.approx([0.02] * 5 + [-0.02])]  # one task: the same, per task
    lf = result["last_vs_first"]
    assert (lf["first"], lf["last"], lf["seeds"]) == (0, 3, 6) and lf["difference"] == pytest.approx(0.08 / 6)
    assert lf["p"] == pytest.approx(signed_rank_greater([0.02] * 5 + [-0.02]))
    assert "paired over 6 seeds, +0.0133 (one-sided Wilcoxon signed-rank p" in evidence.trend_line(result)
    one = evidence.snapshot_trend(snaps[:12], base, cfg, ["a", "a"])
    assert one["last_vs_first"] == {"first": 0, "last": 0, "seeds": 6, "difference": 0.0, "p": 1.0}
    assert "last_vs_first" not in evidence.trend_tests([[0.1]], ["a"])  # files without per-seed gains: none
    lb = result["last_vs_base"]  # the last distinct snapshot's own gains, paired with the base grammar's 0
    assert (lb["last"], lb["seeds"]) == (3, 6) and lb["difference"] == pytest.approx(0.08 / 6)
    assert lb["p"] == pytest.approx(signed_rank_greater([0.02] * 5 + [-0.02]))
    assert result["from_start"]["kendall_tau_means"] == pytest.approx(from_start_trend(
        [[m] for m in result["mean_gain_by_generation"]], ["a", "b", "b", "c"])[0])
    said = "With the base grammar (the starting generator, gain 0) as the first point: tau"
    assert said in evidence.trend_line(result)


def test_retrend_recomputes_committed_trends_over_distinct_snapshots_from_their_files(tmp_path: Path) -> None:
    import json

    from mlevolve.meta import provenance

    evidence = _script("evidence")
    gains = [[0.035, 0.01]] * 3 + [[0.031, 0.0]] * 2  # five meta-generations, two generators
    old = {"kendall_tau_means": -0.7, "p_means": 0.99, "kendall_tau_per_task_values": 0.1, "p_per_task_values": 0.3}
    snapshots = {"gain_per_task": gains, "mean_gain_by_generation": [sum(g) / 2 for g in gains],
                 "mean_auc_by_generation": [0.8] * 5, "per_task": gains, **old}
    env = provenance.environment()
    committed = {"machine": "m", "environment": env, "snapshot_seeds": 16, "budget": 300, "seconds": 1.0,
                 "test": ["nguyen4", "nguyen6"], "snapshots": snapshots}
    (tmp_path / "trend.json").write_text(json.dumps(committed))
    lines = evidence.retrend(tmp_path)  # no digests, no history.json: bit-equal gains are one generator
    again = json.loads((tmp_path / "trend.json").read_text())
    s = again["snapshots"]
    assert s["distinct_generations"] == [0, 3] and s["kendall_tau_means"] == pytest.approx(-1.0)
    assert s["every_generation"]["kendall_tau_means"] == pytest.approx(trend([[sum(g) / 2] for g in gains])[0])
    assert s["gain_per_task"] == gains and again["host"] == provenance.host_line(env)
    assert "over 2 distinct snapshots" in lines[0] and (tmp_path / "trend.png").exists()
    assert "Host: " + provenance.host_line(env) in (tmp_path / "trend.md").read_text()
    (tmp_path / "history.json").write_text(json.dumps([{"digest": d} for d in "aabbc"]))  # digests decide
    evidence.retrend(tmp_path)
    assert json.loads((tmp_path / "trend.json").read_text())["snapshots"]["distinct_generations"] == [0, 2, 4]



def test_retrend_of_a_folder_it_did_not_write_is_one_error(tmp_path: Path) -> None:
    """No folder, a folder with neither file, a file without the trend's gains: one MlevError naming it (the
    script's ``run`` prints it, exit 2), not silence or a KeyError."""
    from mlevolve.dsl.errors import MlevError

    evidence = _script("evidence")
    (tmp_path / "empty").mkdir()
    with pytest.raises(MlevError, match="no such folder"):
        evidence.retrend(tmp_path / "nope")
    with pytest.raises(MlevError, match=r"holds neither trend\.json nor results\.json"):
        evidence.retrend(tmp_path / "empty")
    for body, said in (('{"x": 1}', "no 'snapshots' field"), ('{"snapshots": 1}', "hold no gain_per_task")):
        (tmp_path / "trend.json").write_text(body)
        with pytest.raises(MlevError, match=said):
            evidence.retrend(tmp_path)


def test_evidence_runs_each_distinct_inner_run_once_and_returns_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    import random

    from mlevolve.grammar.spec import load_grammar
    from mlevolve.meta import vary

    evidence = _script("evidence")
    base = load_grammar()
    learned = vary.perturb_weights(base, random.Random(0), frozenset({"Scalar"}))
    ran: list[tuple[str, str, int]] = []

    def job(args: tuple[str, str, str, int, str, dict[str, Any]]) -> dict[str, Any]:
        ran.append((args[0], args[2], args[3]))
        return {"arm": args[0], "task": args[2], "seed": args[3], "auc": float(len(ran)), "snapshot": -1}

    monkeypatch.setattr(evidence, "_job", job)
    plain = {"bandit": False, "algorithm": "regularized"}
    jobs = [("base", base.to_toml(), "t", 1, "c.toml", {}),
            ("snapshot", learned.to_toml(header="best of meta-generation 0"), "t", 1, "c.toml", {"snapshot": 0}),
            ("snapshot", learned.to_toml(header="best of meta-generation 1"), "t", 1, "c.toml", {"snapshot": 1}),
            ("learned", learned.to_toml(), "t", 1, "c.toml", plain),  # the same generator as both snapshots
            ("bandit", base.to_toml(), "t", 1, "c.toml", {**plain, "bandit": True}),  # other settings: runs
            ("random", base.to_toml(), "t", 1, "c.toml", {**plain, "algorithm": "random"}),
            ("base", base.to_toml(), "u", 1, "c.toml", plain), ("base", base.to_toml(), "t", 2, "c.toml", plain)]
    import io

    said = io.StringIO()
    rows = evidence.run_jobs(jobs, 1, stream=said)
    assert ran == [("base", "t", 1), ("snapshot", "t", 1), ("bandit", "t", 1), ("random", "t", 1), ("base", "u", 1),
                   ("base", "t", 2)]
    # a line per finished inner run, of the distinct runs (found by a new user's pass: a full evidence run was 45
    # minutes without a word), as noise.py's count of them is
    assert [line.split("]")[0] for line in said.getvalue().splitlines()] == [f"[{n:>6}/6" for n in range(1, 7)]
    assert all(line.endswith(" s)") and "inner runs finished" in line for line in said.getvalue().splitlines())
    assert evidence.distinct_runs(jobs) == 6 and len(jobs) == 8
    assert [(r["arm"], r["task"], r["seed"], r["auc"], r.get("snapshot")) for r in rows] == [
        ("base", "t", 1, 1.0, None), ("snapshot", "t", 1, 2.0, 0), ("snapshot", "t", 1, 2.0, 1),
        ("learned", "t", 1, 2.0, None), ("bandit", "t", 1, 3.0, None), ("random", "t", 1, 4.0, None),
        ("base", "u", 1, 5.0, None), ("base", "t", 2, 6.0, None)]


def test_operator_screen_pools_each_operator_s_credit_over_the_meta_generations() -> None:
    operators = _script("operators")
    history = [{"generation": 0, "operator_credit": {
                    "tweak()": {"evolved": True, "trials": 10, "successes": 4, "kept": True, "names": ["op0"]},
                    "point": {"evolved": False, "trials": 30, "successes": 3}}},
               {"generation": 1, "operator_credit": {
                    "tweak()": {"evolved": True, "trials": 10, "successes": 1, "kept": False, "names": ["op0"]},
                    "point": {"evolved": False, "trials": 20, "successes": 2}}}]
    evolved, defaults = operators.pooled_credit(history)
    op = evolved["tweak()"]
    assert (op["trials"], op["successes"], op["generations"], op["kept_after"]) == (20, 5, [0, 1], [0])
    assert op["rate"] == pytest.approx(0.25) and op["wilson"] == pytest.approx(wilson(5, 20))
    assert defaults == {"point": {"trials": 50, "successes": 5, "rate": pytest.approx(0.1),
                                  "wilson": pytest.approx(wilson(5, 50))}}


def test_values_equal_up_to_float_rounding_are_ties_in_every_rank_statistic() -> None:
    """A gain of 1e-15 (a last-bit difference in an AUC) is no win, no shift and no trend."""
    base = [0.81, 0.82, 0.83, 0.84, 0.85, 0.86]
    noisy = [v + 1e-15 for v in base]
    assert a12(noisy, base) == 0.5 and a12([0.5 + 1e-15] * 5, [0.5] * 5) == 0.5
    assert mann_whitney([0.5 + 1e-15] * 5, [0.5] * 5) == 1.0
    assert trend([[0.0], [1e-15], [2e-15], [3e-15], [4e-15]]) == (0.0, 1.0)
    assert a12([v + 1e-6 for v in base], base) > 0.5  # a real gain stays one
    assert trend([[0.0], [1e-6], [2e-6], [3e-6], [4e-6]])[0] == pytest.approx(1.0)


@given(st.lists(st.floats(-1, 1), min_size=1, max_size=20))
def test_snapping_keeps_the_order_and_moves_values_by_float_rounding_only(x: list[float]) -> None:
    import numpy as np

    arr = np.asarray(x)
    (out,) = snapped(arr)
    assert np.all(np.abs(out - arr) <= 1e-9 * max(1.0, float(np.max(np.abs(arr)))))
    order = np.argsort(arr, kind="stable")
    assert np.all(np.diff(out[order]) >= 0)
