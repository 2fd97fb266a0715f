"""One rule for a task spec, the library's and every exported script's: an oracle over a table of specs.

The library reads a spec with :func:`~mlevolve.interpreter.tasks.task_options`; an exported script with its own
copy of the rules, :func:`~mlevolve.interpreter.standalone.spec.parse_spec` (with the options table of the
kind of task it was exported for).  For every spec here both accept it with the same options, or both refuse it
in the same words; and the task's one name (:func:`~mlevolve.interpreter.tasks.canonical_spec`, what is stored,
shown and exported) reads back as the same task, and is its own name.  An integer option is ASCII digits with
an optional ``e`` exponent (``1e3`` is 1000): no sign, decimal point, ``_`` or another script's digits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlevolve.dsl.errors import MlevError
from mlevolve.interpreter.standalone.data_formula import FILE_OPTIONS, FORMULA_OPTIONS, FORMULAS
from mlevolve.interpreter.standalone.data_learner import (
    FAMILIES,
    LEARNER_FILE_OPTIONS,
    PROJECTED_DIGITS,
    check_family_size,
    family_options,
)
from mlevolve.interpreter.standalone.data_supervised import USER_OPTIONS
from mlevolve.interpreter.standalone.spec import TaskError, parse_spec, spec_name
from mlevolve.interpreter.tasks import canonical_spec, task_options

CSV = "{csv}"  # replaced by a real file's path


def script_table(spec: str, kind: str | None) -> tuple[dict[str, Any], Any, str]:
    """The options table, task names and words of the loader a script exported for ``spec`` calls."""
    name = spec.split(":")[0].strip()
    if name in FORMULAS:
        return FORMULA_OPTIONS, FORMULAS, "a formula task"
    if name in FAMILIES or name == PROJECTED_DIGITS:
        return family_options(name), {name}, "a learner family"
    table, what = {"formula": (FILE_OPTIONS, "a data file for a formula"),
                   "learner": (LEARNER_FILE_OPTIONS, "a data file for a learner")}.get(kind or "",
                                                                                       (USER_OPTIONS, "a data file"))
    return table, None, what


def script_reads(spec: str, kind: str | None) -> tuple[str, dict[str, Any]]:
    """``spec`` as the script exported for it reads it (the loaders' calls of ``parse_spec``)."""
    read = parse_spec(spec, *script_table(spec, kind))
    if read[0] in FAMILIES or read[0] == PROJECTED_DIGITS:
        check_family_size(*read)
    return read


def script_prints(spec: str, kind: str | None) -> str:
    """The task a script exported for ``spec`` prints (its ``main``: ``spec_name`` with its loader's table)."""
    return spec_name(spec, script_table(spec, kind)[0])


def outcome(read: Any) -> tuple[str, Any]:
    """("ok", (name, options)) or ("error", (message, hint)) of ``read()``."""
    try:
        name, options = read()
    except MlevError as err:
        return "error", (err.message, err.hint or "")
    except TaskError as err:
        return "error", (err.message, err.hint)
    return "ok", (name, dict(options))


SPECS: list[tuple[str, str | None]] = [
    (spec, "formula") for spec in (
        "nguyen1", "nguyen1:n_train=20", "nguyen1:n_train=1e3", "nguyen1:n_train=1E2", "nguyen1:n_train=2e+1",
        "nguyen1 : n_train = 30 ", "nguyen1:n_train=020", "nguyen1:n_test=50:n_train=7",
        "nguyen1:n_train=20.0", "nguyen1:n_train=+20", "nguyen1:n_train=-20", "nguyen1:n_train=0",
        "nguyen1:n_train=1_000", "nguyen1:n_train=١٢", "nguyen1:n_train=２０", "nguyen1:n_train=2.5e1",
        "nguyen1:n_train=1e-0", "nguyen1:n_train=1e7", "nguyen1:n_train=1e400", "nguyen1:n_train=inf",
        "nguyen1:n_train=nan", "nguyen1:n_train=0x10", "nguyen1:n_train=20 20", "nguyen1:n_train=",
        "nguyen1:n_train=3:n_train=3", "nguyen1:dim=3", "koza_quartic:n_test=1000000",
        "koza_quartic:n_test=1000001",
        f"{CSV}:target=y", f"{CSV} : target = y ", f"{CSV}:problem=regression:target=y", f"{CSV}:target=y:n_train=5",
        f"{CSV}:problem=classification", f"{CSV}:target=y,problem=regression", "nguyen1:n_train=20,n_test=5",
        "nguyen1:n_train=20 n_test=5", "nguyen1:n_train=20;n_test=5", "nguyen1:", "nguyen1::n_train=5", "nguyen1:=5",
        "nguyen1: =5", ":n_train=5", f"{CSV}:target=y:", "nguyen1:n_train=1e+3", "nguyen1:n_train= 1e3 ",
        f'"{CSV}":target=y', f'"{CSV}:target=y"', "'nguyen1'", f"{CSV}:target=y:problem=classification",
        f"{CSV}:target=y:problem=regresion", "nguyen1:n_train=0:n_test=5", "nguyen1:n_train=9" + "9" * 120,
    )
] + [
    (spec, "learner") for spec in (
        "linear", "linear:n_tasks=3:dim=2", "linear:dim=2:n_tasks=3", "linear:fresh=1", "linear:fresh=2",
        "linear:fresh=+1", "linear:n_train=50.0", "linear:fitness=squashed:n_val=1e1", "linear:n_tasks=10000",
        "linear:n_tasks=10001", "linear:n_tasks=10000:n_train=1e6", "projected_digits:dim=8",
        "projected_digits:fitness=squashed", f"{CSV}:target=y:fitness=relative", f"{CSV}:target=y:group=x",
        f"{CSV}:target=y:n_tasks=2", f"{CSV}:target=y:fitness=mse", f"{CSV}:target=y:fitness=MSE",
        f"{CSV}:target=y:problem=regression:fitness=mse", "linear:fitness=Squashed", "linear:fresh=0:fitness=mse",
    )
] + [(f"{CSV}:target=y", None), (f"{CSV}:target=y:problem=regression", None), (f"{CSV}:fitness=mse", None)]


@pytest.fixture
def csv(tmp_path: Path) -> str:
    path = tmp_path / "d.csv"
    path.write_text("x,y\n" + "".join(f"{i},{i * i}\n" for i in range(12)))
    return str(path)


@pytest.mark.parametrize(("spec", "kind"), SPECS)
def test_the_library_and_a_script_read_a_spec_alike_and_name_its_task_once(csv: str, spec: str,
                                                                          kind: str | None) -> None:
    spec = spec.replace(CSV, csv)
    library, script = outcome(lambda: task_options(spec, kind)), outcome(lambda: script_reads(spec, kind))
    assert library == script
    if library[0] == "ok":
        name = canonical_spec(spec, kind)
        assert canonical_spec(name, kind) == name and " " not in name.replace(csv, "")
        assert canonical_spec(name.split(":")[0], kind) == name.split(":")[0]  # the bare task: its defaults
        assert outcome(lambda: script_reads(name, kind)) == script  # the one name reads as the same task
        assert script_prints(spec, kind) == name  # and is the name the script prints


@pytest.mark.parametrize(("spec", "name"), [
    ("nguyen1 : n_train = 3e1 ", "nguyen1:n_train=30"), ("nguyen1:n_train=030", "nguyen1:n_train=30"),
    ("nguyen1:n_test=50:n_train=30", "nguyen1:n_train=30:n_test=50"),  # the task's own order of options
    ("nguyen1:n_train=20", "nguyen1"), ("nguyen1:n_train=2e1:n_test=1e2", "nguyen1"),  # at their defaults
    ("linear:fresh=1:dim=2", "linear:dim=2:fresh=1"), ("linear:fresh=0:fitness=mse", "linear"), ("nguyen1", "nguyen1"),
    ("projected_digits:dim=16", "projected_digits"),
    ("{csv}:target=y:problem=regression", "{csv}:target=y"),  # a formula's file: regression, its one problem
    ("{csv} : problem=regression : target=y", "{csv}:target=y"),
    # a learner's data file: its default fitness is its data's (mse, or accuracy for classes), so mse given is named
    ("learner {csv}:target=y:fitness=mse", "{csv}:target=y:fitness=mse"), ("learner {csv}:target=y:fitness=relative",
                                                                           "{csv}:target=y:fitness=relative"),
    ("learner {csv}:target=y", "{csv}:target=y"),
])
def test_a_task_has_one_name_whatever_the_spelling(csv: str, spec: str, name: str) -> None:
    kind = "learner" if spec.startswith(("linear", "projected", "learner ")) else "formula"
    spec, name = spec.removeprefix("learner ").format(csv=csv), name.format(csv=csv)
    assert canonical_spec(spec, kind) == name
    assert script_prints(spec, kind) == name  # what an exported script prints as its task


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("0123456789+-.eE _x١２"), min_size=1, max_size=8))
def test_any_integer_text_is_read_alike_by_the_library_and_a_script(value: str) -> None:
    spec = f"nguyen1:n_train={value}"
    library, script = outcome(lambda: task_options(spec, "formula")), outcome(lambda: script_reads(spec, "formula"))
    assert library == script
    text = value.strip()
    if library[0] == "ok":  # only digits, with an optional exponent
        assert text.replace("e", "").replace("E", "").replace("+", "").isdigit() and text.isascii()
        assert library[1][1]["n_train"] == int(float(text))
    else:
        assert "must be an integer from 3 to 1,000,000" in library[1][0] or "has no value" in library[1][0]


@pytest.mark.parametrize("spec", ['"data.csv":target=y', "'data.csv:target=y'", ' "nguyen1"', "'it''s.csv'",
                                  "\"a b.csv\":target=y", "'a:b.csv':target=y", '"a:b.csv"'])
def test_a_spec_in_quotes_of_its_own_is_refused_in_one_set_of_words_by_the_library_and_a_script(spec: str) -> None:
    from mlevolve.interpreter.tasks import check_task_name

    with pytest.raises(MlevError) as library:
        check_task_name(spec)
    with pytest.raises(TaskError) as script:
        parse_spec(spec, FILE_OPTIONS)
    assert [library.value.message, library.value.hint] == [script.value.message, script.value.hint]
    assert library.value.message == f"task {spec.strip()} is in quotes of its own, taken as part of its name"
