"""`mlevolve export`: every example (and so every regime) becomes a standalone script whose `--json`
output equals `mlevolve run --json` (all keys but the `train_seconds` timing), that carries the DSL
source in its docstring, does not import mlevolve, compiles, lints clean and has no unused function;
a formula or learner script imports no torch (it runs with torch unimportable) and is at most
320 lines, a neural one at most 515, as the README says (measured 261 and 457: 255 and 456 before a learner
script checked fitness= and the family size as mlevolve run does, 258 and 454 before Ctrl-C ended a script in
one line; 264 and 459 with did-you-mean hints for task options and flags, 9 lines, after compacting the loops by 6; 3
more for a task spec that names no task, `:target=y`, which the scripts read as the current folder: 268 and
463 on this test's examples; 1 more for options run together, `target=y,problem=regression`, named as such,
the integer reader shared with the library costing none; 46 more, 314 and 509 on this test's examples, for the
one rule of an integer (read_int, the flags' too, and its hint), the task's one name printed (spec_name), hints
that mend the spec typed and the closest option value, letter case aside: qa32; 2 more, 316 and 511, for
hints that rebuild a spec shell-quoted, a data path with a space: qa33);
user names that collide with the script's own names are renamed, not shadowing anything."""

from __future__ import annotations

import ast
import builtins
import json
import py_compile
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mlevolve
from mlevolve import cli
from mlevolve.dsl.errors import MlevError
from mlevolve.interpreter.codegen import RESERVED, py_name
from mlevolve.interpreter.regimes import REGIMES, regime_of
from tests.conftest import EXAMPLE_FILES as EXAMPLES
from tests.conftest import ROOT, environment, load_module, run_child

# Every name an exported script defines at top level is a user name that must be renamed.
COLLIDING = """algorithm collide
task digits

activation main(x: Tensor) -> Tensor =
  relu(x)

activation arrays(torch: Tensor) -> Tensor =
  let math = tanh(torch) in
  let tmp1 = math * 0.5 in
  tmp1 + math

model supervised_task() -> Layer =
  seq(dense(32), main, dense(32), arrays)

loss json(nn: Tensor, F: Tensor) -> Tensor =
  -(F * log(nn + 1e-7))

optimizer adam(w: Tensor, g: Tensor, lr: Scalar, float: Tensor) -> (Tensor, Tensor) =
  let np = 0.9 * float + g in
  (w - lr * np, np)

schedule train_supervised(time: Scalar) -> Scalar =
  0.05 * (1.0 - 0.5 * time)

augment argparse(DIM: Tensor) -> Tensor =
  DIM + 0.01 * noise(DIM)
"""

COLLIDING_LEARNER = """algorithm collide_learner
task linear

learner np(state rng: Vector, state arrays: Scalar)
  setup() -> (Vector, Scalar) =
    (gaussian_vector(0.0, 0.01), 0.1)
  predict(print: Vector) -> Scalar =
    dot(rng, print)
  learn(len: Vector, main: Scalar, DIM: Scalar) -> (Vector, Scalar) =
    (rng + arrays * (main - DIM) * len, arrays)
"""


@dataclass
class Exported:
    source: Path  # the .mlev file
    script: Path  # the exported .py
    args: tuple[str, ...]  # extra arguments to the script
    done: subprocess.CompletedProcess[str] | None = None
    no_torch: bool = False  # run with torch unimportable


def _export(file: Path, out: Path, *flags: str) -> Path:
    assert cli.main(["export", str(file), "-o", str(out), *flags]) == 0
    return out


# Runs a script as __main__ with `import torch` failing (a None entry in sys.modules blocks an import).
_NO_TORCH = "import runpy, sys; sys.modules['torch'] = None; sys.argv = sys.argv[1:]; " \
            "runpy.run_path(sys.argv[0], run_name='__main__')"


def _run(job: Exported) -> Exported:
    head = [sys.executable, "-c", _NO_TORCH] if job.no_torch else [sys.executable]
    job.done = run_child([*head, str(job.script), "--json", *job.args], capture_output=True,
                         text=True, timeout=300, cwd=job.script.parent)
    return job


