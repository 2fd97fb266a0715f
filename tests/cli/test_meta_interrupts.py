"""Ctrl-C during a parallel meta run: one message with the command that resumes it, no worker tracebacks.

Moved from the QA rounds' files (tests/cli/test_qa_round*.py), named for the behaviour they test."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve import api
from tests.conftest import ROOT, archive_count, maps, runs, sigint_default, spawn, wait_for_candidates, wait_until

SMOKE = ROOT / "benchmarks" / "meta" / "smoke.toml"


@pytest.mark.e2e
@pytest.mark.slow
def test_ctrl_c_during_a_parallel_meta_run_says_how_to_resume_without_worker_tracebacks(tmp_path: Path) -> None:
    """Ctrl-C goes to the whole process group: the meta run's pool workers ignore it (they printed a
    KeyboardInterrupt traceback each), and the command says it was interrupted and how to resume, with status
    130; the same command resumes it."""
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import environment

    db = tmp_path / "m.db"
    proc = spawn([sys.executable, "-m", "mlevolve", "meta", str(SMOKE), "--workers", "2", "--db", str(db),
                             "-o", str(tmp_path / "g.toml"), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                 text=True, env=environment(), start_new_session=True, preexec_fn=sigint_default)
    assert wait_for_candidates(proc, db, 1)  # until the workers run inner runs
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert (proc.returncode, out) == (130, "")
    saved = int(err.split("; ", 1)[1].split()[0])  # the inner runs finished when the signal came: at least one
    assert saved >= 1 and err == (
        f"mlevolve meta: interrupted; {saved} finished inner run{'' if saved == 1 else 's'} "
        f"{'is' if saved == 1 else 'are'} saved in {db}\nresume with the same "
        f"command: mlevolve meta {SMOKE} --workers 2 --db {db} -o {tmp_path / 'g.toml'} --quiet\n")
    resumed = api.meta(SMOKE, db, tmp_path / "g.toml", quiet=True)  # the same run, resumed: it goes on
    assert resumed["inner_runs_replayed"] > 0 and resumed["generations"] == 3



def _workers(leader: int) -> set[int]:
    """The processes of the session that process ``leader`` leads (``start_new_session``), less the leader and
    multiprocessing's resource tracker: a parallel run's workers."""
    import os

    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[3]) == leader and int(pid) != leader and b"resource_tracker" not in cmd:
            found.add(int(pid))
    return found


@pytest.mark.e2e
@pytest.mark.slow
def test_ctrl_c_ends_a_parallel_meta_run_without_waiting_for_its_inner_runs(tmp_path: Path) -> None:
    """The pool's workers ignore Ctrl-C, so the stop waited for the inner runs they held (and the interpreter's exit
    for the workers): with inner runs of a minute and more, the command ran on that long after the signal.  It ends
    them now (every finished inner run is a row; a resume reruns the rest)."""
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import environment

    config = tmp_path / "long.toml"  # the smoke run, its inner runs each a minute or more
    config.write_text(SMOKE.read_text().replace("../../examples", (ROOT / "examples").as_posix())
                      .replace("budget = 80", "budget = 100000"))
    db = tmp_path / "m.db"
    proc = spawn([sys.executable, "-m", "mlevolve", "meta", str(config), "--workers", "2", "--db", str(db),
                             "-o", str(tmp_path / "g.toml"), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                 text=True, env=environment(MLEVOLVE_NO_JIT="0"), start_new_session=True,
                 preexec_fn=sigint_default)
    # the two workers started and took their inner runs: each scores the run's formulas with numba's kernels,
    # which no worker loads before (a worker's start imports neither numba nor its llvmlite)
    try:
        wait_until(lambda: len([pid for pid in _workers(proc.pid) if runs(pid, "--multiprocessing-fork")
                                and maps(pid, "llvmlite")]) == 2, proc, limit=300, step=0.1)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        os.killpg(proc.pid, signal.SIGKILL) if proc.poll() is None else None
    assert (proc.returncode, out) == (130, ""), err
    # what the stop says: an inner run can end well before its budget, and be saved before the signal (seen once)
    saved = archive_count(db)
    assert err.startswith("mlevolve meta: interrupted before any finished inner run was saved" if saved == 0 else
                          f"mlevolve meta: interrupted; {saved} finished inner run{'' if saved == 1 else 's'} "
                          f"{'is' if saved == 1 else 'are'} saved in {db}\n"), err


@pytest.mark.e2e
@pytest.mark.slow
def test_a_parallel_meta_run_killed_outright_leaves_no_worker_running(tmp_path: Path) -> None:
    """kill -9 of ``meta --workers 2`` left its two spawned workers running, re-parented to init (a new user's
    pass); they die with it now (``backends.orphan_guard``, PR_SET_PDEATHSIG), as an evolve run's workers do."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import environment

    db = tmp_path / "m.db"
    proc = spawn([sys.executable, "-m", "mlevolve", "meta", str(SMOKE), "--workers", "2", "--db", str(db),
                             "-o", str(tmp_path / "g.toml"), "--quiet"], stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL, env=environment(), start_new_session=True)
    assert wait_for_candidates(proc, db, 1)  # the workers run inner runs
    before = _workers(proc.pid)
    assert before, "no worker of the session was found"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 20
    while (alive := {p for p in before if Path(f"/proc/{p}").exists()
                     and Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"}) \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in alive:  # not to leave them to the next test
        os.kill(pid, signal.SIGKILL)
    assert not alive


@pytest.mark.parametrize("where", ["_write_generator", "summary"])
def test_a_stop_after_the_last_inner_run_says_every_run_is_saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str],
                                                                 where: str) -> None:
    """Ctrl-C while the pool shut down or the generator was written, every inner run archived, said 'interrupted
    before the run began: nothing new was saved' (a new user's pass); it says how many are saved, and the same
    command writes the generator."""
    from mlevolve import cli

    def stop(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    if where == "_write_generator":
        monkeypatch.setattr(api.metarun, "_write_generator", stop)
    else:  # after the runs, as the summary is archived (a pool's shutdown comes just before it)
        from mlevolve.gp.archive import Archive

        set_meta = Archive.set_meta

        def then_stop(self: Archive, key: str, value: object) -> None:
            if key == "summary" and "generations" in value:  # type: ignore[operator]
                raise KeyboardInterrupt
            set_meta(self, key, value)

        monkeypatch.setattr(Archive, "set_meta", then_stop)
    db, out = tmp_path / "m.db", tmp_path / "g.toml"
    argv = ["meta", str(SMOKE), "--db", str(db), "-o", str(out), "--quiet"]
    assert cli.main(argv) == 130
    err = capsys.readouterr().err
    assert err.startswith("mlevolve meta: interrupted; 26 finished inner runs are saved in "), err
    assert not out.exists()
    monkeypatch.undo()
    assert cli.main(argv) == 0 and out.exists()
