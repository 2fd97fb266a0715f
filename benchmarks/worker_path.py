"""The worker path: what a candidate costs when it is scored in a worker process (issue 14 item 5).

Printed, each the median of ``--repeats`` runs:
- the pool's capacity with instant evaluations (candidates/s, regularized evolution of the quartic's
  body, 1 and 2 workers; ``scale.py``'s synthetic evaluator), one candidate per request and in
  batches of ``CHEAP_BATCH`` (as a cheap run's ``--workers N`` pool sends them), with the
  coordinator's CPU per candidate, and interleaved with the same run in process
  (``InProcess(batch=B)``: the coordinator alone, on the trajectory of a one-worker pool with that
  batch, the most the pool can reach on this machine as loaded now; the engine's cost per
  candidate depends on the trajectory, 180-280 µs across seeds and batch sizes);
- `mlevolve evolve examples/quartic.mlev --budget 1000 --init random --population 20 --quiet`:
  wall and CPU seconds (this process's children: coordinator and worker) on one core
  (``taskset -c 0``) and on every core;
- the start of the README's main job's workers (1 and 2): wall and CPU seconds (the process, its
  fork server and workers) until each has answered its first probe;
- the time from the README's main job's command (1 and 2 workers) to its first candidate's ``--json-log`` line;
- the README's main job (`examples/mlp_digits.mlev --evolve act --task digits`) at each of
  ``--main-budgets`` (24 and 200) with ``--workers 1`` and ``--workers 2``: wall and CPU seconds,
  and the ratio of the wall times.
Run: PYTHONPATH=src python benchmarks/worker_path.py [--repeats N] [--skip-main] [--main-budgets 24 200]
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from mlevolve.gp.backends import CHEAP_BATCH  # noqa: E402
from mlevolve.script import ArgumentParser, at_least  # noqa: E402
from scale import run  # noqa: E402


def _adopt_orphans() -> None:
    """Linux: become the subreaper of this process's descendants, so that the pool's fork server
    (and through it its workers), orphaned when the command exits, are reaped here and their CPU
    time counts in ``RUSAGE_CHILDREN``."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER


def _reap_orphans(wait: float = 10.0) -> None:
    """Wait (up to ``wait`` s) for adopted descendants (children this process did not start: not
    its own pools' fork server or resource tracker) to exit, reaping them."""
    from multiprocessing import forkserver, resource_tracker

    own = {getattr(forkserver._forkserver, "_forkserver_pid", None),
           getattr(resource_tracker._resource_tracker, "_pid", None)}
    me = str(os.getpid())
    adopted = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            if stat.read_text().rsplit(")", 1)[1].split()[1] == me and int(stat.parent.name) not in own:
                adopted.append(int(stat.parent.name))
    deadline = time.monotonic() + wait
    for pid in adopted:
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(pid, os.WNOHANG)[0] == 0 and time.monotonic() < deadline:
                time.sleep(0.05)


def timed(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and all its descendants) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - started
    _reap_orphans()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def evolve(args: list[str], db: Path, core: str | None = None) -> tuple[float, float]:
    command = [sys.executable, "-m", "mlevolve", "evolve", *args, "--quiet", "--db", str(db)]
    if core is not None and shutil.which("taskset"):
        command = ["taskset", "-c", core, *command]
    if db.exists():
        db.unlink()
    return timed(command)


_START = """
import sys, time
from mlevolve.gp.backends import ProcessPool, Request, worker_modules
from mlevolve.interpreter.factory import EvaluatorFactory
from mlevolve.interpreter.regimes import REGIMES
if __name__ == "__main__":
    factory = EvaluatorFactory("digits", 0, 10, frozenset({"activation"}), timeout=300)
    program = open("examples/mlp_digits.mlev").read()
    started = time.perf_counter()
    pool = ProcessPool(factory, int(sys.argv[1]), preload=worker_modules(REGIMES["supervised"]))
    for job in range(pool.workers_count):
        pool.submit(Request(job, "fingerprint", program, f"k{job}"))
    answered = 0
    while answered < pool.workers_count:
        answered += len(pool.results())
    print(time.perf_counter() - started)
    pool.close()
"""


def worker_start(workers: int) -> tuple[float, float]:
    """(wall, CPU seconds of the process, its fork server and workers) until each of ``workers``
    workers of the README's main job has answered its first probe (PyTorch imported, task loaded)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([sys.executable, "-c", _START, str(workers)], check=True, capture_output=True, text=True,
                         cwd=ROOT)
    _reap_orphans()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return float(out.stdout.split()[-1]), (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def first_candidate(workers: int, folder: Path) -> float:
    """Wall seconds from the README main job's command (``--budget 4``, ``workers`` workers) to its first candidate's
    line in its ``--json-log`` (the starting program scored: the command's imports, the program, the task, the
    workers' start and one training); the command is then run to its end."""
    db, log = folder / "first.db", folder / "first.jsonl"
    for path in (db, log):
        if path.exists():
            path.unlink()
    command = [sys.executable, "-m", "mlevolve", "evolve", "examples/mlp_digits.mlev", "--evolve", "act", "--task",
               "digits", "--budget", "4", "--workers", str(workers), "--quiet", "--db", str(db), "--json-log", str(log)]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=ROOT)
    while not (log.exists() and log.stat().st_size) and child.poll() is None:
        time.sleep(0.005)
    first = time.perf_counter() - started
    if child.wait() != 0:
        raise SystemExit(f"the main job exited with status {child.returncode}")
    _reap_orphans()
    return first