def _regime(file: Path) -> str:
    return regime_of(mlevolve.check(mlevolve.parse_file(file))).name


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Exported]]:
    """Every example (and two name-collision programs) exported and run, two scripts at a time."""
    tmp = tmp_path_factory.mktemp("export")
    jobs: dict[str, Exported] = {}
    for file in EXAMPLES:
        numpy_only = REGIMES[_regime(file)].backend == "numpy"
        jobs[file.stem] = Exported(file, _export(file, tmp / f"{file.stem}.py"), (), no_torch=numpy_only)
    for name, text, flags in (("collide", COLLIDING, ("--epochs", "2")), ("collide_learner", COLLIDING_LEARNER, ())):
        source = tmp / f"{name}.mlev"
        source.write_text(text)
        jobs[name] = Exported(source, _export(source, tmp / f"{name}.py", *flags), ())
    jobs["linear_regression seed 3"] = Exported(jobs["linear_regression"].source, jobs["linear_regression"].script,
                                                ("--seed", "3"), no_torch=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(_run, jobs.values()))
    yield jobs


def script_metrics(job: Exported) -> dict[str, Any]:
    assert job.done is not None
    assert job.done.returncode == 0, job.done.stderr[-3000:]
    assert "Traceback" not in job.done.stderr
    metrics: dict[str, Any] = json.loads(job.done.stdout)
    return metrics


def without_time(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if k != "train_seconds"}


def test_the_examples_cover_every_regime() -> None:
    assert {_regime(file) for file in EXAMPLES} == set(REGIMES)


@pytest.mark.e2e
@pytest.mark.parametrize("name", [f.stem for f in EXAMPLES])
def test_exported_example_prints_exactly_what_run_prints(name: str, exported: dict[str, Exported]) -> None:
    job = exported[name]
    got = script_metrics(job)
    want = mlevolve.run(job.source)
    assert want["failure"] is None
    assert set(got) == set(want)
    assert without_time(got) == without_time(want)  # identical floats on CPU
    assert isinstance(got["train_seconds"], float)


@pytest.mark.e2e
def test_exported_script_takes_the_seed(exported: dict[str, Exported]) -> None:
    job = exported["linear_regression seed 3"]
    got = script_metrics(job)
    assert got["seed"] == 3
    assert without_time(got) == without_time(mlevolve.run(job.source, seed=3))
    assert got["val_mse"] != script_metrics(exported["linear_regression"])["val_mse"]


