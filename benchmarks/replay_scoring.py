"""Replay a fitted formula run's scorings: per-step CPU of a candidate's scoring, steadier than a run.

A full benchmark on a loaded 2-core machine cannot see a change below ~30%: a run's medians move by
±20% between rounds.  This one records a fixed-seed run once (``mlevolve evolve examples/quartic.mlev
--task nguyen4 --init random --budget N --seed S``, in process): every program the engine started (the
child as proposed) and every scoring it asked of ``gp.backends.score`` (the simplified program and its
key).  The programs are printed, then parsed again before any clock starts, and replayed in the run's
order, best of ``--repeats``, under the cyclic collector's settings of a run (``search_collector``):

- the engine's steps of a candidate's start (``Engine.start``): the child's simplification
  (``gp.memo.simplified_program``) and its key (``program_key``), on fresh memo tables each repeat;
- each scoring through ``gp.backends.score`` on a fresh evaluator (fresh compile cache; FEC hits come
  back as in the run: a fingerprint is known once an earlier scoring found it), with the CPU time
  (``time.thread_time``) inside its parts counted: the probe (``fingerprint``), the fit
  (``fit_formula``) and within it the fold (``folded_fitted``) and the compiled fit kernel with its
  glue (``_fit_compiled``), the scoring (``evaluate_compiled``), the evaluator's print
  (``format_program``) and the simplified text (``backends._with_simplified``);
- the fitted scoring again with no part timed (the whole, without the timers' own cost);
- the baseline, in the same process and alternating with the above: the same scorings through an
  evaluator that does not fit (``--no-fit``'s path: the probe and the scoring of the program as written).

Printed: µs per evaluated scoring (per recorded program for the engine's steps) for each step, best of
the repeats (each step's own best), and the ratio of the fitted scoring to the no-fit baseline: that
ratio is what to compare between two trees (base and branch run alternately), as load moves both, for a
change to the fit, fold or record; a change to what both paths share (the probe, ``run_formula``) moves
the baseline too: compare the steps themselves then, over several alternating rounds.
The recording can be saved (``--save FILE``) and replayed by another tree (``--load FILE``): the same
programs, so two trees are compared on identical inputs.
Run: python benchmarks/replay_scoring.py [--budget 1500] [--seed 1] [--repeats 5] [--save F | --load F]
"""

from __future__ import annotations

import contextlib
import gc
import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mlevolve.interpreter.evaluator as evaluator_module
import mlevolve.interpreter.fit as fit_module
from mlevolve import check, parse, parse_file
from mlevolve.api import evolve
from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.printer import format_program
from mlevolve.gp import backends, memo
from mlevolve.gp.backends import Resources
from mlevolve.gp.engine import Engine, search_collector
from mlevolve.grammar.spec import load_grammar
from mlevolve.interpreter.factory import EvaluatorFactory, formula_inputs, load_task_for
from mlevolve.interpreter.settings import Settings
from mlevolve.script import ArgumentParser, at_least

ROOT = Path(__file__).resolve().parent.parent
TASK = "nguyen4"

# (module, attribute, step): the scoring's parts, timed where the caller looks them up.
PARTS = ((evaluator_module, "fit_formula", "fit"), (fit_module, "folded_fitted", "fit: fold"),
         (fit_module, "_fit_compiled", "fit: kernel and its glue"),
         (evaluator_module, "evaluate_compiled", "scoring"), (evaluator_module, "format_program", "print"),
         (backends, "_with_simplified", "simplified text"))


