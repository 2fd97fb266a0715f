"""Subpackages' modules as attributes on first use (PEP 562), for ``mlevolve`` and each of its packages.

``import mlevolve`` imports none of its subpackages (no NumPy, Lark or torch: the console script
installs its Ctrl-C handler first), yet ``mlevolve.gp.backends`` works after it: each package's
module ``__getattr__`` imports the submodule asked for, and Python binds it on the package, so the
look-up runs once per submodule.  Standard library only (``importlib``), as :mod:`mlevolve` itself.
"""

from __future__ import annotations

import importlib
import importlib.util

TYPE_CHECKING = False  # as typing's, without importing typing (see mlevolve/__init__.py)
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType
    from typing import Any


def submodule(package: str, name: str) -> ModuleType:
    """Module ``package.name``, imported now; AttributeError (as for any missing attribute of
    ``package``) where there is no such module or ``name`` is private (``_x``) or a dunder."""
    if name.startswith("_") or importlib.util.find_spec(f"{package}.{name}") is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    return importlib.import_module(f"{package}.{name}")


def submodules(package: str, names: dict[str, object]) -> tuple[Callable[[str], ModuleType], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of package ``package`` (its module ``globals()``: ``names``):
    a submodule on first use (:func:`submodule`); the package's names and its submodules' names."""
    def getattr_(name: str) -> ModuleType:
        return submodule(package, name)

    def dir_() -> list[str]:
        import pkgutil

        path: Any = names["__path__"]  # a list of folders
        found = (m.name for m in pkgutil.iter_modules(path))
        return sorted({*names, *(n for n in found if not n.startswith("_"))})

    return getattr_, dir_