@pytest.mark.e2e
@pytest.mark.parametrize(("task", "message"), [
    ("linear:dim=3:dim=4", "option 'dim' is given twice in task spec 'linear:dim=3:dim=4'"),
    ("linear:n_tasks=10000:n_train=1000000", "task 'linear' would hold n_tasks x (n_train + n_val) x dim = "
     "40,004,000,000 values, more than the 50,000,000 allowed"),  # refused before allocating, as mlevolve run does
])
def test_an_exported_learner_script_refuses_a_task_it_cannot_load_in_one_line(
        task: str, message: str, exported: dict[str, Exported]) -> None:
    script = exported["linear_regression"].script
    done = run_child([sys.executable, str(script), "--task", task], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()  # as the command writes a mistake: one line, then a hint
    assert lines[0].startswith(f"{script.name}: error: {message}") and len(lines) == 2 and lines[1].startswith("hint: ")


@pytest.mark.e2e
@pytest.mark.parametrize("name", ["quartic", "mlp_digits"])
def test_an_exported_script_without_its_libraries_says_what_to_install_in_one_line(
        name: str, exported: dict[str, Exported]) -> None:
    """A fresh user's pass: a script run by a Python without NumPy ended in ModuleNotFoundError's traceback.  Run
    with ``-S`` (no site-packages: neither NumPy nor PyTorch importable), it names the first and exits 2."""
    script = exported[name].script
    done = run_child([sys.executable, "-S", str(script), "--json"], capture_output=True, text=True, timeout=120,
                     env={k: v for k, v in environment().items() if k != "PYTHONPATH"})
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"{script}: error: this script needs the package numpy\nhint: pip install numpy\n"


@pytest.mark.e2e
@pytest.mark.parametrize(("name", "flag", "value", "rule"), [
    ("quartic", "--seed", str(2**63 + 1), f"must be at least 0 and below 2**63, got {2**63 + 1}"),  # -1: no sign
    ("linear_regression", "--seed", str(2**63), f"must be at least 0 and below 2**63, got {2**63}"),
    ("mlp_digits", "--epochs", "0", "must be at least 1, got 0"),
])
def test_an_exported_script_refuses_a_bad_setting_naming_its_flag(name: str, flag: str, value: str, rule: str,
                                                                   exported: dict[str, Exported]) -> None:
    script = exported[name].script
    done = run_child([sys.executable, str(script), flag, value], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    hint = "pass --epochs 1 or more" if flag == "--epochs" else "a seed is a whole number from 0 to 2**63 - 1"
    assert done.stderr.strip().splitlines() == [f"{script.name}: error: {flag} {rule}", f"hint: {hint}"]  # as run's


@pytest.mark.e2e
@pytest.mark.parametrize("name", ["collide", "collide_learner"])
def test_user_names_that_collide_with_the_scripts_names_still_work(name: str,
                                                                   exported: dict[str, Exported]) -> None:
    job = exported[name]
    got = script_metrics(job)
    want = mlevolve.run(job.source, **({"epochs": 2} if name == "collide" else {}))  # a learner has no epochs
    assert want["failure"] is None, want
    assert without_time(got) == without_time(want)
    text = job.script.read_text()
    assert text.count("\ndef main(") == 1  # the script's own, once
    assert text.count("\ndef supervised_task(") + text.count("\ndef learner_task(") == 1


SCRIPT_CAPS = (472, 693)  # formula/learner, network: +12/+12 (stop 66) for R² beside each MSE (common.with_r2);
# +4 (qa35) for SIGTERM ending a script as Ctrl-C does; +3
# (qa38) for --epochs refused, as mlevolve refuses it, by a script whose regime trains no epochs; +15 (qa39) for a
# spec refused in the library's order and words by the library's own two functions (split_spec, spec_options); +4
# (newuser40) for the text printed as `mlevolve run` prints it (6 digits, "failed: ..."), +1 for the names first
# (stop 38) +7 for a spec whose options follow its name by ',' or ' ' mended in the hint (common.task_hint), +3 for a
# data file's path holding ':' (split_spec, the one reader of a spec); +3 (stop 41) for the rules of reading --task
# and integer flags shown in a section of their own, after the training loop (they opened the data section); +9
# (stop 44) for a Ctrl-C while NumPy or PyTorch loads ended in one line (it printed the import's traceback), and
# group=/fitness= on a task that takes neither said to be a learner's; +10/+9 (stop 46) for a pace that cannot fit the
# time budget failing early (Budget.check_time: --epochs 100000000 trained for 300 s before failing); +3 (stop 47)
# for a schedule's negative learning rate failing the candidate (it trained by ascent); +5/+6 (stop 49) for a library
# the script cannot import named in one line with what to install (exit 2, not ModuleNotFoundError's traceback);
# +3/+3 (stop 52) for a formula's n_train range of its own, with why (spec.LEAST), and +5 network only for a loss
# with no gradient from the prediction failing at the first step (0.0 * p) and its where; +12/+12 (qa54b) for an
# option's value in quotes holding ':' (target='y:m': split_spec, spec_value) and its two errors
# +10 network (qa54d) for a package a task imports on first use (scikit-learn's data sets, gymnasium) named in
# one line with what to install when missing (spec.package; it ended in a traceback at the first episode); +2 network
# (stop 53) for an augmentation whose output is not finite named as such, not as "the loss is not finite"; +6/+6
# (qa55b) for text after a value's closing quote refused at its column (target='y:m'x read as y:mx), and a quote
# in a data file's name kept as typed (split_spec); +2/+2 (stop 55) for weight= on another kind's task said to be a
# formula's (spec.ONLY, one table with group= and fitness=); +10/+9 (qa56f) for a task of another kind refused in
# mlevolve's words and with its kind's tasks (export._misfit_lines, its lists of names as list literals), not as unknown
# +2/+2 (small58b) for spec.OPTION_EXAMPLES: a malformed integer option's hint writes a value a user would
# (n_train=100), not a default at its range's top that means all rows (a data file's n_train=1000000)
# +3/+3 (polish64, tidy65) for that hint and the range said in the file's terms: leave n_train out to use every
# row, or give from 3 to the file's rows, where the hint wrote n_train=100 and the range named the sentinel
# +8/+8 (qa73) for an error's quoted cells, names and flags with their control characters escaped
# (spelling.printable), where a binary file's NUL or ESC reached the terminal raw
# +14/+15 (dig98) for the metrics printed by the library's one rule (shown.py: METRIC_DIGITS, shown_metric), where
# the script had its own 6 digits and best and show 4
# +5/+5 (qafix74) for an integer task option written with thousands separators (n_train=1,000) refused with
# the integer mended in the hint, where it was told only its range
# +8/+8 (doc89) for a task option's choice error listing the choices valid in its context (spec.CHOICE_CONTEXT: a
# learner data file's fitness= by its problem), where it offered accuracy and then refused it for a regression
# +0/+10 (qa106) for the data files' standardisation as the two functions an exported learner component copies
# (data._scaling, data._scaled: the component trained on the raw numbers where the run standardises)
# +0/+4 (msg68, qa106) for a constant whole-number target named in both readings (data._detect), where a
# one-row file was "only one class"
# +2/+2 (exp69) for from __future__ import annotations (and its blank line): an annotation naming a class the script
# defines further down (TaskError) was a NameError at import of every script
# +6/+0 (out70) for a learner's fitness= score said as `mlevolve run` says it, after the metrics (fitness reads:
# export._notes_lines; a network's script for a built-in task prints no note)


@pytest.mark.parametrize("example", ["linear_regression", "quartic", "mlp_digits"])
def test_a_scripts_annotations_may_name_a_class_it_defines_further_down(example: str, tmp_path: Path) -> None:
    """exp69: the standalone modules are concatenated into a script, where an annotation naming TaskError (defined in
    the reading section, after the data and training sections) was a NameError at import of every script.  A script
    leaves its annotations unevaluated (from __future__ import annotations): a function annotated with TaskError put
    before the program's section, where nothing of the script is defined yet, imports."""
    text = mlevolve.export(ROOT / "examples" / f"{example}.mlev")
    assert "\nclass TaskError(" in text
    rule = "# ------------ the program"
    probe = text.replace(rule, f"def probe(err: TaskError) -> TaskError:\n    return err\n\n\n{rule}", 1)
    assert probe != text
    (tmp_path / f"{example}.py").write_text(probe, encoding="utf-8")
    module = load_module(tmp_path / f"{example}.py")  # imported, not run: main is not called
    assert module.probe.__annotations__ == {"err": "TaskError", "return": "TaskError"}


def test_the_readme_gives_the_scripts_line_caps() -> None:
    readme = (ROOT / "README.md").read_text()
    assert f"at most {SCRIPT_CAPS[0]} lines" in readme and f"at most {SCRIPT_CAPS[1]})" in readme


@pytest.mark.e2e
@pytest.mark.parametrize("file", EXAMPLES, ids=lambda f: f.stem)
def test_exported_script_is_standalone_and_readable(file: Path, exported: dict[str, Exported]) -> None:
    script = exported[file.stem].script
    text = script.read_text()
    doc = ast.get_docstring(ast.parse(text))
    assert doc is not None
    assert mlevolve.format(mlevolve.parse_file(file)).strip() in doc  # the DSL source, verbatim
    assert "import mlevolve" not in text and "from mlevolve" not in text
    tree = ast.parse(text)
    imported = {a.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"argparse", "csv", "dataclasses", "difflib", "importlib", "inspect", "json", "math", "numpy",
                        "os", "pathlib", "re", "shlex", "signal", "sklearn", "sys", "time", "torch", "typing",
                        "collections", "gymnasium", "__future__"}  # gymnasium: in make_env; importlib: spec.package
    numpy_only = REGIMES[_regime(file)].backend == "numpy"
    assert ("torch" in imported) != numpy_only
    lines = len(text.splitlines())
    assert lines <= (SCRIPT_CAPS[0] if numpy_only else SCRIPT_CAPS[1]), lines
    py_compile.compile(str(script), cfile=str(script.with_suffix(".pyc")), doraise=True)


@pytest.mark.e2e
@pytest.mark.parametrize("name", [f.stem for f in EXAMPLES] + ["collide", "collide_learner"])
def test_an_exported_script_has_no_unused_function_class_or_constant(name: str,
                                                                     exported: dict[str, Exported]) -> None:
    tree = ast.parse(exported[name].script.read_text())
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    defined |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    assert defined - read == {"main"} or defined - read == set(), sorted(defined - read)
    top = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert top[-1] == "main"  # the program, the data, the loop, then main


@pytest.mark.e2e
def test_exported_scripts_pass_ruff(exported: dict[str, Exported]) -> None:
    """ruff's default rules, pyflakes, pycodestyle and import order, at the project's line length (ruff, a dev
    dependency, run as the other tests run it: it was skipped where the venv's bin was not on PATH)."""
    scripts = [str(job.script) for job in exported.values()]
    done = run_child([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--extend-select",
                      "E,F,I", "--line-length", "120", *sorted(set(scripts))], capture_output=True, text=True,
                     timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]


def test_export_of_a_program_on_the_wrong_kind_of_task_is_a_user_error(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(MlevError, match="cannot run on task"):
        mlevolve.export(ROOT / "examples" / "quartic.mlev", task="digits")
    out = tmp_path / "never.py"
    assert cli.main(["export", str(ROOT / "examples" / "quartic.mlev"), "--task", "digits", "-o", str(out)]) == 2
    assert not out.exists()
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("name", ["value", "key", "args", "data", "json", "main"])
def test_a_parameter_keeps_its_name_unless_the_function_reads_that_name(name: str) -> None:
    """Only the names a generated body reads are reserved for its locals (not main's): a component's
    parameter ``value`` is ``value`` in the exported function, so callers may pass it by keyword."""
    text = f"algorithm c\nformula g({name}: Scalar, np: Scalar) -> Scalar = {name} * 2.0 + np\n"
    source = mlevolve.export_component(mlevolve.parse(text), "g")
    module: dict[str, Any] = {}
    exec(compile(source, "g.py", "exec"), module)
    assert f"def g({name}, _u_np):" in source  # np is read by the body's NumPy calls: escaped
    assert module["g"](**{name: 1.5, "_u_np": 1.0}) == 4.0


def test_export_writes_the_generated_functions_verbatim() -> None:
    """`run` and `export` execute the same generated text."""
    from mlevolve.interpreter.codegen import compile_program

    program = mlevolve.check(mlevolve.parse_file(ROOT / "examples" / "mlp_digits.mlev"))
    functions = compile_program(program, mlevolve.load_grammar()).source.rstrip().rsplit("\n", 1)[0]
    assert functions.strip() in mlevolve.export(program)


@pytest.mark.e2e
def test_reserved_holds_every_name_an_exported_script_binds_or_calls(exported: dict[str, Exported]) -> None:
    needed: set[str] = set()
    for job in exported.values():
        tree = ast.parse(job.script.read_text())
        needed |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
        module_level = [*tree.body, *(m for n in tree.body if isinstance(n, ast.If) for m in n.body)]  # __main__'s
        needed |= {t.id for n in module_level if isinstance(n, ast.Assign) for t in n.targets
                   if isinstance(t, ast.Name)}
        needed |= {(a.asname or a.name).split(".")[0] for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)
                   for a in n.names}
    from mlevolve.interpreter.codegen import compile_program

    for job in exported.values():  # the program's own functions are user names (renamed where they collide)
        source = compile_program(mlevolve.check(mlevolve.parse_file(job.source)), mlevolve.load_grammar()).source
        needed -= {n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}
    needed -= {n for n in needed if n.startswith("_")}  # private to the standalone modules: never a plain name
    assert needed <= RESERVED, sorted(needed - RESERVED)
    assert set(dir(builtins)) <= RESERVED
    for name in needed:
        renamed = py_name(name)
        assert renamed != name and renamed not in RESERVED and renamed.isidentifier()
    assert py_name("act") == "act" and py_name("tmp3") == "_u_tmp3" and py_name("lambda") == "_u_lambda"


@pytest.mark.e2e
@pytest.mark.parametrize("regime", ["supervised", "formula", "learner"])
def test_a_program_on_a_data_file_exports_the_same_run(regime: str, tmp_path: Path) -> None:
    """The script carries the regime's loader of data files (and not the built-in tasks'): a formula's
    parameters name the file's columns there too, a learner takes the file as one task."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 2))
    data = tmp_path / "d.csv"
    data.write_text("a,b,y\n" + "".join(f"{p:.5f},{q:.5f},{2 * p - q * q:.5f}\n" for p, q in x))
    source = {"supervised": "activation act(x: Tensor) -> Tensor = tanh(x)\n",
              "formula": "formula f(a: Scalar, b: Scalar) -> Scalar = 2.0 * a - b * b\n",
              "learner": (ROOT / "examples" / "linear_regression.mlev").read_text().split("task linear")[1]}[regime]
    file = tmp_path / "p.mlev"
    file.write_text(f"algorithm p\ntask \"{data}:target=y\"\n{source}")
    epochs = {"epochs": 2} if regime == "supervised" else {}  # formulas and learners have none (refused)
    script = _export(file, tmp_path / "p.py", *(f"--{k}={v}" for k, v in epochs.items()))
    text = script.read_text()
    assert "read_table" in text and "SUPERVISED" not in text and "FORMULAS" not in text and "FAMILIES" not in text
    job = _run(Exported(file, script, (), no_torch=regime != "supervised"))
    want = mlevolve.run(file, **epochs)
    assert want["failure"] is None
    assert without_time(script_metrics(job)) == without_time(want)
    if regime == "formula":
        assert want["train_r2"] == pytest.approx(1.0)
    if regime == "learner":  # one task of 36 training rows: SGD fits the linear part of 2a - b^2
        assert 0.0 < want["val_mse"] < 1.0


@pytest.mark.e2e
def test_an_exported_script_exits_1_when_its_program_fails_as_run_does(tmp_path: Path) -> None:
    source = (ROOT / "examples" / "linear_regression.mlev").read_text().replace("0.1 * (y - p)", "1e30 * (y - p)")
    file = tmp_path / "bad.mlev"
    file.write_text(source)
    want = mlevolve.run(file)
    assert want["failure"] is not None
    assert cli.main(["run", str(file)]) == 1
    script = _export(file, tmp_path / "bad.py")
    done = run_child([sys.executable, str(script), "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert without_time(json.loads(done.stdout)) == without_time(want)
    # its text as `mlevolve run` prints it: 6 digits, no "failure: None", a failure as "failed: REASON (WHERE)"
    # (every digit and a failure dict before, newuser40); the clock's line aside
    for program, out in ((file, script), (ROOT / "examples" / "quartic.mlev", _export(ROOT / "examples" /
                                                                                        "quartic.mlev",
                                                                                        tmp_path / "q.py"))):
        done = run_child([sys.executable, str(out)], capture_output=True, text=True, timeout=120)
        command = run_child([sys.executable, "-m", "mlevolve", "run", str(program)], capture_output=True,
                            text=True, timeout=120, env=environment())
        assert [line for line in done.stdout.splitlines() if "seconds" not in line] == \
            [line for line in command.stdout.splitlines() if "seconds" not in line] != []


@pytest.mark.parametrize(("signum", "status", "line"), [(signal.SIGTERM, 143, "stopped by SIGTERM"),
                                                        (signal.SIGINT, 130, "interrupted")])
def test_a_stop_signal_ends_an_exported_script_in_one_line(tmp_path: Path, signum: int, status: int,
                                                            line: str) -> None:
    """SIGTERM (``kill``, a job scheduler's stop) ended a script with status 143 and no word; now as Ctrl-C does,
    as mlevolve ends: one line, status 128 + the signal's number, no traceback."""
    text = mlevolve.export(str(ROOT / "examples" / "quartic.mlev"))
    stopped = f"def main() -> None:\n    os.kill(os.getpid(), {int(signum)})\n    time.sleep(30)\n\n\n"
    script = tmp_path / "s.py"
    script.write_text(text.replace('if __name__ == "__main__":', stopped + 'if __name__ == "__main__":'))
    done = run_child([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (status, f"{script}: {line}\n")
