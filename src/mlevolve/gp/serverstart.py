"""The worker pool's fork server: where it comes from, and its start as early as the command line can tell.

A run whose candidates are scored in worker processes (:class:`~mlevolve.gp.backends.ProcessPool`) forks them
from a fork server that imports their modules once (PyTorch for a network, 1-2 s).  That import is on the
path of every such run's start, so the sooner the server starts, the more of it overlaps the coordinator's
own start: ``mlevolve evolve`` starts it from its first lines (:func:`start_early`, called by
:mod:`mlevolve.__main__` before the command line's modules are imported, 0.3-0.8 s), on what the command line
alone says (:func:`early_preload`: the command, ``--workers``, ``--dask`` and the first definition's kind in
the program's file), not on the checked program.  Such a server is *provisional* until the run has decided
(``api.search._prestart_workers``): where the run needs no pool it is killed (:func:`discard`), where it needs
another preload it is killed and a new one started (:func:`start_server`), and one no pool used is killed as
the command exits; a wrong guess costs the import it began, nothing else.

Its end: the command line reaps its children before it returns (:func:`reap_children`, the last step of
:mod:`mlevolve.__main__`): workers a pool or an executor left, the fork server and multiprocessing's resource
tracker, each given a bounded wait and then killed.  Left to die with the command (``PR_SET_PDEATHSIG``, or the
tracker's pipe closing), they outlived it by up to a second (qa70: after Ctrl-C of ``evolve --workers 2``), racing
the user's next command for the CPU.

Standard library only (the module is imported before anything else of the command line), with the signal
handling of processes started deaf to Ctrl-C (:func:`children_deaf_to_sigint`), which the pool shares.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import re
import signal
import stat
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

SERVER_MODULES = ("mlevolve.gp.serverguard", "mlevolve.gp.backends")
"""What the fork server imports before a run's own preload: its death with the coordinator, the worker's loop."""

_LIGHT = ("mlevolve.interpreter.evaluator",)
_NEURAL = ("torch", "mlevolve.interpreter.runtime", *_LIGHT)
_OBJECTIVE = ("torch", "torch._dynamo", "mlevolve.interpreter.runtime", *_LIGHT)
KIND_PRELOADS: Mapping[str, tuple[str, ...]] = {
    **dict.fromkeys(("activation", "loss", "model", "optimizer", "augment", "schedule"), _NEURAL),
    **dict.fromkeys(("pg_loss", "td_loss", "vae_loss", "flow_loss"), _OBJECTIVE),
    "learner": _LIGHT, "formula": _LIGHT}
"""A program's first definition's kind -> what its run's fork server preloads: ``gp.backends.worker_modules`` of
the kind's regime (a test holds them equal; this table imports nothing, that function imports the regimes)."""

EVOLVE_SWITCHES = frozenset({"--bandit", "--no-bandit", "--fit", "--no-fit", "--hurdle", "--no-hurdle", "--prune",
                             "--no-prune", "--json", "--quiet", "--help", "-h"})
"""``mlevolve evolve``'s options that take no value (a test holds them equal to the command's parser)."""

_DEFINITION = re.compile(r"\s*([a-z_]+)\s+[A-Za-z_]")
_READ_AT_MOST = 1 << 20  # bytes of the program's file read to find its first definition

_early: list[tuple[str, ...]] = []  # the full preload of a server started early that no run has claimed yet


def early_preload(argv: Sequence[str]) -> tuple[str, ...] | None:
    """What the fork server of the command ``mlevolve ARGV`` will preload, from ``argv`` alone (without the
    command line's parser or the program's parser), or None where it starts none or ``argv`` cannot tell: not
    ``evolve``; ``--dask``; a malformed or help command line; a program file that cannot be read or whose first
    definition's kind is not known; one worker (``--workers 1``, the default) for a formula or learner, whose
    candidates are then scored in process.  A guess: the run decides again on the checked program."""
    options = _evolve_options(argv)
    if options is None or "--dask" in options or "file" not in options:
        return None
    try:
        workers = int(options.get("--workers", "1"))
    except ValueError:
        return None
    kind = _first_kind(options["file"])
    if kind is None or workers < 0 or (workers == 1 and KIND_PRELOADS[kind] == _LIGHT):
        return None
    with contextlib.suppress(ValueError):  # a resume whose --db holds its --budget scores nothing: no workers
        if "--db" in options and "--budget" in options and held(options["--db"]) >= int(options["--budget"]):
            return None
    return KIND_PRELOADS[kind]


