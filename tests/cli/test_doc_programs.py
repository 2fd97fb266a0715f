"""Every `.mlev` definition the docs show checks: the README's, docs/'s and the benchmarks' Markdown, in fenced
blocks (a file's text, a run's ``best program:``, a ``$ cat`` of a program), each definition on its own.

A fresh-user pass writes programs from the docs; nothing held the docs' programs to the language as it is (only the
examples/ files were checked), so a renamed primitive or a changed signature left a doc program that no longer
checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import mlevolve
from mlevolve.dsl.kinds import KINDS

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "benchmarks").rglob("*.md")])
_HEADER = re.compile(rf"^(\s*)({'|'.join(KINDS)}) [A-Za-z_][A-Za-z_0-9]*\(")


def _fenced(text: str) -> list[list[str]]:
    """The lines of each fenced code block of Markdown ``text``."""
    blocks: list[list[str]] = []
    inside = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            inside = not inside
            if inside:
                blocks.append([])
        elif inside:
            blocks[-1].append(line)
    return blocks


def _definitions(block: list[str]) -> list[str]:
    """Each definition of a fenced ``block``, dedented: its header line, then the lines indented deeper than it (a
    body, a learner's methods), up to a line as shallow as the header (or a blank line followed by one)."""
    found: list[str] = []
    for i, line in enumerate(block):
        header = _HEADER.match(line)
        if header is None:
            continue
        depth = len(header.group(1))
        lines = [line[depth:]]
        for following in block[i + 1:]:
            if following.strip() and len(following) - len(following.lstrip()) <= depth:
                break
            lines.append(following[depth:])
        found.append("\n".join(lines).rstrip() + "\n")
    return found


def _programs(definitions: list[str]) -> list[str]:
    """A block's definitions as programs: together (a model names the activation beside it), a new program where a
    name repeats (a list of alternatives to one definition)."""
    programs: list[list[str]] = [[]]
    for text in definitions:
        name = text.split("(")[0].split()[-1]
        if any(t.split("(")[0].split()[-1] == name for t in programs[-1]):
            programs.append([])
        programs[-1].append(text)
    return ["\n".join(p) for p in programs if p]


CASES = [(path, text) for path in DOCS for block in _fenced(path.read_text(encoding="utf-8"))
         for text in _programs(_definitions(block))]


def test_the_docs_show_programs_of_every_kind_written_in_the_readme() -> None:
    """The extraction finds the README's programs (so the test below cannot pass on nothing)."""
    readme = {line.split("(")[0] for path, text in CASES if path.name == "README.md" for line in text.splitlines()
              if _HEADER.match(line)}
    assert {"activation act", "loss xent", "model net", "optimizer momentum", "schedule constant", "learner linreg",
            "formula f"} <= readme, readme


@pytest.mark.parametrize(("path", "text"), CASES,
                         ids=[f"{p.relative_to(ROOT)}:{t.split('(')[0]}" for p, t in CASES])
def test_each_definition_the_docs_show_checks(path: Path, text: str) -> None:
    """A block's definitions check, as ``mlevolve export FILE --component NAME`` takes one out of a file."""
    program = mlevolve.parse("algorithm doc\n\n" + text)
    mlevolve.check(program, whole=False)
