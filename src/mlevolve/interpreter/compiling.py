"""One line on stderr when numba starts compiling mlevolve's kernels, where the caller asked for it (the command
line: :func:`announce`), and the seconds spent compiling them (:func:`compile_seconds`), which a candidate's time
budget does not count.

The kernels (:mod:`~mlevolve.interpreter.kernel`, :mod:`~mlevolve.interpreter.formula_kernel`) are compiled
on their first call in a fresh checkout, which takes seconds (about 15 s for all of them on an idle machine;
300 s with two cores shared five ways), and loaded from numba's on-disk cache afterwards.  :func:`register` (the
kernels' module calls it) adds a numba event listener: numba fires ``numba:compile`` only where it compiles, after
its cache missed (``Dispatcher.compile``), so a cache load says nothing.  The line is said at the start of each
burst of compiling (a compile that starts :data:`BURST_GAP` seconds or more after the last one ended): a run's
first kernels compile before its first candidate, and others (a prune's, a learner's tuning) may compile much later,
for tens of seconds that looked like a hang when only the first burst was said.  This module imports numba only in
:func:`register`, so the command line can call :func:`announce` without loading it.
"""

from __future__ import annotations

import sys
import time
from typing import Any

MODULES = ("mlevolve.",)  # whose functions' compiles are announced: the kernels' (another library's say nothing)
NOTE = "mlevolve: compiling numeric kernels (once; cached in {where}): seconds to minutes"
BURST_GAP = 1.0  # seconds between compiles past which a compile starts a new burst, said again


class _State:
    """The process's compiles: whether to say them (and whether this burst was said), how deep the current one is (a
    kernel's callees compile inside it: counted once), when the outermost one started and the last one ended, and the
    seconds compiled in all."""

    announce = False
    registered = False
    said = False  # this burst's line
    depth = 0
    started = 0.0
    ended = -BURST_GAP
    seconds = 0.0


def announce(on: bool = True) -> bool:
    """Say (``on``) or not each burst of compiling of mlevolve's kernels on stderr; the previous setting, to put
    back.  Off by default: the library says nothing; the command line turns it on (``mlevolve.cli``)."""
    previous, _State.announce = _State.announce, on
    return previous


def note(where: str) -> str:
    """:data:`NOTE` for a cache kept in ``where`` (numba's ``NUMBA_CACHE_DIR``, or the kernels' ``__pycache__``)."""
    return NOTE.format(where=where)


def _start(ev: Any) -> None:
    if _State.depth == 0:
        _State.started = time.perf_counter()
        _State.said &= _State.started - _State.ended < BURST_GAP  # a new burst: not said yet
    _State.depth += 1
    dispatcher = (ev.data or {}).get("dispatcher")
    module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
    if _State.announce and not _State.said and module.startswith(MODULES):  # the burst's first of mlevolve's
        _State.said = True
        where = getattr(getattr(dispatcher, "_cache", None), "_cache_path", None) or "numba's cache"
        print(note(str(where)), file=sys.stderr, flush=True)


def _end(ev: Any) -> None:
    _State.depth -= 1
    if _State.depth == 0:
        _State.ended = time.perf_counter()
        _State.seconds += _State.ended - _State.started


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
