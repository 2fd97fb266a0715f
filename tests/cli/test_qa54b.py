"""Regression tests for a QA pass (qa54b): Dask addresses, quoted task-spec values, lists in messages,
wide exported formulas and an exported learner's random_state."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mlevolve
from mlevolve import api
from mlevolve.cli import main
from mlevolve.dsl.errors import SettingError
from tests.conftest import ROOT, Capsys, archive_meta, component_module, run_child, usage_error

QUARTIC = str(ROOT / "examples" / "quartic.mlev")
FORMS = "hint: local:2 starts two workers on this machine (local:0: one per core); tcp://HOST:8786 joins a scheduler"


# ------------------------------------------------------------------------------ 1: Dask addresses
def _argv(command: str, tmp_path: Path, address: str) -> list[str]:
    if command == "meta":
        (tmp_path / "activation.mlev").write_text((ROOT / "benchmarks/meta/activation.mlev").read_text())
        (tmp_path / "c.toml").write_text((ROOT / "benchmarks/meta/activations.toml").read_text())
        return ["meta", "c.toml", "--quiet", "--dask", address]
    return ["evolve", QUARTIC, "--task", "koza_quartic", "--budget", "20", "--db", "d.db", "--quiet", "--dask", address]


@pytest.mark.parametrize("command", ["evolve", "meta"])
@pytest.mark.parametrize(("address", "why"), [
    ("tcp://:1", "no HOST before the port"),
    ("tcp://host:99999", "the port 99999 is not between 1 and 65535"),
    ("tcp://host:0", "the port 0 is not between 1 and 65535"),
    ("tcp://host:port", "the port 'port' is not a whole number from 1 to 65535"),
    ("tcp://host:-1", "the port '-1' is not a whole number from 1 to 65535"),
    ("tcp://host:", "no port after the ':'"),
    ("tcp://a b:1", "'a b' is no host name or address"),
    ("tcp://::1:8786", "an IPv6 address is written in brackets, tcp://[::1]:8786"),
    ("foo://x", "foo:// is no scheduler protocol here (tcp:// or tls://)"),
    ("", "the address is empty"),
    ("localhost:8786", "a scheduler's address starts with its protocol, tcp://localhost:8786"),
    ("nowhere/", "neither local:N nor SCHEME://HOST"),
    ("local:-1", "N, after local:, is a whole number of workers"),
    ("local:x", "N, after local:, is a whole number of workers"),
])
def test_a_malformed_dask_address_is_refused_at_once_saying_what_is_wrong(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys, command: str, address: str, why: str) -> None:
    """Some of these went to Dask and waited its 30 s; each is now one line naming the flag, the value and the fault,
    before any archive is opened (and with no socket opened: the knock never runs)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("mlevolve.gp.dask_address.socket.create_connection", None)  # called: a TypeError, a traceback
    err = usage_error(capsys, *_argv(command, tmp_path, address))
    assert err.splitlines() == [
        f"mlevolve {command}: error: --dask must be local:N or tcp://HOST:PORT, got {address!r}: {why}", FORMS]
    assert not list(tmp_path.rglob("*.db"))


