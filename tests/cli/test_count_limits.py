"""A count too large to act on (--confirm past its limit) is refused in words before the run, not reported as
"out of memory".

Moved from the QA rounds' files (tests/cli/test_qa_round*.py), named for the behaviour they test."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve import api
from mlevolve.dsl.errors import SettingError
from tests.conftest import ROOT, Capsys, usage_error

QUARTIC = ROOT / "examples" / "quartic.mlev"

CONFIRM_HINT = "hint: each seed trains the best and the starting program again: 5 to 30 give the gain's spread\n"


@pytest.mark.parametrize("count", ["1001", "99999999999"])
def test_a_confirm_count_past_the_limit_is_refused_before_the_run(
        tmp_path: Path, capsys: Capsys, count: str) -> None:
    db = tmp_path / "r.db"
    err = usage_error(capsys, "evolve", str(QUARTIC), "--confirm", count, "--db", str(db))
    assert err == f"mlevolve evolve: error: --confirm must be at most 1,000, got {count}\n{CONFIRM_HINT}"
    assert not db.exists()  # refused before an archive is made


def test_show_refuses_a_confirm_count_past_the_limit(tmp_path: Path, capsys: Capsys) -> None:
    db = tmp_path / "r.db"
    api.evolve(QUARTIC, ["f"], budget=2, db=db, quiet=True)
    err = usage_error(capsys, "show", str(db), "--best", "--confirm", "99999999999")
    assert err == f"mlevolve show: error: --confirm must be at most 1,000, got 99999999999\n{CONFIRM_HINT}"
    with pytest.raises(SettingError) as caught:
        api.show(db, confirm=1001)
    assert caught.value.message == "confirm must be at most 1,000, got 1001"
