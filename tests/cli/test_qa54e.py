"""Regression tests for a QA pass (qa54e): a closed --dask port no longer hides a mistake in the program, its task or
the meta configuration (the port was knocked on before any of them was read)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.conftest import ROOT, Capsys, usage_error

QUARTIC = str(ROOT / "examples" / "quartic.mlev")


def _closed() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


@pytest.mark.parametrize(("argv", "first"), [
    (["evolve", "nope.mlev"], "nope.mlev: error: no such file"),
    (["evolve", QUARTIC, "--task", "nguyen55"], "mlevolve evolve: error: unknown task 'nguyen55'"),
    (["meta", "nope.toml"], "nope.toml: error: no such file"),
])
def test_a_mistake_in_the_users_files_is_said_before_a_closed_dask_port(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys, argv: list[str], first: str) -> None:
    monkeypatch.chdir(tmp_path)
    err = usage_error(capsys, *argv, "--db", "d.db", "--dask", _closed())
    assert err.splitlines()[0] == first
    assert len(err.splitlines()) == 2 and "dask" not in err
    assert not list(tmp_path.rglob("*.db"))
