"""One line on stderr when numba starts compiling mlevolve's kernels, where the caller asked for it (the command
line: :func:`announce`), and the seconds spent compiling them (:func:`compile_seconds`), which a candidate's time
budget does not count.

The kernels (:mod:`~mlevolve.interpreter.kernel`, :mod:`~mlevolve.interpreter.formula_kernel`) are compiled
on their first call in a fresh checkout, which takes seconds (about 15 s for all of them on an idle machine;
300 s with two cores shared five ways), and loaded from numba's on-disk cache afterwards.  :func:`register` (the
kernels' module calls it) adds a numba event listener: numba fires ``numba:compile`` only where it compiles, after
its cache missed (``Dispatcher.compile``), so a cache load says nothing.  The line is said as the process first
compiles one of mlevolve's functions, and again for a later compile that goes on for :data:`SAY_AFTER` seconds
:data:`REPEAT_AFTER` seconds or more after the last line: a run's first kernels compile before its first candidate,
and others (a new specialisation of the learner kernel, a prune's) may compile well into the run, for tens of
seconds that looked like a hang when only the first was said (a cold learner search: 16-44 s, 1 s after the first
compile).  A later line says it is one (:data:`AGAIN`, with the burst's count): the same line twice read as a
duplicate.  This module imports numba only in :func:`register`, so the command line can call :func:`announce`
without loading it.

One run, one voice: the coordinator says the lines, for its own compiles and its workers'.  A pool worker never
prints one; it is given the coordinator's setting explicitly (never inherited through fork) with a ``sink`` that
sends its line to the coordinator (``gp.backends``; a Dask worker's goes as a Dask event, ``gp.dask_backend``), which
says it through :func:`relay`: one line for a burst
of all the run's processes, as for one process.  ``MLEVOLVE_QUIET_COMPILE=1`` (:data:`QUIET_ENV`) keeps the command
line from asking (:func:`wanted`): for logs that must hold only the run's own lines, and the test suite.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

MODULES = ("mlevolve.",)  # whose functions' compiles are announced: the kernels' (another library's say nothing)
NOTE = "mlevolve: compiling numeric kernels (once; cached in {where}): seconds to minutes"
AGAIN = "mlevolve: compiling numeric kernels again (burst {count} of this run; cached in {where}): seconds"
"""The line said for a later burst (:func:`_line`): the first line again word for word read as a repeat of it."""
SAY_AFTER = 2.0  # seconds a later compile goes on before it is said (a short one, a fraction of a second, is not)
REPEAT_AFTER = 10.0  # seconds since the last line before another is said (a burst of kernels: one line)
QUIET_ENV = "MLEVOLVE_QUIET_COMPILE"  # set (not "" or "0"): the command line does not ask for the lines


class _State:
    """The process's compiles: whether to say them, when the last line was said (None: never), how deep the current
    compile is (a kernel's callees compile inside it: counted once), how many outermost compiles have started, when
    the current one started, and the seconds compiled in all; where a line goes (None: this process's stderr; a
    worker's: its coordinator)."""

    announce = False
    sink: Callable[[str], None] | None = None
    registered = False
    said: float | None = None
    lines = 0
    depth = 0
    count = 0
    started = 0.0
    seconds = 0.0


def announce(on: bool = True, sink: Callable[[str], None] | None = None) -> bool:
    """Say (``on``) or not each burst of compiling of mlevolve's kernels, on stderr or to ``sink`` (a worker's: the
    line goes to its coordinator, which says it, :func:`relay`); the previous setting, to put back.  Off by
    default: the library says nothing; the command line turns it on (``mlevolve.cli``, unless :func:`wanted` says
    not), a pool worker to what its coordinator's was (:func:`announcing`)."""
    previous, _State.announce, _State.sink = _State.announce, on, sink
    return previous


def announcing() -> bool:
    """Whether this process says its compiles (:func:`announce`): what a coordinator hands its workers."""
    return _State.announce


def wanted() -> bool:
    """Whether the command line asks for the lines: unless ``MLEVOLVE_QUIET_COMPILE`` is set (to other than ""
    or "0")."""
    return os.environ.get(QUIET_ENV, "").strip() in ("", "0")


def relay(line: str) -> bool:
    """Say a worker's line (its :func:`announce` ``sink`` sent it) in this process, the coordinator, where this
    process says its own and no line (its own or a worker's) was said in the last :data:`REPEAT_AFTER` seconds:
    two workers that start compiling together are one burst, one line.  Whether it was said."""
    now = time.perf_counter()
    if not _State.announce or (_State.said is not None and now - _State.said < REPEAT_AFTER):
        return False
    _State.said = now
    _line(line)
    return True


def _line(line: str) -> None:
    """``line`` where this process's lines go: its sink (as made: its coordinator words it), else stderr (never
    stdout: ``--json``'s), a later :data:`NOTE` reworded as :data:`AGAIN` with the count of lines said."""
    if _State.sink is not None:
        _State.sink(line)
        return
    _State.lines += 1
    head, _, tail = NOTE.partition("{where}")
    if _State.lines > 1 and line.startswith(head) and line.endswith(tail):
        line = AGAIN.format(count=_State.lines, where=line[len(head):len(line) - len(tail)])
    print(line, file=sys.stderr, flush=True)


def note(where: str) -> str:
    """:data:`NOTE` for a cache kept in ``where`` (numba's ``NUMBA_CACHE_DIR``, or the kernels' ``__pycache__``)."""
    return NOTE.format(where=where)


def _say(where: str, count: int) -> None:
    """The line, naming the cache folder ``where``, if outermost compile number ``count`` still runs and no line was
    said in the last :data:`REPEAT_AFTER` seconds (the first line: always)."""
    now = time.perf_counter()
    if _State.depth and _State.count == count and (_State.said is None or now - _State.said >= REPEAT_AFTER):
        _State.said = now
        _line(note(where))


def _start(ev: Any) -> None:
    if _State.depth == 0:
        _State.started = time.perf_counter()
        _State.count += 1
    _State.depth += 1
    dispatcher = (ev.data or {}).get("dispatcher")
    module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
    if not _State.announce or _State.depth > 1 or not module.startswith(MODULES):
        return
    where = str(getattr(getattr(dispatcher, "_cache", None), "_cache_path", None) or "numba's cache")
    if _State.said is None:  # the process's first: said at once
        _say(where, _State.count)
    else:  # a later one: said if it goes on (a thread, as numba holds this one)
        timer = threading.Timer(SAY_AFTER, _say, (where, _State.count))
        timer.daemon = True
        timer.start()


def _end(ev: Any) -> None:
    _State.depth -= 1
    if _State.depth == 0:
        _State.seconds += time.perf_counter() - _State.started


def register() -> None:
    """Listen to numba's compiles in this process (once: later calls do nothing)."""
    if _State.registered:
        return
    from numba.core import event

    class Compiles(event.Listener):
        def on_start(self, ev: Any) -> None:
            _start(ev)

        def on_end(self, ev: Any) -> None:
            _end(ev)

    event.register("numba:compile", Compiles())  # type: ignore[no-untyped-call]
    _State.registered = True


def compile_seconds() -> float:
    """Wall seconds numba has spent compiling in this process (0 where every kernel came from its cache):
    what a timed call subtracts, so that a fresh checkout's first compile (minutes on a loaded machine) is not
    taken for a candidate's own time."""
    return _State.seconds
