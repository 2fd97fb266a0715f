"""A test's child process dies with the test process (:func:`tests.conftest.spawn`, :func:`tests.conftest.with_parent`):
kill-and-resume tests start ``mlevolve evolve --budget 1000000`` children, which kept running after a pytest killed
by SIGKILL mid-test (one held 3.7 GB)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, environment, spawn

# Starts one child by the tests' helper and one by plain Popen, prints their ids, then waits to be killed.
PARENT = f"""
import subprocess, sys, time
sys.path.insert(0, {str(ROOT)!r})
from tests.conftest import spawn
sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
guarded, plain = spawn(sleeper), subprocess.Popen(sleeper)
print(guarded.pid, plain.pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, ended and not yet reaped by its new parent, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_child_started_by_the_helper_dies_when_its_parent_is_killed() -> None:
    """The parent (as pytest would be) is killed by SIGKILL: its child started by ``spawn`` ends; one started by
    plain ``Popen`` goes on running (what the helper is for), and is ended here."""
    parent = spawn([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, env=environment())
    assert parent.stdout is not None
    guarded, plain = (int(pid) for pid in parent.stdout.readline().split())
    try:
        assert _alive(guarded) and _alive(plain)
        parent.kill()
        parent.wait(30)
        deadline = time.monotonic() + 30
        while _alive(guarded) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(guarded)
        assert _alive(plain)
    finally:
        for pid in (guarded, plain):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
