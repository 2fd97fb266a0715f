"""``benchmarks/size_ratio.py`` (issue 15's bloat measure in every regime) and its switch
``benchmarks/ablations.py``: the switch takes the simplifier out of a search and puts it back; the script's
two comparisons are the ratios they say, and its ``--summarise`` shows each stored best again."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.parse import parse
from mlevolve.dsl.traverse import program_hash
from tests.conftest import ROOT

FOLDER = str(ROOT / "benchmarks")


def _script(name: str) -> Any:
    if FOLDER not in sys.path:
        sys.path.insert(0, FOLDER)
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # (its dataclasses look their module up there)
    spec.loader.exec_module(module)
    return module


PROGRAM = ("algorithm a\ntask linear\n\nlearner l(state w: Vector)\n  predict(x: Vector) -> Scalar =\n    0.5\n"
           "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    --(w + x * 1.0)\n")


def test_the_switch_takes_the_simplifier_out_of_the_search_and_puts_it_back() -> None:
    import mlevolve.gp.memo as memo
    import mlevolve.gp.operators as operators
    from mlevolve.gp.engine import Engine

    ablations = _script("ablations")
    program = parse(PROGRAM)
    body = program.definitions[0].method("learn").body
    assert memo.simplified(body) != body
    with_key = Engine.key(program)
    with ablations.simplifier_off():
        assert memo.simplified(body) is body and operators.simplified(body) is body
        assert Engine.key(program) == program_hash(program) != with_key  # the key of the program as proposed
        assert Engine._folded(object(), body) is body  # type: ignore[arg-type]
    assert memo.simplified(body) != body and operators.simplified(body) != body
    assert Engine.key(program) == with_key


def _row(arm: str, seed: int, evaluated: int, shown: int, fitness: float = 1.0) -> dict[str, Any]:
    return {"arm": arm, "seed": seed, "evaluated": evaluated, "shown": shown, "fitness": fitness, "cpu": 1.0}


def test_the_two_comparisons_are_the_ratios_they_name() -> None:
    size_ratio = _script("size_ratio")
    rows = [_row("with", 0, 20, 10), _row("without", 0, 40, 30), _row("with", 1, 10, 10), _row("without", 1, 10, 8),
            {"arm": "without", "seed": 2, "evaluated": None, "cpu": 1.0}, _row("with", 2, 99, 99)]  # no pair: left out
    s = size_ratio.summarise("learner", rows)
    assert s["pairs"] == 2
    assert s["a_median_ratio"] == pytest.approx((0.5 + 1.0) / 2)  # shown / evaluated, the "with" arm
    assert s["a_ratio_of_medians"] == pytest.approx(10 / 15)
    assert s["b_median_ratio"] == pytest.approx((10 / 40 + 10 / 10) / 2)  # with shown / without evaluated
    assert s["b_ratio_of_medians"] == pytest.approx(10 / 25)
    assert "**0.75**" in size_ratio.table([s])


def test_summarise_shows_each_stored_best_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    size_ratio = _script("size_ratio")
    runs = tmp_path / "runs.jsonl"
    lines = [{"regime": "learner", "budget": 10, **_row(arm, 0, 0, 0), "program": PROGRAM.replace("l(", "linreg(")}
             for arm in ("with", "without")]
    runs.write_text("".join(json.dumps(line) + "\n" for line in lines))
    (s,) = size_ratio.main(["--summarise", str(runs)])
    # learn as stored: neg(neg(add(w, mul(x, 1.0)))), 7 nodes; shown: w (predict reads no memory)
    assert (s["with_evaluated"], s["with_shown"], s["b_median_ratio"]) == (7, 1, pytest.approx(1 / 7))
    assert "| learner | 1 | 7 / 1 |" in capsys.readouterr().out


def test_summarise_refuses_a_run_recorded_twice_and_a_file_with_none(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A run appended twice (``--out`` appends) was kept once in the medians but its CPU added twice; an empty
    file printed an empty table and exited 0."""
    size_ratio = _script("size_ratio")
    runs = tmp_path / "runs.jsonl"
    line = {"regime": "learner", "budget": 10, **_row("with", 3, 0, 0), "program": PROGRAM.replace("l(", "linreg(")}
    runs.write_text(json.dumps(line) + "\n")
    twice = tmp_path / "twice.jsonl"
    twice.write_text(2 * (json.dumps(line) + "\n"))
    with pytest.raises(MlevError) as err:
        size_ratio.main(["--summarise", str(twice)])
    assert err.value.message == (f"the 'with' run of learner seed 3 is recorded twice ({twice}, run 1 and {twice}, "
                                 "run 2)")
    with pytest.raises(MlevError) as err:
        size_ratio.main(["--summarise", str(runs), str(runs)])
    assert err.value.message == f"{runs} is given twice"
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(MlevError) as err:
        size_ratio.main(["--summarise", str(tmp_path / "empty.jsonl")])
    assert (err.value.message, err.value.hint) == ("not a size_ratio.py --out file: no runs recorded",
                                                   "give a size_ratio.py --out file")
    assert capsys.readouterr().out == ""


def test_a_mistyped_regime_is_named_with_the_closest(capsys: pytest.CaptureFixture[str]) -> None:
    size_ratio = _script("size_ratio")
    with pytest.raises(SystemExit):
        size_ratio.main(["--regimes", "formla"])
    assert capsys.readouterr().err.splitlines()[1].startswith("hint: did you mean 'formula'? run `")
    with pytest.raises(SystemExit):  # it ran nothing and printed an empty table
        size_ratio.main(["--regimes", " , "])
    assert capsys.readouterr().err.splitlines()[0].endswith("error: --regimes names no regime")
