"""Every flag of every benchmark script says in its ``--help`` what it is (evidence.py's had no words)."""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(p for p in (ROOT / "benchmarks").rglob("*.py")
                 if not p.name.startswith("_") and '__name__ == "__main__"' in p.read_text())


class _Parsed(Exception):
    """Raised in place of parsing: the parser is built, nothing runs."""


def test_the_scripts_are_found() -> None:
    assert {"evidence.py", "operators.py", "peers.py", "diversity.py", "fitting.py"} <= {p.name for p in SCRIPTS}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_flag_has_help(script: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[argparse.ArgumentParser] = []

    def parse(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        built.append(self)
        raise _Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_known_args", parse)
    monkeypatch.setattr(sys, "argv", [str(script), "--help"])
    monkeypatch.syspath_prepend(str(script.parent))
    with pytest.raises(_Parsed):
        runpy.run_path(str(script), run_name="__main__")
    silent = [a.option_strings or a.dest for a in built[0]._actions if not a.help]
    assert silent == []
