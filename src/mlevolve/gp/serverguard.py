"""The worker pool's fork server dies with the process that started it.

Imported only by the fork server (the pool's preloads begin with it, :func:`~mlevolve.gp.serverstart.context`):
on Linux it asks the kernel to kill the server when its parent, the coordinator, dies, even by
SIGKILL (``PR_SET_PDEATHSIG``).  Each worker asks the same of its own parent, the server, so a
worker busy with a candidate never outlives its coordinator.  (Without this the server would wait
for its workers: each holds the server's "alive" pipe open until it exits.)  Elsewhere nothing is done.
"""

from __future__ import annotations

import contextlib
import signal

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent() -> None:
    """Linux: have the kernel SIGKILL this process when its parent dies."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


die_with_parent()