def held(db: str | Path) -> int:
    """How many candidates the archive ``db`` holds, read without a lock (SQLite read-only); 0 where it is no file or
    no archive (the run says why).  A run whose archive holds its budget already starts no workers: nothing is
    scored (``api.search.evolve``, :func:`early_preload`)."""
    import sqlite3

    path = Path(db)
    if not path.is_file():
        return 0
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return 0
    try:
        return int(conn.execute("SELECT COUNT(*) FROM candidates").fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def _evolve_options(argv: Sequence[str]) -> dict[str, str] | None:
    """An ``evolve`` command line's options with their values (the last given) and its ``file``, or None for
    another command, ``--help``, ``--`` or a shape the command's parser would refuse (it says why, later)."""
    words = list(argv)
    if not words or words[0] != "evolve":
        return None
    options: dict[str, str] = {}
    index = 1
    while index < len(words):
        word = words[index]
        if word == "--" or word in ("-h", "--help"):
            return None
        if word.startswith("-") and word != "-":
            name, equals, value = word.partition("=")
            if name in EVOLVE_SWITCHES:
                index += 1
                continue
            if not equals:
                if index + 1 >= len(words):
                    return None
                index += 1
                value = words[index]
            options[name] = value
        elif "file" in options:
            return None
        else:
            options["file"] = word
        index += 1
    return options


def _first_kind(file: str) -> str | None:
    """The kind of the first definition in the program file ``file`` (a line that begins with a known kind and a
    name, comments aside), or None where the file cannot be read or holds none, or is no regular file: a pipe, a
    terminal or ``/dev/stdin`` (``cat p.mlev | mlevolve evolve /dev/stdin``, ``<(...)``) is read once, by the run,
    and a read here would take its text from it (or wait on a terminal)."""
    try:
        with open(file, "rb", buffering=0, opener=_open_nonblocking) as raw:
            if not stat.S_ISREG(os.fstat(raw.fileno()).st_mode):
                return None
            text = raw.read(_READ_AT_MOST).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return None
    for line in text.splitlines():
        found = _DEFINITION.match(line.split("#", 1)[0])
        if found and found[1] in KIND_PRELOADS:
            return found[1]
    return None


def _open_nonblocking(path: str, flags: int) -> int:
    """``os.open`` that does not wait: opening a FIFO for reading waits for a writer, which the run may not have
    started yet (the guess must not hold the command up, nor take what the FIFO holds)."""
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def context(preload: Sequence[str]) -> Any:
    """Where workers come from: a fork server (POSIX) that imports :data:`SERVER_MODULES` and ``preload`` (say
    ``torch``) once and forks each worker from itself, so N workers cost one import of each, not N; else fresh
    interpreters (``spawn``).  The fork server starts with the first pool of the process and keeps its imports (a
    later pool's ``preload`` cannot add to them; one started early and unclaimed is replaced: :func:`start_server`);
    it dies with this process (:mod:`mlevolve.gp.serverguard`)."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    forking = mp.get_context("forkserver")
    forking.set_forkserver_preload([*SERVER_MODULES, *preload])
    return forking


def start_server(forking: Any, early: bool = False) -> None:
    """Start the fork server of ``forking`` (:func:`context`) where it has one not yet running, with SIGINT
    blocked (:func:`children_deaf_to_sigint`): it keeps that through exec, and its workers from it, so the Ctrl-C a
    terminal sends to the whole process group (while it imports PyTorch, or a worker boots) is this process's to
    report, not theirs.  A server started ``early`` (:func:`start_early`) stays provisional until this is called
    without ``early``: then one started with another preload is killed (:func:`discard`) and a new one started."""
    if forking.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    server: Any = forkserver._forkserver
    wanted = tuple(server._preload_modules)
    if _early and _early[0] != wanted:
        discard()
    _early.clear()
    if early:
        _early.append(wanted)
    with children_deaf_to_sigint():  # a moment: the server imports in the background
        forkserver.ensure_running()


def start_early(argv: Sequence[str]) -> bool:
    """Start the fork server that the command ``mlevolve ARGV`` will need (:func:`early_preload`), provisionally;
    whether one was started.  Nothing where ``argv`` says none or cannot tell, or where workers are spawned."""
    preload = early_preload(argv)
    if preload is None or "forkserver" not in mp.get_all_start_methods():
        return False
    start_server(context(preload), early=True)
    return True


def discard() -> None:
    """Kill the fork server started early (:func:`start_early`) that no run has claimed, reaped and its socket
    removed: the run needs none or another one, or the command ends.  Nothing where there is none."""
    if not _early:
        return
    _early.clear()
    _kill_server()  # it has forked nothing: no worker dies with it


def _kill_server() -> None:
    """Kill this process's fork server (SIGKILL: it holds nothing to save), reaped and its socket removed; a worker
    it still has dies with it (``PR_SET_PDEATHSIG``).  Nothing where none runs."""
    from multiprocessing import forkserver

    server: Any = forkserver._forkserver  # its pid, socket and stop are private to multiprocessing
    if server._forkserver_pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(server._forkserver_pid, signal.SIGKILL)
    with contextlib.suppress(OSError, ChildProcessError):
        server._stop()  # closes its "alive" pipe and reaps it (killed: at once)
    with contextlib.suppress(OSError):  # _stop leaves the socket where it failed before unlinking it
        if server._forkserver_address and Path(server._forkserver_address).exists():
            os.unlink(server._forkserver_address)
    server._forkserver_pid = server._forkserver_address = server._forkserver_alive_fd = None


def end_processes(processes: Sequence[Any], wait: float = 5.0) -> None:
    """End ``processes`` (:class:`multiprocessing.Process`), each terminated (SIGTERM), joined within ``wait``
    seconds in all and killed (SIGKILL) where it has not exited by then, then joined: none is left running or
    unreaped (a fork server's worker is reaped by its server, which the join waits for)."""
    for process in processes:
        with contextlib.suppress(OSError, ValueError):  # exited meanwhile, or closed
            process.terminate()
    deadline = time.monotonic() + wait
    for process in processes:
        with contextlib.suppress(ValueError):
            process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        with contextlib.suppress(ValueError):
            if process.is_alive():
                process.kill()
                process.join()


def reap_children(wait: float = 5.0) -> None:
    """Before this process returns (the command line's exit): end the worker processes it still has (a pool or an
    executor closes its own; these are what a stop left, :func:`end_processes`), kill its fork server
    (:func:`_kill_server`, a provisional one too), then stop multiprocessing's resource tracker: its pipe closed, it
    exits (it does at once, no other process holding the pipe now), waited for ``wait`` seconds and killed after."""
    end_processes(mp.active_children(), wait)
    _early.clear()
    _kill_server()
    from multiprocessing import resource_tracker

    tracker: Any = resource_tracker._resource_tracker  # its pipe and pid are private to multiprocessing
    if tracker._pid is None:
        return
    with contextlib.suppress(OSError):
        os.close(tracker._fd)
    pid, tracker._fd, tracker._pid = tracker._pid, None, None
    _reap(pid, wait)


def _reap(pid: int, wait: float) -> None:
    """Reap child ``pid``, waiting for it to exit for up to ``wait`` seconds, then killing it (SIGKILL)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:  # not ours, or reaped already
            return
        if time.monotonic() >= deadline:
            break
        time.sleep(0.002)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def provisional() -> bool:
    """Whether a fork server started early (:func:`start_early`) runs unclaimed."""
    return bool(_early)


@contextlib.contextmanager
def signal_handler(signum: int, handler: Any) -> Iterator[None]:
    """``handler`` for signal ``signum`` for the duration of the block, the previous one after (main
    thread only; elsewhere, nothing changes)."""
    try:
        previous = signal.signal(signum, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signum, previous)


@contextlib.contextmanager
def children_deaf_to_sigint() -> Iterator[None]:
    """Start processes in the block deaf to Ctrl-C: SIGINT is blocked in this thread meanwhile, and a
    process started in the block inherits that mask through fork and exec (:func:`sigint_blocked`), so
    the Ctrl-C a terminal sends to the whole group, even while the child boots, is never the child's
    (each of ours ignores SIGINT once it runs).  This process's own Ctrl-C is not lost: one that arrives
    meanwhile is held to the block's end and acts then (:func:`sigint_held`).  (Ignoring SIGINT here,
    SIG_IGN, which a child would inherit too, would drop a Ctrl-C that arrives meanwhile.)"""
    with sigint_held(), sigint_blocked():
        yield


@contextlib.contextmanager
def sigint_held() -> Iterator[None]:
    """Hold Ctrl-C back for the duration of the block: a SIGINT that arrives meanwhile is recorded and
    raised again when the block ends, so that it acts then as it would have (a KeyboardInterrupt after
    the block), neither lost nor in the middle of it."""
    caught: list[int] = []
    with signal_handler(signal.SIGINT, lambda signum, frame: caught.append(signum)):
        yield
    if caught:
        signal.raise_signal(signal.SIGINT)


@contextlib.contextmanager
def sigint_blocked() -> Iterator[None]:
    """Block SIGINT in this thread for the duration of the block: the threads it starts meanwhile begin
    with it blocked, and so do the processes they start (a signal mask survives fork and exec).  This
    process still gets Ctrl-C: in a thread that does not block it, or in this one when the block ends
    (one pending meanwhile is delivered then).  POSIX only; elsewhere nothing changes."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    from multiprocessing import resource_tracker

    # Started now if not running: starting it unblocks SIGINT in the thread that does (its own start).
    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
