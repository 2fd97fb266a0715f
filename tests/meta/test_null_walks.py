"""``benchmarks/meta/null_walks.py``: the permutation null of the trend test under ``[meta] max_step``.

Walks from the base grammar toward a meta run's bests in a random order.  The recorded order must give the
recorded snapshots (checked on the committed update-rule run, whose bests come from its max_step-off rerun),
one seed the same walks, and every step of every walk must stay within the trust region (the distance computed
in the test from the weights, :func:`tests.meta.test_meta_step._tv`).
"""

from __future__ import annotations

import json
import random
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlevolve import api
from mlevolve.dsl.errors import MlevError
from mlevolve.grammar.spec import GrammarSpec, load_grammar
from mlevolve.meta.config import load_config
from tests.conftest import ROOT, environment, run_child
from tests.meta.test_meta import SCALAR, evolved
from tests.meta.test_meta_stats import _script
from tests.meta.test_meta_step import _tv

RUN = ROOT / "benchmarks" / "meta" / "pooled" / "update_rules_step_seed1"
CONFIG = ROOT / "benchmarks" / "meta" / "pooled" / "update_rules_step_seed1.toml"
null_walks = _script("null_walks")


def _bests() -> list[GrammarSpec]:
    history = json.loads((RUN / "null" / "bests.json").read_text())
    return [GrammarSpec.from_dict(tomllib.loads(h["generator"]), name="generator") for h in history]


def test_one_seed_gives_the_same_permutations_and_the_first_is_the_recorded_order() -> None:
    orders = null_walks.permutations(10, 12, seed=3)
    assert orders == null_walks.permutations(10, 12, seed=3)
    assert orders != null_walks.permutations(10, 12, seed=4)
    assert orders[0] == list(range(10)) and len(orders) == 12
    assert all(sorted(o) == list(range(10)) for o in orders)
    assert len({tuple(o) for o in orders}) == 12  # 10! orders: drawn, not repeated, at this size


def test_the_recorded_order_reproduces_the_committed_run_s_snapshots() -> None:
    """To float rounding: that run summed its step distances in the order PYTHONHASHSEED gave its set of ids."""
    cfg = load_config(CONFIG)
    types = null_walks.slot_types(cfg)
    history = json.loads((RUN / "history.json").read_text())
    recorded = [GrammarSpec.from_dict(tomllib.loads(h["generator"]), name="generator") for h in history]
    walk = null_walks.walk(_bests(), range(10), cfg.meta.max_step, types)
    assert len(walk) == len(recorded) == 10
    assert max(_tv(a, b, types) for a, b in zip(walk, recorded, strict=True)) < 1e-12
    assert len({s.digest for s in walk}) == len(set(h["digest"] for h in history)) == 9  # 6 and 7: one snapshot


def test_the_recorded_order_reproduces_a_smoke_run_s_snapshot_digests(tmp_path: Path) -> None:
    """Exactly, on the code that sums them in a fixed order: a smoke run with max_step, and the same run without it
    (its snapshots are its bests' mixtures: the population does not depend on max_step)."""
    from tests.meta.test_meta_step import SMOKE, _history

    step, off = tmp_path / "step.toml", tmp_path / "off.toml"
    step.write_text(SMOKE.replace("[meta]", "[meta]\nmax_step = 0.02"))
    off.write_text(SMOKE)
    api.meta(step, tmp_path / "step.db", tmp_path / "s.toml", quiet=True)
    api.meta(off, tmp_path / "off.db", tmp_path / "o.toml", quiet=True)
    cfg = load_config(step)
    bests = [GrammarSpec.from_dict(tomllib.loads(h["generator"]), name="generator")
             for h in null_walks.bests_history(str(tmp_path / "off.db"), cfg)]
    walk = null_walks.walk(bests, range(len(bests)), cfg.meta.max_step, null_walks.slot_types(cfg))
    recorded = _history(tmp_path / "step.db")
    assert [s.digest for s in walk] == [h["digest"] for h in recorded]
    assert any(h["step"]["fraction"] < 1 for h in recorded)  # the bound bit: the walk is not the bests themselves
    with pytest.raises(MlevError, match="its snapshots are bounded steps"):
        null_walks.bests_history(str(tmp_path / "step.db"), cfg)


