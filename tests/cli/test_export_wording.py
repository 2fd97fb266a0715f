"""An exported script says what it is and reports a mistake as ``mlevolve run`` does: its docstring names
the file ``-o`` wrote (not the program's name), and the same bad flag gives the same error line and hint
(``mlevolve.messages``, the one owner of that wording), under the script's name instead of the command's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, Capsys, cli, environment, run_child

QUARTIC = str(EXAMPLES / "quartic.mlev")
MLP = str(EXAMPLES / "mlp_digits.mlev")


def test_the_docstring_names_the_file_written(tmp_path: Path, capsys: Capsys) -> None:
    out = tmp_path / "my run.py"
    assert cli(capsys, "export", QUARTIC, "-o", str(out))[0] == 0
    text = out.read_text()
    assert "Run `python 'my run.py' --json` in its folder to train it on 'koza_quartic'" \
        in " ".join(text.split())  # wrapped at 110; its name alone, still true once moved (ux81: not its path)
    assert max(len(line) for line in text.splitlines()) <= 120
    assert "quartic.py" not in text
    code, shown, _ = cli(capsys, "export", QUARTIC, "-o", "-")
    assert code == 0 and "Run this file with `--json` to train it on 'koza_quartic'" in shown


@pytest.mark.parametrize("task", ["nguyen4:n_train=30", " nguyen4 : n_train = 3e1 "])
def test_the_docstring_s_program_names_the_task_the_script_trains_on(tmp_path: Path, capsys: Capsys,
                                                                      task: str) -> None:
    """Not the file's own task line (quartic.mlev's ``koza_quartic``), nor the spelling typed: its one name, as
    the docstring's first line says, for a file and for an archive's best alike."""
    db = tmp_path / "r.db"
    assert cli(capsys, "evolve", QUARTIC, "--budget", "20", "--db", str(db), "--quiet")[0] == 0
    for source in ([QUARTIC], [str(db), "--best"]):
        code, shown, _ = cli(capsys, "export", *source, "--task", task, "-o", "-")
        assert code == 0 and "train it on 'nguyen4:n_train=30'" in shown
        doc = shown.split('"""')[1]
        assert [line for line in doc.splitlines() if line.startswith("task ")] == ['task "nguyen4:n_train=30"']


@pytest.mark.e2e
@pytest.mark.parametrize(("program", "flags"), [
    (QUARTIC, ["--seed", "-1"]), (QUARTIC, ["--seed", str(2**63)]), (MLP, ["--epochs", "0"]),
    (QUARTIC, ["--seed", "1", "--seed", "2"]), (QUARTIC, ["--seed", "x"]), (QUARTIC, ["--bogus"]),
    (QUARTIC, ["--task", "koza_quartic:bogus=1"]), (QUARTIC, ["--task", "koza_quartic:n_train=0"]),
])
def test_a_script_reports_a_bad_flag_in_the_command_s_words(tmp_path: Path, capsys: Capsys, program: str,
                                                            flags: list[str]) -> None:
    script = tmp_path / "s.py"
    assert cli(capsys, "export", program, "-o", str(script))[0] == 0
    code, out, said = cli(capsys, "run", program, *flags)
    assert (code, out) == (2, "")
    done = run_child([sys.executable, str(script), *flags], capture_output=True, text=True, timeout=120,
                     env=environment())
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == said.replace("mlevolve run", "s.py"), (done.stderr, said)
