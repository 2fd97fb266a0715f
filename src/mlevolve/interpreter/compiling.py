"""One line on stderr when numba starts compiling one of mlevolve's kernels, once per process, and the
seconds spent compiling them (:func:`compile_seconds`), which a candidate's time budget does not count.

The kernels (:mod:`~mlevolve.interpreter.kernel`, :mod:`~mlevolve.interpreter.formula_kernel`) are compiled
on their first call in a fresh checkout, which takes seconds (about 15 s for all of them on an idle machine;
300 s with two cores shared five ways), and loaded from numba's on-disk cache afterwards.  Importing this module
registers a numba event listener: numba fires ``numba:compile`` only where it compiles, after its cache missed
(``Dispatcher.compile``), so a cache load says nothing.  Importing it again registers nothing more (a module
runs once).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from numba.core import event

MODULES = ("mlevolve.",)  # whose functions' compiles are announced: the kernels' (another library's say nothing)
NOTE = ("mlevolve: compiling numba kernels on their first use in this checkout: seconds to minutes (later runs "
        "load them from numba's cache)")


class _Compiles(event.Listener):
    """Writes :data:`NOTE` when the first of mlevolve's functions starts compiling in this process, and adds
    up the wall seconds of the outermost compiles (a kernel's callees compile inside it: counted once)."""

    said = False
    depth = 0
    started = 0.0
    seconds = 0.0

    def on_start(self, ev: Any) -> None:
        if _Compiles.depth == 0:
            _Compiles.started = time.perf_counter()
        _Compiles.depth += 1
        dispatcher = (ev.data or {}).get("dispatcher")
        module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
        if not _Compiles.said and module.startswith(MODULES):
            _Compiles.said = True
            print(NOTE, file=sys.stderr, flush=True)

    def on_end(self, ev: Any) -> None:
        _Compiles.depth -= 1
        if _Compiles.depth == 0:
            _Compiles.seconds += time.perf_counter() - _Compiles.started


def compile_seconds() -> float:
    """Wall seconds numba has spent compiling in this process (0 where every kernel came from its cache):
    what a timed call subtracts, so that a fresh checkout's first compile (minutes on a loaded machine) is not
    taken for a candidate's own time."""
    return _Compiles.seconds


event.register("numba:compile", _Compiles())  # type: ignore[no-untyped-call]