def _closed_port() -> int:
    """A loopback port where nothing listens (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("command", ["evolve", "meta"])
def test_a_refused_dask_port_is_said_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys,
                                             command: str) -> None:
    """``--dask tcp://127.0.0.1:1`` with nothing listening waited Dask's 30 s, then said "Timed out"; the OS refuses
    such a connection at once, and so does the run."""
    monkeypatch.chdir(tmp_path)
    port = _closed_port()
    address = f"tcp://127.0.0.1:{port}"

    def dask_client(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("Dask's Client was reached (its 30 s of retries): the refusal was not said at once")

    monkeypatch.setattr("distributed.Client", dask_client)
    err = usage_error(capsys, *_argv(command, tmp_path, address))
    assert err.splitlines() == [
        f"mlevolve {command}: error: --dask: no scheduler at {address}: connection refused",
        f"hint: start one there with `dask scheduler --port {port}` (and its workers with `dask worker {address}`), "
        "or run a cluster on this machine with --dask local:N (N workers, 0: one per core)"]


def test_the_api_refuses_the_same_addresses_naming_its_parameter(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingError, match=r"dask must be local:N or tcp://HOST:PORT, got 'tcp://:1': no HOST"):
        api.evolve(QUARTIC, dask="tcp://:1")
    monkeypatch.chdir(tmp_path)
    _argv("meta", tmp_path, "")  # c.toml and its program, here
    with pytest.raises(SettingError, match=r"dask: no scheduler at tcp://127\.0\.0\.1:\d+: connection refused\n"):
        api.meta("c.toml", dask=f"tcp://127.0.0.1:{_closed_port()}")


@pytest.mark.parametrize("address", ["local:0", "local:2", "tcp://h", "tcp://h:8786", "tls://h.example.org:1",
                                     "tcp://[::1]:8786", "tcp://10.0.0.1:65535"])
def test_well_formed_dask_addresses_are_read(address: str) -> None:
    from mlevolve.gp.dask_address import check_dask

    scheduler = check_dask(address)
    assert (scheduler is None) == address.startswith("local:")
    if scheduler is not None:
        assert scheduler.port == (8786 if address.count(":") == 1 else int(address.rpartition(":")[2]))


# ------------------------------------------------------------------------------ 2: a ':' in a task option's value
FORMULA_AB = "algorithm ab\n\nformula f(a: Scalar, b: Scalar) -> Scalar =\n  a * a / b\n"


def _colon_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In ``tmp_path`` (the working folder): ``d.csv``, whose target column is ``y:m``, and ``f.mlev`` of a and b."""
    monkeypatch.chdir(tmp_path)
    rows = np.random.default_rng(0).uniform(1, 2, (40, 2)).tolist()
    (tmp_path / "d.csv").write_text("a,b,y:m\n" + "".join(f"{a!r},{b!r},{1.5 * a * a / b + 0.7!r}\n" for a, b in rows))
    (tmp_path / "f.mlev").write_text(FORMULA_AB)


@pytest.mark.parametrize(("spec", "options"), [
    ("d.csv:target='y:m'", {"target": "y:m"}),
    ('d.csv : target = "y:m" : problem=regression', {"target": "y:m", "problem": "regression"}),
    ("runs/12:00/d.csv:target='a=b:c':group=\"s:1\"", {"target": "a=b:c", "group": "s:1"}),
    ("d.csv:target=y", {"target": "y"}),
])
def test_a_quoted_option_value_may_hold_a_colon(spec: str, options: dict[str, str]) -> None:
    from mlevolve.interpreter.standalone.spec import split_spec

    assert split_spec(spec)[1] == options


@pytest.mark.parametrize(("value", "written"), [("y", "y"), ("y:m", "'y:m'"), ("it's:x", '"it\'s:x"')])
def test_a_value_holding_a_colon_is_written_back_quoted(value: str, written: str) -> None:
    from mlevolve.interpreter.standalone.spec import spec_value, split_spec

    assert spec_value(value) == written
    assert split_spec(f"d.csv:target={written}")[1] == {"target": value}