def test_a_walk_does_not_depend_on_the_process_s_hash_seed() -> None:
    """The step distance sums over a set of production ids, whose order PYTHONHASHSEED picks per process."""
    code = "from tests.meta.test_null_walks import _walk_digests; print(' '.join(_walk_digests()))"
    seen = {run_child([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT), timeout=300,
                      env=environment(PYTHONHASHSEED=seed)).stdout.strip() for seed in ("0", "1", "2")}
    assert seen == {" ".join(_walk_digests())}


def _walk_digests() -> list[str]:
    """The digests of the committed run's recorded-order walk and one permuted walk."""
    cfg = load_config(CONFIG)
    bests, types = _bests(), null_walks.slot_types(cfg)
    orders = null_walks.permutations(len(bests), 2, seed=0)
    return [s.digest for order in orders for s in null_walks.walk(bests, order, cfg.meta.max_step, types)]


def test_every_step_of_a_permuted_walk_is_within_max_step_of_the_last() -> None:
    cfg = load_config(CONFIG)
    types, bound = null_walks.slot_types(cfg), cfg.meta.max_step
    bests = _bests()
    for order in null_walks.permutations(len(bests), 4, seed=0)[1:]:
        at: GrammarSpec = load_grammar()
        for spec in null_walks.walk(bests, order, bound, types):
            assert _tv(at, spec, types) <= bound + 1e-9
            at = spec


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.floats(0.005, 0.5))
def test_a_walk_is_the_meta_loop_s_chain_of_bounded_steps_and_each_within_the_bound(seed: int, bound: float) -> None:
    rng = random.Random(seed)
    bests = [evolved(seed + k, steps=6, types=SCALAR) for k in range(4)]
    order = rng.sample(range(4), 4)
    walk = null_walks.walk(bests, order, bound, SCALAR)
    at = load_grammar()
    for i, spec in zip(order, walk, strict=True):
        d = _tv(at, bests[i], SCALAR)
        assert _tv(at, spec, SCALAR) <= bound + 1e-9
        assert _tv(spec, bests[i], SCALAR) == pytest.approx(max(d - bound, 0.0), abs=1e-9)  # toward that best
        at = spec


def test_the_permutation_p_counts_ties_as_at_least_and_is_never_0() -> None:
    assert null_walks.permutation_p(0.5, [0.6, 0.4, 0.5]) == pytest.approx(3 / 4)
    assert null_walks.permutation_p(0.9, [0.1] * 9) == pytest.approx(1 / 10)
    assert null_walks.permutation_p(0.5, [0.5 + 1e-15]) == 1.0  # equal up to rounding counts


def test_bests_with_bounded_steps_are_refused(tmp_path: Path) -> None:
    history: list[dict[str, Any]] = [{"generator": "", "step": {"distance": 0.1, "fraction": 0.2}}]
    (tmp_path / "h.json").write_text(json.dumps(history))
    with pytest.raises(MlevError, match="its snapshots are bounded steps"):
        null_walks.bests_history(str(tmp_path / "h.json"), load_config(CONFIG))


@pytest.mark.e2e
def test_a_configuration_without_max_step_is_one_error_line(tmp_path: Path) -> None:
    done = run_child([sys.executable, str(ROOT / "benchmarks/meta/null_walks.py"), "--config",
                      str(ROOT / "benchmarks/meta/pooled/update_rules_seed1.toml"), "--bests", "b.json", "--history",
                      "h.json", "--out", "x"], capture_output=True, text=True, cwd=str(tmp_path), timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"{ROOT / 'benchmarks/meta/pooled/update_rules_seed1.toml'}: error: [meta] max_step is 0: its snapshots are "
        "the bests themselves, with no walk to permute",
        "hint: pass --config the bounded-step configuration"]
    assert not (tmp_path / "x").exists()
