"""The docs and ``--help`` name the same flags.

Every flag a doc writes after ``mlevolve CMD`` is one that ``mlevolve CMD --help`` lists, every flag written
after ``python benchmarks/X.py`` (or ``X.py``) is one that script defines, and every other ``--flag`` a doc names is
one of mlevolve's, a benchmark script's or a named outside tool's; the other way round, every subcommand and
every flag of every ``--help`` is documented with its command in README.md or docs/: written after ``mlevolve
CMD``, in a code span that starts with the command (```run --seed N```), on a line that names the command, or
in the command's own page.  A flag renamed, added or dropped in the code fails here until the docs follow.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

import pytest
from hypothesis import settings

from mlevolve.cli import build_parser
from tests.conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TEXT = {doc.name: doc.read_text(encoding="utf-8") for doc in DOCS}
# a flag: -n, -o, --budget, --no-prune; not an expression such as --x, nor an arrow such as --check--
FLAG = re.compile(r"(?<![\w-])(--?[a-z][a-z0-9]+(?:-[a-z0-9]+)*|-[a-z])(?![\w-])")
# a command as the docs write it, to the end of its code span or line, or to a shell separator or comment
COMMAND = re.compile(r"mlevolve ((?:grammar )?[a-z]+)\b([^`\n|&;#]*)")
SCRIPT = re.compile(r"\b((?:benchmarks/)?[\w/]*[a-z_]+\.py)\b([^`\n|&;#)]*)")
# flags of outside tools the docs name: chromium's (docs/report.md) and dask-worker's (docs/scaling.md)
OUTSIDE = {"--remote-debugging-pipe", "--nthreads"}
# a command's own page documents its flags wherever it names them
PAGES = {"evolve": "evolve.md", "best": "report.md", "show": "report.md", "report": "report.md", "meta": "meta.md"}


def commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, set[str]]]:
    """Each subcommand (``evolve``, ``grammar show``) with the flags its ``--help`` lists."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, (*prefix, name))
    if prefix:
        shown = [a for a in parser._actions if a.help != argparse.SUPPRESS]  # a hidden alias is no help's
        yield " ".join(prefix), {flag for a in shown for flag in a.option_strings} - {"-h", "--help"}


HELP = dict(commands(build_parser()))
# each option string of each add_argument call of a benchmark script ("-n", "--n")
OPTIONS = re.compile(r"add_argument\(\s*((?:\"--?[a-z][a-z0-9-]*\",\s*)*\"--?[a-z][a-z0-9-]*\")")
BENCHMARKS = {path.relative_to(ROOT).as_posix(): {flag for names in OPTIONS.findall(path.read_text(encoding="utf-8"))
                                                  for flag in re.findall(r"\"([^\"]+)\"", names)}
              for path in sorted((ROOT / "benchmarks").rglob("*.py"))}


def script_flags(name: str) -> set[str] | None:
    """The flags of the benchmark script a doc names by its path or its file name; None for another script (an
    exported one, ``runs/found.py``)."""
    found = [flags for path, flags in BENCHMARKS.items() if path == name or path.endswith("/" + name)]
    return found[0] if len(found) == 1 else None


def test_the_commands_own_flags_are_documented() -> None:
    text = "\n".join(TEXT.values())
    flags = {flag for a in build_parser()._actions for flag in a.option_strings} - {"-h", "--help"}
    assert flags == {"--version"} and all(f"`mlevolve {flag}`" in text for flag in flags)


def test_the_parser_walk_finds_every_command() -> None:
    assert {"evolve", "meta", "grammar show", "grammar diff", "export"} <= HELP.keys()
    assert "--budget" in HELP["evolve"] and "--type" in HELP["grammar show"]
    assert "--quick" in BENCHMARKS["benchmarks/peers.py"]


def test_every_flag_written_after_a_command_is_in_its_help() -> None:
    written = [(doc, m.group(1), flag) for doc, text in TEXT.items() for m in COMMAND.finditer(text)
               if m.group(1) in HELP for flag in FLAG.findall(m.group(2))]
    assert len(written) > 100  # the pattern still reads the docs' commands
    assert [(doc, command, flag) for doc, command, flag in written if flag not in HELP[command]] == []


def test_every_flag_written_after_a_benchmark_script_is_defined_by_it() -> None:
    written = [(doc, m.group(1), flag, flags) for doc, text in TEXT.items() for m in SCRIPT.finditer(text)
               if (flags := script_flags(m.group(1))) is not None for flag in FLAG.findall(m.group(2))
               if flag.startswith("--")]
    assert len(written) >= 8
    assert [(doc, script, flag) for doc, script, flag, flags in written if flag not in flags] == []


def test_every_flag_the_docs_name_exists() -> None:
    root = {flag for a in build_parser()._actions for flag in a.option_strings}  # --help, --version
    known = set().union(*HELP.values(), *BENCHMARKS.values(), OUTSIDE, root)
    named = {(doc, flag) for doc, text in TEXT.items() for flag in FLAG.findall(text) if flag.startswith("--")}
    assert [(doc, flag) for doc, flag in sorted(named) if flag not in known] == []


def documented(command: str, flag: str) -> bool:
    """Whether a doc gives ``flag`` with ``command`` (the module docstring's four ways)."""
    written = re.compile(rf"(?<![\w-]){flag}(?![\w-])")
    for doc, text in TEXT.items():
        if PAGES.get(command) == doc and written.search(text):
            return True
        spans = [m.group(2) for m in COMMAND.finditer(text) if m.group(1) == command]
        spans += re.findall(rf"`{command} ([^`]*)`", text)
        lines = [line for line in text.splitlines() if f"`{command}`" in line or f"mlevolve {command}" in line]
        if any(written.search(part) for part in spans + lines):
            return True
    return False


@pytest.mark.parametrize("command", sorted(HELP))
def test_every_command_and_flag_in_help_is_documented_with_it(command: str) -> None:
    assert f"mlevolve {command}" in "\n".join(TEXT.values())
    assert sorted(flag for flag in HELP[command] if not documented(command, flag)) == []


def pytest_runs(text: str, python: str) -> list[str]:
    """The arguments of each ``PYTHON -m pytest`` that ``text`` writes (to the end of its code span, line or shell
    separator), ``-q`` left out (the suite's addopts give it), in order."""
    runs = (m.group(1).replace(" -q", "").strip() for m in re.finditer(rf"{python} -m pytest([^`\n|&;#]*)", text))
    return sorted(set(runs))


def test_the_readmes_test_commands_are_what_ci_runs() -> None:
    """README's install and test commands (the fast suite, the e2e and the slow selections) are the ones .ci/run
    runs, with the same arguments, and CI runs no other selection."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install torch==2.13.0 -e '.[dev]' && python -m pytest -n 2\n" in TEXT["README.md"]
    assert "torch==2.13.0 -e '.[dev]'" in ci
    readme = pytest_runs(TEXT["README.md"], "python")
    assert len(readme) == 3 and readme == pytest_runs(ci, "python3")


def test_ci_draws_the_same_property_examples_in_every_run() -> None:
    """.ci/run names the Hypothesis profile that tests/conftest.py registers, and that profile draws the same
    examples each run (a property that fails in CI fails again on rerun) with no example database or deadline;
    without the variable a local run keeps Hypothesis's own random draws."""
    assert re.search(r"^export HYPOTHESIS_PROFILE=ci\b", (ROOT / ".ci" / "run").read_text(encoding="utf-8"), re.M)
    ci = settings.get_profile("ci")
    assert ci.derandomize and ci.database is None and ci.deadline is None
    assert not settings.get_profile("default").derandomize
