"""``[meta] max_step``: the trust region on the snapshots (:func:`mlevolve.meta.vary.bounded_step`).

A snapshot moves from the last one toward the generation's best by at most ``max_step`` total variation of
each result type's production distribution.  The distance is computed here from the grammars' weights, not
by the function under test, so a step that misses its bound fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sqlite3
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlevolve import api
from mlevolve.grammar.spec import GrammarSpec, load_grammar
from mlevolve.meta import vary
from mlevolve.meta.config import load_config
from tests.conftest import ROOT, Capsys, generator_body, spawn, usage_error
from tests.meta.test_meta import SCALAR, evolved
from tests.meta.test_meta_focus import _tv  # the drawn distributions' distance, computed from the weights

SMOKE = (ROOT / "benchmarks" / "meta" / "smoke.toml").read_text().replace("../../examples", str(ROOT / "examples"))
LEARNER = load_grammar().focus[0].types  # the kind whose base grammar has a focus (its scale applies)


def _random_weights(spec: GrammarSpec, rng: random.Random, types: frozenset[str]) -> GrammarSpec:
    """``spec`` with every relevant weight drawn log-uniformly over [0.01, 100], sometimes one taking nearly all."""
    ids = [p.id for p in spec.restrict(types).productions]
    weights = {i: 10 ** rng.uniform(-2, 2) for i in ids}
    if rng.random() < 0.3:
        weights = {i: 0.01 for i in ids} | {rng.choice(ids): 100.0}
    return spec.with_weights(weights)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.floats(0.001, 1.0), st.sampled_from(["scalar", "learner"]))
def test_every_step_is_within_max_step_and_on_the_segment_toward_the_best(seed: int, bound: float, kind: str) -> None:
    types = SCALAR if kind == "scalar" else LEARNER
    rng = random.Random(seed)
    prev = _random_weights(evolved(seed, types=types), rng, types)
    cand = _random_weights(evolved(seed + 1, types=types), rng, types)
    d = _tv(prev, cand, types)
    moved, distance, fraction = vary.bounded_step(prev, cand, bound, types)
    assert distance == pytest.approx(d)
    assert _tv(prev, moved, types) <= bound + 1e-9  # the trust region holds
    if d <= bound:
        assert moved is cand and fraction == 1.0  # inside it: the best itself, its digest and all
    else:
        assert fraction == pytest.approx(bound / d)
        assert _tv(prev, moved, types) == pytest.approx(bound)  # the whole step allowed is taken
        assert _tv(moved, cand, types) == pytest.approx(d - bound)  # on the segment: what is left of the way
        assert set(cand.rules) <= set(moved.rules) and set(prev.rules) <= set(moved.rules)
        assert moved.operators == cand.operators and moved.digest != prev.digest


def test_a_series_of_steps_reaches_a_fixed_best_and_then_sits() -> None:
    base = load_grammar()
    best = evolved(7, types=SCALAR)
    prev, points = base, [base.digest]
    for _ in range(40):
        prev, _, fraction = vary.bounded_step(prev, best, 0.05, SCALAR)
        points.append(prev.digest)
        if fraction == 1.0:
            break
    assert prev is best and len(set(points)) == len(points) >= 3  # distinct points on the way, then the best
    assert vary.bounded_step(best, best, 0.05, SCALAR)[0] is best  # and it sits there


def test_max_step_off_leaves_the_identity_of_archives_made_before_it() -> None:
    config = load_config(ROOT / "benchmarks" / "meta" / "smoke.toml")
    assert "max_step" not in config.identity()["meta_settings"]


def test_max_step_past_1_is_one_error_at_its_key(tmp_path: Path, capsys: Capsys) -> None:
    config = tmp_path / "c.toml"
    config.write_text(SMOKE.replace("[meta]", "[meta]\nmax_step = 1.5"))
    line = SMOKE.splitlines().index("[meta]") + 2
    err = usage_error(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"))
    assert err.splitlines() == [
        f"{config}:{line}:1: error: [meta] max_step must be in [0, 1], got 1.5",
        "hint: a total-variation distance between consecutive snapshots' production distributions, at most 1; "
        "0 turns the trust region off, e.g. max_step = 0.05"]
    assert not (tmp_path / "m.db").exists()


def _history(db: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        history: list[dict[str, Any]] = json.loads(
            conn.execute("SELECT value FROM meta WHERE key = 'meta_generations'").fetchone()[0])
    return history


def test_a_meta_run_with_max_step_records_bounded_distinct_snapshots_and_refuses_another(
        tmp_path: Path, capsys: Capsys) -> None:
    config = tmp_path / "step.toml"
    config.write_text(SMOKE.replace("[meta]", "[meta]\nmax_step = 0.02"))
    api.meta(config, tmp_path / "m.db", tmp_path / "g.toml", quiet=True)
    history = _history(tmp_path / "m.db")
    base = load_grammar()
    snapshots = [base] + [GrammarSpec.from_dict(tomllib.loads(h["generator"])) for h in history]
    for before, after, h in zip(snapshots, snapshots[1:], history, strict=False):
        assert _tv(before, after, SCALAR) <= 0.02 + 1e-9
        assert 0 < h["step"]["fraction"] <= 1 and after.digest == h["digest"]
    assert any(h["step"]["fraction"] < 1 for h in history)  # the bound bit somewhere in this run
    assert "snapshots in a trust region, max_step = 0.02" in (tmp_path / "g.toml").read_text().splitlines()[2]
    config.write_text(SMOKE.replace("[meta]", "[meta]\nmax_step = 0.03"))  # another trust region: another run
    err = usage_error(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"))
    assert "max_step" in err.splitlines()[0]


@pytest.mark.e2e
def test_a_killed_meta_run_with_max_step_resumes_to_the_uninterrupted_one(tmp_path: Path) -> None:
    config = tmp_path / "step.toml"
    config.write_text(SMOKE.replace("[meta]", "[meta]\nmax_step = 0.02"))
    whole = api.meta(config, tmp_path / "whole.db", tmp_path / "whole.toml", quiet=True)
    db = tmp_path / "killed.db"
    cmd = [sys.executable, "-m", "mlevolve", "meta", str(config), "--db", str(db), "-o", str(tmp_path / "k.toml"),
           "--quiet"]
    proc = spawn(cmd, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    deadline, stored = time.time() + 120, 0
    while time.time() < deadline and proc.poll() is None and stored < 6:
        with contextlib.suppress(sqlite3.Error), sqlite3.connect(db) as conn:  # the tables may not exist yet
            stored = conn.execute("SELECT COUNT(*) FROM candidates").fetchone()[0]
        time.sleep(0.05)
    assert stored >= 6 and proc.poll() is None, "the run ended, or stored nothing, before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    resumed = api.meta(config, db, tmp_path / "k.toml", quiet=True)
    assert resumed["inner_runs_replayed"] >= 6 and resumed["inner_runs_fresh"] > 0
    assert resumed["inner_runs_fresh"] + resumed["inner_runs_replayed"] == \
        whole["inner_runs_fresh"] + whole["inner_runs_replayed"]
    assert [h["digest"] for h in _history(db)] == [h["digest"] for h in _history(tmp_path / "whole.db")]
    assert [h["step"] for h in _history(db)] == [h["step"] for h in _history(tmp_path / "whole.db")]

    assert generator_body(tmp_path / "k.toml") == generator_body(tmp_path / "whole.toml")


def test_a_resume_turning_max_step_on_or_off_is_refused_in_words_that_read() -> None:
    """An archive made with the trust region off holds no max_step (:meth:`MetaConfig.identity`): the refusal said
    "archive has not set, now 0.02"; it says the archive's value is none, its default, and so the other way."""
    from mlevolve.gp.archive import _setting_diff

    off = load_config(ROOT / "benchmarks" / "meta" / "smoke.toml").identity()["meta_settings"]
    on = {**off, "max_step": 0.02}
    assert _setting_diff("meta_settings", off, on) == "[meta] max_step: archive has none (its default), now 0.02"
    assert _setting_diff("meta_settings", on, off) == "[meta] max_step: archive has 0.02, now none (its default)"