def record(budget: int, seed: int) -> dict[str, Any]:
    """Run the fitted quartic once in process; the programs it started and the scorings it asked for,
    as text (keys alongside)."""
    started: list[str] = []
    scorings: list[tuple[str, str]] = []
    score, start = backends.score, Engine.start

    def recording_score(evaluator: Any, program: Any, key: str, *args: Any, **kwargs: Any) -> Any:
        scorings.append((format_program(program), key))
        return score(evaluator, program, key, *args, **kwargs)

    def recording_start(self: Engine, program: Any, *args: Any, **kwargs: Any) -> None:
        started.append(format_program(program))
        start(self, program, *args, **kwargs)

    backends.score, Engine.start = recording_score, recording_start
    try:
        with tempfile.TemporaryDirectory() as tmp:
            evolve(ROOT / "examples" / "quartic.mlev", task=TASK, init="random", budget=budget, seed=seed,
                   db=Path(tmp) / "run.db", quiet=True, workers=1)
    finally:
        backends.score, Engine.start = score, start
    return {"budget": budget, "seed": seed, "started": started, "scorings": scorings}


@contextlib.contextmanager
def timed_parts(spent: dict[str, float]) -> Iterator[None]:
    """Count the CPU time inside each of :data:`PARTS` in ``spent`` while inside."""
    saved = [(module, name, getattr(module, name)) for module, name, _ in PARTS]

    def timer(fn: Callable[..., Any], step: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[step] += time.thread_time() - t
        return timed

    for (module, name, step), (_, _, fn) in zip(PARTS, saved, strict=True):
        setattr(module, name, timer(fn, step))
    try:
        yield
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)


def replay_scorings(make: Callable[[], Any], programs: list[tuple[Any, str]], parts: bool) -> dict[str, float]:
    """One replay of ``programs`` (parsed, with keys) through ``backends.score`` on a fresh evaluator:
    CPU seconds per step (``parts``: the scoring's parts too), and counts by source."""
    evaluator = make()
    spent: dict[str, float] = defaultdict(float)
    probe, evaluate = evaluator.fingerprint, evaluator.evaluate

    def fingerprint(program: Any, key: str) -> Any:
        t = time.thread_time()
        try:
            return probe(program, key)
        finally:
            spent["probe"] += time.thread_time() - t

    def evaluated(program: Any, key: str, quick: bool = False) -> Any:
        t = time.thread_time()
        try:
            return evaluate(program, key, quick)
        finally:
            spent["evaluate"] += time.thread_time() - t

    evaluator.fingerprint, evaluator.evaluate = fingerprint, evaluated
    known: set[str] = set()
    policy = backends.Policy()
    with timed_parts(spent) if parts else contextlib.nullcontext():
        for program, key in programs:
            t = time.thread_time()
            scored = backends.score(evaluator, program, key, known, (), policy)
            spent["total"] += time.thread_time() - t
            spent[f"n {scored.source}"] += 1
            if scored.fingerprint is not None and scored.source != "fec":
                known.add(scored.fingerprint)
    return spent


def replay_starts(programs: list[Any]) -> dict[str, float]:
    """The engine's start of each program (proposed child): simplification and key, fresh tables."""
    memo._SIMPLIFIED, memo._PASSED = memo.NodeMemo(16384), memo.NodeMemo(1 << 16)
    memo._SIMPLE_DEFINITIONS, memo._KEYS = memo.Identity(), memo.Identity()
    spent: dict[str, float] = defaultdict(float)
    for program in programs:
        t = time.thread_time()
        simple = memo.simplified_program(program)
        t1 = time.thread_time()
        memo.program_key(simple)
        t2 = time.thread_time()
        spent["child's simplification"] += t1 - t
        spent["key"] += t2 - t1
    return spent


def load(path: Path) -> dict[str, Any]:
    """A recording written by ``--save``; a file that is not one is a one-line error."""
    try:
        recorded = json.loads(path.read_text())
        if not (isinstance(recorded["scorings"], list) and isinstance(recorded["started"], list)
                and isinstance(recorded["seed"], int) and isinstance(recorded["budget"], int)):
            raise TypeError("a field of the wrong type")
    except (ValueError, KeyError, TypeError) as err:
        raise MlevError(f"{path}: not a recording of this script ({err})", hint="make one with --save FILE") from None
    return recorded  # type: ignore[no-any-return]


