"""Per-candidate cost of scoring formulas and learners, as a search scores them, on one core.

Each candidate goes through ``ProgramEvaluator`` as the engine calls it: the probe (FEC fingerprint),
then, unless the probe failed it, the evaluation: for a formula on ``koza_quartic`` constant fitting
(linear scaling and Levenberg-Marquardt, the default) then scoring; for a learner on ``linear``
(10 tasks x 100 + 100 examples) online training and validation.  Random programs from the base
grammar's typed generator, fixed seeds; every candidate is new to the evaluator (no cache hits).
Printed: microseconds per candidate (CPU time of this process, which a shared machine disturbs less
than wall time, and wall time), the median of ``--repeats`` passes.  The script uses only the
evaluator's public calls, so the same file measures any version of mlevolve (before/after).

Run: python benchmarks/candidate_cost.py [--n N] [--repeats R]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported: one core

import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

import mlevolve  # noqa: E402
from mlevolve.dsl.ir import Definition, Param, Program  # noqa: E402
from mlevolve.dsl.kinds import KINDS, replace_slot, slots  # noqa: E402
from mlevolve.gp.generate import generate  # noqa: E402
from mlevolve.interpreter.evaluate import Settings  # noqa: E402
from mlevolve.interpreter.evaluator import DEFAULT_FIT, ProgramEvaluator  # noqa: E402
from mlevolve.interpreter.tasks import load_task  # noqa: E402
from mlevolve.script import ArgumentParser, at_least  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def formulas(n: int, seed: int) -> list[Program]:
    spec = mlevolve.load_grammar().restrict(KINDS["formula"].types)
    rng = random.Random(seed)
    return [Program("f", (Definition("formula", "f", (Param("x", "Scalar"),), "Scalar",
                                     generate(spec, "Scalar", rng, env={"x": "Scalar"}, max_depth=rng.randint(2, 6),
                                              method=rng.choice(["grow", "full"]))),))
            for _ in range(n)]


def learners(n: int, seed: int) -> list[Program]:
    spec = mlevolve.load_grammar().restrict(KINDS["learner"].types)
    base = mlevolve.check(mlevolve.parse_file(ROOT / "examples" / "linear_regression.mlev"))
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        program = base
        for slot in slots(base):
            body = generate(spec, slot.result, rng, env=slot.env, max_depth=4, method=rng.choice(["grow", "full"]))
            program = replace_slot(program, slot.name, body)
        out.append(program)
    return out


def cost(kind: str, programs: list[Program], repeats: int, jit: bool = True) -> tuple[float, float]:
    """Median (CPU, wall) microseconds per candidate over ``repeats`` passes, each with a new evaluator;
    ``jit`` False: learners on the NumPy path (``MLEVOLVE_NO_JIT=1``), not the compiled interpreter."""
    spec = mlevolve.load_grammar()
    task_name = "koza_quartic" if kind == "formula" else "linear"
    task = load_task(task_name, seed=0)
    cpu, wall = [], []
    os.environ.pop("MLEVOLVE_NO_JIT", None)
    if not jit:
        os.environ["MLEVOLVE_NO_JIT"] = "1"
    for _ in range(repeats + 1):  # the first pass warms up (imports, caches of the process)
        evaluator = ProgramEvaluator(task, task_name, spec, Settings(seed=0, threads=1), frozenset({kind}),
                                     fit=DEFAULT_FIT if kind == "formula" else None)
        c0, w0 = time.process_time(), time.perf_counter()
        for i, program in enumerate(programs):
            _, failure = evaluator.fingerprint(program, str(i))
            if failure is None:
                evaluator.evaluate(program, str(i))
        cpu.append((time.process_time() - c0) / len(programs) * 1e6)
        wall.append((time.perf_counter() - w0) / len(programs) * 1e6)
    os.environ.pop("MLEVOLVE_NO_JIT", None)
    return statistics.median(cpu[1:]), statistics.median(wall[1:])


def main() -> int:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=at_least(1), default=300, help="random programs of each kind (default 300)")
    parser.add_argument("--repeats", type=at_least(1), default=3, help="timed passes (default 3)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"mlevolve from {Path(mlevolve.__file__).parent}; {args.n} random programs of each kind, "
          f"median of {args.repeats} passes")
    # Learners (linear, 10 x 100 + 100) on the NumPy path and the compiled interpreter, interleaved twice.
    learner_programs = learners(args.n, 0)
    rows = [("formula", formulas(args.n, 0), "probe + fit + score, koza_quartic", True)]
    rows += [("learner", learner_programs, "probe + train, linear, NumPy path", False),
             ("learner", learner_programs, "probe + train, linear, compiled (numba)", True)] * 2
    for kind, programs, what, jit in rows:
        cpu, wall = cost(kind, programs, args.repeats, jit)
        print(f"{kind:<8} {what:<42} {cpu:8.0f} us CPU ({1e6 / cpu:6.0f}/s)  {wall:8.0f} us wall per candidate")
    return 0


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
