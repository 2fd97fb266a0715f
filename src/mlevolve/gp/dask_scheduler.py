"""A ``--dask local:N`` cluster whose scheduler runs in its own process, not the coordinator's.

:class:`distributed.LocalCluster` runs its scheduler in the process that made it: for ``--dask local:N`` that is the
coordinator, whose GIL the scheduler's event loop then shares with the engine (variation, hashing, archiving) and
the client's own loop.  :func:`local_cluster` makes the same cluster (one-thread workers under nannies, the
workers' preload, no dashboard, loopback only) with the scheduler in a child process instead
(:class:`SchedulerProcess`, this module run as ``python -m mlevolve.gp.dask_scheduler``): it says its address on
its first line of output, ignores Ctrl-C (the coordinator's to report), logs nothing below CRITICAL, and dies with
the coordinator (``PR_SET_PDEATHSIG`` on Linux, and at once where its parent is already gone); the cluster's close
kills it.

Imported only where a local cluster is made (it imports ``distributed``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import Any

import dask
from distributed import Nanny, Scheduler, SpecCluster
from distributed.deploy.spec import ProcessInterface
from distributed.worker_memory import parse_memory_limit

_LOG = logging.getLogger(__name__)
START_TIMEOUT = 60.0  # seconds the scheduler's process may take to say its address


class SchedulerProcess(ProcessInterface):
    """A Dask scheduler in a child process, as :class:`~distributed.SpecCluster`'s scheduler: started with the
    ``worker-saturation`` ``saturation`` (futures a worker holds at once) and this process's import path (the
    scheduler unpickles the tasks it is given, as the workers do, whose spawn hands them the path too), its
    :attr:`address` read from the child's first line; closing kills it (it holds no state worth a graceful end: the
    cluster's workers are closed by their nannies, in this process)."""

    def __init__(self, saturation: float, timeout: float = START_TIMEOUT) -> None:
        self.saturation = saturation
        self.timeout = timeout
        self.process: asyncio.subprocess.Process | None = None
        super().__init__()

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mlevolve.gp.dask_scheduler",
            str(os.getpid()), str(self.saturation), stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)})  # as the workers'
        assert self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), self.timeout)
        except TimeoutError:
            line = b""
        if not line.strip():
            await self.close()
            raise RuntimeError(f"the Dask scheduler's process did not start within {self.timeout:g} s")
        self.address = line.decode().strip()
        await super().start()

    async def close(self) -> None:
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
        self.process = None
        await super().close()


def local_cluster(workers: int, saturation: float, preload: list[str], silence: int = logging.CRITICAL) -> Any:
    """A cluster of ``workers`` one-thread workers (each under a nanny in this process, its memory limit
    LocalCluster's: the machine's memory over ``workers``), preloading ``preload``, on loopback, no dashboard, their
    logs below ``silence`` dropped, with the scheduler in a child process (:class:`SchedulerProcess`).  Started
    when it returns; ``close()`` ends the workers and kills the scheduler."""
    options = {"nthreads": 1, "host": "127.0.0.1", "dashboard": False, "dashboard_address": None, "preload": preload,
               "silence_logs": silence, "memory_limit": parse_memory_limit("auto", 1, workers, logger=_LOG)}
    worker = {"cls": Nanny, "options": options}
    return SpecCluster(workers=dict.fromkeys(range(workers), worker), worker=worker, silence_logs=silence,
                       scheduler={"cls": SchedulerProcess, "options": {"saturation": saturation}},
                       name="mlevolve")


async def _serve(saturation: float) -> None:
    """Run a scheduler on a free loopback port until it is closed, its address said first on standard output."""
    with dask.config.set({"distributed.scheduler.worker-saturation": saturation}):
        async with Scheduler(host="127.0.0.1", port=0, dashboard=False, dashboard_address="127.0.0.1:0") as scheduler:
            print(scheduler.address, flush=True)
            await scheduler.finished()


def main(argv: list[str]) -> None:
    """The child's entry: ``PARENT_PID SATURATION``.  It dies with its parent (at once where the parent is gone
    already), ignores Ctrl-C and logs nothing below CRITICAL (as the workers: ``dask_backend.dask_setup``)."""
    from mlevolve.gp.serverguard import die_with_parent  # asks for it on import

    die_with_parent()
    if os.getppid() != int(argv[0]):
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    asyncio.run(_serve(float(argv[1])))


if __name__ == "__main__":
    main(sys.argv[1:])
