"""The README's test command works on a fresh machine: every package a test module imports as it loads is one that
``pip install -e '.[dev]'`` installs (the standard library, mlevolve's dependencies, its ``dev`` extras).

``tests/gp/test_estimator.py`` imported pandas at its top, which no extra named: on a fresh install the suite stopped
at collection.  A package a test needs only sometimes is imported where it is used, with ``pytest.importorskip``.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib

from tests.conftest import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# a distribution's import name where it differs from its own
IMPORTED_AS = {"scikit-learn": "sklearn", "dask[distributed]": "distributed"}


def installed() -> set[str]:
    """The import names of mlevolve's dependencies and its dev extras."""
    names = set()
    for requirement in [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["dev"]]:
        name = re.split(r"[<>=!~ ;]", requirement, maxsplit=1)[0]
        names |= {IMPORTED_AS.get(name, name), name.split("[")[0].replace("-", "_")}
    return names


def loaded_imports(path: str) -> set[str]:
    """The top-level packages a module imports as it loads (its module-level imports)."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_package_a_test_module_loads_is_installed_by_the_dev_extras() -> None:
    ours = {"mlevolve", "tests", "__future__"} | installed() | set(sys.stdlib_module_names)
    modules = [path.relative_to(ROOT).as_posix() for path in sorted((ROOT / "tests").rglob("*.py"))]
    assert len(modules) > 100
    missing = {path: sorted(loaded_imports(path) - ours) for path in modules}
    assert {path: names for path, names in missing.items() if names} == {}
