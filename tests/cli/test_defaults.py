"""Defaults live once: each setting has one owner, and the CLI, the API, ``--help`` and the docs say
what the owner says.

The owners: :class:`EvolveConfig` (the search), :class:`DiversityConfig` (islands, MAP-Elites),
:class:`Settings` (training), :class:`Resources` (workers, limits).  The API validates with its own
parameter names, the CLI reports the same mistake under the flag's name.
"""

from __future__ import annotations

import argparse
import inspect
import math
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from mlevolve import api
from mlevolve.cli import build_parser, flag_of, main
from mlevolve.dsl.errors import SettingError
from mlevolve.gp.backends import Resources
from mlevolve.gp.diversity import DiversityConfig
from mlevolve.gp.engine import INITS, EvolveConfig
from mlevolve.gp.search import ALGORITHMS
from mlevolve.interpreter.settings import Settings
from tests.conftest import ROOT

QUARTIC = str(ROOT / "examples" / "quartic.mlev")

EVOLVE, DIVERSITY, TRAINING, RESOURCES = EvolveConfig(), DiversityConfig(), Settings(), Resources()
# command -> flag -> the owner's default; written out here, not read from the parser, so that a flag
# whose default drifts from its owner fails
OWNED: dict[str, dict[str, Any]] = {
    "evolve": {"--budget": EVOLVE.budget, "--algorithm": EVOLVE.algorithm, "--init": EVOLVE.init,
               "--population": EVOLVE.population, "--tournament": EVOLVE.tournament, "--seed": EVOLVE.seed,
               "--hurdle": EVOLVE.hurdle, "--fit": EVOLVE.fit,
               "--epochs": TRAINING.epochs, "--workers": RESOURCES.workers, "--dask": RESOURCES.dask,
               "--timeout": RESOURCES.timeout, "--memory-limit": RESOURCES.memory_limit,
               **{f"--{f.name.replace('_', '-')}": getattr(DIVERSITY, f.name) for f in fields(DiversityConfig)}},
    "meta": {"--workers": RESOURCES.workers, "--dask": RESOURCES.dask},
}
# what the API owns itself (no other home): its signature is the owner, the CLI follows it
API_OWNED = {"sample": (api.sample, {"-n": "n", "--seed": "seed", "--depth": "depth", "--method": "method"}),
             "best": (api.best, {"-n": "n"}), "show": (api.show, {"-n": "n", "--confirm": "confirm"}),
             "report": (api.report, {"--top": "top"}),
             "evolve": (api.evolve, {"--confirm": "confirm", "--bandit": "bandit"})}


def subparser(command: str) -> argparse.ArgumentParser:
    actions = build_parser()._subparsers._group_actions  # type: ignore[union-attr]
    found: argparse.ArgumentParser = actions[0].choices[command]  # type: ignore[index]
    return found


def action(command: str, flag: str) -> argparse.Action:
    return next(a for a in subparser(command)._actions if flag in a.option_strings)


