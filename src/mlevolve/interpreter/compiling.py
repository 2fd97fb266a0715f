"""One line on stderr when numba starts compiling one of mlevolve's kernels, once per process.

The kernels (:mod:`~mlevolve.interpreter.kernel`, :mod:`~mlevolve.interpreter.formula_kernel`) are compiled
on their first call in a fresh checkout, which takes seconds (about 15 s for all of them on an idle machine;
300 s with two cores shared five ways), and loaded from numba's on-disk cache afterwards.  Importing this module
registers a numba event listener: numba fires ``numba:compile`` only where it compiles, after its cache missed
(``Dispatcher.compile``), so a cache load says nothing.  Importing it again registers nothing more (a module
runs once).
"""

from __future__ import annotations

import sys
from typing import Any

from numba.core import event

MODULES = ("mlevolve.",)  # whose functions' compiles are announced: the kernels' (another library's say nothing)
NOTE = ("mlevolve: compiling the numba kernels for this checkout: seconds to minutes, once (later runs load them "
        "from numba's cache)")


class _FirstCompile(event.Listener):
    """Writes :data:`NOTE` when the first of mlevolve's functions starts compiling in this process."""

    said = False

    def on_start(self, ev: Any) -> None:
        dispatcher = (ev.data or {}).get("dispatcher")
        module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
        if not _FirstCompile.said and module.startswith(MODULES):
            _FirstCompile.said = True
            print(NOTE, file=sys.stderr, flush=True)

    def on_end(self, ev: Any) -> None:
        """Nothing: the note is said when a compile starts (numba's ``Listener`` requires both methods)."""


event.register("numba:compile", _FirstCompile())  # type: ignore[no-untyped-call]
