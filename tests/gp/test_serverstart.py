"""The fork server started from ``mlevolve evolve``'s first lines (:mod:`mlevolve.gp.serverstart`): the guess read
from the command line alone, and what a run does with a server it did not need (killed, no process left, the same
error and exit status)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlevolve.cli import build_parser
from mlevolve.gp.backends import worker_modules
from mlevolve.gp.serverstart import EVOLVE_SWITCHES, KIND_PRELOADS, _evolve_options, early_preload
from mlevolve.interpreter.regimes import REGIMES
from tests.conftest import ROOT, environment, run_child, spawn

MLP = str(ROOT / "examples" / "mlp_digits.mlev")
QUARTIC = str(ROOT / "examples" / "quartic.mlev")
NEURAL = worker_modules(REGIMES["supervised"])


def _evolve_parser() -> object:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices["evolve"]  # type: ignore[index]


def test_switches_are_the_commands_own() -> None:
    """The options the guess skips as taking no value are exactly ``evolve``'s."""
    parser = _evolve_parser()
    switches = {s for a in parser._actions if a.nargs == 0 for s in a.option_strings}  # type: ignore[attr-defined]
    assert switches == EVOLVE_SWITCHES


def test_kind_preloads_are_the_regimes() -> None:
    """Every kind of every regime has the preload its regime's workers get (``worker_modules``)."""
    kinds = {kind: regime for regime in REGIMES.values() for kind in regime.kinds}
    assert set(KIND_PRELOADS) == set(kinds)
    for kind, regime in kinds.items():
        assert KIND_PRELOADS[kind] == worker_modules(regime), kind


@pytest.mark.parametrize(("argv", "expected"), [
    (["evolve", MLP, "--workers", "2"], NEURAL),
    (["evolve", MLP], NEURAL),  # one worker: a network's candidates still run in a pool of one
    (["evolve", "--workers=0", "--quiet", MLP, "--evolve", "act"], NEURAL),
    (["evolve", "--db", QUARTIC, MLP, "--workers", "2"], NEURAL),  # --db's value is not the program
    (["evolve", QUARTIC, "--workers", "2"], worker_modules(REGIMES["formula"])),
    (["evolve", QUARTIC], None),  # one worker, a formula: scored in process
    (["evolve", MLP, "--workers", "2", "--dask", "local:2"], None),
    (["evolve", MLP, "--workers", "two"], None),
    (["evolve", MLP, "--workers", "-1"], None),
    (["evolve", MLP, "--help"], None),
    (["evolve", MLP, "extra.mlev"], None),
    (["evolve", MLP, "--workers"], None),
    (["evolve", "missing.mlev", "--workers", "2"], None),
    (["run", MLP, "--workers", "2"], None),
    ([], None),
])
def test_early_preload(argv: list[str], expected: tuple[str, ...] | None) -> None:
    assert early_preload(argv) == expected


def test_early_preload_reads_the_first_definition(tmp_path: Path) -> None:
    """The kind of the file's first definition decides, comments aside; a file with none starts nothing."""
    program = tmp_path / "p.mlev"
    program.write_text("# formula f(x: Scalar) -> Scalar = x\nalgorithm a\ntask xor\n\nmodel net() -> Layer =\n"
                       "  seq(dense(8))\nformula f(x: Scalar) -> Scalar =\n  x\n")
    assert early_preload(["evolve", str(program), "--workers", "2"]) == NEURAL
    program.write_text("just some text\n")
    assert early_preload(["evolve", str(program), "--workers", "2"]) is None


def test_early_preload_reads_no_pipe(tmp_path: Path) -> None:
    """A program given as a pipe (``/dev/stdin``, ``<(...)``) or a FIFO is the run's to read, once: the guess
    reads none (it took the text, and the run then read an empty file), and a FIFO no one writes yet does not
    hold it up."""
    fifo = tmp_path / "p.mlev"
    os.mkfifo(fifo)
    assert early_preload(["evolve", str(fifo), "--workers", "2"]) is None  # returns at once: no writer
    read, write = os.pipe()
    try:
        os.write(write, Path(MLP).read_bytes())
        assert early_preload(["evolve", f"/dev/fd/{read}", "--workers", "2"]) is None
        assert os.read(read, 9) == Path(MLP).read_bytes()[:9]  # nothing taken from the pipe
    finally:
        os.close(read)
        os.close(write)


