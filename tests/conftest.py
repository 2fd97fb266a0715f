"""What the tests share: the repository's paths, the two ways of running the CLI, and archive readers.

The tests follow the packages (``tests/dsl``, ``tests/grammar``, ``tests/gp``, ``tests/interpreter``,
``tests/meta``, ``tests/report``, ``tests/cli``).  A test that runs a command in a fresh process (the
CLI, an exported script, a browser) is marked ``e2e``: the default run (``python -m pytest``; README and CI
add ``-n 2``, two pytest-xdist workers) leaves those out, ``python -m pytest -m e2e`` runs them, and CI runs
both.  Under pytest-xdist the session's start and end below run in the controller and in each worker: each
warms the kernels (a load from numba's cache after the first) and checks the source tree for itself.

Test modules import these helpers (``from tests.conftest import ROOT, cli``) rather than take them
as fixtures: ``parametrize`` needs the paths when the tests are collected.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import settings

import mlevolve
from mlevolve.cli import main
from mlevolve.interpreter import compiling


@pytest.fixture(autouse=True, scope="session")
def _quiet_compiles() -> Iterator[None]:
    """numba's one-line note of a kernel compile is for a person at a terminal (the CLI asks for it): in a fresh
    checkout it came first on the stderr of whichever test compiled first (a golden error's first line).  Every test
    runs with the documented switch that keeps the CLI from asking (``MLEVOLVE_QUIET_COMPILE=1``), in process and in
    the fresh processes it starts; a test of the note unsets it (``monkeypatch.delenv``).  The session compiles every
    kernel before any test too (pytest_sessionstart), so that none compiles."""
    previous = os.environ.get(compiling.QUIET_ENV)
    os.environ[compiling.QUIET_ENV] = "1"
    yield
    if previous is None:
        del os.environ[compiling.QUIET_ENV]
    else:
        os.environ[compiling.QUIET_ENV] = previous


# Hypothesis draws anew in every run, which finds new counterexamples locally; CI is a gate, so it runs the profile
# ``ci`` (``.ci/run`` sets ``HYPOTHESIS_PROFILE=ci``): the same draws each run (``derandomize``: examples chosen from
# each test's own source), no example database, no per-example deadline (a loaded machine is not a failure), and a
# failure's reproduction blob printed. A property that fails there fails on every rerun of that commit.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.mlev"))
SRC = ROOT / "src"
Capsys = pytest.CaptureFixture[str]


# ------------------------------------------------------------------------------------- the CLI, in process
def cli(capsys: Capsys, *argv: str) -> tuple[int, str, str]:
    """``mlevolve ARGV`` through :func:`mlevolve.cli.main`: its exit status, stdout and stderr (never a traceback)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    return code, out, err


def usage_error(capsys: Capsys, *argv: str) -> str:
    """Run a command that must fail as a usage error (status 2, nothing on stdout); its stderr."""
    code, out, err = cli(capsys, *argv)
    assert code == 2, (out, err)
    assert out == ""
    assert "error: " in err.splitlines()[0]
    return err


# ------------------------------------------------------------------------------------- exported components
def load_module(path: Path) -> ModuleType:
    """The module in file ``path``, imported under a name of its own (registered: pickle finds its classes)."""
    spec = importlib.util.spec_from_file_location(f"component_{path.stem}_{abs(hash(str(path)))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def component_module(folder: Path, program: str | Path | mlevolve.Program, name: str, stem: str | None = None
                     ) -> ModuleType:
    """``mlevolve.export_component(program, name)`` written to ``folder/STEM.py`` (``stem``: ``name``) and imported."""
    path = folder / f"{stem or name}.py"
    path.write_text(mlevolve.export_component(program, name), encoding="utf-8")
    return load_module(path)


# ------------------------------------------------------------------------------- the CLI, in a fresh process
def environment(**extra: str) -> dict[str, str]:
    """This process's environment with this checkout's sources first on ``PYTHONPATH``."""
    path = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


def with_parent(preexec_fn: Callable[[], None] | None = None) -> Callable[[], None]:
    """A ``preexec_fn`` under which the child dies with this process, even one killed by SIGKILL (Linux:
    ``PR_SET_PDEATHSIG``, :func:`mlevolve.gp.backends.orphan_guard`, as the pool's workers do), then runs
    ``preexec_fn``: a test's child (an ``evolve`` to a budget of a million) outlived a pytest killed mid-test and
    kept running, one holding 3.7 GB.  (Python holds the import lock across the fork, so the guard's import in the
    child cannot deadlock.)"""
    from mlevolve.gp.backends import orphan_guard

    parent = os.getpid()

    def start() -> None:
        orphan_guard(parent)
        if preexec_fn is not None:
            preexec_fn()

    return start


def spawn(args: Sequence[str | Path], **kw: Any) -> subprocess.Popen[Any]:
    """:class:`subprocess.Popen` of ``args`` (``kw`` as it takes them) as a child that dies with this process
    (:func:`with_parent`, with ``kw``'s own ``preexec_fn`` after): how every test starts a child that could run
    long (an evolve or meta run it interrupts, kills or resumes)."""
    return subprocess.Popen(args, preexec_fn=with_parent(kw.pop("preexec_fn", None)), **kw)


def run_child(args: Sequence[str | Path], **kw: Any) -> subprocess.CompletedProcess[Any]:
    """:func:`subprocess.run` of ``args`` (``kw`` as it takes them: keep a ``timeout``) as a child that dies with
    this process (:func:`with_parent`, with ``kw``'s own ``preexec_fn`` after): how every test runs a Python or
    ``mlevolve`` child to its end (an exported script, a benchmark, a probe).  A timeout bounds such a child, but a
    pytest killed by SIGKILL meanwhile left it running to that end (a benchmark's ten minutes)."""
    return subprocess.run(args, preexec_fn=with_parent(kw.pop("preexec_fn", None)), **kw)


def run_mlevolve(*argv: str, cwd: str | Path | None = None, timeout: float = 300, **kw: Any,
                 ) -> subprocess.CompletedProcess[str]:
    """``python -m mlevolve ARGV`` in a fresh interpreter (text output captured) that dies with this process
    (:func:`run_child`); ``kw`` goes to :func:`subprocess.run` (e.g. ``env``, ``preexec_fn``)."""
    kw.setdefault("env", environment())
    return run_child([sys.executable, "-m", "mlevolve", *argv], capture_output=True, text=True, cwd=cwd,
                     timeout=timeout, **kw)


HEAVY = ("torch", "sklearn", "mlevolve.interpreter.runtime")  # what a mistake must be reported without


def light_cli(argv: list[str], cwd: Path) -> tuple[int, str, list[str]]:
    """Run the CLI in a fresh interpreter: its exit status, stderr, and which of :data:`HEAVY` it imported."""
    probe = ("import sys\nfrom mlevolve.cli import main\ncode = main(sys.argv[1:])\n"
             f"print(*[m for m in {HEAVY!r} if m in sys.modules])\n"
             "sys.exit(code)\n")
    done = run_child([sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=120, cwd=cwd,
                     env=environment())
    return done.returncode, done.stderr, done.stdout.split()


# --------------------------------------------------------------------------------------------- archives
CLOCK = ("seconds", "created")  # a candidate's clock readings: never the same twice


def generator_body(path: str | Path) -> str:
    """A meta run's generator file less its provenance, the lines that name the run's own paths (its command with
    ``--db`` and ``-o``, its archive): what two runs of one configuration into other files must write alike."""
    own = ("# archive:", "# mlevolve generator evolved by")
    return "".join(line for line in Path(path).read_text().splitlines(True) if not line.startswith(own))


def archive_rows(db: str | Path, columns: tuple[str, ...] | None = None) -> list[tuple[Any, ...]]:
    """The archive's candidates in order, read with plain sqlite3 (read-only): ``columns`` (default:
    all but the clock readings, in the table's order), with ``train_seconds`` dropped from the metrics."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        if columns is None:
            columns = tuple(c[1] for c in conn.execute("PRAGMA table_info(candidates)") if c[1] not in CLOCK)
        out = []
        for values in conn.execute(f"SELECT {', '.join(columns)} FROM candidates ORDER BY seq"):
            d = dict(zip(columns, values, strict=True))
            if "metrics" in d:
                metrics = json.loads(d["metrics"])
                metrics.pop("train_seconds", None)
                d["metrics"] = json.dumps(metrics, sort_keys=True)
            out.append(tuple(d[c] for c in columns))
        return out
    finally:
        conn.close()


def archive_count(db: str | Path) -> int:
    """How many candidates the archive holds (0 while it or its table does not exist yet)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)
    except sqlite3.Error:
        return 0
    try:
        return int(conn.execute("SELECT COUNT(*) FROM candidates").fetchone()[0])
    except sqlite3.Error:  # not created yet
        return 0
    finally:
        conn.close()


def wait_for_candidates(proc: subprocess.Popen[Any], db: str | Path, at_least: int, limit: float = 120.0,
                        step: float = 0.1) -> bool:
    """Wait until ``db`` holds ``at_least`` candidates while ``proc`` runs; whether it got there (False: the
    process ended first, or ``limit`` seconds passed)."""
    deadline = time.monotonic() + limit
    while archive_count(db) < at_least:
        if proc.poll() is not None or time.monotonic() >= deadline:
            return False
        time.sleep(step)
    return True


def handles(pid: int, signum: int) -> bool:
    """Whether process ``pid`` has a handler of its own for signal ``signum`` (Linux: its ``SigCgt`` mask in
    ``/proc/PID/status``; False once it has ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    for line in status.splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


def runs(pid: int, arg: str) -> bool:
    """Whether process ``pid`` runs with ``arg`` among its arguments (``/proc/PID/cmdline``): the program a test
    started, not the test's own interpreter, which a child's ``/proc`` shows (its handlers, libraries, arguments)
    for an instant after ``Popen`` returned on a loaded machine.  Check it before :func:`handles` or :func:`maps`."""
    try:
        return arg.encode() in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False


def maps(pid: int, library: str) -> bool:
    """Whether process ``pid`` has loaded a shared library whose path holds ``library`` (``/proc/PID/maps``:
    ``"libtorch"`` once PyTorch is imported, ``"llvmlite"`` once numba is; False once it has ended)."""
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def cpu_seconds(pid: int) -> float:
    """The CPU seconds (user and system) process ``pid`` has run (``/proc/PID/stat``; 0 once it has ended): its
    progress, which a loaded machine slows in wall seconds but not in these."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime: fields 14, 15 of stat


def wait_until(ready: Callable[[], bool], proc: subprocess.Popen[Any] | None = None, limit: float = 120.0,
               step: float = 0.002) -> None:
    """Wait until ``ready()`` holds: the readiness a test waits for before it signals ``proc`` (never a fixed
    sleep, which a loaded machine outlasts).  Fails the test where ``proc`` ended first or ``limit`` seconds
    passed."""
    deadline = time.monotonic() + limit
    while not ready():
        assert proc is None or proc.poll() is None, f"the process ended (status {proc.returncode}) before it was ready"
        assert time.monotonic() < deadline, f"not ready after {limit} s"
        time.sleep(step)


def sigint_default() -> None:
    """A ``preexec_fn``: in the child before exec, Ctrl-C's default action, so that Python installs its
    KeyboardInterrupt handler even when the tests run as a background job of a shell without job control
    (which starts its jobs with SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def archive_meta(db: str | Path) -> dict[str, Any]:
    """The archive's ``meta`` table, each value decoded from its JSON."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM meta")}
    finally:
        conn.close()


# ------------------------------------------------------------------------------------- data files for tests
FORMULA_AB = "algorithm f\nformula f(a: Scalar, b: Scalar) -> Scalar = a * b\n"  # a formula of columns a and b


def csv_rows(path: Path, rows: list[tuple[float, float, float]]) -> Path:
    """``path`` written as a CSV file of columns ``a, b, y`` holding ``rows`` (each number as ``repr`` writes it)."""
    path.write_text("a,b,y\n" + "".join(f"{a!r},{b!r},{y!r}\n" for a, b, y in rows))
    return path


def regression_csv(path: Path, n: int = 60) -> Path:
    """``path`` written as a regression CSV of ``n`` rows: ``y = 1.5 a - b`` of normal ``a, b`` (seed 0)."""
    import numpy as np

    rng = np.random.default_rng(0)
    return csv_rows(path, [(float(a), float(b), float(1.5 * a - b)) for a, b in rng.normal(size=(n, 2))])


# ------------------------------------------------------------------------------- the session's start and end
SCRATCH = ("__pycache__", ".hypothesis", ".pytest_cache", ".mypy_cache", ".ruff_cache")  # tools' own caches


def kernel_specialisations() -> set[str]:
    """The compiled specialisations of mlevolve's kernels' entry points in numba's on-disk cache (its ``*.nbc``
    files, ``MODULE.FUNCTION-LINE.pyXY.N.nbc``): the public functions, which mlevolve calls from Python (a test
    that calls a private one, ``kernel._run``, with arrays of its own compiles what no run does)."""
    from mlevolve.interpreter import kernel

    folder = Path(kernel.learner_kernel._cache._cache_path)  # where numba keeps it (NUMBA_CACHE_DIR or __pycache__)
    return {p.name for p in folder.glob("*.nbc") if not p.name.split(".")[1].startswith("_")}


def source_tree_changes() -> set[str] | None:
    """The untracked and ignored files of the checkout (``git status --porcelain --ignored``) less the tools'
    caches (:data:`SCRATCH`, ``.coverage*``): what a test that wrote into the repository adds to (a tracked
    file's edit is left out: a person edits them while tests run); None where this is not a git checkout."""
    try:
        done = subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all"], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return {line for line in done.stdout.splitlines() if line[:2] in ("??", "!!")
            and not any(part in SCRATCH or part.startswith(".coverage") for part in Path(line[3:]).parts)}


