"""A command that returns has reaped its child processes: none is left running, dying or unreaped.

``mlevolve evolve --workers 2`` scores in workers forked by a fork server, beside multiprocessing's resource tracker.
The pool stopped its workers, but the server and the tracker were left to die with the command (the kernel's
``PR_SET_PDEATHSIG``, the tracker's pipe closing), after it: qa70 saw them with ``ps`` about a second after Ctrl-C
had ended the command, where the user's next command races them for the CPU.  Each run here has a session of its
own (``start_new_session``), which every process it starts shares, and the moment it has exited the session must
hold none, zombies included (a zombie left to init is one the command did not reap), on every way a run ends:
Ctrl-C while it runs and while its workers start, the time limit, the budget and a refused setting; and Ctrl-C of
the other pools' runs (``meta --workers 2``, ``evolve --dask local:2``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, archive_count, environment, sigint_default, spawn, wait_until

QUARTIC = EXAMPLES / "quartic.mlev"


def session(sid: int) -> list[tuple[int, str, int, bytes]]:
    """The processes of session ``sid``, zombies included: (pid, state letter, parent's pid, command line)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:  # ended meanwhile
            continue
        if int(fields[3]) == sid:
            found.append((int(pid), fields[0], int(fields[1]), command))
    return found


def _workers_run(pid: int, db: Path) -> bool:
    """Whether run ``pid`` scores in its two workers: both forked by its fork server, and a candidate archived."""
    now = session(pid)
    servers = {p for p, _, parent, command in now if parent == pid and b"forkserver" in command}
    return sum(parent in servers for _, _, parent, _ in now) == 2 and archive_count(db) >= 1


def _server_started(pid: int, db: Path) -> bool:
    """Whether run ``pid`` has started its fork server (its workers start from it, once it has imported)."""
    return any(b"forkserver" in command for _, _, _, command in session(pid))


@pytest.mark.e2e
@pytest.mark.parametrize(("end", "extra", "status"), [
    ("ctrl-c while it runs", ("--budget", "200000"), 130),
    ("ctrl-c while its workers start", ("--budget", "200000"), 130),
    ("time limit", ("--budget", "200000", "--max-time", "0.5"), 0),
    ("budget", ("--budget", "40"), 0),
    ("refused setting", ("--budget", "0"), 2),
])
def test_no_child_outlives_the_command(tmp_path: Path, end: str, extra: tuple[str, ...], status: int) -> None:
    db = tmp_path / "w.db"
    proc = spawn([sys.executable, "-m", "mlevolve", "evolve", str(QUARTIC), "--workers", "2", "--db", str(db),
                  "--quiet", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(),
                 start_new_session=True, preexec_fn=sigint_default)
    try:
        if end.startswith("ctrl-c"):
            wait_until(lambda: (_workers_run if end.endswith("runs") else _server_started)(proc.pid, db), proc,
                       limit=120, step=0.01)
            os.killpg(proc.pid, signal.SIGINT)  # as a terminal sends it: to the whole group
        _, err = proc.communicate(timeout=120)
        left = session(proc.pid)
    finally:
        for pid, *_ in session(proc.pid):  # not to leave them to the next test
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    assert proc.returncode == status, err
    assert "Traceback" not in err
    assert left == [], f"{end}: processes of the command left after it exited: {left}"


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize("command", [
    ("meta", str(ROOT / "benchmarks" / "meta" / "smoke.toml"), "--workers", "2", "-o", "{tmp}/g.toml"),
    ("evolve", str(QUARTIC), "--dask", "local:2", "--budget", "200000"),
], ids=["meta --workers 2", "evolve --dask local:2"])
def test_no_child_outlives_a_stopped_meta_or_dask_run(tmp_path: Path, command: tuple[str, ...]) -> None:
    """The same on the other pools: a meta run's executor (spawned workers: one was still running as the command
    returned) and a local Dask cluster (its resource tracker was left), each stopped by Ctrl-C once it has archived
    a row."""
    db = tmp_path / "r.db"
    proc = spawn([sys.executable, "-m", "mlevolve", *[word.format(tmp=tmp_path) for word in command], "--db", str(db),
                  "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(),
                 start_new_session=True, preexec_fn=sigint_default)
    try:
        wait_until(lambda: archive_count(db) >= 1, proc, limit=300, step=0.01)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        left = session(proc.pid)
    finally:
        for pid, *_ in session(proc.pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert left == [], f"processes of the command left after it exited: {left}"