@pytest.mark.e2e
def test_program_from_stdin(tmp_path: Path) -> None:
    """``cat p.mlev | mlevolve evolve /dev/stdin`` runs the program piped in (it said: empty file)."""
    done = run_child([sys.executable, "-m", "mlevolve", "evolve", "/dev/stdin", "--budget", "2", "--db",
                      str(tmp_path / "r.db"), "--quiet"], input=Path(QUARTIC).read_text(), cwd=tmp_path,
                     env=environment(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "2 candidates" in done.stdout


_VALUES = st.sampled_from(["--budget", "--db", "--task", "--seed", "--evolve", "--workers", "--json-log", "--timeout"])


_SWITCHES = st.sampled_from(sorted(EVOLVE_SWITCHES - {"-h", "--help", "--quiet"}))  # --quiet: not with --json


@settings(deadline=None)  # the first example builds the command's parser
@given(st.lists(st.one_of(st.tuples(_VALUES, st.sampled_from(["2", "1", "3"])), st.tuples(_SWITCHES)), max_size=6,
                unique_by=lambda option: option[0].removeprefix("--no-").removeprefix("--")),
       st.integers(0, 6), st.booleans())
def test_options_read_as_the_parser_reads_them(options: list[tuple[str, ...]], at: int, joined: bool) -> None:
    """Options in any order, values given apart or after ``=``, the file anywhere: the file and the values the guess
    reads are the ones the command's own parser reads."""
    words: list[str] = []
    for option in options[:at]:
        words += ["=".join(option)] if joined and len(option) == 2 else list(option)
    words.append("prog.mlev")
    for option in options[at:]:
        words += ["=".join(option)] if joined and len(option) == 2 else list(option)
    read = _evolve_options(["evolve", *words])
    assert read is not None
    parsed, extra = _evolve_parser().parse_known_args(words)  # type: ignore[attr-defined]
    assert not extra
    assert read["file"] == parsed.file
    workers = [o[1] for o in options if o[0] == "--workers"]
    assert read.get("--workers") == (workers[-1] if workers else None)


# Runs `mlevolve ARGV` as the console script does, saying on stderr whether the fork server started early and its id.
_SPY = """
import sys
from mlevolve.gp import serverstart
real = serverstart.start_early
def spy(argv):
    started = real(argv)
    from multiprocessing import forkserver
    print("early", started, forkserver._forkserver._forkserver_pid, "mlevolve.cli" in sys.modules, file=sys.stderr,
          flush=True)
    return started
serverstart.start_early = spy
sys.argv = ["mlevolve", *sys.argv[1:]]
from mlevolve.__main__ import main
main()
"""


def _session(sid: int) -> list[int]:
    """The processes of session ``sid`` still running (zombies aside)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append(int(stat.parent.name))
    return found


def _none_left(sid: int, wait: float = 10.0) -> list[int]:
    deadline = time.monotonic() + wait
    while _session(sid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _session(sid)


def _run(argv: list[str], cwd: Path) -> tuple[int, str, int]:
    """(exit status, stderr, session id) of ``mlevolve ARGV`` run in a session of its own."""
    child = spawn([sys.executable, "-c", _SPY, *argv], cwd=cwd, env=environment(), stderr=subprocess.PIPE,
                  text=True, start_new_session=True)
    _, err = child.communicate(timeout=300)
    return child.returncode, err, child.pid


@pytest.mark.e2e
@pytest.mark.parametrize(("argv", "started"), [
    (["evolve", MLP, "--workers", "2", "--budget", "0"], True),
    (["evolve", MLP, "--budget", "0"], True),
    (["evolve", QUARTIC, "--budget", "0"], False),
    (["evolve", MLP, "--workers", "2", "--dask", "local:2", "--budget", "0"], False),
])
def test_failed_run_after_early_start(tmp_path: Path, argv: list[str], started: bool) -> None:
    """A run refused after the server started early ends as it did without it (the same one-line error, exit status
    2) and leaves no process behind; the early start happens only where the run would score in a pool."""
    status, err, sid = _run(argv, tmp_path)
    assert err.startswith(f"early {started}")
    assert err.split("\n", 1)[0].endswith("False")  # before the command line's modules: its imports overlap
    assert status == 2
    plain = run_child([sys.executable, "-c", "import sys; from mlevolve.cli import main; sys.exit(main(sys.argv[1:]))",
                       *argv], cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=300)
    assert (plain.returncode, plain.stderr) == (status, err.split("\n", 1)[1])
    assert len(plain.stderr.strip().splitlines()) == 2  # the error and its hint
    assert _none_left(sid) == []


@pytest.mark.e2e
def test_program_mistake_after_early_start(tmp_path: Path) -> None:
    """A program the check refuses, after its first line started the server: the file's error, no process left."""
    bad = tmp_path / "bad.mlev"
    bad.write_text("algorithm bad\ntask digits\nactivation act(x: Tensor) -> Tensor =\n  relu(y)\n")
    status, err, sid = _run(["evolve", str(bad), "--workers", "2"], tmp_path)
    assert err.startswith("early True")
    assert status == 2 and "bad.mlev:4:" in err and "Traceback" not in err
    assert _none_left(sid) == []


@pytest.mark.e2e
def test_ctrl_c_while_the_early_server_imports(tmp_path: Path) -> None:
    """Ctrl-C to the whole group (as a terminal sends it) while the early server imports PyTorch: the command
    ends as a stop before the run began (one line, status 130), and no process is left."""
    child = spawn([sys.executable, "-c", _SPY, "evolve", MLP, "--workers", "2", "--budget", "5", "--db",
                   str(tmp_path / "r.db")], cwd=tmp_path, env=environment(), stderr=subprocess.PIPE, text=True,
                  start_new_session=True)
    assert child.stderr is not None
    assert child.stderr.readline().startswith("early True")
    time.sleep(0.3)
    os.killpg(child.pid, signal.SIGINT)
    err = child.stderr.read()
    assert child.wait(timeout=120) == 130
    assert "interrupted" in err and "Traceback" not in err
    assert _none_left(child.pid) == []


# In a child: a server started early with one preload, then the run's own start with another or none.
_REPLACE = """
import os, sys
from multiprocessing import forkserver
from mlevolve.gp import serverstart
assert serverstart.start_early(["evolve", sys.argv[1], "--workers", "2"])
first = forkserver._forkserver._forkserver_pid
if sys.argv[2] == "discard":
    serverstart.discard()
    assert forkserver._forkserver._forkserver_pid is None
else:
    serverstart.start_server(serverstart.context(sys.argv[2:]))
    assert not serverstart.provisional()
    second = forkserver._forkserver._forkserver_pid
    assert (second == first) == (sys.argv[2:] == list(serverstart.KIND_PRELOADS["activation"])), (first, second)
    serverstart.start_server(serverstart.context(["json"]))  # claimed: a later pool's preload changes nothing
    assert forkserver._forkserver._forkserver_pid == second
try:
    os.kill(first, 0)
    alive = open(f"/proc/{first}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
except OSError:
    alive = False
print("first alive", alive)
"""


@pytest.mark.e2e
@pytest.mark.parametrize(("then", "alive"), [
    (["discard"], False),
    (["json"], False),  # another preload: replaced
    (list(KIND_PRELOADS["activation"]), True),  # the guess was right: claimed, the same server
])
def test_provisional_server_claimed_or_replaced(then: list[str], alive: bool) -> None:
    done = run_child([sys.executable, "-c", _REPLACE, MLP, *then], env=environment(), capture_output=True,
                     text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["first", "alive", str(alive)]


def _asleep(ready: object, deaf: bool) -> None:
    """A child for :func:`test_end_processes_waits_a_bounded_time_then_kills`: it dies with its parent (the test),
    ignores SIGTERM where ``deaf``, says it is ready, and sleeps."""
    from mlevolve.gp.serverguard import die_with_parent

    die_with_parent()
    if deaf:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ready.set()  # type: ignore[attr-defined]
    time.sleep(600)


def test_end_processes_waits_a_bounded_time_then_kills() -> None:
    """``end_processes``: SIGTERM each, a bounded wait shared by all, then SIGKILL for the one that ignored SIGTERM;
    both reaped (meta's Ctrl-C joined such a worker for 5 s and left it running)."""
    import multiprocessing

    from mlevolve.gp.serverstart import end_processes

    forking = multiprocessing.get_context("fork")
    ready = [forking.Event(), forking.Event()]
    children = [forking.Process(target=_asleep, args=(ready[i], deaf), daemon=True)
                for i, deaf in enumerate((True, False))]
    for child in children:
        child.start()
    try:
        assert all(event.wait(60) for event in ready)
        began = time.monotonic()
        end_processes(children, wait=0.5)
        took = time.monotonic() - began
    finally:
        for child in children:
            child.kill()
    assert [child.exitcode for child in children] == [-signal.SIGKILL, -signal.SIGTERM]
    assert 0.5 <= took < 5.0 and not multiprocessing.active_children()


_REAPED = """
import os, sys
from multiprocessing import forkserver, resource_tracker
from mlevolve.gp.backends import ProcessPool
from mlevolve.gp.serverstart import reap_children
from tests.gp.test_parallel import SlowFactory
if __name__ == "__main__":
    pool = ProcessPool(SlowFactory(0.0), workers=2)
    pool.wait_ready()
    helpers = [forkserver._forkserver._forkserver_pid, resource_tracker._resource_tracker._pid]
    assert all(helpers), helpers
    pool.close()
    reap_children()
    try:
        print("child left", os.waitpid(-1, os.WNOHANG))
    except ChildProcessError:
        print("no child")
    pool = ProcessPool(SlowFactory(0.0), workers=1)  # a later pool starts a fork server again
    pool.wait_ready()
    pool.close()
    reap_children()
"""


@pytest.mark.e2e
def test_reap_children_leaves_the_process_no_child() -> None:
    """After a pool has closed, ``reap_children`` (the command line's last step) leaves the process no child at all:
    the fork server and the resource tracker are reaped, not left to die after it; a later pool works."""
    done = run_child([sys.executable, "-c", _REAPED], cwd=ROOT, env=environment(), capture_output=True, text=True,
                     timeout=300)
    assert (done.returncode, done.stdout) == (0, "no child\n"), done.stderr


def test_early_preload_starts_nothing_for_a_resume_whose_db_holds_its_budget(tmp_path: Path) -> None:
    """A resume with nothing to score started a fork server from the command line's guess: where ``--db`` holds
    ``--budget`` candidates or more, none starts (a --db that is no archive, or holds fewer: the guess stands)."""
    import sqlite3

    db = tmp_path / "r.db"
    argv = ["evolve", MLP, "--workers", "2", "--db", str(db), "--budget"]
    assert early_preload([*argv, "3"]) == NEURAL  # no archive yet
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE candidates (seq INTEGER)")
        conn.executemany("INSERT INTO candidates VALUES (?)", [(i,) for i in range(3)])
    conn.close()
    assert early_preload([*argv, "3"]) is None
    assert early_preload([*argv[:-1], "--budget=2"]) is None
    assert early_preload([*argv, "4"]) == NEURAL
    assert early_preload(argv[:-1]) == NEURAL  # the default budget: the run decides
    db.write_text("not an archive")
    assert early_preload([*argv, "1"]) == NEURAL