def shown(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return format(value, "g") if isinstance(value, float) else str(value)


def help_of(command: str, flag: str) -> str:
    """The entry of ``flag`` as ``mlevolve COMMAND --help`` prints it, on one line."""
    parser = subparser(command)
    return " ".join(parser._get_formatter()._format_action(action(command, flag)).split())


@pytest.mark.parametrize(("command", "flag", "owned"),
                         [(c, f, v) for c, flags in OWNED.items() for f, v in flags.items()])
def test_each_flag_defaults_to_its_owner_and_help_says_so(command: str, flag: str, owned: Any) -> None:
    assert action(command, flag).default == owned
    if owned is not None:
        assert f"(default {shown(owned)})" in help_of(command, flag)
    if owned is not None and not isinstance(owned, bool):  # --timeout 2.5 reads as the owner's float
        kind = action(command, flag).type
        assert getattr(kind, "kind", kind) is type(owned)  # numbers are read from ASCII digits only


@pytest.mark.parametrize("command", ["run", "export"])
@pytest.mark.parametrize(("flag", "owned"), [("--seed", TRAINING.seed), ("--epochs", TRAINING.epochs)])
def test_training_flags_default_to_their_owner_or_to_the_exported_or_archived_runs(command: str, flag: str,
                                                                                   owned: int) -> None:
    """Not given (None): the owner's for a FILE, the run's for a FILE exported from a run (api.exported_settings,
    its first line) and for DB."""
    assert action(command, flag).default is None
    assert getattr(action(command, flag).type, "kind", None) is int
    db = "; with DB, the run's" if command == "export" else ""
    assert f"(default {owned}{db}; a .mlev FILE exported from a run: the run's, which its first line names)" \
        in help_of(command, flag)


@pytest.mark.parametrize(("command", "flag", "parameter"),
                         [(c, f, p) for c, (_, flags) in API_OWNED.items() for f, p in flags.items()])
def test_flags_the_api_owns_follow_its_signature(command: str, flag: str, parameter: str) -> None:
    default = inspect.signature(API_OWNED[command][0]).parameters[parameter].default
    assert action(command, flag).default == default
    # None: the API reads it (best's n: 5, and refused with front; evolve's bandit: on with evolved operators), the
    # help says what it reads
    assert f"(default {shown(default)})" in help_of(command, flag) if default is not None else \
        help_of(command, flag).endswith({"-n": "(default 5)", "--bandit": "such a grammar is refused)"}[flag])


def test_the_api_signatures_read_the_owners() -> None:
    evolve = inspect.signature(api.evolve).parameters
    for name in ("budget", "algorithm", "seed", "init", "population", "tournament", "hurdle", "fit"):
        assert evolve[name].default == getattr(EVOLVE, name), name
    assert evolve["bandit"].default is None and EVOLVE.bandit is False  # the API's automatic choice, resolved
    for name in ("workers", "dask", "timeout", "memory_limit"):
        assert evolve[name].default == getattr(RESOURCES, name), name
    assert evolve["epochs"].default == TRAINING.epochs
    for call in (api.run, api.export):
        params = inspect.signature(call).parameters
        assert (params["seed"].default, params["epochs"].default) == (None, None)  # the owner's, or the run's:
    assert api.taskdata._settings_of(api.parse("algorithm a\n"), None, None) == (TRAINING.seed, TRAINING.epochs)
    for call in (api.show, api.reevaluate):
        assert inspect.signature(call).parameters["timeout"].default == RESOURCES.timeout
    meta = inspect.signature(api.meta).parameters
    assert (meta["workers"].default, meta["dask"].default) == (RESOURCES.workers, RESOURCES.dask)


def test_choices_come_from_the_owners_tables() -> None:
    assert action("evolve", "--algorithm").choices == list(ALGORITHMS)
    assert tuple(action("evolve", "--init").choices or ()) == INITS
    assert tuple(action("sample", "--method").choices or ()) == ("grow", "full", "ramped")


def _wrong_types() -> list[tuple[str, dict[str, Any], str]]:
    """(function, keyword arguments, the message): every integer setting of the API takes an int, no bool."""
    cases = [(f, {name: value}, f"{name} must be an int, got {value!r}")
             for f, names in (("evolve", ("seed", "budget", "population", "tournament", "epochs", "digits", "workers",
                                          "confirm")), ("run", ("seed", "epochs")), ("export", ("seed", "epochs")),
                              ("sample", ("seed", "n", "depth")))
             for name in names for value in ("1e3", 1.5, True)]
    return [*cases, *(("evolve", {name: "5"}, f"{name} must be an int or float, got '5'")
                      for name in ("timeout", "memory_limit"))]


@pytest.mark.parametrize(("function", "kwargs", "message"), _wrong_types())
def test_an_api_setting_of_the_wrong_type_is_a_setting_error(
        function: str, kwargs: dict[str, Any], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``seed="1e3"`` raised a bare TypeError, ``seed=1.5`` NumPy's, ``seed=True`` ran seed 1."""
    monkeypatch.chdir(tmp_path)
    first = "Tensor" if function == "sample" else QUARTIC
    with pytest.raises(SettingError) as caught:
        getattr(api, function)(first, **kwargs)
    assert caught.value.message == message
    name = next(iter(kwargs))
    assert caught.value.hint is not None and f"e.g. {name}=" in caught.value.hint


@pytest.mark.parametrize(("call", "message"), [
    (lambda: api.evolve(QUARTIC, budget=0), "budget must be at least 1, got 0"),
    (lambda: api.evolve(QUARTIC, population=1), "population must be at least 2, got 1"),
    (lambda: api.evolve(QUARTIC, epochs=0), "epochs must be at least 1, got 0"),
    (lambda: api.evolve(QUARTIC, timeout=0.0), "timeout must be a positive number of seconds, at most 1,000,000, "
                                               "got 0"),
    (lambda: api.evolve(QUARTIC, timeout=math.inf), "timeout must be a positive number of seconds, at most 1,000,000, "
                                                    "got inf"),
    (lambda: api.evolve(QUARTIC, memory_limit=-1.0),
     "memory_limit must be a positive number of GiB, at most 1,048,576, got -1"),
    (lambda: api.evolve(QUARTIC, memory_limit=2.0**20 + 1), "memory_limit must be a positive number of GiB, at most "
                                                            "1,048,576, got 1048577"),  # not 1.04858e+06: "at most"
    (lambda: api.evolve(QUARTIC, timeout=1e6 + 0.5), "timeout must be a positive number of seconds, at most 1,000,000, "
                                                     "got 1000000.5"),  # the value typed, not its 6-digit rounding
    (lambda: api.evolve(QUARTIC, workers=2, dask="local:2"), "dask and workers exclude each other"),
    (lambda: api.evolve(QUARTIC, init="zeros"), "unknown init 'zeros'"),
    (lambda: api.evolve(QUARTIC, algorithm="islands", diversity=DiversityConfig(islands=1)),
     "islands must be at least 2, got 1"),
    (lambda: api.run(QUARTIC, epochs=0), "epochs must be at least 1, got 0"),
    (lambda: api.run(QUARTIC, seed=-1), "seed must be at least 0 and below 2**63, got -1"),
    (lambda: api.export(QUARTIC, seed=-2), "seed must be at least 0 and below 2**63, got -2"),
    (lambda: api.evolve(QUARTIC, seed=-3), "seed must be at least 0 and below 2**63, got -3"),
    (lambda: api.run(QUARTIC, seed=2**64), f"seed must be at least 0 and below 2**63, got {2**64}"),
    (lambda: api.export(QUARTIC, epochs=0), "epochs must be at least 1, got 0"),
    (lambda: api.sample("Tensor", n=0), "n must be at least 1, got 0"),
    (lambda: api.meta("nothing.toml", workers=-1), "workers must be >= 0 (0: one per core), got -1"),
    (lambda: api.evolve(QUARTIC, json_log="missing/log.jsonl"),
     "cannot write missing/log.jsonl: no folder 'missing'"),
    (lambda: api.evolve(QUARTIC, db="rnus/r.db"), "cannot write rnus/r.db: no folder 'rnus'"),  # a typo's folder
    (lambda: api.sample("Scalar", seed=-1), "seed must be at least 0 and below 2**63, got -1"),
    (lambda: api.sample("Scalar", method="grw"), "unknown method 'grw'"),  # was drawn as grow, as any other text
    (lambda: api.sample("Scalar", method=3), "method must be one of 'grow', 'full', 'ramped', got 3"),  # type: ignore[arg-type]
    (lambda: api.evolve(QUARTIC, ["nope"]), f"evolve 'nope' is not a definition of {QUARTIC}"),
    (lambda: api.run(api.parse("algorithm x\nformula f(x: Scalar) -> Scalar = x\n")), "no task to run on"),
])
def test_the_api_names_its_parameters(call: Any, message: str, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingError) as caught:
        call()
    assert caught.value.message == message
    assert "--" not in str(caught.value)


@pytest.mark.parametrize(("argv", "message"), [
    (["evolve", QUARTIC, "--budget", "0"], "--budget must be at least 1, got 0"),
    (["evolve", QUARTIC, "--memory-limit", "-1"], "argument --memory-limit: invalid float value: '-1'"),  # no sign
    (["evolve", QUARTIC, "--memory-limit", "0"], "--memory-limit must be a positive number of GiB, at most 1,048,576, "
                                                 "got 0"),
    (["evolve", QUARTIC, "--memory-limit", "2e6"], "--memory-limit must be a positive number of GiB, at most "
                                                   "1,048,576, got 2000000"),
    (["evolve", QUARTIC, "--timeout", "1000001"], "--timeout must be a positive number of seconds, at most 1,000,000, "
                                                  "got 1000001"),
    (["evolve", QUARTIC, "--workers", "2", "--dask", "local:2"], "--dask and --workers exclude each other"),
    (["evolve", QUARTIC, "--algorithm", "islands", "--population", "6", "--islands", "4"],
     "--population 6 is too small for --islands 4 with --migrants 2: each island needs at least 3 members (6 // 4 "
     "= 1)"),
    (["run", QUARTIC, "--epochs", "0"], "--epochs must be at least 1, got 0"),
    (["run", QUARTIC, "--seed", "-5"], "argument --seed: invalid int value: '-5'"),  # no sign: an integer's rule
    (["evolve", QUARTIC, "--seed", "-1"], "argument --seed: invalid int value: '-1'"),
    (["run", QUARTIC, "--seed", str(2**64)], f"--seed must be at least 0 and below 2**63, got {2**64}"),
    (["export", QUARTIC, "-o", "x.py", "--epochs", "0"], "--epochs must be at least 1, got 0"),
    (["sample", "--type", "Tensor", "-n", "0"], "-n must be at least 1, got 0"),
    (["sample", "--type", "Tensor", "-n", "1e12"], f"-n must be at most 100,000, got {10**12}"),  # a list of 1e12
    (["evolve", QUARTIC, "--digits", "1e9"], f"--digits must be at most 17, got {10**9}"),  # a float64's digits
    (["best", "x.db", "--digits", "18"], "--digits must be at most 17, got 18"),
    (["evolve", QUARTIC, "--population", "1e6"], f"--population must be at most 100,000, got {10**6}"),
    (["evolve", QUARTIC, "--budget", "1e19"], f"--budget must be below 2**63, got {10**19}"),  # SQLite's integer
    (["best", "x.db", "-n", "1e19"], f"-n must be below 2**63, got {10**19}"),
    (["sample", "--type", "Tensor", "--seed", "1e19"], f"--seed must be at least 0 and below 2**63, got {10**19}"),
    (["meta", "nothing.toml", "--workers", "-1"], "argument --workers: invalid int value: '-1'"),
    (["evolve", QUARTIC, "--json-log", "missing/log.jsonl"], "cannot write missing/log.jsonl: no folder 'missing'"),
    # every output path the user gives is in a folder that exists, as export's always was (a typo made a folder)
    (["evolve", QUARTIC, "--db", "rnus/r.db"], "cannot write rnus/r.db: no folder 'rnus'"),
    (["report", str(ROOT / "nothing.db"), "-o", "rnus/r.html"], "cannot write rnus/r.html: no folder 'rnus'"),
    (["meta", str(ROOT / "benchmarks" / "meta" / "smoke.toml"), "--db", "rnus/m.db"],
     "cannot write rnus/m.db: no folder 'rnus'"),
    (["meta", str(ROOT / "benchmarks" / "meta" / "smoke.toml"), "-o", "rnus/g.toml"],
     "cannot write rnus/g.toml: no folder 'rnus'"),
    (["export", QUARTIC, "-o", "rnus/q.py"], "cannot write rnus/q.py: no folder 'rnus'"),
    (["export", QUARTIC, "-o", f"{QUARTIC}/q.py"], f"cannot write {QUARTIC}/q.py: {QUARTIC} is a file, not a folder"),
    # a trailing slash names a directory: Path dropped it, so -o q.py/ wrote q.py and printed `python q.py/`
    (["export", QUARTIC, "-o", "q.py/"], "q.py/ names a folder (it ends in a slash), not a file"),
    (["evolve", QUARTIC, "--db", "r.db/"], "r.db/ names a folder (it ends in a slash), not a file"),
    (["report", str(ROOT / "nothing.db"), "-o", "r.html/"],
     "r.html/ names a folder (it ends in a slash), not a file"),
])
def test_the_cli_names_the_flag(capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str],
                                message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines()[0] == f"mlevolve {argv[0]}: error: {message}"
    assert "Traceback" not in err
    assert not list(tmp_path.iterdir())  # refused before anything is written: no archive, no log


def test_a_setting_error_renames_its_hint_too() -> None:
    err = SettingError("{population} {got} is too small", hint="pass {population} {enough}", got=3, enough=8)
    assert (err.message, err.hint) == ("population 3 is too small", "pass population 8")
    err.rename(flag_of)
    assert (err.message, err.hint) == ("--population 3 is too small", "pass --population 8")
    assert flag_of("memory_limit") == "--memory-limit" and flag_of("n") == "-n"
    err = SettingError("{fit} and {hurdle} differ", hint="rerun with {fit} {hurdle}")  # switches as one types them
    err.switches = {"fit": False, "hurdle": True}
    assert (err.rename(flag_of).message, err.hint) == ("--fit and --hurdle differ", "rerun with --no-fit --hurdle")
    assert err.rename(lambda name: name).hint == "rerun with fit False hurdle True"


DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# "(`--timeout S`, default 300)", "(`--timeout`, 300 s)", "`--init file` (default)", "(`--workers 1`, the default)",
# "| `--islands` | 4 |"
_STATED = [re.compile(r"`(--[a-z-]+)(?: [A-Z]+)?`,? default:? (\d[\d.]*)"),
           re.compile(r"`(--[a-z-]+)`, (\d[\d.]*) s\b"),
           re.compile(r"`(--[a-z-]+) ([a-z0-9][^`\s]*)`,? \(?(?:the )?default\b"),
           re.compile(r"^\| `(--[a-z-]+)` \| (\d[\d.]*) \|", re.M)]


def test_the_docs_state_the_defaults_the_flags_have() -> None:
    defaults: dict[str, set[str]] = {}
    for command in OWNED.keys() | API_OWNED.keys():
        for a in subparser(command)._actions:
            for flag in a.option_strings:
                defaults.setdefault(flag, set()).add(shown(a.default))
    stated = [(doc.name, m.group(1), m.group(2)) for doc in DOCS for pattern in _STATED
              for m in pattern.finditer(doc.read_text(encoding="utf-8"))]
    assert len(stated) >= 9  # the patterns still find the docs' statements
    wrong = [(doc, flag, value, defaults.get(flag)) for doc, flag, value in stated
             if value not in defaults.get(flag, set())]
    assert not wrong


def test_the_engine_reads_the_hurdle_and_bloat_limits_from_their_owners() -> None:
    from mlevolve.gp.backends import Policy
    from mlevolve.gp.operators import Site

    policy = Policy()
    assert (EVOLVE.hurdle, EVOLVE.hurdle_quantile, EVOLVE.hurdle_warmup) == (policy.hurdle, policy.quantile,
                                                                             policy.warmup)
    assert (EVOLVE.max_depth, EVOLVE.max_size) == (Site.max_depth, Site.max_size)


def test_samples_methods_are_its_annotations_and_the_flags_choices() -> None:
    import typing

    assert typing.get_args(typing.get_type_hints(api.sample)["method"]) == api.SAMPLE_METHODS
    assert tuple(action("sample", "--method").choices) == api.SAMPLE_METHODS


@pytest.mark.parametrize("value", ["-1", "all"])
@pytest.mark.parametrize("command", ["evolve", "meta"])
def test_workers_say_how_to_ask_for_every_core(capsys: pytest.CaptureFixture[str], command: str, value: str) -> None:
    """joblib's ``n_jobs=-1`` (every core) is ``--workers 0`` here: the refusal says so, and only for --workers"""
    assert main([command, QUARTIC, "--workers", value]) == 2
    hint = capsys.readouterr().err.splitlines()[1]
    assert "--workers 0 is one per core (as -1 is for joblib's n_jobs)" in hint
    assert main([command, QUARTIC, "--seed", value]) == 2
    assert "one per core" not in capsys.readouterr().err