def _in_process(budget: int, batch: int) -> float:
    """``scale.run``'s search scored by ``InProcess(batch=batch)``: candidates/s."""
    from mlevolve import check, parse_file
    from mlevolve.gp.archive import Archive
    from mlevolve.gp.backends import InProcess
    from mlevolve.gp.engine import Engine, EvolveConfig
    from mlevolve.gp.search import regularized_evolution
    from mlevolve.grammar.spec import load_grammar
    from scale import BusyEvaluator, BusyFactory

    program = check(parse_file(ROOT / "examples" / "quartic.mlev"))
    config = EvolveConfig(budget=budget, population=50, init="random", hurdle=False)
    with tempfile.TemporaryDirectory() as tmp, Archive.for_run(Path(tmp) / "s.db", {"run": "scale"}) as archive:
        engine = Engine(program, ["f"], load_grammar(), BusyEvaluator(0.0), archive, config, None,
                        InProcess(BusyFactory(0.0), batch=batch), replay=False)
        started = time.perf_counter()
        regularized_evolution(engine)
        return budget / (time.perf_counter() - started)


def _cpu_run(budget: int, workers: int, batch: int) -> tuple[float, float]:
    """(candidates/s, this process's CPU microseconds per candidate) of one ``scale.run`` (``workers``
    0: :func:`_in_process`)."""
    started = time.process_time()
    rate = run(budget, 0.0, workers, batch)["rate"] if workers else _in_process(budget, batch)
    return rate, (time.process_time() - started) / budget * 1e6


def main() -> None:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=at_least(1), default=3,
                        help="measurements of each kind, interleaved (default 3)")
    parser.add_argument("--skip-main", action="store_true", help="leave out the README's main job")
    parser.add_argument("--main-budgets", type=at_least(1), nargs="+", default=[24, 200], metavar="N",
                        help="budgets of the README's main job, each run with 1 and 2 workers (default 24 200)")
    parser.add_argument("--skip-quartic", action="store_true", help="leave out the pool and quartic runs")
    args = parser.parse_args()
    _adopt_orphans()
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    for workers in () if args.skip_main else (1, 2):
        starts = [worker_start(workers) for _ in range(args.repeats)]
        print(f"README main job, {workers} worker(s) started, each answered its first probe: wall "
              f"{statistics.median(r[0] for r in starts):.2f} s, CPU {statistics.median(r[1] for r in starts):.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        for workers in () if args.skip_main else (1, 2):
            firsts = [first_candidate(workers, Path(tmp)) for _ in range(args.repeats)]
            print(f"README main job, {workers} worker(s), the command's first candidate logged: wall "
                  f"{statistics.median(firsts):.2f} s (each: {', '.join(f'{t:.2f}' for t in firsts)})")
    for workers in () if args.skip_quartic else (1, 2):
        for batch, budget in ((1, 600), (CHEAP_BATCH, 2000)):
            pooled, alone = [], []
            for _ in range(args.repeats):  # interleaved: the machine's load changes alike for both
                pooled.append(_cpu_run(budget, workers, batch))
                alone.append(_cpu_run(budget, 0, batch))
            print(f"pool, instant evaluations, {workers} worker(s), {batch} candidate(s) per request: "
                  f"{statistics.median(r[0] for r in pooled):.0f} candidates/s, coordinator CPU "
                  f"{statistics.median(r[1] for r in pooled):.0f} us/candidate; in process "
                  f"{statistics.median(r[0] for r in alone):.0f} candidates/s, "
                  f"{statistics.median(r[1] for r in alone):.0f} us/candidate; load {os.getloadavg()[0]:.1f}")
    quartic = ["examples/quartic.mlev", "--budget", "1000", "--init", "random", "--population", "20"]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "run.db"
        for core, label in () if args.skip_quartic else (("0", "one core"), (None, "all cores")):
            runs = [evolve(quartic, db, core) for _ in range(args.repeats)]
            print(f"quartic, budget 1000, {label}: wall {statistics.median(r[0] for r in runs):.2f} s, "
                  f"CPU {statistics.median(r[1] for r in runs):.2f} s")
        for budget in [] if args.skip_main else args.main_budgets:
            main_job = ["examples/mlp_digits.mlev", "--evolve", "act", "--task", "digits", "--budget", str(budget)]
            runs = {w: [evolve([*main_job, "--workers", str(w)], db) for _ in range(args.repeats)] for w in (1, 2)}
            wall = {w: statistics.median(r[0] for r in rs) for w, rs in runs.items()}
            cpu = {w: statistics.median(r[1] for r in rs) for w, rs in runs.items()}
            print(f"README main job, budget {budget}: --workers 1 {wall[1]:.2f} s (CPU {cpu[1]:.2f} s), "
                  f"--workers 2 {wall[2]:.2f} s (CPU {cpu[2]:.2f} s), ratio {wall[2] / wall[1]:.2f}")


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
