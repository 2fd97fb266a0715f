"""Every program of the project that writes to stdout (the ``mlevolve`` command, the benchmark scripts
through ``mlevolve.script.run``, an exported script) ends quietly, status 141, when the reader of its
output has left (``| head -1``): no BrokenPipeError traceback, no "Exception ignored" line.  Every
benchmark script ends a bad option as the command does: one ``SCRIPT: error:`` line, a hint, status 2,
no argparse usage lines."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlevolve import api
from mlevolve.script import EXIT_BROKEN_PIPE, ArgumentParser, run
from tests.conftest import EXAMPLES, ROOT, cpu_seconds, environment, run_child, sigint_default, spawn, wait_until


def closed_pipe(argv: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``argv`` run with stdout a pipe whose reader has already left: its first write fails (EPIPE)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return run_child(argv, stdout=write, stderr=subprocess.PIPE, text=True, cwd=cwd, env=environment(),
                         timeout=120)
    finally:
        os.close(write)


def assert_quiet_end(done: subprocess.CompletedProcess[str]) -> None:
    assert (done.returncode, done.stderr) == (EXIT_BROKEN_PIPE, ""), done.stderr


@pytest.mark.e2e
@pytest.mark.parametrize("argv", [["tasks"], ["grammar", "show"], ["sample", "--type", "Tensor", "-n", "50",
                                                                     "--var", "x:Tensor"],
                                  ["check", str(EXAMPLES / "quartic.mlev")],
                                  ["run", str(EXAMPLES / "quartic.mlev"), "--json"],
                                  ["export", str(EXAMPLES / "quartic.mlev"), "-o", "-"]])
def test_the_command_ends_quietly_when_its_reader_has_left(argv: list[str]) -> None:
    assert_quiet_end(closed_pipe([sys.executable, "-m", "mlevolve", *argv]))


@pytest.mark.e2e
def test_the_read_commands_end_quietly_when_their_reader_has_left(tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    api.evolve(str(EXAMPLES / "quartic.mlev"), ["f"], budget=20, db=str(db), quiet=True, workers=1)
    for argv in (["best", str(db)], ["show", str(db), "--best"], ["show", str(db), "--best", "--sympy"]):
        assert_quiet_end(closed_pipe([sys.executable, "-m", "mlevolve", *argv]))


@pytest.mark.e2e
@pytest.mark.parametrize("example", ["quartic", "linear_regression"])
def test_an_exported_script_ends_quietly_when_its_reader_has_left(tmp_path: Path, example: str) -> None:
    script = tmp_path / "found.py"
    script.write_text(api.export(str(EXAMPLES / f"{example}.mlev")))
    for flags in (["--json"], []):
        assert_quiet_end(closed_pipe([sys.executable, str(script), *flags]))
    help_done = closed_pipe([sys.executable, str(script), "--help"])  # argparse drops a failed help write itself
    assert help_done.returncode in (0, EXIT_BROKEN_PIPE) and help_done.stderr == ""


@pytest.mark.e2e
def test_an_exported_script_ends_a_ctrl_c_in_one_line_with_status_130(tmp_path: Path) -> None:
    """Ctrl-C while an exported script trains: one line naming the script, status 130, no traceback."""
    import signal

    script = tmp_path / "found.py"
    script.write_text(api.export(str(EXAMPLES / "linear_regression.mlev")))
    # 1,000,000 training steps of one task in Python: 6 CPU seconds and more, where starting Python, importing
    # NumPy and making the task's data take about 0.3: past 1.5 CPU seconds of its own, the script is in its loop
    # (CPU seconds, not wall seconds: a loaded machine slows both the script and this wait alike)
    proc = spawn([sys.executable, str(script), "--task", "linear:n_tasks=1:dim=1:n_train=1000000"],
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(),
                 preexec_fn=sigint_default)  # CI runs the tests as a job that ignores SIGINT
    try:
        wait_until(lambda: cpu_seconds(proc.pid) >= 1.5, proc, limit=300, step=0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (proc.returncode, out, err) == (130, "", f"{script}: interrupted\n")


def test_run_ends_a_script_quietly_when_its_reader_has_left(monkeypatch: pytest.MonkeyPatch) -> None:
    def main() -> int:
        raise BrokenPipeError(32, "Broken pipe")

    pointed: list[Any] = []
    monkeypatch.setattr(os, "dup2", lambda fd, fd2: pointed.append(fd2))
    monkeypatch.setattr(sys.stdout, "fileno", lambda: 1, raising=False)
    with pytest.raises(SystemExit) as stopped:
        run(main)
    assert stopped.value.code == EXIT_BROKEN_PIPE and pointed == [1]


@pytest.mark.e2e
def test_a_benchmark_script_ends_quietly_when_its_reader_has_left() -> None:
    rows = ROOT / "benchmarks" / "results" / "peers_merged.jsonl"
    assert_quiet_end(closed_pipe([sys.executable, str(ROOT / "benchmarks" / "peers.py"), "--summarise", str(rows)]))


# ------------------------------------------------------------------------------ benchmark scripts' usage errors
SCRIPTS = sorted(p for p in (ROOT / "benchmarks").rglob("*.py") if 'if __name__ == "__main__":' in p.read_text())


def test_every_benchmark_script_parses_its_arguments_with_the_one_line_parser() -> None:
    assert len(SCRIPTS) >= 15, SCRIPTS
    for script in SCRIPTS:
        text = script.read_text()
        assert "argparse.ArgumentParser(" not in text, script
        assert "ArgumentParser(" in text or "search_settings(" in text, script


@pytest.mark.e2e
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT / "benchmarks")))
def test_a_benchmark_script_given_an_unknown_option_says_so_in_one_line(tmp_path: Path, script: Path) -> None:
    done = run_child([sys.executable, str(script), "--no-such-option"], capture_output=True, text=True,
                     cwd=str(tmp_path), env=environment(), timeout=120)
    assert done.returncode == 2, done.stderr
    first, *rest = done.stderr.splitlines()
    assert rest == [f"hint: run `{script.name} --help`"], done.stderr
    assert re.fullmatch(f"{re.escape(script.name)}: error: (unrecognized arguments: --no-such-option|the following "
                        "arguments are required: .*)", first), first  # a required option is missed first


@pytest.mark.e2e
@pytest.mark.parametrize(("script", "args", "error"), [
    ("discovery/linear_regression.py", ["--settings", "bogus"], "argument --settings: unknown setting(s) bogus"),
    ("fitting.py", ["--fit", "maybe"], "argument --fit: invalid choice: 'maybe'"),  # choices=
    ("meta/evidence.py", ["--mode", "nope"], "argument --mode: invalid choice: 'nope'"),
    ("peers.py", ["--seeds"], "argument --seeds: expected one argument"),
])
def test_a_benchmark_script_s_bad_value_is_one_line_too(tmp_path: Path, script: str, args: list[str],
                                                        error: str) -> None:
    done = run_child([sys.executable, str(ROOT / "benchmarks" / script), *args], capture_output=True,
                     text=True, cwd=str(tmp_path), env=environment(), timeout=120)
    name = Path(script).name
    lines = done.stderr.splitlines()
    assert (done.returncode, len(lines)) == (2, 2), done.stderr
    assert lines[0].startswith(f"{name}: error: {error}") and lines[1].startswith("hint: ")


def test_the_parser_s_error_is_one_line_and_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    parser = ArgumentParser(prog="x.py")
    parser.add_argument("--n", type=int, choices=(1, 2))
    with pytest.raises(SystemExit) as stopped:
        parser.parse_args(["--n", "3"])
    assert stopped.value.code == 2
    assert capsys.readouterr().err == "x.py: error: argument --n: invalid choice: 3 (choose from 1, 2)\n" \
                                      "hint: run `x.py --help`\n"


def test_export_to_dash_prints_the_script_and_writes_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from mlevolve import cli

    monkeypatch.chdir(tmp_path)
    assert cli.main(["export", str(EXAMPLES / "quartic.mlev"), "-o", "-"]) == 0
    assert capsys.readouterr().out == api.export(str(EXAMPLES / "quartic.mlev"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [["report", "run.db", "-o", "-"], ["meta", "config.toml", "-o", "-"]])
def test_dash_as_the_output_of_a_command_that_writes_a_file_is_refused(tmp_path: Path, argv: list[str],
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from mlevolve import cli

    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"mlevolve {argv[0]}: error: -o - would print the ") and err[1].startswith("hint: ")
    assert list(tmp_path.iterdir()) == []
