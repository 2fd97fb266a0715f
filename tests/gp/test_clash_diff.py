"""An archive that refuses another program says the change in one line, lines matched as a diff matches them: a line
added to the body read ``now 'let scale = 2.0 * age in'``, the new line against the old body's (qfix98)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve.cli import main
from mlevolve.gp.archive import _program_diff
from tests.conftest import ROOT, Capsys

HEAD = "algorithm a\ntask linear\n\nformula f(x: Scalar, y: Scalar) -> Scalar =\n"


@pytest.mark.parametrize(("was", "now", "said"), [
    ("  x + y\n", "  let s = 2.0 * y in\n  x + y\n", "archive has 'x + y', now 'let s = 2.0 * y in x + y'"),  # added
    ("  let s = 2.0 * y in\n  x + y\n", "  x + y\n", "archive has 'let s = 2.0 * y in x + y', now 'x + y'"),  # removed
    ("  x + y\n", "  x * y\n", "archive has 'x + y', now 'x * y'"),  # a line changed: as before
    ("  x +\n  y\n", "  x +\n  y\n  + 1.0\n", "archive has 'y', now 'y + 1.0'"),  # a line added at the end
])
def test_the_program_diff_says_an_added_or_removed_line_with_its_neighbour(was: str, now: str, said: str) -> None:
    assert _program_diff(HEAD + was, HEAD + now) == f"the program text differs: {said}"


def test_a_resume_of_a_program_with_a_line_added_is_refused_with_it(tmp_path: Path, capsys: Capsys) -> None:
    program = tmp_path / "quartic.mlev"
    text = (ROOT / "examples" / "quartic.mlev").read_text()
    program.write_text(text)
    db = str(tmp_path / "q.db")
    assert main(["evolve", str(program), "--task", "nguyen4", "--budget", "2", "--db", db, "--quiet"]) == 0
    program.write_text(text.replace("  x * x * x * x +", "  let z = 2.0 * x in\n  x * x * x * x +"))
    assert main(["evolve", str(program), "--task", "nguyen4", "--budget", "2", "--db", db, "--quiet"]) == 2
    line = next(line for line in capsys.readouterr().err.splitlines() if ": error: " in line)
    assert line.endswith("the program text differs: archive has 'x * x * x * x + x * x * x + x * x + x', "
                         "now 'let z = 2.0 * x in x * x * x * x + x..."), line