def main() -> None:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=at_least(1), help="the recorded run's budget (default 1500; a short "
                        "check: --budget 40 --repeats 1, seconds)")
    parser.add_argument("--seed", type=int, help="the recorded run's seed (default 1)")
    parser.add_argument("--repeats", type=at_least(1), default=5, help="replays; each step's best is shown "
                        "(default 5)")
    parser.add_argument("--save", type=Path, help="write the recording to this JSON file")
    parser.add_argument("--load", type=Path, help="replay this recording (from --save) instead of running; "
                        "its budget and seed are the recording's")
    args = parser.parse_args()
    if args.load and (args.budget is not None or args.seed is not None):
        parser.error("--budget and --seed make a recording; --load replays one with its own",
                     hint="drop --budget and --seed, or --load")
    if args.save and not args.save.parent.is_dir():
        parser.error(f"--save {args.save}: no folder {args.save.parent}", hint="make the folder, or save elsewhere")
    recorded = load(args.load) if args.load else record(args.budget or 1500, 1 if args.seed is None else args.seed)
    if args.save:
        args.save.write_text(json.dumps(recorded))
    scorings = [(parse(text), key) for text, key in recorded["scorings"]]
    started = [parse(text) for text in recorded["started"]]
    fitted, plain = (_evaluators(recorded["seed"], fit) for fit in (True, False))
    best: dict[str, float] = {}
    counts: dict[str, float] = {}
    for _ in range(args.repeats):  # alternating: fitted with its parts, fitted alone, no-fit, the engine's steps
        gc.collect()
        with search_collector():  # the cyclic collector's settings of every run
            rounds = {"": replay_scorings(fitted, scorings, parts=True),
                      "whole, untimed parts ": replay_scorings(fitted, scorings, parts=False),
                      "no-fit baseline: ": replay_scorings(plain, scorings, parts=False),
                      "engine: ": replay_starts(started)}
        for prefix, spent in rounds.items():
            for step, value in spent.items():
                if step.startswith("n "):
                    counts[prefix + step] = value
                else:
                    best[prefix + step] = min(best.get(prefix + step, value), value)
    evaluated = counts["n evaluated"]
    plain_evaluated = counts["no-fit baseline: n evaluated"]
    print(f"recorded: quartic fitted, {TASK}, budget {recorded['budget']}, seed {recorded['seed']}: "
          f"{len(started)} started, {len(scorings)} scored, of which "
          + ", ".join(f"{int(v)} {k[2:]}" for k, v in counts.items() if not k.startswith(("no-fit", "whole"))))
    print(f"best of {args.repeats}, CPU µs per evaluated scoring ({int(evaluated)}; no-fit: {int(plain_evaluated)}), "
          f"the engine's steps per started program ({len(started)}):")
    for step, value in best.items():
        per = len(started) if step.startswith("engine") else \
            plain_evaluated if step.startswith("no-fit") else evaluated
        print(f"  {step:40s} {value / per * 1e6:9.1f}")
    ratio = (best["whole, untimed parts total"] / evaluated) / (best["no-fit baseline: total"] / plain_evaluated)
    print(f"fitted scoring (untimed parts) / no-fit scoring, per evaluated scoring: {ratio:.2f}")


def _evaluators(seed: int, fit: bool) -> Callable[[], Any]:
    """Fresh evaluators of the recorded run's kind (``api.evolve``'s factory), the task and grammar loaded once."""
    program = check(parse_file(ROOT / "examples" / "quartic.mlev"))
    factory = EvaluatorFactory(TASK, seed, Settings.epochs, frozenset({"formula"}), timeout=Resources.timeout,
                               fit=fit, inputs=formula_inputs(program, TASK))
    task, spec = load_task_for(program, TASK, seed), load_grammar()
    return lambda: factory.build(task, spec)


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
