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


def _plumbing(package: str, name: str, value: object) -> bool:
    """Whether global ``name`` of ``package`` is how its module is written, not what it offers: the
    ``TYPE_CHECKING`` flag, a ``from __future__`` feature (``annotations``), a module it imported that
    is not its own (``importlib``), this module's helpers, a private name (``_HOMES``)."""
    if name.startswith("__"):
        return False  # the module's own (__version__, __getattr__...)
    if name == "TYPE_CHECKING" or type(value).__name__ == "_Feature" or getattr(value, "__module__", "") == __name__:
        return True  # (this module's helpers too, which a package imports to define its __getattr__)
    if name.startswith("_"):
        return True  # private
    own = getattr(value, "__name__", "")
    return type(value).__name__ == "module" and not (isinstance(own, str) and own.startswith(f"{package}."))


def submodules(package: str, names: dict[str, object]) -> tuple[Callable[[str], ModuleType], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of package ``package`` (its module ``globals()``: ``names``):
    a submodule on first use (:func:`submodule`); the package's names and its submodules' names."""
    def getattr_(name: str) -> ModuleType:
        return submodule(package, name)

    def dir_() -> list[str]:
        import pkgutil

        path: Any = names["__path__"]  # a list of folders
        found = (m.name for m in pkgutil.iter_modules(path))
        return sorted({*(n for n, value in names.items() if not _plumbing(package, n, value)),
                       *(n for n in found if not n.startswith("_"))})

    return getattr_, dir_
