"""docs/layout.md names every module of the package, and names none that is gone.

A module added without its row (``gp/dask_address.py`` was) leaves a reader of the layout without it; a row
whose module was renamed or removed points at nothing.
"""

from __future__ import annotations

import re

from tests.conftest import ROOT, SRC

LAYOUT = (ROOT / "docs" / "layout.md").read_text(encoding="utf-8")
PACKAGE = SRC / "mlevolve"
# the first column of the module table: `gp/prune.py`, `gp/prune.py`, `gp/prune_best.py`, `interpreter/standalone/`
NAMED = {name for row in re.findall(r"^\| (`[^|]+`) \|", LAYOUT, re.M) for name in re.findall(r"`([^`]+)`", row)}


def test_every_module_has_a_row() -> None:
    modules = [path.relative_to(PACKAGE).as_posix() for path in sorted(PACKAGE.rglob("*"))
               if path.suffix in {".py", ".lark", ".toml"} and "__pycache__" not in path.parts
               and not (path.name == "__init__.py" and path.parent != PACKAGE)]  # a subpackage's: its folder's rows
    assert len(modules) > 50
    folders = {name for name in NAMED if name.endswith("/")}
    assert [m for m in modules if m not in NAMED and not any(m.startswith(f) for f in folders)] == []


def test_every_row_names_a_module_that_exists() -> None:
    assert len(NAMED) > 50
    assert sorted(name for name in NAMED if not (PACKAGE / name).exists()) == []
