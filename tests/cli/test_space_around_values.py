"""One rule for the space around a value a user types: it is no part of the value, wherever it is typed.

A flag's number, name or choice, a task spec and each of its parts, ``--var``, a meta configuration's strings
and task names, and an exported script's flags read ``' 20'`` as ``20``; space inside a number is still refused
(``'2 0'``), and a path (``--db``, ``-o``, a FILE) is taken as typed (docs/evolve.md).  Before, ``--task
' nguyen4'`` and ``n_train= 20`` were taken while ``--seed ' 20'`` and ``--timeout ' 5'`` were refused.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlevolve.cli import _Ascii, build_parser
from mlevolve.interpreter.standalone.data_formula import FORMULA_OPTIONS, FORMULAS
from mlevolve.interpreter.standalone.spec import parse_spec
from mlevolve.interpreter.tasks import canonical_spec, task_options
from tests.conftest import EXAMPLES, ROOT, Capsys, environment, run_child, usage_error

QUARTIC = str(EXAMPLES / "quartic.mlev")
SPACES = [" {}", "{} ", "\t{}\n", "  {}  "]


def _typed_flags() -> list[tuple[str, str, str, list[str]]]:
    """(command, flag, a value it takes, the flags its command requires) of every flag whose value is a number, a
    name or a choice."""
    import argparse

    subs = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    found = []
    for command, parser in subs.choices.items():
        for action in parser._actions:
            if not action.option_strings or action.type is None:
                continue
            kind = action.type.kind if isinstance(action.type, _Ascii) else None
            value = (next(iter(action.choices)) if action.choices else "local:2" if action.dest == "dask"
                     else "1" if kind is int else "0.5" if kind is float else "Scalar")
            required = [(a.option_strings[-1], "Scalar" if a.dest == "type" else "out.py") for a in parser._actions
                        if a.required and a.option_strings and a is not action]
            found.append((command, action.option_strings[-1], value, [x for pair in required for x in pair]))
    return found


@pytest.mark.parametrize("space", SPACES)
def test_every_typed_flag_reads_a_value_with_space_around_it_as_the_value(space: str) -> None:
    flags = _typed_flags()
    assert {("evolve", "--seed"), ("evolve", "--timeout"), ("evolve", "--algorithm"), ("sample", "--type"),
            ("export", "--hash"), ("export", "--component"), ("evolve", "--dask")} <= {(c, f) for c, f, *_ in flags}
    parser = build_parser()
    for command, flag, value, required in flags:
        given = [command, QUARTIC, *required]  # the flags a command requires besides
        plain = parser.parse_known_args([*given, flag, value])  # a command of no file: QUARTIC left over
        spaced = parser.parse_known_args([*given, flag, space.format(value)])
        assert vars(spaced[0]) == vars(plain[0]) and spaced[1] == plain[1], (command, flag)


@pytest.mark.parametrize(("flag", "text", "kind"), [("--seed", "2 0", "int"), ("--budget", " 1e 3", "int"),
                                                    ("--timeout", "0. 5", "float")])
def test_space_inside_a_number_is_still_refused(capsys: Capsys, flag: str, text: str, kind: str) -> None:
    err = usage_error(capsys, "evolve", QUARTIC, flag, text)
    assert err.splitlines()[0] == f"mlevolve evolve: error: argument {flag}: invalid {kind} value: '{text}'"


@pytest.mark.parametrize(("spec", "same"), [(" nguyen4", "nguyen4"), ("nguyen4:n_train= 20 ", "nguyen4:n_train=20"),
                                            (" nguyen4 : n_train = 3e1 ", "nguyen4:n_train=30")])
def test_a_task_spec_with_space_around_its_parts_is_the_spec_without(spec: str, same: str) -> None:
    assert task_options(spec, "formula") == task_options(same, "formula")
    assert canonical_spec(spec, "formula") == canonical_spec(same, "formula")
    assert parse_spec(spec, FORMULA_OPTIONS, FORMULAS) == parse_spec(same, FORMULA_OPTIONS, FORMULAS)  # a script's


def test_a_var_and_a_sample_type_with_space_around_them_are_read_without(capsys: Capsys) -> None:
    from mlevolve.cli import main

    assert main(["sample", "--type", " Scalar ", "-n", " 2", "--seed", "3 ", "--var", " x : Scalar "]) == 0
    spaced = capsys.readouterr().out
    assert main(["sample", "--type", "Scalar", "-n", "2", "--seed", "3", "--var", "x:Scalar"]) == 0
    assert capsys.readouterr().out == spaced


def test_a_meta_configurations_strings_and_names_are_read_without_the_space_around_them(tmp_path: Path) -> None:
    from mlevolve.meta.config import load_config

    smoke = (ROOT / "benchmarks" / "meta" / "smoke.toml").read_text().replace("../../examples", str(EXAMPLES))
    plain, spaced = tmp_path / "plain.toml", tmp_path / "spaced.toml"
    text = smoke.replace('evolve = ["f"]', 'evolve = [" f "]').replace('[meta]\n', '[meta]\nfitness = " auc "\n')
    plain.write_text(smoke.replace('[meta]\n', '[meta]\nfitness = "auc"\n'))
    assert text.count(" f ") == 1 and text.count(" auc ") == 1, "smoke.toml changed: update this test"
    spaced.write_text(text)
    assert load_config(spaced).identity() == load_config(plain).identity()
    assert load_config(spaced).meta.fitness == "auc" and load_config(spaced).evolve == ("f",)


@pytest.mark.e2e
def test_an_exported_scripts_flags_read_a_value_with_space_around_it_as_the_value(tmp_path: Path, capsys: Capsys
                                                                                   ) -> None:
    from mlevolve.cli import main

    script = tmp_path / "q.py"
    assert main(["export", QUARTIC, "--task", "koza_quartic", "-o", str(script)]) == 0
    capsys.readouterr()

    def run(*flags: str) -> subprocess.CompletedProcess[str]:
        return run_child([sys.executable, str(script), "--json", *flags], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path, env=environment())

    plain, spaced = run("--seed", "3", "--task", "koza_quartic:n_train=30"), run(
        "--seed", " 3 ", "--task", " koza_quartic : n_train = 3e1 ")
    untimed = [{k: v for k, v in json.loads(done.stdout).items() if k != "train_seconds"} for done in (plain, spaced)]
    assert plain.returncode == spaced.returncode == 0 and untimed[0] == untimed[1], spaced
    inside = run("--seed", "3 0")
    assert inside.returncode == 2 and inside.stderr.splitlines()[0] == (
        "q.py: error: argument --seed: invalid int value: '3 0'")