def test_a_target_column_holding_a_colon_is_searched_exported_and_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    """``--task data.csv:target=y:m`` said "option 'm' has no value", and the column could not be named at all."""
    _colon_data(tmp_path, monkeypatch)
    assert main(["evolve", "f.mlev", "--task", "d.csv:target=\"y:m\"", "--budget", "3", "--db", "r.db",
                 "--quiet"]) == 0
    assert archive_meta(tmp_path / "r.db")["task"] == "d.csv:target='y:m'"
    assert main(["export", "r.db", "--best", "-o", "best.mlev"]) == 0
    assert f"task \"{tmp_path / 'd.csv'}:target='y:m'\"" in (tmp_path / "best.mlev").read_text()
    capsys.readouterr()
    assert main(["run", "best.mlev", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["test_r2"] > -1


@pytest.mark.parametrize("command", ["evolve", "run", "export"])
def test_an_unquoted_colon_in_a_value_is_refused_with_the_quoted_spec_and_the_columns(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys, command: str) -> None:
    _colon_data(tmp_path, monkeypatch)
    more = {"evolve": ["--db", "r.db"], "export": ["-o", "f.py"], "run": []}[command]
    err = usage_error(capsys, command, "f.mlev", "--task", "d.csv:target=y:m", *more)
    assert err.splitlines() == [
        f"mlevolve {command}: error: option 'm' has no value in task spec 'd.csv:target=y:m'",
        "hint: write it as NAME:key=value, or leave the option out; a value holding ':' is written in quotes: "
        "'d.csv:target=\"y:m\"'; d.csv's columns: a, b, y:m"]


def test_a_quote_opened_and_not_closed_is_refused_as_such(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    _colon_data(tmp_path, monkeypatch)
    assert usage_error(capsys, "run", "f.mlev", "--task", "d.csv:target=\"y:m").splitlines() == [
        "mlevolve run: error: option 'target' opens a quote it does not close in task spec 'd.csv:target=\"y:m'",
        "hint: close it: target='A:B' or target=\"A:B\""]


# ------------------------------------------------------------------------------ 5: a learner's random_state
NOISY_LEARNER = """algorithm noisy
learner noisy(state w: Vector)
  setup() -> Vector =
    gaussian_vector(0.0, 0.01)
  predict(x: Vector) -> Scalar =
    dot(w + gaussian_vector(0.0, 0.1), x)
  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =
    w + 0.05 * (y - p) * x
"""


def _noisy_module(tmp_path: Path) -> object:
    return component_module(tmp_path, mlevolve.parse(NOISY_LEARNER), "noisy", "noisy_mod")


@pytest.mark.parametrize("kind", ["int", "Generator", "RandomState", "None"])
def test_an_exported_learner_predicts_the_same_every_time_whatever_seeds_it(tmp_path: Path, kind: str) -> None:
    """predict re-seeded from ``random_state`` at each call: a Generator, already drawn from in fit, gave other
    noise at each call (None: fresh entropy).  As scikit-learn has it, the Generator is consumed in fit only; an int
    reproduces fit and predict alike."""
    module: Any = _noisy_module(tmp_path)
    x = np.random.default_rng(0).normal(size=(60, 3))
    y = x @ np.array([1.0, -2.0, 0.5])
    seeds = {"int": lambda: 5, "Generator": lambda: np.random.default_rng(5),
             "RandomState": lambda: np.random.RandomState(5), "None": lambda: None}[kind]
    model = module.Noisy(random_state=seeds()).fit(x, y)
    first = model.predict(x)
    np.testing.assert_array_equal(model.predict(x), first)  # predict twice: the same
    if kind != "None":  # the same seed, given afresh: the same fit and the same predictions
        again = module.Noisy(random_state=seeds()).fit(x, y)
        np.testing.assert_array_equal(again.state_[0], model.state_[0])
        np.testing.assert_array_equal(again.predict(x), first)
    if kind == "int":  # an int's predict draws from the int itself, as before
        assert model.predict_seed_ == 5


# ------------------------------------------------------------------------------ 4: wide exported formulas
COLUMNS = [f"measurement_of_feature_number_{i:02d}_long" for i in range(24)]


def _wide(tmp_path: Path) -> tuple[Path, str]:
    """A data file of 24 long-named columns and y, deep in a long folder, and a formula reading every column."""
    folder = tmp_path / ("a_folder_with_a_rather_long_name_" * 3) / "and_deeper_still"
    folder.mkdir(parents=True)
    x = np.random.default_rng(0).uniform(1, 2, (60, len(COLUMNS)))
    y = x[:, 0] * x[:, 1] + x[:, 2] - x[:, 3] / x[:, 4]
    (folder / "wide.csv").write_text(",".join([*COLUMNS, "y"]) + "\n" + "".join(
        ",".join(f"{v:.5f}" for v in [*row, t]) + "\n" for row, t in zip(x, y, strict=True)))
    body = " + ".join(f"{a} * {b}" for a, b in zip(COLUMNS[:12], COLUMNS[12:], strict=True))
    formula = f"algorithm wide\n\nformula f({', '.join(c + ': Scalar' for c in COLUMNS)}) -> Scalar =\n  {body}\n"
    return folder / "wide.csv", formula


def _ruff(*files: Path) -> None:
    """ruff as the exported scripts' test runs it: pyflakes, pycodestyle and import order at the line length 120."""
    done = run_child([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--extend-select",
                      "E,F,I", "--line-length", "120", *map(str, files)], capture_output=True, text=True,
                     timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]


def test_a_formula_on_a_wide_data_file_exports_within_the_line_length(tmp_path: Path) -> None:
    """A formula of 24 long-named columns was exported with lines of 300 to 1,900 characters: its docstring's program,
    its def, its inputs tuple, the --task default and the moved-file lines; each is wrapped now, and runs alike."""
    import mlevolve

    data, formula = _wide(tmp_path)
    program = mlevolve.parse(formula)
    script = tmp_path / "wide.py"
    script.write_text(mlevolve.export(program, f"{data}:target=y", script=str(script)))
    module = tmp_path / "wide_component.py"
    module.write_text(mlevolve.export_component(program, "f"))
    _ruff(script, module)
    doc = script.read_text().split('"""')[1]
    assert mlevolve.format(mlevolve.parse(doc.split("in the mlevolve language:")[1])) == mlevolve.format(program)
    namespace: dict[str, Any] = {}
    exec(compile(module.read_text(), str(module), "exec"), namespace)  # the packed def takes its columns in order
    x = np.arange(1.0, 25.0)
    assert namespace["f"](*x) == pytest.approx(float(x[:12] @ x[12:]))


@pytest.mark.e2e
def test_an_exported_wide_formula_script_runs_as_mlevolve_does(tmp_path: Path) -> None:
    import mlevolve

    data, formula = _wide(tmp_path)
    script = tmp_path / "wide.py"
    script.write_text(mlevolve.export(mlevolve.parse(formula), f"{data}:target=y", script=str(script)))
    done = run_child([sys.executable, str(script), "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    expected = mlevolve.run(mlevolve.parse(formula), task=f"{data}:target=y")
    assert json.loads(done.stdout)["train_r2"] == pytest.approx(expected["train_r2"], rel=1e-6)


def test_a_learner_on_a_wide_data_file_in_a_long_folder_exports_within_the_line_length(tmp_path: Path) -> None:
    import mlevolve

    data, _ = _wide(tmp_path)
    script = tmp_path / "learner.py"
    script.write_text(mlevolve.export(ROOT / "examples" / "linear_regression.mlev", f"{data}:target=y",
                                      script=str(script)))
    _ruff(script)


@pytest.mark.parametrize(("spec", "hint"), [
    ("d.csv:target=y:group=", "write it as NAME:key=value, or leave the option out"),  # a value left out: as before
    ("d.csv:target=y:m", "write it as NAME:key=value, or leave the option out; a value holding ':' is written in "
     "quotes: 'd.csv:target=\"y:m\"'"),
    ("d.csv:target=y:m:problem=regression", "write it as NAME:key=value, or leave the option out; a value holding "
     "':' is written in quotes: 'd.csv:target=\"y:m\"'"),
])
def test_a_piece_with_no_value_is_told_from_a_value_left_out(spec: str, hint: str) -> None:
    from mlevolve.interpreter.standalone.spec import TaskError, split_spec

    with pytest.raises(TaskError) as err:
        split_spec(spec)
    assert err.value.hint == hint
