"""docs/meta.md names every setting a meta configuration's ``[inner]`` and ``[meta]`` tables take.

The tables are read by their dataclasses' fields (a key no field has is refused), so a field added without a
word in the docs is a setting no reader can find: ``[meta] rules_per_generation`` was one.
"""

from __future__ import annotations

import re
from dataclasses import fields

import pytest

from mlevolve.meta.config import InnerConfig, MetaSettings
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "meta.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("table", [InnerConfig, MetaSettings], ids=["inner", "meta"])
def test_every_setting_of_a_table_is_documented(table: type) -> None:
    names = [f.name for f in fields(table)]
    assert len(names) > 5
    assert [name for name in names if not re.search(rf"(?<![\w-]){name}(?![\w-])", DOC)] == []


def test_every_inner_default_is_documented_as_the_code_has_it() -> None:
    """Leaving out ``[inner]`` runs with its defaults: docs/meta.md lists each as ``InnerConfig`` has it (meta83:
    a fresh user found budget, population, tournament, algorithm and epochs left out ran silently, unlisted)."""
    from mlevolve.meta.config import _toml

    defaults = InnerConfig()
    listed = DOC[DOC.index("takes its default (`meta/config.py: InnerConfig`)"):][:400]
    assert [f.name for f in fields(InnerConfig)
            if f"`{f.name} = {_toml(getattr(defaults, f.name))}`" not in listed] == []


def test_every_meta_default_is_documented_as_the_code_has_it() -> None:
    """Leaving out ``[meta]`` runs with its defaults: docs/meta.md lists each as ``MetaSettings`` has it, in the
    order of its fields, as it lists ``[inner]``'s (misc88: a fresh user found ``[inner]`` had the list and
    ``[meta]`` none)."""
    from mlevolve.meta.config import _toml

    defaults = MetaSettings()
    start = DOC.index("takes its default\n(`meta/config.py: MetaSettings`)")
    listed = " ".join(DOC[start:DOC.index(".\n", start)].split())
    expected = ", ".join(f"`{f.name} = {_toml(getattr(defaults, f.name))}`" for f in fields(MetaSettings))
    assert listed.endswith(f"each explained below: {expected}")
