"""A test's child process dies with the test process (:func:`tests.conftest.spawn`, :func:`tests.conftest.run_child`,
:func:`tests.conftest.with_parent`): kill-and-resume tests start ``mlevolve evolve --budget 1000000`` children, which
kept running after a pytest killed by SIGKILL mid-test (one held 3.7 GB); a timeout bounds a ``subprocess.run`` child,
but not to less than its own run (a benchmark's ten minutes)."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, environment, spawn

# Starts one child by each of the tests' helpers and one by plain Popen, prints their ids (the one it runs to its end
# prints its own), then waits to be killed.
PARENT = f"""
import subprocess, sys, time
sys.path.insert(0, {str(ROOT)!r})
from tests.conftest import run_child, spawn
sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
guarded, plain = spawn(sleeper), subprocess.Popen(sleeper)
print(guarded.pid, plain.pid, flush=True)
run_child([sys.executable, "-c", "import os, time; print(os.getpid(), flush=True); time.sleep(600)"], timeout=600)
"""


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, ended and not yet reaped by its new parent, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_child_started_by_the_helpers_dies_when_its_parent_is_killed() -> None:
    """The parent (as pytest would be) is killed by SIGKILL: its children started by ``spawn`` and by ``run_child``
    (while it waits on that one, within its timeout) end; one started by plain ``Popen`` goes on running (what the
    helpers are for), and is ended here."""
    parent = spawn([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, env=environment())
    assert parent.stdout is not None
    guarded, plain = (int(pid) for pid in parent.stdout.readline().split())
    ran = int(parent.stdout.readline())
    try:
        assert _alive(guarded) and _alive(ran) and _alive(plain)
        parent.kill()
        parent.wait(30)
        deadline = time.monotonic() + 30
        while (_alive(guarded) or _alive(ran)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(guarded) and not _alive(ran)
        assert _alive(plain)
    finally:
        for pid in (guarded, ran, plain):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_every_tests_child_is_started_by_a_helper_that_ends_it_with_pytest() -> None:
    """No test module calls ``subprocess.run`` or ``subprocess.Popen`` itself: :func:`tests.conftest.run_child` and
    :func:`tests.conftest.spawn` start its children (Python, ``mlevolve``, a benchmark), which then die with a pytest
    killed by SIGKILL; ``conftest.py`` holds the helpers (and ``git status``, which ends on its own)."""
    started = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.name == "conftest.py" or path.resolve() == Path(__file__).resolve():  # (this file's PARENT: Popen)
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):  # calls, not annotations (Popen[str])
            called = node.func if isinstance(node, ast.Call) else None
            if isinstance(called, ast.Attribute) and isinstance(called.value, ast.Name) and \
                    called.value.id == "subprocess" and called.attr in ("run", "Popen", "call", "check_call",
                                                                       "check_output"):
                started.append(f"{path.relative_to(ROOT)}:{node.lineno}: subprocess.{called.attr}")
    assert started == []
