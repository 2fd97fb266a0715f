"""Does the meta search still take the committed path?  Reruns a reduced configuration and compares.

Two kinds are guarded: ``formulas`` (``repro.toml``, no focus) and ``learners``
(``repro_learners.toml``: AutoML-Zero-style learners, whose base grammar draws through the
``[restrict.learner]`` focus, with base_mix, weight perturbation and a bounded step on).  The
configuration runs in a fresh temporary folder; its generator file (without the header comments,
which name paths and the environment) must equal ``NAME.grammar.toml`` byte for byte and its trace
(:func:`mlevolve.meta.provenance.trace`: per meta-generation the best's digest, fitness, validation
score, mined rules) must equal ``NAME.trace.json`` field for field.  A difference means the search
changed: by a change to the code (intended: regenerate with ``--write`` and commit the files with
the change) or by another environment (the message lists how it differs from the committed one:
see constraints.txt).

Run:  PYTHONPATH=src python benchmarks/meta/repro.py [--kind learners]            # compare; exit 1 on a difference
      PYTHONPATH=src python benchmarks/meta/repro.py [--kind learners] --write    # regenerate the committed files
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
STEMS = {"formulas": "repro", "learners": "repro_learners"}  # kind -> the committed files' stem


def files(kind: str) -> tuple[Path, Path, Path]:
    """(configuration, committed generator, committed trace) of ``kind`` (a key of :data:`STEMS`)."""
    stem = STEMS[kind]
    return HERE / f"{stem}.toml", HERE / f"{stem}.grammar.toml", HERE / f"{stem}.trace.json"


def command(kind: str) -> str:
    """The command that regenerates ``kind``'s committed files."""
    flag = "" if kind == "formulas" else f" --kind {kind}"
    return f"PYTHONPATH=src python benchmarks/meta/repro.py{flag} --write"


def body(text: str) -> str:
    """A generator file without its leading comment lines (the header: paths, environment)."""
    lines = text.splitlines(keepends=True)
    k = 0
    while k < len(lines) and lines[k].startswith("#"):
        k += 1
    return "".join(lines[k:])


def rerun(kind: str = "formulas") -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Run ``kind``'s configuration in a temporary folder: (generator file text, trace, environment)."""
    from mlevolve import api
    from mlevolve.gp.archive import Archive
    from mlevolve.meta.provenance import environment, trace

    with tempfile.TemporaryDirectory(prefix="mlevolve-repro-") as tmp:
        db, out = Path(tmp) / "meta-repro.db", Path(tmp) / "repro.grammar.toml"
        config, _, _ = files(kind)
        summary = api.meta(os.path.relpath(config), db, out, quiet=True)
        archive = Archive.read(db)
        history = archive.meta()["meta_generations"]
        archive.close()
        text = out.read_text(encoding="utf-8").replace(str(db), "a temporary meta-repro.db")
        return text, trace(history, summary), environment()


def compare(kind: str = "formulas") -> list[str]:
    """The differences between a rerun of ``kind`` and its committed files (``[]``: it reproduces)."""
    from mlevolve.meta.provenance import differences, first_difference

    text, got, env = rerun(kind)
    _, grammar, trace_file = files(kind)
    committed = json.loads(trace_file.read_text(encoding="utf-8"))
    problems = []
    where = first_difference(committed["trace"], got)
    if where is not None:
        problems.append(f"the meta search took another path: first difference at {where}")
    if body(text) != body(grammar.read_text(encoding="utf-8")):
        problems.append(f"the generator differs from {grammar.name}")
    if problems:
        changed = differences(committed["environment"], env)
        problems.append("environment: " + ("the same as the committed files' (so the code changed the search)"
                                           if not changed else "differs from the committed files': "
                                           + "; ".join(changed) + " (see benchmarks/meta/constraints.txt)"))
        if hint := mkl_hint(committed["environment"], kind):
            problems.append(hint)
        problems.append(f"if the change is intended, regenerate the committed files with `{command(kind)}` "
                        "and commit them")
    return problems


def mkl_hint(committed: dict[str, Any], kind: str, host: dict[str, Any] | None = None) -> str | None:
    """Where this host (``host``: a :func:`~mlevolve.meta.provenance.cpu`, this one's where None) is an Intel CPU
    with AVX-512 and the committed files (their ``environment``) were made under another ``MKL_CBWR`` than this
    process runs with, the rerun that computes MKL's last bits as theirs did; else None.  Traces written before the
    environment kept the variable were made on AVX2 hosts (``MKL_CBWR=AVX2`` here); one made with it unset on an
    AVX-512 host (the learners') gets no hint."""
    from mlevolve.meta.provenance import mkl_as_evidence

    made_under = committed.get("mkl_cbwr", "AVX2")
    if not made_under or not mkl_as_evidence(host) or os.environ.get("MKL_CBWR") == made_under:
        return None
    return ("this host is an Intel CPU with AVX-512, whose MKL code computes other last bits than the committed "
            f"files' host: rerun as MKL_CBWR={made_under} " + command(kind).replace(" --write", ""))


def write(kind: str = "formulas") -> None:
    """Rerun ``kind`` and write its committed generator and trace."""
    text, got, env = rerun(kind)
    _, grammar, trace_file = files(kind)
    lines = text.splitlines(keepends=True)
    header = "".join(line for line in lines if line.startswith("#"))
    grammar.write_text(header + body(text), encoding="utf-8")
    trace_file.write_text(json.dumps({"command": command(kind), "environment": env, "trace": got}, indent=1)
                          + "\n", encoding="utf-8")
    print(f"wrote {grammar} and {trace_file}")


def main() -> int:
    from mlevolve.script import ArgumentParser

    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kind", choices=sorted(STEMS), default="formulas",
                        help="which reduced configuration: formulas (repro.toml) or learners (repro_learners.toml)")
    parser.add_argument("--write", action="store_true",
                        help="regenerate the kind's committed files (NAME.grammar.toml and NAME.trace.json)")
    args = parser.parse_args()
    os.chdir(HERE.parents[1])  # the header names the configuration relative to the repository
    if args.write:
        write(args.kind)
        return 0
    problems = compare(args.kind)
    for line in problems:
        print(line, file=sys.stderr)
    if not problems:
        print("the meta search reproduces the committed files")
    return 1 if problems else 0


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