_BEFORE: dict[str, Any] = {}


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile (or load from numba's cache) every kernel before any test, so that no test's fresh process is the
    first to compile one (its stderr would start with :data:`compiling.NOTE`), and note what the session must
    leave as it found: the kernels' specialisations and the source tree."""
    if os.environ.get("MLEVOLVE_NO_JIT", "") != "1" and importlib.util.find_spec("numba") is not None:
        from mlevolve.interpreter.regimes import warm_kernels

        warm_kernels()
        _BEFORE["kernels"] = kernel_specialisations()
    _BEFORE["tree"] = source_tree_changes()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the session where a test wrote into the repository (a file ``tmp_path`` should have held), and say
    where a test compiled a kernel specialisation that :func:`mlevolve.interpreter.regimes.warm_kernels` does not."""
    problems = []
    before, after = _BEFORE.get("tree"), source_tree_changes()
    if before is not None and after is not None and (added := sorted(after - before)):
        problems.append(f"the tests wrote into the source tree {ROOT} (write under tmp_path): {', '.join(added)}")
    if "kernels" in _BEFORE and (new := sorted(kernel_specialisations() - _BEFORE["kernels"])):
        problems.append("a test compiled numba specialisations that mlevolve.interpreter.regimes.warm_kernels does not "
                        f"(a fresh process compiling them prints numba's note on stderr): {', '.join(new)}")
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        for problem in problems:
            if reporter is not None:
                reporter.ensure_newline()
                reporter.write_line(f"error: {problem}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
