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
